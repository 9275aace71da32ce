"""5. API calls per command, from the proxy's counters."""

from __future__ import annotations

from benchmarks.harness import (
    REGION,
    SECRETSYNC,
    Check,
    Report,
    environ,
    moto_client,
    project,
    timed,
)
from tests.aws_proxy import WRITE_ACTIONS, AwsProxy

NAME = "5. API calls per command"


def api_calls(report: Report) -> None:
    """What diff and push call on Secrets Manager, and that a no-op push writes nothing."""
    with AwsProxy(lifetime=600, separate_moto=True) as proxy:
        env = environ(proxy.url)
        root = project(
            f'[backend]\ntype = "secrets_manager"\nregion = "{REGION}"\n'
            '[secrets_manager]\nsecret_name = "bench/calls"\n',
            "A=1\nB=2\n",
        )
        sm = moto_client(proxy, "secretsmanager")
        timed([SECRETSYNC, "push"], root, env)

        def count(*args: str, expect: int = 0) -> dict[str, int]:
            proxy.reset_counts()
            timed([SECRETSYNC, *args], root, env, expect)
            return dict(proxy.calls)

        diff = count("diff")
        (root / ".env").write_text("A=1\nB=3\nC=4\n")
        before = len(sm.list_secret_version_ids(SecretId="bench/calls")["Versions"])
        push = count("push")
        after = len(sm.list_secret_version_ids(SecretId="bench/calls")["Versions"])
        noop = count("push")
        ps_root = project(
            f'[backend]\ntype = "parameter_store"\nregion = "{REGION}"\n'
            '[parameter_store]\npath = "/bench/calls/"\n',
            "A=1\nB=2\n",
        )
        timed([SECRETSYNC, "push"], ps_root, env)
        proxy.reset_counts()
        timed([SECRETSYNC, "push"], ps_root, env)
        ps_noop = dict(proxy.calls)
    for what, value, expected in (
        ("diff on Secrets Manager: calls", sum(diff.values()), 1),
        ("push to Secrets Manager with changes: new versions", after - before, 1),
        ("push with nothing to change (Secrets Manager): writes", _writes(noop), 0),
        ("push with nothing to change (Parameter Store): writes", _writes(ps_noop), 0),
    ):
        report.checks.append(Check(NAME, what, value, f"= {expected}", value == expected))
    report.facts.append(
        (
            NAME,
            f"diff: {diff}; push with changes: {push}; "
            f"no-op push: {noop}; Parameter Store no-op push: {ps_noop}",
        )
    )


def _writes(calls: dict[str, int]) -> int:
    """How many of ``calls`` change a remote."""
    return sum(n for action, n in calls.items() if action in WRITE_ACTIONS)
