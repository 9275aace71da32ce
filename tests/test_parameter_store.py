from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from secretsync_hooks.config.settings import ParameterStoreSettings
from secretsync_hooks.errors import PartialApplyError, RemoteError, WriteConflict
from secretsync_hooks.models import Action
from secretsync_hooks.remote.aws import AwsSession
from secretsync_hooks.remote.base import RemoteSnapshot
from secretsync_hooks.remote.parameter_store.backend import ParameterStoreBackend
from tests.helpers import Remote, add, delete, plan, update
from tests.moto_server import DROP_AFTER, THROTTLE, TOO_MANY_UPDATES, MotoServer, error

PATH = "/myapp/production/"


NOTHING = RemoteSnapshot(values={}, exists=False)


def served(server: MotoServer) -> dict[str, str]:
    """The parameters as the moto server holds them."""
    return Remote("parameter_store", server.url).values()


def backend(**settings: Any) -> ParameterStoreBackend:
    return ParameterStoreBackend(
        ParameterStoreSettings(path=settings.pop("path", PATH), **settings),
        AwsSession("us-east-1"),
        sleep=lambda seconds: None,
    )


def ssm() -> Any:
    return boto3.client("ssm", region_name="us-east-1")


def remote() -> dict[str, str]:
    out = {}
    for page in (
        ssm().get_paginator("get_parameters_by_path").paginate(Path=PATH, WithDecryption=True)
    ):
        for p in page["Parameters"]:
            out[p["Name"][len(PATH) :]] = p["Value"]
    return out


def client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "injected"}}, "PutParameter")


@pytest.mark.usefixtures("aws")
def test_reads_direct_children_only_with_types_and_versions() -> None:
    client = ssm()
    client.put_parameter(Name=PATH + "A", Value="1", Type="String")
    client.put_parameter(Name=PATH + "S", Value="secret", Type="SecureString")
    client.put_parameter(Name=PATH + "L", Value="a,b", Type="StringList")
    client.put_parameter(Name=PATH + "deeper/X", Value="no", Type="String")
    client.put_parameter(Name="/myapp/productionX", Value="no", Type="String")
    client.put_parameter(Name=PATH + "A", Value="2", Type="String", Overwrite=True)
    snapshot = backend().read()
    assert dict(snapshot.values) == {"A": "2", "S": "secret", "L": "a,b"}
    assert dict(snapshot.types) == {"A": "String", "S": "SecureString", "L": "StringList"}
    assert snapshot.versions["A"] == 2
    assert snapshot.exists


@pytest.mark.usefixtures("aws")
def test_deeper_parameters_are_listed_as_ignored_without_values() -> None:
    client = ssm()
    client.put_parameter(Name=PATH + "A", Value="1", Type="String")
    client.put_parameter(Name=PATH + "db/PASSWORD", Value="x", Type="SecureString")
    client.put_parameter(Name=PATH + "db/deep/X", Value="x", Type="String")
    client.put_parameter(Name="/other/B", Value="x", Type="String")
    assert backend().ignored() == (PATH + "db/PASSWORD", PATH + "db/deep/X")


@pytest.mark.usefixtures("aws")
def test_empty_path_reads_as_not_existing() -> None:
    snapshot = backend().read()
    assert (snapshot.exists, dict(snapshot.values)) == (False, {})


@pytest.mark.usefixtures("aws")
@pytest.mark.parametrize("count", [11, 105])
def test_reads_every_page(count: int) -> None:
    client = ssm()
    for i in range(count):
        client.put_parameter(Name=f"{PATH}K{i:03d}", Value=str(i), Type="String")
    snapshot = backend().read()
    assert len(snapshot.values) == count
    assert snapshot.values["K010"] == "10"


@pytest.mark.usefixtures("aws")
def test_follows_next_token_through_empty_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    pages: list[dict[str, Any]] = [
        {"Parameters": [], "NextToken": "t1"},
        {
            "Parameters": [{"Name": PATH + "A", "Value": "1", "Version": 1, "Type": "String"}],
            "NextToken": "t2",
        },
        {"Parameters": [], "NextToken": "t3"},
        {"Parameters": [{"Name": PATH + "B", "Value": "2", "Version": 3, "Type": "String"}]},
    ]
    seen: list[Any] = []

    class FakeClient:
        def get_parameters_by_path(self, **kwargs: Any) -> dict[str, Any]:
            seen.append(kwargs.get("NextToken"))
            page: dict[str, Any] = pages[len(seen) - 1]
            return page

    monkeypatch.setattr(AwsSession, "client", lambda self, service: FakeClient())
    snapshot = backend().read()
    assert dict(snapshot.values) == {"A": "1", "B": "2"}
    assert seen == [None, "t1", "t2", "t3"]


@pytest.mark.usefixtures("aws")
def test_push_creates_secure_strings_with_tags_and_keeps_existing_types() -> None:
    client = ssm()
    client.put_parameter(Name=PATH + "PLAIN", Value="old", Type="String")
    b = backend(tags={"team": "pay"})
    snapshot = b.read()
    result = b.apply(plan(update("PLAIN", "new"), add("NEW", "s3cret")), snapshot)
    assert remote() == {"PLAIN": "new", "NEW": "s3cret"}
    assert client.get_parameter(Name=PATH + "PLAIN")["Parameter"]["Type"] == "String"
    assert client.get_parameter(Name=PATH + "NEW")["Parameter"]["Type"] == "SecureString"
    tags = client.list_tags_for_resource(ResourceType="Parameter", ResourceId=PATH + "NEW")
    assert tags["TagList"] == [{"Key": "team", "Value": "pay"}]
    tags = client.list_tags_for_resource(ResourceType="Parameter", ResourceId=PATH + "PLAIN")
    assert tags["TagList"] == [{"Key": "team", "Value": "pay"}]
    assert sorted(result.keys(Action.ADD) + result.keys(Action.UPDATE)) == ["NEW", "PLAIN"]


@pytest.mark.usefixtures("aws")
def test_string_type_and_kms_key_from_config() -> None:
    b = backend(type="String")
    b.apply(plan(add("A", "1")), b.read())
    assert ssm().get_parameter(Name=PATH + "A")["Parameter"]["Type"] == "String"


@pytest.mark.usefixtures("aws")
def test_deletes_go_in_batches_of_ten(monkeypatch: pytest.MonkeyPatch) -> None:
    client = ssm()
    for i in range(23):
        client.put_parameter(Name=f"{PATH}K{i}", Value="v", Type="String")
    b = backend()
    snapshot = b.read()
    sizes: list[int] = []
    real_client = b._writer
    original = real_client.delete_parameters

    def counting(**kwargs: Any) -> Any:
        sizes.append(len(kwargs["Names"]))
        return original(**kwargs)

    monkeypatch.setattr(real_client, "delete_parameters", counting)
    b.apply(plan(*(delete(f"K{i}") for i in range(23))), snapshot)
    assert sizes == [10, 10, 3]
    assert remote() == {}


@pytest.mark.usefixtures("aws")
def test_validation_lists_every_offending_key_before_any_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    b = backend()
    monkeypatch.setattr(AwsSession, "client", lambda *a: pytest.fail("an AWS call was made"))
    bad = plan(
        add("has space", "v"),
        add("slash/key", "v"),
        add("AWS_REGION", "v"),  # reserved only as a first level: valid here
        add("ssm_prefix", "v"),
        add("EMPTY", ""),
        add("BRACES", "a {{ b }}"),
        add("BIG", "x" * 4097),
        add("L" * 1000, "v"),
        add("OK", "fine"),
    )
    with pytest.raises(RemoteError) as info:
        b.validate(bad, NOTHING)
    message = str(info.value)
    assert "Parameter Store would refuse 6 keys" in message
    assert "characters outside a-zA-Z0-9_.- in the key ( ): has space" in message
    assert "(/): slash/key" in message
    assert "AWS_REGION" not in message and "ssm_prefix" not in message
    assert "an empty value, which SSM rejects: EMPTY" in message
    assert "value contains '{{' (SSM rejects it): BRACES" in message
    assert "value over 4096 bytes on the Standard tier: BIG" in message
    assert "full name longer than" in message
    assert "Intelligent-Tiering" in (info.value.hint or "")
    assert "OK" not in message.replace("Store", "")


def test_too_many_levels_and_tier_limits() -> None:
    deep = backend(path="/" + "/".join(f"l{i}" for i in range(15)) + "/")
    with pytest.raises(RemoteError, match="more than 15 levels: K"):
        deep.validate(plan(add("K", "v")), NOTHING)
    advanced = backend(tier="Advanced")
    advanced.validate(plan(add("BIG", "x" * 8192)), NOTHING)
    with pytest.raises(RemoteError, match="over 8192 bytes on the Advanced tier"):
        advanced.validate(plan(add("BIG", "é" * 4097)), NOTHING)


@pytest.mark.parametrize("path", ["/aws/app/", "/AWSapp/", "/ssm-things/x/", "/Ssm/"])
def test_only_a_first_level_starting_with_aws_or_ssm_is_reserved(path: str) -> None:
    # AWS: "Parameter names can't be prefixed with 'aws' or 'ssm' (case-insensitive)"; the
    # prefix is the first level, so /myapp/aws/x and /myapp/prod/AWS_REGION are valid.
    with pytest.raises(RemoteError, match="starts with 'aws' or 'ssm', which AWS reserves"):
        backend(path=path).validate(plan(add("K", "v")), NOTHING)
    for valid in ("/myapp/aws/", "/myapp/prod/"):
        backend(path=valid).validate(plan(add("AWS_REGION", "v"), add("ssm", "v")), NOTHING)


@pytest.mark.usefixtures("aws")
def test_overwriting_a_parameter_changed_since_the_snapshot_is_a_conflict() -> None:
    client = ssm()
    client.put_parameter(Name=PATH + "A", Value="1", Type="String")
    client.put_parameter(Name=PATH + "B", Value="1", Type="String")
    b = backend()
    snapshot = b.read()
    client.put_parameter(Name=PATH + "A", Value="teammate", Type="String", Overwrite=True)
    with pytest.raises(WriteConflict, match="A was changed by someone else"):
        b.apply(plan(update("A", "mine"), update("B", "2")), snapshot)
    assert remote() == {"A": "teammate", "B": "1"}


@pytest.mark.usefixtures("aws")
def test_a_change_made_while_a_write_waits_for_its_slot_is_a_conflict() -> None:
    # At 3 writes a second a key can wait seconds for its paced slot; the re-check of its
    # Version comes after that wait, right before the write, so a rotation during the wait
    # is not overwritten.
    client = ssm()
    client.put_parameter(Name=PATH + "A", Value="1", Type="String")
    b = backend()
    snapshot = b.read()
    waited = b._pace.wait

    def wait_while_rotated() -> float:
        client.put_parameter(Name=PATH + "A", Value="rotated", Type="String", Overwrite=True)
        b._pace.wait = waited  # type: ignore[method-assign]
        return waited()

    b._pace.wait = wait_while_rotated  # type: ignore[method-assign]
    with pytest.raises(WriteConflict, match="A was changed by someone else"):
        b.apply(plan(update("A", "mine")), snapshot)
    assert remote() == {"A": "rotated"}


@pytest.mark.usefixtures("aws")
def test_a_key_created_by_someone_else_meanwhile_is_a_conflict_not_a_clobber() -> None:
    b = backend()
    snapshot = b.read()
    ssm().put_parameter(Name=PATH + "A", Value="teammate", Type="String")
    with pytest.raises(WriteConflict, match="A was changed") as info:
        b.apply(plan(add("A", "mine"), add("B", "b")), snapshot)
    assert [op.key for op in info.value.applied] == ["B"]
    assert remote() == {"A": "teammate", "B": "b"}


def test_a_create_whose_answer_was_lost_is_not_a_conflict(moto_server: MotoServer) -> None:
    # The write lands, its answer does not: the retry is told "already exists", and the
    # parameter holds what this push wrote, so it is no conflict.
    b = backend()
    snapshot = b.read()
    moto_server.injector.inject("PutParameter", DROP_AFTER)
    b.apply(plan(add("A", "mine")), snapshot)
    assert served(moto_server) == {"A": "mine"}
    assert moto_server.injector.calls["PutParameter"] == 2


@pytest.mark.parametrize("fault", [TOO_MANY_UPDATES, THROTTLE])
def test_throttling_and_too_many_updates_are_retried(moto_server: MotoServer, fault: str) -> None:
    b = backend()
    snapshot = b.read()
    moto_server.injector.inject("PutParameter", fault, fault, fault, fault)
    progress: list[tuple[int, int, str]] = []
    b.apply(
        plan(add("A", "1"), add("B", "2"), add("C", "3")),
        snapshot,
        progress=lambda d, t, k: progress.append((d, t, k)),
    )
    assert served(moto_server) == {"A": "1", "B": "2", "C": "3"}
    assert moto_server.injector.calls["PutParameter"] == 7
    assert sorted(d for d, _, _ in progress) == [1, 2, 3]
    assert {t for _, t, _ in progress} == {3}


def test_partial_failure_reports_what_was_and_was_not_applied_and_a_rerun_converges(
    moto_server: MotoServer,
) -> None:
    direct = Remote("parameter_store", moto_server.url)
    direct.client.put_parameter(Name=PATH + "GONE", Value="x", Type="String")
    b = backend()
    snapshot = b.read()
    refused = error("AccessDeniedException")
    moto_server.injector.watch("PutParameter", lambda n, body: refused if b"/BAD" in body else None)
    ops = plan(add("A", "1"), add("BAD", "2"), add("C", "3"), delete("GONE"))
    with pytest.raises(PartialApplyError) as info:
        b.apply(ops, snapshot)
    failure = info.value
    assert failure.exit_code == 2
    assert sorted(op.key for op in failure.applied) == ["A", "C"]
    assert list(failure.failed) == ["BAD"]
    assert failure.not_attempted == ("GONE",)
    assert "applied: A, C" in failure.message
    assert "failed (AccessDeniedException): BAD" in failure.message
    assert "Grant ssm:PutParameter on parameters under /myapp/production/" in (failure.hint or "")
    assert served(moto_server) == {"A": "1", "C": "3", "GONE": "x"}

    moto_server.injector.reset()
    fresh = b.read()
    b.apply(plan(add("BAD", "2"), delete("GONE")), fresh)
    assert served(moto_server) == {"A": "1", "BAD": "2", "C": "3"}


@pytest.mark.usefixtures("aws")
def test_empty_plan_makes_no_call(monkeypatch: pytest.MonkeyPatch) -> None:
    b = backend()
    monkeypatch.setattr(AwsSession, "client", lambda *a: pytest.fail("an AWS call was made"))
    assert b.apply(plan(), RemoteSnapshot(values={})).applied == ()


@pytest.mark.usefixtures("aws")
def test_deleting_an_already_deleted_key_is_fine() -> None:
    ssm().put_parameter(Name=PATH + "A", Value="1", Type="String")
    b = backend()
    snapshot = b.read()
    ssm().delete_parameter(Name=PATH + "A")
    b.apply(plan(delete("A")), snapshot)
    assert remote() == {}


def test_a_failed_keys_reason_is_a_code_or_a_name_never_text() -> None:
    from botocore.exceptions import ParamValidationError

    from secretsync_hooks.remote.parameter_store.run import failure_reason

    assert failure_reason(client_error("AccessDeniedException")) == "AccessDeniedException"
    leaky = ParamValidationError(report="Invalid type for parameter Value, value: s3cr3t")
    assert failure_reason(leaky) == "ParamValidationError"
