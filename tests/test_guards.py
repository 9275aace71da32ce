"""Guards a repository's config, paths and files cannot switch off or walk around: plain_keys
sets, [scan] settings, pulls through linked folders and into tracked files, a linked config
owned by someone else, terminal escapes in shown values, and rollbacks that change only a
JSON type."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from secretsync_hooks.cli.main import cli
from tests.helpers import BACKENDS, GIT_IDENTITY, SECRET, Remote, run_in_process, write_config
from tests.json_contract import validated
from tests.moto_server import MotoServer

CANARY = "c4n4ry-Zq8Lm2Vx9Pw4Rt"


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.fixture(params=BACKENDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# -- plain_keys: a set of patterns cannot do what one may not ---------------------------------


@pytest.mark.parametrize(
    "patterns", [["?", "??*"], ["[A-Z_]", "[A-Z_]?*", "[a-z0-9]*", "*[!A-Z]*"]]
)
def test_a_plain_keys_set_matching_every_key_is_refused_at_load(
    patterns: list[str], project: Path, aws: None
) -> None:
    write_config(project, "secrets_manager", f"plain_keys = {json.dumps(patterns)}\n")
    (project / ".env").write_text(f"TOKEN={CANARY}\n")
    result = run("diff", "--verbose")
    assert result.exit_code == 2
    assert "together match every key, which would print every secret" in result.stderr
    assert CANARY not in result.output


def _plain_upper(project: Path, kind: str) -> Remote:
    # One pattern that looks narrow, and matches every upper-case key.
    write_config(project, kind, 'plain_keys = ["[A-Z]*"]\n')
    (project / ".env").write_text(f"TOKEN={CANARY}\nDB_PASSWORD={CANARY}-db\nLOG_LEVEL=info\n")
    remote = Remote(kind)
    remote.seed({"TOKEN": f"{CANARY}-old", "DB_PASSWORD": f"{CANARY}-db", "LOG_LEVEL": "info"})
    return remote


@pytest.mark.parametrize(
    "args",
    [
        ["diff", "--verbose"],
        ["diff", "--format", "json"],
        ["status", "--format", "json"],
        ["push", "--dry-run"],
        ["push", "--force", "--format", "json"],
        ["export", "--format", "github", "--output", "github.env"],
        ["scan"],
        ["history", "--format", "json"],
    ],
)
def test_plain_keys_covering_every_key_present_show_nothing(
    args: list[str], kind: str, project: Path, aws: None
) -> None:
    _plain_upper(project, kind)
    if args[0] == "history" and kind == "parameter_store":
        args = [*args, "TOKEN"]
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert "plain_keys match 3 of the 3 keys here" in result.stderr
    assert "nothing was shown" in result.stderr
    assert CANARY not in result.output
    assert not (project / "github.env").exists()


def test_plain_keys_covering_most_keys_do_not_stop_what_shows_no_value(
    kind: str, project: Path, aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    from secretsync_hooks.hooks.check import check_main

    _plain_upper(project, kind)
    for args in (["push", "--force"], ["diff", "--keys-only"], ["status"]):
        assert run(*args).exit_code in (0, 1), args
    assert run("export", "--format", "json", "--output", "values.json").exit_code == 0
    assert check_main([]) == 0


def test_plain_keys_may_cover_at_most_half_of_the_keys(project: Path, aws: None) -> None:
    write_config(project, "secrets_manager", 'plain_keys = ["LOG_LEVEL", "APP_ENV"]\n')
    Remote("secrets_manager").seed({"TOKEN": CANARY, "LOG_LEVEL": "info", "APP_ENV": "prod"})
    (project / ".env").write_text(f"TOKEN={CANARY}\nLOG_LEVEL=info\nAPP_ENV=prod\n")
    refused = run("diff", "--verbose")
    assert refused.exit_code == 2
    assert "plain_keys match 2 of the 3 keys here (APP_ENV, LOG_LEVEL)" in refused.stderr
    (project / ".env").write_text(f"TOKEN={CANARY}\nLOG_LEVEL=info\nAPP_ENV=prod\nSIG=s-1\n")
    shown = run("diff", "--verbose")  # 2 of 4: half, not more
    assert shown.exit_code == 1
    assert "info" in shown.stdout and "prod" in shown.stdout and CANARY not in shown.output


# -- paths a repository controls ---------------------------------------------------------------


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, env={**os.environ, **GIT_IDENTITY}
    )


@pytest.fixture
def repo(moto_server: MotoServer, project: Path) -> Path:
    (project / ".git").rmdir()
    _git(project, "init", "-q", "-b", "main")
    write_config(project, "secrets_manager")
    Remote("secrets_manager", moto_server.url).seed({"TOKEN": CANARY})
    return project


def test_pull_through_a_linked_folder_leading_out_is_refused(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (repo / "cfg").symlink_to(outside, target_is_directory=True)
    result = run_in_process(repo, "pull", "--env-file", "cfg/.env")
    assert result.returncode == 2, result.stderr
    assert f"symbolic link to {outside / '.env'}, outside the work tree" in result.stderr
    assert list(outside.iterdir()) == []


def test_pull_into_a_tracked_env_file_is_refused_unless_allowed(repo: Path) -> None:
    (repo / ".env").write_text("LOCAL=1\n")
    _git(repo, "add", "-f", ".env")
    _git(repo, "commit", "-q", "-m", "oops")
    result = run_in_process(repo, "pull")
    assert result.returncode == 2
    assert ".env is tracked by git" in result.stderr
    assert "--allow-tracked" in result.stderr and "git rm --cached .env" in result.stderr
    assert (repo / ".env").read_text() == "LOCAL=1\n"
    assert run_in_process(repo, "pull", "--dry-run").returncode == 0  # nothing written: allowed
    allowed = run_in_process(repo, "pull", "--allow-tracked")
    assert allowed.returncode == 0, allowed.stderr
    assert CANARY in (repo / ".env").read_text()


def test_pull_through_a_link_to_a_tracked_file_is_refused(repo: Path) -> None:
    (repo / "config").mkdir()
    (repo / "config" / "app.env").write_text("LOCAL=1\n")
    _git(repo, "add", "config/app.env")
    _git(repo, "commit", "-q", "-m", "settings")
    (repo / ".env").symlink_to("config/app.env")
    result = run_in_process(repo, "pull")
    assert result.returncode == 2
    assert "(a symbolic link to" in result.stderr and "is tracked by git" in result.stderr
    assert (repo / "config" / "app.env").read_text() == "LOCAL=1\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a file to another user")
def test_a_config_linking_to_another_users_file_is_refused(
    moto_server: MotoServer, project: Path, tmp_path: Path
) -> None:
    theirs = tmp_path.parent / f"{tmp_path.name}-theirs.toml"
    write_config(tmp_path.parent, "secrets_manager").rename(theirs)
    os.chown(theirs, 65534, 65534)
    (project / ".secretsync.toml").symlink_to(theirs)
    (project / ".env").write_text(f"TOKEN={CANARY}\n")
    result = run_in_process(project, "diff")
    assert result.returncode == 2
    assert "the file it links to is owned by another user (uid 65534)" in result.stderr


# -- what is shown is escaped ------------------------------------------------------------------


def test_a_shown_value_cannot_drive_the_terminal(project: Path, aws: None) -> None:
    write_config(project, "secrets_manager", 'plain_keys = ["TITLE"]\n')
    hostile = "\x1b]0;pwned\x07\x1b[2Jgone"
    Remote("secrets_manager").seed({"TITLE": hostile, "A": "1", "B": "2"})
    (project / ".env").write_text("TITLE=plain\nA=1\nB=2\n")
    result = run("diff", "--verbose")
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "\\x1b]0;pwned\\x07\\x1b[2Jgone" in result.stdout


# -- rollback compares what is stored -----------------------------------------------------------


def test_a_rollback_restores_a_json_type(project: Path, aws: None) -> None:
    write_config(project, "secrets_manager")
    remote = Remote("secrets_manager")
    remote.client.create_secret(Name=SECRET, SecretString='{"PORT": 5432, "A": "x"}')
    old = remote.client.list_secret_version_ids(SecretId=SECRET)["Versions"][0]["VersionId"]
    remote.put_document({"PORT": "5432", "A": "x"})
    planned = run("rollback", "--to", old, "--dry-run")
    assert planned.exit_code == 0
    assert "restore  PORT" in planned.stdout and "Nothing to roll back" not in planned.stdout
    done = run("rollback", "--to", old, "--force")
    assert done.exit_code == 0, done.output
    current = remote.client.get_secret_value(SecretId=SECRET, VersionStage="AWSCURRENT")
    assert current["SecretString"] == '{"PORT": 5432, "A": "x"}'
    history = validated(run("history", "--format", "json").stdout)
    assert history["revisions"][1]["changed"] == ["PORT"]  # the type change is a change


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a repository to another user")
def test_a_tracked_env_stays_guarded_when_git_refuses_the_repository(
    moto_server: MotoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As root over another user's checkout (a CI container), git refuses the repository
    # ("dubious ownership") and cannot say what it tracks: the guards fail closed.
    repo = tmp_path / "theirs"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    write_config(repo, "secrets_manager")
    (repo / ".env").write_text(f"TOKEN={CANARY}\n")
    _git(repo, "add", "-f", ".env", ".secretsync.toml")
    _git(repo, "commit", "-q", "-m", "oops")
    Remote("secrets_manager", moto_server.url).seed({"TOKEN": CANARY, "NEW": "new-secret-value"})
    subprocess.run(["chown", "-R", "65534:65534", str(repo)], check=True)
    monkeypatch.setenv("SECRETSYNC_SAFE_DIRECTORIES", str(repo))
    monkeypatch.setenv("HOME", str(tmp_path))  # no global safe.directory of the user's
    monkeypatch.chdir(repo)
    pulled = run("pull")
    assert pulled.exit_code == 2
    assert "git cannot tell whether" in pulled.stderr
    assert "new-secret-value" not in (repo / ".env").read_text()
    for args in (["scan"], ["scan", ".env"]):
        scanned = run(*args)
        assert scanned.exit_code == 1, scanned.output  # the tracked .env is scanned


def test_a_git_file_cannot_point_the_records_at_any_folder(project: Path, aws: None) -> None:
    # `gitdir:` may name a folder of the user's that is no git directory (git itself rejects
    # it): the records of the last sync must not land there.
    victim = project.parent / f"{project.name}-victim" / ".config"
    victim.mkdir(parents=True)
    (project / ".git").rmdir()
    (project / ".git").write_text(f"gitdir: {victim}\n")
    config_text = '[backend]\ntype = "secrets_manager"\nregion = "us-east-1"\n'
    (project / ".secretsync.toml").write_text(
        config_text + '[secrets_manager]\nsecret_name = "myapp/production"\n'
    )
    (project / ".env").write_text("A=1\n")
    Remote("secrets_manager").seed({"A": "1"})
    assert run("diff").exit_code == 0
    assert list(victim.rglob("*")) == []
