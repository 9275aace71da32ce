"""What every backend offers: read a snapshot of the remote, validate a plan, apply a plan.

A backend never decides what to sync; the sync core does.  It reports what it read, refuses
what AWS would refuse before making any call, and applies exactly the key operations it is
given, detecting writes by others since the snapshot.
"""

from __future__ import annotations

import abc
import datetime
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple

from secretsync_hooks import text
from secretsync_hooks.errors import RemoteError
from secretsync_hooks.models import Action, Direction, KeyOp, SyncPlan

# progress(done, total, key): called after each key is written.
Progress = Callable[[int, int, str], None]


EMPTY: Mapping[str, Any] = MappingProxyType({})


class RemoteSnapshot(NamedTuple):
    """The remote's keys and values as read, with what is needed to detect later changes."""

    values: Mapping[str, str]
    exists: bool = True
    # Secrets Manager: the AWSCURRENT VersionId.  Parameter Store: None (see ``versions``).
    version: str | None = None
    # Parameter Store: each parameter's Version and Type.
    versions: Mapping[str, int] = EMPTY
    types: Mapping[str, str] = EMPTY
    last_changed: datetime.datetime | None = None
    warnings: tuple[str, ...] = ()
    # Secrets Manager: the secret exists but holds no value yet (created by Terraform,
    # CloudFormation or CDK without one).
    no_value: bool = False
    # Who the remote is, as AWS reports it on the read (an ARN: partition, region, account and
    # name); None when there is nothing to read.  Records of the last sync are bound to it.
    identity: str | None = None
    # Parameter Store: when each parameter last changed.
    modified: Mapping[str, datetime.datetime] = EMPTY
    # Secrets Manager: the JSON text of each value that is not a JSON string (a number, a
    # boolean, null), so that ``5432`` and ``"5432"`` are told apart where it matters.
    json_texts: Mapping[str, str] = EMPTY
    # Parameter Store: each parameter's DataType (text, aws:ec2:image), which AWS does not
    # let a write change.
    data_types: Mapping[str, str] = EMPTY

    def __repr__(self) -> str:  # never the values
        return (
            f"RemoteSnapshot(keys={sorted(self.values)!r}, exists={self.exists}, "
            f"version={self.version_label!r})"
        )

    @property
    def version_label(self) -> str | None:
        """A short text for the remote's version, for people and JSON."""
        if self.version is not None:
            return self.version
        if self.versions:
            return f"{len(self.versions)} parameters, highest version {max(self.versions.values())}"
        return None


class Revision(NamedTuple):
    """One past state of the remote: a secret's version, or a parameter's."""

    version: str
    created: datetime.datetime | None
    labels: tuple[str, ...] = ()
    who: str | None = None  # Parameter Store's LastModifiedUser; Secrets Manager keeps none
    key: str | None = None  # Parameter Store: the parameter
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    known: bool = True  # False: the version before it is not known (not read, or gone)
    # The values this revision set, for --show-values and plain_keys only.
    values: Mapping[str, str] = EMPTY
    # Why this version's value cannot be read (its KMS key is no longer usable); None if read.
    unreadable: str | None = None
    # The version it was compared with when that is not the one just before it (the versions
    # between could not be read).
    against: str | None = None

    def __repr__(self) -> str:  # never the values
        return f"Revision(version={self.version!r}, key={self.key!r})"


class Rollback(NamedTuple):
    """What restoring an earlier state of the remote changes, from the state just read."""

    to: str  # what is restored, for people and JSON: a version id, or a time in UTC
    plan: SyncPlan  # from the current state to the restored one
    created: datetime.datetime | None = None  # Secrets Manager: when that version was made
    # Parameter Store: keys created after the time, kept unless --prune deletes them.
    kept: tuple[str, ...] = ()
    # Parameter Store: keys changed since whose value then AWS no longer keeps (it keeps a
    # parameter's last 100 versions).
    lost: tuple[str, ...] = ()
    # Secrets Manager: the chosen version's SecretString, written back exactly as it was.
    document: str | None = None

    def __repr__(self) -> str:  # never the values
        return f"Rollback(to={self.to!r}, plan={self.plan!r})"


def changes(current: Mapping[str, str], wanted: Mapping[str, str], *, delete: bool) -> SyncPlan:
    """The plan that turns ``current`` into ``wanted`` (deleting keys ``wanted`` lacks only
    with ``delete``)."""
    ops = [
        KeyOp(key, Action.ADD if key not in current else Action.UPDATE, value)
        for key, value in wanted.items()
        if current.get(key) != value
    ]
    if delete:
        ops.extend(KeyOp(key, Action.DELETE) for key in current if key not in wanted)
    return SyncPlan(Direction.PUSH, tuple(ops))


class ApplyResult(NamedTuple):
    """What a backend changed: keys added, updated, deleted, and the new remote version."""

    applied: tuple[KeyOp, ...] = ()
    version: str | None = None
    # The remote version each written key now has (Parameter Store's per-parameter Version).
    versions: Mapping[str, str] = EMPTY
    # The remote's identity, when the write learnt it (creating a secret returns its ARN).
    identity: str | None = None

    def keys(self, action: Action) -> tuple[str, ...]:
        return tuple(op.key for op in self.applied if op.action is action)


def check_unicode(where: str, values: Mapping[str, str]) -> None:
    """Refuse keys or values that are not valid Unicode text (a lone surrogate, which JSON's
    ``\\ud800`` escapes can produce): no file or terminal can hold them."""
    for key, value in values.items():
        for part in (key, value):
            try:
                part.encode("utf-8")
            except UnicodeEncodeError:
                raise RemoteError(
                    f"{where}: the key {text.shown(key)} (or its value) is not valid Unicode "
                    "text (a lone surrogate)",
                    hint="Fix the key or its value in AWS; secretsync cannot write it to a file.",
                ) from None


class Backend(abc.ABC):
    """A remote store of one environment's keys."""

    kind: str
    target: str
    warnings: list[str]  # what the user should know: found reading, validating or writing
    writes_per_key = False  # one paced write per key (worth a progress bar) or one in all

    def ignored(self) -> tuple[str, ...]:
        """Remote names under the target that secretsync does not manage (for ``status``)."""
        return ()

    @abc.abstractmethod
    def read(self) -> RemoteSnapshot:
        """Read every key and value, with version information."""

    def history(
        self, limit: int, key: str | None = None, *, decrypt: bool = False
    ) -> list[Revision]:
        """Past states, newest first (at most ``limit`` where each costs a value read);
        values are read only where needed, or with ``decrypt``."""
        raise RemoteError(f"{self.kind} keeps no history secretsync can read")

    def rollback(self, to: str, snapshot: RemoteSnapshot, *, prune: bool = False) -> Rollback:
        """What restoring the state ``to`` names (a version, a point in time) would change,
        from ``snapshot``; reads the past, writes nothing."""
        raise RemoteError(f"{self.kind} keeps no history secretsync can restore")

    def restore(
        self, rollback: Rollback, snapshot: RemoteSnapshot, progress: Progress | None = None
    ) -> ApplyResult:
        """Apply ``rollback`` (computed from ``snapshot``): validated, then written key by key,
        refusing keys changed since ``snapshot``."""
        self.validate(rollback.plan, snapshot)
        return self.apply(rollback.plan, snapshot, progress)

    def cannot_hold(self, local: Mapping[str, str], snapshot: RemoteSnapshot) -> list[str]:
        """What the remote could not hold of the local values a push would send, and what to
        do about it, found without asking AWS (for ``diff`` and ``status``, before a push)."""
        return []

    def apply_tags(self, keys: Sequence[str]) -> tuple[str, ...]:
        """Add the config's tags to ``keys``, whose values an earlier write put in place
        without them; the keys tagged (none where tags are set with the value)."""
        return ()

    @abc.abstractmethod
    def validate(self, plan: SyncPlan, snapshot: RemoteSnapshot) -> None:
        """Raise, before any write, if AWS would refuse any operation of ``plan``."""

    @abc.abstractmethod
    def apply(
        self, plan: SyncPlan, snapshot: RemoteSnapshot, progress: Progress | None = None
    ) -> ApplyResult:
        """Apply ``plan`` (computed from ``snapshot``); refuse keys changed since then."""
