"""Compare the local .env with the remote, key by key, and turn the differences into plans."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from secretsync_hooks.models import Action, DiffEntry, DiffState, Direction, KeyOp, SyncPlan


@dataclass(frozen=True)
class Comparison:
    """Every key in exactly one state: the .env file's order, then remote-only keys sorted."""

    entries: tuple[DiffEntry, ...]
    keys_only: bool = False

    @property
    def in_sync(self) -> bool:
        return not any(entry.differs for entry in self.entries)

    @property
    def differing(self) -> tuple[DiffEntry, ...]:
        return tuple(entry for entry in self.entries if entry.differs)

    def summary(self) -> dict[str, int]:
        counts = Counter(entry.state for entry in self.entries)
        return {state.value: counts.get(state, 0) for state in DiffState}

    def keys(self, state: DiffState) -> tuple[str, ...]:
        return tuple(entry.key for entry in self.entries if entry.state is state)


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


def plan_push(comparison: Comparison, *, prune: bool = False) -> SyncPlan:
    """Set local-only and changed keys remotely; with ``prune`` delete remote-only keys."""
    ops = []
    for entry in comparison.entries:
        if entry.state is DiffState.LOCAL_ONLY:
            ops.append(KeyOp(entry.key, Action.ADD, entry.local))
        elif entry.state is DiffState.CHANGED:
            ops.append(KeyOp(entry.key, Action.UPDATE, entry.local))
        elif entry.state is DiffState.REMOTE_ONLY and prune:
            ops.append(KeyOp(entry.key, Action.DELETE))
    return SyncPlan(Direction.PUSH, tuple(ops))


def plan_pull(comparison: Comparison, *, prune: bool = False) -> SyncPlan:
    """Write remote-only and changed keys locally; with ``prune`` drop local-only keys."""
    ops = []
    for entry in comparison.entries:
        if entry.state is DiffState.REMOTE_ONLY:
            ops.append(KeyOp(entry.key, Action.ADD, entry.remote))
        elif entry.state is DiffState.CHANGED:
            ops.append(KeyOp(entry.key, Action.UPDATE, entry.remote))
        elif entry.state is DiffState.LOCAL_ONLY and prune:
            ops.append(KeyOp(entry.key, Action.DELETE))
    return SyncPlan(Direction.PULL, tuple(ops))


def destructive(plan: SyncPlan) -> tuple[KeyOp, ...]:
    """The operations that overwrite or delete a value at the destination: they need --force."""
    return tuple(op for op in plan.ops if op.action is not Action.ADD)
