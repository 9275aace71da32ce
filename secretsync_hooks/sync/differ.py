"""Compare the local .env with the remote, key by key, and turn the differences into plans."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import NamedTuple

from secretsync_hooks.models import (
    BOTH_ADDED,
    BOTH_MODIFIED,
    DELETED_MODIFIED,
    MODIFIED_DELETED,
    Action,
    DiffEntry,
    DiffState,
    Direction,
    KeyOp,
    SyncPlan,
)

TWO_WAY = (DiffState.LOCAL_ONLY, DiffState.REMOTE_ONLY, DiffState.CHANGED, DiffState.UNCHANGED)
THREE_WAY = (
    DiffState.UNCHANGED,
    DiffState.LOCAL_MODIFIED,
    DiffState.REMOTE_MODIFIED,
    DiffState.CONFLICT,
    DiffState.LOCAL_ADDED,
    DiffState.REMOTE_ADDED,
    DiffState.LOCAL_DELETED,
    DiffState.REMOTE_DELETED,
)
# A lost, emptied or replaced .env looks like more than half of the remote's keys missing or
# different locally; so does a push or pull that would overwrite or delete that many at once.
# Either needs a person to look (and --force), whatever the record of the last sync says.
MASS_SHARE = 0.5
MASS_MINIMUM = 2

# State -> which way fixes it.
_PUSH_STATES = {DiffState.LOCAL_MODIFIED, DiffState.LOCAL_ADDED, DiffState.LOCAL_DELETED}
_PULL_STATES = {DiffState.REMOTE_MODIFIED, DiffState.REMOTE_ADDED, DiffState.REMOTE_DELETED}


class Comparison(NamedTuple):
    """Every key in exactly one state: the .env file's order, then remote-only keys sorted."""

    entries: tuple[DiffEntry, ...]
    keys_only: bool = False
    three_way: bool = False

    @property
    def in_sync(self) -> bool:
        return not any(entry.differs for entry in self.entries)

    @property
    def differing(self) -> tuple[DiffEntry, ...]:
        return tuple(entry for entry in self.entries if entry.differs)

    @property
    def states(self) -> tuple[DiffState, ...]:
        return THREE_WAY if self.three_way else TWO_WAY

    def summary(self) -> dict[str, int]:
        counts = Counter(entry.state for entry in self.entries)
        return {state.value: counts.get(state, 0) for state in self.states}


def compare(
    local: Mapping[str, str], remote: Mapping[str, str], *, keys_only: bool = False
) -> Comparison:
    """Compare ``local`` (in file order) with ``remote``.

    With ``keys_only`` only the key sets are compared: a key on both sides counts as unchanged
    whatever its values, so CI can check a committed ``.env.example`` against the remote.
    """
    entries = []
    for key, value in local.items():
        if key not in remote:
            entries.append(DiffEntry(key, DiffState.LOCAL_ONLY, local=value))
            continue
        other = remote[key]
        same = keys_only or value == other
        state = DiffState.UNCHANGED if same else DiffState.CHANGED
        entries.append(DiffEntry(key, state, local=value, remote=other))
    for key in sorted(set(remote) - set(local)):
        entries.append(DiffEntry(key, DiffState.REMOTE_ONLY, remote=remote[key]))
    return Comparison(tuple(entries), keys_only)


def compare_three_way(
    local: Mapping[str, str],
    remote: Mapping[str, str],
    base: Mapping[str, str],
    fingerprint: Callable[[str, str], str],
) -> Comparison:
    """Compare against ``base`` (key -> fingerprint of the value both sides last agreed on).

    ``fingerprint(key, value)`` must be the function the base was recorded with.

    Like git's merge base: a side that differs from the base changed it; both sides changing a
    key to different values is a conflict.  Keys deleted on both sides are gone: no entry.
    """
    entries = []
    order = list(local) + sorted(set(remote) - set(local))
    for key in order:
        entries.append(
            _three_way_entry(key, local.get(key), remote.get(key), base.get(key), fingerprint)
        )
    return Comparison(tuple(entries), keys_only=False, three_way=True)


def _three_way_entry(
    key: str,
    local: str | None,
    remote: str | None,
    base: str | None,
    fingerprint: Callable[[str, str], str],
) -> DiffEntry:
    def entry(state: DiffState, detail: str | None = None) -> DiffEntry:
        return DiffEntry(key, state, local=local, remote=remote, detail=detail)

    if local is not None and local == remote:
        return entry(DiffState.UNCHANGED)  # agreeing sides need no fingerprint
    if base is None:
        if local is not None and remote is not None:
            return entry(DiffState.CONFLICT, BOTH_ADDED)
        return entry(DiffState.LOCAL_ADDED if local is not None else DiffState.REMOTE_ADDED)
    local_changed = local is None or fingerprint(key, local) != base
    remote_changed = remote is None or fingerprint(key, remote) != base
    if local is not None and remote is not None:
        if local_changed and remote_changed:
            return entry(DiffState.CONFLICT, BOTH_MODIFIED)
        return entry(DiffState.LOCAL_MODIFIED if local_changed else DiffState.REMOTE_MODIFIED)
    if local is not None:  # deleted remotely
        if local_changed:
            return entry(DiffState.CONFLICT, MODIFIED_DELETED)
        return entry(DiffState.REMOTE_DELETED)
    # deleted locally (compare_three_way only asks about keys present on a side)
    if remote_changed:
        return entry(DiffState.CONFLICT, DELETED_MODIFIED)
    return entry(DiffState.LOCAL_DELETED)


def plan_push(comparison: Comparison, *, prune: bool = False, force: bool = False) -> SyncPlan:
    """Send local changes to the remote.

    Two-way: set local-only and changed keys; with ``prune`` delete remote-only keys.
    Three-way: local modifications and additions, local deletions with ``prune``, and
    conflicts resolved towards the local side; changes made only remotely are left alone,
    unless ``force``: then the remote is made to hold every key of the .env with its value,
    keys changed or deleted remotely since the last sync included (what `push --force` says).
    """
    if comparison.three_way:
        planned = _plan_three_way(comparison, Direction.PUSH, prune=prune)
        if force:
            planned = _with_every_local_value(comparison, planned)
        return planned
    return _plan_two_way(comparison, Direction.PUSH, prune=prune)


def _with_every_local_value(comparison: Comparison, planned: SyncPlan) -> SyncPlan:
    """``planned`` plus a write of every local key whose remote value differs or is gone."""
    ops = list(planned.ops)
    touched = {op.key for op in ops}
    for entry in comparison.entries:
        if entry.key in touched or entry.local is None or entry.local == entry.remote:
            continue
        action = Action.ADD if entry.remote is None else Action.UPDATE
        ops.append(KeyOp(entry.key, action, entry.local))
    return SyncPlan(planned.direction, tuple(ops))


def plan_pull(comparison: Comparison, *, prune: bool = False) -> SyncPlan:
    """Bring remote changes into the local file.

    Two-way: write remote-only and changed keys; with ``prune`` drop local-only keys.
    Three-way: remote modifications, additions and deletions, and conflicts resolved towards
    the remote side; changes made only locally are left alone.
    """
    if comparison.three_way:
        return _plan_three_way(comparison, Direction.PULL, prune=prune)
    return _plan_two_way(comparison, Direction.PULL, prune=prune)


def _plan_two_way(comparison: Comparison, direction: Direction, *, prune: bool) -> SyncPlan:
    pushing = direction is Direction.PUSH
    missing = DiffState.REMOTE_ONLY if pushing else DiffState.LOCAL_ONLY  # at the destination
    extra = DiffState.LOCAL_ONLY if pushing else DiffState.REMOTE_ONLY
    ops = []
    for entry in comparison.entries:
        source = entry.local if pushing else entry.remote
        if entry.state is extra:
            ops.append(KeyOp(entry.key, Action.ADD, source))
        elif entry.state is DiffState.CHANGED:
            ops.append(KeyOp(entry.key, Action.UPDATE, source))
        elif entry.state is missing and prune:
            ops.append(KeyOp(entry.key, Action.DELETE))
    return SyncPlan(direction, tuple(ops))


def _plan_three_way(comparison: Comparison, direction: Direction, *, prune: bool) -> SyncPlan:
    pushing = direction is Direction.PUSH
    mine = _PUSH_STATES if pushing else _PULL_STATES
    ops = []
    for entry in comparison.entries:
        if not pushing and prune and entry.state is DiffState.LOCAL_ADDED:
            # pull --prune drops local keys AWS lacks, as in two-way; they were never
            # synced, so this needs --force (see needs_force).
            ops.append(KeyOp(entry.key, Action.DELETE))
            continue
        if entry.state not in mine and entry.state is not DiffState.CONFLICT:
            continue
        source, destination = entry.local, entry.remote
        if not pushing:
            source, destination = destination, source
        if source is None:
            # Deletions: pull applies remote deletions; push needs --prune, as in two-way.
            if destination is not None and (prune or not pushing):
                ops.append(KeyOp(entry.key, Action.DELETE))
        elif destination is None:
            ops.append(KeyOp(entry.key, Action.ADD, source))
        elif source != destination:
            ops.append(KeyOp(entry.key, Action.UPDATE, source))
    return SyncPlan(direction, tuple(ops))


def needs_force(comparison: Comparison, plan: SyncPlan) -> tuple[KeyOp, ...]:
    """The operations of ``plan`` that need --force (or a yes at the prompt).

    Two-way, anything that overwrites or deletes a value at the destination, since nothing
    says which side is newer.  Three-way, the conflicts, and the deletion of a key that was
    added at the destination and never synced (``pull --prune``): every other change is
    known to have been made on one side only.
    """
    if comparison.three_way:
        risky = {DiffState.CONFLICT}
        if plan.direction is Direction.PULL:
            risky.add(DiffState.LOCAL_ADDED)
        keys = {e.key for e in comparison.entries if e.state in risky}
        return tuple(op for op in plan.ops if op.key in keys)
    return tuple(op for op in plan.ops if op.action is not Action.ADD)


def is_mass(changed: int, total: int) -> bool:
    """Whether ``changed`` of ``total`` keys is "more than half, and more than a couple"."""
    return changed > MASS_MINIMUM and changed > MASS_SHARE * total


_LOCAL_SUSPECT = {
    DiffState.REMOTE_ONLY,
    DiffState.CHANGED,
    DiffState.LOCAL_DELETED,
    DiffState.LOCAL_MODIFIED,
    DiffState.CONFLICT,
}


def looks_replaced(comparison: Comparison) -> tuple[int, int] | None:
    """(keys missing or different locally, remote keys) when that is more than half of the
    remote's keys: what a lost, emptied or replaced .env looks like."""
    if comparison.keys_only:
        return None
    remote_keys = sum(1 for e in comparison.entries if e.remote is not None)
    suspect = sum(1 for e in comparison.entries if e.state in _LOCAL_SUSPECT)
    return (suspect, remote_keys) if is_mass(suspect, remote_keys) else None
