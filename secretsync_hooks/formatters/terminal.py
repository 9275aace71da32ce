"""Rendering for people: rich tables on stdout, notes and progress on stderr.

Readable at 80 columns.  Without a TTY (or with ``NO_COLOR`` / ``--color never``) there is no
colour and no box art.  Every user- or AWS-supplied text goes through ``Text``/``escape`` so a
key named ``[red]x`` prints literally.
"""

from __future__ import annotations

import datetime
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from secretsync_hooks.backends.base import Progress
from secretsync_hooks.differ import Comparison, needs_force
from secretsync_hooks.formatters.hints import fix_commands
from secretsync_hooks.masking import ValuePolicy
from secretsync_hooks.models import Action, DiffState, Direction
from secretsync_hooks.sync import SyncOutcome, Workspace

STATE_LABELS = {
    DiffState.LOCAL_ONLY: ("local-only", "green"),
    DiffState.REMOTE_ONLY: ("remote-only", "cyan"),
    DiffState.CHANGED: ("changed", "yellow"),
    DiffState.UNCHANGED: ("unchanged", "dim"),
    DiffState.LOCAL_MODIFIED: ("local-modified", "green"),
    DiffState.LOCAL_ADDED: ("local-added", "green"),
    DiffState.LOCAL_DELETED: ("local-deleted", "green"),
    DiffState.REMOTE_MODIFIED: ("remote-modified", "cyan"),
    DiffState.REMOTE_ADDED: ("remote-added", "cyan"),
    DiffState.REMOTE_DELETED: ("remote-deleted", "cyan"),
    DiffState.CONFLICT: ("conflict", "bold red"),
}
PROGRESS_THRESHOLD = 5  # a bar only for pushes with more writes than this


def make_consoles(
    color: str = "auto", *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> tuple[Console, Console]:
    """One console for results (stdout) and one for diagnostics (stderr)."""
    # soft_wrap: long lines (paths, hints) are not broken at 80 columns in logs and CI.
    options: dict[str, object] = {"highlight": False, "soft_wrap": True}
    if color == "always":
        options["force_terminal"] = True
    elif color == "never":
        options["no_color"] = True
        options["color_system"] = None
    out = Console(file=stdout or sys.stdout, **options)  # type: ignore[arg-type]
    err = Console(file=stderr or sys.stderr, stderr=True, **options)  # type: ignore[arg-type]
    return out, err


def _where(workspace: Workspace) -> Text:
    config = workspace.config
    env = f", environment {config.environment}" if config.environment else ""
    return Text(
        f"{config.env_file.name} vs {workspace.remote_name} ({config.region}{env})",
    )


def comparison_table(
    console: Console, comparison: Comparison, policy: ValuePolicy, *, everything: bool
) -> Table:
    boxed = console.is_terminal and not console.no_color
    table = Table(
        box=box.SIMPLE if boxed else None,
        show_edge=False,
        pad_edge=False,
        header_style="bold" if boxed else "",
    )
    table.add_column("KEY", overflow="fold", ratio=3)
    table.add_column("STATE", no_wrap=True)
    table.add_column("LOCAL", overflow="fold", ratio=2)
    table.add_column("REMOTE", overflow="fold", ratio=2)
    for entry in comparison.entries if everything else comparison.differing:
        label, style = STATE_LABELS[entry.state]
        local = policy.show(entry.key, entry.local)
        remote = policy.show(entry.key, entry.remote)
        table.add_row(
            Text(entry.key),
            Text(label, style=style),
            Text("-" if local is None else local),
            Text("-" if remote is None else remote),
        )
    return table


def summary_line(comparison: Comparison) -> str:
    counts = comparison.summary()
    parts = [
        f"{counts[state.value]} {STATE_LABELS[state][0]}"
        for state in comparison.states
        if state is not DiffState.UNCHANGED and counts[state.value]
    ]
    unchanged = counts[DiffState.UNCHANGED.value]
    what = "key sets" if comparison.keys_only else "keys"
    if not parts:
        return f"In sync: {unchanged} {what} agree."
    return f"Out of sync: {', '.join(parts)}; {unchanged} unchanged."


def fix_hints(comparison: Comparison, workspace: Workspace) -> list[str]:
    return fix_commands(
        comparison,
        remote_exists=workspace.snapshot.exists,
        remote_name=workspace.remote_name,
    )


def render_comparison(
    out: Console,
    err: Console,
    workspace: Workspace,
    comparison: Comparison,
    policy: ValuePolicy,
    *,
    verbose: bool = False,
    quiet: bool = False,
) -> None:
    render_warnings(err, workspace.warnings)
    if quiet:
        return
    out.print(_where(workspace))
    if workspace.base is not None and comparison.three_way:
        out.print(Text(f"Compared with the last sync, {_format_time(workspace.base.recorded_at)}."))
    if comparison.differing or verbose:
        out.print(comparison_table(out, comparison, policy, everything=verbose))
    out.print(Text(summary_line(comparison)))
    for hint in fix_hints(comparison, workspace) if not comparison.in_sync else []:
        err.print(Text(hint))


def render_status(
    out: Console,
    err: Console,
    workspace: Workspace,
    comparison: Comparison,
    ignored: tuple[str, ...],
    *,
    quiet: bool = False,
) -> None:
    render_warnings(err, workspace.warnings)
    if quiet:
        return
    config = workspace.config
    snapshot = workspace.snapshot

    def source(name: str) -> str:
        where = config.source(name)
        return f" (from {where})" if where and where != "default" else ""

    remote = "does not exist yet (`secretsync push` creates it)"
    if snapshot.exists:
        remote = f"exists, version {snapshot.version_label or 'unknown'}"
        if snapshot.last_changed is not None:
            remote += f", last changed {_format_time(snapshot.last_changed)}"
    local = workspace.local
    rows = [
        ("config", str(config.path)),
        ("environment", (config.environment or "(top level)") + source("environment")),
        ("backend", config.backend + source("backend")),
        ("target", config.target),
        ("region", f"{config.region or '(none)'}{source('region')}"),
        ("profile", (config.profile or "(default credential chain)") + source("profile")),
        (
            "env file",
            f"{config.env_file} ({len(local.keys())} keys)"
            if local.existed
            else f"{config.env_file} (does not exist)",
        ),
        ("remote", remote),
    ]
    if ignored:
        shown = ", ".join(ignored[:5]) + (
            f", ... ({len(ignored)} in all)" if len(ignored) > 5 else ""
        )
        rows.append(("ignored", f"deeper parameters, not managed: {shown}"))
    base = workspace.base
    last = "none recorded yet (comparing two-way)"
    if base is not None:
        last = f"{_format_time(base.recorded_at)}, remote version {base.remote_version or '?'}"
    rows.append(("last sync", last))
    counts = comparison.summary()
    rows.append(
        ("keys", ", ".join(f"{counts[s.value]} {STATE_LABELS[s][0]}" for s in comparison.states))
    )
    rows.append(("state", "in sync" if comparison.in_sync else "OUT OF SYNC"))
    table = Table(box=None, show_header=False, show_edge=False, pad_edge=False)
    table.add_column(style="bold" if out.is_terminal else "", no_wrap=True)
    table.add_column(overflow="fold")
    for name, value in rows:
        table.add_row(Text(name), Text(value))
    out.print(table)
    for hint in fix_hints(comparison, workspace) if not comparison.in_sync else []:
        err.print(Text(hint))


def render_outcome(
    out: Console,
    err: Console,
    workspace: Workspace,
    outcome: SyncOutcome,
    policy: ValuePolicy,
    *,
    verbose: bool = False,
    quiet: bool = False,
) -> None:
    render_warnings(err, workspace.warnings)
    if quiet:
        return
    plan = outcome.plan
    pushing = outcome.direction is Direction.PUSH
    where = workspace.remote_name if pushing else str(workspace.config.env_file)
    if plan.is_empty:
        out.print(Text(f"Nothing to {outcome.direction.value}: {summary_line(outcome.comparison)}"))
        return
    if outcome.dry_run or verbose:
        out.print(_where(workspace))
        out.print(comparison_table(out, outcome.comparison, policy, everything=verbose))
    parts = []
    verbs = {Action.ADD: "add", Action.UPDATE: "update", Action.DELETE: "delete"}
    source = outcome.result.applied if outcome.result is not None else plan.ops
    for action, verb in verbs.items():
        keys = [op.key for op in source if op.action is action]
        if keys:
            parts.append(f"{verb} {len(keys)} ({', '.join(keys)})")
    if outcome.dry_run:
        needs = [op.key for op in needs_force(outcome.comparison, plan)]
        line = f"Dry run: {outcome.direction.value} would {'; '.join(parts)} in {where}."
        out.print(Text(line))
        if needs:
            out.print(Text(f"Needs --force: {', '.join(needs)}."))
        out.print(Text("Nothing was changed."))
        return
    done = "Pushed to" if pushing else "Pulled into"
    past = "; ".join(
        p.replace("add", "added", 1).replace("update", "updated", 1).replace("delete", "deleted", 1)
        for p in parts
    )
    out.print(Text(f"{done} {where}: {past or 'nothing'}."))
    version = outcome.version
    if pushing and version:
        out.print(Text(f"Remote version now {version}."))


def render_warnings(err: Console, warnings: list[str]) -> None:
    for warning in warnings:
        err.print(Text(f"warning: {warning}", style="yellow"))


def _format_time(value: datetime.datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc)
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    return value.strftime("%Y-%m-%d %H:%M:%S")


@contextmanager
def progress_bar(err: Console, total: int, description: str) -> Iterator[Progress | None]:
    """A progress callback drawing a bar on stderr, or None where a bar makes no sense."""
    if total <= PROGRESS_THRESHOLD or not err.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    with Bar(
        TextColumn(escape(description)),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=total)

        def advance(done: int, total: int, key: str) -> None:
            bar.update(task, completed=done)

        yield advance
