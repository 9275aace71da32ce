"""8. The leak guard: scan vs rg -F and grep -rF on ~100 MB; peak memory on 512 MiB; the hook's
latency; redact's throughput; vs detect-secrets."""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

from benchmarks.harness import BIN, PYTHON, SECRETSYNC, Check, Report, Row, project, race, timed

NAME = "8. leak guard: scan 5,000 files (~100 MB), 300 values"
CONFIG = (
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
SCAN = "secretsync scan tree"
GREP = "grep -rF -f values.txt tree"
RG = "rg -F -f values.txt tree"


def leak_guard(report: Report, runs: int, detect_secrets: str | None) -> None:
    """Every leak-guard measure, on one generated tree of 5,000 files and 300 values."""
    rng = random.Random(7)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    values = ["".join(rng.choice(alphabet) for _ in range(rng.randint(16, 40))) for _ in range(300)]
    root = project(CONFIG, "".join(f"KEY_{i:03d}={v}\n" for i, v in enumerate(values)))
    (root / "values.txt").write_text("\n".join(values) + "\n")
    make_tree(root / "tree", 5000, 20_000, values, planted=50)
    env = dict(os.environ)
    # grep and rg exit 0 when they find something; secretsync exits 1.
    contenders = {
        SCAN: lambda: timed([SECRETSYNC, "scan", "tree"], root, env, 1),
        GREP: lambda: timed(["grep", "-rF", "-f", "values.txt", "tree"], root, env, 0),
    }
    ripgrep = shutil.which("rg")
    if ripgrep:  # ripgrep searches with every core, as the scan does
        contenders[RG] = lambda: timed([ripgrep, "-F", "-f", "values.txt", "tree"], root, env, 0)
    medians = race(report, NAME, contenders, runs)
    ratio = medians[SCAN] / medians[GREP]
    report.checks.append(Check(NAME, "secretsync scan / grep -rF", ratio, "<= 1.20", ratio <= 1.20))
    if ripgrep:
        ratio = medians[SCAN] / medians[RG]
        report.checks.append(Check(NAME, "secretsync scan / rg -F", ratio, "<= 3.00", ratio <= 3.0))
    else:
        report.facts.append((NAME, "rg (Debian: ripgrep) is not installed: not compared"))
    megabytes = sum(p.stat().st_size for p in (root / "tree").rglob("*.py")) / 1e6
    report.facts.append((NAME, f"tree: 5,000 files, {megabytes:.0f} MB, 300 values, 50 planted"))
    peak_memory(report, values[0])
    hook_latency(report, root, env, runs)
    redact_throughput(report, root, env)
    versus_detect_secrets(report, root, values, env, detect_secrets)


def make_tree(root: Path, files: int, size: int, values: list[str], planted: int) -> set[str]:
    """``files`` text files of about ``size`` bytes under ``root`` (code-like lines of
    random words); ``planted`` of them get one value each as ``token=<value>`` on a known
    line.  Returns the planted places as ``path:line``."""
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


def peak_memory(report: Report, value: str) -> None:
    """Peak resident memory (git's processes included) of the scan and of the hook on one
    512 MiB file of code-like lines, a value on its last line."""
    name = "8. leak guard: peak memory, one 512 MiB file"
    root = project(CONFIG, f"KEY={value}\n")
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
    """The ``secretsync-scan`` hook on 10 staged files, over what ``--version`` costs."""
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
    """``secretsync redact`` on ~200 MB through a pipe."""
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
    planted = make_tree(root / "small", 200, 20_000, values, planted=20)
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
        places = _places(json.loads(result.stdout), contender.startswith("secretsync"))
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


def _places(document: dict[str, Any], ours: bool) -> set[str]:
    """The ``path:line`` of every finding in a scan's JSON document (ours or detect-secrets')."""
    if ours:
        return {f"{f['path']}:{f['line']}" for f in document["findings"]}
    return {
        f"{path}:{secret['line_number']}"
        for path, secrets in document["results"].items()
        for secret in secrets
    }
