"""The proxy itself: latency, token-bucket throttling, seeded faults, counters, lifetime."""

from __future__ import annotations

import time
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.aws_proxy import AwsProxy, TokenBucket


def ssm(proxy: AwsProxy, attempts: int = 1) -> Any:
    return boto3.session.Session().client(
        "ssm",
        region_name="us-east-1",
        endpoint_url=proxy.url,
        config=Config(retries={"mode": "standard", "total_max_attempts": attempts}),
    )


def test_forwards_and_counts_calls_per_action() -> None:
    with AwsProxy() as proxy:
        client = ssm(proxy)
        client.put_parameter(Name="/a/b", Value="v", Type="String")
        assert client.get_parameter(Name="/a/b")["Parameter"]["Value"] == "v"
        assert proxy.calls == {"PutParameter": 1, "GetParameter": 1}


def test_adds_latency_per_request() -> None:
    with AwsProxy(latency=0.05) as proxy:
        client = ssm(proxy)
        client.describe_parameters()
        start = time.perf_counter()
        for _ in range(4):
            client.describe_parameters()
        assert time.perf_counter() - start >= 0.2


def test_throttles_like_aws() -> None:
    with AwsProxy(throttle={"PutParameter": 2}) as proxy:
        client = ssm(proxy)
        client.put_parameter(Name="/a/1", Value="v", Type="String")
        with pytest.raises(ClientError) as info:
            client.put_parameter(Name="/a/2", Value="v", Type="String")
        assert info.value.response["Error"]["Code"] == "ThrottlingException"
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert proxy.throttled["PutParameter"] == 1
        client.get_parameters_by_path(Path="/a")  # other actions are not throttled


def test_token_bucket_rate() -> None:
    bucket = TokenBucket(rate=100, burst=1)
    granted = 0
    deadline = time.monotonic() + 0.2
    while time.monotonic() < deadline:
        granted += bucket.take()
    assert 15 <= granted <= 25


def test_faults_are_seeded_and_reproducible() -> None:
    def pattern(seed: int) -> list[str | None]:
        proxy = AwsProxy(fault_rate=0.3, seed=seed)
        return [proxy.decide("X") for _ in range(50)]

    assert pattern(7) == pattern(7)
    assert pattern(7) != pattern(8)
    kinds = pattern(7)
    assert {"500", "drop"} <= set(kinds)
    assert 5 <= sum(k is not None for k in kinds) <= 25


def test_injected_500s_and_drops_reach_botocore_as_retryable_failures() -> None:
    with AwsProxy(fault_rate=1.0, fault_actions={"GetParameter"}) as proxy:
        client = ssm(proxy, attempts=2)
        client.put_parameter(Name="/a/b", Value="v", Type="String")
        with pytest.raises(Exception):  # noqa: B017 - a 500 or a dropped connection
            client.get_parameter(Name="/a/b")
        assert proxy.calls["GetParameter"] == 2
        assert sum(proxy.faults.values()) == 2


def test_stops_by_itself() -> None:
    proxy = AwsProxy(lifetime=0.2).start()
    deadline = time.monotonic() + 5
    while proxy._server is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proxy._server is None
