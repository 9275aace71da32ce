"""What every backend offers: read a snapshot of the remote, validate a plan, apply a plan.

A backend never decides what to sync; the sync core does.  It reports what it read, refuses
what AWS would refuse before making any call, and applies exactly the key operations it is
given, detecting writes by others since the snapshot.
"""

from __future__ import annotations

import abc
import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from secretsync_hooks import text
from secretsync_hooks.errors import (
    ExitCode,
    Interrupted,
    RefusedError,
    RemoteError,
    SecretSyncError,
)
from secretsync_hooks.models import Action, KeyOp, SyncPlan

# progress(done, total, key): called after each key is written.
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class RemoteSnapshot:
    """The remote's keys and values as read, with what is needed to detect later changes."""

    values: Mapping[str, str] = field(repr=False)
    exists: bool = True
    # Secrets Manager: the AWSCURRENT VersionId.  Parameter Store: None (see ``versions``).
    version: str | None = None
    # Parameter Store: each parameter's Version and Type.
    versions: Mapping[str, int] = field(default_factory=dict)
    types: Mapping[str, str] = field(default_factory=dict)
    last_changed: datetime.datetime | None = None
    warnings: tuple[str, ...] = ()
    # Secrets Manager: the secret exists but holds no value yet (created by Terraform,
    # CloudFormation or CDK without one).
    no_value: bool = False
    # Who the remote is, as AWS reports it on the read (an ARN: partition, region, account and
    # name); None when there is nothing to read.  Records of the last sync are bound to it.
    identity: str | None = None

    @property
    def version_label(self) -> str | None:
        """A short text for the remote's version, for people and JSON."""
        if self.version is not None:
            return self.version
        if self.versions:
            return f"{len(self.versions)} parameters, versions up to {max(self.versions.values())}"
        return None


@dataclass(frozen=True)
class ApplyResult:
    """What a backend changed: keys added, updated, deleted, and the new remote version."""

    applied: tuple[KeyOp, ...] = ()
    version: str | None = None
    # The remote version each written key now has (Parameter Store's per-parameter Version).
    versions: Mapping[str, str] = field(default_factory=dict)
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


class WriteConflict(RefusedError):
    """Keys the plan touches were changed remotely since the snapshot; they were not written."""

    def __init__(
        self,
        target: str,
        keys: Sequence[str],
        *,
        applied: Sequence[KeyOp] = (),
    ) -> None:
        self.keys = tuple(keys)
        self.applied = tuple(applied)
        done = ""
        if applied:
            done = f" Applied before the conflict: {text.keys(op.key for op in applied)}."
        super().__init__(
            f"conflict: {text.keys(self.keys)} {'was' if len(self.keys) == 1 else 'were'} "
            f"changed by someone else in {target} while pushing; not overwritten.{done}",
            hint="Run `secretsync diff` to see the new state, then push or pull again.",
        )


def apply_report(
    applied: Sequence[KeyOp], failed: Mapping[str, str], not_attempted: Sequence[str]
) -> list[str]:
    """Lines that say exactly which keys a write changed and which it did not."""
    lines = [f"  applied: {text.keys(op.key for op in applied) or 'none'}"]
    by_reason: dict[str, list[str]] = {}
    for key, reason in failed.items():
        by_reason.setdefault(reason, []).append(key)
    for reason, keys in by_reason.items():
        lines.append(f"  failed ({reason}): {text.keys(keys)}")
    if not_attempted:
        lines.append(f"  not applied: {text.keys(not_attempted)}")
    return lines


class PartialApplyError(SecretSyncError):
    """A write failed part-way: says exactly which keys were applied and which were not."""

    exit_code = ExitCode.ERROR

    def __init__(
        self,
        target: str,
        applied: Sequence[KeyOp],
        failed: Mapping[str, str],
        not_attempted: Sequence[str],
        hints: Mapping[str, str] | None = None,
    ) -> None:
        self.applied = tuple(applied)
        self.failed = dict(failed)
        self.not_attempted = tuple(not_attempted)
        lines = [f"the write to {target} failed part-way (Parameter Store has no transactions)"]
        lines += apply_report(applied, failed, not_attempted)
        advice = [f"{reason}: {hint}" for reason, hint in (hints or {}).items()]
        super().__init__(
            "\n".join(lines),
            hint="\n".join(
                [
                    *advice,
                    "Fix the cause and run the same command again: it applies only what is "
                    "still different.",
                ]
            ),
        )


def interrupted_report(
    target: str, applied: Sequence[KeyOp], not_applied: Sequence[str]
) -> BaseException:
    """What an interrupt during a write becomes: a plain ``KeyboardInterrupt`` (reported as
    "nothing was changed") when nothing was applied, else the exact applied / not-applied
    report, with exit code 130 either way."""
    if not applied:
        return KeyboardInterrupt()
    lines = [f"interrupted while writing to {target}; part of the change was made"]
    lines += apply_report(applied, {}, not_applied)
    return Interrupted(
        "\n".join(lines),
        hint="Run the same command again: it applies only what is still different.",
    )


class Backend(abc.ABC):
    """A remote store of one environment's keys."""

    kind: str
    target: str
    warnings: list[str]  # about the configuration, found without calling AWS

    def ignored(self) -> tuple[str, ...]:
        """Remote names under the target that secretsync does not manage (for ``status``)."""
        return ()

    @abc.abstractmethod
    def read(self) -> RemoteSnapshot:
        """Read every key and value, with version information."""

    @abc.abstractmethod
    def validate(self, plan: SyncPlan, snapshot: RemoteSnapshot) -> None:
        """Raise, before any write, if AWS would refuse any operation of ``plan``."""

    @abc.abstractmethod
    def apply(
        self, plan: SyncPlan, snapshot: RemoteSnapshot, progress: Progress | None = None
    ) -> ApplyResult:
        """Apply ``plan`` (computed from ``snapshot``); refuse keys changed since then."""
