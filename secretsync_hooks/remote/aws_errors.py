"""AWS failures made readable: a table of error codes -> kind, message and next step.

Only an authorisation error relays AWS's own message: it names the action, the resource and
the policy that refused it (an SCP, a permissions boundary, a KMS key policy), never a value.
Every other message is secretsync's own, naming the code and the resource: AWS's text for a
validation error can quote the value it refused.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from secretsync_hooks.errors import AwsUnavailableError, RemoteError
from secretsync_hooks.text import clean

_EXPIRED = frozenset(
    {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "InvalidGrantException"}
)
DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "Forbidden"})
_BAD_CREDENTIALS = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
    }
)
_THROTTLED = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ThrottledException",
    }
)
_KMS = frozenset(
    {
        "KMSAccessDeniedException",
        "KMSDisabledException",
        "KMSInvalidStateException",
        "KMSNotFoundException",
        "KMSInvalidKeyUsageException",
        "InvalidKeyId",
        "DecryptionFailure",
        "EncryptionFailure",
    }
)
# A value that cannot be decrypted: the KMS key is disabled, pending deletion, or no longer
# grants kms:Decrypt (Secrets Manager words the last as AccessDeniedException "Access to KMS is
# not allowed", which describe_client_error names KMSAccessDeniedException).
KMS_UNUSABLE = _KMS | {"KMSAccessDeniedException"}
_SERVER = frozenset(
    {"InternalServiceError", "InternalFailure", "InternalServerError", "ServiceUnavailable"}
)
_KMS_HINT = (
    "Grant kms:Decrypt (to read) and kms:GenerateDataKey (to write) on the KMS key that "
    "encrypts it, in your IAM policy and in the key's policy; see README, 'IAM policies'."
)


class _Rule(NamedTuple):
    codes: frozenset[str]
    message: str  # formatted with action, resource, code
    hint: str | None  # formatted with action, resource, login
    unavailable: bool = False  # AWS could not be asked: a hook's --on-error warn lets it pass
    relay: bool = False  # append AWS's own message (authorisation errors only)


_RULES = (
    _Rule(
        _EXPIRED,
        "your AWS credentials have expired",
        "Run `{login}` or refresh your credentials, then retry.",
        unavailable=True,
    ),
    _Rule(
        frozenset({"KMSAccessDeniedException"}),
        "KMS refused the key that encrypts {resource} during {action}",
        _KMS_HINT,
        relay=True,
    ),
    _Rule(
        DENIED,
        "access denied: AWS refused {action} on {resource}",
        "Grant {action} on {resource} to your IAM identity (see README, 'IAM policies'), "
        "or use another --profile. An explicit deny (an SCP, a permissions boundary, a "
        "resource policy) wins over any grant: AWS's message above names it.",
        relay=True,
    ),
    _Rule(
        _BAD_CREDENTIALS,
        "AWS rejected the credentials ({code})",
        "Check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or your profile, or run `{login}`.",
        unavailable=True,
    ),
    _Rule(
        _THROTTLED,
        "AWS kept throttling {action} on {resource} after every retry",
        "Wait a minute and retry; raise AWS_MAX_ATTEMPTS to retry longer.",
        unavailable=True,
    ),
    _Rule(
        _KMS,
        "KMS key error during {action} on {resource} ({code})",
        "Check that the KMS key exists and is enabled. " + _KMS_HINT,
    ),
    _Rule(
        frozenset({"ParameterLimitExceeded"}),
        "AWS refused {action} on {resource}: the account's parameter limit is reached",
        "AWS allows 10,000 Standard parameters per account and region: delete parameters no "
        'longer used, or set [parameter_store] tier = "Advanced" (charged) for new ones.',
    ),
    _Rule(
        frozenset({"ParameterMaxVersionLimitExceeded"}),
        "AWS refused {action} on {resource}: a parameter's oldest version has a label",
        "A parameter keeps 100 versions and cannot drop a labelled one: move or remove the "
        "label (`aws ssm unlabel-parameter-version`), then retry.",
    ),
    _Rule(
        frozenset({"HierarchyLevelLimitExceededException"}),
        "AWS refused {action} on {resource}: more than 15 levels",
        "Use a shorter [parameter_store] path.",
    ),
    _Rule(
        frozenset({"TooManyUpdates"}),
        "AWS refused {action} on {resource}: someone else is updating the same parameter",
        "Retry in a moment.",
        unavailable=True,
    ),
    _Rule(
        _SERVER,
        "AWS had an internal error during {action} on {resource} ({code})",
        "Retry in a moment.",
        unavailable=True,
    ),
)
_AWS_MESSAGE_LIMIT = 300


def describe_client_error(
    code: str, aws_message: str, action: str, resource: str, profile: str | None
) -> RemoteError:
    """The user-facing error for an AWS error answer."""
    login = f"aws sso login --profile {profile}" if profile else "aws sso login"
    fields = {"action": action, "resource": resource, "code": code, "login": login}
    if code in DENIED and "kms" in aws_message.lower():
        # A missing kms:Decrypt / kms:GenerateDataKey comes back as AccessDeniedException
        # "Access to KMS is not allowed" (Secrets Manager), or naming AWSKMS (SSM).
        code = "KMSAccessDeniedException"
    for rule in _RULES:
        if code in rule.codes:
            message = rule.message.format(**fields)
            relayed = _aws_text(aws_message) if rule.relay and aws_message.strip() else ""
            if relayed:
                message += f": AWS says: {relayed}"
            kind = AwsUnavailableError if rule.unavailable else RemoteError
            hint = rule.hint.format(**fields) if rule.hint else None
            error = kind(message, hint=hint, code=code)
            error.untrusted = (relayed,) if relayed else ()
            return error
    return RemoteError(f"AWS refused {action} on {resource} ({code})", code=code)


def _aws_text(message: str) -> str:
    """AWS's own words, on one line, control characters escaped, bounded in length."""
    text = clean(re.sub(r"\s+", " ", message).strip())
    if len(text) > _AWS_MESSAGE_LIMIT:
        text = text[: _AWS_MESSAGE_LIMIT - 3] + "..."
    return text


def write_failure_hint(code: str, action: str, resource: str, profile: str | None) -> str | None:
    """The next step for a write that failed with ``code`` (no AWS text: it may quote the
    value), for the report of a write that failed part-way."""
    error = describe_client_error(code, "", action, resource, profile)
    return error.hint


class _Failure(NamedTuple):
    names: tuple[str, ...]  # botocore exception classes, the first match wins
    message: str  # formatted with action, resource, endpoint, profile
    hint: str  # formatted with login
    unavailable: bool = True


# botocore's own exceptions (no AWS answer), most specific first: SSLError is a kind of
# EndpointConnectionError.
_FAILURES = (
    _Failure(
        ("NoCredentialsError", "PartialCredentialsError"),
        "no AWS credentials found",
        "Configure credentials (`aws configure`, `aws sso login --profile NAME`, or "
        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), or choose another profile.",
    ),
    _Failure(
        ("ProfileNotFound",),
        "the AWS profile {profile!r} is not configured",
        "List profiles with `aws configure list-profiles`; fix the profile you named, "
        "[backend] profile or AWS_PROFILE.",
    ),
    _Failure(
        ("NoRegionError",),
        "no AWS region is set",
        "Set [backend] region in .secretsync.toml, or AWS_REGION.",
        unavailable=False,
    ),
    _Failure(
        ("SSOTokenLoadError", "UnauthorizedSSOTokenError", "TokenRetrievalError"),
        "your AWS SSO session has expired or was never started",
        "Run `{login}` and retry.",
    ),
    _Failure(
        ("SSLError",),
        "the TLS certificate of {endpoint} could not be verified ({action})",
        "If your network inspects TLS (a corporate proxy), point AWS_CA_BUNDLE at its CA "
        "certificate (a PEM file); otherwise check the endpoint and your clock.",
    ),
    _Failure(
        ("ConnectTimeoutError", "EndpointConnectionError"),
        "cannot reach {endpoint} for {action}",
        "Check your network, or AWS_ENDPOINT_URL if you use a local endpoint.",
    ),
    _Failure(
        ("ReadTimeoutError",),
        "AWS did not answer {action} on {resource} in time",
        "Retry; raise SECRETSYNC_READ_TIMEOUT (seconds) on a slow network.",
    ),
    _Failure(
        # botocore's report quotes the offending parameter's value: never repeat it.
        ("ParamValidationError",),
        "botocore refused the request parameters for {action} on {resource}",
        "Rerun with --debug for botocore's report (known values are masked there).",
        unavailable=False,
    ),
    _Failure(
        # Some botocore messages quote the response body (ResponseParserError): name the
        # kind of failure only.
        ("BotoCoreError",),
        "AWS request {action} on {resource} failed ({kind})",
        "Rerun with --debug for botocore's report (known values are masked there).",
    ),
)


def describe_botocore_error(
    exc: BaseException, action: str, resource: str, profile: str | None
) -> RemoteError | None:
    """The user-facing error for one of botocore's own exceptions; None for any other."""
    from botocore import exceptions as bce

    fields = {
        "action": action,
        "resource": resource,
        "profile": profile,
        "endpoint": getattr(exc, "kwargs", {}).get("endpoint_url", "AWS"),
        "kind": type(exc).__name__,
        "login": f"aws sso login --profile {profile}" if profile else "aws sso login",
    }
    for failure in _FAILURES:
        classes = tuple(getattr(bce, name) for name in failure.names if hasattr(bce, name))
        if classes and isinstance(exc, classes):
            kind = AwsUnavailableError if failure.unavailable else RemoteError
            return kind(failure.message.format(**fields), hint=failure.hint.format(**fields))
    return None
