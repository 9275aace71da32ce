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
    if comparison.three_way:
        return _three_way(comparison, suffix)
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


_PUSHED = (DiffState.LOCAL_MODIFIED, DiffState.LOCAL_ADDED)
_PULLED = (DiffState.REMOTE_MODIFIED, DiffState.REMOTE_ADDED, DiffState.REMOTE_DELETED)


def _three_way(comparison: Comparison, suffix: str) -> list[str]:
    def keys(*states: DiffState) -> str:
        return ", ".join(e.key for e in comparison.entries if e.state in states)

    hints = []
    if pushed := keys(*_PUSHED):
        hints.append(
            f"{pushed} changed in your .env since the last sync: run `secretsync push{suffix}`."
        )
    if deleted := keys(DiffState.LOCAL_DELETED):
        hints.append(
            f"{deleted} deleted from your .env since the last sync: run "
            f"`secretsync push --prune{suffix}` to delete in AWS too."
        )
    if pulled := keys(*_PULLED):
        hints.append(
            f"{pulled} changed in AWS since your last sync: run `secretsync pull{suffix}`."
        )
    if conflicts := keys(DiffState.CONFLICT):
        hints.append(
            f"{conflicts} changed on both sides: `secretsync push --force{suffix}` keeps "
            f"yours, `secretsync pull --force{suffix}` takes the ones in AWS."
        )
    return hints
