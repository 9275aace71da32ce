"""The key contract through the commands, against a moto server, both backends: ``check`` on
each side, ``push`` and ``promote`` refusing values that break a rule (the remote untouched,
--force or not), ``pull`` warning, local keys never pushed, pulled or counted as drift,
``example`` and ``example --check``, ``run``/``export --strict`` requiring the required keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import BACKENDS, PATH, SECRET, Remote, run_in_process, write_config
from tests.json_contract import validated
from tests.moto_server import MotoServer
from tests.test_canary import leaks
from tests.test_compare_promote import ENVIRONMENTS, NAMES, EnvRemote

RULES = """\
required_keys = ["API_TOKEN"]
[keys.DATABASE_URL]
required = true
type = "url"
description = "Postgres connection string"
example = "postgres://user:pass@localhost:5432/app"
[keys.PORT]
type = "int"
example = "8080"
[keys.LOG_LEVEL]
choices = ["debug", "info", "warning"]
[keys.API_TOKEN]
pattern = "tok_[A-Za-z0-9]{16,}"
[keys."DEV_*"]
local = true
"""
GOOD = {
    "DATABASE_URL": "postgres://app:Hq7Ws2Xe9Rt4@db.internal:5432/app",
    "PORT": "8080",
    "LOG_LEVEL": "info",
    "API_TOKEN": "tok_Zk3Lq8Vn1Bm6Cx4Pw",
}
# Canaries that break each rule: none may be shown.
BAD = {
    "DATABASE_URL": "Jf6Ty1Ui3Op8-not-a-url",
    "PORT": "Rk4Ew9Qa2Sd7",
    "LOG_LEVEL": "Mz5Xn0Cb8Vq3",
    "API_TOKEN": "tok_short-Gh2Jk5Lp",
}
DEV = {"DEV_NAME": "Dv8Nb3Mq6Wz1"}
CANARIES = set(BAD.values()) | set(GOOD.values()) | set(DEV.values())
VIOLATIONS = [
    {"key": "DATABASE_URL", "rule": "not a URL (scheme://...)"},
    {"key": "PORT", "rule": "not an int"},
    {"key": "LOG_LEVEL", "rule": "not one of debug, info, warning"},
    {"key": "API_TOKEN", "rule": "does not match tok_[A-Za-z0-9]{16,}"},
]


def env_text(values: dict[str, str]) -> str:
    return "".join(f"{key}={value}\n" for key, value in values.items())


def secretsync(project: Path, *args: str) -> tuple[int, str, str]:
    result = run_in_process(project, *args)
    return result.returncode, result.stdout, result.stderr


@pytest.fixture(params=BACKENDS)
def remote(request: pytest.FixtureRequest, project: Path, moto_server: MotoServer) -> Remote:
    write_config(project, str(request.param), RULES)
    return Remote(str(request.param), moto_server.url)


# -- check ----------------------------------------------------------------------------------------


def test_check_names_each_key_and_rule_on_each_side_and_never_a_value(
    remote: Remote, project: Path, moto_server: MotoServer
) -> None:
    remote.seed({**GOOD, "PORT": BAD["PORT"]})
    (project / ".env").write_text(env_text({**BAD, **DEV}))
    code, out, err = secretsync(project, "check")
    assert code == 1, err
    assert out.splitlines() == [
        ".env (local): 4 keys break the key contract:",
        "  DATABASE_URL  not a URL (scheme://...)",
        "  PORT          not an int",
        "  LOG_LEVEL     not one of debug, info, warning",
        "  API_TOKEN     does not match tok_[A-Za-z0-9]{16,}",
    ]
    assert "a push refuses values that break them" in err
    outputs = [out + err]
    code, out, err = secretsync(project, "check", "--source", "both", "--format", "json")
    assert code == 1, err
    document = validated(out)
    assert document["holds"] is False and document["rules"] == 5
    local, far = document["sides"]
    assert (local["side"], local["keys"], local["violations"]) == ("local", 5, VIOLATIONS)
    assert (far["side"], far["where"], far["keys"]) == ("remote", remote_name(remote), 4)
    assert far["violations"] == [{"key": "PORT", "rule": "not an int"}]
    outputs.append(out + err)
    moto_server.injector.calls.clear()
    code, out, err = secretsync(project, "check", "--source", "remote", "--debug")
    assert code == 1, err
    assert "(remote): 1 key breaks the key contract:" in out
    read = "GetSecretValue" if remote.kind == "secrets_manager" else "GetParametersByPath"
    assert dict(moto_server.injector.calls) == {read: 1}  # the remote, read once
    outputs.append(out + err)
    for output in outputs:
        assert leaks(output, CANARIES) == set()


def remote_name(remote: Remote) -> str:
    return SECRET if remote.kind == "secrets_manager" else PATH


def test_check_exit_0_when_every_rule_holds_and_2_on_error(
    remote: Remote, project: Path, moto_server: MotoServer
) -> None:
    (project / ".env").write_text(env_text({**GOOD, **DEV}))
    moto_server.injector.calls.clear()
    code, out, _ = secretsync(project, "check")
    assert (code, out) == (0, ".env (local): 5 keys, every rule holds.\n")
    assert sum(moto_server.injector.calls.values()) == 0  # the .env only: no AWS call
    # The remote does not exist: nothing to check is an error, not a pass.
    code, out, _err = secretsync(project, "check", "--source", "remote", "--format", "json")
    assert code == 2
    assert "does not exist in us-east-1; nothing to check" in validated(out)["error"]["message"]
    # A required key missing from the .env.
    (project / ".env").write_text(env_text({"PORT": "1"}))
    code, out, _ = secretsync(project, "check", "-q")
    assert code == 1
    assert "API_TOKEN     missing (required)" in out and "DATABASE_URL  missing (required)" in out


def test_check_without_a_contract_says_so(project: Path, moto_server: MotoServer) -> None:
    write_config(project, "secrets_manager")
    (project / ".env").write_text("A=1\n")
    code, _out, err = secretsync(project, "check")
    assert code == 0
    assert "has no key contract ([keys.NAME] rules or required_keys): nothing to check" in err


# -- push and promote refuse, pull warns -------------------------------------------------------


@pytest.mark.parametrize("extra", [[], ["--force"], ["--dry-run"], ["--force", "--prune"]])
def test_push_refuses_values_that_break_a_rule_and_changes_nothing(
    remote: Remote, project: Path, extra: list[str]
) -> None:
    remote.seed(GOOD)
    versions = remote.version_count()
    (project / ".env").write_text(env_text({**GOOD, "PORT": BAD["PORT"], "NEW": "x"}))
    code, out, err = secretsync(project, "push", *extra)
    assert code == 1, err
    assert "values that break the key contract: PORT: not an int; nothing was changed" in err
    assert "--force does not override the contract" in err
    assert (remote.values(), remote.version_count()) == (GOOD, versions)
    code, out, err = secretsync(project, "push", *extra, "--format", "json")
    error = validated(out)["error"]
    assert error["kind"] == "refused"
    assert error["violations"] == [{"key": "PORT", "rule": "not an int"}]
    assert leaks(out + err, CANARIES) == set()


def test_push_refuses_to_delete_a_required_key(remote: Remote, project: Path) -> None:
    remote.seed(GOOD)
    (project / ".env").write_text(env_text({k: v for k, v in GOOD.items() if k != "API_TOKEN"}))
    code, _, err = secretsync(project, "push", "--prune", "--force")
    assert code == 1
    assert "API_TOKEN: missing (required)" in err
    assert remote.values() == GOOD


def test_a_value_that_is_fixed_is_pushed(remote: Remote, project: Path) -> None:
    (project / ".env").write_text(env_text({**GOOD, **DEV}))
    code, _out, err = secretsync(project, "push")
    assert code == 0, err
    assert remote.values() == GOOD  # DEV_NAME stays local


def test_pull_writes_what_aws_holds_and_warns_about_each_broken_value(
    remote: Remote, project: Path
) -> None:
    remote.seed({**GOOD, "PORT": BAD["PORT"], "LOG_LEVEL": BAD["LOG_LEVEL"]})
    (project / ".env").write_text(env_text({"DATABASE_URL": GOOD["DATABASE_URL"]}))
    code, out, err = secretsync(project, "pull")
    assert code == 0, err
    assert "warning: AWS holds a value that breaks the key contract: PORT: not an int" in err
    assert (
        "warning: AWS holds a value that breaks the key contract: LOG_LEVEL: not one of debug, "
        "info, warning"
    ) in err
    assert f"PORT={BAD['PORT']}" in (project / ".env").read_text()
    assert leaks(out + err, CANARIES) == set()


@pytest.fixture(params=BACKENDS)
def environments(
    request: pytest.FixtureRequest, project: Path, moto_server: MotoServer
) -> dict[str, EnvRemote]:
    kind = str(request.param)
    rules = RULES + '[environments.prod.keys.LOG_LEVEL]\nchoices = ["warning", "error"]\n'
    write_config(project, kind, rules).write_text(
        (project / ".secretsync.toml").read_text() + ENVIRONMENTS
    )
    found = {env: EnvRemote(kind, moto_server.url, name) for env, name in NAMES[kind].items()}
    found["staging"].seed({**GOOD, "EXTRA": "e1", "DEV_NAME": DEV["DEV_NAME"]})
    found["prod"].seed({"API_TOKEN": GOOD["API_TOKEN"], "DATABASE_URL": GOOD["DATABASE_URL"]})
    return found


def test_promote_refuses_values_that_break_the_targets_rules(
    environments: dict[str, EnvRemote], project: Path
) -> None:
    prod = environments["prod"]
    before = prod.values()
    # info holds in staging; prod's own rule says warning or error.
    for extra in ([], ["--force"], ["--dry-run"]):
        code, out, err = secretsync(
            project, "promote", "--from", "staging", "--to", "prod", "LOG_LEVEL", "PORT", *extra
        )
        assert code == 1, (extra, err)
        assert "LOG_LEVEL: not one of warning, error; nothing was changed" in err
        assert prod.values() == before
        assert leaks(out + err, CANARIES) == set()
    code, out, err = secretsync(project, "promote", "--from", "staging", "--to", "prod", "PORT")
    assert code == 0, err
    assert prod.values() == {**before, "PORT": GOOD["PORT"]}


def test_promote_never_copies_a_local_key(
    environments: dict[str, EnvRemote], project: Path
) -> None:
    prod = environments["prod"]
    code, _, err = secretsync(project, "promote", "--from", "staging", "--to", "prod", "DEV_NAME")
    assert code == 2
    assert "DEV_NAME: local (a `local = true` rule of the key contract), never promoted" in err
    before = prod.values()
    code, out, err = secretsync(
        project, "promote", "--from", "staging", "--to", "prod", "--missing", "--dry-run"
    )
    # --missing leaves DEV_NAME out, and the LOG_LEVEL of staging breaks prod's rule.
    assert code == 1 and "LOG_LEVEL: not one of warning, error" in err
    assert "DEV_NAME" not in out + err
    assert prod.values() == before


# -- local keys -----------------------------------------------------------------------------------


def test_local_keys_are_never_pushed_pulled_or_drift(remote: Remote, project: Path) -> None:
    # Put in AWS before the rule, or by someone else: the remote's DEV_REMOTE is left alone.
    remote.seed({**GOOD, "DEV_REMOTE": "Rm2Dv5Kq8Xw3"})
    (project / ".env").write_text(env_text({**GOOD, **DEV}))
    code, out, err = secretsync(project, "diff")
    assert code == 0, err
    assert "2 local keys left out (local = true): DEV_NAME, DEV_REMOTE." in out
    code, out, _ = secretsync(project, "diff", "--format", "json")
    document = validated(out)
    assert document["in_sync"] is True and document["local_keys"] == ["DEV_NAME", "DEV_REMOTE"]
    assert all(not entry["key"].startswith("DEV_") for entry in document["entries"])
    code, out, _ = secretsync(project, "status")
    assert code == 0 and "local keys   2 local keys left out (local = true)" in out
    assert validated(secretsync(project, "status", "--format", "json")[1])["local_keys"] == [
        "DEV_NAME",
        "DEV_REMOTE",
    ]
    (project / ".env").write_text(env_text({**GOOD, **DEV, "DEV_MORE": "m", "NEW": "n"}))
    code, out, err = secretsync(project, "push", "--prune", "--force")
    assert code == 0, err
    assert remote.values() == {**GOOD, "DEV_REMOTE": "Rm2Dv5Kq8Xw3", "NEW": "n"}
    (project / ".env").write_text(env_text(DEV))
    code, out, err = secretsync(project, "pull", "--force")
    assert code == 0, err
    pulled = (project / ".env").read_text()
    assert "DEV_REMOTE" not in pulled and pulled.startswith(env_text(DEV))
    assert "API_TOKEN=" in pulled and "NEW=n" in pulled
    assert leaks(out + err, CANARIES) == set()


def test_a_env_of_local_keys_only_has_nothing_to_push(remote: Remote, project: Path) -> None:
    (project / ".env").write_text(env_text(DEV))
    code, _out, err = secretsync(project, "push", "--format", "json")
    assert code in (0, 1), err
    assert remote.values() == {}  # nothing created with local keys in it


def test_run_merged_still_passes_local_keys_and_strict_requires_the_required(
    remote: Remote, project: Path
) -> None:
    remote.seed({k: v for k, v in GOOD.items() if k != "API_TOKEN"})
    (project / ".env").write_text(env_text(DEV))
    code, out, err = secretsync(project, "export", "--source", "merged", "--strict")
    assert code == 2, err
    assert "1 required key missing or empty (required in " in err and "): API_TOKEN;" in err
    code, out, err = secretsync(
        project, "export", "--source", "merged", "--format", "json", "--show-values"
    )
    assert code == 0, err
    assert json.loads(out)["DEV_NAME"] == DEV["DEV_NAME"]
    (project / ".env").write_text(env_text({**DEV, "API_TOKEN": GOOD["API_TOKEN"]}))
    code, out, err = secretsync(project, "export", "--source", "merged", "--strict")
    assert code == 0, err


# -- example --------------------------------------------------------------------------------------

EXAMPLE = """\
# Made by `secretsync example` from .secretsync.toml and the key names of .env: every key, set \
to its example (never a value).

# int
PORT=8080

OTHER=

# Postgres connection string
# required; url
DATABASE_URL=postgres://user:pass@localhost:5432/app

# one of debug, info, warning
LOG_LEVEL=

# required; matching tok_[A-Za-z0-9]{16,}
API_TOKEN=
"""


def test_example_lists_every_key_never_a_value_and_check_compares(
    project: Path, moto_server: MotoServer
) -> None:
    write_config(project, "secrets_manager", RULES)
    (project / ".env").write_text(env_text({"PORT": "9000", "OTHER": "Ot4Hr7Zx2Qw", **DEV}))
    code, out, err = secretsync(project, "example", "--check")
    assert (code, out) == (1, "")
    assert ".env.example is not what `secretsync example` would write (5 keys)" in err
    code, out, err = secretsync(project, "example")
    assert code == 0, err
    assert out == "Wrote .env.example: 5 keys, examples only, never a value.\n"
    written = project / ".env.example"
    assert written.read_text() == EXAMPLE
    assert oct(written.stat().st_mode & 0o777) == "0o644"
    code, out, _ = secretsync(project, "example", "--check")
    assert (code, out) == (0, ".env.example is up to date (5 keys).\n")
    written.write_text(EXAMPLE + "STALE=\n")
    assert secretsync(project, "example", "--check")[0] == 1
    assert written.read_text() == EXAMPLE + "STALE=\n"  # --check writes nothing
    # What `diff --keys-only --env-file .env.example` compares: the key names, no values.
    secretsync(project, "example")
    (project / ".env").write_text(env_text({**GOOD, "OTHER": "o", **DEV}))
    assert secretsync(project, "push")[0] == 0
    code, out, err = secretsync(project, "diff", "--keys-only", "--env-file", ".env.example")
    assert code == 0, out + err


def test_example_for_another_env_file_and_output(project: Path, moto_server: MotoServer) -> None:
    write_config(project, "secrets_manager", '[keys.A]\nexample = "a"\n')
    (project / ".env.staging").write_text("B=Bs5Tg8Hy2Uj\n")
    code, _, err = secretsync(project, "example", "--env-file", ".env.staging")
    assert code == 0, err
    assert (project / ".env.staging.example").read_text().endswith("\nB=\n\nA=a\n")
    code, _, err = secretsync(project, "example", "-o", "docs/env.sample")
    assert code == 2 and "docs" in err  # no such folder: nothing made up
    (project / "docs").mkdir()
    code, _out, err = secretsync(project, "example", "-o", "docs/env.sample")
    assert code == 0, err
    assert (project / "docs" / "env.sample").read_text().endswith("\nA=a\n")


def test_example_refuses_an_example_that_is_the_real_value(
    project: Path, moto_server: MotoServer
) -> None:
    write_config(project, "secrets_manager", '[keys.TOKEN]\nexample = "Rv9Ex3Am7Pl"\n')
    (project / ".env").write_text("TOKEN=Rv9Ex3Am7Pl\n")
    code, out, err = secretsync(project, "example")
    assert code == 2
    assert "[keys.TOKEN] example is the value .env holds" in err
    assert "Rv9Ex3Am7Pl" not in out + err
    assert not (project / ".env.example").exists()
    # Too short to be a secret, as the leak guard judges ([scan] min_length): allowed.
    write_config(project, "secrets_manager", '[keys.LEVEL]\nexample = "info"\n')
    (project / ".env").write_text("LEVEL=info\n")
    assert secretsync(project, "example")[0] == 0


@pytest.mark.parametrize("where", ["link", ".env", "out/x", ".secretsync.toml"])
def test_example_writes_only_where_it_may(
    project: Path, moto_server: MotoServer, tmp_path_factory: pytest.TempPathFactory, where: str
) -> None:
    write_config(project, "secrets_manager", '[keys.A]\nexample = "a"\n')
    (project / ".env").write_text("A=Av3Lu5Ex8Zq\n")
    outside = tmp_path_factory.mktemp("outside")
    (outside / "x").write_text("theirs\n")
    (project / "link").symlink_to(outside / "x")
    (project / "out").symlink_to(outside, target_is_directory=True)
    before = {path: path.read_bytes() for path in (outside / "x", project / ".env")}
    config = (project / ".secretsync.toml").read_bytes()
    code, out, err = secretsync(project, "example", "--output", where)
    assert code == 2, out
    assert "nothing was written" in err
    assert {path: path.read_bytes() for path in before} == before
    assert (project / ".secretsync.toml").read_bytes() == config
    assert [path.name for path in outside.iterdir()] == ["x"]


# -- found by attacking the contract ------------------------------------------------------------


def test_a_pattern_that_backtracks_is_stopped_with_several_targets_too(
    project: Path, moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from secretsync_hooks.config import contract

    monkeypatch.setattr(contract, "PATTERN_SECONDS", 0.2)
    rule = '[keys.TOK]\npattern = "(a+)+"\nexample = "' + "a" * 40 + 'b"\n'
    config = write_config(project, "secrets_manager", rule)
    config.write_text(config.read_text() + ENVIRONMENTS)
    (project / ".env").write_text("A=1\n")
    for args in (["diff", "--all-envs"], ["status", "--all-envs"]):
        code, out, err = secretsync(project, *args)
        assert code == 2, (args, out, err)
        assert "took more than 0.2 s to match its value" in out + err


def test_marking_a_key_local_for_a_while_does_not_resurrect_it(
    remote: Remote, project: Path
) -> None:
    (project / ".env").write_text(env_text({**GOOD, "B": "Bb3Kk9Ll"}))
    remote.seed({**GOOD, "B": "Bb3Kk9Ll"})
    assert secretsync(project, "diff")[0] == 0  # agreement recorded
    config = project / ".secretsync.toml"
    plain = config.read_text()
    config.write_text(plain + "[keys.B]\nlocal = true\n")
    code, _, err = secretsync(project, "pull", "--force")
    assert code == 0, err  # B's record must survive this
    remote.delete("B")  # a teammate deletes it meanwhile
    config.write_text(plain)
    code, out, _ = secretsync(project, "diff")
    assert code == 1 and "remote-deleted" in out
    assert secretsync(project, "push")[0] in (0, 1)
    assert "B" not in remote.values()  # a plain push never puts back a deleted key


def test_a_rule_cannot_write_a_key_into_the_example(project: Path, moto_server: MotoServer) -> None:
    rules = (
        '[keys.LEVEL]\nchoices = ["debug", "info\\nINJECTED=1"]\n'
        '[keys.TOKEN]\npattern = "tok_.*|x\\nALSO=3"\ndescription = "a\\rB=2\\u2028C=3"\n'
    )
    write_config(project, "secrets_manager", rules)
    (project / ".env").write_text("LEVEL=debug\n")
    assert secretsync(project, "example")[0] == 0
    import dotenv

    parsed = dotenv.dotenv_values(project / ".env.example")
    assert dict(parsed) == {"LEVEL": "", "TOKEN": ""}


def test_strict_requires_a_value_not_an_empty_line(remote: Remote, project: Path) -> None:
    (project / ".env").write_text("API_TOKEN=\nDATABASE_URL=postgres://h/db\n")
    code, _, err = secretsync(project, "export", "--source", "local", "--strict")
    assert code == 2
    assert "1 required key missing or empty" in err and "API_TOKEN" in err


def test_example_check_without_a_env_checks_the_contracts_part(
    project: Path, moto_server: MotoServer
) -> None:
    write_config(project, "secrets_manager", RULES)
    (project / ".env").write_text(env_text({"OTHER": "o", "PORT": "1"}))
    assert secretsync(project, "example")[0] == 0
    (project / ".env").unlink()  # as in CI
    assert secretsync(project, "example", "--check")[0] == 0
    example = project / ".env.example"
    example.write_bytes(example.read_bytes().replace(b"\n", b"\r\n"))  # core.autocrlf
    assert secretsync(project, "example", "--check")[0] == 0
    config = project / ".secretsync.toml"
    config.write_text(config.read_text() + "[keys.NEW_KEY]\nrequired = true\n")
    code, _, err = secretsync(project, "example", "--check")
    assert code == 1 and "is not what `secretsync example` would write" in err


def test_check_both_shows_the_env_before_a_missing_remote(remote: Remote, project: Path) -> None:
    (project / ".env").write_text(env_text({**GOOD, "PORT": "eighty"}))
    code, out, err = secretsync(project, "check", "--source", "both")
    assert code == 2
    assert "  PORT  not an int" in out
    assert "does not exist in us-east-1; nothing to check" in err


def test_local_keys_never_come_from_aws(remote: Remote, project: Path) -> None:
    remote.seed({**GOOD, "DEV_NAME": "Stale7Aws"})  # put there before the rule
    (project / ".env").write_text(env_text({"DEV_NAME": "Mine4Env"}))
    for source, expected in (("remote", None), ("merged", "Mine4Env")):
        code, out, err = secretsync(
            project, "export", "--source", source, "--format", "json", "--show-values"
        )
        assert code == 0, err
        assert json.loads(out).get("DEV_NAME") == expected, source
    (project / ".env").write_text(env_text(GOOD))
    code, out, _ = secretsync(
        project, "export", "--source", "merged", "--format", "json", "--show-values"
    )
    assert "DEV_NAME" not in json.loads(out)


@pytest.mark.parametrize("where", [".git/config", ".git/hooks/pre-commit"])
def test_example_never_writes_into_git(project: Path, moto_server: MotoServer, where: str) -> None:
    (project / ".git" / "hooks").mkdir()
    write_config(project, "secrets_manager", '[keys.A]\nexample = "a"\n')
    code, _, err = secretsync(project, "example", "--output", where)
    assert code == 2 and "inside a .git folder" in err
    assert not (project / where).exists()


def test_a_linked_example_file_is_named_as_such(project: Path, moto_server: MotoServer) -> None:
    write_config(project, "secrets_manager", '[keys.A]\nexample = "a"\n')
    (project / ".env.example").symlink_to(project / "elsewhere")
    code, _, err = secretsync(project, "example")
    assert code == 2
    assert "the example file " in err and "--output" not in err.splitlines()[0]
