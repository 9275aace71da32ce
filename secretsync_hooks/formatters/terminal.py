"""Rendering for people: rich tables on stdout, notes and progress on stderr.

Readable at 80 columns.  Without a TTY (or with ``NO_COLOR`` / ``--color never``) there is no
colour and no box art.  Every user- or AWS-supplied text goes through ``Text`` so a key named
``[red]x`` prints literally.  rich is imported only when something needs it (a table, colour,
a progress bar): a plain in-sync answer in a pipe or a hook does not pay for it.
"""

from __future__ import annotations

import datetime
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

from secretsync_hooks import text
from secretsync_hooks.backends.base import Progress
from secretsync_hooks.differ import Comparison, looks_replaced
from secretsync_hooks.formatters.hints import fix_commands
from secretsync_hooks.masking import MASK, ValuePolicy
from secretsync_hooks.models import Action, DiffState, Direction
from secretsync_hooks.sync import SyncOutcome, Workspace

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

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


class Output:
    """stdout for results, stderr for diagnostics; rich consoles made only when needed."""

    def __init__(
        self,
        color: str = "auto",
        *,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
        width: int | None = None,
    ) -> None:
        self.color = color
        self._streams = (stdout, stderr)
        self._consoles: dict[bool, Console] = {}
        self.width = width

    def stream(self, err: bool = False) -> TextIO:
        given = self._streams[1 if err else 0]
        return given or (sys.stderr if err else sys.stdout)

    def styled(self, err: bool = False) -> bool:
        """Whether colour and box art are on for that stream."""
        if self.color == "never" or os.environ.get("NO_COLOR"):
            return False
        if self.color == "always":
            return True
        stream = self.stream(err)
        return bool(getattr(stream, "isatty", lambda: False)())

    def console(self, err: bool = False) -> Console:
        if err not in self._consoles:
            from rich.console import Console

            styled = self.styled(err)
            options: dict[str, Any] = {"highlight": False, "soft_wrap": True, "stderr": err}
            if styled:
                options["force_terminal"] = True
            else:
                options.update(no_color=True, color_system=None, force_terminal=False)
            if self.width is not None:
                options["width"] = self.width
            self._consoles[err] = Console(file=self.stream(err), **options)
        return self._consoles[err]

    def line(self, message: str, *, style: str = "", err: bool = False) -> None:
        """One line of plain text: through rich only when it is styled; control characters
        (from a key name, a file name) escaped either way."""
        message = text.clean(message)
        if self.styled(err):
            from rich.text import Text

            self.console(err).print(Text(message, style=style))
        else:
            stream = self.stream(err)
            stream.write(message + "\n")
            stream.flush()

    def table(self, table: Table) -> None:
        self.console().print(table)


def _where(workspace: Workspace) -> str:
    config = workspace.config
    env = f", environment {config.environment}" if config.environment else ""
    return f"{config.env_file.name} vs {workspace.remote_name} ({config.region}{env})"


def comparison_table(
    output: Output, comparison: Comparison, policy: ValuePolicy, *, everything: bool
) -> Table:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    boxed = output.styled()
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
        shown = policy.visible(entry.key, entry.local, entry.remote)
        local = entry.local if shown or entry.local is None else MASK
        remote = entry.remote if shown or entry.remote is None else MASK
        table.add_row(
            Text(text.shown(entry.key)),
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
        env_name=workspace.config.env_file.name,
    )


def render_notes(output: Output, workspace: Workspace, comparison: Comparison) -> None:
    """Why a comparison is two-way although an earlier sync was recorded: one line."""
    if workspace.two_way_reason and not comparison.three_way and not comparison.keys_only:
        output.line(f"note: comparing two-way: {workspace.two_way_reason}", err=True)


def render_comparison(
    output: Output,
    workspace: Workspace,
    comparison: Comparison,
    policy: ValuePolicy,
    *,
    verbose: bool = False,
    quiet: bool = False,
) -> None:
    render_warnings(output, workspace.warnings)
    if quiet:
        return
    render_notes(output, workspace, comparison)
    output.line(_where(workspace))
    if workspace.base is not None and comparison.three_way:
        output.line(f"Compared with the last sync, {_format_time(workspace.base.recorded_at)}.")
    if comparison.differing or verbose:
        output.table(comparison_table(output, comparison, policy, everything=verbose))
    output.line(summary_line(comparison))
    for hint in fix_hints(comparison, workspace) if not comparison.in_sync else []:
        output.line(hint, err=True)


def render_status(
    output: Output,
    workspace: Workspace,
    comparison: Comparison,
    ignored: tuple[str, ...],
    *,
    quiet: bool = False,
) -> None:
    render_warnings(output, workspace.warnings)
    if quiet:
        return
    render_notes(output, workspace, comparison)
    config = workspace.config
    snapshot = workspace.snapshot

    def source(name: str) -> str:
        where = config.source(name)
        return f" (from {where})" if where and where != "default" else ""

    remote = "does not exist yet (`secretsync push` creates it)"
    if snapshot.no_value:
        remote = "exists, no value yet (`secretsync push` fills it)"
    elif snapshot.exists:
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
        ("profile", config.profile_label + source("profile")),
        (
            "env file",
            f"{config.env_file} ({len(local.keys())} keys)"
            if local.existed
            else f"{config.env_file} (does not exist)",
        ),
        ("remote", remote),
    ]
    if ignored:
        shown = text.keys(ignored[:5]) + (
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
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        output.line(f"{name:<{width}}  {value}")
    for hint in fix_hints(comparison, workspace) if not comparison.in_sync else []:
        output.line(hint, err=True)


def render_outcome(
    output: Output,
    workspace: Workspace,
    outcome: SyncOutcome,
    policy: ValuePolicy,
    *,
    verbose: bool = False,
    quiet: bool = False,
) -> None:
    render_warnings(output, workspace.warnings)
    if quiet:
        return
    plan = outcome.plan
    pushing = outcome.direction is Direction.PUSH
    where = workspace.remote_name if pushing else str(workspace.config.env_file)
    if plan.is_empty:
        output.line(f"Nothing to {outcome.direction.value}: {summary_line(outcome.comparison)}")
        if outcome.held_back:
            output.line(_held_back_hint(workspace, outcome), err=True)
        return
    if outcome.dry_run or verbose:
        output.line(_where(workspace))
        output.table(comparison_table(output, outcome.comparison, policy, everything=verbose))
    parts = []
    verbs = {Action.ADD: "add", Action.UPDATE: "update", Action.DELETE: "delete"}
    source = outcome.result.applied if outcome.result is not None else plan.ops
    for action, verb in verbs.items():
        keys = [op.key for op in source if op.action is action]
        if keys:
            parts.append(f"{verb} {len(keys)} ({text.keys(keys)})")
    if outcome.dry_run:
        line = f"Dry run: {outcome.direction.value} would {'; '.join(parts)} in {where}."
        output.line(line)
        if outcome.refusal:
            output.line(f"Needs --force: {outcome.refusal}.")
        output.line("Nothing was changed.")
        return
    done = "Pushed to" if pushing else "Pulled into"
    past = "; ".join(
        p.replace("add", "added", 1).replace("update", "updated", 1).replace("delete", "deleted", 1)
        for p in parts
    )
    output.line(f"{done} {where}: {past or 'nothing'}.")
    version = outcome.version
    if pushing and version:
        output.line(f"Remote version now {version}.")


def _held_back_hint(workspace: Workspace, outcome: SyncOutcome) -> str:
    keys = text.keys(outcome.held_back)
    pushing = outcome.direction is Direction.PUSH
    if pushing:
        where = f"not in {workspace.config.env_file.name}"
        if looks_replaced(outcome.comparison) is not None:
            return (
                f"{len(outcome.held_back)} keys of {workspace.remote_name} are {where}: if "
                f"{workspace.config.env_file.name} was lost or replaced, do not prune; "
                "`secretsync diff --verbose` shows every key."
            )
        return f"{keys}: {where}; `secretsync push --prune` would delete them in AWS."
    return f"{keys}: not in AWS; `secretsync pull --prune` would drop them from your file."


def render_warnings(output: Output, warnings: list[str]) -> None:
    for warning in warnings:
        output.line(f"warning: {warning}", style="yellow", err=True)


def _format_time(value: datetime.datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc)
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    return value.strftime("%Y-%m-%d %H:%M:%S")


@contextmanager
def progress_bar(output: Output, total: int, description: str) -> Iterator[Progress | None]:
    """A progress callback drawing a bar on stderr, or None where a bar makes no sense."""
    if total <= PROGRESS_THRESHOLD or not output.styled(err=True):
        yield None
        return
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    with Bar(
        TextColumn(escape(description)),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=output.console(err=True),
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=total)

        def advance(done: int, total: int, key: str) -> None:
            bar.update(task, completed=done)

        yield advance
