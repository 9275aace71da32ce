"""The customer-managed KMS keys the values are encrypted with, for the IAM statement a
reader of the references needs (``export --with-policy``).  AWS-managed keys
(``aws/secretsmanager``, ``aws/ssm``) need no grant, so they are left out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from secretsync_hooks.config.settings import Config
from secretsync_hooks.remote.aws import AwsSession

MANAGED = ("alias/aws/secretsmanager", "alias/aws/ssm")


def customer_keys(
    config: Config, session: AwsSession, identity: str, keys: Sequence[str]
) -> tuple[list[str], list[str]]:
    """The ARNs of the customer-managed keys the values of ``keys`` use, and warnings (one
    per key named by an alias, which IAM does not match against a key's ARN)."""
    found: list[str | None]
    if config.backend == "secrets_manager":
        found = [_secret_key(config, session)]
    else:
        found = _parameter_keys(config, session, set(keys))
    arns, warnings = [], []
    for key_id in dict.fromkeys(k for k in found if k and k not in MANAGED):
        arn = _as_arn(key_id, identity)
        if ":alias/" in arn:
            # IAM matches kms:Decrypt against the key's own ARN, never an alias's.
            resolved = _key_of_alias(session, arn)
            if resolved is None:
                warnings.append(
                    f"the values are encrypted with the KMS key {key_id}, named by its alias, "
                    "which could not be resolved (kms:DescribeKey): IAM matches kms:Decrypt "
                    "against the key's own ARN; replace the alias's ARN in the policy with it "
                    f"(`aws kms describe-key --key-id {key_id}`)"
                )
            arn = resolved or arn
        arns.append(arn)
    return arns, warnings


def _key_of_alias(session: AwsSession, alias: str) -> str | None:
    from secretsync_hooks.errors import SecretSyncError

    client: Any = session.client("kms")  # type: ignore[call-overload]
    try:
        with session.translate("kms:DescribeKey", alias):
            described: Any = client.describe_key(KeyId=alias)
    except SecretSyncError:
        return None
    arn = described.get("KeyMetadata", {}).get("Arn")
    return str(arn) if arn else None


def _secret_key(config: Config, session: AwsSession) -> str | None:
    client = session.client("secretsmanager")
    with session.translate("secretsmanager:DescribeSecret", f"secret {config.target}"):
        described: Any = client.describe_secret(SecretId=config.target)
    key: str | None = described.get("KmsKeyId")
    return key


def _parameter_keys(config: Config, session: AwsSession, keys: set[str]) -> list[str | None]:
    client = session.client("ssm")
    path = config.target
    found: list[str | None] = []
    kwargs: dict[str, Any] = {
        "ParameterFilters": [
            {"Key": "Path", "Option": "OneLevel", "Values": [path.rstrip("/") or "/"]}
        ]
    }
    with session.translate("ssm:DescribeParameters", f"parameters under {path}"):
        while True:
            page: Any = client.describe_parameters(**kwargs)
            for parameter in page.get("Parameters", []):
                name = str(parameter.get("Name", ""))
                if name[len(path) :] in keys and parameter.get("Type") == "SecureString":
                    found.append(str(parameter.get("KeyId") or "alias/aws/ssm"))
            if not page.get("NextToken"):
                return found
            kwargs["NextToken"] = page["NextToken"]


def _as_arn(key_id: str, identity: str) -> str:
    """A key's ARN from what AWS reported (an ARN, a key id or an alias), in the account and
    region of the remote's own ARN."""
    if key_id.startswith("arn:"):
        return key_id
    partition, _, region, account = identity.split(":")[1:5]
    if key_id.startswith("alias/"):
        return f"arn:{partition}:kms:{region}:{account}:{key_id}"
    return f"arn:{partition}:kms:{region}:{account}:key/{key_id}"
