"""``run`` and ``export`` through click's CliRunner, against in-process moto: the paths that
end before a command is started (``run`` would replace the test process after that)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from secretsync_hooks.cli import cli
from tests.helpers import BACKENDS, Remote, write_config

VALUES = {"DB_URL": "postgres://db/app", "TOKEN": "tok-one", "LOG_LEVEL": "info"}
ENV = "# mine\nTOKEN=local-token\nLOCAL_ONLY=kept\n"


@pytest.fixture(params=BACKENDS)
def remote(request: pytest.FixtureRequest, project: Path, aws: None) -> Iterator[Remote]:
    write_config(project, str(request.param))
    (project / ".env").write_text(ENV)
    remote = Remote(str(request.param))
    remote.seed(VALUES)
    yield remote


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_export_json_from_each_source(remote: Remote) -> None:
    assert json.loads(run("export", "--format", "json").stdout) == VALUES
    merged = json.loads(run("export", "--format", "json", "--source", "merged").stdout)
    assert merged == {**VALUES, "TOKEN": "local-token", "LOCAL_ONLY": "kept"}
    local = json.loads(run("export", "--format", "json", "--source", "local").stdout)
    assert local == {"TOKEN": "local-token", "LOCAL_ONLY": "kept"}


def test_global_format_applies_to_export_and_table_is_refused(remote: Remote) -> None:
    assert json.loads(run("--format", "json", "export").stdout) == VALUES
    result = run("--format", "table", "export")
    assert result.exit_code == 2
    assert "export --format must be one of dotenv, json, yaml, shell, github, docker" in (
        result.stderr
    )
    assert result.stdout == ""


def test_export_never_replaces_the_env_file(remote: Remote, project: Path) -> None:
    for path in (".env", str(project / ".env"), "./sub/../.env"):
        result = run("export", "--output", path)
        assert result.exit_code == 2
        assert "is the .env file; export would replace it whole" in result.stderr
        assert "secretsync pull" in result.stderr
        assert (project / ".env").read_text() == ENV


def test_export_keys_must_name_keys(remote: Remote) -> None:
    for keys, message in ((",", "--keys names no key"), ("TOKEN,NOPE", "not there: NOPE")):
        result = run("export", "--keys", keys)
        assert result.exit_code == 2
        assert message in result.stderr
        assert result.stdout == ""


def test_run_options_after_the_command_belong_to_it(remote: Remote) -> None:
    # Without `--`, everything after the command's name is the command's (here: its --env),
    # so the strict check, which fails before anything starts, is secretsync's own.
    (Path(".env.example")).write_text("TOKEN=\nMISSING=\n")
    result = run("run", "--strict", "no-such-command-here", "--env", "prod")
    assert result.exit_code == 2
    assert "1 required key missing" in result.stderr and "MISSING" in result.stderr
    result = run("run", "no-such-command-here", "--strict")
    assert result.exit_code == 127  # --strict went to the command, not to secretsync


def test_run_needs_a_command(remote: Remote) -> None:
    result = run("run")
    assert result.exit_code == 2
    assert "Missing argument" in result.stderr


def test_run_and_export_are_in_the_help() -> None:
    result = run("--help")
    assert "run " in result.stdout and "export " in result.stdout
    assert "Run a command with the values in its environment" in result.stdout
