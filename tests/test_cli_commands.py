"""Every command, option and exit code through click's CliRunner, against in-process moto."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from secretsync_hooks.cli.main import cli
from tests.helpers import BACKENDS, SECRET, Remote, write_config
from tests.json_contract import validated

ENV = "# app settings\nDB_URL=postgres://db/app\nexport TOKEN='tok-one'\nLOG_LEVEL=info # note\n"
VALUES = {"DB_URL": "postgres://db/app", "TOKEN": "tok-one", "LOG_LEVEL": "info"}


@pytest.fixture(params=BACKENDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def remote(kind: str, project: Path, aws: None) -> Iterator[Remote]:
    write_config(project, kind)
    (project / ".env").write_text(ENV)
    yield Remote(kind)


def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, env=env, catch_exceptions=False)


# -- diff ---------------------------------------------------------------------------------------


def test_diff_in_sync_exits_0(remote: Remote) -> None:
    remote.seed(VALUES)
    result = run("diff")
    assert result.exit_code == 0
    assert "In sync: 3 keys agree." in result.stdout
    assert "KEY" not in result.stdout


def test_diff_drift_exits_1_with_masked_values_and_fix_commands(remote: Remote) -> None:
    remote.seed({**VALUES, "TOKEN": "tok-two", "EXTRA": "e"})
    Path(".env").write_text(ENV + "NEW=n\n")
    result = run("diff")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[1].split() == ["KEY", "STATE", "LOCAL", "REMOTE"]
    assert lines[2].split() == ["TOKEN", "changed", "********", "********"]
    assert lines[3].split() == ["NEW", "local-only", "********", "-"]
    assert lines[4].split() == ["EXTRA", "remote-only", "-", "********"]
    assert "Out of sync: 1 local-only, 1 remote-only, 1 changed; 2 unchanged." in result.stdout
    assert "`secretsync push` uploads the local-only keys." in result.stderr
    assert "`secretsync pull` writes the remote-only keys into .env." in result.stderr
    assert "secretsync pull --force" in result.stderr
    assert "tok-" not in result.output


def test_diff_verbose_lists_unchanged_and_quiet_prints_nothing(remote: Remote) -> None:
    remote.seed(VALUES)
    verbose = run("diff", "--verbose")
    assert "unchanged" in verbose.stdout
    assert "DB_URL" in verbose.stdout
    quiet = run("diff", "--quiet")
    assert (quiet.exit_code, quiet.stdout) == (0, "")
    remote.set("TOKEN", "other")
    assert run("diff", "-q").exit_code == 1


def test_diff_against_a_missing_remote_is_drift_and_says_push_creates_it(remote: Remote) -> None:
    result = run("diff")
    assert result.exit_code == 1
    assert "Out of sync: 3 local-only; 0 unchanged." in result.stdout
    assert "does not exist yet: `secretsync push` creates it." in result.stderr


def test_a_wrong_region_after_a_sync_is_not_every_key_deleted(remote: Remote) -> None:
    remote.seed(VALUES)
    assert run("push").exit_code == 0  # records the last sync in us-east-1
    result = run("diff", "--region", "eu-west-1", "--format", "json")
    document = validated(result.stdout)
    assert result.exit_code == 1
    assert {entry["state"] for entry in document["entries"]} == {"local_only"}
    assert "the region was us-east-1, not eu-west-1" in document["two_way_reason"]
    assert document["remote"]["exists"] is False
    text = run("diff", "--region", "eu-west-1")
    assert "remote-deleted" not in text.stdout and "local-only" in text.stdout
    assert "the region was us-east-1, not eu-west-1" in text.stderr
    assert "does not exist in eu-west-1 (from --region), and the config puts it in us-east-1" in (
        text.stderr
    )


def test_keys_only_compares_key_sets(remote: Remote) -> None:
    remote.seed({**VALUES, "TOKEN": "different"})
    assert run("diff").exit_code == 1
    assert run("diff", "--keys-only").exit_code == 0
    Path(".env.example").write_text("DB_URL=\nTOKEN=\nLOG_LEVEL=\nMISSING=\n")
    result = run("diff", "--keys-only", "--env-file", ".env.example", "--format", "json")
    assert result.exit_code == 1
    document = validated(result.stdout)
    assert document["keys_only"] is True
    assert [e for e in document["entries"] if e["state"] != "unchanged"] == [
        {"key": "MISSING", "state": "local_only", "masked": True}
    ]


def test_diff_json_is_one_document(remote: Remote) -> None:
    remote.seed({**VALUES, "TOKEN": "x"})
    result = run("diff", "--format", "json")
    assert result.exit_code == 1
    document = validated(result.stdout)
    assert document["schema"] == 2
    assert document["base"] is None
    assert document["three_way"] is False
    assert document["in_sync"] is False
    assert document["summary"] == {"local_only": 0, "remote_only": 0, "changed": 1, "unchanged": 2}


def test_missing_env_file_reads_as_empty_with_a_warning(remote: Remote) -> None:
    remote.seed(VALUES)
    Path(".env").unlink()
    result = run("diff")
    assert result.exit_code == 1
    assert "does not exist yet; every remote key is remote-only" in result.stderr


# -- status -------------------------------------------------------------------------------------


def test_status_shows_where_everything_comes_from(
    remote: Remote, monkeypatch: pytest.MonkeyPatch
) -> None:
    remote.seed(VALUES)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    result = run("status")
    assert result.exit_code == 0
    out = result.stdout
    assert "region       us-east-1 (from AWS_REGION)" in out
    assert f"backend      {remote.kind} (from .secretsync.toml [backend.type])" in out
    what = "version" if remote.kind == "secrets_manager" else "3 parameters (none changed"
    assert f"remote       exists, {what}" in out
    assert "last changed" in out
    assert "keys         3 agree" in out
    assert "env keys     3 keys" in out
    assert "state        in sync" in out
    remote.set("TOKEN", "rotated")
    drift = run("status", "--format", "json")
    assert drift.exit_code == 1
    document = validated(drift.stdout)
    assert document["sources"]["region"] == "AWS_REGION"
    assert document["remote"]["exists"] is True


def test_status_lists_deeper_parameters_as_ignored(project: Path, aws: None) -> None:
    write_config(project, "parameter_store")
    Path(".env").write_text("A=1\n")
    remote = Remote("parameter_store")
    remote.seed({"A": "1"})
    remote.client.put_parameter(Name="/myapp/production/db/PASSWORD", Value="x", Type="String")
    result = run("status")
    assert "ignored      deeper parameters, not managed: /myapp/production/db/PASSWORD" in (
        result.stdout
    )
    assert result.exit_code == 0


# -- push ---------------------------------------------------------------------------------------


def test_push_to_an_empty_remote_needs_no_force(remote: Remote) -> None:
    result = run("push")
    assert result.exit_code == 0, result.output
    assert remote.values() == VALUES
    assert "added 3 (DB_URL, TOKEN, LOG_LEVEL)" in result.stdout
    assert run("diff").exit_code == 0
    again = run("push")
    assert (again.exit_code, again.stdout.strip()) == (
        0,
        "Nothing to push (in sync: 3 keys agree).",
    )


def test_push_refuses_to_overwrite_without_force_and_changes_nothing(remote: Remote) -> None:
    remote.seed({**VALUES, "TOKEN": "theirs"})
    Path(".env").write_text(ENV + "NEW=n\n")
    result = run("push")
    assert result.exit_code == 1
    assert "push would overwrite 1 value (TOKEN)" in result.stderr
    assert "nothing was changed" in result.stderr
    assert "--force" in result.stderr
    assert remote.values() == {**VALUES, "TOKEN": "theirs"}

    forced = run("push", "--force")
    assert forced.exit_code == 0
    assert "added 1 (NEW); updated 1 (TOKEN)" in forced.stdout
    assert remote.values() == {**VALUES, "NEW": "n"}


def test_push_dry_run_changes_nothing(remote: Remote) -> None:
    remote.seed({**VALUES, "TOKEN": "theirs"})
    result = run("push", "--dry-run")
    assert result.exit_code == 0
    assert "Dry run: push would update 1 (TOKEN)" in result.stdout
    assert "Would ask first: push would overwrite 1 value (TOKEN) in " in result.stdout
    assert remote.values() == {**VALUES, "TOKEN": "theirs"}


def test_push_prune_deletes_remote_only_keys_with_force(remote: Remote) -> None:
    remote.seed({**VALUES, "OLD": "o"})
    refused = run("push", "--prune")
    assert refused.exit_code == 1
    assert "delete 1 key (OLD)" in refused.stderr
    assert remote.values() == {**VALUES, "OLD": "o"}
    done = run("push", "--prune", "--force", "--format", "json")
    assert done.exit_code == 0
    assert validated(done.stdout)["applied"]["delete"] == ["OLD"]
    assert remote.values() == VALUES


def test_push_refusal_in_json_mode_still_prints_one_document(remote: Remote) -> None:
    remote.seed({**VALUES, "TOKEN": "theirs"})
    result = run("push", "--format", "json")
    assert result.exit_code == 1
    document = validated(result.stdout)
    assert document["refused"] is True
    assert document["plan"]["update"] == ["TOKEN"]
    assert document["applied"] is None


def test_push_without_an_env_file_is_an_error(remote: Remote) -> None:
    Path(".env").unlink()
    result = run("push")
    assert result.exit_code == 2
    assert ".env: no such file" in result.stderr


# -- pull ---------------------------------------------------------------------------------------


def test_pull_appends_remote_only_keys_leaving_the_rest_byte_identical(remote: Remote) -> None:
    remote.seed({**VALUES, "ADDED": "from aws"})
    result = run("pull")
    assert result.exit_code == 0
    assert Path(".env").read_text() == ENV + "ADDED='from aws'\n"
    assert "Pulled into" in result.stdout
    assert "added 1 (ADDED)" in result.stdout


def test_pull_refuses_to_overwrite_local_values_without_force(remote: Remote) -> None:
    remote.seed({**VALUES, "TOKEN": "rotated"})
    result = run("pull")
    assert result.exit_code == 1
    assert "pull would overwrite 1 value (TOKEN)" in result.stderr
    assert Path(".env").read_text() == ENV
    forced = run("pull", "--force")
    assert forced.exit_code == 0
    assert Path(".env").read_text() == ENV.replace("'tok-one'", "'rotated'")


def test_pull_keeps_local_only_keys_and_prune_drops_them_with_force(remote: Remote) -> None:
    remote.seed({"DB_URL": VALUES["DB_URL"], "TOKEN": VALUES["TOKEN"]})
    assert run("pull", "--dry-run").exit_code == 0
    assert Path(".env").read_text() == ENV
    refused = run("pull", "--prune")
    assert refused.exit_code == 1
    assert "delete 1 key (LOG_LEVEL)" in refused.stderr
    assert run("pull", "--prune", "--force").exit_code == 0
    assert (
        Path(".env").read_text()
        == "# app settings\nDB_URL=postgres://db/app\nexport TOKEN='tok-one'\n"
    )


def test_pull_creates_a_missing_env_file_with_mode_0600(remote: Remote) -> None:
    remote.seed(VALUES)
    Path(".env").unlink()
    result = run("pull")
    assert result.exit_code == 0
    assert stat.S_IMODE(Path(".env").stat().st_mode) == 0o600
    assert run("diff").exit_code == 0


def test_pull_dry_run_writes_nothing(remote: Remote) -> None:
    remote.seed({**VALUES, "ADDED": "a"})
    result = run("pull", "--dry-run")
    assert result.exit_code == 0
    assert "Dry run: pull would add 1 (ADDED)" in result.stdout
    assert Path(".env").read_text() == ENV


def test_pull_from_a_missing_remote_is_an_error(remote: Remote) -> None:
    result = run("pull")
    assert result.exit_code == 2
    assert "does not exist yet; nothing to pull" in result.stderr
    assert Path(".env").read_text() == ENV


def test_pull_warns_about_interpolation(remote: Remote) -> None:
    remote.seed({**VALUES, "URL": "${HOST}/x"})
    result = run("pull")
    assert result.exit_code == 0
    assert "URL contains '${', which python-dotenv expands by default" in result.stderr


# -- values, escaping, colour ---------------------------------------------------------------------


def test_show_values_and_plain_keys(kind: str, project: Path, aws: None) -> None:
    write_config(project, kind, extra='plain_keys = ["LOG_*"]\n')
    Path(".env").write_text("LOG_LEVEL=debug\nTOKEN=mine\n")
    Remote(kind).seed({"LOG_LEVEL": "info", "TOKEN": "theirs"})
    masked = run("diff")
    assert "debug" in masked.stdout and "info" in masked.stdout
    assert "mine" not in masked.stdout and "theirs" not in masked.stdout
    shown = run("diff", "--show-values", "--format", "json")
    entries = {e["key"]: e for e in validated(shown.stdout)["entries"]}
    assert (entries["TOKEN"]["local"], entries["TOKEN"]["remote"]) == ("mine", "theirs")


def test_rich_markup_in_keys_prints_literally(project: Path, aws: None) -> None:
    write_config(project, "secrets_manager")
    Path(".env").write_text("A=1\n")
    Remote("secrets_manager").seed({"A": "1", "[red]x": "v", "[/]": "w"})
    result = run("diff", "--color", "always")
    assert "[red]x" in result.stdout
    assert "[/]" in result.stdout


def test_no_colour_without_a_terminal_or_with_no_color(remote: Remote) -> None:
    remote.seed({**VALUES, "TOKEN": "x"})
    assert "\x1b[" not in run("diff").stdout
    assert "\x1b[" in run("diff", "--color", "always").stdout
    assert "\x1b[" not in run("diff", "--color", "always", env={"NO_COLOR": "1"}).stdout
    assert "\x1b[" not in run("diff", "--color", "never").stdout


# -- errors ---------------------------------------------------------------------------------------


def test_errors_exit_2_with_one_message_and_leave_both_sides_alone(remote: Remote) -> None:
    remote.seed(VALUES)
    Path(".env").write_text("DB_URL=changed\nBROKEN: yes\n")
    for args in (["diff"], ["push", "--force"], ["pull", "--force"], ["diff", "--format", "json"]):
        result = run(*args)
        assert result.exit_code == 2
        assert "line 2: not a KEY=value line" in result.stderr
        assert "Traceback" not in result.stderr
        if "json" in args:  # the error as the command's one document (tests/test_json_contract.py)
            assert validated(result.stdout)["error"]["kind"] == "error"
        else:
            assert result.stdout == ""
    assert remote.values() == VALUES
    assert Path(".env").read_text() == "DB_URL=changed\nBROKEN: yes\n"


def test_no_config_is_an_error(project: Path) -> None:
    result = run("diff")
    assert result.exit_code == 2
    assert "no .secretsync.toml found" in result.stderr


def test_remote_that_is_not_a_json_object(project: Path, aws: None) -> None:
    write_config(project, "secrets_manager")
    Path(".env").write_text("A=1\n")
    Remote("secrets_manager").client.create_secret(Name=SECRET, SecretString='["x"]')
    result = run("pull", "--force")
    assert result.exit_code == 2
    assert "holds a JSON array, not a JSON object" in result.stderr
    assert Path(".env").read_text() == "A=1\n"


def test_parameter_store_rejects_invalid_keys_before_writing(project: Path, aws: None) -> None:
    write_config(project, "parameter_store")
    Path(".env").write_text("GOOD=1\n'bad key'=2\nEMPTY=\n")
    result = run("push")
    assert result.exit_code == 2
    assert "Parameter Store would refuse 2 keys" in result.stderr
    assert Remote("parameter_store").values() == {}


def test_completion_script_is_available() -> None:
    result = CliRunner().invoke(
        cli, [], env={"_SECRETSYNC_COMPLETE": "bash_source"}, prog_name="secretsync"
    )
    assert "_secretsync_completion" in result.output


# -- wording ----------------------------------------------------------------------------------


def test_key_names_are_never_garbled_in_what_a_push_reports(project: Path, aws: None) -> None:
    write_config(project, "secrets_manager")
    Path(".env").write_text("address=1\nupdater=2\ndeleted_at=3\n")
    Remote("secrets_manager").seed({"address": "0", "updater": "0", "deleted_at": "3", "x": "4"})
    result = run("push", "--force")
    assert result.exit_code == 0
    assert "Pushed to secret myapp/production: updated 2 (address, updater)." in result.stdout


def test_counting_words_and_only_the_states_that_occur(project: Path, aws: None) -> None:
    write_config(project, "secrets_manager")
    Path(".env").write_text("A=1\n")
    Remote("secrets_manager").seed({"A": "1"})
    assert "In sync: 1 key agrees." in run("diff").stdout
    assert run("push").exit_code == 0  # records the last sync: three-way from now on
    Path(".env").write_text("A=2\n")
    status = run("status").stdout
    assert "keys         1 local-modified\n" in status
    assert "0 " not in status.split("keys ")[-1]


def test_force_with_dry_run_does_not_ask_for_force(remote: Remote) -> None:
    remote.seed({**VALUES, "TOKEN": "theirs"})
    assert "Would ask first" in run("push", "--dry-run").stdout
    forced = run("push", "--dry-run", "--force")
    assert forced.exit_code == 0 and "Would ask first" not in forced.stdout


def test_a_refusal_says_what_force_does_in_each_direction(remote: Remote) -> None:
    remote.seed({**VALUES, "TOKEN": "theirs"})
    for command in ("push", "pull"):
        result = run(command)
        assert result.exit_code == 1
        assert result.stderr.startswith("secretsync: refused: ")
        assert "`secretsync push --force` overwrites the values in AWS with yours" in result.stderr
        assert "`secretsync pull --force` overwrites your .env with the values in AWS" in (
            result.stderr
        )
        assert "first" not in result.stderr.split("`secretsync diff`")[0]  # no circle of hints


@pytest.mark.parametrize(
    "args",
    [
        ["--env", "staging", "diff"],
        ["--format", "json", "--env", "staging", "diff"],
        ["--env-file", "other.env", "status"],
    ],
)
def test_options_before_the_command_apply_to_it(project: Path, aws: None, args: list[str]) -> None:
    write_config(
        project,
        "secrets_manager",
        extra='[environments.staging.secrets_manager]\nsecret_name = "myapp/staging"\n',
    )
    Path(".env").write_text("A=1\n")
    Path("other.env").write_text("A=1\n")
    result = run(*args)
    assert result.exit_code == 1, result.output
    if "--env" in args:
        assert "myapp/staging" in result.output
    if "--format" in args:
        assert validated(result.stdout)["environment"] == "staging"
    if "--env-file" in args:
        assert "other.env" in result.stdout


def test_an_option_before_a_command_it_does_not_apply_to_is_refused(project: Path) -> None:
    write_config(project, "secrets_manager")
    result = CliRunner().invoke(cli, ["--show-values", "config"])
    assert result.exit_code == 2
    assert "--show-values does not apply to `secretsync config`" in result.stderr


def test_status_and_config_show_the_same_settings_alike(remote: Remote) -> None:
    remote.seed(VALUES)
    status = run("status").stdout.splitlines()
    config = run("config").stdout.splitlines()
    shared = [line for line in config if not line.startswith("env keys")]
    assert shared == status[: len(shared)]


# -- diff/status over several targets ------------------------------------------------------------

STAGING = """
[environments.staging]
env_file = ".env.staging"
[environments.staging.secrets_manager]
secret_name = "myapp/staging"
[environments.staging.parameter_store]
path = "/myapp/staging/"
"""


@pytest.fixture
def two_envs(remote: Remote, project: Path) -> Remote:
    """The top level (in sync) and staging (its .env edited since the push)."""
    config = project / ".secretsync.toml"
    config.write_text(config.read_text() + STAGING)
    remote.seed(VALUES)
    Path(".env.staging").write_text("A=staging\n")
    assert run("--env", "staging", "push", "-q").exit_code == 0
    Path(".env.staging").write_text("A=staging-edited-Qv7\n")
    return remote


def test_diff_all_envs_shows_each_environment_and_exits_with_the_worst(two_envs: Remote) -> None:
    result = run("diff", "--all-envs")
    assert result.exit_code == 1
    out = result.stdout
    assert out.index("== default ==") < out.index("In sync: 3 keys agree.")
    assert out.index("== staging ==") < out.index("Out of sync: 1 local-modified; 0 unchanged.")
    assert "staging-edited-Qv7" not in result.output
    # the next step names the environment it is for
    assert "run `secretsync push --env staging`" in result.output
    Path(".env.staging").write_text("A=staging\n")
    assert run("diff", "--all-envs").exit_code == 0


def test_diff_all_envs_json_is_one_document_with_each_target(two_envs: Remote) -> None:
    result = run("diff", "--all-envs", "--format", "json")
    assert result.exit_code == 1
    document = validated(result.stdout)
    assert document["command"] == "diff"
    assert [target["environment"] for target in document["targets"]] == ["default", "staging"]
    assert [target["config"] for target in document["targets"]] == [None, None]
    default, staging = (target["document"] for target in document["targets"])
    assert default["in_sync"] is True and staging["in_sync"] is False
    assert all(target["error"] is None for target in document["targets"])
    assert "staging-edited-Qv7" not in result.stdout


def test_status_all_envs_reports_each_and_one_broken_target_does_not_hide_the_rest(
    two_envs: Remote, project: Path
) -> None:
    config = project / ".secretsync.toml"
    broken = STAGING.replace("staging", "broken")
    config.write_text(config.read_text() + broken)
    Path(".env.broken").write_text("A=1\nthis line is no setting\n")
    result = run("status", "--all-envs", "--format", "json")
    assert result.exit_code == 2
    targets = {target["environment"]: target for target in validated(result.stdout)["targets"]}
    assert len(targets) == 3
    assert targets["broken"]["document"] is None and ".env.broken" in targets["broken"]["error"]
    assert targets["default"]["error"] is None and targets["default"]["document"]["in_sync"]
    assert targets["staging"]["document"]["in_sync"] is False
    table = run("status", "--all-envs")
    assert table.exit_code == 2
    assert "== staging ==" in table.stdout and "== default ==" in table.stdout
    assert "secretsync [broken]: error: " in table.stderr and ".env.broken" in table.stderr
