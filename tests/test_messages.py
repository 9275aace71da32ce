"""Messages a user believes: readable when common words are values, one next step per kind of
refusal (pasteable, with the options that chose the target), commands that do what their
names say.  The CLI in-process (CliRunner, in-process moto), the hooks through their
``main``; a canary sweep over every message path added here."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from secretsync_hooks.cli.main import cli
from tests.helpers import GIT_IDENTITY, PATH, SECRET, Remote, key_file, write_config
from tests.json_contract import validated
from tests.moto_server import MotoServer, error
from tests.test_canary import leaks

# Ordinary settings whose values are common words, and one real secret.
COMMON = {"APP_ENV": "production", "DB_USER": "app", "DB_HOST": "localhost", "NOTIFY": "secretsync"}
CANARY = "Zq8Lm2Vx9Pw4Rt6Yb"
MASK = "********"


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def env_text(values: dict[str, str]) -> str:
    return "".join(f"{key}={value}\n" for key, value in values.items())


def config(project: Path, kind: str = "secrets_manager", *, secret: str = SECRET) -> None:
    write_config(project, kind)
    text = (project / ".secretsync.toml").read_text().replace(SECRET, secret)
    (project / ".secretsync.toml").write_text(text)


def _no_mask(result: Result) -> None:
    """Nothing of secretsync's own words was masked (the old redactor wrote ``****``)."""
    assert "****" not in result.output, result.output


# -- the redactor garbles nothing secretsync composes ------------------------------------------


def test_a_mass_change_refusal_names_the_secret_as_it_is(project: Path, aws: None) -> None:
    config(project, secret="shop/production")
    remote = {**COMMON, "TOKEN": CANARY}
    Remote("secrets_manager").client.create_secret(
        Name="shop/production", SecretString=json.dumps(remote)
    )
    changed = {**COMMON, "APP_ENV": "staging", "DB_USER": "app2", "NOTIFY": "x", "TOKEN": "t"}
    (project / ".env").write_text(env_text(changed))
    result = run("push")
    assert result.exit_code == 1
    assert "push would overwrite 4 of the 5 keys in secret shop/production at once" in (
        result.stderr
    )
    _no_mask(result)
    version = run("rollback", "--to", "zzzz")
    assert version.exit_code == 2
    assert "secret shop/production has no version 'zzzz'" in version.stderr
    _no_mask(version)


def test_a_parameter_path_and_a_conflict_hint_read_as_written(project: Path, aws: None) -> None:
    config(project, "parameter_store")
    (project / ".env").write_text(env_text({**COMMON, "EMPTY": ""}))
    result = run("push")
    assert result.exit_code == 2
    assert f"Parameter Store would refuse 1 key under {PATH}:" in result.stderr
    _no_mask(result)
    Remote("parameter_store").seed({**COMMON, "DB_HOST": "db.internal"})
    (project / ".env").write_text(env_text(COMMON))
    conflict = run("push")
    assert conflict.exit_code == 1
    assert "`secretsync push --force` overwrites the values in AWS with yours" in conflict.stderr
    _no_mask(conflict)


def test_an_endpoint_that_is_also_a_value_stays_readable(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from secretsync_hooks.hooks.check import check_main

    config(project)
    (project / ".env").write_text(env_text(COMMON))
    for host in ("localhost", "127.0.0.1"):
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://{host}:1")
        (project / ".env").write_text(env_text({**COMMON, "DB_HOST": host}))
        result = run("diff")
        assert result.exit_code == 2
        assert f"cannot reach http://{host}:1/" in result.stderr
        _no_mask(result)
        assert check_main([]) == 2  # the hook says the same
        assert f"cannot reach http://{host}:1/" in capsys.readouterr().out


def test_aws_own_words_are_still_scrubbed_with_one_mask(
    project: Path, moto_server: MotoServer
) -> None:
    config(project)
    Remote("secrets_manager", moto_server.url).seed({"TOKEN": CANARY, **COMMON})
    (project / ".env").write_text(env_text({"TOKEN": CANARY, **COMMON}))
    said = f"User x is not allowed; the request held {CANARY} for app in production"
    moto_server.injector.inject("GetSecretValue", error("AccessDeniedException", said))
    result = run("diff", "--debug")
    assert result.exit_code == 2
    # AWS's words may quote values: there every value of [scan] min_length (8) or more is
    # masked, "production" (an APP_ENV) too; "app" (3) is an ordinary word.
    assert f"AWS says: User x is not allowed; the request held {MASK} for app in {MASK}" in (
        result.stderr
    )
    assert "access denied: AWS refused secretsmanager:GetSecretValue on secret " in result.stderr
    assert leaks(result.output, {CANARY}) == set()


# -- one next step per kind of refusal, with the options that chose the target --------------


@pytest.fixture
def staging(project: Path, aws: None) -> Remote:
    """An environment `staging` (its own secret and .env) beside the top level."""
    config(project)
    text = (project / ".secretsync.toml").read_text()
    (project / ".secretsync.toml").write_text(
        text + '[environments.staging]\nenv_file = ".env.staging"\n'
        '[environments.staging.secrets_manager]\nsecret_name = "myapp/staging"\n'
    )
    remote = Remote("secrets_manager")
    remote.client.create_secret(
        Name="myapp/staging",
        SecretString=json.dumps({"A": "a-1", "B": "b-1", "C": "c-1", "D": "d-1"}),
    )
    return remote


def test_diff_for_an_environment_proposes_commands_for_that_environment(
    staging: Remote, project: Path
) -> None:
    (project / ".env.staging").write_text("A=a-1\nB=b-1\nC=c-1\n")
    result = run("diff", "--env", "staging")
    assert result.exit_code == 1
    assert "`secretsync pull --env staging` writes the remote-only keys" in result.stderr


def test_a_mass_change_never_proposes_force_or_prune(staging: Remote, project: Path) -> None:
    (project / ".env.staging").write_text("A=x\nB=x\nC=x\nD=d-1\n")
    result = run("push", "--env", "staging")
    assert result.exit_code == 1
    hint = result.stderr.split("nothing was changed\n", 1)[1]
    assert "`secretsync diff --verbose --env staging` lists every key" in hint
    assert "--force" not in hint and "--prune" not in hint


def test_pull_prune_proposes_exactly_that_with_force(staging: Remote, project: Path) -> None:
    (project / ".env.staging").write_text("A=a-1\nB=b-1\nC=c-1\nD=d-1\nMINE=m\n")
    result = run("pull", "--prune", "--env", "staging")
    assert result.exit_code == 1
    assert "`secretsync pull --prune --force --env staging` drops it from the .env" in (
        result.stderr
    )
    assert "push --force" not in result.stderr


def test_a_conflict_gives_both_directions_with_every_target_option(
    staging: Remote, project: Path
) -> None:
    (project / "my env").write_text("A=mine\nB=b-1\nC=c-1\nD=d-1\n")
    args = ["--env", "staging", "--env-file", "my env", "--config", ".secretsync.toml"]
    result = run("push", *args)
    assert result.exit_code == 1
    tail = "--config .secretsync.toml --env staging --env-file 'my env'"
    assert f"`secretsync push --force {tail}` overwrites the values in AWS" in result.stderr
    assert f"`secretsync pull --force {tail}` overwrites your .env" in result.stderr


def test_creating_in_another_region_names_both_and_never_pull_force(
    project: Path, aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    config(project)
    (project / ".env").write_text("A=1\n")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    result = run("push")
    assert result.exit_code == 1
    assert "pass --region us-east-1" in result.stderr
    assert "`secretsync push --region us-east-1`" in result.stderr
    assert "`secretsync push --region eu-west-1 --force`" in result.stderr
    assert "pull --force" not in result.stderr


# -- commands that do what their names say -----------------------------------------------------


def _git_repo(root: Path) -> Path:
    root.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=root, check=True, env={**os.environ, **GIT_IDENTITY})
    config(root)
    (root / ".env").write_text("A=1\n")
    return root


def test_forget_all_is_this_repository_only(
    tmp_path: Path, aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    Remote("secrets_manager").seed({"A": "1"})
    one, two = _git_repo(tmp_path / "one"), _git_repo(tmp_path / "two")
    for repo in (one, two):
        monkeypatch.chdir(repo)
        assert run("diff").exit_code == 0  # records the last sync
    monkeypatch.chdir(one)
    result = run("forget", "--all")
    assert "Dropped 1 record of the last sync" in result.stdout
    assert key_file().exists()
    monkeypatch.chdir(two)
    kept = validated(run("diff", "--format", "json").stdout)
    assert kept["three_way"] is True  # the other repository's record still holds
    dropped = run("forget", "--drop-fingerprint-key")
    assert "Dropped your fingerprint key: records made with it, in every repository" in (
        dropped.stdout
    )
    assert not key_file().exists()


def test_push_force_puts_back_a_key_deleted_in_aws(project: Path, aws: None) -> None:
    config(project)
    remote = Remote("secrets_manager")
    remote.seed({"A": "1", "B": "2"})
    (project / ".env").write_text("A=1\nB=2\n")
    assert run("diff").exit_code == 0
    remote.delete("B")
    diff = run("diff")
    assert "B deleted in AWS since your last sync: `secretsync pull` drops it from .env; " in (
        diff.stderr
    )
    assert "`secretsync push --force` puts it back in AWS." in diff.stderr
    plain = run("push")
    assert plain.exit_code == 0 and "Nothing to push" in plain.stdout
    assert "`secretsync push --force` puts it back" in plain.stderr
    forced = run("push", "--force")
    assert forced.exit_code == 0 and "added 1 (B)" in forced.stdout
    assert remote.values() == {"A": "1", "B": "2"}


def test_scan_with_a_missing_env_file_is_an_error(project: Path) -> None:
    config(project)
    result = run("scan", "--env-file", "missing/.env")
    assert result.exit_code == 2
    assert "missing/.env does not exist: there are no values to look for" in result.stderr
    assert "no values to look for (none" not in result.output


def test_the_scan_hook_refuses_nothing_to_look_for_unless_allowed(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from secretsync_hooks.hooks.scan import scan_main

    (project / ".git").rmdir()
    subprocess.run(["git", "init", "-q"], cwd=project, check=True, capture_output=True)
    config(project)
    assert scan_main(["--env-file", "typo/.env"]) == 2
    assert "typo/.env does not exist" in capsys.readouterr().out
    (project / ".env").write_text("SHORT=dev\n")
    assert scan_main([]) == 2
    assert "no values to look for in" in capsys.readouterr().out
    assert scan_main(["--allow-empty"]) == 0
    assert scan_main(["--allow-empty", "--env-file", "typo/.env"]) == 0


def test_an_unreadable_file_is_an_error_not_a_clean_result(project: Path) -> None:
    config(project)
    (project / ".env").write_text(f"TOKEN={CANARY}\n")
    result = run("scan", "nothere.txt")
    assert result.exit_code == 2
    assert "nothere.txt: cannot read" in result.stderr
    assert "no secret value found" not in result.output


def test_parameter_store_history_of_a_key_says_who(project: Path, aws: None) -> None:
    config(project, "parameter_store")
    Remote("parameter_store").seed({"A": "1"})
    result = run("history", "A")
    header = result.stdout.splitlines()[1].split()
    assert header == ["VERSION", "CREATED", "BY", "LABELS", "CHANGES"]


def test_empty_values_are_named_before_a_push_to_parameter_store(project: Path, aws: None) -> None:
    config(project, "parameter_store")
    (project / ".env").write_text("A=1\nEMPTY_VALUE=\n")
    for command in ("status", "diff"):
        result = run(command)
        assert "Parameter Store cannot hold EMPTY_VALUE (an empty value" in result.stderr
        assert "remove it from the .env, give it a value, or use Secrets Manager" in (result.stderr)
    push = run("push")
    assert push.exit_code == 2
    assert "EMPTY_VALUE: remove it from the .env, give it a value" in push.stderr
    keys_only = run("diff", "--keys-only", "--env-file", ".env")
    assert "cannot hold" not in keys_only.stderr  # an example's blanks are not values


# -- cosmetics ---------------------------------------------------------------------------------


def test_words_agree_with_their_numbers(project: Path, aws: None) -> None:
    config(project)
    remote = Remote("secrets_manager")
    remote.client.create_secret(Name=SECRET, SecretString='{"NUM": 5, "A": "a", "GONE": "g"}')
    (project / ".env").write_text("NUM=5\nA=a\n")
    result = run("diff")
    assert "NUM holds a JSON number, boolean or null" in result.stderr
    pushed = run("push")
    assert "GONE: not in .env; `secretsync push --prune` would delete it in AWS." in (pushed.stderr)
    remote.put_document({"NUM": "5", "A": "a", "GONE": "g", "INTERP": "${HOME}"})
    pulled = run("pull", "--force")
    assert "INTERP contains '${'" in pulled.stderr


def test_status_says_what_parameter_versions_mean(project: Path, aws: None) -> None:
    config(project, "parameter_store")
    remote = Remote("parameter_store")
    remote.seed({"A": "1", "B": "1"})
    remote.set("B", "2")
    (project / ".env").write_text("A=1\nB=2\n")
    result = run("status")
    assert "exists, 2 parameters (the most changed at its version 2)" in result.stdout


def test_a_path_is_shown_normalised(project: Path, aws: None) -> None:
    config(project)
    (project / "app").mkdir()
    result = run("diff", "--env-file", "app/../broken.env")
    assert f"{project / 'broken.env'} does not exist" in result.stderr
    assert "app/../" not in result.output


def test_shown_values_are_not_wrapped_in_a_pipe(project: Path, aws: None) -> None:
    config(project)
    long = "v" * 150
    Remote("secrets_manager").seed({"A": long, "B": "b"})
    (project / ".env").write_text("A=other\nB=b\n")
    result = run("diff", "--show-values")
    [row] = [line for line in result.stdout.splitlines() if line.startswith("A ")]
    assert long in row


def test_the_gitignore_a_blocked_commit_proposes_covers_the_files(
    capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    from secretsync_hooks.hooks.forbid_env import main

    blocked = ["prod.env", ".env-local", "config/.env", ".env.staging"]
    assert main(blocked) == 1
    out = capsys.readouterr().out
    printf = next(line for line in out.splitlines() if "printf" in line)
    lines = printf.split("'")[1].split("\\n")
    assert {"*.env", ".env-*", ".env", ".env.*"} <= set(lines)
    subprocess.run(["git", "init", "-q"], cwd=project, check=False, capture_output=True)
    (project / ".gitignore").write_text("\n".join(lines) + "\n")
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", *blocked, ".env.example"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    assert sorted(ignored) == sorted(blocked)  # .env.example stays tracked


# -- a teammate in the local moto server -------------------------------------------------------


@pytest.fixture
def teammate() -> Iterator[object]:
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(
        "teammate", Path(__file__).parent.parent / "scripts" / "teammate.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules["teammate"] = module
    yield module
    sys.modules.pop("teammate", None)


def test_teammate_changes_the_remote_as_aws_would(
    teammate: object, project: Path, moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    config(project)
    Remote("secrets_manager", moto_server.url).seed({"A": "1", "B": "2"})
    (project / ".env").write_text("A=1\nB=2\n")
    assert run("push").exit_code == 0  # AWSCURRENT moved by compare-and-swap
    main = teammate.main  # type: ignore[attr-defined]
    assert main(["A", "rotated"]) == 0
    assert main(["--delete", "B"]) == 0
    states = {
        e["key"]: e["state"] for e in validated(run("diff", "--format", "json").stdout)["entries"]
    }
    assert states == {"A": "remote_modified", "B": "remote_deleted"}
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://secretsmanager.us-east-1.amazonaws.com")
    assert main(["A", "x"]) == 2  # never against AWS


# -- canaries: no value in any message path added here ----------------------------------------


def test_no_value_in_the_new_message_paths(staging: Remote, project: Path) -> None:
    secret = {"A": CANARY, "B": CANARY[::-1], "C": "c-1", "D": "d-1"}
    staging.client.put_secret_value(SecretId="myapp/staging", SecretString=json.dumps(secret))
    outputs = []
    for env in ("A=x\nB=x\nC=x\nD=d-1\n", f"A={CANARY}\nB=x\nC=c-1\nD=d-1\nMINE=m\n"):
        (project / ".env.staging").write_text(env)
        for args in (
            ["push", "--env", "staging"],
            ["pull", "--prune", "--env", "staging"],
            ["diff", "--env", "staging", "--verbose"],
            ["status", "--env", "staging"],
            ["push", "--env", "staging", "--format", "json"],
            ["forget", "--all", "--drop-fingerprint-key", "--env", "staging"],
            ["scan", "--env", "staging", "nothere.txt"],
        ):
            outputs.append((args, run(*args).output))
    for args, output in outputs:
        assert leaks(output, {CANARY, CANARY[::-1]}) == set(), args


# -- found in review: hints that say everything a command would do ----------------------------


@pytest.fixture
def synced(project: Path, aws: None) -> Remote:
    """Seven keys, synced once (a record of the last sync)."""
    config(project)
    remote = Remote("secrets_manager")
    values = {f"K{i}": f"value-{i}" for i in range(7)}
    remote.seed(values)
    (project / ".env").write_text(env_text(values))
    assert run("diff").exit_code == 0
    return remote


def test_put_back_with_push_force_names_what_else_it_overwrites(
    synced: Remote, project: Path
) -> None:
    synced.set("K1", "rotated-1")
    synced.delete("K0")
    diff = run("diff")
    assert "`secretsync push --force` puts it back in AWS (and puts back your values of K1, " in (
        diff.stderr
    )


def test_a_conflict_refusal_names_what_push_force_also_overwrites(
    synced: Remote, project: Path
) -> None:
    synced.set("K1", "rotated-1")
    synced.set("K2", "theirs-2")
    (project / ".env").write_text((project / ".env").read_text().replace("value-2", "mine-2"))
    refused = run("push")
    assert refused.exit_code == 1
    assert "`secretsync push --force` keeps yours and puts back your values of K1" in (
        refused.stderr
    )


def test_a_bulk_change_in_aws_is_looked_at_first(synced: Remote, project: Path) -> None:
    for i in range(4):
        synced.set(f"K{i}", f"rotated-{i}")
    diff = run("diff")
    assert "4 of the 7 keys of .env changed in AWS since your last sync: check that" in (
        diff.stderr
    )
    assert "run `secretsync pull`" not in diff.stderr
    dry = run("pull", "--dry-run")
    assert "Would ask first: pull would overwrite 4 of the 7 keys" in dry.stdout
    assert "--force" not in dry.output
    refused = run("pull")
    assert "a remote other than the one you meant" in refused.stderr
    assert "--force" not in refused.stderr.split("nothing was changed", 1)[1]


def test_forget_all_outside_git_is_this_config_only(
    tmp_path: Path, aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    Remote("secrets_manager").seed({"A": "1"})
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        config(tmp_path / name)
        (tmp_path / name / ".env").write_text("A=1\n")
        monkeypatch.chdir(tmp_path / name)
        assert run("diff").exit_code == 0
    assert "Dropped 1 record" in run("forget", "--all").stdout
    monkeypatch.chdir(tmp_path / "one")
    assert validated(run("diff", "--format", "json").stdout)["three_way"] is True


def test_every_proposed_command_carries_the_environment(staging: Remote, project: Path) -> None:
    staging.client.delete_secret(SecretId="myapp/staging", ForceDeleteWithoutRecovery=True)
    (project / ".env.staging").write_text("A=1\n")
    status = run("status", "--env", "staging")
    assert "`secretsync push --env staging` creates it" in status.output
    exported = run("export", "--env", "staging", "--format", "json")
    assert "`secretsync push --env staging` creates it" in exported.stderr
    scanned = run("scan", "--env", "staging", "--env-file", "gone/.env")
    assert "`secretsync pull --env staging --env-file gone/.env` to fetch it" in scanned.stderr


def test_push_is_proposed_once_parameter_store_can_hold_every_key(project: Path, aws: None) -> None:
    config(project, "parameter_store")
    (project / ".env").write_text("A=1\nEMPTY=\n")
    result = run("diff")
    assert "`secretsync push` creates it once the keys Parameter Store cannot hold are fixed" in (
        result.stderr
    )


def test_a_remote_missing_in_another_region_is_looked_for_where_the_config_says(
    project: Path, aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    config(project)
    (project / ".env").write_text("A=1\n")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    result = run("diff")
    assert "does not exist in eu-west-1 (from AWS_REGION), and the config puts it in us-east-1" in (
        result.stderr
    )
    assert "`secretsync diff --region us-east-1` looks there" in result.stderr


def test_a_debug_traceback_is_readable_when_a_common_word_is_a_value(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config(project)
    (project / ".env").write_text(env_text({**COMMON, "TOKEN": CANARY}))
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://localhost:1")
    result = run("diff", "--debug")
    assert "secretsync_hooks" in result.stderr  # not ********_hooks
    assert leaks(result.output, {CANARY}) == set()
