"""References to the values, for deployment targets that read AWS themselves: an ECS
container's ``secrets``, a Kubernetes ``ExternalSecret``, CloudFormation dynamic references.
The values never leave AWS: these texts name where each value is, never what it is, so they
may go to a terminal or into git.

Each encoder takes the remote as read (its identity: the secret's full ARN, or the ARN of the
parameter path) and the keys to reference; a key the target cannot reference is refused with
the reason, never silently changed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from secretsync_hooks import text
from secretsync_hooks.errors import SecretSyncError
from secretsync_hooks.use.encoders import yaml_quote

# The ExternalSecret CRD's own rules (external-secrets.io/v1): a target key, and the DNS-1123
# subdomain every Kubernetes object name is.
SECRET_KEY = re.compile(r"[-._a-zA-Z0-9]+")
DNS_1123 = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
MAX_NAME = 253
# A container's environment variable (ECS), and a Lambda function's (which needs 2 or more
# characters, as cfn-lint and the Lambda API say).
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
LAMBDA_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9_]+")
# Set by the Lambda runtime: a function cannot set them (the Lambda API refuses them).
LAMBDA_RESERVED = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)


class Remote(NamedTuple):
    """What a reference needs of the remote: which backend, its name (the secret's, or the
    parameter path), its ARN as AWS reported it on the read, each parameter's type."""

    backend: str  # secrets_manager or parameter_store
    name: str
    identity: str
    types: Mapping[str, str]


def _refuse(fmt: str, bad: Mapping[str, str]) -> None:
    if bad:
        listed = "; ".join(f"{text.shown(key)}: {why}" for key, why in bad.items())
        raise SecretSyncError(
            f"--format {fmt} cannot reference {text.count(len(bad), 'key')}: {listed}; "
            "nothing was written",
            hint="Leave them out with --keys, or rename them in AWS.",
        )


def ecs(remote: Remote, keys: Sequence[str]) -> str:
    """The ``secrets`` array of an ECS container definition."""
    bad = {k: "not an environment variable name" for k in keys if not ENV_NAME.fullmatch(k)}
    if remote.backend == "secrets_manager":
        bad.update({k: "':' would end the JSON key in valueFrom" for k in keys if ":" in k})
    _refuse("ecs", bad)
    entries = [{"name": key, "valueFrom": ecs_value_from(remote, key)} for key in keys]
    return json.dumps(entries, indent=2) + "\n"


def ecs_value_from(remote: Remote, key: str) -> str:
    """``arn:...:secret:NAME-AbCdEf:KEY::`` (a key of a JSON secret, its current version), or
    the parameter's ARN."""
    if remote.backend == "secrets_manager":
        return f"{remote.identity}:{key}::"
    return remote.identity + key


def dns_name(name: str) -> str:
    """A DNS-1123 subdomain made of ``name`` (a secret's name, its ARN, or a parameter path):
    each ``.``-separated label lower case, every run of other characters one ``-``, trimmed;
    empty labels dropped; at most 253 characters."""
    found = _SECRET_ARN.fullmatch(name)
    if found:
        name = found.group("name")  # the secret's own name, not its ARN
    labels = []
    for label in name.lower().split("."):
        label = re.sub(r"[^a-z0-9]+", "-", label).strip("-")
        if label:
            labels.append(label)
    made = ".".join(labels)[:MAX_NAME].strip("-.")
    return made if DNS_1123.fullmatch(made) else "secretsync"


# arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf
_SECRET_ARN = re.compile(
    r"arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:(?P<name>.+?)(-[A-Za-z0-9]{6})?"
)


class Manifest(NamedTuple):
    store: str
    store_kind: str = "SecretStore"
    name: str | None = None
    api_version: str = "v1"


def external_secrets(remote: Remote, keys: Sequence[str], manifest: Manifest) -> str:
    """A Kubernetes ``ExternalSecret`` whose ``spec.data`` maps each key to its remote."""
    check_manifest(manifest)
    bad = {
        k: "not a Kubernetes secret key (letters, digits, -, . and _, at most 253, not . or ..)"
        for k in keys
        if not SECRET_KEY.fullmatch(k) or len(k) > MAX_NAME or k in (".", "..")
    }
    _refuse("external-secrets", bad)
    name = manifest.name or dns_name(remote.name)
    lines = [
        f"apiVersion: external-secrets.io/{manifest.api_version}",
        "kind: ExternalSecret",
        "metadata:",
        f"  name: {yaml_quote(name)}",
        "spec:",
        '  refreshInterval: "1h"',
        "  secretStoreRef:",
        f"    name: {yaml_quote(manifest.store)}",
        f"    kind: {manifest.store_kind}",
        "  target:",
        f"    name: {yaml_quote(name)}",
        "    creationPolicy: Owner",
        "  data:" if keys else "  data: []",
    ]
    for key in keys:
        lines += [f"    - secretKey: {yaml_quote(key)}", "      remoteRef:"]
        if remote.backend == "secrets_manager":
            lines += [
                f"        key: {yaml_quote(remote.name)}",
                f"        property: {yaml_quote(key)}",
            ]
        else:
            lines.append(f"        key: {yaml_quote(remote.name + key)}")
    return "\n".join(lines) + "\n"


def check_manifest(manifest: Manifest) -> None:
    """Refuse a store or a name Kubernetes would (before anything is read)."""
    if not manifest.store or not DNS_1123.fullmatch(manifest.store) or len(manifest.store) > 253:
        raise SecretSyncError(
            f"--store {text.shown(manifest.store)!r} is not a Kubernetes object name (lower-case "
            "letters, digits, - and ., at most 253 characters)"
        )
    if manifest.name is not None and (
        not DNS_1123.fullmatch(manifest.name) or len(manifest.name) > MAX_NAME
    ):
        raise SecretSyncError(
            f"--name {text.shown(manifest.name)!r} is not a Kubernetes object name (lower-case "
            "letters, digits, - and ., at most 253 characters)"
        )


def cloudformation(remote: Remote, keys: Sequence[str]) -> str:
    """A YAML mapping of dynamic references, for a Lambda function's ``Environment:
    Variables:`` or any string property."""
    bad: dict[str, str] = {}
    for key in keys:
        if not LAMBDA_NAME.fullmatch(key):
            bad[key] = "not a Lambda variable name (a letter, then letters, digits or _)"
        elif key in LAMBDA_RESERVED:
            bad[key] = "set by the Lambda runtime, which a function may not set"
        elif remote.backend == "secrets_manager" and ":" in key:
            bad[key] = "':' would end the JSON key in the reference"
        elif remote.backend == "parameter_store" and remote.types.get(key) == "SecureString":
            bad[key] = "a SecureString parameter"
    secure = [k for k, why in bad.items() if why == "a SecureString parameter"]
    if secure:
        raise SecretSyncError(
            f"--format cloudformation cannot reference {text.keys(secure)}: SecureString "
            "parameters; CloudFormation resolves ssm-secure references only in a few resource "
            "properties, and not in Lambda environment variables (cfn-lint E1027); nothing was "
            "written",
            hint="Leave them out with --keys; keep such values in Secrets Manager (its "
            "references resolve anywhere), use --format ecs for ECS, or make the parameter a "
            "String if it is not secret.",
        )
    _refuse("cloudformation", bad)
    if not keys:
        return "{}\n"
    # Every key quoted: YAML reads ON, NO, TRUE or NULL bare as a boolean or null.
    return "".join(f"{yaml_quote(key)}: '{_cfn_reference(remote, key)}'\n" for key in keys)


def _cfn_reference(remote: Remote, key: str) -> str:
    if remote.backend == "secrets_manager":
        return f"{{{{resolve:secretsmanager:{remote.name}:SecretString:{key}}}}}"
    return f"{{{{resolve:ssm:{remote.name}{key}}}}}"


# IAM's limit for a managed policy (an inline policy of a role may hold 10,240): past it, the
# parameters are granted by their path.
MAX_POLICY = 6144


def policy(
    remote: Remote, keys: Sequence[str], kms: Sequence[str]
) -> tuple[dict[str, Any], list[str]]:
    """The IAM statements a task execution role needs to resolve ``ecs``'s references:
    reading the secret or the parameters, and decrypting with each customer-managed key; and
    warnings."""
    if not keys:
        raise SecretSyncError(
            "no key to reference, so no policy to write (IAM refuses a statement with no "
            "resource); nothing was written",
            hint="Check --keys, and the keys held back (see the warnings).",
        )
    warnings: list[str] = []
    if remote.backend == "secrets_manager":
        resource: str | list[str] = remote.identity
        action = "secretsmanager:GetSecretValue"
    else:
        resource, action = [remote.identity + key for key in keys], "ssm:GetParameters"
    statements: list[dict[str, Any]] = [{"Effect": "Allow", "Action": action, "Resource": resource}]
    if kms:
        statements.append({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": list(kms)})
    document = {"Version": "2012-10-17", "Statement": statements}
    if len(json.dumps(document, separators=(",", ":"))) > MAX_POLICY and isinstance(resource, list):
        statements[0]["Resource"] = remote.identity + "*"
        warnings.append(
            f"{len(resource)} parameter ARNs would make the policy longer than IAM's "
            f"{MAX_POLICY} characters: it grants {remote.identity}* instead, every parameter "
            "under the path, deeper ones included"
        )
    return document, warnings
