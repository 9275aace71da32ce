"""4. Parse and rewrite a 10,000-line .env; the start-up import overhead of ``--version``."""

from __future__ import annotations

import os
import statistics
import subprocess
from pathlib import Path

from benchmarks.harness import PYTHON, ROOT, SECRETSYNC, Check, Report, Row, race, timed

NAME = "4. local: 10,000-line .env; start-up"
SCRIPT = ROOT / "benchmarks" / "parse_rewrite.py"


def local_work(report: Report, runs: int) -> None:
    """The in-process time of ``parse_rewrite.py``; ``secretsync --version`` vs ``python``."""
    inner = []
    for _ in range(max(runs, 5)):
        out = subprocess.run([PYTHON, str(SCRIPT)], capture_output=True, text=True, check=True)
        inner.append(float(out.stdout.strip()))
    median = statistics.median(inner)
    report.rows.append(Row(NAME, "parse + rewrite 10,000 lines (in-process time)", median, inner))
    report.checks.append(Check(NAME, "parse + rewrite, seconds", median, "< 0.100", median < 0.100))
    here = Path.cwd()
    medians = race(
        report,
        NAME,
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
            NAME,
            f"`secretsync --version` start-up overhead over `python -c pass`: "
            f"{overhead * 1000:.0f} ms",
        )
    )
