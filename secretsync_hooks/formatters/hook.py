"""Plain-text output for the git hooks: short, no colour, no box art.

A blocked user sees which environment, which keys drifted and how, and the exact commands that
fix each direction; never a value.
"""

from __future__ import annotations

from collections.abc import Sequence

from secretsync_hooks import text
from secretsync_hooks.differ import Comparison
from secretsync_hooks.formatters.hints import fix_commands
from secretsync_hooks.models import DiffState
from secretsync_hooks.sync import Workspace

STATE_WIDTH = 11  # "remote-only"
MAX_LISTED = 8  # keys listed per environment before "... and N more"
EXPLAINED = {
    DiffState.LOCAL_ONLY: ("local-only", "in your .env, not in AWS"),
    DiffState.REMOTE_ONLY: ("remote-only", "in AWS, not in your .env"),
    DiffState.CHANGED: ("changed", "values differ"),
    DiffState.LOCAL_MODIFIED: ("local-modified", "changed in your .env since the last sync"),
    DiffState.LOCAL_ADDED: ("local-added", "added to your .env since the last sync"),
    DiffState.LOCAL_DELETED: ("local-deleted", "deleted from your .env since the last sync"),
    DiffState.REMOTE_MODIFIED: ("remote-modified", "changed in AWS since your last sync"),
    DiffState.REMOTE_ADDED: ("remote-added", "added in AWS since your last sync"),
    DiffState.REMOTE_DELETED: ("remote-deleted", "deleted in AWS since your last sync"),
    DiffState.CONFLICT: ("conflict", "changed on both sides since the last sync"),
}


def render_in_sync(workspace: Workspace, comparison: Comparison, label: str) -> str:
    what = "key names" if comparison.keys_only else "keys"
    return (
        f"secretsync: {label}{workspace.config.env_file.name} matches {workspace.remote_name} "
        f"({len(comparison.entries)} {what})"
    )


def render_drift(
    workspace: Workspace,
    comparison: Comparison,
    label: str,
    args: Sequence[str],
    *,
    skip: str,
) -> str:
    lines = [
        f"secretsync: {label}{workspace.config.env_file.name} has drifted from "
        f"{workspace.remote_name} ({workspace.config.region}):"
    ]
    if workspace.two_way_reason and not comparison.three_way and not comparison.keys_only:
        lines.append(f"  (comparing two-way: {workspace.two_way_reason})")
    differing = comparison.differing
    width = max(len(text.shown(entry.key)) for entry in differing)
    state_width = max(STATE_WIDTH, *(len(EXPLAINED[e.state][0]) for e in differing))
    for entry in differing[:MAX_LISTED]:
        state, meaning = EXPLAINED[entry.state]
        lines.append(f"  {text.shown(entry.key):<{width}}  {state:<{state_width}}  {meaning}")
    if len(differing) > MAX_LISTED:
        lines.append(f"  ... and {len(differing) - MAX_LISTED} more (`secretsync diff` lists all)")
    lines.extend(
        fix_commands(
            comparison,
            remote_exists=workspace.snapshot.exists,
            remote_name=workspace.remote_name,
            env_name=workspace.config.env_file.name,
            args=args,
        )
    )
    lines.append(f"To go ahead anyway: {skip}")
    return "\n".join(lines)
