"""The composite GitHub Action (``action.yml``): its steps run as the runner runs them.

A small stand-in for the runner: each step's ``run`` script goes to ``bash --noprofile
--norc -eo pipefail`` (what ``shell: bash`` means), with the step's ``env`` after expression
substitution, and ``$GITHUB_PATH`` / ``$GITHUB_ENV`` / ``$GITHUB_OUTPUT`` files read back
after each step.  The install step really installs secretsync from a copy of this checkout
(as the runner checks out the pinned commit of an action), once per module.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml

from tests.helpers import AWKWARD, Remote, write_config
from tests.json_contract import validated
from tests.moto_server import MotoServer
from tests.test_export_formats import parse_github_env

pytestmark = pytest.mark.usefixtures("processes")  # the Action's steps, as processes

ROOT = Path(__file__).resolve().parent.parent
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
EXAMPLES = ROOT / "examples"


class Runner(NamedTuple):
    action_path: Path
    temp: Path
    path: list[str]  # what earlier steps added to PATH


class StepsResult(NamedTuple):
    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    env: dict[str, str]  # what the steps added to $GITHUB_ENV


def substitute(text: str, inputs: dict[str, str], runner: Runner) -> str:
    def value(match: re.Match[str]) -> str:
        expression = match.group(1).strip()
        if expression == "github.action_path":
            return str(runner.action_path)
        if expression.startswith("inputs."):
            return inputs[expression.removeprefix("inputs.")]
        raise AssertionError(f"unexpected expression {expression}")

    return re.sub(r"\$\{\{(.*?)\}\}", value, text)


def run_steps(
    runner: Runner,
    workdir: Path,
    given: dict[str, str],
    *,
    steps: slice = slice(None),
    extra_env: dict[str, str] | None = None,
) -> StepsResult:
    inputs = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()}
    assert set(given) <= set(inputs), set(given) - set(inputs)
    inputs.update(given)
    files = {
        name: runner.temp / f"{name.lower()}-{os.getpid()}"
        for name in ("GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_PATH")
    }
    added_env: dict[str, str] = {}
    outputs: dict[str, str] = {}
    stdout = stderr = ""
    for step in ACTION["runs"]["steps"][steps]:
        assert step["shell"] == "bash"
        # Inputs reach a script only through the environment: never pasted into it.
        assert "${{" not in step["run"]
        for path in files.values():
            path.write_text("")
        env = {
            **os.environ,
            **(extra_env or {}),
            **added_env,
            "RUNNER_TEMP": str(runner.temp),
            **{name: str(path) for name, path in files.items()},
            **{k: substitute(str(v), inputs, runner) for k, v in step.get("env", {}).items()},
        }
        env["PATH"] = os.pathsep.join([*reversed(runner.path), env["PATH"]])
        script = runner.temp / "step.sh"
        script.write_text(step["run"])
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        stdout, stderr = stdout + result.stdout, stderr + result.stderr
        runner.path.extend(files["GITHUB_PATH"].read_text().splitlines())
        added_env.update(parse_github_env(files["GITHUB_ENV"].read_bytes().decode()))
        if step.get("id"):
            outputs.update(parse_github_env(files["GITHUB_OUTPUT"].read_text()))
        if result.returncode != 0:
            return StepsResult(result.returncode, stdout, stderr, outputs, added_env)
    return StepsResult(0, stdout, stderr, outputs, added_env)


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    """The action checked out (a copy of this work tree's files) and its install step run."""
    base = tmp_path_factory.mktemp("action")
    checkout = base / "secretsync-hooks"
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (checkout / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, checkout / name)
    temp = base / "runner-temp"
    temp.mkdir()
    runner = Runner(checkout, temp, [])
    installed = run_steps(runner, base, {"python": sys.executable}, steps=slice(0, 1))
    assert installed.code == 0, installed.stderr
    assert runner.path == [str(temp / "secretsync-venv" / "bin")]
    yield runner


def run_action(
    runner: Runner, workdir: Path, inputs: dict[str, str], env: dict[str, str] | None = None
) -> StepsResult:
    """Run the action's steps after the install step, with ``inputs`` (``with:``)."""
    return run_steps(runner, workdir, inputs, steps=slice(1, None), extra_env=env)


def test_the_default_command_checks_key_names_and_reports_the_exit_code(
    runner: Runner, moto_server: MotoServer, project: Path
) -> None:
    write_config(project, "secrets_manager")
    Remote("secrets_manager", moto_server.url).seed({"API_TOKEN": "tok-1", "DB": "db-1"})
    (project / ".env.example").write_text("API_TOKEN=\nDB=\n")
    result = run_action(runner, project, {"env-file": ".env.example"})
    assert result.code == 0, result.stderr
    assert result.outputs == {"exit-code": "0"}
    (project / ".env.example").write_text("API_TOKEN=\nDB=\nNEW_KEY=\n")
    result = run_action(runner, project, {"env-file": ".env.example"})
    assert result.code == 1
    assert result.outputs == {"exit-code": "1"}
    assert "NEW_KEY" in result.stdout


def test_export_github_gives_later_steps_the_values_and_masks_them(
    runner: Runner, moto_server: MotoServer, project: Path
) -> None:
    write_config(project, "parameter_store", 'plain_keys = ["GLOB"]\n')
    Remote("parameter_store", moto_server.url).seed(AWKWARD)
    result = run_action(runner, project, {"command": "export --format github"})
    assert result.code == 0, result.stderr
    assert result.env == AWKWARD
    masks = result.stdout.split("\n")[:-1]
    assert masks and all(line.startswith("::add-mask::") for line in masks)
    assert "::add-mask::*" not in masks


def test_inputs_are_words_never_shell_code(
    runner: Runner, moto_server: MotoServer, project: Path
) -> None:
    write_config(project, "secrets_manager")
    Remote("secrets_manager", moto_server.url).seed({"A": "alpha-1"})
    result = run_action(runner, project, {"command": "diff $(touch pwned-command) `id`"})
    assert result.code == 2
    assert "unexpected extra arguments ($(touch pwned-command) `id`)" in result.stderr
    result = run_action(runner, project, {"environment": "`touch pwned-env`$(id)"})
    assert result.code == 2
    assert "no environment named '`touch pwned-env`$(id)'" in result.stderr
    result = run_action(runner, project, {"env-file": "$(touch pwned-file)"})
    assert result.code == 1  # a file of that name does not exist: every key remote-only
    assert not list(project.glob("pwned*"))


def test_report_and_named_environment(
    runner: Runner, moto_server: MotoServer, project: Path
) -> None:
    shutil.copy(EXAMPLES / "environments.secretsync.toml", project / ".secretsync.toml")
    Remote("secrets_manager", moto_server.url).client.create_secret(
        Name="myapp/staging", SecretString=json.dumps({"DATABASE_URL": "x", "API_TOKEN": "y"})
    )
    (project / ".env.example").write_text("DATABASE_URL=\nAPI_TOKEN=\n")
    result = run_action(
        runner,
        project,
        {
            "command": "diff --keys-only --format json",
            "environment": "staging",
            "env-file": ".env.example",
            "report": "report.json",
        },
        {"SECRETSYNC_PROFILE": ""},
    )
    assert result.code == 0, result.stderr
    report = validated((project / "report.json").read_text())
    assert report["in_sync"] is True and report["environment"] == "staging"


def example_step(name: str, marker: str) -> tuple[dict[str, Any], dict[str, Any]]:
    workflow = yaml.safe_load((EXAMPLES / name).read_text())
    [job] = workflow["jobs"].values()
    [step] = [
        s
        for s in job["steps"]
        if s.get("uses", "").startswith("secretsync/") and marker in s["with"]["command"]
    ]
    return job, step


def test_the_shipped_drift_check_workflow_runs_with_the_shipped_config(
    runner: Runner, moto_server: MotoServer, project: Path
) -> None:
    # The example config pins profile = "prod-readonly" for people; the workflow gets OIDC
    # credentials from configure-aws-credentials, which also sets AWS_REGION.
    shutil.copy(EXAMPLES / "environments.secretsync.toml", project / ".secretsync.toml")
    (project / ".env.example").write_text("DATABASE_URL=\nAPI_TOKEN=\n")
    job, step = example_step("github-actions-drift-check.yml", "diff")
    secrets = {"dev": "myapp/dev", "staging": "myapp/staging", "prod": "myapp/production"}
    matrix = job["strategy"]["matrix"]["include"]
    assert {entry["environment"] for entry in matrix} == set(secrets)
    for entry in matrix:
        Remote("secrets_manager", moto_server.url, region=entry["region"]).client.create_secret(
            Name=secrets[entry["environment"]],
            SecretString='{"DATABASE_URL": "x", "API_TOKEN": "y"}',
        )
    for entry in matrix:
        given = {k: str(v) for k, v in step["with"].items()}
        for k in given:
            for name, value in entry.items():
                given[k] = given[k].replace("${{ matrix." + name + " }}", value)
        env = {
            **{k: str(v) for k, v in job["env"].items()},
            "AWS_REGION": entry["region"],
            "AWS_DEFAULT_REGION": entry["region"],
        }
        result = run_action(runner, project, given, env)
        assert result.code == 0, (entry, result.stderr)
        report = validated((project / given["report"]).read_text())
        assert report["in_sync"] is True and report["region"] == entry["region"]
        assert "overrides region" not in result.stderr


def test_the_shipped_export_workflow_runs_with_the_shipped_config(
    runner: Runner, moto_server: MotoServer, project: Path
) -> None:
    shutil.copy(EXAMPLES / "environments.secretsync.toml", project / ".secretsync.toml")
    (project / ".env.example").write_text("DATABASE_URL=\nAPI_TOKEN=\n")
    job, step = example_step("github-actions-export.yml", "export")
    region = next(
        s["with"]["aws-region"]
        for s in job["steps"]
        if "configure-aws-credentials" in s.get("uses", "")
    )
    values = {"DATABASE_URL": "postgres://app:pw-123@db/app", "API_TOKEN": "tok-123"}
    Remote("secrets_manager", moto_server.url, region=region).client.create_secret(
        Name="myapp/production", SecretString=json.dumps(values)
    )
    env = {**{k: str(v) for k, v in job["env"].items()}, "AWS_REGION": region}
    result = run_action(runner, project, step["with"], env)
    assert result.code == 0, result.stderr
    assert result.env == values
    assert "::add-mask::tok-123" in result.stdout.splitlines()
    # --strict: a key of .env.example missing from AWS fails the step, before any value moves
    (project / ".env.example").write_text("DATABASE_URL=\nAPI_TOKEN=\nNEW_KEY=\n")
    result = run_action(runner, project, step["with"], env)
    assert result.code == 2
    assert "1 required key missing" in result.stderr and result.env == {}


def test_a_command_on_several_lines_is_refused_not_cut(
    runner: Runner, moto_server: MotoServer, project: Path
) -> None:
    write_config(project, "secrets_manager")
    Remote("secrets_manager", moto_server.url).seed({"A": "alpha-1"})
    for command in ("export --format github\n--strict", "diff\r--keys-only"):
        result = run_action(runner, project, {"command": command})
        assert result.code == 2
        assert result.outputs == {"exit-code": "2"}
        assert "the command input holds a line break" in result.stderr
        assert result.env == {} and "::add-mask::" not in result.stdout


@pytest.mark.parametrize(
    "command",
    [
        "export --format github",
        "--env default export --format json",
        "diff --show-values",
        "run -- printenv A",
    ],
)
def test_a_report_never_receives_values_or_the_runners_masks(
    command: str, runner: Runner, moto_server: MotoServer, project: Path
) -> None:
    write_config(project, "secrets_manager")
    Remote("secrets_manager", moto_server.url).seed({"A": "alpha-value-1"})
    (project / ".env").write_text("A=alpha-value-1\n")
    result = run_action(runner, project, {"command": command, "report": "report.txt"})
    assert result.code == 2
    assert result.outputs == {"exit-code": "2"}
    assert "report cannot be used with" in result.stderr
    assert not (project / "report.txt").exists()
    assert result.env == {}


def test_a_report_that_cannot_be_written_is_an_error_not_drift(
    runner: Runner, moto_server: MotoServer, project: Path
) -> None:
    write_config(project, "secrets_manager")
    Remote("secrets_manager", moto_server.url).seed({"A": "alpha-1"})
    (project / ".env.example").write_text("A=\n")
    result = run_action(
        runner,
        project,
        {"env-file": ".env.example", "report": str(project / "no-such-dir" / "report.json")},
    )
    assert result.code == 2
    assert result.outputs == {"exit-code": "2"}
    assert "cannot write the report file" in result.stderr
