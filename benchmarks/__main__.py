"""Run the benchmarks from the repository root: ``python -m benchmarks [--only 1,5] ...``."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

from benchmarks import __doc__ as DESCRIPTION
from benchmarks.harness import ROOT, Report, run_from_bytecode
from benchmarks.report import write
from benchmarks.scenarios.all_envs import all_envs
from benchmarks.scenarios.api_calls import api_calls
from benchmarks.scenarios.hook_path import hook_path
from benchmarks.scenarios.leak_guard import leak_guard
from benchmarks.scenarios.local_work import local_work
from benchmarks.scenarios.parameter_store_read import parameter_store_read
from benchmarks.scenarios.run_command import run_command
from benchmarks.scenarios.startup import startup
from benchmarks.scenarios.throttled_push import throttled_push


def _throttled_pushes(report: Report, args: argparse.Namespace, runs: int) -> None:
    throttled_push(report, 5, keys=200, rate=40)
    throttled_push(report, 5, keys=30, rate=3)


# Each scenario by its number, with the runs it takes from --runs (at least 5).
SCENARIOS: dict[str, Callable[[Report, argparse.Namespace, int], None]] = {
    "1": lambda report, args, runs: hook_path(report, args.aws, runs),
    "2": lambda report, args, runs: parameter_store_read(report, args.aws, runs),
    "3": _throttled_pushes,
    "4": lambda report, args, runs: local_work(report, runs),
    "5": lambda report, args, runs: api_calls(report),
    "6": lambda report, args, runs: startup(report, max(runs, 15)),
    "7": lambda report, args, runs: run_command(report, max(runs, 15)),
    "8": lambda report, args, runs: leak_guard(report, 5, args.detect_secrets),
    "9": lambda report, args, runs: all_envs(report, max(runs, 9)),
}


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--aws", default="aws", help="the awscli program to compare with")
    parser.add_argument("--runs", type=int, default=7, help="runs per contender (>= 5)")
    parser.add_argument("--only", default=",".join(SCENARIOS), help="scenarios to run, e.g. 1,5")
    parser.add_argument("--detect-secrets", help="the detect-secrets program to compare with")
    parser.add_argument(
        "--output", type=Path, default=ROOT / "benchmarks" / "RESULTS.md", help="the results file"
    )
    parser.add_argument(
        "--notes",
        type=Path,
        default=ROOT / "benchmarks" / "NOTES.md",
        help="how to read the numbers, appended to the results",
    )
    parser.add_argument(
        "--no-bytecode",
        action="store_true",
        help="keep PYTHONDONTWRITEBYTECODE: every run compiles secretsync from source",
    )
    args = parser.parse_args()
    if os.sep in args.aws:
        args.aws = str(Path(args.aws).resolve())
    if args.detect_secrets and os.sep in args.detect_secrets:
        args.detect_secrets = str(Path(args.detect_secrets).resolve())
    chosen = [number.strip() for number in args.only.split(",") if number.strip()]
    unknown = [number for number in chosen if number not in SCENARIOS]
    if unknown:
        parser.error(f"--only: no scenario {', '.join(unknown)} (there are 1 to {len(SCENARIOS)})")
    args.only = [number for number in SCENARIOS if number in chosen]
    return args


def main() -> int:
    args = options()
    runs = max(5, args.runs)
    if not args.no_bytecode:
        run_from_bytecode()
    report = Report()
    for number in args.only:
        SCENARIOS[number](report, args, runs)
    notes = args.notes.read_text() if args.notes.exists() else ""
    partial = args.only if args.only != list(SCENARIOS) else None
    write(report, args.output, notes, partial)
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
