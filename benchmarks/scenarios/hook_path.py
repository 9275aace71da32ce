"""1. The hook path: Secrets Manager, 50 keys, 20 ms latency: diff vs boto3 script vs awscli."""

from __future__ import annotations

from benchmarks.harness import (
    PYTHON,
    REGION,
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

NAME = "1. hook path: Secrets Manager, 50 keys, 20 ms latency"
BOTO3_GET_SECRET = (
    "import boto3\n"
    "c = boto3.client('secretsmanager', region_name='us-east-1')\n"
    "c.get_secret_value(SecretId='bench/app', VersionStage='AWSCURRENT')\n"
)
BOTO3 = "boto3 script (GetSecretValue)"
AWSCLI = "aws secretsmanager get-secret-value"


def hook_path(report: Report, aws: str, runs: int) -> None:
    """``secretsync diff`` vs a boto3 script and awscli making the same one call."""
    with AwsProxy(latency=0.020, lifetime=900, separate_moto=True) as proxy:
        root = secret_project(proxy, fifty_values())
        env = environ(proxy.url)
        timed([SECRETSYNC, "diff"], root, env)  # first run records the base
        get_secret = [aws, "secretsmanager", "get-secret-value", "--secret-id", "bench/app"]
        medians = race(
            report,
            NAME,
            {
                "secretsync diff": lambda: timed([SECRETSYNC, "diff"], root, env),
                BOTO3: lambda: timed([PYTHON, "-c", BOTO3_GET_SECRET], root, env),
                AWSCLI: lambda: timed([*get_secret, "--region", REGION], root, env),
            },
            runs,
        )
        proxy.reset_counts()
        timed([SECRETSYNC, "diff"], root, env)
        calls = dict(proxy.calls)
    ours = medians["secretsync diff"]
    vs_boto3 = ours / medians[BOTO3]
    vs_aws = ours / medians[AWSCLI]
    report.checks.append(
        Check(NAME, "secretsync / boto3 script", vs_boto3, "<= 1.15", vs_boto3 <= 1.15)
    )
    report.checks.append(Check(NAME, "secretsync / awscli", vs_aws, "<= 0.70", vs_aws <= 0.70))
    report.facts.append((NAME, f"API calls made by one `secretsync diff`: {calls}"))
