"""``get``, ``set`` and ``unset`` against a moto server, both backends: one key changed on both
sides and nothing else (a teammate's concurrent change to another key stays), the .env edited
in place, the record of the last sync agreeing, values only on ``get``'s stdout."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.helpers import BACKENDS, Remote, in_a_terminal, program, run_in_process, write_config
from tests.moto_server import MotoServer
from tests.test_canary import leaks

ENV = "# settings\nA=Aa1Qz8Wx3Ec\nB=Bb2Rf5Tg7Yh   # inline\n\nC='Cc3Uj6Ik9Ol'\n"
SEEDED = {"A": "Aa1Qz8Wx3Ec", "B": "Bb2Rf5Tg7Yh", "C": "Cc3Uj6Ik9Ol"}
NEW = "Nn4Mk7Lo0Pq"
PEM = "-----BEGIN KEY-----\nMm5Nb8Vc1Xz\n-----END KEY-----"
WRITE = {"secrets_manager": "PutSecretValue", "parameter_store": "PutParameter"}


def secretsync(project: Path, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = run_in_process(project, *args, input=stdin)
    return result.returncode, result.stdout, result.stderr


@pytest.fixture(params=BACKENDS)
def remote(request: pytest.FixtureRequest, project: Path, moto_server: MotoServer) -> Remote:
    kind = str(request.param)
    write_config(project, kind, '[keys.PORT]\ntype = "int"\n[keys.REQ]\nrequired = true\n')
    (project / ".env").write_text(ENV)
    remote = Remote(kind, moto_server.url)
    remote.seed(SEEDED)
    return remote


def test_get_prints_the_value_exactly_and_exits_1_when_absent(
    remote: Remote, project: Path, moto_server: MotoServer
) -> None:
    remote.set("PEM", PEM)
    assert secretsync(project, "get", "PEM") == (0, PEM, "")  # no newline added to a pipe
    assert secretsync(project, "get", "C", "--source", "local")[:2] == (0, SEEDED["C"])
    code, out, err = secretsync(project, "get", "MISSING")
    assert (code, out) == (1, "")
    assert err.startswith("secretsync: not found: MISSING is not in ")
    moto_server.injector.calls.clear()
    assert secretsync(project, "get", "PEM", "--source", "local")[0] == 1
    assert sum(moto_server.injector.calls.values()) == 0  # the .env only


def test_set_changes_one_key_on_both_sides_and_keeps_a_teammates_change_elsewhere(
    remote: Remote, project: Path, moto_server: MotoServer
) -> None:
    assert secretsync(project, "push")[0] == 0  # a first sync: the record says A, B, C agree
    # Between set's read and its write, a teammate changes C in AWS.
    moto_server.injector.before(WRITE[remote.kind], lambda: remote.set("C", "teammate-C"))
    code, out, err = secretsync(project, "set", "B", stdin=NEW + "\n")
    assert code == 0, err
    assert out.startswith("Set B in ") and out.rstrip().endswith(".env.")
    assert remote.values() == {"A": SEEDED["A"], "B": NEW, "C": "teammate-C"}
    # The .env: B's line in place, its comment kept, every other byte as it was.
    assert (project / ".env").read_text() == ENV.replace("Bb2Rf5Tg7Yh", NEW)
    # Both sides agree on B; C changed in AWS since the last sync, and only C.
    code, out, _ = secretsync(project, "diff", "--format", "json")
    entries = json.loads(out)["entries"]
    states = {entry["key"]: entry["state"] for entry in entries if entry["state"] != "unchanged"}
    assert states == {"C": "remote_modified"}
    assert leaks(out, {NEW, *SEEDED.values()}) == set()


def test_set_appends_a_new_key_and_takes_a_multi_line_value(remote: Remote, project: Path) -> None:
    code, out, err = secretsync(project, "set", "PEM", stdin=PEM + "\r\n")
    assert code == 0, err
    assert remote.values()["PEM"] == PEM
    assert (project / ".env").read_text().startswith(ENV)
    assert secretsync(project, "get", "PEM", "--source", "local")[1] == PEM
    assert secretsync(project, "diff")[0] == 0
    assert leaks(out + err, {PEM}) == set()


@pytest.mark.parametrize("argv", [["set", "B", NEW], ["set", f"B={NEW}"], ["set", "B", "--", NEW]])
def test_a_value_on_the_command_line_is_refused_and_never_repeated(
    remote: Remote, project: Path, argv: list[str]
) -> None:
    code, out, err = secretsync(project, *argv, stdin="ignored")
    assert code == 2
    assert "never from the command line" in err
    assert "printf '%s' \"$VALUE\" | secretsync set B" in err
    assert NEW not in out + err
    assert remote.values() == SEEDED and (project / ".env").read_text() == ENV


def test_set_refuses_empty_stdin_and_a_value_that_breaks_its_rule(
    remote: Remote, project: Path
) -> None:
    code, _, err = secretsync(project, "set", "B", stdin="")
    assert code == 2 and "nothing on stdin" in err
    code, _, err = secretsync(project, "set", "PORT", stdin="Pt9Rk2Lm\n")
    assert code == 1
    assert "set would give PORT a value that breaks the key contract: PORT: not an int" in err
    assert "Pt9Rk2Lm" not in err
    assert secretsync(project, "set", "PORT", stdin="8080\n")[0] == 0
    assert remote.values()["PORT"] == "8080"


def test_unset_removes_one_key_from_both_sides(remote: Remote, project: Path) -> None:
    assert secretsync(project, "push")[0] == 0
    code, out, err = secretsync(project, "unset", "B")
    assert code == 0, err
    assert out.startswith("Removed B from ")
    assert remote.values() == {"A": SEEDED["A"], "C": SEEDED["C"]}
    assert (project / ".env").read_text() == "# settings\nA=Aa1Qz8Wx3Ec\n\nC='Cc3Uj6Ik9Ol'\n"
    assert secretsync(project, "diff")[0] == 0  # the record forgot it: no remote-deleted
    code, _, err = secretsync(project, "unset", "B")
    assert code == 1 and "B is in neither .env nor " in err
    code, _, err = secretsync(project, "unset", "REQ")
    assert code == 1 and "which the key contract requires" in err


def test_a_local_key_is_set_in_the_env_only(remote: Remote, project: Path) -> None:
    config = project / ".secretsync.toml"
    config.write_text('[keys."DEV_*"]\nlocal = true\n' + config.read_text())
    code, out, err = secretsync(project, "set", "DEV_ME", stdin="Dm6Ws3Qa\n")
    assert code == 0, err
    assert "(a local key: never in AWS)" in out
    assert "DEV_ME" not in remote.values()
    assert (project / ".env").read_text().endswith("DEV_ME=Dm6Ws3Qa\n")
    code, _, err = secretsync(project, "get", "DEV_ME")
    assert code == 1 and "--source local" in err


def test_set_into_a_tracked_env_is_refused_unless_allowed(remote: Remote, project: Path) -> None:
    (project / ".git").rmdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q"], cwd=project, check=True)
    subprocess.run([*git, "add", "-f", ".env"], cwd=project, check=True)
    code, _, err = secretsync(project, "set", "B", stdin=NEW)
    assert code == 2 and ".env is tracked by git" in err
    assert remote.values() == SEEDED  # refused before AWS was written
    assert secretsync(project, "set", "B", "--allow-tracked", stdin=NEW)[0] == 0


def test_no_value_on_any_output_but_gets_stdout(remote: Remote, project: Path) -> None:
    canaries = {NEW, PEM, *SEEDED.values()}
    outputs = []
    for args, stdin in (
        (["set", "B", "--debug"], NEW),
        (["set", "PEM", "--debug"], PEM),
        (["set", "PORT", "--debug"], NEW),  # refused by the contract
        (["set", "bad\nkey"], NEW),
        (["unset", "A", "--debug"], None),
        (["get", "MISSING", "--debug"], None),
    ):
        code, out, err = secretsync(project, *args, stdin=stdin)
        outputs.append((args, code, out + err))
    for args, _code, output in outputs:
        assert leaks(output, canaries) == set(), args
    code, out, err = secretsync(project, "get", "B", "--debug")
    assert (code, out) == (0, NEW) and leaks(err, canaries) == set()


def test_set_on_a_terminal_asks_twice_with_the_input_hidden(
    project: Path, moto_server: MotoServer, processes: None
) -> None:
    write_config(project, "secrets_manager")
    (project / ".env").write_text("A=1\n")
    code, output = in_a_terminal(
        project, [program(), "set", "TOKEN"], b"Tt7Yu4Io1P\r", after=b": ", times=2
    )
    assert code == 0, output
    assert "Value for TOKEN: " in output and "Repeat for confirmation: " in output
    assert "Tt7Yu4Io1P" not in output  # not echoed
    assert Remote("secrets_manager", moto_server.url).values() == {"TOKEN": "Tt7Yu4Io1P"}


def test_unset_of_a_key_only_in_the_env_says_so_and_repeats_no_extra_word(
    remote: Remote, project: Path
) -> None:
    with (project / ".env").open("a") as env:
        env.write("ONLY_HERE=1\n")
    versions = remote.version_count()
    code, out, err = secretsync(project, "unset", "ONLY_HERE")
    assert code == 0, err
    assert out.startswith("Removed ONLY_HERE from ") and " and " not in out
    assert remote.version_count() == versions
    code, out, err = secretsync(project, "unset", "A", "Aa1Qz8Wx3Ec")
    assert code == 2 and "Aa1Qz8Wx3Ec" not in out + err
    assert remote.values() == SEEDED


def test_set_quotes_the_key_it_proposes(remote: Remote, project: Path) -> None:
    code, _, err = secretsync(project, "set", "API KEY", "V")
    assert code == 2 and "secretsync set 'API KEY'" in err
    code, out, err = secretsync(project, "set", "-q", "B", stdin=NEW)
    assert (code, out) == (0, "")


def test_set_creates_the_remote_in_another_region_only_with_force(
    project: Path, moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(project, "secrets_manager")
    config.write_text(config.read_text().replace('region = "us-east-1"', 'region = "eu-west-1"'))
    (project / ".env").write_text("")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    code, _, err = secretsync(project, "set", "A", stdin=NEW)
    assert code == 1
    assert "but the config puts it in eu-west-1" in err
    assert "Pass --region eu-west-1 to create it where the config puts it" in err
    assert Remote("secrets_manager", moto_server.url).values() == {}
    assert secretsync(project, "set", "A", "--force", stdin=NEW)[0] == 0
    assert Remote("secrets_manager", moto_server.url).values() == {"A": NEW}


def test_when_the_env_cannot_be_written_the_message_says_aws_changed(
    remote: Remote, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from secretsync_hooks.errors import EnvFileError
    from secretsync_hooks.local.env_file import EnvFile

    def refuse(self: EnvFile, path: Path | None = None) -> None:
        raise EnvFileError(".env: disk full; nothing was written")

    monkeypatch.setattr(EnvFile, "write", refuse)
    code, _, err = secretsync(project, "set", "B", stdin=NEW)
    assert code == 2
    assert "B was changed in secret" in err or "B was changed in parameter path" in err
    assert "not in .env: `secretsync pull` brings it over" in err
    assert remote.values()["B"] == NEW and NEW not in err
