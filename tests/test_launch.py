"""Starting the command: its environment, finding it, and the child path used off POSIX."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from secretsync_hooks.errors import EnvFileError, ExitCode, LaunchError
from secretsync_hooks.guard.needles import Finder
from secretsync_hooks.use import launch


def test_values_override_inherited_variables() -> None:
    env = launch.environment({"A": "secret"}, {"A": "inherited", "B": "kept"})
    assert env.variables == {"A": "secret", "B": "kept"}
    assert env.kept == [] and env.skipped == []


def test_preserve_keeps_inherited_values_and_names_them() -> None:
    env = launch.environment({"A": "secret", "C": "new"}, {"A": "inherited"}, preserve=True)
    assert env.variables == {"A": "inherited", "C": "new"}
    assert env.kept == ["A"]


def test_pristine_keeps_only_what_a_program_needs() -> None:
    inherited = {
        "PATH": "/bin",
        "HOME": "/home/u",
        "LC_TIME": "C",
        "LANG": "C.UTF-8",
        "AWS_SECRET_ACCESS_KEY": "not for the command",
        "EDITOR": "vi",
    }
    env = launch.environment({"A": "secret"}, inherited, pristine=True)
    assert env.variables == {
        "PATH": "/bin",
        "HOME": "/home/u",
        "LC_TIME": "C",
        "LANG": "C.UTF-8",
        "A": "secret",
    }


@pytest.mark.parametrize("key", ["my-key", "1ABC", "A B", "", "A=B", "Ä"])
def test_a_key_no_environment_can_hold_is_skipped(key: str) -> None:
    env = launch.environment({key: "value", "GOOD": "x"}, {})
    assert env.skipped == [key]
    assert env.variables == {"GOOD": "x"}


def test_a_nul_in_a_value_is_refused_naming_the_key() -> None:
    with pytest.raises(EnvFileError, match="the value of BAD contains a NUL") as info:
        launch.environment({"BAD": "sec\0ret"}, {})
    assert "sec" not in str(info.value).replace("secretsync", "")


def test_resolve_searches_the_path_it_is_given(tmp_path: Path) -> None:
    tool = tmp_path / "tool"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    assert launch.resolve("tool", {"PATH": str(tmp_path)}) == str(tool)
    with pytest.raises(LaunchError) as info:
        launch.resolve("tool", {"PATH": "/nonexistent"})
    assert info.value.exit_code == ExitCode.NOT_FOUND


def test_resolve_tells_not_found_from_not_executable(tmp_path: Path) -> None:
    script = tmp_path / "script"
    script.write_text("echo hi\n")
    cases = {
        "script": ExitCode.NOT_EXECUTABLE,  # on PATH, not executable (as bash says: 126)
        str(script): ExitCode.NOT_EXECUTABLE,
        str(tmp_path): ExitCode.NOT_EXECUTABLE,  # a directory
        str(tmp_path / "missing"): ExitCode.NOT_FOUND,
        "missing": ExitCode.NOT_FOUND,
        "": ExitCode.NOT_FOUND,
    }
    for command, code in cases.items():
        with pytest.raises(LaunchError) as info:
            launch.resolve(command, {"PATH": str(tmp_path)})
        assert info.value.exit_code == code, command


def test_the_command_is_looked_up_on_the_callers_path_not_the_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A PATH in the values (a repository's .env) must not choose which program `tool` is.
    for place in ("mine", "theirs"):
        (tmp_path / place).mkdir()
        tool = tmp_path / place / "tool"
        tool.write_text(f"#!/bin/sh\necho {place} > {tmp_path / 'ran'}\n")
        tool.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path / "mine"))
    theirs = {"PATH": str(tmp_path / "theirs")}
    # with redact the command runs as a child, so the test process survives it
    assert launch.launch(["tool"], theirs, redact=Finder({})) == 0
    assert (tmp_path / "ran").read_text() == "mine\n"


def test_the_child_path_returns_the_status_and_128_plus_a_signal() -> None:
    assert launch.run_child("/bin/sh", ["sh", "-c", "exit 5"], {}) == 5
    assert launch.run_child("/bin/sh", ["sh", "-c", "kill -KILL $$"], {}) == 128 + 9


CHILD_PATH = """
import sys
from secretsync_hooks.use import launch
from secretsync_hooks import interrupts
with interrupts.handled():
    code = launch.run_child(sys.executable, [sys.executable, "-c", sys.argv[1]], {})
print("status", code, flush=True)
"""
COMMAND = """
import signal, sys, time, pathlib
signal.signal(signal.SIGTERM, lambda *a: sys.exit(33))
pathlib.Path("ready").write_text("x")
time.sleep(30)
"""


def test_the_child_path_passes_sigterm_on_and_waits(tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", CHILD_PATH, COMMAND],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    deadline = time.monotonic() + 30
    while not (tmp_path / "ready").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    parent.send_signal(signal.SIGTERM)
    out, _ = parent.communicate(timeout=20)
    assert out == "status 33\n"  # the command got SIGTERM, and its status came back
    assert parent.returncode == 0
