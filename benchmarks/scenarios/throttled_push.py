"""3. A push of changed Parameter Store keys with PutParameter throttled (no burst)."""

from __future__ import annotations

import statistics
import time
from typing import Any

from benchmarks.harness import (
    REGION,
    SECRETSYNC,
    Check,
    Report,
    Row,
    environ,
    moto_client,
    project,
    timed,
)
from tests.aws_proxy import AwsProxy


def throttled_push(report: Report, runs: int, keys: int, rate: float) -> None:
    """``secretsync push --force`` of ``keys`` changed keys, PutParameter at ``rate``/s."""
    name = f"3. push {keys} changed Parameter Store keys, PutParameter throttled to {rate:g}/s"
    floor = keys / rate
    with AwsProxy(throttle={"PutParameter": rate}, lifetime=3600, separate_moto=True) as proxy:
        ssm = moto_client(proxy, "ssm")
        for i in range(keys):
            ssm.put_parameter(Name=f"/bench/push/KEY_{i:03d}", Value="v0", Type="SecureString")
        root = project(
            f'[backend]\ntype = "parameter_store"\nregion = "{REGION}"\n'
            '[parameter_store]\npath = "/bench/push/"\n',
            "".join(f"KEY_{i:03d}=v0\n" for i in range(keys)),
        )
        env = environ(proxy.url)
        timed([SECRETSYNC, "diff"], root, env)  # record the base
        times: list[float] = []
        throttled: list[int] = []
        for run in range(1, runs + 1):
            (root / ".env").write_text("".join(f"KEY_{i:03d}=v{run}\n" for i in range(keys)))
            # every key changes at once: the mass-change guard rightly asks for --force
            time.sleep(1.0)  # let the bucket refill between runs
            proxy.reset_counts()
            times.append(timed([SECRETSYNC, "push", "--force"], root, env))
            throttled.append(proxy.throttled["PutParameter"])
            remote = _remote(ssm)
            assert remote == {f"KEY_{i:03d}": f"v{run}" for i in range(keys)}, "wrong values"
    median = statistics.median(times)
    report.rows.append(
        Row(
            name,
            "secretsync push --force",
            median,
            times,
            f"floor {floor:.1f} s; throttled answers per run: {throttled}",
        )
    )
    report.checks.append(
        Check(name, "wall time / floor", median / floor, "<= 1.30", median / floor <= 1.30)
    )


def _remote(ssm: Any) -> dict[str, str]:
    """The values under ``/bench/push``, read straight from moto."""
    remote: dict[str, str] = {}
    for page in ssm.get_paginator("get_parameters_by_path").paginate(
        Path="/bench/push", WithDecryption=True
    ):
        remote.update({p["Name"].rsplit("/", 1)[1]: p["Value"] for p in page["Parameters"]})
    return remote
