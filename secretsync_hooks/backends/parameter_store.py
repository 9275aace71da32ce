"""One SSM Parameter Store parameter per key, directly under a path.

SSM has no transactions and no batch put, and its write quota is a few calls per second, so
writes run with bounded concurrency and retry throttling and ``TooManyUpdates`` (which botocore
never retries) with jittered exponential backoff.  New keys are created with ``Overwrite=False``
(the only atomic create-if-absent); existing ones are re-read before they are overwritten and
refused if their ``Version`` moved since the snapshot.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from secretsync_hooks.backends.aws import AwsSession, error_code
from secretsync_hooks.backends.base import (
    ApplyResult,
    Backend,
    PartialApplyError,
    Progress,
    RemoteSnapshot,
    WriteConflict,
)
from secretsync_hooks.backends.ratelimit import AdaptivePace
from secretsync_hooks.config import ParameterStoreSettings
from secretsync_hooks.errors import RemoteError, SecretSyncError
from secretsync_hooks.models import Action, KeyOp, SyncPlan

_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
MAX_LEVELS = 15
# AWS: a name may be 1011 characters including the ARN prefix, arn:aws:ssm:REGION:ACCOUNT:parameter
ARN_BUDGET = 1011
MAX_VALUE_BYTES = {"Standard": 4096, "Advanced": 8192, "Intelligent-Tiering": 8192}
BATCH = 10  # GetParameters, DeleteParameters and GetParametersByPath take at most 10
WRITERS = 8
THROTTLED = {"ThrottlingException", "Throttling"}
# TooManyUpdates (a concurrent update of one parameter) is not retried by botocore at all.
BACKOFF = {"TooManyUpdates", "ServiceUnavailable", "InternalServerError", "InternalFailure"}
MAX_ATTEMPTS = 8  # for 5xx, TooManyUpdates and dropped connections
MAX_THROTTLED = 30  # throttling is expected under a low quota: the pace slows instead

T = TypeVar("T")


@dataclass(frozen=True)
class _Invalid:
    key: str
    problem: str


class ParameterStoreBackend(Backend):
    kind = "parameter_store"

    def __init__(
        self,
        settings: ParameterStoreSettings,
        session: AwsSession,
        *,
        writers: int = WRITERS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.target = settings.path
        self._session = session
        self._writers = max(1, writers)
        self._sleep = sleep
        self._pace = AdaptivePace()
        self.warnings: list[str] = []

    @property
    def _client(self) -> Any:
        return self._session.client("ssm")

    @property
    def _writer(self) -> Any:
        # Writes retry in _retrying, paced: botocore's own backoff would hide the throttling.
        return self._session.client("ssm", attempts=1)

    def name(self, key: str) -> str:
        return self.target + key

    # -- reading ---------------------------------------------------------------------------
    def read(self) -> RemoteSnapshot:
        values: dict[str, str] = {}
        versions: dict[str, int] = {}
        types: dict[str, str] = {}
        newest = None
        path = self.target.rstrip("/") or "/"
        kwargs: dict[str, Any] = {
            "Path": path,
            "Recursive": False,  # deeper levels belong to other tools; never mix them in
            "WithDecryption": True,
            "MaxResults": BATCH,
        }
        with self._session.translate("ssm:GetParametersByPath", f"parameters under {self.target}"):
            while True:
                page = self._client.get_parameters_by_path(**kwargs)
                for parameter in page.get("Parameters", []):
                    full = parameter["Name"]
                    if not full.startswith(self.target) or "/" in full[len(self.target) :]:
                        continue  # defensive: not a direct child of the path
                    key = full[len(self.target) :]
                    values[key] = parameter.get("Value", "")
                    versions[key] = int(parameter.get("Version", 0))
                    types[key] = parameter.get("Type", "String")
                    changed = parameter.get("LastModifiedDate")
                    if changed is not None and (newest is None or changed > newest):
                        newest = changed
                # A page may be empty and still carry a NextToken: follow it to the end.
                token = page.get("NextToken")
                if not token:
                    break
                kwargs["NextToken"] = token
        return RemoteSnapshot(
            values=values,
            exists=bool(values),
            versions=versions,
            types=types,
            last_changed=newest,
        )

    def ignored(self) -> tuple[str, ...]:
        """Parameters deeper under the path, which reads never mix in.

        Metadata only (``DescribeParameters``, no values, no decryption), and only for
        ``status``: its rate limit is low, so the hook path never calls it.
        """
        names: list[str] = []
        kwargs: dict[str, Any] = {
            "ParameterFilters": [
                {"Key": "Path", "Option": "Recursive", "Values": [self.target.rstrip("/") or "/"]}
            ],
            "MaxResults": 50,
        }
        with self._session.translate("ssm:DescribeParameters", f"parameters under {self.target}"):
            while True:
                page = self._client.describe_parameters(**kwargs)
                for parameter in page.get("Parameters", []):
                    rest = parameter["Name"][len(self.target) :]
                    if parameter["Name"].startswith(self.target) and "/" in rest:
                        names.append(parameter["Name"])
                token = page.get("NextToken")
                if not token:
                    break
                kwargs["NextToken"] = token
        return tuple(sorted(names))

    # -- validation --------------------------------------------------------------------------
    def validate(self, plan: SyncPlan) -> None:
        problems = list(self._invalid(plan.ops))
        if not problems:
            return
        by_problem: dict[str, list[str]] = {}
        for item in problems:
            by_problem.setdefault(item.problem, []).append(item.key)
        lines = [f"  {problem}: {', '.join(keys)}" for problem, keys in by_problem.items()]
        hint = "Nothing was written."
        if any("bytes" in p.problem for p in problems) and self.settings.tier == "Standard":
            hint = (
                'Set [parameter_store] tier = "Intelligent-Tiering" (or "Advanced", which is '
                "charged per parameter) for values up to 8 KB. Nothing was written."
            )
        raise RemoteError(
            f"Parameter Store would refuse {len(problems)} key(s) under {self.target}:\n"
            + "\n".join(lines),
            hint=hint,
        )

    def _invalid(self, ops: Iterable[KeyOp]) -> Iterable[_Invalid]:
        region = self._session.region or "us-east-1"
        budget = ARN_BUDGET - len(f"arn:aws:ssm:{region}:123456789012:parameter")
        limit = MAX_VALUE_BYTES[self.settings.tier]
        for op in ops:
            key = op.key
            name = self.name(key)
            bad = sorted(set(key) - _KEY_CHARS)
            if not key or bad:
                shown = "".join(repr(c)[1:-1] for c in bad) or "(empty)"
                yield _Invalid(key, f"characters outside a-zA-Z0-9_.- in the key ({shown})")
            if len(name) > budget:
                yield _Invalid(key, f"full name longer than {budget} characters")
            levels = [level for level in name.split("/") if level]
            if len(levels) > MAX_LEVELS:
                yield _Invalid(key, f"more than {MAX_LEVELS} levels")
            if any(level.lower().startswith(("aws", "ssm")) for level in levels):
                yield _Invalid(key, "a level starts with 'aws' or 'ssm', which AWS reserves")
            if op.value is None:
                continue
            if op.value == "":
                yield _Invalid(key, "empty value (SSM rejects empty values)")
            if "{{" in op.value:
                yield _Invalid(key, "value contains '{{' (SSM rejects it)")
            size = len(op.value.encode("utf-8"))
            if size > limit:
                yield _Invalid(key, f"value over {limit} bytes on the {self.settings.tier} tier")

    # -- writing ---------------------------------------------------------------------------
    def apply(
        self, plan: SyncPlan, snapshot: RemoteSnapshot, progress: Progress | None = None
    ) -> ApplyResult:
        if plan.is_empty:
            return ApplyResult()
        self.validate(plan)
        self._raise_conflicts(plan, snapshot)
        sets = [op for op in plan.ops if op.action is not Action.DELETE]
        deletes = [op for op in plan.ops if op.action is Action.DELETE]
        total = len(plan.ops)
        done = 0
        lock = threading.Lock()
        applied: list[KeyOp] = []
        written: dict[str, str] = {}
        failed: dict[str, str] = {}
        conflicts: list[str] = []

        def record(op: KeyOp, error: BaseException | None) -> None:
            nonlocal done
            with lock:
                done += 1
                if error is None:
                    applied.append(op)
                elif isinstance(error, _Conflict):
                    conflicts.append(op.key)
                else:
                    failed[op.key] = _reason(error)
                if progress is not None:
                    progress(done, total, op.key)

        def put(op: KeyOp) -> None:
            try:
                version = self._put(op, snapshot)
            except BaseException as exc:  # recorded, then reported together
                record(op, exc)
            else:
                if version is not None:
                    written[op.key] = version
                record(op, None)

        with ThreadPoolExecutor(max_workers=min(self._writers, max(1, len(sets)))) as pool:
            list(pool.map(put, sets))
        if not failed:
            for batch in _batches(deletes, BATCH):
                try:
                    self._retrying(partial(self._delete, batch))
                except BaseException as exc:
                    for op in batch:
                        record(op, exc)
                else:
                    for op in batch:
                        record(op, None)
        order = {op.key: i for i, op in enumerate(plan.ops)}
        applied.sort(key=lambda op: order[op.key])
        attempted = set(failed) | set(conflicts) | {op.key for op in applied}
        not_attempted = [op.key for op in plan.ops if op.key not in attempted]
        if failed:
            raise PartialApplyError(self.target, applied, failed, not_attempted + conflicts)
        if conflicts:
            raise WriteConflict(self.target, conflicts, applied=applied)
        return ApplyResult(
            applied=tuple(applied), version=None, write_calls=len(applied), versions=written
        )

    def _raise_conflicts(self, plan: SyncPlan, snapshot: RemoteSnapshot) -> None:
        """Re-read the parameters the plan overwrites or deletes; refuse any that moved."""
        touched = [op.key for op in plan.ops if op.key in snapshot.versions]
        if not touched:
            return
        current: dict[str, int] = {}
        with self._session.translate("ssm:GetParameters", f"parameters under {self.target}"):
            for batch in _batches(touched, BATCH):
                # Only Version is needed: no decryption, so no KMS call and no kms:Decrypt.
                response = self._client.get_parameters(
                    Names=[self.name(k) for k in batch], WithDecryption=False
                )
                for parameter in response.get("Parameters", []):
                    current[parameter["Name"][len(self.target) :]] = int(parameter["Version"])
        moved = []
        for op in plan.ops:
            if op.key not in snapshot.versions:
                continue
            now = current.get(op.key)
            if now is None and op.action is Action.DELETE:
                continue  # already gone: the delete is done
            if now != snapshot.versions[op.key]:
                moved.append(op.key)
        if moved:
            raise WriteConflict(self.target, moved)

    def _put(self, op: KeyOp, snapshot: RemoteSnapshot) -> str | None:
        """Write one key; return its new Version (None if that is not known)."""
        assert op.value is not None
        exists = op.key in snapshot.versions
        kwargs: dict[str, Any] = {
            "Name": self.name(op.key),
            "Value": op.value,
            "Overwrite": exists,
        }
        # An existing parameter keeps its type: SSM does not support changing it.
        kind = snapshot.types.get(op.key, self.settings.type)
        kwargs["Type"] = kind
        if kind == "SecureString" and self.settings.kms_key_id:
            kwargs["KeyId"] = self.settings.kms_key_id
        if not exists:
            kwargs["Tier"] = self.settings.tier
            if self.settings.tags:
                # Tags with Overwrite=True is a ValidationException: tag on create only.
                kwargs["Tags"] = [{"Key": k, "Value": v} for k, v in self.settings.tags.items()]
        elif self.settings.tier != "Standard":
            kwargs["Tier"] = self.settings.tier
        version: str | None = None
        try:
            response = self._retrying(lambda: self._writer.put_parameter(**kwargs))
            version = str(response["Version"]) if "Version" in response else None
        except Exception as exc:
            if error_code(exc) != "ParameterAlreadyExists":
                raise
            # Ours, if botocore retried a create whose answer was lost; else someone else's.
            if self._current_value(op.key) != op.value:
                raise _Conflict(op.key) from None
        if exists and self.settings.tags:
            self._retrying(
                lambda: self._writer.add_tags_to_resource(
                    ResourceType="Parameter",
                    ResourceId=self.name(op.key),
                    Tags=[{"Key": k, "Value": v} for k, v in self.settings.tags.items()],
                )
            )
        return version

    def _current_value(self, key: str) -> str | None:
        try:
            response = self._retrying(
                lambda: self._writer.get_parameter(Name=self.name(key), WithDecryption=True)
            )
        except Exception as exc:
            if error_code(exc) == "ParameterNotFound":
                return None
            raise
        value = response["Parameter"].get("Value")
        return str(value) if value is not None else None

    def _delete(self, batch: Sequence[KeyOp]) -> None:
        # Names that are already gone come back in InvalidParameters: the delete is done.
        self._writer.delete_parameters(Names=[self.name(op.key) for op in batch])

    def _retrying(self, call: Callable[[], T]) -> T:
        """``call`` in a paced slot; throttling slows the pace, other transient failures
        (TooManyUpdates, 5xx, dropped connections) back off with jitter."""
        from botocore.exceptions import ConnectionError as BotocoreConnectionError
        from botocore.exceptions import HTTPClientError  # dropped connections, read timeouts

        delay = 0.1
        failures = throttles = 0
        while True:
            self._pace.wait()
            try:
                result = call()
            except Exception as exc:
                code = error_code(exc)
                if code in THROTTLED:
                    throttles += 1
                    if throttles >= MAX_THROTTLED:
                        raise
                    self._pace.throttled()
                    continue
                failures += 1
                transient = code in BACKOFF or isinstance(
                    exc, BotocoreConnectionError | HTTPClientError
                )
                if not transient or failures >= MAX_ATTEMPTS:
                    raise
                self._sleep(random.uniform(0, delay))  # noqa: S311 - jitter, not cryptography
                delay = min(delay * 2, 5.0)
                continue
            self._pace.success()
            return result


class _Conflict(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(f"{key} was created by someone else meanwhile")


def _reason(error: BaseException) -> str:
    """Why one key failed: an AWS error code or an exception name, never its text (which
    may quote the value)."""
    if isinstance(error, SecretSyncError):
        return error.message
    return error_code(error) or type(error).__name__


def _batches(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
