"""Push and pull of 200 keys with 20% of requests failing (500s, dropped connections) plus
throttling, through the latency-and-fault proxy: each run either completes with exactly the
right data or exits 2 naming what was and was not applied; a failed pull leaves the .env
byte-identical; re-runs converge."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from secretsync_hooks.cli.main import cli
from secretsync_hooks.local.env_file import EnvFile
from secretsync_hooks.remote.parameter_store import retrying
from tests.aws_proxy import AwsProxy
from tests.helpers import BACKENDS, Remote, write_config

KEYS = 200
VALUES = {f"KEY_{i:03d}": f"value-{i}-{'x' * (i % 7)}" for i in range(KEYS)}
ATTEMPTS = 6  # re-runs allowed for convergence


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsProxy]:
    # What is tested is what each run leaves and says, not how long it backs off: the back-off
    # schedule (tested on its own in test_backends_server.py) is shortened.
    monkeypatch.setattr(retrying, "FIRST_BACKOFF", 0.001)
    monkeypatch.setattr(retrying, "MAX_BACKOFF", 0.05)
    with AwsProxy(
        fault_rate=0.2,
        throttle={"PutParameter": 60, "GetParametersByPath": 200},
        seed=20261128,
        lifetime=300,
    ) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        yield proxy


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def direct(kind: str, proxy: AwsProxy) -> Remote:
    """The remote as seen straight from moto, with no faults in the way."""
    return Remote(kind, proxy.moto_url)


def check_failure(result: Result) -> None:
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("secretsync: error: ")
    assert "Traceback" not in result.stderr
    assert "value-" not in result.stdout + result.stderr


@pytest.mark.parametrize("kind", BACKENDS)
def test_push_of_200_keys_completes_or_reports_and_converges(
    kind: str, project: Path, proxy: AwsProxy
) -> None:
    write_config(project, kind)
    # Secrets Manager needs only a few calls per push, so several rounds of changes make sure
    # faults land on every kind of call.
    rounds = 1 if kind == "parameter_store" else 6
    for round_ in range(rounds):
        wanted = {k: f"{v}-r{round_}" for k, v in VALUES.items()}
        (project / ".env").write_text("".join(f"{k}={v}\n" for k, v in wanted.items()))
        outcomes = []
        for _ in range(ATTEMPTS):
            # Every value changes each round: past the mass-change guard, on purpose.
            result = run("push", "--force")
            outcomes.append(result.exit_code)
            if result.exit_code == 0:
                break
            check_failure(result)
            if "failed part-way" in result.stderr:
                assert "  applied: " in result.stderr
                assert "  failed (" in result.stderr
        assert outcomes[-1] == 0, outcomes
        assert direct(kind, proxy).values() == wanted
    assert sum(proxy.faults.values()) > 0  # the faults did happen


@pytest.mark.parametrize("kind", BACKENDS)
def test_pull_of_200_keys_completes_or_leaves_the_file_byte_identical(
    kind: str, project: Path, proxy: AwsProxy
) -> None:
    write_config(project, kind)
    original = b"# keep me\r\nLOCAL_ONLY='stays'\r\n"
    (project / ".env").write_bytes(original)
    direct(kind, proxy).seed(VALUES)
    outcomes = []
    for _ in range(ATTEMPTS):
        result = run("pull")
        outcomes.append(result.exit_code)
        if result.exit_code == 0:
            break
        check_failure(result)
        assert (project / ".env").read_bytes() == original
    assert outcomes[-1] == 0, outcomes
    assert EnvFile.load(project / ".env").values() == {"LOCAL_ONLY": "stays", **VALUES}
    assert (project / ".env").read_bytes().startswith(original)


def test_a_pull_that_cannot_read_changes_nothing(project: Path, proxy: AwsProxy) -> None:
    write_config(project, "parameter_store")
    original = b"A=1\n"
    (project / ".env").write_bytes(original)
    direct("parameter_store", proxy).seed(VALUES)
    proxy.fault_rate = 1.0
    proxy.fault_actions = {"GetParametersByPath"}
    result = run("pull", "--force")
    check_failure(result)
    assert (project / ".env").read_bytes() == original


def test_a_push_failing_part_way_names_applied_and_failed_keys_then_converges(
    project: Path, proxy: AwsProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Writes are retried by secretsync itself; 75% failures make some keys run out of tries.
    write_config(project, "parameter_store")
    (project / ".env").write_text("".join(f"{k}={v}\n" for k, v in VALUES.items()))
    proxy.fault_rate = 0.75  # high enough that some keys fail all 8 attempts
    proxy.fault_actions = {"PutParameter"}
    # Throttling is not the subject here (the other tests have it): ~800 attempts at the
    # fixture's 60 writes/s would take most of the test's time.
    proxy.buckets.pop("PutParameter")
    proxy.fault_kinds = ("500", "drop")
    result = run("push")
    check_failure(result)
    assert "failed part-way" in result.stderr
    applied_line = next(line for line in result.stderr.splitlines() if "  applied: " in line)
    applied = set(applied_line.split(": ", 1)[1].split(", "))
    failed = {
        key
        for line in result.stderr.splitlines()
        if line.startswith("  failed (")
        for key in line.split("): ", 1)[1].split(", ")
    }
    remote = direct("parameter_store", proxy).values()
    assert set(remote) == applied
    assert failed and not failed & applied
    assert all(remote[key] == VALUES[key] for key in applied)
    proxy.fault_rate = 0.0
    assert run("push").exit_code == 0
    assert direct("parameter_store", proxy).values() == VALUES
