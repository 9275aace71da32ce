"""Rendering for people: tables and lines on stdout, notes, warnings and hints on stderr.

Readable at 80 columns.  Every key is printed with control characters escaped, through rich's
``Text`` so that a key named ``[red]x`` prints literally.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING

from secretsync_hooks import text
from secretsync_hooks.config.settings import Config
from secretsync_hooks.masking import MASK, ValuePolicy
from secretsync_hooks.models import Action, DiffState, Direction
from secretsync_hooks.render.hints import fix_commands
from secretsync_hooks.render.output import Output
from secretsync_hooks.render.phrases import command
from secretsync_hooks.render.rows import aligned, settings_rows
from secretsync_hooks.render.states import STATES
from secretsync_hooks.sync.differ import Comparison, looks_replaced
from secretsync_hooks.sync.engine import SyncOutcome
from secretsync_hooks.sync.workspace import Workspace

if TYPE_CHECKING:
    from rich.table import Table

_VERBS = {
    Action.ADD: ("add", "added"),
    Action.UPDATE: ("update", "updated"),
    Action.DELETE: ("delete", "deleted"),
}


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
        state = STATES[entry.state]
        shown = policy.visible(entry.key, entry.local, entry.remote)
        local = entry.local if shown or entry.local is None else MASK
        remote = entry.remote if shown or entry.remote is None else MASK
        table.add_row(
            Text(text.shown(entry.key)),
            Text(state.label, style=state.style),
            # A value is text from someone else too: escapes and line breaks are shown as
            # such, never sent to the terminal.
            Text("-" if local is None else text.shown(local)),
            Text("-" if remote is None else text.shown(remote)),
        )
    return table


def counts(comparison: Comparison) -> str:
    """The states that occur, with their counts (``1 local-only, 2 changed``)."""
    summary = comparison.summary()
    return ", ".join(
        f"{summary[state.value]} {STATES[state].label}"
        for state in comparison.states
        if state is not DiffState.UNCHANGED and summary[state.value]
    )


def summary_line(comparison: Comparison) -> str:
    unchanged = comparison.summary()[DiffState.UNCHANGED.value]
    what = "key name" if comparison.keys_only else "key"
    if comparison.in_sync:
        verb = "agrees" if unchanged == 1 else "agree"
        return f"In sync: {text.count(unchanged, what)} {verb}."
    return f"Out of sync: {counts(comparison)}; {unchanged} unchanged."


def _hints(
    output: Output, workspace: Workspace, comparison: Comparison, args: Sequence[str]
) -> None:
    if comparison.in_sync:
        return
    for hint in fix_commands(workspace, comparison, args):
        output.line(hint, err=True)


def render_notes(output: Output, workspace: Workspace, comparison: Comparison) -> None:
    """Warnings, and why a comparison is two-way although an earlier sync was recorded."""
    render_warnings(output, workspace.warnings)
    if workspace.two_way_reason and not comparison.three_way and not comparison.keys_only:
        output.line(f"note: comparing two-way: {workspace.two_way_reason}", err=True)


def _opening(output: Output, workspace: Workspace, comparison: Comparison, quiet: bool) -> bool:
    """What every renderer prints first (warnings, the note); whether to go on (not quiet)."""
    if quiet:
        render_warnings(output, workspace.warnings)
        return False
    render_notes(output, workspace, comparison)
    return True


def render_comparison(
    output: Output,
    workspace: Workspace,
    comparison: Comparison,
    policy: ValuePolicy,
    *,
    verbose: bool = False,
    quiet: bool = False,
    args: Sequence[str] = (),
) -> None:
    if not _opening(output, workspace, comparison, quiet):
        return
    output.line(_where(workspace))
    last = workspace.last_sync
    if last is not None and comparison.three_way:
        output.line(f"Compared with the last sync, {_format_time(last.recorded_at)}.")
    if comparison.differing or verbose:
        output.table(comparison_table(output, comparison, policy, everything=verbose))
    output.line(summary_line(comparison))
    if left_out := workspace.left_out():
        output.line(_left_out(left_out))
    _hints(output, workspace, comparison, args)


def render_status(
    output: Output,
    workspace: Workspace,
    comparison: Comparison,
    ignored: tuple[str, ...],
    *,
    quiet: bool = False,
    args: Sequence[str] = (),
) -> None:
    if not _opening(output, workspace, comparison, quiet):
        return
    rows = settings_rows(workspace.config)
    rows.append(("env keys", _env_keys(workspace)))
    if left_out := workspace.left_out():
        rows.append(("local keys", _left_out(left_out)))
    rows.append(("remote", _remote(workspace)))
    if ignored:
        more = f", ... ({len(ignored)} in all)" if len(ignored) > 5 else ""
        rows.append(("ignored", f"deeper parameters, not managed: {text.keys(ignored[:5])}{more}"))
    last = workspace.last_sync
    rows.append(
        (
            "last sync",
            f"{_format_time(last.recorded_at)}, remote version {last.remote_version or '?'}"
            if last is not None
            else "none recorded yet (comparing two-way)",
        )
    )
    rows.append(("keys", counts(comparison) or f"{len(comparison.entries)} agree"))
    rows.append(("state", "in sync" if comparison.in_sync else "OUT OF SYNC"))
    for line in aligned(rows):
        output.line(line)
    _hints(output, workspace, comparison, args)


def _env_keys(workspace: Workspace) -> str:
    if not workspace.local.existed:
        return "(the file does not exist)"
    return text.count(len(workspace.local.keys()), "key")


def _remote(workspace: Workspace) -> str:
    snapshot = workspace.snapshot
    if snapshot.no_value:
        return "exists, no value yet (`secretsync push` fills it)"
    if not snapshot.exists:
        return "does not exist yet (`secretsync push` creates it)"
    if snapshot.version is None and snapshot.versions:
        # Parameter Store: each parameter has its own version; none stands for the path.
        many = text.count(len(snapshot.versions), "parameter")
        highest = max(snapshot.versions.values())
        how = (
            "none changed since it was created"
            if highest == 1
            else f"the most changed at its version {highest}"
        )
        remote = f"exists, {many} ({how})"
    else:
        remote = f"exists, version {snapshot.version_label or 'unknown'}"
    if snapshot.last_changed is not None:
        remote += f", last changed {_format_time(snapshot.last_changed)}"
    return remote


def render_config(output: Output, config: Config, keys: list[str] | None) -> None:
    """The resolved settings and where each came from, and the .env's key names."""
    rows = settings_rows(config)
    listed = "(the file does not exist)" if keys is None else text.count(len(keys), "key")
    if keys:
        listed += f": {text.keys(keys)}"
    rows.append(("env keys", listed))
    for line in aligned(rows):
        output.line(line)


def render_outcome(
    output: Output,
    workspace: Workspace,
    outcome: SyncOutcome,
    policy: ValuePolicy,
    *,
    verbose: bool = False,
    quiet: bool = False,
    args: Sequence[str] = (),
) -> None:
    if not _opening(output, workspace, outcome.comparison, quiet):
        return
    plan = outcome.plan
    if plan.is_empty:
        state = summary_line(outcome.comparison)
        output.line(f"Nothing to {outcome.direction.value} ({state[0].lower()}{state[1:-1]}).")
        _tagged(output, outcome)
        if outcome.held_back:
            output.line(_held_back_hint(workspace, outcome, args), err=True)
        else:  # what is out of sync is the other direction's: say how
            _hints(output, workspace, outcome.comparison, args)
        return
    if outcome.dry_run or verbose:
        output.line(_where(workspace))
        output.table(comparison_table(output, outcome.comparison, policy, everything=verbose))
    ops = outcome.result.applied if outcome.result is not None else plan.ops
    tense = 0 if outcome.dry_run else 1
    parts = []
    for action, verbs in _VERBS.items():
        keys = [op.key for op in ops if op.action is action]
        if keys:
            parts.append(f"{verbs[tense]} {len(keys)} ({text.keys(keys)})")
    if outcome.dry_run:
        verb = outcome.direction.value
        output.line(f"Dry run: {verb} would {'; '.join(parts)} in {outcome.destination}.")
        if outcome.refusal:
            output.line(f"Would ask first: {outcome.refusal}.")
        output.line("Nothing was changed.")
        return
    done = "Pushed to" if outcome.direction is Direction.PUSH else "Pulled into"
    output.line(f"{done} {outcome.destination}: {'; '.join(parts) or 'nothing'}.")
    if outcome.direction is Direction.PUSH and outcome.version:
        output.line(f"Remote version now {outcome.version}.")
    _tagged(output, outcome)


def _tagged(output: Output, outcome: SyncOutcome) -> None:
    if outcome.tagged:
        output.line(
            f"Added the tags of [parameter_store] tags to {text.keys(outcome.tagged)} (an "
            "earlier push wrote their values but could not tag them)."
        )


def _held_back_hint(workspace: Workspace, outcome: SyncOutcome, args: Sequence[str]) -> str:
    keys = text.keys(outcome.held_back)
    name = workspace.config.env_file.name
    if outcome.direction is Direction.PULL:
        them = text.agree(len(outcome.held_back), "it", "them")
        return f"{keys}: not in AWS; {command('pull --prune', args)} would drop {them} from {name}."
    if looks_replaced(outcome.comparison) is not None:
        return (
            f"{len(outcome.held_back)} keys of {workspace.remote_name} are not in {name}: if "
            f"{name} was lost or replaced, do not prune; {command('diff --verbose', args)} "
            "shows every key."
        )
    them = text.agree(len(outcome.held_back), "it", "them")
    return f"{keys}: not in {name}; {command('push --prune', args)} would delete {them} in AWS."


def _left_out(keys: list[str]) -> str:
    shown = text.keys(keys[:5]) + (f", ... ({len(keys)} in all)" if len(keys) > 5 else "")
    return f"{text.count(len(keys), 'local key')} left out (local = true): {shown}."


def render_warnings(output: Output, warnings: list[str]) -> None:
    for warning in warnings:
        output.line(f"warning: {warning}", style="yellow", err=True)


def _format_time(value: datetime.datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc)
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    return value.strftime("%Y-%m-%d %H:%M:%S")
