"""6. Start-up on the hook path: the hook and diff vs a minimal boto3 script, fastest runs."""

from __future__ import annotations

import shutil

from benchmarks.harness import (
    BIN,
    PYTHON,
    SECRETSYNC,
    Check,
    Report,
    environ,
    fifty_values,
    race,
    secret_project,
    timed,
)
from tests.aws_proxy import AwsProxy

NAME = "6. start-up: hook and diff vs a boto3 script, Secrets Manager, 50 keys, 20 ms"
BOTO3_READ_SECRET = (  # what the hook does, as a minimal script: read the secret, parse it
    "import json, boto3\n"
    "c = boto3.client('secretsmanager', region_name='us-east-1')\n"
    "r = c.get_secret_value(SecretId='bench/app', VersionStage='AWSCURRENT')\n"
    "assert len(json.loads(r['SecretString'])) == 50\n"
)
HOOK = "secretsync-check (the hook)"
DIFF = "secretsync diff"
BOTO3 = "boto3 script (GetSecretValue, json.loads)"


def startup(report: Report, runs: int) -> None:
    """The fastest of ``runs`` interleaved runs each (the least disturbed by the machine)."""
    with AwsProxy(latency=0.020, lifetime=900, separate_moto=True) as proxy:
        root = secret_project(proxy, fifty_values())
        env = environ(proxy.url)
        cache = root / "cache"
        env.update(XDG_CACHE_HOME=str(cache), XDG_STATE_HOME=str(root / "state"))
        hook = [str(BIN / "secretsync-check")]
        contenders = {
            HOOK: lambda: timed(hook, root, env),
            DIFF: lambda: timed([SECRETSYNC, "diff"], root, env),
            BOTO3: lambda: timed([PYTHON, "-c", BOTO3_READ_SECRET], root, env),
        }
        cold = []
        for _ in range(5):  # the first run of a botocore version builds the endpoint cache
            shutil.rmtree(cache, ignore_errors=True)
            cold.append(timed(hook, root, env))
        race(report, NAME, contenders, runs)
    rows = {row.contender: row for row in report.rows if row.scenario == NAME}
    fastest = {contender: min(row.runs) for contender, row in rows.items()}
    for contender in (HOOK, DIFF):
        ratio = fastest[contender] / fastest[BOTO3]
        report.checks.append(
            Check(
                NAME,
                f"{contender} / boto3 script, fastest of {runs}",
                ratio,
                "<= 0.95",
                ratio <= 0.95,
            )
        )
    report.facts.append(
        (
            NAME,
            f"fastest runs: {', '.join(f'{c} {t * 1000:.0f} ms' for c, t in fastest.items())}; "
            f"the hook's first run after installing or upgrading botocore (no endpoint cache), "
            f"fastest of 5: {min(cold) * 1000:.0f} ms",
        )
    )
