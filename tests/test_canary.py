"""No secret value, nor any 6-character piece of one, in any output of any command.

Distinctive canary values are seeded locally and remotely; every command runs in every format,
with --verbose and --debug, on the happy paths and the error paths, against a real moto server:
through each entry point in this process, and as the installed programs where the process is
the subject (``run``, which starts a command; a --debug traceback of each front).  A positive
control (--show-values) proves the check can fail.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import (
    BACKENDS,
    SECRET,
    Remote,
    program,
    run_in_process,
    run_program,
    write_config,
)
from tests.json_contract import validated
from tests.moto_server import MotoServer, error

LOCAL = {
    "API_KEY": "Qx7Zp2Lm9Vb4Nc8Ks1Hd",
    "DB_PASSWORD": "Wy3Ft6Gj0Rn5Tq1Ue8Io",
    "ONLY_LOCAL": "Jh5Kd2Zs8Pw1Mv4Bq7Xc",
    "QUOTED": "Kk1'Ll2\"Mm3 #Nn4Oo5",
}
REMOTE = {
    "API_KEY": "Pp9Oo8Ii7Uu6Yy5Tt4Rr",
    "DB_PASSWORD": LOCAL["DB_PASSWORD"],
    "ONLY_REMOTE": "Gg3Hh2Jj1Kk0Ll9Zz8Xx",
    "QUOTED": LOCAL["QUOTED"],
}
CANARIES = set(LOCAL.values()) | set(REMOTE.values())
BROKEN_CANARY = "Vv6Bb5Nn4Mm3Cc2Xx1Zz"
JSON_CANARY = "Ee4Rr5Tt6Yy7Uu8Ii9Oo"


def pieces(values: Iterable[str], size: int = 6) -> set[str]:
    out: set[str] = set()
    for value in values:
        for part in value.splitlines():
            out.update(part[i : i + size] for i in range(len(part) - size + 1))
    return out


def leaks(output: str, values: Iterable[str]) -> set[str]:
    return {piece for piece in pieces(values) if piece in output}


def secretsync(project: Path, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return run_in_process(project, *args, **kwargs)


def env_text(values: dict[str, str]) -> str:
    lines = []
    for key, value in values.items():
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'{key}="{escaped}"')
    return "\n".join(lines) + "\n"


@pytest.fixture(params=BACKENDS)
def seeded(request: pytest.FixtureRequest, moto_server: MotoServer, project: Path) -> Remote:
    kind = str(request.param)
    write_config(project, kind)
    (project / ".env").write_text(env_text(LOCAL))
    remote = Remote(kind, moto_server.url)
    remote.seed(REMOTE)
    return remote


READ_ONLY = [
    ["diff"],
    ["diff", "--verbose"],
    ["diff", "--debug"],
    ["diff", "--keys-only"],
    ["diff", "--keys-only", "--verbose", "--show-values"],
    ["status", "--keys-only", "--verbose"],
    ["status"],
    ["status", "--verbose", "--debug"],
    ["push", "--dry-run", "--verbose", "--prune"],
    ["pull", "--dry-run", "--verbose", "--prune"],
    ["push", "--debug"],  # refused: would overwrite API_KEY
    ["pull", "--debug"],  # refused: would overwrite API_KEY
    ["config"],
]
WRITES = [["push", "--force", "--verbose"], ["pull", "--force", "--prune", "--verbose", "--debug"]]


def test_no_value_in_any_output(seeded: Remote, project: Path) -> None:
    outputs = []
    for args in READ_ONLY + WRITES:
        for fmt in ("table", "json"):
            if args == ["config"] and fmt == "json":
                continue
            extra = ["--format", fmt] if args != ["config"] else []
            result = secretsync(project, *args, *extra)
            assert result.returncode in (0, 1), (args, result.stderr)
            if fmt == "json":
                validated(result.stdout)  # exactly one document
            outputs.append((args, fmt, result.stdout + result.stderr))
    for args, fmt, output in outputs:
        assert leaks(output, CANARIES) == set(), (args, fmt)


def test_no_value_from_history_or_rollback(seeded: Remote, project: Path) -> None:
    import datetime
    import time

    time.sleep(0.05)
    moment = datetime.datetime.now(datetime.timezone.utc).isoformat()
    time.sleep(0.05)
    assert secretsync(project, "push", "--force").returncode == 0
    to = "AWSPREVIOUS" if seeded.kind == "secrets_manager" else moment
    outputs = []
    for args in (
        ["history", "--debug"],
        ["history", "API_KEY", "--debug"],
        ["rollback", "--to", to, "--dry-run", "--debug"],
        ["rollback", "--to", to, "--debug"],  # refused: no --force, no terminal
        ["rollback", "--to", to, "--force", "--debug"],
    ):
        for fmt in ("table", "json"):
            result = secretsync(project, *args, "--format", fmt)
            assert result.returncode in (0, 1), (args, result.stderr)
            if fmt == "json":
                validated(result.stdout)
            outputs.append((args, fmt, result.stdout + result.stderr))
    # The rollbacks happened: to a time, twice over, is the same state; to AWSPREVIOUS, the
    # second undoes the first.
    twice = LOCAL if seeded.kind == "secrets_manager" else REMOTE
    assert seeded.values()["API_KEY"] == twice["API_KEY"]
    for args, fmt, output in outputs:
        assert leaks(output, CANARIES) == set(), (args, fmt)


def test_no_value_in_error_output(seeded: Remote, project: Path) -> None:
    (project / ".env").write_text(
        env_text(LOCAL)
        + f"BROKEN: {BROKEN_CANARY}\n"
        + f'UNCLOSED="-----BEGIN KEY-----\n{BROKEN_CANARY}\n{BROKEN_CANARY[::-1]}==\n'
    )
    for args in (["diff"], ["push", "--force", "--debug"], ["pull", "--force", "--debug"]):
        for fmt in ("table", "json"):
            result = secretsync(project, *args, "--format", fmt)
            assert result.returncode == 2
            if fmt == "json":  # the error document: the words of stderr, no value
                assert "line " in validated(result.stdout)["error"]["message"]
            else:
                assert result.stdout == ""
            assert "line " in result.stderr
            assert leaks(result.stdout + result.stderr, CANARIES | {BROKEN_CANARY}) == set()
    for args in (["config"], ["status", "--keys-only"], ["scan"]):
        for given in ([], ["--format", "json"]):
            result = secretsync(project, *args, *given)
            assert result.returncode == 2
            if given:
                validated(result.stdout)
            assert leaks(result.stdout + result.stderr, CANARIES | {BROKEN_CANARY}) == set()


def test_no_value_in_a_relayed_aws_message(
    seeded: Remote, project: Path, moto_server: MotoServer
) -> None:
    # AWS relays its own words only for authorisation errors; were a value ever among them,
    # plain or JSON-escaped, the output would still mask it.
    escaped = json.dumps({"Q": LOCAL["QUOTED"]})
    quoted = f"denied for {LOCAL['API_KEY']} in {escaped}"
    action = "GetSecretValue" if seeded.kind == "secrets_manager" else "GetParametersByPath"
    for args in (["diff"], ["diff", "--debug", "--format", "json"]):
        moto_server.injector.inject(action, error("AccessDeniedException", quoted))
        result = secretsync(project, *args)
        assert result.returncode == 2
        assert "AWS says: denied for" in result.stderr
        if "json" in args:  # the error document relays the same scrubbed words
            assert "AWS says: denied for" in validated(result.stdout)["error"]["message"]
        assert leaks(result.stdout + result.stderr, CANARIES) == set()


def test_no_value_when_aws_refuses_the_write(seeded: Remote, project: Path) -> None:
    invalid = {**LOCAL, "BRACES": "{{" + BROKEN_CANARY + "}}", "HUGE": BROKEN_CANARY * 3500}
    (project / ".env").write_text(env_text(invalid))
    result = secretsync(project, "push", "--force", "--debug")
    assert result.returncode == 2
    assert leaks(result.stdout + result.stderr, CANARIES | {BROKEN_CANARY}) == set()


def test_no_value_when_the_remote_is_not_a_json_object(
    moto_server: MotoServer, project: Path
) -> None:
    write_config(project, "secrets_manager")
    (project / ".env").write_text(env_text(LOCAL))
    remote = Remote("secrets_manager", moto_server.url)
    remote.client.create_secret(Name=SECRET, SecretString=f'{{"A": "{JSON_CANARY}", oops')
    for args in (["diff", "--debug"], ["pull", "--force", "--format", "json", "--debug"]):
        result = secretsync(project, *args)
        assert result.returncode == 2
        assert "is not JSON" in result.stderr
        assert leaks(result.stdout + result.stderr, CANARIES | {JSON_CANARY}) == set()


def test_the_check_can_fail(seeded: Remote, project: Path) -> None:
    result = secretsync(project, "diff", "--show-values")
    assert leaks(result.stdout, CANARIES)


# -- run and export: values only where asked -------------------------------------------------


def run_with(
    project: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``run`` starts a command: the installed program; the others in this process."""
    whole = {**os.environ, **(env or {})}
    if args[0] == "run":
        return run_program(project, *args, env=whole)
    return run_in_process(project, *args, env=whole)


@pytest.mark.usefixtures("processes")
def test_run_reveals_values_only_to_the_command(seeded: Remote, project: Path) -> None:
    (project / ".env.example").write_text("API_KEY=\nNOT_THERE=\n")
    inherited = {"API_KEY": "inherited-not-a-canary", "DB_PASSWORD": "also-inherited"}
    cases = [
        (["run", "--debug", "--", "sh", "-c", "exit 3"], 3),
        (["run", "--source", "merged", "--debug", "--", "true"], 0),
        (["run", "--source", "local", "--", "true"], 0),
        (["run", "--preserve-env", "--debug", "--", "true"], 0),
        (["run", "--pristine", "--", "true"], 0),
        (["run", "--strict", "--debug", "--", "true"], 2),
        (["run", "--debug", "--", "no-such-command-here"], 127),
    ]
    for args, code in cases:
        result = run_with(project, *args, env=inherited)
        assert result.returncode == code, (args, result.stderr)
        assert leaks(result.stdout + result.stderr, CANARIES) == set(), args
    # the control: the command itself sees them
    shown = run_with(project, "run", "--", "sh", "-c", 'printf "%s" "$API_KEY"')
    assert shown.stdout == REMOTE["API_KEY"]


def test_export_reveals_values_only_where_asked(seeded: Remote, project: Path) -> None:
    github_env = project / "github_env"
    for fmt in ("dotenv", "json", "yaml", "shell", "docker", "github"):
        out = project / f"out.{fmt}"
        result = run_with(project, "export", "--format", fmt, "--output", str(out), "--debug")
        assert result.returncode == 0, (fmt, result.stderr)
        output = result.stdout + result.stderr
        if fmt == "github":
            # stdout holds only the mask commands: the values' lines, for the runner to hide
            masks = result.stdout.split("\n")[:-1]
            assert all(line.startswith("::add-mask::") for line in masks)
            output = result.stderr
        assert leaks(output, CANARIES) == set(), fmt
        assert leaks(out.read_text(), set(REMOTE.values())), fmt  # the control: it is there
    errors = [
        ["export", "--keys", "API_KEY,NOPE", "--debug"],
        ["export", "--strict", "--debug"],
        ["export", "--format", "github", "--debug"],  # no $GITHUB_ENV
    ]
    (project / ".env.example").write_text("API_KEY=\nNOT_THERE=\n")
    for args in errors:
        result = run_with(project, *args, env={"GITHUB_ENV": ""})
        assert result.returncode == 2, (args, result.stderr)
        assert leaks(result.stdout + result.stderr, CANARIES) == set(), args
    assert not github_env.exists()


@pytest.mark.usefixtures("processes")
def test_the_leak_guard_names_keys_never_values(seeded: Remote, project: Path) -> None:
    planted = "\n".join([*LOCAL.values(), json.dumps(REMOTE)]) + "\n"
    (project / "leak.py").write_text(planted)
    for args in (
        ["scan"],
        ["scan", "--format", "json"],
        ["scan", "--remote", "--debug"],
        ["scan", "leak.py", "--remote", "--format", "json", "--debug"],
    ):
        result = run_with(project, *args)
        assert result.returncode == 1, (args, result.stderr)
        assert leaks(result.stdout + result.stderr, CANARIES) == set(), args
    for args in (["redact"], ["redact", "--remote", "--debug"]):
        result = subprocess.run(  # redact streams stdin's file descriptor: a process
            [program(), *args],
            cwd=project,
            input=planted,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        expected = CANARIES if "--remote" in args else set(LOCAL.values())
        assert leaks(result.stdout + result.stderr, expected) == set(), args
    shown = run_with(project, "run", "--redact", "--", "sh", "-c", 'printf "%s" "$API_KEY"')
    assert shown.returncode == 0 and shown.stdout == "********"


@pytest.mark.usefixtures("processes")
def test_no_value_in_the_debug_traceback_of_any_installed_front(
    seeded: Remote, project: Path, moto_server: MotoServer
) -> None:
    # A traceback is printed by the process as it dies: the installed programs, each front.
    quoted = f"denied for {LOCAL['API_KEY']} in {json.dumps({'Q': LOCAL['QUOTED']})}"
    action = "GetSecretValue" if seeded.kind == "secrets_manager" else "GetParametersByPath"
    for name, args in (
        ("secretsync", ["diff", "--debug"]),
        ("secretsync-check", ["--debug"]),
        ("secretsync-scan", ["--remote", "--debug"]),
    ):
        moto_server.injector.inject(action, error("AccessDeniedException", quoted))
        result = run_program(project, *args, name=name)
        output = result.stdout + result.stderr
        assert result.returncode == 2, (name, output)
        assert "Traceback" in output, name  # --debug: the traceback is there ...
        assert leaks(output, CANARIES) == set(), name  # ... with no value in it


CONTRACT = """\
required_keys = ["MISSING"]
[keys.API_KEY]
type = "int"
example = "42"
[keys.DB_PASSWORD]
pattern = "[a-z]{3}"
[keys.QUOTED]
choices = ["one", "two"]
[keys."ONLY_*"]
type = "email"
"""


@pytest.mark.parametrize("kind", BACKENDS)
def test_no_value_from_the_key_contract(kind: str, project: Path, moto_server: MotoServer) -> None:
    # Every canary breaks a rule, on both sides: each violation is named, never shown.
    write_config(project, kind, CONTRACT)
    (project / ".env").write_text(env_text(LOCAL))
    Remote(kind, moto_server.url).seed(REMOTE)
    outputs = []
    for args in (
        ["check", "--source", "both"],
        ["check", "--source", "remote", "--debug"],
        ["push", "--force", "--debug"],  # refused by the contract
        ["pull", "--force", "--dry-run"],  # warned about
    ):
        for fmt in ("table", "json"):
            result = secretsync(project, *args, "--format", fmt)
            assert result.returncode == (0 if args[0] == "pull" else 1), (args, result.stderr)
            if fmt == "json":
                validated(result.stdout)
            outputs.append((args, result.stdout + result.stderr))
    for args in (["example"], ["example", "--check"], ["example", "--debug"]):
        result = secretsync(project, *args)
        assert result.returncode == 0, (args, result.stderr)
        outputs.append((args, result.stdout + result.stderr))
    assert leaks((project / ".env.example").read_text(), CANARIES) == set()
    for args, output in outputs:
        assert "API_KEY" in output or args[0] == "example"
        assert leaks(output, CANARIES) == set(), args
