"""Reading one Secrets Manager secret: its name or ARN checked, its current value read and
decoded as a JSON object of key -> string (a JSON number, boolean or null kept as its JSON text,
so a write puts it back as it was), a secret with no value or one scheduled for deletion told
apart, and its versions listed.  The first part of ``SecretsManagerBackend``
(``backend.py``): rotation, writing and history build on it.
"""

from __future__ import annotations

import datetime
import json
import re
from typing import TYPE_CHECKING, Any

from secretsync_hooks import text
from secretsync_hooks.config.settings import SecretsManagerSettings
from secretsync_hooks.errors import RemoteError
from secretsync_hooks.remote.aws import AwsSession, error_code
from secretsync_hooks.remote.aws_errors import DENIED
from secretsync_hooks.remote.base import Backend, RemoteSnapshot, check_unicode

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

_NAME = re.compile(r"[A-Za-z0-9/_+=.@-]{1,512}")
# AWS appends "-" and 6 random characters to form the ARN; a name ending like that confuses
# lookups by partial ARN.
_ARN_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")
_ARN = re.compile(
    r"arn:aws(?:-[a-z]+)*:secretsmanager:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):secret:"
    r"[A-Za-z0-9/_+=.@-]{1,512}"
)
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


class _JsonNumber(str):
    """A JSON number kept as its source text, so 1.50 stays "1.50"."""


class SecretsManagerReading(Backend):
    """What reads the secret: its current value and its list of versions."""

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


def _json_text(value: object) -> str:
    if isinstance(value, _JsonNumber):
        return str.__str__(value)
    return json.dumps(value)
