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
from secretsync_hooks.models import DiffState
from secretsync_hooks.render.phrases import command
from secretsync_hooks.sync.differ import Comparison, looks_replaced


def fix_commands(
    comparison: Comparison,
    *,
    remote_exists: bool,
    remote_name: str,
    env_name: str = ".env",
    args: Sequence[str] = (),
) -> list[str]:
    """One line per direction that needs fixing, each naming the command to run, with the
    options (``args``) that chose the target, so it can be pasted as it is."""
    if comparison.keys_only:
        return _keys_only(comparison, env_name, remote_name, remote_exists)
    if not remote_exists:
        return [f"{remote_name} does not exist yet: {command('push', args)} creates it."]
    replaced = looks_replaced(comparison)
    if replaced is not None:
        differing, total = replaced
        return [
            f"{differing} of {total} keys differ between {env_name} and {remote_name}: check "
            f"that {env_name} is the file you meant ({command('diff --verbose', args)} lists "
            "every key). So many changes at once need --force in either direction."
        ]
    if comparison.three_way:
        return _three_way(comparison, args, env_name)
    hints = []
    states = {entry.state for entry in comparison.differing}
    if DiffState.LOCAL_ONLY in states:
        hints.append(f"{command('push', args)} uploads the local-only keys.")
    if DiffState.REMOTE_ONLY in states:
        hints.append(f"{command('pull', args)} writes the remote-only keys into {env_name}.")
    if DiffState.CHANGED in states:
        hints.append(
            f"For changed keys: {command('push --force', args)} keeps your local values, "
            f"{command('pull --force', args)} takes the remote ones."
        )
    return hints


def _keys_only(
    comparison: Comparison, env_name: str, remote_name: str, remote_exists: bool
) -> list[str]:
    def keys(state: DiffState) -> str:
        return text.keys(e.key for e in comparison.entries if e.state is state)

    def them(state: DiffState) -> str:
        many = sum(1 for e in comparison.entries if e.state is state)
        return text.agree(many, "it", "them")

    hints = []
    if not remote_exists:
        hints.append(f"{remote_name} does not exist yet.")
    if missing := keys(DiffState.REMOTE_ONLY):
        hints.append(f"In AWS, not in {env_name}: {missing}. Add the names to {env_name}.")
    if extra := keys(DiffState.LOCAL_ONLY):
        hints.append(
            f"In {env_name}, not in AWS: {extra}. Add {them(DiffState.LOCAL_ONLY)} in AWS, or "
            "remove the names from "
            f"{env_name}."
        )
    return hints


_PUSHED = (DiffState.LOCAL_MODIFIED, DiffState.LOCAL_ADDED)
_PULLED = (DiffState.REMOTE_MODIFIED, DiffState.REMOTE_ADDED)


def _three_way(comparison: Comparison, args: Sequence[str], env_name: str) -> list[str]:
    def keys(*states: DiffState) -> str:
        return text.keys(e.key for e in comparison.entries if e.state in states)

    def them(*states: DiffState) -> str:
        many = sum(1 for e in comparison.entries if e.state in states)
        return text.agree(many, "it", "them")

    hints = []
    if pushed := keys(*_PUSHED):
        hints.append(
            f"{pushed} changed in {env_name} since the last sync: run {command('push', args)}."
        )
    if deleted := keys(DiffState.LOCAL_DELETED):
        hints.append(
            f"{deleted} deleted from {env_name} since the last sync: "
            f"{command('push --prune', args)} deletes {them(DiffState.LOCAL_DELETED)} in AWS too."
        )
    if pulled := keys(*_PULLED):
        hints.append(f"{pulled} changed in AWS since your last sync: run {command('pull', args)}.")
    if gone := keys(DiffState.REMOTE_DELETED):
        hints.append(
            f"{gone} deleted in AWS since your last sync: {command('pull', args)} drops "
            f"{them(DiffState.REMOTE_DELETED)} from {env_name}; "
            f"{command('push --force', args)} puts {them(DiffState.REMOTE_DELETED)} back in AWS."
        )
    if conflicts := keys(DiffState.CONFLICT):
        also = ""
        if others := keys(DiffState.REMOTE_MODIFIED, DiffState.REMOTE_DELETED):
            also = f" and also puts back your values of {others} (changed in AWS since)"
        hints.append(
            f"{conflicts} changed on both sides: {command('push --force', args)} keeps "
            f"yours{also}; {command('pull --force', args)} takes the ones in AWS."
        )
    return hints
