"""Never destroy what it guards: each way a sync once overwrote or deleted values without
--force, or lost an edit, or misreported an interrupt, reproduced against a real moto server:
through the command's entry point in this process, and through the installed ``secretsync``
where a signal must reach a process."""

from __future__ import annotations

import json
import signal
import stat
from pathlib import Path

import pytest

from tests.helpers import (
    BACKENDS,
    PATH,
    SECRET,
    Hold,
    Remote,
    key_file,
    run_in_process,
    start_program,
    write_config,
)
from tests.json_contract import validated
from tests.moto_server import MotoServer, error

VALUES = {"A": "alpha-1", "B": "bravo-2", "C": "charlie-3", "D": "delta-4", "E": "echo-5"}
ENV = "".join(f"{k}={v}\n" for k, v in VALUES.items())
READ = {"secrets_manager": "GetSecretValue", "parameter_store": "GetParametersByPath"}


def secretsync(project: Path, *args: str) -> tuple[int, str, str]:
    result = run_in_process(project, *args)
    assert "Traceback" not in result.stderr + result.stdout
    return result.returncode, result.stdout, result.stderr


@pytest.fixture(params=BACKENDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def synced(kind: str, moto_server: MotoServer, project: Path) -> Remote:
    """Both sides agree on VALUES, and the last sync is recorded."""
    write_config(project, kind)
    (project / ".env").write_text(ENV)
    remote = Remote(kind, moto_server.url)
    assert secretsync(project, "push")[0] == 0
    return remote


# -- 1. a record of the last sync describes exactly one pairing ---------------------------------


def test_a_push_from_another_env_file_is_two_way_and_refused(synced: Remote, project: Path) -> None:
    (project / ".env.example").write_text("".join(f"{k}=changeme\n" for k in VALUES))
    code, _, err = secretsync(project, "push", "--env-file", ".env.example")
    assert code == 1
    assert "comparing two-way: the last sync recorded for this environment: the .env file was" in (
        err
    )
    assert "nothing was changed" in err
    assert synced.values() == VALUES


def test_a_typo_in_env_file_never_leads_to_pruning(synced: Remote, project: Path) -> None:
    code, out, err = secretsync(project, "diff", "--env-file", "nope.env")
    assert code == 1
    assert "nope.env does not exist yet" in err
    assert "comparing two-way" in err
    assert "local_deleted" not in out and "local-deleted" not in out
    assert "--prune" not in out + err
    assert "push" not in err  # nothing proposes writing from a file that is not there
    code, _, err = secretsync(project, "push", "--prune", "--env-file", "nope.env")
    assert code == 2
    assert "no such file" in err
    assert synced.values() == VALUES


def test_a_stale_copy_in_another_region_is_another_remote(
    synced: Remote, project: Path, moto_server: MotoServer
) -> None:
    stale = Remote(synced.kind, moto_server.url, region="eu-west-1")
    stale.seed({**VALUES, "A": "old-a", "B": "old-b"} | {"Z": "zulu"})
    code, out, _ = secretsync(project, "diff", "--region", "eu-west-1", "--format", "json")
    document = validated(out)
    assert code == 1
    assert document["three_way"] is False
    assert "the region was us-east-1, not eu-west-1" in document["two_way_reason"]
    code, _, _ = secretsync(project, "pull", "--region", "eu-west-1")
    assert code == 1  # overwriting A and B needs --force: nothing says which side is newer
    assert (project / ".env").read_text() == ENV


def test_a_recreated_secret_is_another_remote(moto_server: MotoServer, project: Path) -> None:
    write_config(project, "secrets_manager")
    (project / ".env").write_text(ENV)
    remote = Remote("secrets_manager", moto_server.url)
    assert secretsync(project, "push")[0] == 0
    remote.client.delete_secret(SecretId=SECRET, ForceDeleteWithoutRecovery=True)
    remote.seed({**VALUES, "A": "other-a"})
    code, out, _ = secretsync(project, "diff", "--format", "json")
    document = validated(out)
    assert code == 1
    assert document["three_way"] is False
    assert document["two_way_reason"].startswith("the last sync was with arn:aws:secretsmanager:")


# -- 2. a missing or empty .env is not "the user deleted every key" ----------------------------


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_pull_recreates_a_missing_env_file(synced: Remote, project: Path, force: list[str]) -> None:
    (project / ".env").unlink()
    code, out, _ = secretsync(project, "pull", *force)
    assert code == 0
    assert "added 5" in out
    env = project / ".env"
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    assert env.read_text() == ENV
    assert secretsync(project, "diff")[0] == 0


def test_push_without_an_env_file_is_an_error(synced: Remote, project: Path) -> None:
    (project / ".env").unlink()
    code, _, err = secretsync(project, "push", "--prune", "--force")
    assert code == 2
    assert ".env: no such file" in err
    assert synced.values() == VALUES


def test_an_emptied_env_file_never_leads_to_deleting_the_remote(
    synced: Remote, project: Path
) -> None:
    (project / ".env").write_text("")
    code, out, err = secretsync(project, "diff")
    assert code == 1
    assert "comparing two-way: " in err and ".env holds no keys" in err
    assert "--prune" not in out + err
    hook = run_in_process(project, name="secretsync-check")
    assert hook.returncode == 1
    assert "--prune" not in hook.stdout
    code, _, err = secretsync(project, "push", "--prune")
    assert code == 1
    assert "push would delete 5 of the 5 keys in" in err
    assert synced.values() == VALUES


def test_mass_changes_need_force_even_with_a_record(synced: Remote, project: Path) -> None:
    local = {**VALUES, "A": "new-a", "B": "new-b", "C": "new-c"}
    (project / ".env").write_text("".join(f"{k}={v}\n" for k, v in local.items()))
    code, _, err = secretsync(project, "push")
    assert code == 1
    assert "push would overwrite 3 of the 5 keys in" in err
    assert "at once" in err
    assert synced.values() == VALUES
    dry = secretsync(project, "push", "--dry-run")
    assert dry[0] == 0 and "Would ask first" in dry[1]
    assert secretsync(project, "push", "--force")[0] == 0
    assert synced.values() == local
    for key in ("A", "B", "C"):
        synced.set(key, f"rotated-{key}")
    code, _, err = secretsync(project, "pull")
    assert code == 1
    assert "pull would overwrite 3 of the 5 keys in" in err
    assert secretsync(project, "pull", "--force")[0] == 0
    assert synced.values()["A"] == "rotated-A"


def test_keys_only_hints_never_push_or_pull_an_example(synced: Remote, project: Path) -> None:
    (project / ".env.example").write_text("A=\nB=\nC=\nD=\nEXTRA=\n")
    code, out, err = secretsync(project, "diff", "--keys-only", "--env-file", ".env.example")
    assert code == 1
    assert "In AWS, not in .env.example: E. Add the names to .env.example." in err
    assert "In .env.example, not in AWS: EXTRA." in err
    assert "secretsync push" not in out + err and "secretsync pull" not in out + err
    hook = run_in_process(
        project, "--keys-only", "--env-file", ".env.example", name="secretsync-check"
    )
    assert hook.returncode == 1
    assert "secretsync push" not in hook.stdout and "secretsync pull" not in hook.stdout


def test_pull_prune_in_three_way_drops_local_only_keys_only_with_force(
    synced: Remote, project: Path
) -> None:
    (project / ".env").write_text(ENV + "MINE=only-here\n")
    code, _, err = secretsync(project, "pull", "--prune")
    assert code == 1
    assert "delete 1 key (MINE)" in err
    assert "MINE" in (project / ".env").read_text()
    code, out, _ = secretsync(project, "pull", "--prune", "--force")
    assert code == 0
    assert "deleted 1 (MINE)" in out
    assert (project / ".env").read_text() == ENV


def test_a_push_of_only_local_deletions_says_that_prune_would_apply_them(
    synced: Remote, project: Path
) -> None:
    (project / ".env").write_text(ENV.replace("E=echo-5\n", ""))
    code, out, err = secretsync(project, "push")
    assert code == 0
    assert out.startswith("Nothing to push")
    assert "E: not in .env; `secretsync push --prune` would delete it in AWS." in err
    document = validated(secretsync(project, "push", "--format", "json")[1])
    assert document["held_back"] == ["E"]
    assert secretsync(project, "push", "--prune")[0] == 0
    assert "E" not in synced.values()


# -- 3. nothing is lost between reading and writing --------------------------------------------


def test_an_editor_save_during_pull_is_never_overwritten(
    synced: Remote, project: Path, moto_server: MotoServer
) -> None:
    synced.set("A", "rotated")
    saved = ENV + "TYPED=while the pull waited\n"

    def save(count: int, body: bytes) -> None:
        if count == 1:
            (project / ".env").write_text(saved)

    moto_server.injector.watch(READ[synced.kind], save)
    code, _, err = secretsync(project, "pull")
    assert code == 2
    assert ".env changed while secretsync was running" in err
    assert (project / ".env").read_text() == saved


def test_a_rotation_during_a_paced_parameter_store_push_is_a_conflict(
    moto_server: MotoServer, project: Path
) -> None:
    write_config(project, "parameter_store")
    keys = [f"K{i:02d}" for i in range(40)]
    (project / ".env").write_text("".join(f"{k}=v1-{k}\n" for k in keys))
    remote = Remote("parameter_store", moto_server.url)
    assert secretsync(project, "push")[0] == 0
    changed = keys[:16]
    (project / ".env").write_text(
        "".join(f"{k}={'v2' if k in changed else 'v1'}-{k}\n" for k in keys)
    )

    def rotate(count: int, body: bytes) -> None:
        if count == 1:  # K15 is written well after the first write goes out
            remote.set("K15", "rotated-by-a-teammate")

    moto_server.injector.watch("PutParameter", rotate)
    code, _, err = secretsync(project, "push")
    assert code == 1
    assert "conflict: K15 was changed by someone else" in err
    values = remote.values()
    assert values["K15"] == "rotated-by-a-teammate"
    assert all(values[k] == f"v2-{k}" for k in changed if k != "K15")


def test_a_push_keeps_the_json_types_of_keys_it_does_not_touch(
    moto_server: MotoServer, project: Path
) -> None:
    write_config(project, "secrets_manager")
    remote = Remote("secrets_manager", moto_server.url)
    remote.client.create_secret(
        Name=SECRET,
        SecretString='{"PORT": 5432, "DEBUG": false, "NOTHING": null, "RATE": 1.50, "A": "x"}',
    )
    assert secretsync(project, "pull")[0] == 0
    env = (project / ".env").read_text()
    (project / ".env").write_text(env.replace("A=x", "A=y"))
    assert secretsync(project, "push")[0] == 0
    raw = remote.client.get_secret_value(SecretId=SECRET, VersionStage="AWSCURRENT")
    document = json.loads(raw["SecretString"], parse_float=str)
    assert document == {"PORT": 5432, "DEBUG": False, "NOTHING": None, "RATE": "1.50", "A": "y"}


# -- 4. interrupts and late failures tell the truth ----------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.usefixtures("processes")
def test_an_interrupt_before_any_write_changes_nothing(
    synced: Remote, project: Path, moto_server: MotoServer, signum: int
) -> None:
    (project / ".env").write_text(ENV.replace("alpha-1", "alpha-2"))
    hold = Hold(moto_server, READ[synced.kind])
    code, out, err = hold.interrupt(start_program(project, "push"), signum)
    assert code == 130
    assert err.strip() == "secretsync: Interrupted; nothing was changed."
    assert "Traceback" not in out + err
    assert synced.values() == VALUES


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.usefixtures("processes")
def test_an_interrupt_part_way_through_a_parameter_store_push_says_exactly_what_was_written(
    moto_server: MotoServer, project: Path, signum: int
) -> None:
    write_config(project, "parameter_store")
    keys = [f"K{i:02d}" for i in range(40)]
    (project / ".env").write_text("".join(f"{k}=new-{k}\n" for k in keys))
    remote = Remote("parameter_store", moto_server.url)
    remote.seed({k: f"old-{k}" for k in keys})
    hold = Hold(moto_server, "PutParameter", at=17)
    code, out, err = hold.interrupt(start_program(project, "push", "--force"), signum)
    assert code == 130, err
    assert "Traceback" not in out + err
    assert f"interrupted while writing to {PATH}; part of the change was made" in err
    applied = _listed(err, "applied")
    not_applied = _listed(err, "not applied")
    assert len(applied) >= 17 and not_applied
    assert sorted(applied + not_applied) == keys
    values = remote.values()
    assert all(values[k] == f"new-{k}" for k in applied)
    assert all(values[k] == f"old-{k}" for k in not_applied)


def _listed(err: str, label: str) -> list[str]:
    [line] = [line for line in err.splitlines() if line.strip().startswith(f"{label}: ")]
    return line.split(": ", 1)[1].split(", ")


@pytest.mark.usefixtures("processes")
def test_an_interrupt_while_secrets_manager_moves_awscurrent_reports_the_outcome(
    synced: Remote, project: Path, moto_server: MotoServer
) -> None:
    if synced.kind != "secrets_manager":
        pytest.skip("AWSCURRENT belongs to Secrets Manager")
    (project / ".env").write_text(ENV.replace("alpha-1", "alpha-2"))
    hold = Hold(moto_server, "UpdateSecretVersionStage")
    code, _, err = hold.interrupt(start_program(project, "push"), signal.SIGINT)
    assert code == 130
    assert "interrupted, but the push to secret myapp/production had completed: applied A" in err
    assert synced.values()["A"] == "alpha-2"
    assert _labels(synced) == ["AWSCURRENT", "AWSPREVIOUS"]


def _labels(remote: Remote) -> list[str]:
    versions = remote.client.list_secret_version_ids(SecretId=SECRET, IncludeDeprecated=True)
    return sorted(s for v in versions["Versions"] for s in v.get("VersionStages", []))


def test_the_staging_label_is_removed_when_the_move_is_refused(
    synced: Remote, project: Path, moto_server: MotoServer
) -> None:
    if synced.kind != "secrets_manager":
        pytest.skip("staging labels belong to Secrets Manager")
    (project / ".env").write_text(ENV.replace("alpha-1", "alpha-2"))
    moto_server.injector.inject("UpdateSecretVersionStage", error("AccessDeniedException"))
    code, _, _ = secretsync(project, "push")
    assert code == 2
    assert synced.values() == VALUES
    assert _labels(synced) == ["AWSCURRENT"]


def test_a_record_that_cannot_be_written_is_a_warning_after_a_successful_push(
    synced: Remote, project: Path
) -> None:
    state = project / ".git" / "secretsync"
    for path in state.iterdir():
        path.unlink()
    state.rmdir()
    state.write_text("not a directory")
    (project / ".env").write_text(ENV.replace("alpha-1", "alpha-2"))
    code, _, err = secretsync(project, "push")
    assert code == 1  # no record to read: two-way, so the overwrite needs --force
    assert "warning: ignoring the record of the last sync: cannot read" in err
    code, out, err = secretsync(project, "push", "--force")
    assert code == 0
    assert "Pushed to" in out
    assert "warning: could not record the last sync in" in err
    assert synced.values()["A"] == "alpha-2"


@pytest.mark.parametrize("damage", [b"", b"zz\n", b"00" * 31 + b"\n"])
def test_a_damaged_key_file_falls_back_to_two_way_and_dropping_the_key_resets_it(
    synced: Remote, project: Path, damage: bytes
) -> None:
    key = key_file()
    key.write_bytes(damage)
    code, _, err = secretsync(project, "diff")
    assert code == 0
    assert f"ignoring the record of the last sync: {key}" in err or str(key) in err
    assert "`secretsync forget --drop-fingerprint-key` clears it" in err
    (project / ".env").write_text(ENV.replace("alpha-1", "alpha-2"))
    code, _, err = secretsync(project, "push", "--force")
    assert code == 0
    assert "could not record the last sync" in err
    code, out, _ = secretsync(project, "forget", "--drop-fingerprint-key")
    assert code == 0 and "Dropped your fingerprint key" in out
    assert secretsync(project, "diff")[0] == 0  # in sync: a new key and record
    code, _, err = secretsync(project, "diff")
    assert code == 0 and "warning" not in err


def test_forget_drops_the_record_of_this_pairing(synced: Remote, project: Path) -> None:
    synced.set("A", "rotated")
    assert validated(secretsync(project, "diff", "--format", "json")[1])["three_way"] is True
    code, out, _ = secretsync(project, "forget")
    assert code == 0 and out.startswith("Dropped the record of the last sync")
    document = validated(secretsync(project, "diff", "--format", "json")[1])
    assert document["three_way"] is False and document["base"] is None
    assert {e["key"]: e["state"] for e in document["entries"]}["A"] == "changed"
    code, out, _ = secretsync(project, "forget")
    assert out.startswith("There was no record")


@pytest.mark.usefixtures("processes")
def test_an_interrupted_hook_says_nothing_was_changed(
    synced: Remote, project: Path, moto_server: MotoServer
) -> None:
    hold = Hold(moto_server, READ[synced.kind])
    process = start_program(project, name="secretsync-check")
    code, out, err = hold.interrupt(process, signal.SIGTERM)
    assert code == 130
    assert out.strip() == "secretsync: Interrupted; nothing was changed."
    assert "Traceback" not in out + err
