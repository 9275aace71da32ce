"""One Secrets Manager secret whose SecretString is a JSON object of key -> string.

A push makes exactly one new version, and only when something changes.  Writes are merged onto
a fresh read and published with compare-and-swap: the new version is written under a staging
label unique to this push, then AWSCURRENT is moved to it with ``RemoveFromVersionId`` set to
the version just read, which AWS refuses if someone else moved AWSCURRENT meanwhile.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import re
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from secretsync_hooks import interrupts, text
from secretsync_hooks.config.settings import SecretsManagerSettings
from secretsync_hooks.errors import (
    Interrupted,
    RefusedError,
    RemoteError,
    SecretSyncError,
    WriteConflict,
)
from secretsync_hooks.models import KeyOp, SyncPlan
from secretsync_hooks.remote.aws import AwsSession, error_code
from secretsync_hooks.remote.aws_errors import DENIED, KMS_UNUSABLE
from secretsync_hooks.remote.base import (
    ApplyResult,
    Backend,
    Progress,
    RemoteSnapshot,
    Revision,
    Rollback,
    changes,
    check_unicode,
)

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_secretsmanager.type_defs import (
        CreateSecretResponseTypeDef,
        GetSecretValueResponseTypeDef,
    )

MAX_SECRET_BYTES = 65_536
_NAME = re.compile(r"[A-Za-z0-9/_+=.@-]{1,512}")
# AWS appends "-" and 6 random characters to form the ARN; a name ending like that confuses
# lookups by partial ARN.
_ARN_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")
_ARN = re.compile(
    r"arn:aws(?:-[a-z]+)*:secretsmanager:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):secret:"
    r"[A-Za-z0-9/_+=.@-]{1,512}"
)
CAS_ATTEMPTS = 5


class _JsonNumber(str):
    """A JSON number kept as its source text, so 1.50 stays "1.50"."""


class SecretsManagerBackend(Backend):
    kind = "secrets_manager"

    def __init__(self, settings: SecretsManagerSettings, session: AwsSession) -> None:
        self.settings = settings
        self.target = settings.secret_name
        self._session = session
        self.warnings: list[str] = []
        # A full ARN is the only way to reach another account's secret (AWS serves shared
        # secrets by ARN only): it is the SecretId of every call, and its region must be the
        # one the client talks to.
        arn = _ARN.fullmatch(self.target)
        self.is_arn = arn is not None
        if arn is not None:
            if session.region and arn.group("region") != session.region:
                raise RemoteError(
                    f"the secret ARN {self.target} is in {arn.group('region')}, but the region "
                    f"in use is {session.region}",
                    hint=f'Set [backend] region = "{arn.group("region")}" (or pass --region).',
                )
        elif ":" in self.target or not _NAME.fullmatch(self.target):
            raise RemoteError(
                f"the secret name {text.shown(self.target)!r} is not one AWS accepts",
                hint="Use 1 to 512 of the characters A-Z a-z 0-9 / _ + = . @ -, or the "
                "secret's full ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf).",
            )
        elif _ARN_SUFFIX.search(self.target):
            self.warnings.append(
                f"the secret name {self.target!r} ends in '-' and 6 characters, which AWS "
                "confuses with the random suffix of secret ARNs; consider renaming it"
            )

    @property
    def _client(self) -> SecretsManagerClient:
        return self._session.client("secretsmanager")

    # -- reading ---------------------------------------------------------------------------
    def read(self) -> RemoteSnapshot:
        return self._read()[0]

    def _read(self) -> tuple[RemoteSnapshot, dict[str, str]]:
        """The snapshot, and the JSON text of each value that is not a JSON string (numbers,
        booleans, null), so that a push writes back untouched keys exactly as they were."""
        name = self.target
        try:
            with self._session.translate("secretsmanager:GetSecretValue", f"secret {name}"):
                try:
                    # VersionStage passed explicitly: moto 5.2 answers a bare call with the old
                    # value after UpdateSecretVersionStage moved AWSCURRENT.
                    response = self._client.get_secret_value(
                        SecretId=name, VersionStage="AWSCURRENT"
                    )
                except Exception as exc:
                    code = error_code(exc)
                    if code == "ResourceNotFoundException":
                        return self._without_value(str(exc)), {}
                    if code == "InvalidRequestException":
                        self._raise_if_scheduled_for_deletion()
                    raise
        except RemoteError as exc:
            if exc.code in DENIED and not self.is_arn:
                # For a secret that does not exist yet, IAM evaluates the bare name
                # (secret:NAME, no random suffix): a policy granting only secret:NAME-??????
                # answers AccessDenied, not ResourceNotFoundException.
                exc.hint = (
                    f"{exc.hint}\nIf {name} does not exist yet, that is how AWS answers under a "
                    f"policy that grants only secret:{name}-??????: grant secret:{name} too "
                    "(examples/iam does), or create the secret first."
                )
            raise
        if "SecretString" not in response:
            raise RemoteError(
                f"secret {name} holds binary data (SecretBinary), not a JSON object",
                hint="secretsync manages secrets whose value is a JSON object of strings.",
            )
        values, json_texts, warnings = self._decode(response["SecretString"])
        snapshot = RemoteSnapshot(
            values=values,
            exists=True,
            version=response.get("VersionId"),
            last_changed=response.get("CreatedDate"),
            warnings=tuple(warnings),
            identity=response.get("ARN"),
            json_texts=json_texts,
        )
        return snapshot, json_texts

    # -- history ---------------------------------------------------------------------------
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

    def _list_versions(self) -> list[dict[str, Any]]:
        """Every version of the secret AWS lists (labelled or not), newest first."""
        name = self.target
        listed: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"SecretId": name, "IncludeDeprecated": True, "MaxResults": 100}
        with self._session.translate("secretsmanager:ListSecretVersionIds", f"secret {name}"):
            while True:
                page = self._client.list_secret_version_ids(**kwargs)
                listed.extend(dict(v) for v in page.get("Versions", []))
                if not page.get("NextToken"):
                    break
                kwargs["NextToken"] = page["NextToken"]
        # AWS dates have fractions of a second; where two are equal (moto keeps whole
        # seconds), AWSCURRENT is newer than AWSPREVIOUS, and a later entry of the listing
        # (which holds them in the order they were made) newer than an earlier one.
        rank = {"AWSCURRENT": 2, "AWSPREVIOUS": 1}
        order = {id(v): i for i, v in enumerate(listed)}
        listed.sort(
            key=lambda v: (
                v.get("CreatedDate") or _EPOCH,
                max((rank.get(label, 0) for label in v.get("VersionStages", ())), default=0),
                order[id(v)],
            ),
            reverse=True,
        )
        return listed

    # -- rollback --------------------------------------------------------------------------
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

    def _without_value(self, aws_message: str) -> RemoteSnapshot:
        """What a ResourceNotFoundException from GetSecretValue means: no secret, or a secret
        created with no value (Terraform, CloudFormation and CDK make those), which AWS answers
        with the same code.  One DescribeSecret tells them apart; without permission for it,
        AWS's documented wording does ("...can't find the specified secret value for staging
        label: AWSCURRENT" against "...can't find the specified secret.")."""
        arn = None
        try:
            with self._session.translate("secretsmanager:DescribeSecret", f"secret {self.target}"):
                described = self._client.describe_secret(SecretId=self.target)
            if described.get("DeletedDate"):
                raise self._scheduled_for_deletion()
            arn = described.get("ARN")
        except RemoteError as exc:
            if exc.code == "ResourceNotFoundException":
                return RemoteSnapshot(values={}, exists=False)
            if exc.code not in DENIED:
                raise
            if "secret value" not in aws_message.lower():
                return RemoteSnapshot(values={}, exists=False)
        return RemoteSnapshot(values={}, exists=True, no_value=True, identity=arn)

    def _raise_if_scheduled_for_deletion(self) -> None:
        """InvalidRequestException has several causes; a DeletedDate says it is this one."""
        try:
            described = self._client.describe_secret(SecretId=self.target)
        except Exception:
            return
        if described.get("DeletedDate"):
            raise self._scheduled_for_deletion()

    def _scheduled_for_deletion(self) -> RemoteError:
        return RemoteError(
            f"secret {self.target} is scheduled for deletion",
            hint=f"Restore it with `aws secretsmanager restore-secret --secret-id {self.target}`, "
            "or point [secrets_manager] secret_name at another secret.",
        )

    def _decode(self, document: str) -> tuple[dict[str, str], dict[str, str], list[str]]:
        name = self.target
        try:
            data = json.loads(
                document, parse_int=_JsonNumber, parse_float=_JsonNumber, parse_constant=_JsonNumber
            )
        except json.JSONDecodeError as exc:
            # The exception's own text is only a position, never the content.
            raise RemoteError(
                f"secret {name} is not JSON (line {exc.lineno}, column {exc.colno})",
                hint="secretsync expects a JSON object of key -> string; fix the secret's "
                "value in the AWS console or with `aws secretsmanager put-secret-value`.",
            ) from None
        except RecursionError:
            raise RemoteError(
                f"secret {name} holds JSON nested too deeply, not a JSON object of strings",
                hint='secretsync expects a JSON object such as {"KEY": "value"}.',
            ) from None
        if not isinstance(data, dict):
            if isinstance(data, list):
                kind = "a JSON array"
            elif isinstance(data, str) and not isinstance(data, _JsonNumber):
                kind = "a JSON string"
            else:
                kind = "a JSON number or constant"
            raise RemoteError(
                f"secret {name} holds {kind}, not a JSON object of key -> string",
                hint='secretsync expects a JSON object such as {"KEY": "value"}.',
            )
        nested = [key for key, value in data.items() if isinstance(value, dict | list)]
        if nested:
            raise RemoteError(
                f"secret {name} has nested objects or arrays under {text.keys(nested)}",
                hint="A .env holds flat strings; store nested data as a JSON string instead.",
            )
        values: dict[str, str] = {}
        json_texts: dict[str, str] = {}
        converted: list[str] = []
        for key, value in data.items():
            if isinstance(value, str) and not isinstance(value, _JsonNumber):
                values[key] = value
            else:
                values[key] = json_texts[key] = _json_text(value)
                converted.append(key)
        warnings = []
        if converted:
            warnings.append(
                f"secret {name}: {text.keys(converted)} "
                + text.agree(
                    len(converted),
                    "holds a JSON number, boolean or null",
                    "hold JSON numbers, booleans or null",
                )
                + "; compared and pulled as "
                + text.agree(len(converted), "its JSON text", "their JSON text")
            )
        check_unicode(f"secret {name}", values)
        return values, json_texts, warnings

    # -- writing ---------------------------------------------------------------------------
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

    def _check_rotation(self) -> None:
        """Refuse while a version other than AWSCURRENT is labelled AWSPENDING: a rotation in
        progress moves AWSCURRENT onto it at its finishSecret step, silently superseding
        anything written meanwhile; a failed or cancelled rotation leaves the label behind
        (CancelRotateSecret "can leave the VersionStage labels in an unexpected state"), and
        then only removing it unblocks writes.  Warn when rotation is enabled at all."""
        with self._session.translate("secretsmanager:DescribeSecret", f"secret {self.target}"):
            described = self._client.describe_secret(SecretId=self.target)
        stages = described.get("VersionIdsToStages") or {}
        pending = [
            version
            for version, labels in stages.items()
            if "AWSPENDING" in labels and "AWSCURRENT" not in labels
        ]
        if pending:
            raise self._pending_rotation(pending[0], bool(described.get("RotationEnabled")))
        if described.get("RotationEnabled"):
            self.warnings.append(
                f"secret {self.target} has rotation enabled: the next rotation replaces the "
                "values it rotates, and a push during one is refused"
            )

    def _pending_rotation(self, version: str, enabled: bool) -> RefusedError:
        """The refusal for an AWSPENDING ``version``: a rotation under way (recent, with
        rotation on) is waited for; one left behind is cleared by removing the label."""
        created = None
        with contextlib.suppress(RemoteError):
            created = next(
                (v.get("CreatedDate") for v in self._list_versions() if v["VersionId"] == version),
                None,
            )
        age = _age(created)
        if enabled and age is not None and age < ROTATION_WINDOW:
            return RefusedError(
                f"secret {self.target} is being rotated (version {version} became AWSPENDING "
                f"{_minutes(age)} ago); a write now would be undone when the rotation "
                "finishes; nothing was changed",
                hint="Run the command again once the rotation has finished.",
            )
        since = f", created {_minutes(age)} ago" if age is not None else ""
        why = "" if enabled else " (rotation is off: a cancelled rotation leaves it so)"
        return RefusedError(
            f"secret {self.target} has version {version} left labelled AWSPENDING by a rotation "
            f"that failed or was cancelled{since}{why}; while it is there, a write could be "
            "undone by the next rotation; nothing was changed",
            hint="If no rotation is running, remove the label, then run the command again:\n"
            f"  aws secretsmanager update-secret-version-stage --secret-id {self.target} "
            f"--version-stage AWSPENDING --remove-from-version-id {version}",
        )

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


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
# A rotation runs its four steps (Lambda invocations of at most 15 minutes each) within the
# hour; an AWSPENDING label older than that was left behind.
ROTATION_WINDOW = datetime.timedelta(hours=1)


def _age(created: datetime.datetime | None) -> datetime.timedelta | None:
    if created is None:
        return None
    if created.tzinfo is None:
        created = created.replace(tzinfo=datetime.timezone.utc)
    return max(datetime.timedelta(0), datetime.datetime.now(datetime.timezone.utc) - created)


def _minutes(age: datetime.timedelta) -> str:
    minutes = int(age.total_seconds() // 60)
    if minutes < 120:
        return text.count(minutes, "minute")
    hours = minutes // 60
    return text.count(hours, "hour") if hours < 48 else text.count(hours // 24, "day")


class _Document(NamedTuple):
    """One version's keys and values, and the JSON text of those that are not strings."""

    values: dict[str, str]
    json_texts: dict[str, str]

    def __repr__(self) -> str:  # never the values
        return f"_Document(keys={sorted(self.values)!r})"


UNDECRYPTABLE = "cannot be decrypted: its KMS key is not usable"
# Secrets Manager keeps about 100 versions: unlabelled ones beyond that are removed.
MAX_VERSIONS_KEPT = 100


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


def _interrupted_after(target: str, plan: SyncPlan, what: str = "push") -> Interrupted:
    keys = text.keys(op.key for op in plan.ops)
    return Interrupted(
        f"interrupted, but the {what} to secret {target} had completed: applied {keys}",
        hint="Run `secretsync diff` to see the state of both sides.",
    )


def _json_text(value: object) -> str:
    if isinstance(value, _JsonNumber):
        return str.__str__(value)
    return json.dumps(value)


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
