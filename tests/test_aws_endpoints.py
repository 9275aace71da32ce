"""The cut-down, cached endpoint data (``secretsync_hooks.remote.aws_endpoints``).

The cache must answer exactly as botocore's full data does for the services it keeps, hand
every other service to the full data, and never be used when someone else could have
written it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import botocore.loaders
import pytest
from botocore.regions import EndpointResolver

from secretsync_hooks.remote import aws_endpoints
from secretsync_hooks.remote.aws import AwsSession, _loader

REGIONS = (
    "us-east-1",
    "eu-west-1",
    "ap-southeast-2",
    "cn-north-1",
    "us-gov-west-1",
    "us-iso-east-1",
    "eusc-de-east-1",
    "xx-future-1",
)


class CountingLoader(botocore.loaders.Loader):
    """A loader that counts how often the full endpoint data is read."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.endpoint_reads = 0

    def load_data_with_path(self, name: str) -> Any:
        if name == "endpoints":
            self.endpoint_reads += 1
        return super().load_data_with_path(name)


def full() -> EndpointResolver:
    data, where = _loader().load_data_with_path("endpoints")
    return EndpointResolver(data, uses_builtin_data=_loader().is_builtin_path(where))


def answers(resolver: Any, service: str) -> list[Any]:
    result = []
    for region in REGIONS:
        for fips in (False, True):
            for dualstack in (False, True):
                result.append(
                    resolver.construct_endpoint(
                        service, region, use_fips_endpoint=fips, use_dualstack_endpoint=dualstack
                    )
                )
    for partition in resolver.get_available_partitions():
        result.append(resolver.get_available_endpoints(service, partition))
        result.append(resolver.get_service_endpoints_data(service, partition))
    result.append([resolver.get_partition_for_region(r) for r in REGIONS[:-1]])
    return result


@pytest.mark.parametrize("service", ["secretsmanager", "ssm", "sts", "sso", "sso-oidc"])
def test_the_cached_data_answers_as_the_full_data_does(tmp_path: Path, service: str) -> None:
    aws_endpoints.resolver(_loader(), tmp_path)  # writes the cache
    cached = aws_endpoints.resolver(_loader(), tmp_path)
    assert answers(cached, service) == answers(full(), service)
    assert cached.uses_builtin_data is True


def test_the_second_run_reads_the_small_file_not_the_full_data(tmp_path: Path) -> None:
    first, second = CountingLoader(), CountingLoader()
    aws_endpoints.resolver(first, tmp_path)
    (cache,) = tmp_path.iterdir()
    assert cache.stat().st_size < 64 * 1024  # the full data is over 1 MB
    assert oct(cache.stat().st_mode & 0o777) == "0o600"
    resolver = aws_endpoints.resolver(second, tmp_path)
    resolver.construct_endpoint("secretsmanager", "eu-west-1")
    assert (first.endpoint_reads, second.endpoint_reads) == (1, 0)
    resolver.construct_endpoint("sts", "eu-west-1")  # another service: the full data, once
    resolver.construct_endpoint("sso", "eu-west-1")
    assert second.endpoint_reads == 1


def test_other_endpoint_data_gets_its_own_cache(tmp_path: Path) -> None:
    # AWS_DATA_PATH (or ~/.aws/models) with an endpoints file of its own: botocore reads
    # that one, so the cache must not answer from the built-in one.
    models = tmp_path / "models"
    models.mkdir()
    data, _ = _loader().load_data_with_path("endpoints")
    mine = json.loads(json.dumps(data))
    mine["partitions"][0]["services"]["secretsmanager"]["endpoints"]["us-east-1"] = {
        "hostname": "secrets.example.internal"
    }
    (models / "endpoints.json").write_text(json.dumps(mine))
    cache = tmp_path / "cache"
    aws_endpoints.resolver(_loader(), cache)
    own = botocore.loaders.Loader(extra_search_paths=[str(models)])
    aws_endpoints.resolver(own, cache)
    resolver = aws_endpoints.resolver(own, cache)
    assert len(list(cache.iterdir())) == 2
    assert resolver.construct_endpoint("secretsmanager", "us-east-1")["hostname"] == (
        "secrets.example.internal"
    )
    assert resolver.uses_builtin_data is False


def planted(cache: Path) -> Path:
    """A cache entry that sends Secrets Manager in us-east-1 to an attacker's host."""
    aws_endpoints.resolver(_loader(), cache)
    (path,) = cache.iterdir()
    cached = json.loads(path.read_text())
    services = cached["data"]["partitions"][0]["services"]
    services["secretsmanager"]["endpoints"]["us-east-1"] = {"hostname": "evil.example"}
    path.write_text(json.dumps(cached))
    return path


def host(cache: Path) -> str:
    resolved = aws_endpoints.resolver(_loader(), cache).construct_endpoint(
        "secretsmanager", "us-east-1"
    )
    return str(resolved["hostname"])


def test_a_cache_file_others_can_write_is_not_used(tmp_path: Path) -> None:
    path = planted(tmp_path)
    assert host(tmp_path) == "evil.example"  # the planted entry is what an owner's file says
    path.chmod(0o666)
    assert host(tmp_path) == "secretsmanager.us-east-1.amazonaws.com"


def test_a_cache_directory_others_can_write_is_not_used(tmp_path: Path) -> None:
    planted(tmp_path)
    tmp_path.chmod(0o777)
    assert host(tmp_path) == "secretsmanager.us-east-1.amazonaws.com"


def test_a_symlinked_cache_file_is_not_followed(tmp_path: Path) -> None:
    path = planted(tmp_path)
    elsewhere = tmp_path.parent / f"{tmp_path.name}-elsewhere.json"
    path.rename(elsewhere)
    path.symlink_to(elsewhere)
    assert host(tmp_path) == "secretsmanager.us-east-1.amazonaws.com"


@pytest.mark.parametrize("content", ["", "not json", "[]", '{"data": {}, "builtin": true}'])
def test_a_damaged_cache_is_replaced(tmp_path: Path, content: str) -> None:
    aws_endpoints.resolver(_loader(), tmp_path)
    (path,) = tmp_path.iterdir()
    path.write_text(content)
    assert host(tmp_path) == "secretsmanager.us-east-1.amazonaws.com"
    assert json.loads(path.read_text())["data"]["partitions"]


def test_an_unwritable_cache_directory_only_costs_time(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")
    assert host(blocked / "secretsync") == "secretsmanager.us-east-1.amazonaws.com"


def test_the_session_uses_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # botocore's internal hook could change in a new release: this fails loudly if it does.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    session = AwsSession("eu-west-1", environ=os.environ)
    client = session.client("secretsmanager")
    assert client.meta.endpoint_url == "https://secretsmanager.eu-west-1.amazonaws.com"
    assert list((tmp_path / "secretsync").iterdir())
    resolver = session._session._get_internal_component("endpoint_resolver")
    assert type(resolver).__module__ == aws_endpoints.__name__
