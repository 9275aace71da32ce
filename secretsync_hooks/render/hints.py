"""The exact commands that fix a drift, shared by the table output and the hook output.

Every command carries the options that chose the target (``args``), so it can be pasted as it
is, and says what it would do besides: a hint that proposes ``push --force`` names every other
value it would overwrite.  Rules that keep a hint from doing harm:
- when more than half of a side's keys would change at once (a lost or replaced .env, a
  remote other than the one meant), no hint proposes a command that overwrites or deletes
  values: the user looks first (``diff --verbose``);
- with ``--keys-only`` the file compared is usually a committed example, so no hint proposes
  pushing it (placeholders into AWS) or pulling into it (secrets into git);
- a command that would be refused is not proposed as the fix: keys Parameter Store cannot
  hold are fixed first, and a remote missing in the region in use is looked for where the
  config puts it.
"""

from __future__ import annotations

from collections.abc import Sequence

from secretsync_hooks import text
from secretsync_hooks.models import DiffState
from secretsync_hooks.render.phrases import command, without_option
from secretsync_hooks.sync.differ import Comparison, is_mass, looks_replaced
from secretsync_hooks.sync.workspace import Workspace


def fix_commands(
    workspace: Workspace, comparison: Comparison, args: Sequence[str] = ()
) -> list[str]:
    """One line per direction that needs fixing, each naming the command to run."""
    config = workspace.config
    env_name, remote = config.env_file.name, workspace.remote_name
    if comparison.keys_only:
        return _keys_only(comparison, env_name, remote, workspace.snapshot.exists)
    first = " once the keys Parameter Store cannot hold are fixed" if workspace.unholdable else ""
    if not workspace.snapshot.exists:
        configured = config.configured_region
        if configured and config.region != configured:
            there = command("diff", ["--region", configured, *without_option(args, "--region")])
            return [
                f"{remote} does not exist in {config.region} (from {config.source('region')}), "
                f"and the config puts it in {configured}: {there} looks there."
            ]
        return [f"{remote} does not exist yet: {command('push', args)} creates it{first}."]
    replaced = looks_replaced(comparison)
    if replaced is not None:
        differing, total = replaced
        return [
            f"{differing} of {total} keys differ between {env_name} and {remote}: check that "
            f"{env_name} is the file you meant ({command('diff --verbose', args)} lists every "
            "key) before anything is written."
        ]
    if comparison.three_way:
        return _three_way(comparison, args, env_name, remote, first)
    return _two_way(comparison, args, env_name, first)


def _two_way(comparison: Comparison, args: Sequence[str], env_name: str, first: str) -> list[str]:
    hints = []
    states = {entry.state for entry in comparison.differing}
    if DiffState.LOCAL_ONLY in states:
        hints.append(f"{command('push', args)} uploads the local-only keys{first}.")
    if DiffState.REMOTE_ONLY in states:
        hints.append(f"{command('pull', args)} writes the remote-only keys into {env_name}.")
    if DiffState.CHANGED in states:
        hints.append(
            f"For changed keys: {command('push --force', args)} keeps your local values{first}, "
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
            f"remove the names from {env_name}."
        )
    return hints


# What `push --force` also overwrites besides what it is proposed for: the values changed or
# deleted in AWS since the last sync (it makes AWS hold every value of the .env).
_CHANGED_IN_AWS = (DiffState.REMOTE_MODIFIED, DiffState.REMOTE_DELETED)
# What a pull changes in the .env: a change of more than half of its keys at once is refused.
_PULL_CHANGES = (DiffState.REMOTE_MODIFIED, DiffState.REMOTE_DELETED, DiffState.CONFLICT)


def _three_way(
    comparison: Comparison, args: Sequence[str], env_name: str, remote: str, first: str
) -> list[str]:
    entries = comparison.entries

    def keys(*states: DiffState) -> list[str]:
        return [e.key for e in entries if e.state in states]

    def them(names: list[str]) -> str:
        return text.agree(len(names), "it", "them")

    def force_also(besides: list[str]) -> str:
        others = [key for key in keys(*_CHANGED_IN_AWS) if key not in besides]
        return (
            f" (and puts back your values of {text.keys(others)}, changed in AWS since)"
            if (others)
            else ""
        )

    hints = []
    for state, how in (
        (DiffState.LOCAL_MODIFIED, "changed in"),
        (DiffState.LOCAL_ADDED, "added to"),
    ):
        if names := keys(state):
            hints.append(
                f"{text.keys(names)} {how} {env_name} since the last sync: run "
                f"{command('push', args)}{first}."
            )
    if deleted := keys(DiffState.LOCAL_DELETED):
        hints.append(
            f"{text.keys(deleted)} deleted from {env_name} since the last sync: "
            f"{command('push --prune', args)} deletes {them(deleted)} in AWS too."
        )
    local_total = sum(1 for e in entries if e.local is not None)
    if is_mass(len(keys(*_PULL_CHANGES)), local_total):
        return [*hints, _remote_mass(keys(*_PULL_CHANGES), local_total, env_name, remote, args)]
    for state, how in (
        (DiffState.REMOTE_MODIFIED, "changed in"),
        (DiffState.REMOTE_ADDED, "added in"),
    ):
        if names := keys(state):
            hints.append(
                f"{text.keys(names)} {how} AWS since your last sync: run {command('pull', args)}."
            )
    if gone := keys(DiffState.REMOTE_DELETED):
        hints.append(
            f"{text.keys(gone)} deleted in AWS since your last sync: {command('pull', args)} "
            f"drops {them(gone)} from {env_name}; {command('push --force', args)} puts "
            f"{them(gone)} back in AWS{force_also(gone)}{first}."
        )
    if conflicts := keys(DiffState.CONFLICT):
        hints.append(
            f"{text.keys(conflicts)} changed on both sides: {command('push --force', args)} "
            f"keeps yours{force_also(conflicts)}{first}; {command('pull --force', args)} takes "
            "the ones in AWS."
        )
    return hints


def _remote_mass(
    changing: list[str], total: int, env_name: str, remote: str, args: Sequence[str]
) -> str:
    """More than half of the .env's keys changed in AWS: a pull asks first, and the user
    looks first (a remote other than the one meant looks like this too)."""
    return (
        f"{len(changing)} of the {total} keys of {env_name} changed in AWS since your last sync: "
        f"check that {remote} is the remote you meant ({command('diff --verbose', args)} lists "
        "every key) before anything is written; a pull of so many at once asks first."
    )
