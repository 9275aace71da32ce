"""One SSM Parameter Store parameter per key, directly under a path.

SSM has no transactions and no batch put, and its write quota is a few calls per second, so
writes run with bounded concurrency and retry throttling and ``TooManyUpdates`` (which botocore
never retries) with jittered exponential backoff.  New keys are created with ``Overwrite=False``
(the only atomic create-if-absent); existing ones are re-read before they are overwritten and
refused if their ``Version`` moved since the snapshot.
"""

from __future__ import annotations

import datetime
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from secretsync_hooks import interrupts, text
from secretsync_hooks.config.settings import ParameterStoreSettings
from secretsync_hooks.errors import (
    PartialApplyError,
    RemoteError,
    SecretSyncError,
    TagsNotApplied,
    WriteConflict,
    interrupted_report,
)
from secretsync_hooks.models import Action, KeyOp, SyncPlan
from secretsync_hooks.remote.aws import AwsSession, error_code
from secretsync_hooks.remote.aws_errors import write_failure_hint
from secretsync_hooks.remote.base import (
    EMPTY,
    ApplyResult,
    Backend,
    Progress,
    RemoteSnapshot,
    Revision,
    Rollback,
    changes,
    check_unicode,
)
from secretsync_hooks.remote.ratelimit import AdaptivePace, CheckedSend
from secretsync_hooks.timeline import timepoint

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
DESCRIBED_FRESH = 2.0  # seconds for which the Versions validate() read stand for a re-check
AMI_DATA_TYPE = "aws:ec2:image"
AMI_CONFIRM_SECONDS = 10.0  # how long a write of an AMI id may take to be validated and stored

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient

T = TypeVar("T")


@dataclass(frozen=True)
class _Invalid:
    key: str
    problem: str


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


class ParameterStoreBackend(Backend):
    kind = "parameter_store"
    writes_per_key = True

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
        self._checked = CheckedSend(sleep=sleep)
        self.warnings: list[str] = []
        self._existing: dict[str, dict[str, Any]] = {}  # metadata read by validate()
        self._described_at = -1e9

    @property
    def _client(self) -> SSMClient:
        return self._session.client("ssm")

    @property
    def _writer(self) -> SSMClient:
        # Writes retry in _retrying, paced: botocore's own backoff would hide the throttling.
        return self._session.client("ssm", attempts=1)

    def name(self, key: str) -> str:
        return self.target + key

    # -- reading ---------------------------------------------------------------------------
    def read(self) -> RemoteSnapshot:
        values: dict[str, str] = {}
        versions: dict[str, int] = {}
        types: dict[str, str] = {}
        data_types: dict[str, str] = {}
        modified: dict[str, datetime.datetime] = {}
        newest = None
        identity: str | None = None
        path = self.target.rstrip("/") or "/"
        kwargs: dict[str, Any] = {
            "Path": path,
            "Recursive": False,  # deeper levels belong to other tools; never mix them in
            "WithDecryption": True,
            "MaxResults": BATCH,
        }
        with self._session.translate("ssm:GetParametersByPath", f"parameters under {self.target}"):
            for page in self._pages(self._client.get_parameters_by_path, kwargs):
                for parameter in page.get("Parameters", []):
                    full = parameter["Name"]
                    if not full.startswith(self.target) or "/" in full[len(self.target) :]:
                        continue  # defensive: not a direct child of the path
                    key = full[len(self.target) :]
                    arn = parameter.get("ARN")
                    if identity is None and isinstance(arn, str) and arn.endswith(key):
                        # arn:aws:ssm:REGION:ACCOUNT:parameter/PATH/KEY -> the path's identity
                        identity = arn[: len(arn) - len(key)]
                    values[key] = parameter.get("Value", "")
                    versions[key] = int(parameter.get("Version", 0))
                    types[key] = parameter.get("Type", "String")
                    data_types[key] = parameter.get("DataType") or "text"
                    changed = parameter.get("LastModifiedDate")
                    if changed is not None:
                        modified[key] = changed
                        if newest is None or changed > newest:
                            newest = changed
        check_unicode(f"parameters under {self.target}", values)
        return RemoteSnapshot(
            values=values,
            exists=bool(values),
            versions=versions,
            types=types,
            last_changed=newest,
            identity=identity,
            modified=modified,
            data_types=data_types,
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
            for page in self._pages(self._client.describe_parameters, kwargs):
                for parameter in page.get("Parameters", []):
                    rest = parameter["Name"][len(self.target) :]
                    if parameter["Name"].startswith(self.target) and "/" in rest:
                        names.append(parameter["Name"])
        return tuple(sorted(names))

    # -- validation --------------------------------------------------------------------------
    def validate(self, plan: SyncPlan, snapshot: RemoteSnapshot) -> None:
        """Refuse, before any write, every key AWS would refuse, listing them all at once.

        Names and values are checked as they are; a value's size against the tier it will
        have, which for an existing parameter is its own (an Advanced parameter holds 8 KB
        whatever the config says), read with one metadata-only DescribeParameters call per
        50 parameters updated, with their KMS keys (see :meth:`_put`).
        """
        updated = [
            op.key for op in plan.ops if op.value is not None and op.key in snapshot.versions
        ]
        self._existing = self._describe(updated) if updated else {}
        self._described_at = time.monotonic()
        problems = list(self._invalid(plan.ops))
        if not problems:
            return
        by_problem: dict[str, list[str]] = {}
        for item in problems:
            by_problem.setdefault(item.problem, []).append(item.key)
        lines = [f"  {problem}: {text.keys(keys)}" for problem, keys in by_problem.items()]
        fixes = [f"{text.keys(keys)}: {_fix(problem)}." for problem, keys in by_problem.items()]
        refused = text.count(len({item.key for item in problems}), "key")
        raise RemoteError(
            f"Parameter Store would refuse {refused} under {self.target}:\n" + "\n".join(lines),
            hint="\n".join([*fixes, "Nothing was written."]),
        )

    def cannot_hold(self, local: Mapping[str, str], snapshot: RemoteSnapshot) -> list[str]:
        """The keys a push would send that Parameter Store would refuse (checked as validate()
        does, without its metadata call: an existing parameter's size against 8 KB, the most
        any tier holds), each with what to do."""
        ops = [
            KeyOp(key, Action.UPDATE if key in snapshot.values else Action.ADD, value)
            for key, value in local.items()
            if snapshot.values.get(key) != value
        ]
        by_problem: dict[str, list[str]] = {}
        for item in self._invalid(ops, metadata=False):
            by_problem.setdefault(item.problem, []).append(item.key)
        return [
            f"Parameter Store cannot hold {text.keys(keys)} ({problem}): {_fix(problem)}"
            for problem, keys in by_problem.items()
        ]

    def _describe(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Tier, type and KMS key of existing parameters (metadata only, no values)."""
        found: dict[str, dict[str, Any]] = {}

        def describe(batch: Sequence[str]) -> list[Any]:
            kwargs: dict[str, Any] = {
                "ParameterFilters": [
                    {"Key": "Name", "Option": "Equals", "Values": [self.name(k) for k in batch]}
                ],
                "MaxResults": 50,
            }
            pages = self._pages(self._client.describe_parameters, kwargs)
            return [parameter for page in pages for parameter in page.get("Parameters", [])]

        with self._session.translate("ssm:DescribeParameters", f"parameters under {self.target}"):
            for parameters in self._each(describe, list(_batches(keys, 50))):  # 50 names a filter
                for parameter in parameters:
                    found[parameter["Name"][len(self.target) :]] = parameter
        return found

    def _each(self, call: Callable[[Sequence[str]], T], batches: list[Sequence[str]]) -> list[T]:
        """``call`` for each batch of names, several at once when there are several: each is
        a chain of calls (pages), and one chain need not wait for another."""
        if len(batches) <= 1:
            return [call(batch) for batch in batches]
        with ThreadPoolExecutor(max_workers=min(self._writers, len(batches))) as pool:
            return list(pool.map(call, batches))

    def _tier_limit(self, key: str, metadata: bool = True) -> tuple[int, str]:
        """The size a value of ``key`` may have, and the tier that allows it (without the
        metadata of existing parameters: the most any tier allows)."""
        if not metadata:
            return MAX_VALUE_BYTES["Advanced"], "Advanced"
        existing = self._existing.get(key)
        upgrades = self.settings.tier in ("Advanced", "Intelligent-Tiering")
        if existing is not None and (existing.get("Tier") == "Advanced" or upgrades):
            return MAX_VALUE_BYTES["Advanced"], "Advanced" if not upgrades else self.settings.tier
        if existing is not None:
            return MAX_VALUE_BYTES["Standard"], "Standard"
        return MAX_VALUE_BYTES[self.settings.tier], self.settings.tier

    def _invalid(self, ops: Iterable[KeyOp], metadata: bool = True) -> Iterable[_Invalid]:
        region = self._session.region or "us-east-1"
        budget = ARN_BUDGET - len(f"arn:aws:ssm:{region}:123456789012:parameter")
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
            # AWS reserves names whose first level starts with aws or ssm (any case):
            # /myapp/prod/AWS_REGION and /myapp/aws/x are valid, /aws/x and /ssm-x/y are not.
            if levels and levels[0].lower().startswith(("aws", "ssm")):
                yield _Invalid(key, "the name starts with 'aws' or 'ssm', which AWS reserves")
            if op.value is None:
                continue
            if op.value == "":
                yield _Invalid(key, EMPTY_VALUE)
            if "{{" in op.value:
                yield _Invalid(key, "value contains '{{' (SSM rejects it)")
            limit, tier = self._tier_limit(key, metadata or op.action is Action.ADD)
            if len(op.value.encode("utf-8")) > limit:
                yield _Invalid(key, f"value over {limit} bytes on the {tier} tier")

    # -- history ---------------------------------------------------------------------------
    def history(
        self, limit: int, key: str | None = None, *, decrypt: bool = False
    ) -> list[Revision]:
        """Without ``key``: each parameter's last change (DescribeParameters, metadata only),
        newest first.  With ``key``: that parameter's versions, newest first, at most
        ``limit`` (GetParameterHistory; values decrypted only with ``decrypt``)."""
        if key is None:
            return self._last_changes()
        found = self._versions(key, decrypt=decrypt)
        # Versions count from 1, and AWS keeps a parameter's last 100: an oldest version
        # above 1 had versions before it that are gone, so what it changed is not known.
        oldest = min((int(p.get("Version", 0)) for p in found), default=0)
        return [
            Revision(
                version=str(p.get("Version")),
                created=p.get("LastModifiedDate"),
                labels=tuple(p.get("Labels", ())),
                who=p.get("LastModifiedUser"),
                key=key,
                added=(key,) if int(p.get("Version", 0)) == 1 else (),
                changed=() if int(p.get("Version", 0)) in (1, oldest) else (key,),
                known=int(p.get("Version", 0)) != oldest or oldest == 1,
                values={key: p["Value"]} if decrypt and "Value" in p else EMPTY,
            )
            for p in found[:limit]
        ]

    def _versions(self, key: str, *, decrypt: bool) -> list[Any]:
        """Every version of ``key`` AWS keeps (its last 100), newest first."""
        name = self.name(key)
        kwargs: dict[str, Any] = {"Name": name, "WithDecryption": decrypt, "MaxResults": 50}
        found: list[Any] = []
        with self._session.translate("ssm:GetParameterHistory", f"parameter {name}"):
            try:
                for page in self._pages(self._client.get_parameter_history, kwargs):
                    found.extend(page.get("Parameters", []))
            except Exception as exc:
                if error_code(exc) == "ParameterNotFound":
                    raise RemoteError(
                        f"no parameter {name} (a deleted parameter keeps no history)"
                    ) from None
                raise
        found.sort(key=lambda p: int(p.get("Version", 0)), reverse=True)
        return found

    # -- rollback --------------------------------------------------------------------------
    def rollback(self, to: str, snapshot: RemoteSnapshot, *, prune: bool = False) -> Rollback:
        """Every key as it was at the point in time ``to``: a key changed since gets back the
        value it had then (from its history: one GetParameterHistory per key changed, none
        for the rest); a key created since is deleted only with ``prune``.

        A parameter deleted and created again starts a new history (AWS keeps none across
        a deletion): it reads as created since.  Keys deleted since are not under the path
        any more, so nothing here can name or restore them.
        """
        try:
            when = timepoint.parse(to)
        except SecretSyncError as exc:
            exc.hint = (
                "Parameter Store keeps versions per parameter, so a rollback goes back to a "
                f"point in time, such as --to {timepoint.EXAMPLE} (UTC); `secretsync history` "
                "shows when each key changed."
            )
            raise
        wanted: dict[str, str] = {}
        created: list[str] = []
        lost: list[str] = []
        for key, value in snapshot.values.items():
            changed = snapshot.modified.get(key)
            if changed is not None and changed <= when:
                wanted[key] = value  # unchanged since
                continue
            versions = self._versions(key, decrypt=True)
            then = [
                v for v in versions if v.get("LastModifiedDate") and v["LastModifiedDate"] <= when
            ]
            if then:
                wanted[key] = str(then[0].get("Value", ""))
            elif min((int(v.get("Version", 0)) for v in versions), default=1) <= 1:
                created.append(key)  # its first version came after the time
            else:
                lost.append(key)  # more than 100 versions since: AWS dropped the older ones
                wanted[key] = value
        plan = changes(snapshot.values, wanted, delete=False)
        if prune:
            plan = plan._replace(ops=plan.ops + tuple(KeyOp(k, Action.DELETE) for k in created))
        return Rollback(
            to=timepoint.shown(when),
            plan=plan,
            kept=() if prune else tuple(sorted(created)),
            lost=tuple(sorted(lost)),
        )

    def _last_changes(self) -> list[Revision]:
        path = self.target.rstrip("/") or "/"
        kwargs: dict[str, Any] = {
            "ParameterFilters": [{"Key": "Path", "Option": "OneLevel", "Values": [path]}],
            "MaxResults": 50,
        }
        revisions = []
        with self._session.translate("ssm:DescribeParameters", f"parameters under {self.target}"):
            for page in self._pages(self._client.describe_parameters, kwargs):
                for p in page.get("Parameters", []):
                    full = p["Name"]
                    if not full.startswith(self.target) or "/" in full[len(self.target) :]:
                        continue
                    revisions.append(
                        Revision(
                            version=str(p.get("Version")),
                            created=p.get("LastModifiedDate"),
                            who=p.get("LastModifiedUser"),
                            key=full[len(self.target) :],
                            known=False,
                        )
                    )
        revisions.sort(key=lambda r: r.created or _EPOCH, reverse=True)
        return revisions

    @staticmethod
    def _pages(call: Callable[..., Any], kwargs: dict[str, Any]) -> Iterable[Any]:
        """Every page of a paginated call; a page may be empty and still carry a NextToken."""
        while True:
            page = call(**kwargs)
            yield page
            token = page.get("NextToken")
            if not token:
                return
            kwargs = {**kwargs, "NextToken": token}

    # -- writing ---------------------------------------------------------------------------
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
        run = _Run(plan, progress)
        sets = [op for op in plan.ops if op.action is not Action.DELETE]
        deletes = [op for op in plan.ops if op.action is Action.DELETE]
        pool = ThreadPoolExecutor(max_workers=min(self._writers, max(1, len(sets))))
        try:
            for future in [pool.submit(self._put_one, op, snapshot, run) for op in sets]:
                future.result()  # workers record every outcome; they never raise
            if not run.failed:
                for batch in _batches(deletes, BATCH):
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

    def _put_one(self, op: KeyOp, snapshot: RemoteSnapshot, run: _Run) -> None:
        if run.stop.is_set():
            return  # interrupted: not attempted
        try:
            version = self._put(op, snapshot)
        except BaseException as exc:  # recorded, then reported together
            run.record(op, exc)
        else:
            run.record(op, None, version)

    def _delete_batch(self, batch: Sequence[KeyOp], snapshot: RemoteSnapshot, run: _Run) -> None:
        try:
            moved = set(self._moved(batch, snapshot))
            for op in batch:
                if op.key in moved:
                    run.record(op, _Conflict(op.key))
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

        batches = list(_batches(touched, BATCH))
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
                raise _Conflict(op.key)

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
                raise _Conflict(op.key) from None
        if kwargs.get("DataType") == AMI_DATA_TYPE:
            self._confirm_stored(op, version)
        if exists and self.settings.tags:
            try:
                self._tag(op.key)
            except Exception as exc:
                # The value is written: only the tags are missing, and a rerun adds them.
                raise _Untagged(version, exc) from exc
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
                failed[key] = _reason(exc)
        if failed:
            hints = _tag_hints(failed, self.target, self._session.profile_name)
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

    def _retrying(self, call: Callable[[], T], before: Callable[[], None] | None = None) -> T:
        """``call`` in a paced slot, after ``before`` (a check that raises to stop it);
        throttling slows the pace, other transient failures (TooManyUpdates, 5xx, dropped
        connections) back off with jitter."""
        from botocore.exceptions import ConnectionError as BotocoreConnectionError
        from botocore.exceptions import HTTPClientError  # dropped connections, read timeouts

        delay = 0.1
        failures = throttles = 0
        while True:
            slot = self._pace.wait()
            try:
                if before is not None:
                    # The check's reads share one quota per account and region with every
                    # other application, and fail as any call can: its throttling and
                    # transient failures are handled as the write's (a conflict it finds is
                    # no AWS error, and stops the write).
                    before()
                    self._checked.send_after(slot)
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


class _Run:
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
            if isinstance(error, _Untagged):
                self.untagged[op.key] = _reason(error.cause)
                version, error = error.version, None
            if error is None:
                self.applied.append(op)
                if version is not None:
                    self.written[op.key] = version
            elif isinstance(error, _Conflict):
                self.conflicts.append(op.key)
            else:
                self.failed[op.key] = _reason(error)
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
            for reason, hint in _tag_hints(self.untagged, target, profile).items():
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
            hints = _tag_hints(self.untagged, target, profile)
            raise TagsNotApplied(target, self.untagged, hints, result)
        return result


class _Conflict(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(f"{key} was created by someone else meanwhile")


class _Untagged(Exception):
    """The value was written (at ``version``), but adding the tags failed with ``cause``."""

    def __init__(self, version: str | None, cause: BaseException) -> None:
        super().__init__("the tags could not be added")
        self.version = version
        self.cause = cause


class _NotStored(SecretSyncError):
    def __init__(self, key: str) -> None:
        super().__init__(
            f"not stored by AWS within {AMI_CONFIRM_SECONDS:g} s (an aws:ec2:image value must "
            "be an AMI id that exists in this account and region)"
        )
        self.key = key


def _tag_hints(failed: dict[str, str], target: str, profile: str | None) -> dict[str, str]:
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


EMPTY_VALUE = "an empty value, which SSM rejects"


def _fix(problem: str) -> str:
    """What to do about a key Parameter Store cannot hold."""
    if problem == EMPTY_VALUE:
        return (
            "remove it from the .env, give it a value, or use Secrets Manager "
            '(type = "secrets_manager"), which holds empty values'
        )
    if f"over {MAX_VALUE_BYTES['Advanced']} bytes" in problem:
        return (
            "8 KB is the most Parameter Store holds: keep such values in Secrets Manager "
            "(64 KB a secret) or elsewhere"
        )
    if "bytes on the" in problem:
        return (
            'set [parameter_store] tier = "Intelligent-Tiering" (or "Advanced", charged per '
            "parameter) for values up to 8 KB, or keep such values elsewhere"
        )
    if "'{{'" in problem:
        return "change the value in the .env (SSM rejects '{{' in a value)"
    return "rename the key in the .env before a push"


def _reason(error: BaseException) -> str:
    """Why one key failed: an AWS error code or an exception name, never its text (which
    may quote the value)."""
    if isinstance(error, SecretSyncError):
        return error.message
    return error_code(error) or type(error).__name__


def _batches(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
