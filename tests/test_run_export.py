"""``run`` and ``export`` against a moto server: ``run`` (which starts a command) through the
installed ``secretsync``; ``export`` through its entry point in this process, and the
installed program where a terminal is the subject."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from dotenv import dotenv_values

from tests.helpers import (
    AWKWARD,
    BACKENDS,
    Remote,
    in_a_terminal,
    run_in_process,
    run_program,
    write_config,
)
from tests.moto_server import MotoServer
from tests.test_e2e_cli import secretsync_program
from tests.test_export_formats import parse_docker_env_file, parse_github_env, read_back_in_shell


def secretsync(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``run`` starts a command: the installed program; ``export`` in this process."""
    ours = args[: args.index("--")] if "--" in args else args
    if "run" in ours:
        return run_program(project, *args)
    return run_in_process(project, *args)


# A child that writes its environment, process id and command line where the test reads them.
SPY = (
    "import json, os, sys\n"
    "cmdline = open('/proc/self/cmdline', 'rb').read().decode('utf-8', 'replace')\n"
    "json.dump({'env': dict(os.environ), 'pid': os.getpid(), 'cmdline': cmdline},"
    " open(sys.argv[1], 'w'))\n"
)
STAGING = "myapp/staging"
STAGING_PATH = "/myapp/staging/"


def spy(
    project: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], dict[str, object] | None]:
    out = project / "spy.json"
    out.unlink(missing_ok=True)
    result = subprocess.run(
        [secretsync_program(), *args, sys.executable, "-c", SPY, str(out)],
        cwd=project,
        env=env or dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    seen = json.loads(out.read_text()) if out.exists() else None
    return result, seen


@pytest.fixture(params=BACKENDS)
def seeded(request: pytest.FixtureRequest, moto_server: MotoServer, project: Path) -> Remote:
    kind = str(request.param)
    write_config(project, kind)
    remote = Remote(kind, moto_server.url)
    remote.seed(AWKWARD)
    return remote


@pytest.mark.usefixtures("processes")
def test_run_passes_every_value_exactly_and_only_in_the_environment(
    seeded: Remote, project: Path
) -> None:
    (project / ".env").write_text("LOCAL_ONLY=from-the-file\n")
    before = (project / ".env").read_bytes()
    state = sorted(Path(os.environ["XDG_STATE_HOME"]).rglob("*"))
    result, seen = spy(project, "run", "--")
    assert result.returncode == 0, result.stderr
    assert seen is not None
    env = seen["env"]
    assert isinstance(env, dict)
    assert {k: env[k] for k in AWKWARD} == AWKWARD
    assert "LOCAL_ONLY" not in env  # the default source is the remote only
    # The program replaced secretsync: same process, and no value on its command line.
    assert isinstance(seen["cmdline"], str)
    assert not any(v in seen["cmdline"] for v in AWKWARD.values() if len(v) > 3)
    assert result.stdout == ""
    assert not any(v in result.stderr for v in AWKWARD.values() if len(v) > 3)
    # Nothing written: not the .env, not a record of the last sync, no file in the project.
    assert (project / ".env").read_bytes() == before
    assert sorted(Path(os.environ["XDG_STATE_HOME"]).rglob("*")) == state
    assert not list(project.glob("pwned*"))


@pytest.mark.usefixtures("processes")
def test_run_replaces_the_process_and_signals_reach_the_command(
    seeded: Remote, project: Path
) -> None:
    ready = project / "ready"
    child = (
        "import os, signal, sys, time\n"
        "signal.signal(signal.SIGTERM, lambda *a: sys.exit(42))\n"
        f"open({str(ready)!r}, 'w').write(str(os.getpid()))\n"
        "time.sleep(30)\n"
    )
    proc = subprocess.Popen(
        [secretsync_program(), "run", "--", sys.executable, "-c", child], cwd=project
    )
    deadline = time.monotonic() + 30
    while not (ready.exists() and ready.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert int(ready.read_text()) == proc.pid  # exec: the command is the process we started
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 42


@pytest.mark.usefixtures("processes")
def test_run_returns_the_commands_exit_status_and_outlives_the_deadline(
    seeded: Remote, project: Path
) -> None:
    result = secretsync(project, "run", "--timeout", "1", "--", "sh", "-c", "sleep 1.5; exit 7")
    assert result.returncode == 7, result.stderr  # no alarm left to kill the command
    killed = secretsync(project, "run", "--", "sh", "-c", "kill -TERM $$")
    assert killed.returncode == -signal.SIGTERM


@pytest.mark.usefixtures("processes")
def test_run_starts_the_command_with_default_signal_handling(seeded: Remote, project: Path) -> None:
    # Python ignores SIGPIPE; an ignored signal stays ignored across exec, so `yes | head`
    # would print "Broken pipe" errors.  The command gets what a shell would give it.
    direct = subprocess.run(["cat", "/proc/self/status"], capture_output=True, text=True)
    via = secretsync(project, "run", "--", "cat", "/proc/self/status")

    def masks(status: str) -> dict[str, str]:
        return {
            line.split(":")[0]: line.split()[1]
            for line in status.splitlines()
            if line.startswith(("SigIgn", "SigBlk"))
        }

    assert masks(via.stdout) == masks(direct.stdout)
    piped = secretsync(project, "run", "--", "sh", "-c", "yes | head -n 1")
    assert (piped.returncode, piped.stdout, piped.stderr) == (0, "y\n", "")


@pytest.mark.usefixtures("processes")
def test_run_command_not_found_and_not_executable(seeded: Remote, project: Path) -> None:
    missing = secretsync(project, "run", "--", "no-such-command-here")
    assert missing.returncode == 127
    assert missing.stderr == "secretsync: error: no-such-command-here: command not found\n"
    script = project / "script.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    denied = secretsync(project, "run", "--", "./script.sh")
    assert denied.returncode == 126
    assert denied.stderr.startswith("secretsync: error: ./script.sh: not executable")
    directory = secretsync(project, "run", "--", str(project))
    assert directory.returncode == 126
    assert "is a directory" in directory.stderr
    script.chmod(0o755)
    assert secretsync(project, "run", "--", "./script.sh").stdout == "hi\n"


@pytest.mark.usefixtures("processes")
def test_run_overrides_inherited_variables_unless_preserve_env(
    seeded: Remote, project: Path
) -> None:
    inherited = {**os.environ, "SPACES": "inherited-value", "UNRELATED": "kept"}
    result, seen = spy(project, "run", "--", env=inherited)
    assert seen is not None and isinstance(seen["env"], dict)
    assert seen["env"]["SPACES"] == AWKWARD["SPACES"]
    assert seen["env"]["UNRELATED"] == "kept"
    result, seen = spy(project, "run", "--preserve-env", "--", env=inherited)
    assert seen is not None and isinstance(seen["env"], dict)
    assert seen["env"]["SPACES"] == "inherited-value"
    assert seen["env"]["SUBST"] == AWKWARD["SUBST"]
    assert "kept the inherited SPACES (--preserve-env)" in result.stderr
    assert "inherited-value" not in result.stderr


@pytest.mark.usefixtures("processes")
def test_run_pristine_keeps_only_the_values_and_what_a_program_needs(
    seeded: Remote, project: Path
) -> None:
    inherited = {**os.environ, "UNRELATED": "dropped", "LC_TIME": "C", "TERM": "xterm"}
    result, seen = spy(project, "run", "--pristine", "--", env=inherited)
    assert result.returncode == 0, result.stderr
    assert seen is not None and isinstance(seen["env"], dict)
    extra = set(seen["env"]) - set(AWKWARD)
    assert "UNRELATED" not in extra and "AWS_ENDPOINT_URL" not in extra
    assert {"PATH", "HOME", "LC_TIME", "TERM"} <= extra
    assert extra <= {
        "PATH",
        "HOME",
        "USER",
        "LOGNAME",
        "SHELL",
        "TERM",
        "LANG",
        "TZ",
        "TMPDIR",
        "LC_CTYPE",
        "LC_ALL",
        "LC_TIME",
    }


@pytest.mark.usefixtures("processes")
def test_run_strict_requires_the_example_keys(seeded: Remote, project: Path) -> None:
    (project / ".env.example").write_text("SUBST=\nMISSING_ONE=\nMISSING_TWO=placeholder\n")
    result, seen = spy(project, "run", "--strict", "--")
    assert result.returncode == 2
    assert seen is None  # not started
    assert "2 required keys missing" in result.stderr
    assert "MISSING_ONE, MISSING_TWO" in result.stderr and ".env.example" in result.stderr
    (project / ".env.example").write_text("SUBST=\nGLOB=\n")
    result, seen = spy(project, "run", "--strict", "--")
    assert result.returncode == 0, result.stderr and seen is not None


@pytest.mark.usefixtures("processes")
def test_run_strict_prefers_required_keys_from_the_config(seeded: Remote, project: Path) -> None:
    write_config(project, seeded.kind, 'required_keys = ["SUBST", "DATABASE_URL"]\n')
    (project / ".env.example").write_text("SUBST=\n")
    result, seen = spy(project, "run", "--strict", "--")
    assert result.returncode == 2 and seen is None
    assert "1 required key missing or empty (required in" in result.stderr
    assert "DATABASE_URL" in result.stderr


@pytest.mark.usefixtures("processes")
def test_run_without_any_list_of_required_keys_says_so(seeded: Remote, project: Path) -> None:
    result, seen = spy(project, "run", "--strict", "--")
    assert result.returncode == 2 and seen is None
    assert "--strict needs the list of required keys" in result.stderr


@pytest.mark.usefixtures("processes")
def test_run_sources_local_and_merged(seeded: Remote, project: Path) -> None:
    (project / ".env").write_text("SUBST=local-override\nLOCAL_ONLY=from-the-file\n")
    result, seen = spy(project, "run", "--source", "merged", "--")
    assert seen is not None and isinstance(seen["env"], dict), result.stderr
    assert seen["env"]["SUBST"] == "local-override"
    assert seen["env"]["LOCAL_ONLY"] == "from-the-file"
    assert seen["env"]["GLOB"] == "*"
    # local: the .env alone, and AWS is never asked (its endpoint is dead here)
    dead = {**os.environ, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
    result, seen = spy(project, "run", "--source", "local", "--", env=dead)
    assert result.returncode == 0, result.stderr
    assert seen is not None and isinstance(seen["env"], dict)
    assert seen["env"]["LOCAL_ONLY"] == "from-the-file" and "GLOB" not in seen["env"]
    (project / ".env").unlink()
    result, seen = spy(project, "run", "--source", "local", "--")
    assert result.returncode == 2 and seen is None
    assert ".env: no such file" in result.stderr


@pytest.mark.usefixtures("processes")
def test_run_named_environment(moto_server: MotoServer, project: Path) -> None:
    for kind in BACKENDS:
        extra = (
            f'[environments.staging.secrets_manager]\nsecret_name = "{STAGING}"\n'
            f'[environments.staging.parameter_store]\npath = "{STAGING_PATH}"\n'
        )
        config = write_config(project, kind)
        config.write_text(config.read_text() + extra)
        remote = Remote(kind, moto_server.url)
        staging = {"WHERE": f"staging-{kind}"}
        if kind == "secrets_manager":
            remote.client.create_secret(Name=STAGING, SecretString=json.dumps(staging))
        else:
            remote.client.put_parameter(
                Name=STAGING_PATH + "WHERE", Value=staging["WHERE"], Type="SecureString"
            )
        for args in (["run", "--env", "staging", "--"], ["--env", "staging", "run", "--"]):
            result, seen = spy(project, *args)
            assert result.returncode == 0, result.stderr
            assert seen is not None and isinstance(seen["env"], dict)
            assert seen["env"]["WHERE"] == f"staging-{kind}"


@pytest.mark.usefixtures("processes")
def test_run_refuses_nul_and_skips_names_no_environment_holds(
    moto_server: MotoServer, project: Path
) -> None:
    write_config(project, "secrets_manager")
    remote = Remote("secrets_manager", moto_server.url)
    remote.seed({"GOOD": "good-value", "not-a-name": "skipped-value", "BAD": "a\0b"})
    result, seen = spy(project, "run", "--")
    assert result.returncode == 2 and seen is None
    assert "the value of BAD contains a NUL character" in result.stderr
    assert "a\0b" not in result.stderr
    remote.put_document({"GOOD": "good-value", "not-a-name": "skipped-value"})
    result, seen = spy(project, "run", "--")
    assert result.returncode == 0 and seen is not None and isinstance(seen["env"], dict)
    assert "skipped not-a-name: not valid environment variable names" in result.stderr
    assert "not-a-name" not in seen["env"]
    assert "skipped-value" not in result.stderr


@pytest.mark.usefixtures("processes")
def test_run_against_a_remote_that_does_not_exist(moto_server: MotoServer, project: Path) -> None:
    for kind in BACKENDS:
        write_config(project, kind)
        result, seen = spy(project, "run", "--")
        assert result.returncode == 2 and seen is None
        assert "does not exist in us-east-1" in result.stderr


# -- export ------------------------------------------------------------------------------------


def exported(project: Path, *args: str) -> str:
    """The export's stdout, exactly (no newline translation: a value may hold \r\n)."""
    result = run_in_process(project, "export", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_every_format_is_read_back_exactly_by_its_consumer(
    seeded: Remote, project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp_path = tmp_path_factory.mktemp("shell")
    values = AWKWARD
    assert json.loads(exported(project, "--format", "json")) == values
    assert yaml.safe_load(exported(project, "--format", "yaml")) == values
    dotenv_text = exported(project, "--format", "dotenv")
    assert dotenv_values(stream=io.StringIO(dotenv_text), interpolate=False) == values
    assert exported(project) == dotenv_text  # dotenv is the default
    shell_text = exported(project, "--format", "shell")
    assert read_back_in_shell("bash", shell_text, list(values), tmp_path) == values
    single = [k for k, v in values.items() if "\n" not in v]
    docker_text = exported(project, "--format", "docker", "--keys", ",".join(single))
    assert parse_docker_env_file(docker_text) == {k: values[k] for k in single}
    assert list(tmp_path.iterdir()) == [] and not list(project.glob("pwned*"))


def test_export_to_a_file_is_atomic_and_private(seeded: Remote, project: Path) -> None:
    out = project / "out" / "values.json"
    out.parent.mkdir()
    result = secretsync(project, "export", "--format", "json", "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert f"wrote {len(AWKWARD)} keys to {out}" in result.stderr
    assert json.loads(out.read_text()) == AWKWARD
    assert out.stat().st_mode & 0o777 == 0o600
    out.chmod(0o644)
    secretsync(project, "export", "--format", "json", "--output", str(out))
    assert out.stat().st_mode & 0o777 == 0o600  # rewritten private, whatever it was
    assert [p.name for p in out.parent.iterdir()] == ["values.json"]  # no temporary left


def test_export_selects_keys(seeded: Remote, project: Path) -> None:
    assert json.loads(exported(project, "--format", "json", "--keys", "GLOB, TAB")) == {
        "GLOB": "*",
        "TAB": "a\tb",
    }
    result = secretsync(project, "export", "--keys", "GLOB,NOPE")
    assert result.returncode == 2
    assert "--keys names keys that are not there: NOPE" in result.stderr
    assert result.stdout == ""


def test_docker_format_refuses_a_multi_line_value_by_name(seeded: Remote, project: Path) -> None:
    out = project / "docker.env"
    result = secretsync(project, "export", "--format", "docker", "--output", str(out))
    assert result.returncode == 2
    assert "the value of NEWLINE holds a line break" in result.stderr
    assert not out.exists() and result.stdout == ""


def export_github(project: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_in_process(project, "export", "--format", "github", env=env)


def test_github_format_appends_to_github_env_and_masks_each_line(
    seeded: Remote, project: Path, moto_server: MotoServer
) -> None:
    write_config(project, seeded.kind, 'plain_keys = ["GLOB", "TAB"]\n')
    github_env = project / "github_env"
    github_env.write_text("EARLIER=step\n")
    result = export_github(project, {**os.environ, "GITHUB_ENV": str(github_env)})
    assert result.returncode == 0, result.stderr
    assert parse_github_env(github_env.read_bytes().decode()) == {"EARLIER": "step", **AWKWARD}
    masks = result.stdout.split("\n")[:-1]  # the runner's lines (not str.splitlines's)
    assert all(line.startswith("::add-mask::") for line in masks)
    masked = {line.removeprefix("::add-mask::") for line in masks}
    assert "line one" in masked and "$(touch pwned-newline)" in masked  # line by line
    assert "first" in masked and "second" in masked  # \r\n splits too
    assert "100%25 %250A %2525" in masked  # escaped as workflow command data
    assert "*" not in masked and "a\tb" not in masked  # plain_keys stay readable
    # nothing but the mask commands on stdout, and no value on stderr
    assert not any(v in result.stderr for v in AWKWARD.values() if len(v) > 3)


def test_github_format_without_github_env_is_an_error(seeded: Remote, project: Path) -> None:
    result = export_github(project, {k: v for k, v in os.environ.items() if k != "GITHUB_ENV"})
    assert result.returncode == 2
    assert "$GITHUB_ENV, which is not set" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("fmt", ["dotenv", "github"])
@pytest.mark.usefixtures("processes")
def test_export_writes_values_to_a_terminal_only_with_show_values(
    seeded: Remote, project: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ENV", str(project / "github_env"))
    code, output = in_a_terminal(
        project, [secretsync_program(), "export", "--format", fmt], b"", after=b"\0"
    )
    assert code == 2
    assert "stdout is a terminal; nothing was written" in output
    assert AWKWARD["SPACES"] not in output and "pwned" not in output
    assert not (project / "github_env").exists()
    code, output = in_a_terminal(
        project,
        [secretsync_program(), "export", "--show-values", "--keys", "GLOB,SPACES"],
        b"",
        after=b"\0",
    )
    assert code == 0
    assert AWKWARD["SPACES"] in output


def test_export_warns_when_git_would_commit_the_file(tmp_path: Path) -> None:
    from tests.helpers import GIT_IDENTITY

    repo = tmp_path / "repo"
    repo.mkdir()
    env = {**os.environ, **GIT_IDENTITY}

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)

    git("init", "-q")
    write_config(repo, "secrets_manager")
    (repo / ".env").write_text("API_TOKEN=Zq4Wc8Lp2Nx\n")
    (repo / ".gitignore").write_text(".env\n")

    def export(output: Path) -> str:
        result = run_in_process(repo, "export", "--source", "local", "-o", str(output), env=env)
        assert result.returncode == 0, result.stderr
        assert "Zq4Wc8Lp2Nx" not in result.stderr
        return result.stderr

    warning = "is in a git work tree and not ignored: `git add` would commit the values in it"
    assert warning in export(repo / "values.env")
    (repo / ".gitignore").write_text(".env\nvalues.env\n")
    assert warning not in export(repo / "values.env")
    git("add", "-f", "values.env")  # tracked, though ignored: `git commit -a` takes it
    assert warning in export(repo / "values.env")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    assert warning not in export(outside / "values.env")


# -- what a repository's values cannot choose: the program, its libraries, where it writes -----


def local_project(project: Path, env_text: str) -> None:
    """A project whose values come from its .env (``--source local``): no AWS needed."""
    write_config(project, "secrets_manager")
    (project / ".env").write_text(env_text)


def fake_program(path: Path, marker: Path) -> None:
    path.parent.mkdir(exist_ok=True)
    path.write_text(f"#!/bin/sh\ntouch {marker}\n")
    path.chmod(0o755)


@pytest.mark.usefixtures("processes")
def test_run_finds_the_command_on_the_callers_path_not_the_envs(project: Path) -> None:
    marker = project / "pwned-ls"
    fake_program(project / "bin" / "ls", marker)
    local_project(project, "PATH=./bin:/usr/bin:/bin\nTOKEN=Zq4Wc8Lp2Nx\n")
    result = secretsync(project, "run", "--source", "local", "--", "ls")
    assert result.returncode == 0, result.stderr
    assert not marker.exists()  # the real ls ran
    assert "bin" in result.stdout.split()
    assert "held back PATH:" in result.stderr and "--allow-env NAME" in result.stderr
    assert "./bin" not in result.stderr and "Zq4Wc8Lp2Nx" not in result.stderr
    # Let through, PATH reaches the command, which is still looked up on the caller's PATH.
    result = secretsync(project, "run", "--source", "local", "--allow-env", "PATH", "--", "ls")
    assert result.returncode == 0, result.stderr
    assert not marker.exists()
    assert "held back" not in result.stderr
    result, seen = spy(project, "run", "--source", "local", "--allow-env", "PATH", "--")
    assert seen is not None and isinstance(seen["env"], dict), result.stderr
    assert seen["env"]["PATH"] == "./bin:/usr/bin:/bin"


@pytest.mark.usefixtures("processes")
def test_run_never_starts_a_shell_with_a_bash_env_from_the_values(project: Path) -> None:
    marker = project / "pwned-bash-env"
    (project / "evil.sh").write_text(f"touch {marker}\n")
    local_project(project, "BASH_ENV=./evil.sh\nTOKEN=Zq4Wc8Lp2Nx\n")
    command = ["run", "--source", "local", "--", "bash", "-c", 'echo "hi $TOKEN"']
    result = secretsync(project, *command)
    assert (result.returncode, result.stdout) == (0, "hi Zq4Wc8Lp2Nx\n"), result.stderr
    assert not marker.exists()
    assert "held back BASH_ENV:" in result.stderr and "./evil.sh" not in result.stderr
    # the escape: named on the command line, it passes (and bash runs the script)
    allowed = secretsync(
        project, "run", "--source", "local", "--allow-env", "BASH_ENV", *command[3:]
    )
    assert allowed.returncode == 0, allowed.stderr
    assert marker.exists()


@pytest.mark.usefixtures("processes")
def test_run_holds_back_loader_variables_from_the_remote(
    moto_server: MotoServer, project: Path
) -> None:
    # A sitecustomize.py on the PYTHONPATH would run before the spy (itself Python).
    planted = project / "planted"
    planted.mkdir()
    (planted / "sitecustomize.py").write_text(f"open({str(project / 'pwned-py')!r}, 'w')\n")
    remote_values = {
        "PYTHONPATH": str(planted),
        "GIT_SSH_COMMAND": "touch pwned-git",
        "PATH": str(planted),
        "GOOD": "good-value",
    }
    for kind in BACKENDS:
        write_config(project, kind)
        Remote(kind, moto_server.url).seed(remote_values)
        inherited = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        for args in (["run", "--"], ["run", "--pristine", "--"], ["run", "--preserve-env", "--"]):
            result, seen = spy(project, *args, env=inherited)
            assert result.returncode == 0, (kind, args, result.stderr)
            assert seen is not None and isinstance(seen["env"], dict)
            env = seen["env"]
            assert env["GOOD"] == "good-value"
            assert "PYTHONPATH" not in env and "GIT_SSH_COMMAND" not in env
            assert env["PATH"] == os.environ["PATH"]  # the caller's, with --pristine too
            assert not (project / "pwned-py").exists()
            warning = next(line for line in result.stderr.splitlines() if "held back" in line)
            held = warning.split("held back ", 1)[1].split(":", 1)[0].split(", ")
            assert sorted(held) == ["GIT_SSH_COMMAND", "PATH", "PYTHONPATH"]
            assert "--allow-env NAME" in warning
            assert str(planted) not in result.stderr and "touch" not in result.stderr


@pytest.mark.usefixtures("processes")
def test_run_redact_returns_when_the_command_exits(project: Path) -> None:
    # The background `sleep` holds the command's stdout and stderr for 30 s: what the command
    # wrote is shown (masked), and secretsync returns its status as soon as it exits.
    local_project(project, "TOKEN=Zq4Wc8Lp2Nx\n")
    script = 'sleep 30 & echo $! > sleeper; echo started; echo "token=$TOKEN"; echo e >&2; exit 3'
    started = time.monotonic()
    proc = subprocess.Popen(
        [secretsync_program(), "run", "--source", "local", "--redact", "--", "sh", "-c", script],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
        with contextlib.suppress(OSError, ValueError):
            os.kill(int((project / "sleeper").read_text()), signal.SIGTERM)
    assert time.monotonic() - started < 5
    assert (proc.returncode, out, err) == (3, "started\ntoken=********\n", "e\n")


@pytest.mark.usefixtures("processes")
def test_export_never_writes_through_a_symbolic_link(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    local_project(project, "TOKEN=Zq4Wc8Lp2Nx\n")
    outside = tmp_path_factory.mktemp("outside")
    target = outside / "target"
    target.write_text("keep me\n")
    link = project / "values.out"
    link.symlink_to(target)
    for fmt in ("dotenv", "json", "yaml", "shell", "github", "docker"):
        result = secretsync(
            project, "export", "--source", "local", "--format", fmt, "--output", "values.out"
        )
        assert result.returncode == 2, (fmt, result.stderr)
        assert "--output values.out is a symbolic link" in result.stderr
        assert "nothing was written" in result.stderr and "Traceback" not in result.stderr
        assert result.stdout == "" and "Zq4Wc8Lp2Nx" not in result.stderr
        assert target.read_text() == "keep me\n"
        assert link.is_symlink() and link.readlink() == target
    assert sorted(p.name for p in outside.iterdir()) == ["target"]


@pytest.mark.usefixtures("processes")
def test_export_never_follows_a_linked_folder_out_of_the_work_tree(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    local_project(project, "TOKEN=Zq4Wc8Lp2Nx\n")
    outside = tmp_path_factory.mktemp("outside")
    (project / "cfg").symlink_to(outside, target_is_directory=True)
    for fmt in ("json", "github"):
        output = "cfg/values.out"
        result = secretsync(project, "export", "--source", "local", "--format", fmt, "-o", output)
        assert result.returncode == 2, (fmt, result.stderr)
        assert f"--output {output} is inside the work tree" in result.stderr
        assert f"a symbolic link takes it out, to {outside / 'values.out'}" in result.stderr
        assert result.stdout == "" and list(outside.iterdir()) == []
    # The same place, written as itself, is the user's own choice.
    mine = outside / "values.json"
    result = secretsync(project, "export", "--source", "local", "--format", "json", "-o", str(mine))
    assert result.returncode == 0, result.stderr
    assert json.loads(mine.read_text()) == {"TOKEN": "Zq4Wc8Lp2Nx"}
