from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from secretsync_hooks.config.settings import SecretsManagerSettings
from secretsync_hooks.errors import RemoteError, WriteConflict
from secretsync_hooks.models import Action
from secretsync_hooks.remote.aws import AwsSession
from secretsync_hooks.remote.base import RemoteSnapshot
from secretsync_hooks.remote.secrets_manager.backend import SecretsManagerBackend
from tests.helpers import Remote, add, delete, plan, update
from tests.moto_server import MotoServer

NAME = "myapp/production"


def backend(**settings: Any) -> SecretsManagerBackend:
    return SecretsManagerBackend(
        SecretsManagerSettings(secret_name=settings.pop("name", NAME), **settings),
        AwsSession("us-east-1"),
    )


def sm() -> Any:
    return boto3.client("secretsmanager", region_name="us-east-1")


def current(name: str = NAME) -> dict[str, str]:
    value = sm().get_secret_value(SecretId=name, VersionStage="AWSCURRENT")["SecretString"]
    return dict(json.loads(value))


def versions(name: str = NAME) -> list[dict[str, Any]]:
    return list(sm().list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"])


def put_plain(document: dict[str, str]) -> None:
    """Another writer's plain PutSecretValue, with the moto 5.2 stage workaround."""
    client = sm()
    old = client.get_secret_value(SecretId=NAME, VersionStage="AWSCURRENT")["VersionId"]
    new = client.put_secret_value(SecretId=NAME, SecretString=json.dumps(document))["VersionId"]
    for version in versions():
        if version["VersionId"] != new and "AWSCURRENT" in version.get("VersionStages", []):
            client.update_secret_version_stage(
                SecretId=NAME, VersionStage="AWSCURRENT", RemoveFromVersionId=version["VersionId"]
            )
    assert old != new


@pytest.mark.usefixtures("aws")
def test_missing_secret_reads_as_empty_and_not_existing() -> None:
    snapshot = backend().read()
    assert snapshot.exists is False
    assert dict(snapshot.values) == {}


@pytest.mark.usefixtures("aws")
def test_reads_the_json_object_with_version() -> None:
    created = sm().create_secret(Name=NAME, SecretString='{"A": "1", "B": "two"}')
    snapshot = backend().read()
    assert snapshot.exists
    assert dict(snapshot.values) == {"A": "1", "B": "two"}
    assert list(snapshot.values) == ["A", "B"]
    assert snapshot.version == created["VersionId"]
    assert snapshot.last_changed is not None


@pytest.mark.usefixtures("aws")
@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("not json", r"secret myapp/production is not JSON \(line 1, column 1\)"),
        ('["a"]', "holds a JSON array, not a JSON object"),
        ('"text"', "holds a JSON string, not a JSON object"),
        ("42", "holds a JSON number or constant"),
        ('{"A": {"x": 1}, "B": [1], "C": "ok"}', "nested objects or arrays under A, B"),
    ],
)
def test_remote_content_errors_name_the_secret(document: str, message: str) -> None:
    sm().create_secret(Name=NAME, SecretString=document)
    with pytest.raises(RemoteError, match=message):
        backend().read()


@pytest.mark.usefixtures("aws")
def test_binary_secret_is_refused() -> None:
    sm().create_secret(Name=NAME, SecretBinary=b"\x00\x01")
    with pytest.raises(RemoteError, match="holds binary data"):
        backend().read()


@pytest.mark.usefixtures("aws")
def test_numbers_booleans_and_null_become_json_text_with_a_warning() -> None:
    sm().create_secret(
        Name=NAME, SecretString='{"PORT": 5432, "RATE": 1.50, "ON": true, "NONE": null, "S": "x"}'
    )
    snapshot = backend().read()
    assert dict(snapshot.values) == {
        "PORT": "5432",
        "RATE": "1.50",
        "ON": "true",
        "NONE": "null",
        "S": "x",
    }
    assert snapshot.warnings == (
        "secret myapp/production: PORT, RATE, ON, NONE hold JSON numbers, booleans or null; "
        "compared and pulled as their JSON text",
    )


@pytest.mark.usefixtures("aws")
def test_secret_scheduled_for_deletion_says_how_to_restore() -> None:
    sm().create_secret(Name=NAME, SecretString="{}")
    sm().delete_secret(SecretId=NAME, RecoveryWindowInDays=7)
    with pytest.raises(RemoteError, match="scheduled for deletion") as info:
        backend().read()
    assert "aws secretsmanager restore-secret --secret-id myapp/production" in (
        info.value.hint or ""
    )


@pytest.mark.parametrize("name", ["", "has space", "x" * 513, "semi;colon", "ünï"])
def test_names_aws_would_reject_are_refused_before_any_call(name: str) -> None:
    with pytest.raises(RemoteError, match="is not one AWS accepts"):
        backend(name=name)


def test_name_looking_like_an_arn_suffix_warns() -> None:
    assert backend(name="app/prod-AbC123").warnings


@pytest.mark.usefixtures("aws")
def test_push_creates_a_missing_secret_with_kms_description_and_tags() -> None:
    kms = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["KeyId"]
    b = backend(kms_key_id=kms, description="managed by secretsync", tags={"team": "pay"})
    result = b.apply(plan(add("A", "1"), add("B", "2")), b.read())
    assert current() == {"A": "1", "B": "2"}
    assert result.keys(Action.ADD) == ("A", "B")
    described = sm().describe_secret(SecretId=NAME)
    assert described["KmsKeyId"] == kms
    assert described["Description"] == "managed by secretsync"
    assert described["Tags"] == [{"Key": "team", "Value": "pay"}]


@pytest.mark.usefixtures("aws")
def test_one_push_makes_exactly_one_new_version_and_keeps_key_order() -> None:
    sm().create_secret(Name=NAME, SecretString='{"Z": "1", "A": "2", "M": "3"}')
    b = backend()
    before = len(versions())
    result = b.apply(plan(update("A", "20"), add("NEW", "n"), delete("Z"), add("B", "b")), b.read())
    assert list(current().items()) == [("A", "20"), ("M", "3"), ("NEW", "n"), ("B", "b")]
    assert len(versions()) == before + 1
    labels = [v.get("VersionStages", []) for v in versions()]
    assert not any(label.startswith("secretsync-") for stages in labels for label in stages)
    assert result.version == b.read().version


@pytest.mark.usefixtures("aws")
def test_empty_plan_makes_no_call(monkeypatch: pytest.MonkeyPatch) -> None:
    b = backend()
    monkeypatch.setattr(AwsSession, "client", lambda *a: pytest.fail("an AWS call was made"))
    assert b.apply(plan(), RemoteSnapshot(values={}, exists=True)).applied == ()


@pytest.mark.usefixtures("aws")
def test_changes_to_other_keys_since_the_snapshot_are_kept() -> None:
    sm().create_secret(Name=NAME, SecretString='{"A": "1", "B": "1"}')
    b = backend()
    snapshot = b.read()
    put_plain({"A": "1", "B": "changed by a teammate", "C": "new from teammate"})
    b.apply(plan(update("A", "2")), snapshot)
    assert current() == {"A": "2", "B": "changed by a teammate", "C": "new from teammate"}


@pytest.mark.usefixtures("aws")
def test_a_touched_key_changed_since_the_snapshot_is_a_conflict_and_nothing_is_written() -> None:
    sm().create_secret(Name=NAME, SecretString='{"A": "1", "B": "1"}')
    b = backend()
    snapshot = b.read()
    put_plain({"A": "teammate", "B": "1"})
    before = len(versions())
    with pytest.raises(WriteConflict, match="A was changed by someone else") as info:
        b.apply(plan(update("A", "mine"), update("B", "2")), snapshot)
    assert info.value.exit_code == 1
    assert info.value.keys == ("A",)
    assert current() == {"A": "teammate", "B": "1"}
    assert len(versions()) == before


@pytest.mark.usefixtures("aws")
def test_a_key_already_set_to_the_wanted_value_is_not_a_conflict() -> None:
    sm().create_secret(Name=NAME, SecretString='{"A": "1"}')
    b = backend()
    snapshot = b.read()
    put_plain({"A": "2"})
    b.apply(plan(update("A", "2")), snapshot)
    assert current() == {"A": "2"}


def _teammate_writes_before_our_put(server: MotoServer, document: dict[str, str]) -> None:
    """Right before this push's PutSecretValue reaches AWS, a teammate publishes a version."""
    teammate = Remote("secrets_manager", server.url)

    def race(count: int, body: bytes) -> None:
        if count == 1:
            teammate.put_document(document)

    server.injector.watch("PutSecretValue", race)


def test_compare_and_swap_retries_when_awscurrent_moves_between_read_and_publish(
    moto_server: MotoServer,
) -> None:
    direct = Remote("secrets_manager", moto_server.url)
    direct.client.create_secret(Name=NAME, SecretString='{"A": "1", "B": "1"}')
    b = backend()
    snapshot = b.read()
    _teammate_writes_before_our_put(moto_server, {"A": "1", "B": "teammate"})
    b.apply(plan(update("A", "mine")), snapshot)
    assert direct.values() == {"A": "mine", "B": "teammate"}
    stages = [
        s
        for v in direct.client.list_secret_version_ids(SecretId=NAME, IncludeDeprecated=True)[
            "Versions"
        ]
        for s in v.get("VersionStages", [])
    ]
    assert stages.count("AWSCURRENT") == 1
    assert not any(s.startswith("secretsync-") for s in stages)


def test_compare_and_swap_race_on_the_same_key_is_a_conflict(moto_server: MotoServer) -> None:
    direct = Remote("secrets_manager", moto_server.url)
    direct.client.create_secret(Name=NAME, SecretString='{"A": "1"}')
    b = backend()
    snapshot = b.read()
    _teammate_writes_before_our_put(moto_server, {"A": "teammate"})
    with pytest.raises(WriteConflict, match="A was changed"):
        b.apply(plan(update("A", "mine")), snapshot)
    assert direct.values() == {"A": "teammate"}


@pytest.mark.usefixtures("aws")
def test_secret_created_by_someone_else_meanwhile_is_merged_not_clobbered() -> None:
    b = backend()
    snapshot = b.read()
    assert not snapshot.exists
    sm().create_secret(Name=NAME, SecretString='{"THEIRS": "t"}')
    b.apply(plan(add("MINE", "m")), snapshot)
    assert current() == {"THEIRS": "t", "MINE": "m"}


@pytest.mark.usefixtures("aws")
def test_size_limit_is_checked_before_any_write_naming_the_largest_values() -> None:
    sm().create_secret(Name=NAME, SecretString='{"A": "1"}')
    b = backend()
    before = len(versions())
    with pytest.raises(
        RemoteError, match=r"over AWS's limit of 65536; nothing was written"
    ) as info:
        b.apply(plan(add("BIG", "x" * 40_000), add("HUGE", "y" * 30_000)), b.read())
    assert "HUGE (30000 bytes)" in (info.value.hint or "")
    assert "BIG (40000 bytes)" in (info.value.hint or "")
    assert len(versions()) == before
    assert current() == {"A": "1"}


@pytest.mark.usefixtures("aws")
def test_pushing_to_a_secret_scheduled_for_deletion_is_refused() -> None:
    sm().create_secret(Name=NAME, SecretString='{"A": "1"}')
    b = backend()
    snapshot = b.read()
    sm().delete_secret(SecretId=NAME, RecoveryWindowInDays=7)
    with pytest.raises(RemoteError, match="scheduled for deletion"):
        b.apply(plan(update("A", "2")), snapshot)
