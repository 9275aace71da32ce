"""7. ``secretsync run -- true`` vs a bare botocore script that reads the secret and execs."""

from __future__ import annotations

from benchmarks.harness import (
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

NAME = "7. run: `secretsync run -- true`, Secrets Manager, 50 keys, 20 ms"
BOTOCORE_EXEC = (  # what `secretsync run -- true` does, as a bare botocore script
    "import json, os, botocore.session\n"
    "c = botocore.session.get_session().create_client('secretsmanager', region_name='us-east-1')\n"
    "r = c.get_secret_value(SecretId='bench/app', VersionStage='AWSCURRENT')\n"
    "env = dict(os.environ)\n"
    "env.update(json.loads(r['SecretString']))\n"
    "os.execvpe('true', ['true'], env)\n"
)
OURS = "secretsync run -- true"
SCRIPT = "botocore script (GetSecretValue, exec true)"


def run_command(report: Report, runs: int) -> None:
    """Medians of ``runs`` interleaved runs, once the endpoint cache is built."""
    with AwsProxy(latency=0.020, lifetime=900, separate_moto=True) as proxy:
        root = secret_project(proxy, fifty_values())
        env = environ(proxy.url)
        env.update(XDG_CACHE_HOME=str(root / "cache"), XDG_STATE_HOME=str(root / "state"))
        command = [SECRETSYNC, "run", "--", "true"]
        timed(command, root, env)  # the endpoint cache, once
        medians = race(
            report,
            NAME,
            {
                OURS: lambda: timed(command, root, env),
                SCRIPT: lambda: timed([PYTHON, "-c", BOTOCORE_EXEC], root, env),
            },
            runs,
        )
        proxy.reset_counts()
        timed(command, root, env)
        calls = dict(proxy.calls)
    ratio = medians[OURS] / medians[SCRIPT]
    report.checks.append(
        Check(NAME, "secretsync run / botocore script, medians", ratio, "<= 1.10", ratio <= 1.10)
    )
    report.facts.append((NAME, f"API calls made by one `secretsync run`: {calls}"))
