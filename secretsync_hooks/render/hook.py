"""Plain-text output for the git hooks: short, no colour, no box art.

A blocked user sees which environment, which keys drifted and how, and the exact commands that
fix each direction; never a value.
"""

from __future__ import annotations

from collections.abc import Sequence

from secretsync_hooks import text
from secretsync_hooks.config.contract import Violation
from secretsync_hooks.config.settings import Config
from secretsync_hooks.render.hints import fix_commands
from secretsync_hooks.render.states import STATES
from secretsync_hooks.sync.differ import Comparison
from secretsync_hooks.sync.workspace import Workspace

MAX_LISTED = 8  # keys listed per environment before "... and N more"


def render_broken(
    config: Config, broken: Sequence[Violation], label: str, args: Sequence[str], *, skip: str
) -> str:
    """The .env's values that break the key contract: each key and its rule, never a value."""
    from secretsync_hooks.render.phrases import with_args

    lines = [
        f"secretsync: {label}{config.env_file.name} breaks the key contract of {config.path.name}:"
    ]
    width = max(len(text.shown(v.key)) for v in broken)
    for violation in broken[:MAX_LISTED]:
        lines.append(f"  {text.shown(violation.key):<{width}}  {violation.rule}")
    if len(broken) > MAX_LISTED:
        lines.append(f"  ... and {len(broken) - MAX_LISTED} more")
    lines.append(
        with_args(
            f"Fix the values in {config.env_file.name}, or the rules ([keys.NAME]); "
            "`secretsync check` lists every rule.",
            args,
        )
    )
    lines.append(f"To go ahead anyway: {skip}")
    return "\n".join(lines)


def render_in_sync(workspace: Workspace, comparison: Comparison, label: str) -> str:
    what = "key name" if comparison.keys_only else "key"
    return (
        f"secretsync: {label}{workspace.config.env_file.name} matches {workspace.remote_name} "
        f"({text.count(len(comparison.entries), what)})"
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
    state_width = max(len(STATES[e.state].label) for e in differing)
    for entry in differing[:MAX_LISTED]:
        state = STATES[entry.state]
        lines.append(
            f"  {text.shown(entry.key):<{width}}  {state.label:<{state_width}}  {state.meaning}"
        )
    if len(differing) > MAX_LISTED:
        lines.append(f"  ... and {len(differing) - MAX_LISTED} more (`secretsync diff` lists all)")
    lines.extend(fix_commands(workspace, comparison, args))
    lines.append(f"To go ahead anyway: {skip}")
    return "\n".join(lines)
