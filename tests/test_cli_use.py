"""``run`` and ``export`` through click's CliRunner, against in-process moto: the paths that
end before a command is started (``run`` would replace the test process after that)."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from dotenv import dotenv_values

from secretsync_hooks.cli.main import cli
from tests.helpers import BACKENDS, Remote, write_config
from tests.test_export_formats import parse_docker_env_file, parse_github_env

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


# -- what a repository's values cannot choose ------------------------------------------------

LOADERS = {"PATH": "./bin:/usr/bin", "BASH_ENV": "./evil.sh", "LD_PRELOAD": "./evil.so"}
SHELL_LINE = re.compile(r"^export ([A-Za-z_][A-Za-z0-9_]*)=", re.MULTILINE)


def exported_names(fmt: str, *args: str) -> tuple[set[str], str]:
    """The names ``export --format fmt`` hands on, read as the format's consumer reads them,
    and what it said on stderr."""
    output = Path("exported.out")
    output.unlink(missing_ok=True)
    result = run("export", "--format", fmt, "--output", str(output), *args)
    assert result.exit_code == 0, result.stderr
    written = output.read_text()
    if fmt == "shell":
        return set(SHELL_LINE.findall(written)), result.stderr
    if fmt == "dotenv":
        return set(dotenv_values(stream=io.StringIO(written), interpolate=False)), result.stderr
    if fmt == "docker":
        return set(parse_docker_env_file(written)), result.stderr
    if fmt == "github":
        return set(parse_github_env(written)), result.stderr
    return set(json.loads(written) if fmt == "json" else yaml.safe_load(written)), result.stderr


def held_back(stderr: str) -> set[str]:
    """The names the warning says were held back (none without a warning)."""
    found = re.search(r"held back (.*?): ", stderr)
    return set(found.group(1).split(", ")) if found else set()


@pytest.mark.parametrize("fmt", ["shell", "github", "docker", "dotenv"])
def test_export_holds_back_loader_variables_where_the_format_sets_variables(
    remote: Remote, fmt: str
) -> None:
    for key, value in LOADERS.items():
        remote.set(key, value)
    names, stderr = exported_names(fmt)
    assert names == set(VALUES)
    assert held_back(stderr) == set(LOADERS)
    assert f"the {fmt} format sets no variable" in stderr and "--allow-env NAME" in stderr
    assert not any(value in stderr for value in [*LOADERS.values(), *VALUES.values()])
    allowed = [arg for key in LOADERS for arg in ("--allow-env", key)]
    names, stderr = exported_names(fmt, *allowed)
    assert names == set(VALUES) | set(LOADERS)
    assert held_back(stderr) == set()
    # one let through, the others still held back; from the .env just the same
    names, stderr = exported_names(fmt, "--allow-env", "LD_PRELOAD", "--source", "merged")
    assert names == set(VALUES) | {"LOCAL_ONLY", "LD_PRELOAD"}
    assert held_back(stderr) == {"PATH", "BASH_ENV"}


def test_export_json_and_yaml_are_complete_documents(remote: Remote) -> None:
    for key, value in LOADERS.items():
        remote.set(key, value)
    for fmt in ("json", "yaml"):
        names, stderr = exported_names(fmt)
        assert names == set(VALUES) | set(LOADERS)
        assert "held back" not in stderr
    # and --allow-env is an option of export at all
    assert exported_names("json", "--allow-env", "PATH")[0] == set(VALUES) | set(LOADERS)


@pytest.mark.parametrize("command", [["run", "--allow-env"], ["export", "--allow-env"]])
def test_allow_env_takes_a_variable_name(remote: Remote, command: list[str]) -> None:
    for name in ("A-B", "", "PATH=x"):
        args = [*command, name, *(["--", "true"] if command[0] == "run" else [])]
        result = run(*args)
        assert result.exit_code == 2
        assert "is not an environment variable name" in result.stderr
        assert result.stdout == ""


def test_export_output_is_never_the_env_file_nor_the_config(remote: Remote, project: Path) -> None:
    config = (project / ".secretsync.toml").read_text()
    (project / "hard-link").hardlink_to(project / ".env")
    cases = {
        ".env": "is the .env file",
        "hard-link": "is the .env file",
        "./sub/../.secretsync.toml": "is the config file",
    }
    for fmt in ("dotenv", "json", "yaml", "shell", "github", "docker"):
        for path, message in cases.items():
            result = run("export", "--format", fmt, "--output", path)
            assert result.exit_code == 2, (fmt, path)
            assert f"--output {path} {message}" in result.stderr
            assert "nothing was written" in result.stderr
            assert result.stdout == ""  # not even GitHub's masks: nothing was read
            assert (project / ".env").read_text() == ENV
            assert (project / ".secretsync.toml").read_text() == config
    result = run("export", "--format", "github", "--output", ".env")
    assert "--format github would append blocks to it that no .env reader can parse" in (
        result.stderr
    )
