"""What every scenario shares: the programs measured, timing, interleaved races, projects."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.aws_proxy import AwsProxy

ROOT = Path(__file__).resolve().parent.parent
# The programs measured are those of the Python running the suite (.venv's, by run.sh).
BIN = Path(sys.executable).parent
SECRETSYNC = str(BIN / "secretsync")
PYTHON = sys.executable
REGION = "us-east-1"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_DEFAULT_REGION": REGION,
}
# Where the measured programs write their bytecode when the environment says not to write it
# beside the sources (benchmarks/out/ is ignored by git).
PYCACHE = ROOT / "benchmarks" / "out" / "pycache"


@dataclass
class Row:
    scenario: str
    contender: str
    median: float
    runs: list[float]
    note: str = ""


@dataclass
class Check:
    scenario: str
    what: str
    value: float
    target: str
    met: bool
    why: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)


def run_from_bytecode() -> None:
    """Let every program started from here run from bytecode, as an installed package does.

    pip compiles a package when it installs it; an editable install is compiled on first
    import, unless ``PYTHONDONTWRITEBYTECODE`` is set, and then every run compiles secretsync
    from source (~40 ms on the hook path).  So the bytecode goes to ``PYCACHE`` instead; each
    scenario's untimed first run writes it."""
    if os.environ.pop("PYTHONDONTWRITEBYTECODE", None):
        os.environ["PYTHONPYCACHEPREFIX"] = str(PYCACHE)


def environ(url: str) -> dict[str, str]:
    """This process's environment without AWS or secretsync settings, pointed at ``url``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SECRETSYNC_"))}
    env.update(CREDENTIALS)
    env["AWS_ENDPOINT_URL"] = url
    return env


def timed(cmd: list[str], cwd: Path, env: dict[str, str], expect: int = 0) -> float:
    """Seconds one whole run of ``cmd`` took; stops the suite if it exits other than ``expect``."""
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != expect:
        raise SystemExit(
            f"benchmark command failed ({result.returncode}): {' '.join(cmd)}\n{result.stderr}"
        )
    return elapsed


def race(
    report: Report,
    scenario: str,
    contenders: dict[str, Callable[[], float]],
    runs: int,
) -> dict[str, float]:
    """Run the contenders interleaved ``runs`` times; record and return their medians."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(runs):
        for name, run in contenders.items():
            times[name].append(run())
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        report.rows.append(Row(scenario, name, medians[name], values))
    return medians


def project(config: str, env_text: str) -> Path:
    """A fresh project (a ``.git`` folder, the config, the ``.env``) in a temporary folder."""
    root = Path(tempfile.mkdtemp(prefix="secretsync-bench-"))
    (root / ".git").mkdir()
    (root / ".secretsync.toml").write_text(config)
    (root / ".env").write_text(env_text)
    return root


def moto_client(proxy: AwsProxy, service: str) -> Any:
    """A boto3 client straight to moto (past the proxy), to set a scenario up or check it."""
    import boto3

    return boto3.client(  # type: ignore[call-overload]
        service,
        region_name=REGION,
        endpoint_url=proxy.moto_url,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )


def secret_project(proxy: AwsProxy, values: dict[str, str]) -> Path:
    """The secret ``bench/app`` holding ``values``, and a project whose ``.env`` agrees."""
    moto_client(proxy, "secretsmanager").create_secret(
        Name="bench/app", SecretString=json.dumps(values)
    )
    return project(
        f'[backend]\ntype = "secrets_manager"\nregion = "{REGION}"\n'
        '[secrets_manager]\nsecret_name = "bench/app"\n',
        "".join(f"{k}={v}\n" for k, v in values.items()),
    )


def fifty_values() -> dict[str, str]:
    """The 50 keys of the Secrets Manager scenarios."""
    return {f"KEY_{i:02d}": f"value-{i}" for i in range(50)}
