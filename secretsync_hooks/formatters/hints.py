"""The exact commands that fix a drift, shared by the table output and the hook output."""

from __future__ import annotations

from collections.abc import Sequence

from secretsync_hooks.differ import Comparison
from secretsync_hooks.models import DiffState


def fix_commands(
    comparison: Comparison, *, remote_exists: bool, remote_name: str, args: Sequence[str] = ()
) -> list[str]:
    """One line per direction that needs fixing, each naming the command to run."""
    suffix = "".join(f" {arg}" for arg in args)
    if not remote_exists:
        return [f"{remote_name} does not exist yet: `secretsync push{suffix}` creates it."]
    hints = []
    states = {entry.state for entry in comparison.differing}
    if DiffState.LOCAL_ONLY in states:
        hints.append(f"`secretsync push{suffix}` uploads the local-only keys.")
    if DiffState.REMOTE_ONLY in states:
        hints.append(f"`secretsync pull{suffix}` writes the remote-only keys into your .env.")
    if DiffState.CHANGED in states:
        hints.append(
            f"For changed keys: `secretsync push --force{suffix}` keeps your local values, "
            f"`secretsync pull --force{suffix}` takes the remote ones."
        )
    return hints
