"""2. Parameter Store, 1,000 keys, 20 ms latency: diff vs awscli vs a bare botocore loop."""

from __future__ import annotations

from benchmarks.harness import (
    PYTHON,
    REGION,
    SECRETSYNC,
    Check,
    Report,
    environ,
    moto_client,
    project,
    race,
    timed,
)
from tests.aws_proxy import AwsProxy

NAME = "2. Parameter Store read: 1,000 keys, 20 ms latency"
BOTOCORE_PAGES = (
    "import botocore.session\n"
    "c = botocore.session.Session().create_client('ssm', region_name='us-east-1')\n"
    "kw = dict(Path='/bench/app', Recursive=False, WithDecryption=True, MaxResults=10)\n"
    "n = 0\n"
    "while True:\n"
    "    page = c.get_parameters_by_path(**kw)\n"
    "    n += len(page['Parameters'])\n"
    "    if not page.get('NextToken'):\n"
    "        break\n"
    "    kw['NextToken'] = page['NextToken']\n"
    "assert n == 1000, n\n"
)
AWSCLI = "aws ssm get-parameters-by-path"
LOOP = "bare botocore loop (100 pages)"


def parameter_store_read(report: Report, aws: str, runs: int) -> None:
    """``secretsync diff`` over 1,000 parameters: 100 pages, each after the one before."""
    values = {f"KEY_{i:04d}": f"value-{i}" for i in range(1000)}
    with AwsProxy(latency=0.020, lifetime=1800, separate_moto=True) as proxy:
        ssm = moto_client(proxy, "ssm")
        for key, value in values.items():
            ssm.put_parameter(Name=f"/bench/app/{key}", Value=value, Type="SecureString")
        root = project(
            f'[backend]\ntype = "parameter_store"\nregion = "{REGION}"\n'
            '[parameter_store]\npath = "/bench/app/"\n',
            "".join(f"{k}={v}\n" for k, v in values.items()),
        )
        env = environ(proxy.url)
        timed([SECRETSYNC, "diff"], root, env)
        by_path = [aws, "ssm", "get-parameters-by-path", "--path", "/bench/app"]
        medians = race(
            report,
            NAME,
            {
                "secretsync diff": lambda: timed([SECRETSYNC, "diff"], root, env),
                AWSCLI: lambda: timed(
                    [*by_path, "--with-decryption", "--region", REGION], root, env
                ),
                LOOP: lambda: timed([PYTHON, "-c", BOTOCORE_PAGES], root, env),
            },
            runs,
        )
        proxy.reset_counts()
        timed([SECRETSYNC, "diff"], root, env)
        calls = dict(proxy.calls)
    ours = medians["secretsync diff"]
    vs_aws = ours / medians[AWSCLI]
    vs_loop = ours / medians[LOOP]
    report.checks.append(Check(NAME, "secretsync / awscli", vs_aws, "<= 0.95", vs_aws <= 0.95))
    report.checks.append(Check(NAME, "secretsync / bare loop", vs_loop, "<= 1.05", vs_loop <= 1.05))
    report.facts.append(
        (
            NAME,
            f"calls on the critical path of `secretsync diff`: {calls} "
            "(GetParametersByPath pages follow NextToken one after another)",
        )
    )
