"""secretsync benchmarks: whole processes, side by side, medians and ratios.

Every scenario runs its contenders interleaved (A B C A B C ...) against a moto server behind
the latency-and-throttling proxy (``tests/aws_proxy.py``) on 127.0.0.1, and reports medians of
at least 5 whole-process runs and their ratios; absolute times drift on shared machines, the
ratios much less.  Results go to ``benchmarks/RESULTS.md``.

    bash benchmarks/run.sh            # sets up .venv and an awscli venv, then runs this
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.aws_proxy import WRITE_ACTIONS, AwsProxy  # noqa: E402

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

BOTO3_GET_SECRET = (
    "import boto3\n"
    "c = boto3.client('secretsmanager', region_name='us-east-1')\n"
    "c.get_secret_value(SecretId='bench/app', VersionStage='AWSCURRENT')\n"
)
BOTO3_READ_SECRET = (  # what the hook does, as a minimal script: read the secret, parse it
    "import json, boto3\n"
    "c = boto3.client('secretsmanager', region_name='us-east-1')\n"
    "r = c.get_secret_value(SecretId='bench/app', VersionStage='AWSCURRENT')\n"
    "assert len(json.loads(r['SecretString'])) == 50\n"
)
BOTOCORE_EXEC = (  # what `secretsync run -- true` does, as a bare botocore script
    "import json, os, botocore.session\n"
    "c = botocore.session.get_session().create_client('secretsmanager', region_name='us-east-1')\n"
    "r = c.get_secret_value(SecretId='bench/app', VersionStage='AWSCURRENT')\n"
    "env = dict(os.environ)\n"
    "env.update(json.loads(r['SecretString']))\n"
    "os.execvpe('true', ['true'], env)\n"
)
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


def environ(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SECRETSYNC_"))}
    env.update(CREDENTIALS)
    env["AWS_ENDPOINT_URL"] = url
    return env


def timed(cmd: list[str], cwd: Path, env: dict[str, str], expect: int = 0) -> float:
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
    root = Path(tempfile.mkdtemp(prefix="secretsync-bench-"))
    (root / ".git").mkdir()
    (root / ".secretsync.toml").write_text(config)
    (root / ".env").write_text(env_text)
    return root


def moto_client(proxy: AwsProxy, service: str) -> Any:
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


# -- scenarios ----------------------------------------------------------------------------------


def hook_path(report: Report, aws: str, runs: int) -> None:
    """1. Secrets Manager, 50 keys, 20 ms latency: diff vs boto3 script vs awscli."""
    name = "1. hook path: Secrets Manager, 50 keys, 20 ms latency"
    values = {f"KEY_{i:02d}": f"value-{i}" for i in range(50)}
    with AwsProxy(latency=0.020, lifetime=900, separate_moto=True) as proxy:
        root = secret_project(proxy, values)
        env = environ(proxy.url)
        timed([SECRETSYNC, "diff"], root, env)  # first run records the base
        medians = race(
            report,
            name,
            {
                "secretsync diff": lambda: timed([SECRETSYNC, "diff"], root, env),
                "boto3 script (GetSecretValue)": lambda: timed(
                    [PYTHON, "-c", BOTO3_GET_SECRET], root, env
                ),
                "aws secretsmanager get-secret-value": lambda: timed(
                    [
                        aws,
                        "secretsmanager",
                        "get-secret-value",
                        "--secret-id",
                        "bench/app",
                        "--region",
                        REGION,
                    ],
                    root,
                    env,
                ),
            },
            runs,
        )
        proxy.reset_counts()
        timed([SECRETSYNC, "diff"], root, env)
        calls = dict(proxy.calls)
    ours = medians["secretsync diff"]
    vs_boto3 = ours / medians["boto3 script (GetSecretValue)"]
    vs_aws = ours / medians["aws secretsmanager get-secret-value"]
    report.checks.append(
        Check(name, "secretsync / boto3 script", vs_boto3, "<= 1.15", vs_boto3 <= 1.15)
    )
    report.checks.append(Check(name, "secretsync / awscli", vs_aws, "<= 0.70", vs_aws <= 0.70))
    report.facts.append((name, f"API calls made by one `secretsync diff`: {calls}"))


def parameter_store_read(report: Report, aws: str, runs: int) -> None:
    """2. Parameter Store, 1,000 keys, 20 ms latency: diff vs awscli vs a bare botocore loop."""
    name = "2. Parameter Store read: 1,000 keys, 20 ms latency"
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
        medians = race(
            report,
            name,
            {
                "secretsync diff": lambda: timed([SECRETSYNC, "diff"], root, env),
                "aws ssm get-parameters-by-path": lambda: timed(
                    [
                        aws,
                        "ssm",
                        "get-parameters-by-path",
                        "--path",
                        "/bench/app",
                        "--with-decryption",
                        "--region",
                        REGION,
                    ],
                    root,
                    env,
                ),
                "bare botocore loop (100 pages)": lambda: timed(
                    [PYTHON, "-c", BOTOCORE_PAGES], root, env
                ),
            },
            runs,
        )
        proxy.reset_counts()
        timed([SECRETSYNC, "diff"], root, env)
        calls = dict(proxy.calls)
    ours = medians["secretsync diff"]
    vs_aws = ours / medians["aws ssm get-parameters-by-path"]
    vs_loop = ours / medians["bare botocore loop (100 pages)"]
    report.checks.append(Check(name, "secretsync / awscli", vs_aws, "<= 0.95", vs_aws <= 0.95))
    report.checks.append(Check(name, "secretsync / bare loop", vs_loop, "<= 1.05", vs_loop <= 1.05))
    report.facts.append(
        (
            name,
            f"calls on the critical path of `secretsync diff`: {calls} "
            "(GetParametersByPath pages follow NextToken one after another)",
        )
    )


def throttled_push(report: Report, runs: int, keys: int, rate: float) -> None:
    """3. Push of changed Parameter Store keys with PutParameter throttled to ``rate``/s."""
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
            remote = {}
            for page in ssm.get_paginator("get_parameters_by_path").paginate(
                Path="/bench/push", WithDecryption=True
            ):
                remote.update({p["Name"].rsplit("/", 1)[1]: p["Value"] for p in page["Parameters"]})
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


def local_work(report: Report, runs: int) -> None:
    """4. Parse and rewrite a 10,000-line .env; start-up import overhead of --version."""
    name = "4. local: 10,000-line .env; start-up"
    script = ROOT / "benchmarks" / "parse_rewrite.py"
    inner = []
    for _ in range(max(runs, 5)):
        out = subprocess.run([PYTHON, str(script)], capture_output=True, text=True, check=True)
        inner.append(float(out.stdout.strip()))
    median = statistics.median(inner)
    report.rows.append(Row(name, "parse + rewrite 10,000 lines (in-process time)", median, inner))
    report.checks.append(Check(name, "parse + rewrite, seconds", median, "< 0.100", median < 0.100))
    here = Path.cwd()
    medians = race(
        report,
        name,
        {
            "secretsync --version": lambda: timed(
                [SECRETSYNC, "--version"], here, dict(os.environ)
            ),
            "python -c pass": lambda: timed([PYTHON, "-c", "pass"], here, dict(os.environ)),
        },
        max(runs, 7),
    )
    overhead = medians["secretsync --version"] - medians["python -c pass"]
    report.facts.append(
        (
            name,
            f"`secretsync --version` start-up overhead over `python -c pass`: "
            f"{overhead * 1000:.0f} ms",
        )
    )


def api_calls(report: Report) -> None:
    """5. API calls per command, from the proxy's counters."""
    name = "5. API calls per command"
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
    writes = WRITE_ACTIONS

    def write_count(calls: dict[str, int]) -> int:
        return sum(n for action, n in calls.items() if action in writes)

    report.checks.append(
        Check(
            name,
            "diff on Secrets Manager: calls",
            sum(diff.values()),
            "= 1",
            sum(diff.values()) == 1,
        )
    )
    report.checks.append(
        Check(
            name,
            "push to Secrets Manager with changes: new versions",
            after - before,
            "= 1",
            after - before == 1,
        )
    )
    report.checks.append(
        Check(
            name,
            "push with nothing to change (Secrets Manager): writes",
            write_count(noop),
            "= 0",
            write_count(noop) == 0,
        )
    )
    report.checks.append(
        Check(
            name,
            "push with nothing to change (Parameter Store): writes",
            write_count(ps_noop),
            "= 0",
            write_count(ps_noop) == 0,
        )
    )
    report.facts.append(
        (
            name,
            f"diff: {diff}; push with changes: {push}; "
            f"no-op push: {noop}; Parameter Store no-op push: {ps_noop}",
        )
    )


def startup(report: Report, runs: int) -> None:
    """6. Start-up on the hook path: the hook and diff vs a minimal boto3 script, fastest runs."""
    name = "6. start-up: hook and diff vs a boto3 script, Secrets Manager, 50 keys, 20 ms"
    values = {f"KEY_{i:02d}": f"value-{i}" for i in range(50)}
    with AwsProxy(latency=0.020, lifetime=900, separate_moto=True) as proxy:
        root = secret_project(proxy, values)
        env = environ(proxy.url)
        cache = root / "cache"
        env.update(XDG_CACHE_HOME=str(cache), XDG_STATE_HOME=str(root / "state"))
        hook = [str(BIN / "secretsync-check")]
        contenders = {
            "secretsync-check (the hook)": lambda: timed(hook, root, env),
            "secretsync diff": lambda: timed([SECRETSYNC, "diff"], root, env),
            "boto3 script (GetSecretValue, json.loads)": lambda: timed(
                [PYTHON, "-c", BOTO3_READ_SECRET], root, env
            ),
        }
        cold = []
        for _ in range(5):  # the first run of a botocore version builds the endpoint cache
            shutil.rmtree(cache, ignore_errors=True)
            cold.append(timed(hook, root, env))
        race(report, name, contenders, runs)
    rows = {row.contender: row for row in report.rows if row.scenario == name}
    fastest = {contender: min(row.runs) for contender, row in rows.items()}
    baseline = fastest["boto3 script (GetSecretValue, json.loads)"]
    for contender in ("secretsync-check (the hook)", "secretsync diff"):
        ratio = fastest[contender] / baseline
        report.checks.append(
            Check(
                name,
                f"{contender} / boto3 script, fastest of {runs}",
                ratio,
                "<= 0.95",
                ratio <= 0.95,
            )
        )
    report.facts.append(
        (
            name,
            f"fastest runs: {', '.join(f'{c} {t * 1000:.0f} ms' for c, t in fastest.items())}; "
            f"the hook's first run after installing or upgrading botocore (no endpoint cache), "
            f"fastest of 5: {min(cold) * 1000:.0f} ms",
        )
    )


def run_command(report: Report, runs: int) -> None:
    """7. `secretsync run -- true` vs a bare botocore script that reads the secret and execs."""
    name = "7. run: `secretsync run -- true`, Secrets Manager, 50 keys, 20 ms"
    values = {f"KEY_{i:02d}": f"value-{i}" for i in range(50)}
    with AwsProxy(latency=0.020, lifetime=900, separate_moto=True) as proxy:
        root = secret_project(proxy, values)
        env = environ(proxy.url)
        env.update(XDG_CACHE_HOME=str(root / "cache"), XDG_STATE_HOME=str(root / "state"))
        timed([SECRETSYNC, "run", "--", "true"], root, env)  # the endpoint cache, once
        medians = race(
            report,
            name,
            {
                "secretsync run -- true": lambda: timed(
                    [SECRETSYNC, "run", "--", "true"], root, env
                ),
                "botocore script (GetSecretValue, exec true)": lambda: timed(
                    [PYTHON, "-c", BOTOCORE_EXEC], root, env
                ),
            },
            runs,
        )
        proxy.reset_counts()
        timed([SECRETSYNC, "run", "--", "true"], root, env)
        calls = dict(proxy.calls)
    ratio = (
        medians["secretsync run -- true"] / medians["botocore script (GetSecretValue, exec true)"]
    )
    report.checks.append(
        Check(name, "secretsync run / botocore script, medians", ratio, "<= 1.10", ratio <= 1.10)
    )
    report.facts.append((name, f"API calls made by one `secretsync run`: {calls}"))


def make_tree(root: Path, files: int, size: int, values: list[str], planted: int) -> set[str]:
    """``files`` text files of about ``size`` bytes under ``root`` (code-like lines of
    random words); ``planted`` of them get one value each as ``token=<value>`` on a known
    line.  Returns the planted places as ``path:line``."""
    import random

    rng = random.Random(42)
    words = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz_") for _ in range(rng.randint(2, 10)))
        for _ in range(2000)
    ]
    places = set()
    for index in range(files):
        directory = root / f"pkg{index % 50:02d}"
        directory.mkdir(parents=True, exist_ok=True)
        lines, length = [], 0
        while length < size:
            line = "    " + " = ".join(rng.choice(words) for _ in range(rng.randint(2, 8)))
            lines.append(line)
            length += len(line) + 1
        path = directory / f"module_{index:04d}.py"
        if index < planted:
            at = rng.randrange(len(lines))
            lines[at] = f'    token = "{values[index % len(values)]}"'
            places.add(f"{path.relative_to(root.parent)}:{at + 1}")
        path.write_text("\n".join(lines) + "\n")
    return places


def leak_guard(report: Report, runs: int, detect_secrets: str | None) -> None:
    """8. scan vs rg -F and grep -rF on ~100 MB; peak memory on 512 MiB; hook latency;
    redact throughput; vs detect-secrets."""
    import random

    name = "8. leak guard: scan 5,000 files (~100 MB), 300 values"
    rng = random.Random(7)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    values = ["".join(rng.choice(alphabet) for _ in range(rng.randint(16, 40))) for _ in range(300)]
    root = project(LEAK_CONFIG, "".join(f"KEY_{i:03d}={v}\n" for i, v in enumerate(values)))
    (root / "values.txt").write_text("\n".join(values) + "\n")
    make_tree(root / "tree", 5000, 20_000, values, planted=50)
    env = dict(os.environ)
    scan, grep, rg = (
        "secretsync scan tree",
        "grep -rF -f values.txt tree",
        "rg -F -f values.txt tree",
    )
    # grep and rg exit 0 when they find something; secretsync exits 1.
    contenders = {
        scan: lambda: timed([SECRETSYNC, "scan", "tree"], root, env, 1),
        grep: lambda: timed(["grep", "-rF", "-f", "values.txt", "tree"], root, env, 0),
    }
    ripgrep = shutil.which("rg")
    if ripgrep:  # ripgrep searches with every core, as the scan does
        contenders[rg] = lambda: timed([ripgrep, "-F", "-f", "values.txt", "tree"], root, env, 0)
    medians = race(report, name, contenders, runs)
    ratio = medians[scan] / medians[grep]
    report.checks.append(Check(name, "secretsync scan / grep -rF", ratio, "<= 1.20", ratio <= 1.20))
    if ripgrep:
        ratio = medians[scan] / medians[rg]
        report.checks.append(Check(name, "secretsync scan / rg -F", ratio, "<= 3.00", ratio <= 3.0))
    else:
        report.facts.append((name, "rg (Debian: ripgrep) is not installed: not compared"))
    megabytes = sum(p.stat().st_size for p in (root / "tree").rglob("*.py")) / 1e6
    report.facts.append((name, f"tree: 5,000 files, {megabytes:.0f} MB, 300 values, 50 planted"))
    peak_memory(report, values[0])
    hook_latency(report, root, env, runs)
    redact_throughput(report, root, env)
    versus_detect_secrets(report, root, values, env, detect_secrets)


LEAK_CONFIG = (
    '[backend]\ntype = "secrets_manager"\nregion = "us-east-1"\n'
    '[secrets_manager]\nsecret_name = "bench/app"\n'
)
# Run by a small Python of its own: a process's peak counts the memory of the process it was
# started from (this one, with boto3 loaded) until it runs its program.
PEAK = (
    "import os, subprocess, sys\n"
    "child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    "_, status, usage = os.wait4(child.pid, 0)\n"
    "print(usage.ru_maxrss, os.waitstatus_to_exitcode(status))\n"
)


def peak_memory(report: Report, value: str) -> None:
    """Peak resident memory (git's processes included) of the scan and of the hook on one
    512 MiB file of code-like lines, a value on its last line."""
    name = "8. leak guard: peak memory, one 512 MiB file"
    root = project(LEAK_CONFIG, f"KEY={value}\n")
    make_tree(root / "one", 1, 1 << 20, [value], planted=0)
    block = next((root / "one").rglob("*.py")).read_bytes()[: (1 << 20) - 1] + b"\n"
    with (root / "big.txt").open("wb") as out:
        for _ in range(512):
            out.write(block)
        out.write(f"token = {value}\n".encode())
    size = (root / "big.txt").stat().st_size
    (root / ".git").rmdir()
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "big.txt"], cwd=root, check=True)
    for contender, command in (
        ("secretsync scan big.txt", [SECRETSYNC, "scan", "big.txt"]),
        ("secretsync-scan big.txt (staged)", [str(BIN / "secretsync-scan"), "big.txt"]),
    ):
        start = time.perf_counter()
        result = subprocess.run(
            [PYTHON, "-I", "-S", "-c", PEAK, *command],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        )
        elapsed = time.perf_counter() - start
        kib, code = (int(field) for field in result.stdout.split())
        if code != 1:
            raise SystemExit(f"{contender} did not find the planted value (exit {code})")
        megabytes = kib * 1024 / 1e6
        report.rows.append(Row(name, contender, elapsed, [elapsed], f"peak {megabytes:.0f} MB"))
        report.checks.append(
            Check(name, f"{contender}: peak MB", megabytes, "< 160", megabytes < 160)
        )
    report.facts.append((name, f"file: {size / (1 << 20):.0f} MiB, code-like lines"))
    shutil.rmtree(root, ignore_errors=True)  # 512 MiB, and git's copy of it


def hook_latency(report: Report, root: Path, env: dict[str, str], runs: int) -> None:
    name = "8. leak guard: the secretsync-scan hook on a commit of 10 files"
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    (root / ".git" / "info").mkdir(parents=True, exist_ok=True)
    staged = [f"tree/pkg{i % 50:02d}/module_{i:04d}.py" for i in range(60, 70)]
    subprocess.run(["git", "add", "--", *staged], cwd=root, check=True)
    medians = race(
        report,
        name,
        {
            "secretsync-scan (10 staged files)": lambda: timed(
                [str(BIN / "secretsync-scan"), *staged], root, env
            ),
            "secretsync --version": lambda: timed([SECRETSYNC, "--version"], root, env),
        },
        max(runs, 7),
    )
    extra = medians["secretsync-scan (10 staged files)"] - medians["secretsync --version"]
    report.checks.append(
        Check(name, "hook - `secretsync --version`, seconds", extra, "<= 0.15", extra <= 0.15)
    )


def redact_throughput(report: Report, root: Path, env: dict[str, str]) -> None:
    name = "8. leak guard: secretsync redact through a pipe"
    sample = root / "stream.txt"
    with sample.open("wb") as out:
        for path in sorted((root / "tree").rglob("*.py"))[:1000]:  # ~20 MB, values included
            out.write(path.read_bytes())
        out.flush()
    data = sample.read_bytes() * 10  # ~200 MB
    sample.write_bytes(data)
    command = f"cat stream.txt | {SECRETSYNC} redact > /dev/null"
    times = [timed(["sh", "-c", command], root, env) for _ in range(3)]
    rate = len(data) / 1e6 / statistics.median(times)
    report.rows.append(
        Row(name, f"redact {len(data) / 1e6:.0f} MB", statistics.median(times), times)
    )
    report.checks.append(Check(name, "MB/s", rate, ">= 100", rate >= 100))


def versus_detect_secrets(
    report: Report, root: Path, values: list[str], env: dict[str, str], detect_secrets: str | None
) -> None:
    """The same small tree (4 MB: detect-secrets takes minutes on 100 MB) for both."""
    name = "8. leak guard: vs detect-secrets, 200 files (~4 MB), 20 planted values"
    small = root / "small"
    planted = make_tree(small, 200, 20_000, values, planted=20)
    contenders = {
        "secretsync scan small": ([SECRETSYNC, "scan", "--format", "json", "small"], 1),
    }
    if detect_secrets:
        contenders["detect-secrets scan small"] = ([detect_secrets, "scan", "small"], 0)
    for contender, (command, code) in contenders.items():
        start = time.perf_counter()
        result = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if result.returncode != code:
            raise SystemExit(f"{contender} failed ({result.returncode}): {result.stderr}")
        document = json.loads(result.stdout)
        if contender.startswith("secretsync"):
            places = {f"{f['path']}:{f['line']}" for f in document["findings"]}
        else:
            places = {
                f"{path}:{secret['line_number']}"
                for path, secrets in document["results"].items()
                for secret in secrets
            }
        hits = len(planted & places)
        false_alarms = len(places - planted)
        report.rows.append(
            Row(
                name,
                contender,
                elapsed,
                [elapsed],
                f"planted values found: {hits} of {len(planted)}; other findings: {false_alarms}",
            )
        )
    if not detect_secrets:
        report.facts.append((name, "detect-secrets was not available: not compared"))


def all_envs(report: Report, runs: int) -> None:
    """9. The hook over 5 environments (--all-envs) vs over one, 20 ms latency."""
    name = "9. hook over 5 environments vs 1, Secrets Manager, 50 keys each, 20 ms"
    values = {f"KEY_{i:02d}": f"value-{i}" for i in range(50)}
    names = ["dev", "qa", "staging", "perf", "prod"]
    with AwsProxy(latency=0.020, lifetime=900, separate_moto=True) as proxy:
        client = moto_client(proxy, "secretsmanager")
        config = '[backend]\ntype = "secrets_manager"\nregion = "us-east-1"\n'
        for env in names:
            client.create_secret(Name=f"bench/{env}", SecretString=json.dumps(values))
            config += (
                f'[environments.{env}]\nenv_file = ".env.{env}"\n'
                f'[environments.{env}.secrets_manager]\nsecret_name = "bench/{env}"\n'
            )
        text = "".join(f"{k}={v}\n" for k, v in values.items())
        root = project(config, text)
        for env in names:
            (root / f".env.{env}").write_text(text)
        env_vars = environ(proxy.url)
        env_vars.update(XDG_CACHE_HOME=str(root / "cache"), XDG_STATE_HOME=str(root / "state"))
        hook = str(BIN / "secretsync-check")
        timed([hook, "--all-envs"], root, env_vars)  # records, endpoint cache
        medians = race(
            report,
            name,
            {
                "secretsync-check --all-envs (5)": lambda: timed(
                    [hook, "--all-envs"], root, env_vars
                ),
                "secretsync-check --env dev (1)": lambda: timed(
                    [hook, "--env", "dev"], root, env_vars
                ),
            },
            runs,
        )
    ratio = medians["secretsync-check --all-envs (5)"] / medians["secretsync-check --env dev (1)"]
    report.checks.append(Check(name, "5 environments / 1", ratio, "<= 1.60", ratio <= 1.60))


# -- report ---------------------------------------------------------------------------------------


def write(report: Report, path: Path, notes: str) -> None:
    lines = [
        "# secretsync benchmark results",
        "",
        f"Recorded {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on "
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        "`bash benchmarks/run.sh` reproduces them. Times are medians of whole-process runs "
        "(run interleaved); compare the ratios, not the absolute times.",
        "",
        "## Targets",
        "",
        "| scenario | measure | value | target | met |",
        "| --- | --- | --- | --- | --- |",
    ]
    for c in report.checks:
        value = f"{c.value:.2f}" if isinstance(c.value, float) else str(c.value)
        lines.append(
            f"| {c.scenario} | {c.what} | {value} | {c.target} | {'yes' if c.met else '**no**'} |"
        )
    lines += [
        "",
        "## Timings",
        "",
        "| scenario | contender | median (s) | runs (s) | note |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in report.rows:
        runs = ", ".join(f"{t:.3f}" for t in r.runs)
        lines.append(f"| {r.scenario} | {r.contender} | {r.median:.3f} | {runs} | {r.note} |")
    lines += ["", "## Facts", ""]
    lines += [f"- {scenario}: {fact}" for scenario, fact in report.facts]
    if notes:
        lines += ["", "## Where a target is missed, and why", "", notes.strip()]
    path.write_text("\n".join(lines) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--aws", default="aws", help="the awscli program to compare with")
    parser.add_argument("--runs", type=int, default=7, help="runs per contender (>= 5)")
    parser.add_argument("--only", default="1,2,3,4,5,6,7,8,9", help="scenarios to run, e.g. 1,5")
    parser.add_argument("--detect-secrets", help="the detect-secrets program to compare with")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "RESULTS.md")
    parser.add_argument(
        "--notes",
        type=Path,
        default=ROOT / "benchmarks" / "NOTES.md",
        help="analysis appended to the results",
    )
    args = parser.parse_args()
    if os.sep in args.aws:
        args.aws = str(Path(args.aws).resolve())
    if args.detect_secrets and os.sep in args.detect_secrets:
        args.detect_secrets = str(Path(args.detect_secrets).resolve())
    runs = max(5, args.runs)
    chosen = set(args.only.split(","))
    report = Report()
    if "1" in chosen:
        hook_path(report, args.aws, runs)
    if "2" in chosen:
        parameter_store_read(report, args.aws, runs)
    if "3" in chosen:
        throttled_push(report, 5, keys=200, rate=40)
        throttled_push(report, 5, keys=30, rate=3)
    if "4" in chosen:
        local_work(report, runs)
    if "5" in chosen:
        api_calls(report)
    if "6" in chosen:
        startup(report, max(runs, 15))
    if "7" in chosen:
        run_command(report, max(runs, 15))
    if "8" in chosen:
        leak_guard(report, 5, args.detect_secrets)
    if "9" in chosen:
        all_envs(report, max(runs, 9))
    notes = args.notes.read_text() if args.notes.exists() else ""
    write(report, args.output, notes)
    for c in report.checks:
        print(
            f"{'ok  ' if c.met else 'MISS'} {c.scenario}: {c.what} = "
            f"{c.value:.2f} (target {c.target})"
            if isinstance(c.value, float)
            else f"{'ok  ' if c.met else 'MISS'} {c.scenario}: {c.what} = {c.value} ({c.target})"
        )
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
