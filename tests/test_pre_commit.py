"""The hooks through real git and the real pre-commit, against a real moto HTTP server.

A clean snapshot of this checkout is committed to a throw-away "hooks repository" once per
session, and pre-commit's cache (PRE_COMMIT_HOME) is shared, so the hook environment is built
once and every test after that only runs hooks.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import GIT_IDENTITY, Remote, write_config
from tests.moto_server import MotoServer

ROOT = Path(__file__).resolve().parent.parent


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=check, timeout=300
    )


def pre_commit(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


@pytest.fixture
def app(
    tmp_path: Path,
    moto_server: MotoServer,
    pre_commit_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Path]:
    """A git work tree with a .secretsync.toml, a gitignored .env and a first commit."""
    for name, value in GIT_IDENTITY.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PRE_COMMIT_HOME", str(pre_commit_home))
    monkeypatch.delenv("PRE_COMMIT", raising=False)
    monkeypatch.delenv("SKIP", raising=False)
    root = tmp_path / "app"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write_config(root, "secrets_manager")
    (root / ".gitignore").write_text(".env\n")
    (root / ".env").write_text("A=1\nB=2\n")
    (root / "app.py").write_text("print('hi')\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    monkeypatch.chdir(root)
    yield root


def remote(server: MotoServer) -> Remote:
    return Remote("secrets_manager", server.url)


def write_hooks_config(
    root: Path, repo: Path, sha: str, check_args: list[str] | None = None
) -> None:
    args = f"\n        args: {check_args!r}".replace("'", '"') if check_args else ""
    (root / ".pre-commit-config.yaml").write_text(
        f"""\
default_install_hook_types: [pre-commit, pre-push]
repos:
  - repo: {repo}
    rev: {sha}
    hooks:
      - id: secretsync-check{args}
      - id: secretsync-check-push
      - id: secretsync-forbid-env
"""
    )


def test_try_repo_check(app: Path, hooks_repo: tuple[Path, str], moto_server: MotoServer) -> None:
    repo, _ = hooks_repo
    aws = remote(moto_server)
    aws.seed({"A": "1", "B": "2"})

    def check() -> subprocess.CompletedProcess[str]:
        return pre_commit(app, "try-repo", str(repo), "secretsync-check", "--all-files")

    in_sync = check()
    assert in_sync.returncode == 0, in_sync.stdout + in_sync.stderr
    assert "Passed" in in_sync.stdout

    (app / ".env").write_text("A=1\nB=2\nNEW=x\n")
    local_only = check()
    assert local_only.returncode == 1
    # The first check in sync recorded a base, so the hook speaks three-way states.
    assert re.search(
        r"NEW +local-added +added to your \.env since the last sync", local_only.stdout
    )
    assert "NEW added to .env since the last sync: run `secretsync push`." in (local_only.stdout)

    assert (
        subprocess.run(
            [sys.executable, "-m", "secretsync_hooks", "push"],
            cwd=app,
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )
    assert check().returncode == 0

    aws.set("B", "rotated")
    remote_edit = check()
    assert remote_edit.returncode == 1
    assert re.search(r"B +remote-modified +changed in AWS since your last sync", remote_edit.stdout)
    assert "rotated" not in remote_edit.stdout

    assert (
        subprocess.run(
            [sys.executable, "-m", "secretsync_hooks", "pull", "--force"],
            cwd=app,
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )
    assert check().returncode == 0


def test_try_repo_example_keeps_the_example_file_up_to_date(
    app: Path, hooks_repo: tuple[Path, str]
) -> None:
    repo, _ = hooks_repo
    config = app / ".secretsync.toml"
    config.write_text('[keys.PORT]\ntype = "int"\nexample = "8080"\n' + config.read_text())

    def example() -> subprocess.CompletedProcess[str]:
        return pre_commit(app, "try-repo", str(repo), "secretsync-example", "--all-files")

    missing = example()
    assert missing.returncode == 1, missing.stdout + missing.stderr
    assert "is not what `secretsync example` would write (3 keys)" in missing.stdout
    assert not (app / ".env.example").exists()  # the hook writes nothing
    made = subprocess.run(
        [sys.executable, "-m", "secretsync_hooks", "example"], cwd=app, check=False
    )
    assert made.returncode == 0
    assert example().returncode == 0
    (app / ".env").write_text("A=1\nB=2\nNEW=Nw4Vx8Lq2Zt\n")  # a key added, unstaged
    stale = example()
    assert stale.returncode == 1
    assert "Nw4Vx8Lq2Zt" not in stale.stdout + stale.stderr


def test_installed_hooks_guard_commit_and_push(
    app: Path, hooks_repo: tuple[Path, str], moto_server: MotoServer, tmp_path: Path
) -> None:
    repo, sha = hooks_repo
    write_hooks_config(app, repo, sha)
    installed = pre_commit(app, "install", "--install-hooks")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert (app / ".git" / "hooks" / "pre-commit").exists()
    assert (app / ".git" / "hooks" / "pre-push").exists()
    aws = remote(moto_server)
    aws.seed({"A": "1", "B": "2"})
    git(app, "add", ".pre-commit-config.yaml")
    allowed = git(app, "commit", "-m", "hooks", check=False)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr

    aws.set("A", "changed-in-aws")
    (app / "app.py").write_text("print('bye')\n")
    git(app, "add", "app.py")
    blocked = git(app, "commit", "-m", "blocked", check=False)
    assert blocked.returncode == 1
    assert re.search(r"A +remote-modified +changed in AWS", blocked.stdout + blocked.stderr)
    assert "changed-in-aws" not in blocked.stdout + blocked.stderr
    assert git(app, "log", "--oneline").stdout.count("\n") == 2

    skipped = subprocess.run(
        ["git", "commit", "-m", "skipped"],
        cwd=app,
        capture_output=True,
        text=True,
        env={**os.environ, "SKIP": "secretsync-check"},
        check=False,
    )
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr

    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(app, "remote", "add", "origin", str(bare))
    pushed = git(app, "push", "-q", "origin", "main", check=False)
    assert pushed.returncode != 0
    assert "secretsync check before push" in pushed.stdout + pushed.stderr
    assert git(bare, "branch").stdout == ""

    aws.set("A", "1")
    assert git(app, "push", "-q", "origin", "main", check=False).returncode == 0
    assert "main" in git(bare, "branch").stdout


def test_forbid_env_blocks_a_staged_env_and_lets_examples_through(
    app: Path, hooks_repo: tuple[Path, str], moto_server: MotoServer
) -> None:
    repo, sha = hooks_repo
    write_hooks_config(app, repo, sha)
    assert pre_commit(app, "install").returncode == 0
    remote(moto_server).seed({"A": "1", "B": "2"})
    (app / ".gitignore").write_text("")
    git(app, "add", ".env", ".gitignore", ".pre-commit-config.yaml")
    blocked = git(app, "commit", "-m", "oops", check=False)
    assert blocked.returncode == 1
    output = blocked.stdout + blocked.stderr
    assert "refusing to commit .env files" in output
    assert "git rm --cached -- .env" in output
    git(app, "rm", "-q", "--cached", ".env")
    (app / ".env.example").write_text("A=\nB=\n")
    git(app, "add", ".env.example")
    allowed = git(app, "commit", "-m", "example", check=False)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr


@pytest.mark.parametrize(("args", "code"), [(None, 1), (["--on-error", "warn"], 0)])
def test_unreachable_aws_blocks_by_default_and_warn_lets_through(
    app: Path,
    hooks_repo: tuple[Path, str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str] | None,
    code: int,
) -> None:
    repo, sha = hooks_repo
    write_hooks_config(app, repo, sha, args)
    assert pre_commit(app, "install").returncode == 0
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    git(app, "add", ".pre-commit-config.yaml")
    result = git(app, "commit", "-m", "offline", check=False)
    output = result.stdout + result.stderr
    assert result.returncode == code, output
    if code:
        assert "AWS could not be asked: cannot reach http://127.0.0.1:9/" in output
        assert "SKIP=secretsync-check git commit" in output
    else:
        assert "not checked (--on-error warn)" in output or "Passed" in output
