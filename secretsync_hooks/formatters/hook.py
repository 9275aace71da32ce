"""Plain-text output for the git hooks: short, no colour, no box art.

A blocked user sees which environment, which keys drifted and how, and the exact commands that
fix each direction; never a value.
"""

from __future__ import annotations

from collections.abc import Sequence

from secretsync_hooks.differ import Comparison
from secretsync_hooks.formatters.hints import fix_commands
from secretsync_hooks.models import DiffState
from secretsync_hooks.sync import Workspace

MAX_LISTED = 8  # keys listed per environment before "... and N more"
EXPLAINED = {
    DiffState.LOCAL_ONLY: ("local-only", "in your .env, not in AWS"),
    DiffState.REMOTE_ONLY: ("remote-only", "in AWS, not in your .env"),
    DiffState.CHANGED: ("changed", "values differ"),
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
    differing = comparison.differing
    width = max(len(entry.key) for entry in differing)
    for entry in differing[:MAX_LISTED]:
        state, meaning = EXPLAINED[entry.state]
        lines.append(f"  {entry.key:<{width}}  {state:<11}  {meaning}")
    if len(differing) > MAX_LISTED:
        lines.append(f"  ... and {len(differing) - MAX_LISTED} more (`secretsync diff` lists all)")
    lines.extend(
        fix_commands(
            comparison,
            remote_exists=workspace.snapshot.exists,
            remote_name=workspace.remote_name,
            args=args,
        )
    )
    lines.append(f"To go ahead anyway: {skip}")
    return "\n".join(lines)
