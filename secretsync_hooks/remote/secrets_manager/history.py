"""The history of one Secrets Manager secret, and going back in it: its versions, newest
first, each with the keys it added, changed and removed against the version before it (JSON
types included); a rollback planned to a version (an id, a unique prefix of one, or a staging
label) and restored as a new version made current by compare-and-swap, so the history keeps
every step.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from secretsync_hooks import text
from secretsync_hooks.errors import RefusedError, RemoteError, SecretSyncError
from secretsync_hooks.models import KeyOp, SyncPlan
from secretsync_hooks.remote.aws import error_code
from secretsync_hooks.remote.aws_errors import KMS_UNUSABLE
from secretsync_hooks.remote.base import (
    ApplyResult,
    Progress,
    RemoteSnapshot,
    Revision,
    Rollback,
    changes,
)
from secretsync_hooks.remote.secrets_manager.writing import SecretsManagerWriting

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager.type_defs import GetSecretValueResponseTypeDef

UNDECRYPTABLE = "cannot be decrypted: its KMS key is not usable"
# Secrets Manager keeps about 100 versions: unlabelled ones beyond that are removed.
MAX_VERSIONS_KEPT = 100


class SecretsManagerHistory(SecretsManagerWriting):
    """What reads the secret's past and restores a version of it."""

    def history(
        self, limit: int, key: str | None = None, *, decrypt: bool = False
    ) -> list[Revision]:
        """The secret's versions, newest first, each with the keys it added, changed and
        removed against the version before it: ``limit`` value reads."""
        listed = self._list_versions()
        chosen = listed[:limit]
        documents = [self._version_values(v["VersionId"]) for v in chosen]
        # AWS removes unlabelled versions only while a secret has more than 100: with fewer
        # listed, the oldest listed is the first version there ever was.
        older_unknown = len(listed) > limit or len(listed) >= MAX_VERSIONS_KEPT
        revisions = []
        for index, version in enumerate(chosen):
            # Compared with the nearest older version that could be read: a version whose KMS
            # key is gone is listed, and the one after it is compared across it.
            older = next(
                (j for j in range(index + 1, len(chosen)) if isinstance(documents[j], _Document)),
                None,
            )
            # No older version readable: the first version ever (nothing before it) only
            # when this is the oldest there is; else what it changed is not known.
            first = index + 1 == len(chosen) and not older_unknown
            before: _Document | None = _Document({}, {}) if first else None
            against = None
            if older is not None:
                before = cast(_Document, documents[older])
                against = str(chosen[older]["VersionId"]) if older > index + 1 else None
            revisions.append(_revision(version, documents[index], before, against))
        if key is not None:
            revisions = [
                r for r in revisions if not r.known or key in r.added + r.changed + r.removed
            ]
        return revisions

    def _version_values(self, version_id: str) -> _Document | str | None:
        """The keys and values of one version (with the JSON text of those that are not
        strings); why it cannot be read when its KMS key is no longer usable; None when AWS no
        longer keeps its value or it is not a JSON object."""
        try:
            with self._session.translate("secretsmanager:GetSecretValue", f"secret {self.target}"):
                try:
                    response = self._client.get_secret_value(
                        SecretId=self.target, VersionId=version_id
                    )
                except Exception as exc:
                    if error_code(exc) == "ResourceNotFoundException":
                        return None
                    raise
        except RemoteError as exc:
            if exc.code in KMS_UNUSABLE:
                return UNDECRYPTABLE
            raise
        try:
            values, json_texts, _ = self._decode(response.get("SecretString", ""))
        except RemoteError:
            return None
        return _Document(values, json_texts)

    def rollback(self, to: str, snapshot: RemoteSnapshot, *, prune: bool = False) -> Rollback:
        """The changes that make the secret's content equal to version ``to`` again (a version
        id, a unique prefix of one as ``history`` shows, or a staging label such as
        AWSPREVIOUS): one ListSecretVersionIds and one GetSecretValue."""
        if prune:
            raise SecretSyncError(
                "--prune is for Parameter Store: a Secrets Manager rollback restores the whole "
                "version, deleting the keys added since",
                hint="Run it again without --prune.",
            )
        version = self._resolve_version(to)
        version_id = str(version["VersionId"])
        created = version.get("CreatedDate")
        if version_id == snapshot.version:
            return Rollback(to=version_id, plan=changes({}, {}, delete=True), created=created)
        response = self._restorable(version_id)
        if "SecretString" not in response:
            raise RemoteError(
                f"version {version_id} of secret {self.target} holds binary data, not a JSON "
                "object; it cannot be restored"
            )
        document = response["SecretString"]
        try:
            values, json_texts, _ = self._decode(document)
        except RemoteError as exc:
            exc.message = f"version {version_id}: {exc.message}; it cannot be restored"
            raise
        # Compared as stored, JSON types included: 5432 and "5432" differ, and the restored
        # document brings the old type back.
        typed = changes(
            _typed(snapshot.values, snapshot.json_texts), _typed(values, json_texts), delete=True
        )
        plan = SyncPlan(
            typed.direction,
            tuple(KeyOp(op.key, op.action, values.get(op.key)) for op in typed.ops),
        )
        return Rollback(to=version_id, plan=plan, created=created, document=document)

    def _restorable(self, version_id: str) -> GetSecretValueResponseTypeDef:
        """GetSecretValue of ``version_id``, refused with the reason when AWS no longer keeps
        its value or its KMS key can no longer decrypt it."""
        try:
            with self._session.translate("secretsmanager:GetSecretValue", f"secret {self.target}"):
                try:
                    return self._client.get_secret_value(SecretId=self.target, VersionId=version_id)
                except Exception as exc:
                    if error_code(exc) != "ResourceNotFoundException":
                        raise
                    raise RemoteError(
                        f"version {version_id} of secret {self.target} no longer holds a value "
                        "(AWS removes versions without a staging label)",
                        hint="`secretsync history` lists the versions that can be restored.",
                    ) from None
        except RemoteError as exc:
            if exc.code not in KMS_UNUSABLE:
                raise
            raise RemoteError(
                f"version {version_id} of secret {self.target} {UNDECRYPTABLE}; it cannot be "
                "restored",
                hint="When a secret's KMS key changes, AWS re-encrypts only the versions "
                "labelled AWSCURRENT, AWSPENDING and AWSPREVIOUS: an older version can be read "
                "only while its old key is enabled and grants you kms:Decrypt.",
            ) from None

    def _resolve_version(self, to: str) -> dict[str, Any]:
        listed = self._list_versions()
        wanted = to.strip()
        found = [v for v in listed if v["VersionId"] == wanted] or [
            v for v in listed if wanted in v.get("VersionStages", ())
        ]
        if not found and len(wanted) >= 4:
            found = [v for v in listed if str(v["VersionId"]).startswith(wanted.lower())]
        if len(found) == 1:
            return found[0]
        shown = text.shown(wanted)
        if found:
            raise SecretSyncError(
                f"{shown!r} matches {len(found)} versions of secret {self.target}",
                hint="Give more characters of the version id (`secretsync history` lists them).",
            )
        hint = (
            "Give a version id (or its first 8 characters) or a staging label such as "
            "AWSPREVIOUS; `secretsync history` lists them."
        )
        if wanted[:1].isdigit() and "-" in wanted:
            hint = (
                "Secrets Manager rolls back to a version, not a time: `secretsync history` "
                "lists each version with the time it was made."
            )
        raise SecretSyncError(f"secret {self.target} has no version {shown!r}", hint=hint)

    def restore(
        self, rollback: Rollback, snapshot: RemoteSnapshot, progress: Progress | None = None
    ) -> ApplyResult:
        """Write the chosen version's document back, exactly, as a new version made current by
        compare-and-swap against the version the plan was computed from: the history keeps
        every step, and AWSCURRENT never moves backwards."""
        if rollback.plan.is_empty or rollback.document is None:
            return ApplyResult()
        self._check_rotation()
        token = str(uuid.uuid4())
        version = self._publish(
            rollback.document, snapshot.version, token, rollback.plan, "rollback"
        )
        if version is None and self._read()[0].version == token:
            # Our version is AWSCURRENT after all: the move succeeded but its answer was lost,
            # and botocore's retry of it was refused (the label had already left the version
            # it names), as apply() finds too.
            version = token
        if version is None:
            raise RefusedError(
                f"secret {self.target} changed after the rollback was planned (AWSCURRENT "
                "moved); nothing was written",
                hint="Run the rollback again to see what it would change now.",
            )
        if progress is not None:
            progress(len(rollback.plan.ops), len(rollback.plan.ops), rollback.plan.ops[-1].key)
        return ApplyResult(applied=rollback.plan.ops, version=version)


class _Document(NamedTuple):
    """One version's keys and values, and the JSON text of those that are not strings."""

    values: dict[str, str]
    json_texts: dict[str, str]

    def __repr__(self) -> str:  # never the values
        return f"_Document(keys={sorted(self.values)!r})"


def _revision(
    version: Mapping[str, Any],
    document: _Document | str | None,
    before_document: _Document | None,
    against: str | None = None,
) -> Revision:
    base = Revision(
        version=str(version["VersionId"]),
        created=version.get("CreatedDate"),
        labels=tuple(version.get("VersionStages", ())),
    )
    if isinstance(document, str):
        return base._replace(known=False, unreadable=document)
    if document is None or before_document is None:
        return base._replace(known=False)
    values = document.values
    now, before = _typed(*document), _typed(*before_document)
    added = tuple(k for k in now if k not in before)
    changed = tuple(k for k in now if k in before and before[k] != now[k])
    removed = tuple(k for k in before if k not in now)
    shown = {k: values[k] for k in added + changed}
    return base._replace(
        added=added, changed=changed, removed=removed, values=shown, against=against
    )


def _typed(values: Mapping[str, str], json_texts: Mapping[str, str]) -> dict[str, str]:
    """Each value as the JSON text it is stored as: ``5432`` and ``"5432"`` differ."""
    return {key: json_texts.get(key) or json.dumps(value) for key, value in values.items()}
