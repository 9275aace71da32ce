"""Writing one Secrets Manager secret: a push makes exactly one new version, and only when
something changes.  Writes are merged onto a fresh read and published with compare-and-swap:
the new version is written under a staging label unique to this push, then AWSCURRENT is moved
to it with ``RemoveFromVersionId`` set to the version just read, which AWS refuses if someone
else moved AWSCURRENT meanwhile.  A write is refused while a rotation could undo it, and before
it would exceed AWS's size limit or overwrite a key changed since the plan was made.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from secretsync_hooks import interrupts, text
from secretsync_hooks.errors import Interrupted, RemoteError, WriteConflict
from secretsync_hooks.models import SyncPlan
from secretsync_hooks.remote.aws import error_code
from secretsync_hooks.remote.base import ApplyResult, Progress, RemoteSnapshot
from secretsync_hooks.remote.secrets_manager.rotation import SecretsManagerRotation

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager.type_defs import CreateSecretResponseTypeDef

MAX_SECRET_BYTES = 65_536
CAS_ATTEMPTS = 5


class SecretsManagerWriting(SecretsManagerRotation):
    """What writes the secret: checks, then one new version published by compare-and-swap."""

    def validate(self, plan: SyncPlan, snapshot: RemoteSnapshot) -> None:
        """The merged document must fit AWS's limit; apply() checks it again on the fresh
        copy it merges onto, right before writing."""
        if not plan.is_empty:
            self._check_size(plan.applied_to(snapshot.values), {}, {op.key for op in plan.ops})

    def _check_size(
        self, merged: Mapping[str, str], json_texts: Mapping[str, str], touched: set[str]
    ) -> str:
        document = _document(merged, json_texts, touched)
        size = len(document.encode("utf-8"))
        if size > MAX_SECRET_BYTES:
            largest = sorted(merged, key=lambda k: len(merged[k].encode("utf-8")), reverse=True)
            shown = ", ".join(
                f"{text.shown(k)} ({len(merged[k].encode('utf-8'))} bytes)" for k in largest[:5]
            )
            raise RemoteError(
                f"secret {self.target} would be {size} bytes, over AWS's limit of "
                f"{MAX_SECRET_BYTES}; nothing was written",
                hint=f"Largest values: {shown}. Move large values elsewhere or split the secret.",
            )
        return document

    def apply(
        self, plan: SyncPlan, snapshot: RemoteSnapshot, progress: Progress | None = None
    ) -> ApplyResult:
        if plan.is_empty:
            return ApplyResult()
        touched = {op.key for op in plan.ops}
        if not snapshot.exists:
            if self.is_arn:
                raise RemoteError(
                    f"secret {self.target} does not exist, and a secret cannot be created "
                    "from an ARN",
                    hint='Create it in its account, or name it with secret_name = "NAME".',
                )
            created = self._create(plan, touched)
            if created is not None:
                return created
        else:
            self._check_rotation()
        published: set[str] = set()
        for _ in range(CAS_ATTEMPTS):
            fresh, json_texts = self._read()
            if fresh.version in published:
                # Our version is AWSCURRENT after all: the move succeeded but its answer was
                # lost, and botocore's retry of it was refused.
                return ApplyResult(applied=plan.ops, version=fresh.version)
            if not fresh.exists:
                raise RemoteError(
                    f"secret {self.target} was deleted while secretsync was writing to it; "
                    "nothing was written",
                    hint="Run the command again to create it.",
                )
            _refuse_touched_keys_changed_since(self.target, plan, snapshot, fresh)
            merged = plan.applied_to(fresh.values)
            if merged == dict(fresh.values):
                return ApplyResult(applied=(), version=fresh.version)
            document = self._check_size(merged, json_texts, touched)
            token = str(uuid.uuid4())
            published.add(token)
            # A secret with no value yet has no AWSCURRENT to compare against: its first
            # version takes AWSCURRENT by itself (PutSecretValue's documented behaviour).
            expected = None if fresh.no_value else fresh.version
            version = self._publish(document, expected, token, plan)
            if version is not None:
                if progress is not None:
                    progress(len(plan.ops), len(plan.ops), plan.ops[-1].key)
                return ApplyResult(applied=plan.ops, version=version)
        raise RemoteError(
            f"secret {self.target} kept changing under secretsync ({CAS_ATTEMPTS} attempts); "
            "nothing was written",
            hint="Someone else is writing to it right now; retry in a moment.",
        )

    def _create(self, plan: SyncPlan, touched: set[str]) -> ApplyResult | None:
        """Create the secret; None if someone else created it first (then merge onto theirs)."""
        merged = plan.applied_to({})
        document = self._check_size(merged, {}, touched)
        token = str(uuid.uuid4())
        kwargs: dict[str, Any] = {
            "Name": self.target,
            "SecretString": document,
            "ClientRequestToken": token,
        }
        if self.settings.kms_key_id:
            kwargs["KmsKeyId"] = self.settings.kms_key_id
        if self.settings.description:
            kwargs["Description"] = self.settings.description
        if self.settings.tags:
            kwargs["Tags"] = [{"Key": k, "Value": v} for k, v in self.settings.tags.items()]
        response: CreateSecretResponseTypeDef | None = None
        try:
            with interrupts.critical():  # one call: let it finish, then report exactly
                response = self._create_call(kwargs)
        except KeyboardInterrupt:
            if response:
                raise _interrupted_after(self.target, plan) from None
            raise
        if response is None:
            return None
        version = response.get("VersionId", token)
        return ApplyResult(applied=plan.ops, version=version, identity=response.get("ARN"))

    def _create_call(self, kwargs: dict[str, Any]) -> CreateSecretResponseTypeDef | None:
        with self._session.translate("secretsmanager:CreateSecret", f"secret {self.target}"):
            try:
                response = self._client.create_secret(**kwargs)
            except Exception as exc:
                code = error_code(exc)
                if code == "ResourceExistsException":
                    return None
                if code == "InvalidRequestException":
                    self._raise_if_scheduled_for_deletion()
                raise
        return response

    def _publish(
        self, document: str, expected: str | None, token: str, plan: SyncPlan, what: str = "push"
    ) -> str | None:
        """Write ``document`` as a new version and make it AWSCURRENT if ``expected`` still is.

        Returns the new VersionId, or None when AWSCURRENT moved meanwhile (the new version is
        left without labels, so AWS treats it as deprecated and cleans it up).  The staging
        label of this push is removed whatever happens (AWS allows 20 labels per secret).

        The three calls run to their end even on Ctrl-C or SIGTERM (each is bounded by the
        client's timeouts): then the interrupt is reported with the exact outcome, where an
        aborted call would leave it unknown whether AWSCURRENT moved.
        """
        label = f"secretsync-{token}"  # unique per push: two pushers never share a label
        published: str | None = None
        try:
            with interrupts.critical():
                try:
                    published = self._put_and_move(document, expected, token, label)
                finally:
                    self._remove_label(label, token)
        except KeyboardInterrupt:
            if published is not None:
                raise _interrupted_after(self.target, plan, what) from None
            raise
        return published

    def _put_and_move(
        self, document: str, expected: str | None, token: str, label: str
    ) -> str | None:
        resource = f"secret {self.target}"
        with self._session.translate("secretsmanager:PutSecretValue", resource):
            try:
                self._client.put_secret_value(
                    SecretId=self.target,
                    SecretString=document,
                    ClientRequestToken=token,
                    VersionStages=[label],
                )
            except Exception as exc:
                if error_code(exc) == "InvalidRequestException":
                    self._raise_if_scheduled_for_deletion()
                raise
        if expected is None:
            # The first value of the secret: AWSCURRENT is ours unless another first value
            # won the race, and then the caller merges onto that one.
            now, _ = self._read()
            return token if now.version == token else None
        with self._session.translate("secretsmanager:UpdateSecretVersionStage", resource):
            try:
                self._client.update_secret_version_stage(
                    SecretId=self.target,
                    VersionStage="AWSCURRENT",
                    MoveToVersionId=token,
                    RemoveFromVersionId=expected,
                )
            except Exception as exc:
                if error_code(exc) != "InvalidParameterException":
                    raise
                return None  # AWSCURRENT is no longer on `expected`: someone else wrote
        return token

    def _remove_label(self, label: str, token: str) -> None:
        try:
            self._client.update_secret_version_stage(
                SecretId=self.target, VersionStage=label, RemoveFromVersionId=token
            )
        except Exception as exc:
            if error_code(exc) in ("ResourceNotFoundException", "InvalidParameterException"):
                return  # the put never landed (or was refused): there is no label to remove
            self.warnings.append(
                f"could not remove the staging label {label} from version {token} of secret "
                f"{self.target} ({error_code(exc) or type(exc).__name__}); remove it with "
                f"`aws secretsmanager update-secret-version-stage --secret-id {self.target} "
                f"--version-stage {label} --remove-from-version-id {token}`"
            )


def _interrupted_after(target: str, plan: SyncPlan, what: str = "push") -> Interrupted:
    keys = text.keys(op.key for op in plan.ops)
    return Interrupted(
        f"interrupted, but the {what} to secret {target} had completed: applied {keys}",
        hint="Run `secretsync diff` to see the state of both sides.",
    )


def _document(merged: Mapping[str, str], json_texts: Mapping[str, str], touched: set[str]) -> str:
    """The JSON object for ``merged``: keys the push sets are strings; every other key keeps
    its JSON value exactly (a number stays a number, ``null`` stays ``null``)."""
    parts = []
    for key, value in merged.items():
        kept = json_texts.get(key) if key not in touched else None
        text = kept if kept is not None else json.dumps(value, ensure_ascii=False)
        parts.append(json.dumps(key, ensure_ascii=False) + ":" + text)
    return "{" + ",".join(parts) + "}"


def _refuse_touched_keys_changed_since(
    target: str, plan: SyncPlan, snapshot: RemoteSnapshot, fresh: RemoteSnapshot
) -> None:
    """Refuse if a key the plan touches changed remotely since ``snapshot``.

    A key that someone else already set to the value the plan wants is not a conflict.
    """
    conflicts = [
        op.key
        for op in plan.ops
        if fresh.values.get(op.key) != snapshot.values.get(op.key)
        and fresh.values.get(op.key) != op.value
    ]
    if conflicts:
        raise WriteConflict(target, conflicts)
