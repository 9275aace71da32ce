"""Writing SSM Parameter Store parameters under a path.  SSM has no transactions and no batch
put, and its write quota is a few calls per second, so writes run with bounded concurrency and
retry throttling and ``TooManyUpdates`` (which botocore never retries) with jittered
exponential backoff (``retrying.py``).  New keys are created with ``Overwrite=False`` (the
only atomic create-if-absent); existing ones are re-read before they are overwritten and
refused if their ``Version`` moved since the snapshot.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any

from secretsync_hooks import interrupts
from secretsync_hooks.errors import SecretSyncError, TagsNotApplied, WriteConflict
from secretsync_hooks.models import Action, KeyOp, SyncPlan
from secretsync_hooks.remote.aws import error_code
from secretsync_hooks.remote.base import ApplyResult, Progress, RemoteSnapshot
from secretsync_hooks.remote.parameter_store.reading import BATCH, in_batches
from secretsync_hooks.remote.parameter_store.retrying import ParameterStoreRetrying
from secretsync_hooks.remote.parameter_store.run import (
    ApplyRun,
    KeyConflict,
    Untagged,
    failure_reason,
    tag_hints,
)
from secretsync_hooks.remote.parameter_store.validation import MAX_VALUE_BYTES

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient

DESCRIBED_FRESH = 2.0  # seconds for which the Versions validate() read stand for a re-check
AMI_DATA_TYPE = "aws:ec2:image"
AMI_CONFIRM_SECONDS = 10.0  # how long a write of an AMI id may take to be validated and stored


class ParameterStoreWriting(ParameterStoreRetrying):
    """What writes a plan: one paced, retried call per key set, batches of deletes."""

    def apply(
        self, plan: SyncPlan, snapshot: RemoteSnapshot, progress: Progress | None = None
    ) -> ApplyResult:
        if plan.is_empty:
            return ApplyResult()
        # Refuse before writing anything if a parameter already moved (validate() read the
        # Versions of those it updates); each one is checked again right before its own
        # write, which may come many seconds later at 3 writes/s.
        moved = self._moved(plan.ops, snapshot, described=True)
        if moved:
            raise WriteConflict(self.target, moved)
        # botocore clients are made here, before the writer threads start: creating one is not
        # thread-safe (boto/botocore#2991).
        self._client  # noqa: B018
        self._writer  # noqa: B018
        run = ApplyRun(plan, progress)
        sets = [op for op in plan.ops if op.action is not Action.DELETE]
        deletes = [op for op in plan.ops if op.action is Action.DELETE]
        pool = ThreadPoolExecutor(max_workers=min(self._writers, max(1, len(sets))))
        try:
            for future in [pool.submit(self._put_one, op, snapshot, run) for op in sets]:
                future.result()  # workers record every outcome; they never raise
            if not run.failed:
                for batch in in_batches(deletes, BATCH):
                    with interrupts.critical():  # one call: let it finish, then stop
                        self._delete_batch(batch, snapshot, run)
        except KeyboardInterrupt:
            run.stop.set()
            with interrupts.critical(deliver=False):
                pool.shutdown(wait=True, cancel_futures=True)
            raise run.interrupted(self.target) from None
        finally:
            pool.shutdown(wait=True)
        return run.result(self.target, self._session.profile_name)

    def _put_one(self, op: KeyOp, snapshot: RemoteSnapshot, run: ApplyRun) -> None:
        if run.stop.is_set():
            return  # interrupted: not attempted
        try:
            version = self._put(op, snapshot)
        except BaseException as exc:  # recorded, then reported together
            run.record(op, exc)
        else:
            run.record(op, None, version)

    def _delete_batch(
        self, batch: Sequence[KeyOp], snapshot: RemoteSnapshot, run: ApplyRun
    ) -> None:
        try:
            moved = set(self._moved(batch, snapshot))
            for op in batch:
                if op.key in moved:
                    run.record(op, KeyConflict(op.key))
            ready = [op for op in batch if op.key not in moved]
            if ready:
                self._retrying(partial(self._delete, ready))
        except BaseException as exc:
            for op in batch:
                if op.key not in run.done:
                    run.record(op, exc)
        else:
            for op in ready:
                run.record(op, None)

    def _moved(
        self,
        ops: Sequence[KeyOp],
        snapshot: RemoteSnapshot,
        described: bool = False,
        client: SSMClient | None = None,
        translate: bool = True,
    ) -> list[str]:
        """Keys among ``ops`` whose parameter changed since ``snapshot`` (a new Version, or
        gone when the plan overwrites it); read without decryption (no kms:Decrypt).  With
        ``described``, the Versions validate() has just read (not before a prompt) come
        without another call."""
        fresh = time.monotonic() - self._described_at < DESCRIBED_FRESH
        known = self._existing if described and fresh else {}
        current = {key: int(known[key]["Version"]) for key in known if "Version" in known[key]}
        touched = [op.key for op in ops if op.key in snapshot.versions and op.key not in current]

        reader = client or self._client  # made here, not in a worker thread (botocore#2991)

        def read(batch: Sequence[str]) -> Any:
            names = [self.name(k) for k in batch]
            return reader.get_parameters(Names=names, WithDecryption=False)

        batches = list(in_batches(touched, BATCH))
        if not translate:
            responses = self._each(read, batches) if touched else []
        else:
            with self._session.translate("ssm:GetParameters", f"parameters under {self.target}"):
                responses = self._each(read, batches) if touched else []
        for response in responses:
            for parameter in response.get("Parameters", []):
                current[parameter["Name"][len(self.target) :]] = int(parameter["Version"])
        moved = []
        for op in ops:
            if op.key not in snapshot.versions:
                continue
            now = current.get(op.key)
            if now is None and op.action is Action.DELETE:
                continue  # already gone: the delete is done
            if now != snapshot.versions[op.key]:
                moved.append(op.key)
        return moved

    def _put(self, op: KeyOp, snapshot: RemoteSnapshot) -> str | None:
        """Write one key; return its new Version (None if that is not known)."""
        exists = op.key in snapshot.versions
        kwargs = self._put_arguments(op, snapshot)
        version: str | None = None

        def unmoved() -> None:
            # SSM has no compare-and-swap: re-reading in the write's own paced slot, right
            # before it, narrows the window in which another writer's change can be
            # overwritten to one round trip (not the wait for a slot, seconds at 3 writes/s).
            # One attempt, AWS's own errors: a throttled or failed check is retried in the
            # pace (see _retrying), where botocore's own retries would wait blind, then fail.
            if self._moved([op], snapshot, client=self._writer, translate=False):
                raise KeyConflict(op.key)

        try:
            response = self._retrying(
                lambda: self._writer.put_parameter(**kwargs), before=unmoved if exists else None
            )
            version = str(response["Version"]) if "Version" in response else None
        except Exception as exc:
            if error_code(exc) != "ParameterAlreadyExists":
                raise
            # Ours, if botocore retried a create whose answer was lost; else someone else's.
            if self._current_value(op.key) != op.value:
                raise KeyConflict(op.key) from None
        if kwargs.get("DataType") == AMI_DATA_TYPE:
            self._confirm_stored(op, version)
        if exists and self.settings.tags:
            try:
                self._tag(op.key)
            except Exception as exc:
                # The value is written: only the tags are missing, and a rerun adds them.
                raise Untagged(version, exc) from exc
        return version

    def _tag(self, key: str) -> None:
        """Tag an existing parameter with the config's tags (new ones are tagged on creation:
        Tags together with Overwrite is a ValidationException)."""
        self._retrying(
            lambda: self._writer.add_tags_to_resource(
                ResourceType="Parameter",
                ResourceId=self.name(key),
                Tags=[{"Key": k, "Value": v} for k, v in self.settings.tags.items()],
            )
        )

    def apply_tags(self, keys: Sequence[str]) -> tuple[str, ...]:
        """Add the config's tags to ``keys`` (whose values an earlier push wrote but could not
        tag); the keys tagged.  Raises :class:`TagsNotApplied` naming those still untagged."""
        if not keys or not self.settings.tags:
            return ()
        self._writer  # noqa: B018 - made here, not in a worker thread (botocore#2991)
        failed: dict[str, str] = {}
        for key in keys:
            try:
                self._tag(key)
            except Exception as exc:
                failed[key] = failure_reason(exc)
        if failed:
            hints = tag_hints(failed, self.target, self._session.profile_name)
            raise TagsNotApplied(self.target, failed, hints)
        return tuple(keys)

    def _confirm_stored(self, op: KeyOp, version: str | None) -> None:
        """AWS checks an aws:ec2:image value (an AMI that exists in this account and region)
        after answering PutParameter, and an invalid one is simply not stored: wait, bounded,
        until the parameter holds the value, else fail the key."""
        deadline = time.monotonic() + AMI_CONFIRM_SECONDS
        delay = 0.25
        while True:
            response = self._retrying(
                lambda: self._writer.get_parameter(Name=self.name(op.key), WithDecryption=True)
            )
            stored = response.get("Parameter", {})
            current = str(stored.get("Version")) if stored.get("Version") is not None else None
            if stored.get("Value") == op.value and (version is None or current == version):
                return
            if time.monotonic() + delay > deadline:
                raise _NotStored(op.key)
            self._sleep(delay)
            delay = min(delay * 2, 2.0)

    def _put_arguments(self, op: KeyOp, snapshot: RemoteSnapshot) -> dict[str, Any]:
        """PutParameter's arguments for ``op``: type, KMS key, tier and tags as AWS needs."""
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
        existing = self._existing.get(op.key) if exists else None
        if kind == "SecureString":
            # PutParameter without KeyId re-encrypts a SecureString with the account's default
            # key (aws/ssm), silently moving it off a customer-managed key: an update names
            # the parameter's own key; kms_key_id in the config is for new parameters.
            key_id = existing.get("KeyId") if existing else self.settings.kms_key_id
            if key_id:
                kwargs["KeyId"] = key_id
        # AWS does not let a write change a parameter's DataType to or from aws:ec2:image; an
        # update that names none would ask for "text".
        data_type = snapshot.data_types.get(op.key) if exists else None
        if data_type:
            kwargs["DataType"] = data_type
        if not exists:
            kwargs["Tier"] = self.settings.tier
            if self.settings.tags:
                # Tags with Overwrite=True is a ValidationException: tag on create only.
                kwargs["Tags"] = [{"Key": k, "Value": v} for k, v in self.settings.tags.items()]
        elif existing is not None and existing.get("Tier"):
            # An update that names no tier takes the account's default tier setting: set to
            # Advanced (or Intelligent-Tiering choosing it), every update would turn a Standard
            # parameter into a paid Advanced one for good.  Name its own tier, unless it needs
            # an upgrade the config allows (validate() refused the rest).
            upgrade = (
                existing["Tier"] != "Advanced"
                and len(op.value.encode("utf-8")) > MAX_VALUE_BYTES["Standard"]
            )
            kwargs["Tier"] = self.settings.tier if upgrade else existing["Tier"]
        return kwargs

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


class _NotStored(SecretSyncError):
    def __init__(self, key: str) -> None:
        super().__init__(
            f"not stored by AWS within {AMI_CONFIRM_SECONDS:g} s (an aws:ec2:image value must "
            "be an AMI id that exists in this account and region)"
        )
        self.key = key
