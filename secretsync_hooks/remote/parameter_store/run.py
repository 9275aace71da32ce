"""The bookkeeping of one Parameter Store apply: what each key's write came to (written, a
conflict, failed, or written without its tags), recorded by the writer threads as they finish,
and the one report made of it at the end: an ``ApplyResult``, or the error that names every key
not applied and why (an AWS error code or an exception name, never its text) with the next
step for each reason.
"""

from __future__ import annotations

import threading

from secretsync_hooks.errors import (
    PartialApplyError,
    SecretSyncError,
    TagsNotApplied,
    WriteConflict,
    interrupted_report,
)
from secretsync_hooks.models import Action, KeyOp, SyncPlan
from secretsync_hooks.remote.aws import error_code
from secretsync_hooks.remote.aws_errors import write_failure_hint
from secretsync_hooks.remote.base import ApplyResult, Progress


class ApplyRun:
    """The bookkeeping of one apply, shared by the writer threads."""

    def __init__(self, plan: SyncPlan, progress: Progress | None) -> None:
        self.plan = plan
        self.progress = progress
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.done: set[str] = set()
        self.applied: list[KeyOp] = []
        self.written: dict[str, str] = {}
        self.failed: dict[str, str] = {}
        self.conflicts: list[str] = []
        self.untagged: dict[str, str] = {}  # written, but the tags could not be added
        self.deletes = {op.key for op in plan.ops if op.action is Action.DELETE}

    def record(self, op: KeyOp, error: BaseException | None, version: str | None = None) -> None:
        with self.lock:
            self.done.add(op.key)
            if isinstance(error, Untagged):
                self.untagged[op.key] = failure_reason(error.cause)
                version, error = error.version, None
            if error is None:
                self.applied.append(op)
                if version is not None:
                    self.written[op.key] = version
            elif isinstance(error, KeyConflict):
                self.conflicts.append(op.key)
            else:
                self.failed[op.key] = failure_reason(error)
            if self.progress is not None:
                self.progress(len(self.done), len(self.plan.ops), op.key)

    def _in_plan_order(self) -> list[KeyOp]:
        order = {op.key: i for i, op in enumerate(self.plan.ops)}
        return sorted(self.applied, key=lambda op: order[op.key])

    def interrupted(self, target: str) -> BaseException:
        applied = self._in_plan_order()
        done = {op.key for op in applied}
        return interrupted_report(
            target, applied, [op.key for op in self.plan.ops if op.key not in done]
        )

    def result(self, target: str, profile: str | None = None) -> ApplyResult:
        applied = self._in_plan_order()
        not_attempted = [op.key for op in self.plan.ops if op.key not in self.done]
        if self.failed:
            hints = {}
            for key, reason in self.failed.items():
                action = "ssm:DeleteParameters" if key in self.deletes else "ssm:PutParameter"
                hint = write_failure_hint(reason, action, f"parameters under {target}", profile)
                if hint and reason not in hints:
                    hints[reason] = hint
            for reason, hint in tag_hints(self.untagged, target, profile).items():
                hints.setdefault(reason, hint)
            raise PartialApplyError(
                target, applied, self.failed, not_attempted + self.conflicts, hints, self.untagged
            )
        if self.conflicts:
            conflict = WriteConflict(target, self.conflicts, applied=applied)
            conflict.untagged = tuple(self.untagged)
            raise conflict
        result = ApplyResult(applied=tuple(applied), version=None, versions=self.written)
        if self.untagged:
            hints = tag_hints(self.untagged, target, profile)
            raise TagsNotApplied(target, self.untagged, hints, result)
        return result


class KeyConflict(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(f"{key} was created by someone else meanwhile")


class Untagged(Exception):
    """The value was written (at ``version``), but adding the tags failed with ``cause``."""

    def __init__(self, version: str | None, cause: BaseException) -> None:
        super().__init__("the tags could not be added")
        self.version = version
        self.cause = cause


def tag_hints(failed: dict[str, str], target: str, profile: str | None) -> dict[str, str]:
    """The next step for each reason tagging failed: AddTagsToResource has its own
    permission, limits and throttling, apart from PutParameter's."""
    hints: dict[str, str] = {}
    for reason in dict.fromkeys(failed.values()):
        if reason == "TooManyTagsError":
            hints[reason] = (
                "a parameter holds at most 50 tags: remove some from the parameters (`aws ssm "
                "remove-tags-from-resource`) or from [parameter_store] tags."
            )
            continue
        resource = f"parameters under {target}"
        hint = write_failure_hint(reason, "ssm:AddTagsToResource", resource, profile)
        if hint:
            hints[reason] = hint
    return hints


def failure_reason(error: BaseException) -> str:
    """Why one key failed: an AWS error code or an exception name, never its text (which
    may quote the value)."""
    if isinstance(error, SecretSyncError):
        return error.message
    return error_code(error) or type(error).__name__
