"""The installed ``secretsync`` as a subprocess against a real moto HTTP server."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.helpers import BACKENDS, Remote, in_a_terminal, program, write_config
from tests.moto_server import MotoServer


def secretsync_program() -> str:
    return program()


def secretsync(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [secretsync_program(), *args],
        cwd=cwd,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


ENV = (
    "\ufeff# settings\r\n"
    "export DB_URL=postgres://db/app\r\n"
    "TOKEN = 'tok-one'   # rotated monthly\r\n"
    'MULTI="line one\\nline two"\r\n'
)


@pytest.mark.parametrize("kind", BACKENDS)
@pytest.mark.usefixtures("processes")
def test_push_diff_pull_round_trip(kind: str, moto_server: MotoServer, project: Path) -> None:
    write_config(project, kind)
    (project / ".env").write_bytes(ENV.encode())
    remote = Remote(kind, moto_server.url)

    result = secretsync(project, "push")
    assert result.returncode == 0, result.stderr
    assert remote.values() == {
        "DB_URL": "postgres://db/app",
        "TOKEN": "tok-one",
        "MULTI": "line one\nline two",
    }
    assert secretsync(project, "diff").returncode == 0

    # Since the push, a base records what both sides agreed on: changes made on one side
    # only need no --force.
    remote.set("TOKEN", "tok-two")
    remote.set("ADDED", "new value")
    drift = secretsync(project, "diff")
    assert drift.returncode == 1
    assert "TOKEN" in drift.stdout and "remote-modified" in drift.stdout
    assert "ADDED" in drift.stdout and "remote-added" in drift.stdout

    dry = secretsync(project, "pull", "--dry-run")
    assert dry.returncode == 0
    assert (project / ".env").read_bytes() == ENV.encode()

    pulled = secretsync(project, "pull")
    assert pulled.returncode == 0, pulled.stderr
    expected = ENV.replace("'tok-one'", "'tok-two'") + "ADDED='new value'\r\n"
    assert (project / ".env").read_bytes() == expected.encode()
    assert secretsync(project, "diff").returncode == 0

    # The same key changed on both sides is a conflict: refused both ways without --force.
    (project / ".env").write_bytes(expected.replace("tok-two", "tok-mine").encode())
    remote.set("TOKEN", "tok-theirs")
    conflict = secretsync(project, "diff")
    assert conflict.returncode == 1
    assert "conflict" in conflict.stdout
    for command in ("push", "pull"):
        refused = secretsync(project, command)
        assert refused.returncode == 1
        assert "conflict: TOKEN changed on both sides" in refused.stderr
    assert remote.values()["TOKEN"] == "tok-theirs"
    assert b"tok-mine" in (project / ".env").read_bytes()

    # push --force keeps the local value; --prune deletes a key deleted locally
    remote.set("STALE", "old")
    assert secretsync(project, "pull").returncode == 1  # still the conflict
    (project / ".env").write_bytes(expected.replace("tok-two", "tok-mine").encode())
    assert secretsync(project, "push", "--dry-run", "--force").returncode == 0
    assert remote.values()["TOKEN"] == "tok-theirs"
    forced = secretsync(project, "push", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "updated 1 (TOKEN)" in forced.stdout
    assert remote.values()["TOKEN"] == "tok-mine"
    assert secretsync(project, "pull").returncode == 0  # brings STALE
    text = (project / ".env").read_text()
    (project / ".env").write_text(
        "".join(line for line in text.splitlines(keepends=True) if not line.startswith("STALE="))
    )
    pruned = secretsync(project, "push", "--prune")
    assert pruned.returncode == 0, pruned.stderr
    assert "deleted 1 (STALE)" in pruned.stdout
    assert "STALE" not in remote.values()
    assert secretsync(project, "diff").returncode == 0


@pytest.mark.usefixtures("processes")
def test_an_unreachable_endpoint_is_exit_2_without_traceback(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(project, "secrets_manager")
    (project / ".env").write_text("A=1\n")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    result = secretsync(project, "diff")
    assert result.returncode == 2
    assert "cannot reach http://127.0.0.1:9" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("answer", "code"), [(b"y\n", 0), (b"n\n", 1)])
@pytest.mark.usefixtures("processes")
def test_push_asks_at_a_terminal(
    moto_server: MotoServer, project: Path, answer: bytes, code: int
) -> None:
    write_config(project, "secrets_manager")
    (project / ".env").write_text("TOKEN=mine\nA=1\nB=2\n")
    remote = Remote("secrets_manager", moto_server.url)
    remote.seed({"TOKEN": "theirs", "A": "1", "B": "2"})
    result, output = in_a_terminal(project, [secretsync_program(), "push"], answer, after=b"[y/N]")
    assert result == code, output
    assert "Push anyway, keeping your values? [y/N]" in output
    assert "TOKEN" in output and "mine" not in output and "theirs" not in output  # the table
    assert remote.values()["TOKEN"] == ("mine" if code == 0 else "theirs")
    if code == 1:
        assert "secretsync: nothing was changed" in output
        assert "error" not in output and "refused" not in output
