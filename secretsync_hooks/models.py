"""The values that flow between the .env engine, the backends and the sync core.

Secret values are kept out of every ``repr`` so that a debug log or a traceback that shows one
of these objects never shows what a key holds.  They are named tuples, not dataclasses: a
hook imports them on every commit, and a frozen dataclass costs a millisecond to define.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import NamedTuple


class DiffState(str, enum.Enum):
    # Two-way states: no record of the last sync.
    LOCAL_ONLY = "local_only"
    REMOTE_ONLY = "remote_only"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    # Three-way states: measured against the base recorded at the last sync.
    LOCAL_MODIFIED = "local_modified"
    REMOTE_MODIFIED = "remote_modified"
    LOCAL_ADDED = "local_added"
    REMOTE_ADDED = "remote_added"
    LOCAL_DELETED = "local_deleted"
    REMOTE_DELETED = "remote_deleted"
    CONFLICT = "conflict"


# Why a three-way entry is a conflict (DiffEntry.detail).
BOTH_ADDED = "both_added"  # added on both sides with different values
BOTH_MODIFIED = "both_modified"
MODIFIED_DELETED = "local_modified_remote_deleted"
DELETED_MODIFIED = "local_deleted_remote_modified"


class Direction(str, enum.Enum):
    PUSH = "push"  # local .env -> AWS
    PULL = "pull"  # AWS -> local .env


class Action(str, enum.Enum):
    ADD = "add"  # set a key the destination does not have
    UPDATE = "update"  # set a key the destination has, to another value
    DELETE = "delete"  # remove a key from the destination


class DiffEntry(NamedTuple):
    """How one key compares between the local file and the remote."""

    key: str
    state: DiffState
    local: str | None = None
    remote: str | None = None
    detail: str | None = None  # for a conflict: how it arose (BOTH_ADDED, ...)

    def __repr__(self) -> str:  # never the values
        return f"DiffEntry(key={self.key!r}, state={self.state.value}, detail={self.detail!r})"

    @property
    def differs(self) -> bool:
        return self.state is not DiffState.UNCHANGED


class _KeyOp(NamedTuple):
    key: str
    action: Action
    value: str | None = None


class KeyOp(_KeyOp):
    """One key operation of a plan: set ``key`` to ``value``, or delete ``key``."""

    __slots__ = ()

    def __new__(cls, key: str, action: Action, value: str | None = None) -> KeyOp:
        if (action is Action.DELETE) != (value is None):
            raise ValueError(f"{action.value} of {key!r}: value must be given iff setting")
        return super().__new__(cls, key, action, value)

    def __repr__(self) -> str:  # never the value
        return f"KeyOp(key={self.key!r}, action={self.action.value})"


class SyncPlan(NamedTuple):
    """Key operations in one direction; never "overwrite everything".

    Applying a plan changes exactly the keys it names and leaves every other key of the
    destination as it is, whatever else has changed there meanwhile.
    """

    direction: Direction
    ops: tuple[KeyOp, ...] = ()

    def __repr__(self) -> str:
        return f"SyncPlan(direction={self.direction.value}, ops={list(self.ops)!r})"

    @property
    def is_empty(self) -> bool:
        return not self.ops

    def of(self, action: Action) -> tuple[KeyOp, ...]:
        return tuple(op for op in self.ops if op.action is action)

    @property
    def sets(self) -> dict[str, str]:
        """The keys the plan sets, with their new values, in plan order."""
        return {op.key: op.value for op in self.ops if op.value is not None}

    def applied_to(self, values: Mapping[str, str]) -> dict[str, str]:
        """``values`` with this plan's key operations applied; existing keys keep their order,
        new keys follow."""
        result = dict(values)
        for op in self.ops:
            if op.value is None:
                result.pop(op.key, None)
            else:
                result[op.key] = op.value
        return result
