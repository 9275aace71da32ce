"""Every target at once: ``--env default``, ``--all-envs`` (several environments read at the
same time), ``--recursive`` (every tracked config of a monorepo), through the hook's entry
point and the real pre-commit, against a moto server."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from secretsync_hooks.config.settings import Overrides, load_config
from tests.helpers import GIT_IDENTITY, Remote, run_in_process, write_config
from tests.json_contract import validated
from tests.moto_server import MotoServer
from tests.test_pre_commit import git, pre_commit

ENVIRONMENTS = """
[environments.staging]
env_file = ".env.staging"
[environments.staging.secrets_manager]
secret_name = "myapp/staging"
[environments.staging.parameter_store]
path = "/myapp/staging/"

[environments.prod]
env_file = ".env.prod"
[environments.prod.secrets_manager]
secret_name = "myapp/prod"
[environments.prod.parameter_store]
path = "/myapp/prod/"
"""
FILES = {".env": "A=top\n", ".env.staging": "A=staging\n", ".env.prod": "A=prod\n"}
READ = {"secrets_manager": "GetSecretValue", "parameter_store": "GetParametersByPath"}


def hook(cwd: Path, *args: str) -> tuple[int, str]:
    result = run_in_process(cwd, *args, name="secretsync-check")
    return result.returncode, result.stdout + result.stderr


@pytest.fixture(params=["secrets_manager", "parameter_store"])
def envs(request: pytest.FixtureRequest, project: Path, moto_server: MotoServer) -> str:
    """Three environments (the top level, staging, prod), each in sync with its remote."""
    kind = str(request.param)
    config = write_config(project, kind)
    config.write_text(config.read_text() + ENVIRONMENTS)
    for name, text in FILES.items():
        (project / name).write_text(text)
    for environment in ("default", "staging", "prod"):
        result = run_in_process(project, "--env", environment, "push", "--force", "-q")
        assert result.returncode == 0, result.stderr
    return kind


def test_the_top_level_is_named_default(envs: str, project: Path) -> None:
    assert load_config(Overrides(environment="default")).target == load_config().target
    assert load_config(environ={"SECRETSYNC_ENV": "default"}).environment is None
    result = run_in_process(project, "--env", "default", "diff", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert validated(result.stdout)["in_sync"] is True
    code, output = hook(project, "--env", "default", "--env", "staging")
    assert code == 0, output
    assert "[default] .env matches" in output and "[staging] .env.staging matches" in output


def test_all_envs_checks_every_environment_and_reports_the_worst(envs: str, project: Path) -> None:
    code, output = hook(project, "--all-envs")
    assert code == 0, output
    lines = output.splitlines()
    assert [line.split("]")[0] + "]" for line in lines] == [
        "secretsync: [default]",
        "secretsync: [staging]",
        "secretsync: [prod]",
    ]
    (project / ".env.prod").write_text("A=prod-edited-Zx9\n")
    code, output = hook(project, "--all-envs")
    assert code == 1
    assert "[prod] .env.prod has drifted" in output
    assert "`secretsync push --env prod`" in output
    assert "prod-edited-Zx9" not in output


def test_all_envs_reads_the_environments_at_the_same_time(
    envs: str, project: Path, moto_server: MotoServer
) -> None:
    # The first read is held until the other two have arrived: one at a time, it never would.
    all_arrived = threading.Event()
    overlapped: list[bool] = []

    def watch(count: int, body: bytes) -> None:
        if count == 3:
            all_arrived.set()
        if count == 1:
            overlapped.append(all_arrived.wait(20))

    moto_server.injector.watch(READ[envs], watch)
    code, output = hook(project, "--all-envs")
    assert code == 0, output
    assert overlapped == [True]


def test_one_target_that_never_answers_does_not_hold_the_others(
    envs: str, project: Path, moto_server: MotoServer
) -> None:
    release = threading.Event()

    def watch(count: int, body: bytes) -> None:
        if b"staging" in body:
            release.wait(30)

    moto_server.injector.watch(READ[envs], watch)
    try:
        started = time.monotonic()
        code, output = hook(project, "--all-envs", "--timeout", "1")
        elapsed = time.monotonic() - started
        warned, warn_output = hook(project, "--all-envs", "--timeout", "1", "--on-error", "warn")
    finally:
        release.set()
    assert code == 2
    assert elapsed < 1.5, elapsed  # the deadline, not the deadline and a grace
    assert "[default] .env matches" in output and "[prod] .env.prod matches" in output
    assert "[staging] AWS could not be asked" in output
    assert warned == 0, warn_output


def test_all_envs_counts_the_top_level_once(project: Path, moto_server: MotoServer) -> None:
    config = write_config(project, "secrets_manager")
    # [environments.dev] is the top level again: checked once, as "dev".
    config.write_text(config.read_text() + '[environments.dev]\nenv_file = ".env"\n')
    (project / ".env").write_text("A=1\n")
    Remote("secrets_manager", moto_server.url).seed({"A": "1"})
    code, output = hook(project, "--all-envs")
    assert code == 0, output
    assert output.splitlines() == ["secretsync: .env matches secret myapp/production (1 key)"]


MONOREPO = {
    "services/api": ("secrets_manager", "A=api\n"),
    "services/web": ("parameter_store", "A=web\n"),
}


@pytest.fixture
def monorepo(project: Path, moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, value in GIT_IDENTITY.items():
        monkeypatch.setenv(name, value)
    (project / ".git").rmdir()
    git(project, "init", "-q", "-b", "main")
    for directory, (kind, text) in MONOREPO.items():
        root = project / directory
        root.mkdir(parents=True)
        write_config(root, kind)
        (root / ".env").write_text(text)
        assert run_in_process(root, "push", "--force", "-q").returncode == 0
    (project / ".gitignore").write_text(".env\n")
    (project / "scratch").mkdir()
    write_config(project / "scratch", "secrets_manager")  # not tracked: not checked
    git(project, "add", ".gitignore", *[f"{d}/.secretsync.toml" for d in MONOREPO])
    git(project, "commit", "-q", "-m", "monorepo")
    return project


def test_recursive_checks_every_tracked_config_against_its_own_directory(
    monorepo: Path,
) -> None:
    code, output = hook(monorepo, "--recursive")
    assert code == 0, output
    assert output.splitlines() == [
        "secretsync: [services/api] .env matches secret myapp/production (1 key)",
        "secretsync: [services/web] .env matches parameter path /myapp/production/ (1 key)",
    ]
    (monorepo / "services" / "web" / ".env").write_text("A=web\nNEW=x\n")
    code, output = hook(monorepo, "--recursive")
    assert code == 1
    assert "[services/web] .env has drifted" in output
    assert "--config services/web/.secretsync.toml" in output


def test_recursive_and_all_envs_through_pre_commit(
    monorepo: Path,
    hooks_repo: tuple[Path, str],
    pre_commit_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PRE_COMMIT_HOME", str(pre_commit_home))
    monkeypatch.delenv("SKIP", raising=False)
    repo, sha = hooks_repo
    (monorepo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo}\n    rev: {sha}\n    hooks:\n"
        "      - id: secretsync-check\n        args: [--recursive, --all-envs]\n"
    )
    installed = pre_commit(monorepo, "install", "--install-hooks")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    git(monorepo, "add", ".pre-commit-config.yaml")
    allowed = git(monorepo, "commit", "-m", "hooks", check=False)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    (monorepo / "services" / "api" / ".env").write_text("A=api-edited\n")
    (monorepo / "README").write_text("x\n")
    git(monorepo, "add", "README")
    blocked = git(monorepo, "commit", "-m", "blocked", check=False)
    assert blocked.returncode == 1
    assert "[services/api] .env has drifted" in blocked.stdout + blocked.stderr
    assert "api-edited" not in blocked.stdout + blocked.stderr


def test_recursive_outside_a_repository_or_without_configs(project: Path) -> None:
    code, output = hook(project, "--recursive")
    assert code == 2
    assert "--recursive needs a git work tree" in output
