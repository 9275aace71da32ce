"""The backends against a real moto HTTP server, through a fault-injecting middleware."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from secretsync_hooks.config.settings import ParameterStoreSettings, SecretsManagerSettings
from secretsync_hooks.errors import PartialApplyError, WriteConflict
from secretsync_hooks.models import Action, Direction, KeyOp, SyncPlan
from secretsync_hooks.remote.aws import AwsSession
from secretsync_hooks.remote.parameter_store.backend import ParameterStoreBackend
from secretsync_hooks.remote.parameter_store.retrying import MAX_ATTEMPTS
from secretsync_hooks.remote.secrets_manager.backend import SecretsManagerBackend
from tests.moto_server import DROP, SERVER_ERROR, THROTTLE, TOO_MANY_UPDATES, MotoServer

PATH = "/app/prod/"
NAME = "app/prod"


def client(server: MotoServer, service: str) -> Any:
    return boto3.session.Session().client(  # type: ignore[call-overload]
        service, region_name="us-east-1", endpoint_url=server.url
    )


def ps() -> ParameterStoreBackend:
    return ParameterStoreBackend(
        ParameterStoreSettings(path=PATH), AwsSession("us-east-1"), sleep=lambda s: None
    )


def sm() -> SecretsManagerBackend:
    return SecretsManagerBackend(SecretsManagerSettings(secret_name=NAME), AwsSession("us-east-1"))


def push(*ops: KeyOp) -> SyncPlan:
    return SyncPlan(Direction.PUSH, ops)


def parameters(server: MotoServer) -> dict[str, str]:
    out = {}
    ssm = client(server, "ssm")
    for page in ssm.get_paginator("get_parameters_by_path").paginate(
        Path=PATH, WithDecryption=True
    ):
        out.update({p["Name"][len(PATH) :]: p["Value"] for p in page["Parameters"]})
    return out


def secret(server: MotoServer) -> dict[str, str]:
    response = client(server, "secretsmanager").get_secret_value(
        SecretId=NAME, VersionStage="AWSCURRENT"
    )
    return dict(json.loads(response["SecretString"]))


def test_parameter_store_reads_more_than_a_hundred_parameters(moto_server: MotoServer) -> None:
    ssm = client(moto_server, "ssm")
    for i in range(105):
        ssm.put_parameter(Name=f"{PATH}K{i:03d}", Value=f"v{i}", Type="SecureString")
    moto_server.injector.calls.clear()
    snapshot = ps().read()
    assert len(snapshot.values) == 105
    assert snapshot.values["K104"] == "v104"
    assert moto_server.injector.calls["GetParametersByPath"] == 11


def test_parameter_store_push_survives_throttling_500s_and_dropped_connections(
    moto_server: MotoServer,
) -> None:
    moto_server.injector.inject(
        "PutParameter", THROTTLE, TOO_MANY_UPDATES, SERVER_ERROR, DROP, THROTTLE, TOO_MANY_UPDATES
    )
    moto_server.injector.inject("GetParametersByPath", SERVER_ERROR, DROP)
    backend = ps()
    wanted = {f"K{i}": f"value-{i}" for i in range(30)}
    backend.apply(push(*(KeyOp(k, Action.ADD, v) for k, v in wanted.items())), backend.read())
    assert parameters(moto_server) == wanted
    assert not moto_server.injector.faults["PutParameter"]  # every fault was served


def test_parameter_store_reports_keys_applied_and_not_when_retries_run_out(
    moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Writes are retried by secretsync itself (botocore's retries are off for them).
    backend = ParameterStoreBackend(
        ParameterStoreSettings(path=PATH),
        AwsSession("us-east-1"),
        writers=1,
        sleep=lambda s: None,
    )
    snapshot = backend.read()
    moto_server.injector.inject("PutParameter", *[SERVER_ERROR] * MAX_ATTEMPTS)
    ops = push(KeyOp("FIRST", Action.ADD, "1"), KeyOp("SECOND", Action.ADD, "2"))
    with pytest.raises(PartialApplyError) as info:
        backend.apply(ops, snapshot)
    assert list(info.value.failed) == ["FIRST"]
    assert info.value.failed["FIRST"] == "InternalServerError"
    assert [op.key for op in info.value.applied] == ["SECOND"]
    assert parameters(moto_server) == {"SECOND": "2"}
    # A re-run converges.
    fresh = backend.read()
    backend.apply(push(KeyOp("FIRST", Action.ADD, "1")), fresh)
    assert parameters(moto_server) == {"FIRST": "1", "SECOND": "2"}


def test_secrets_manager_push_survives_500s_and_dropped_connections(
    moto_server: MotoServer,
) -> None:
    client(moto_server, "secretsmanager").create_secret(Name=NAME, SecretString='{"A": "1"}')
    backend = sm()
    snapshot = backend.read()
    moto_server.injector.inject("GetSecretValue", SERVER_ERROR)
    moto_server.injector.inject("PutSecretValue", DROP, THROTTLE)
    moto_server.injector.inject("UpdateSecretVersionStage", SERVER_ERROR, DROP)
    backend.apply(push(KeyOp("A", Action.UPDATE, "2"), KeyOp("B", Action.ADD, "b")), snapshot)
    assert secret(moto_server) == {"A": "2", "B": "b"}
    versions = client(moto_server, "secretsmanager").list_secret_version_ids(SecretId=NAME)
    stages = [s for v in versions["Versions"] for s in v.get("VersionStages", [])]
    assert stages.count("AWSCURRENT") == 1
    assert not [s for s in stages if s.startswith("secretsync-")]


def test_secrets_manager_diff_is_one_call(moto_server: MotoServer) -> None:
    client(moto_server, "secretsmanager").create_secret(Name=NAME, SecretString='{"A": "1"}')
    moto_server.injector.calls.clear()
    sm().read()
    assert dict(moto_server.injector.calls) == {"GetSecretValue": 1}


@pytest.mark.parametrize(("mine", "theirs"), [("A", "B"), ("A", "A")])
def test_secrets_manager_concurrent_pushes(moto_server: MotoServer, mine: str, theirs: str) -> None:
    client(moto_server, "secretsmanager").create_secret(
        Name=NAME, SecretString='{"A": "0", "B": "0"}'
    )
    first, second = sm(), sm()
    first_snapshot, second_snapshot = first.read(), second.read()

    def other_push() -> None:  # runs while the first push is about to move AWSCURRENT
        second.apply(push(KeyOp(theirs, Action.UPDATE, "theirs")), second_snapshot)

    moto_server.injector.before("UpdateSecretVersionStage", other_push)
    if mine == theirs:
        with pytest.raises(WriteConflict, match=f"{mine} was changed by someone else"):
            first.apply(push(KeyOp(mine, Action.UPDATE, "mine")), first_snapshot)
        assert secret(moto_server) == {"A": "theirs", "B": "0"}
    else:
        first.apply(push(KeyOp(mine, Action.UPDATE, "mine")), first_snapshot)
        assert secret(moto_server) == {"A": "mine", "B": "theirs"}


def test_parameter_store_concurrent_overwrite_of_the_same_key_is_detected(
    moto_server: MotoServer,
) -> None:
    ssm = client(moto_server, "ssm")
    ssm.put_parameter(Name=PATH + "A", Value="0", Type="String")
    first, second = ps(), ps()
    first_snapshot, second_snapshot = first.read(), second.read()

    def other_push() -> None:  # lands after the first push's snapshot, before its re-read
        second.apply(push(KeyOp("A", Action.UPDATE, "theirs")), second_snapshot)

    moto_server.injector.before("GetParameters", other_push)
    with pytest.raises(WriteConflict, match="A was changed"):
        first.apply(push(KeyOp("A", Action.UPDATE, "mine")), first_snapshot)
    assert parameters(moto_server) == {"A": "theirs"}


def test_parameter_store_concurrent_create_of_the_same_key_is_detected(
    moto_server: MotoServer,
) -> None:
    first, second = ps(), ps()
    first_snapshot, second_snapshot = first.read(), second.read()

    def other_push() -> None:
        second.apply(push(KeyOp("A", Action.ADD, "theirs")), second_snapshot)

    moto_server.injector.before("PutParameter", other_push)
    with pytest.raises(WriteConflict, match="A was changed"):
        first.apply(push(KeyOp("A", Action.ADD, "mine")), first_snapshot)
    assert parameters(moto_server) == {"A": "theirs"}


def test_parameter_store_backs_off_with_jitter_doubling_up_to_a_bound(
    moto_server: MotoServer,
) -> None:
    from secretsync_hooks.remote.parameter_store import retrying

    slept: list[float] = []
    backend = ParameterStoreBackend(
        ParameterStoreSettings(path=PATH), AwsSession("us-east-1"), writers=1, sleep=slept.append
    )
    snapshot = backend.read()
    failures = retrying.MAX_ATTEMPTS - 1  # the last try succeeds
    moto_server.injector.inject("PutParameter", *[SERVER_ERROR] * failures)
    backend.apply(push(KeyOp("A", Action.ADD, "1")), snapshot)
    assert parameters(moto_server) == {"A": "1"}
    bounds = [
        min(retrying.FIRST_BACKOFF * 2**attempt, retrying.MAX_BACKOFF) for attempt in range(7)
    ]
    assert len(slept) == failures  # one back-off per failure, none before the first try
    assert all(0 <= s <= bound for s, bound in zip(slept, bounds, strict=True)), slept
    assert sum(slept) > 0
