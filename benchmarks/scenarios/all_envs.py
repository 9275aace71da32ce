"""9. The hook over 5 environments (``--all-envs``) vs over one, 20 ms latency."""

from __future__ import annotations

import json

from benchmarks.harness import (
    BIN,
    Check,
    Report,
    environ,
    fifty_values,
    moto_client,
    project,
    race,
    timed,
)
from tests.aws_proxy import AwsProxy

NAME = "9. hook over 5 environments vs 1, Secrets Manager, 50 keys each, 20 ms"
ENVIRONMENTS = ["dev", "qa", "staging", "perf", "prod"]
ALL = "secretsync-check --all-envs (5)"
ONE = "secretsync-check --env dev (1)"


def all_envs(report: Report, runs: int) -> None:
    """Five secrets read together should cost little more than one."""
    values = fifty_values()
    with AwsProxy(latency=0.020, lifetime=900, separate_moto=True) as proxy:
        client = moto_client(proxy, "secretsmanager")
        config = '[backend]\ntype = "secrets_manager"\nregion = "us-east-1"\n'
        for env in ENVIRONMENTS:
            client.create_secret(Name=f"bench/{env}", SecretString=json.dumps(values))
            config += (
                f'[environments.{env}]\nenv_file = ".env.{env}"\n'
                f'[environments.{env}.secrets_manager]\nsecret_name = "bench/{env}"\n'
            )
        text = "".join(f"{k}={v}\n" for k, v in values.items())
        root = project(config, text)
        for env in ENVIRONMENTS:
            (root / f".env.{env}").write_text(text)
        env_vars = environ(proxy.url)
        env_vars.update(XDG_CACHE_HOME=str(root / "cache"), XDG_STATE_HOME=str(root / "state"))
        hook = str(BIN / "secretsync-check")
        timed([hook, "--all-envs"], root, env_vars)  # records, endpoint cache
        medians = race(
            report,
            NAME,
            {
                ALL: lambda: timed([hook, "--all-envs"], root, env_vars),
                ONE: lambda: timed([hook, "--env", "dev"], root, env_vars),
            },
            runs,
        )
    ratio = medians[ALL] / medians[ONE]
    report.checks.append(Check(NAME, "5 environments / 1", ratio, "<= 1.60", ratio <= 1.60))
