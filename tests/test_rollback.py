"""``rollback`` through the CLI against a moto server, both backends (the installed program
where a signal, a terminal or a deadline is the subject), and its core against in-process moto
where a race needs an exact interleaving."""

from __future__ import annotations

import datetime
import json
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from secretsync_hooks.config.settings import Overrides, load_config
from secretsync_hooks.errors import RefusedError, SecretSyncError, WriteConflict
from secretsync_hooks.redact import Redactor
from tests.helpers import (
    PATH,
    SECRET,
    Hold,
    Remote,
    in_a_terminal,
    program,
    run_in_process,
    run_program,
    start_program,
    write_config,
)
from tests.json_contract import validated
from tests.moto_server import MotoServer
from tests.test_canary import leaks

CANARIES = {"Ak1Vq8Zr4Lp", "Ak2Wm5Tx9Hs", "Bb1Kd7Np3Qe", "Cc1Rf6Jw2Yt", "Dd1Hs4Lm8Vq"}
CANARIES |= {"Dd2Xn9Pb5Gk", "Ee1Tz3Qc7Wm", "Ff1Gy2Nv6Ra"}


def secretsync(project: Path, *args: str) -> tuple[int, str]:
    result = run_in_process(project, *args)
    return result.returncode, result.stdout + result.stderr


def utc_now() -> str:
    """Now, as a user would type it, between two changes made 50 ms away from it."""
    time.sleep(0.05)
    moment = datetime.datetime.now(datetime.timezone.utc).isoformat()
    time.sleep(0.05)
    return moment


def secret_versions(remote: Remote) -> list[dict[str, Any]]:
    listed = remote.client.list_secret_version_ids(SecretId=SECRET, IncludeDeprecated=True)
    return list(listed["Versions"])


def current_document(remote: Remote) -> str:
    response = remote.client.get_secret_value(SecretId=SECRET, VersionStage="AWSCURRENT")
    return str(response["SecretString"])


# -- Secrets Manager ----------------------------------------------------------------------------
@pytest.fixture
def secret(project: Path, moto_server: MotoServer) -> tuple[Remote, str]:
    """Version 1 made by another tool (with a JSON number), version 2 by a push that changed
    API_TOKEN, added NEW_FLAG and removed CACHE_URL."""
    write_config(project, "secrets_manager")
    remote = Remote("secrets_manager", moto_server.url)
    first = {
        "API_TOKEN": "Ak1Vq8Zr4Lp",
        "DB_PASSWORD": "Bb1Kd7Np3Qe",
        "CACHE_URL": "Cc1Rf6Jw2Yt",
        "PORT": 5432,
    }
    remote.client.create_secret(Name=SECRET, SecretString=json.dumps(first))
    document = current_document(remote)
    (project / ".env").write_text(
        "API_TOKEN=Ak2Wm5Tx9Hs\nDB_PASSWORD=Bb1Kd7Np3Qe\nPORT=5432\nNEW_FLAG=Ff1Gy2Nv6Ra\n"
    )
    code, output = secretsync(project, "push", "--force", "--prune")
    assert code == 0, output
    return remote, document


def test_secrets_manager_rollback_restores_the_version_exactly(
    secret: tuple[Remote, str], project: Path
) -> None:
    remote, first_document = secret
    env_before = (project / ".env").read_bytes()
    versions = secret_versions(remote)
    first = next(v for v in versions if "AWSCURRENT" not in v["VersionStages"])
    second = next(v for v in versions if "AWSCURRENT" in v["VersionStages"])
    short = first["VersionId"][:8]

    code, output = secretsync(project, "rollback", "--to", short, "--dry-run")
    assert code == 0, output
    assert f"Would roll back secret {SECRET} (us-east-1) to version {first['VersionId']}" in output
    assert "  add      CACHE_URL" in output
    assert "  restore  API_TOKEN" in output
    assert "  delete   NEW_FLAG" in output
    assert "Dry run: nothing was changed." in output
    assert leaks(output, CANARIES) == set()
    assert len(secret_versions(remote)) == 2

    # Without --force and without a terminal: the plan, then a refusal (exit 1).
    code, output = secretsync(project, "rollback", "--to", short)
    assert code == 1, output
    assert "--force" in output and "nothing was changed" in output
    assert len(secret_versions(remote)) == 2

    code, output = secretsync(project, "rollback", "--to", short, "--force")
    assert code == 0, output
    assert "Rolled back" in output and "Remote version now" in output
    assert "`secretsync pull` brings it along" in output
    assert leaks(output, CANARIES) == set()
    # A new version, byte for byte the chosen one's content (PORT is still a JSON number).
    assert current_document(remote) == first_document
    assert json.loads(current_document(remote))["PORT"] == 5432
    after = secret_versions(remote)
    assert len(after) == 3
    stages = {v["VersionId"]: v["VersionStages"] for v in after}
    assert stages[second["VersionId"]] == ["AWSPREVIOUS"]  # AWSCURRENT moved forward
    assert "AWSCURRENT" not in stages[first["VersionId"]]
    assert not any(label.startswith("secretsync-") for v in after for label in v["VersionStages"])
    assert (project / ".env").read_bytes() == env_before  # the .env is untouched

    code, output = secretsync(project, "history")
    assert code == 0, output
    newest = output.splitlines()[2]
    assert "AWSCURRENT" in newest
    assert "added CACHE_URL; changed API_TOKEN; removed NEW_FLAG" in newest

    # Undo the undo: AWSPREVIOUS is a staging label --to accepts.
    code, output = secretsync(project, "rollback", "--to", "AWSPREVIOUS", "--force")
    assert code == 0, output
    assert json.loads(current_document(remote))["API_TOKEN"] == "Ak2Wm5Tx9Hs"
    assert len(secret_versions(remote)) == 4


def test_a_pull_after_a_rollback_brings_the_env_along(
    secret: tuple[Remote, str], project: Path
) -> None:
    remote, _ = secret
    remote.set("DB_PASSWORD", "Dd1Hs4Lm8Vq")  # a bad rotation, then a rollback of it
    code, output = secretsync(project, "pull", "--force")
    assert code == 0, output
    code, output = secretsync(project, "rollback", "--to", "AWSPREVIOUS", "--force")
    assert code == 0, output
    code, output = secretsync(project, "pull")  # no --force: the remote changed, not the .env
    assert code == 0, output
    assert "DB_PASSWORD=Bb1Kd7Np3Qe" in (project / ".env").read_text()
    code, output = secretsync(project, "diff")
    assert code == 0, output


def test_secrets_manager_rollback_in_json(secret: tuple[Remote, str], project: Path) -> None:
    remote, _ = secret
    first = next(v for v in secret_versions(remote) if "AWSCURRENT" not in v["VersionStages"])
    result = run_in_process(
        project, "rollback", "--to", first["VersionId"], "--force", "--format", "json"
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "PORT holds a JSON number" in result.stderr  # warnings on stderr, once
    assert result.stderr.count("warning:") == 1
    document = validated(result.stdout)
    assert document["command"] == "rollback" and document["schema"] == 2
    assert document["to"] == first["VersionId"]
    assert (document["added"], document["restored"], document["deleted"]) == (
        ["CACHE_URL"],
        ["API_TOKEN"],
        ["NEW_FLAG"],
    )
    assert document["applied"] is True and document["version"]
    assert leaks(output, CANARIES) == set()


def test_secrets_manager_rollback_refusals(secret: tuple[Remote, str], project: Path) -> None:
    remote, _ = secret
    current = next(v for v in secret_versions(remote) if "AWSCURRENT" in v["VersionStages"])
    code, output = secretsync(project, "rollback", "--to", current["VersionId"], "--force")
    assert code == 0, output
    assert "Nothing to roll back" in output
    assert len(secret_versions(remote)) == 2

    code, output = secretsync(project, "rollback", "--to", "0000dead", "--force")
    assert code == 2
    assert "has no version '0000dead'" in output and "secretsync history" in output

    code, output = secretsync(project, "rollback", "--to", "AWSPREVIOUS", "--prune", "--force")
    assert code == 2
    assert "--prune is for Parameter Store" in output
    assert "Traceback" not in output
    assert len(secret_versions(remote)) == 2


@pytest.mark.usefixtures("processes")
def test_rollback_asks_at_a_terminal(secret: tuple[Remote, str], project: Path) -> None:
    remote, first_document = secret
    argv = [program(), "rollback", "--to", "AWSPREVIOUS"]
    code, output = in_a_terminal(project, argv, b"n\n", after=b"Roll back")
    assert code == 1, output
    assert len(secret_versions(remote)) == 2
    code, output = in_a_terminal(project, argv, b"y\n", after=b"Roll back")
    assert code == 0, output
    assert current_document(remote) == first_document
    assert leaks(output, CANARIES) == set()


def test_no_secret_no_rollback(project: Path, moto_server: MotoServer) -> None:
    write_config(project, "secrets_manager")
    code, output = secretsync(project, "rollback", "--to", "AWSPREVIOUS", "--force")
    assert code == 2
    assert "does not exist: nothing to roll back" in output


# -- Parameter Store ----------------------------------------------------------------------------
@pytest.fixture
def parameters(project: Path, moto_server: MotoServer) -> tuple[Remote, str]:
    """Four keys pushed; the time; then another writer changes API_TOKEN, deletes CACHE_URL,
    creates EXTRA, and deletes and re-creates DEPLOY_KEY."""
    write_config(project, "parameter_store")
    (project / ".env").write_text(
        "API_TOKEN=Ak1Vq8Zr4Lp\nDB_PASSWORD=Bb1Kd7Np3Qe\nCACHE_URL=Cc1Rf6Jw2Yt\n"
        "DEPLOY_KEY=Dd1Hs4Lm8Vq\n"
    )
    code, output = secretsync(project, "push")
    assert code == 0, output
    moment = utc_now()
    remote = Remote("parameter_store", moto_server.url)
    remote.set("API_TOKEN", "Ak2Wm5Tx9Hs")
    remote.delete("CACHE_URL")
    remote.seed({"EXTRA": "Ee1Tz3Qc7Wm"})
    remote.delete("DEPLOY_KEY")
    remote.seed({"DEPLOY_KEY": "Dd2Xn9Pb5Gk"})
    return remote, moment


def parameter_version(remote: Remote, key: str) -> int:
    return int(remote.client.get_parameter(Name=PATH + key)["Parameter"]["Version"])


def test_parameter_store_rollback_to_a_point_in_time(
    parameters: tuple[Remote, str], project: Path
) -> None:
    remote, moment = parameters
    env_before = (project / ".env").read_bytes()
    code, output = secretsync(project, "rollback", "--to", moment, "--dry-run")
    assert code == 0, output
    lines = output.splitlines()
    assert lines[0].startswith(f"Would roll back parameter path {PATH} (us-east-1) to the state at")
    assert [line for line in lines if line.startswith("  ")] == ["  restore  API_TOKEN"]
    assert "Kept: DEPLOY_KEY, EXTRA (created after" in output
    assert "deleted and created again since" in output
    assert "Not in parameter path /myapp/production/ now: CACHE_URL" in output
    assert "AWS kept no history of it and a rollback cannot restore it" in output
    assert leaks(output, CANARIES) == set()
    assert remote.values()["API_TOKEN"] == "Ak2Wm5Tx9Hs"

    untouched = parameter_version(remote, "DB_PASSWORD")
    code, output = secretsync(project, "rollback", "--to", moment, "--force")
    assert code == 0, output
    assert leaks(output, CANARIES) == set()
    assert remote.values() == {
        "API_TOKEN": "Ak1Vq8Zr4Lp",
        "DB_PASSWORD": "Bb1Kd7Np3Qe",
        "EXTRA": "Ee1Tz3Qc7Wm",
        "DEPLOY_KEY": "Dd2Xn9Pb5Gk",
    }
    assert parameter_version(remote, "API_TOKEN") == 3  # the history keeps growing
    assert parameter_version(remote, "DB_PASSWORD") == untouched  # not rewritten
    assert (project / ".env").read_bytes() == env_before

    code, output = secretsync(project, "rollback", "--to", moment, "--force", "--prune")
    assert code == 0, output
    assert "  delete   DEPLOY_KEY" in output and "  delete   EXTRA" in output
    assert remote.values() == {"API_TOKEN": "Ak1Vq8Zr4Lp", "DB_PASSWORD": "Bb1Kd7Np3Qe"}

    code, output = secretsync(project, "rollback", "--to", moment, "--force", "--prune")
    assert code == 0, output
    assert "Nothing to roll back" in output


def test_parameter_store_rollback_in_json(parameters: tuple[Remote, str], project: Path) -> None:
    _, moment = parameters
    result = run_in_process(project, "rollback", "--to", moment, "--format", "json")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output  # no --force, no terminal: refused, with the plan
    document = validated(result.stdout)
    assert document["refused"] is True and document["applied"] is False
    assert document["restored"] == ["API_TOKEN"]
    assert document["kept"] == ["DEPLOY_KEY", "EXTRA"]
    assert document["not_restorable"] == ["CACHE_URL"]
    assert document["lost"] == [] and document["version"] is None
    assert leaks(output, CANARIES) == set()


@pytest.mark.parametrize(
    ("to", "problem"),
    [
        ("yesterday", "is not a point in time"),
        ("2026-02-30T10:00Z", "is not a valid date and time"),
        ("2999-01-01T00:00Z", "is in the future"),
    ],
)
def test_parameter_store_rollback_needs_a_past_time(
    parameters: tuple[Remote, str], project: Path, to: str, problem: str
) -> None:
    remote, _ = parameters
    before = remote.values()
    code, output = secretsync(project, "rollback", "--to", to, "--force")
    assert code == 2, output
    assert problem in output and "point in time" in output
    assert "Traceback" not in output
    assert remote.values() == before


# -- races, against the core --------------------------------------------------------------------
def _config(project: Path, kind: str) -> Any:
    write_config(project, kind)
    return load_config(Overrides())


def test_a_secret_changed_after_the_plan_is_not_overwritten(project: Path, aws: None) -> None:
    from secretsync_hooks.timeline import rollback

    config = _config(project, "secrets_manager")
    remote = Remote("secrets_manager")
    remote.seed({"A": "one"})
    remote.set("A", "two")
    planned = rollback.plan(config, Redactor(), "AWSPREVIOUS", prune=False)
    assert [op.key for op in planned.rollback.plan.ops] == ["A"]
    remote.set("B", "someone else's")  # between the plan and the write
    with pytest.raises(RefusedError, match="changed after the rollback was planned"):
        rollback.apply(planned)
    assert remote.values() == {"A": "two", "B": "someone else's"}


def test_a_parameter_changed_after_the_plan_is_not_overwritten(project: Path, aws: None) -> None:
    from secretsync_hooks.timeline import rollback

    config = _config(project, "parameter_store")
    remote = Remote("parameter_store")
    remote.seed({"A": "one", "B": "one"})
    moment = utc_now()
    remote.set("A", "two")
    remote.set("B", "two")
    planned = rollback.plan(config, Redactor(), moment, prune=False)
    assert sorted(op.key for op in planned.rollback.plan.ops) == ["A", "B"]
    remote.set("B", "three")  # between the plan and the write
    with pytest.raises(WriteConflict) as caught:
        rollback.apply(planned)
    assert caught.value.keys == ("B",)
    assert caught.value.applied == ()  # checked before the first write: nothing written
    assert remote.values() == {"A": "two", "B": "three"}


def test_a_parameter_with_more_history_than_aws_keeps_is_named(project: Path, aws: None) -> None:
    from secretsync_hooks.timeline import rollback

    config = _config(project, "parameter_store")
    remote = Remote("parameter_store")
    remote.seed({"A": "v1"})
    moment = utc_now()
    for n in range(2, 103):  # AWS (and moto) keep a parameter's last 100 versions
        remote.set("A", f"v{n}")
    planned = rollback.plan(config, Redactor(), moment, prune=True)
    assert planned.rollback.plan.is_empty
    assert planned.rollback.lost == ("A",)
    assert planned.rollback.kept == ()


def test_a_time_is_not_a_secrets_manager_version(project: Path, aws: None) -> None:
    from secretsync_hooks.timeline import rollback

    config = _config(project, "secrets_manager")
    Remote("secrets_manager").seed({"A": "one"})
    with pytest.raises(SecretSyncError, match="has no version") as caught:
        rollback.plan(config, Redactor(), "2026-11-27T14:00Z", prune=False)
    assert "rolls back to a version, not a time" in str(caught.value.hint)


# -- what it costs ------------------------------------------------------------------------------
def test_the_calls_a_secrets_manager_rollback_makes(
    secret: tuple[Remote, str], project: Path, moto_server: MotoServer
) -> None:
    moto_server.injector.calls.clear()
    code, output = secretsync(project, "rollback", "--to", "AWSPREVIOUS", "--dry-run")
    assert code == 0, output
    planning = {"GetSecretValue": 2, "ListSecretVersionIds": 1}
    assert dict(moto_server.injector.calls) == planning
    moto_server.injector.calls.clear()
    code, output = secretsync(project, "rollback", "--to", "AWSPREVIOUS", "--force")
    assert code == 0, output
    # Planning, then one rotation check and the compare-and-swap publish: the new version
    # under its own label, AWSCURRENT moved onto it, the label removed.
    writing = {"DescribeSecret": 1, "PutSecretValue": 1, "UpdateSecretVersionStage": 2}
    assert dict(moto_server.injector.calls) == {**planning, **writing}


def test_the_calls_a_parameter_store_rollback_makes(
    parameters: tuple[Remote, str], project: Path, moto_server: MotoServer
) -> None:
    _, moment = parameters
    moto_server.injector.calls.clear()
    code, output = secretsync(project, "rollback", "--to", moment, "--dry-run")
    assert code == 0, output
    # One page of GetParametersByPath; history only for the 3 keys changed since (API_TOKEN,
    # EXTRA, DEPLOY_KEY), none for DB_PASSWORD.
    assert dict(moto_server.injector.calls) == {
        "GetParametersByPath": 1,
        "GetParameterHistory": 3,
    }


# -- points in time -----------------------------------------------------------------------------
NOW = datetime.datetime(2026, 11, 28, 12, 0, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize(
    ("given", "utc"),
    [
        ("2026-11-27T14:00Z", "2026-11-27 14:00:00 UTC"),
        ("2026-11-27T14:00:30z", "2026-11-27 14:00:30 UTC"),
        ("2026-11-27 15:00+01:00", "2026-11-27 14:00:00 UTC"),
        ("2026-11-27T09:00-0500", "2026-11-27 14:00:00 UTC"),
        ("2026-11-27T14:00:00.250+00:00", "2026-11-27 14:00:00.250 UTC"),
        ("2026-11-27", None),  # midnight, local time
        ("2026-11-27T14:00", None),  # local time
    ],
)
def test_points_in_time(given: str, utc: str | None) -> None:
    from secretsync_hooks import timepoint

    when = timepoint.parse(given, now=NOW)
    assert when.tzinfo is not None
    if utc is not None:
        assert timepoint.shown(when) == utc
    else:
        local = datetime.datetime.fromisoformat(given if "T" in given else given + "T00:00")
        assert when == local.astimezone()


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ("", "is not a point in time"),
        ("1h", "is not a point in time"),
        ("2026-11-27T14", "is not a point in time"),
        ("2026-13-01", "is not a valid date and time"),
        ("2026-11-28T12:00:01Z", "is in the future"),
        ("2026-11-28T\x1b[31m", "is not a point in time"),
    ],
)
def test_what_is_not_a_point_in_time(given: str, problem: str) -> None:
    from secretsync_hooks import timepoint

    with pytest.raises(SecretSyncError, match=problem) as caught:
        timepoint.parse(given, now=NOW)
    assert "\x1b" not in caught.value.message


# -- interrupts ---------------------------------------------------------------------------------
@pytest.mark.usefixtures("processes")
def test_an_interrupted_secrets_manager_rollback_reports_the_outcome(
    secret: tuple[Remote, str], project: Path, moto_server: MotoServer
) -> None:
    remote, first_document = secret
    hold = Hold(moto_server, "UpdateSecretVersionStage")
    process = start_program(project, "rollback", "--to", "AWSPREVIOUS", "--force")
    code, out, err = hold.interrupt(process, signal.SIGINT)
    assert code == 130, err
    assert "interrupted, but the rollback to secret myapp/production had completed" in err
    assert "Traceback" not in out + err
    assert current_document(remote) == first_document
    labels = sorted(label for v in secret_versions(remote) for label in v["VersionStages"])
    assert labels == ["AWSCURRENT", "AWSPREVIOUS"]  # the rollback's own label is gone


@pytest.mark.usefixtures("processes")
def test_an_interrupted_parameter_store_rollback_says_exactly_what_was_written(
    project: Path, moto_server: MotoServer
) -> None:
    write_config(project, "parameter_store")
    remote = Remote("parameter_store", moto_server.url)
    keys = [f"K{i:02d}" for i in range(40)]
    remote.seed({k: f"old-{k}" for k in keys})
    moment = utc_now()
    for key in keys:
        remote.set(key, f"new-{key}")
    hold = Hold(moto_server, "PutParameter", at=17)
    process = start_program(project, "rollback", "--to", moment, "--force")
    code, out, err = hold.interrupt(process, signal.SIGINT)
    assert code == 130, err
    assert "Traceback" not in out + err
    assert f"interrupted while writing to {PATH}; part of the change was made" in err
    [applied] = [line for line in err.splitlines() if line.strip().startswith("applied: ")]
    [pending] = [line for line in err.splitlines() if line.strip().startswith("not applied: ")]
    done = applied.split(": ", 1)[1].split(", ")
    left = pending.split(": ", 1)[1].split(", ")
    assert len(done) >= 17 and left and sorted(done + left) == keys
    values = remote.values()
    assert all(values[k] == f"old-{k}" for k in done)  # restored
    assert all(values[k] == f"new-{k}" for k in left)  # as they were


@pytest.mark.usefixtures("processes")
def test_a_history_read_that_never_answers_is_bounded_by_the_deadline(
    parameters: tuple[Remote, str], project: Path, moto_server: MotoServer
) -> None:
    import os
    import threading

    remote, moment = parameters
    before = remote.values()
    release = threading.Event()

    def hang(count: int, body: bytes) -> None:
        release.wait(30)

    moto_server.injector.watch("GetParameterHistory", hang)
    env = {**os.environ, "SECRETSYNC_TIMEOUT": "2"}
    started = time.monotonic()
    try:
        result = run_program(project, "rollback", "--to", moment, "--force", env=env)
    finally:
        release.set()
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert time.monotonic() - started < 8
    assert "AWS did not answer within 2 s (waiting for: ssm:GetParameterHistory" in output
    assert remote.values() == before
