"""RESULTS.md: targets, timings and facts per scenario, then the notes on reading them.

A run of some scenarios (``--only``) replaces their lines in an existing RESULTS.md and keeps
every other scenario's, saying in the header when the ones it ran were recorded.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import re
import sysconfig
from collections.abc import Iterable
from pathlib import Path

from benchmarks.harness import Report

SECTIONS = ("## Targets", "## Timings", "## Facts")
NOTES_HEADING = "## Where a target is missed, and why"
# A table row or a fact names its scenario first: "| 6. start-up ..." or "- 6. start-up ...".
SCENARIO = re.compile(r"^[|-] (\d+)\. ")


def write(report: Report, path: Path, notes: str, only: list[str] | None = None) -> None:
    """Write ``report`` to ``path``; with ``only``, over the other scenarios' earlier lines."""
    sections = _sections(report)
    now = f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC"
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    earlier = path.read_text() if only and path.exists() else ""
    if earlier:
        header = _header(earlier).rstrip()
        header += (
            f" {_plural(only or [])} re-recorded on {now} ({machine}, {install_kind()}) with "
            f"`--only {','.join(only or [])}`; the other scenarios are as recorded before."
        )
        old = _lines(earlier)
        sections = {
            title: _merge(old.get(title, []), lines, set(only or []))
            for title, lines in sections.items()
        }
    else:
        header = (
            f"Recorded {now} on {machine}; `bash benchmarks/run.sh` reproduces them. Times are "
            "medians of whole-process runs (run interleaved); compare the ratios, not the "
            f"absolute times. secretsync was {install_kind()}."
        )
    lines = ["# secretsync benchmark results", "", header]
    for title in SECTIONS:
        lines += ["", title, "", *sections[title]]
    if notes:
        lines += ["", NOTES_HEADING, "", notes.strip()]
    path.write_text("\n".join(lines) + "\n")


def _sections(report: Report) -> dict[str, list[str]]:
    """The three sections' lines (table heads included) for ``report``."""
    targets = ["| scenario | measure | value | target | met |", "| --- | --- | --- | --- | --- |"]
    for c in report.checks:
        value = f"{c.value:.2f}" if isinstance(c.value, float) else str(c.value)
        met = "yes" if c.met else "**no**"
        targets.append(f"| {c.scenario} | {c.what} | {value} | {c.target} | {met} |")
    timings = [
        "| scenario | contender | median (s) | runs (s) | note |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in report.rows:
        runs = ", ".join(f"{t:.3f}" for t in r.runs)
        timings.append(f"| {r.scenario} | {r.contender} | {r.median:.3f} | {runs} | {r.note} |")
    facts = [f"- {scenario}: {fact}" for scenario, fact in report.facts]
    return dict(zip(SECTIONS, (targets, timings, facts), strict=True))


def _header(text: str) -> str:
    """The paragraph between the title and the first section of an earlier RESULTS.md."""
    body = text.split("\n## ", 1)[0]
    return "\n".join(line for line in body.splitlines()[1:] if line.strip())


def _lines(text: str) -> dict[str, list[str]]:
    """Each section's lines in an earlier RESULTS.md (the notes section left out)."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("## "):
            current = found.setdefault(line, []) if line in SECTIONS else None
        elif current is not None and line.strip():
            current.append(line)
    return found


def _merge(old: list[str], new: list[str], ran: set[str]) -> list[str]:
    """The new table head and lines, and the old lines of scenarios not run, by scenario."""
    head = [line for line in new if not SCENARIO.match(line)]
    kept = [line for line in old if (m := SCENARIO.match(line)) and m.group(1) not in ran]
    fresh = [line for line in new if SCENARIO.match(line)]
    return head + sorted(kept + fresh, key=_number)


def _number(line: str) -> int:
    match = SCENARIO.match(line)
    return int(match.group(1)) if match else 0


def _plural(numbers: Iterable[str]) -> str:
    names = list(numbers)
    if len(names) == 1:
        return f"Scenario {names[0]} was"
    return f"Scenarios {', '.join(names[:-1])} and {names[-1]} were"


def install_kind() -> str:
    """How the measured secretsync is installed (from the working tree, or as a package), and
    whether it ran from bytecode."""
    purelib = Path(sysconfig.get_paths()["purelib"])
    for direct_url in purelib.glob("secretsync_hooks-*.dist-info/direct_url.json"):
        if json.loads(direct_url.read_text()).get("dir_info", {}).get("editable"):
            if os.environ.get("PYTHONDONTWRITEBYTECODE"):
                return "an editable install of the working tree, compiled from source every run"
            return "an editable install of the working tree, run from bytecode"
    return "installed into the venv as a package"
