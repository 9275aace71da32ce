"""The exact commands that fix a drift, shared by the table output and the hook output.

Two rules keep a hint from doing harm:
- when more than half of the keys differ (a lost, emptied or replaced .env looks exactly like
  that), no hint proposes a command that overwrites or deletes values: the user looks first;
- with ``--keys-only`` the file compared is usually a committed example, so no hint proposes
  pushing it (placeholders into AWS) or pulling into it (secrets into git).
"""

from __future__ import annotations

from collections.abc import Sequence

from secretsync_hooks import text
from secretsync_hooks.differ import Comparison, looks_replaced
from secretsync_hooks.models import DiffState


def fix_commands(
    comparison: Comparison,
    *,
    remote_exists: bool,
    remote_name: str,
    env_name: str = ".env",
    args: Sequence[str] = (),
) -> list[str]:
    """One line per direction that needs fixing, each naming the command to run."""
    suffix = "".join(f" {arg}" for arg in args)
    if comparison.keys_only:
        return _keys_only(comparison, env_name, remote_name, remote_exists)
    if not remote_exists:
        return [f"{remote_name} does not exist yet: `secretsync push{suffix}` creates it."]
    replaced = looks_replaced(comparison)
    if replaced is not None:
        differing, total = replaced
        return [
            f"{differing} of {total} keys differ between {env_name} and {remote_name}: check "
            f"that {env_name} is the file you meant (`secretsync diff --verbose{suffix}` "
            "lists every key). So many changes at once need --force in either direction."
        ]
    if comparison.three_way:
        return _three_way(comparison, suffix, env_name)
    hints = []
    states = {entry.state for entry in comparison.differing}
    if DiffState.LOCAL_ONLY in states:
        hints.append(f"`secretsync push{suffix}` uploads the local-only keys.")
    if DiffState.REMOTE_ONLY in states:
        hints.append(f"`secretsync pull{suffix}` writes the remote-only keys into {env_name}.")
    if DiffState.CHANGED in states:
        hints.append(
            f"For changed keys: `secretsync push --force{suffix}` keeps your local values, "
            f"`secretsync pull --force{suffix}` takes the remote ones."
        )
    return hints


def _keys_only(
    comparison: Comparison, env_name: str, remote_name: str, remote_exists: bool
) -> list[str]:
    def keys(state: DiffState) -> str:
        return text.keys(e.key for e in comparison.entries if e.state is state)

    hints = []
    if not remote_exists:
        hints.append(f"{remote_name} does not exist yet.")
    if missing := keys(DiffState.REMOTE_ONLY):
        hints.append(f"In AWS, not in {env_name}: {missing}. Add the names to {env_name}.")
    if extra := keys(DiffState.LOCAL_ONLY):
        hints.append(
            f"In {env_name}, not in AWS: {extra}. Add them in AWS, or remove the names from "
            f"{env_name}."
        )
    return hints


_PUSHED = (DiffState.LOCAL_MODIFIED, DiffState.LOCAL_ADDED)
_PULLED = (DiffState.REMOTE_MODIFIED, DiffState.REMOTE_ADDED, DiffState.REMOTE_DELETED)


def _three_way(comparison: Comparison, suffix: str, env_name: str) -> list[str]:
    def keys(*states: DiffState) -> str:
        return text.keys(e.key for e in comparison.entries if e.state in states)

    hints = []
    if pushed := keys(*_PUSHED):
        hints.append(
            f"{pushed} changed in {env_name} since the last sync: run `secretsync push{suffix}`."
        )
    if deleted := keys(DiffState.LOCAL_DELETED):
        hints.append(
            f"{deleted} deleted from {env_name} since the last sync: "
            f"`secretsync push --prune{suffix}` deletes them in AWS too."
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
