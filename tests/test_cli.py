from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from secretsync_hooks import __version__
from secretsync_hooks.cli.main import main
from tests.json_contract import validated

CONFIG = """\
[backend]
type = "secrets_manager"
region = "us-east-1"
[secrets_manager]
secret_name = "myapp/production"
"""


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"secretsync, version {__version__}\n"


@pytest.mark.parametrize("columns", ["80", "200"])
def test_help_lists_every_command_whole_and_the_exit_codes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, columns: str
) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    flat = " ".join(out.split())
    assert "Exit codes: 0 in sync or done, 1 drift or refused, 2 error, 130 interrupted." in flat
    commands = out.split("Commands:")[1]
    for name in ("config", "diff", "forget", "history", "pull", "push", "rollback", "status"):
        assert f"  {name} " in commands
    assert "..." not in commands  # no description cut short


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no-such-command"]) == 2
    assert "No such command" in capsys.readouterr().err


def test_config_command_shows_settings_and_sources(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / ".secretsync.toml").write_text(CONFIG)
    (project / ".env").write_text("A=1\nB='two'\n")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert "region       eu-west-1 (from AWS_REGION)" in out
    assert (
        "target       myapp/production (from .secretsync.toml [secrets_manager.secret_name])" in out
    )
    assert "env keys     2 keys: A, B" in out
    assert main(["config", "--format", "json"]) == 0
    document = validated(capsys.readouterr().out)
    assert document["command"] == "config"
    assert (document["region"], document["sources"]["region"]) == ("eu-west-1", "AWS_REGION")
    assert document["keys"] == ["A", "B"]
    assert "two" not in json.dumps(document)


def test_config_errors_exit_2_with_one_message_and_no_traceback(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / ".secretsync.toml").write_text('[backend]\ntype = "vault"\n')
    assert main(["config"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[0] == (
        "secretsync: error: unknown backend type 'vault' (from .secretsync.toml [backend.type])"
    )
    assert "Traceback" not in err


def test_env_file_errors_exit_2_without_the_value(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / ".secretsync.toml").write_text(CONFIG)
    (project / ".env").write_text('OK=1\nTOKEN="canary-s3cr3t\n')
    assert main(["config"]) == 2
    captured = capsys.readouterr()
    assert "line 2: a value opens a double quote that is never closed" in captured.err
    assert "canary" not in captured.out + captured.err


def test_unexpected_errors_are_one_line_unless_debug(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / ".secretsync.toml").write_text(CONFIG)
    (project / ".env").write_text("TOKEN=canary-s3cr3t\n")  # read, and so registered

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom near canary-s3cr3t")

    monkeypatch.setattr("secretsync_hooks.remote.read.get_backend", broken)
    assert main(["diff"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "secretsync: unexpected error: RuntimeError: boom near ********\n"
        "Rerun with --debug to see the traceback, and report it if it is a bug.\n"
    )
    assert main(["diff", "--debug"]) == 2
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert "canary" not in err


def test_python_dash_m_behaves_the_same() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "secretsync_hooks", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout) == (0, f"secretsync, version {__version__}\n")


@pytest.mark.parametrize("args", [["--version"], ["--help"]])
@pytest.mark.usefixtures("processes")
def test_version_and_help_import_neither_boto3_nor_rich_tables(args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "secretsync_hooks", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    imported = {
        line.rsplit("|", 1)[-1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "secretsync_hooks.cli.main" in imported
    heavy = {m for m in imported if m.split(".")[0] in ("boto3", "botocore", "s3transfer")}
    assert heavy == set()
    assert "rich.table" not in imported
