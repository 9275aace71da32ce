"""One AWS session per command, clients fit for a git hook, and AWS failures made readable.

Clients come from botocore's session directly: ``import boto3`` also pulls in s3transfer,
which a hook would pay for on every commit.  Endpoints are left to botocore, which honours
``AWS_ENDPOINT_URL``, ``AWS_ENDPOINT_URL_SSM`` and ``AWS_ENDPOINT_URL_SECRETS_MANAGER``
(passing ``endpoint_url=None`` would not override them, but we do not pass it at all).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from typing import Any

from secretsync_hooks.errors import AwsUnavailableError, RemoteError, SecretSyncError

# A git hook cannot wait botocore's default 60 s for an unreachable endpoint.
DEFAULT_CONNECT_TIMEOUT = 3.0
DEFAULT_READ_TIMEOUT = 10.0
DEFAULT_MAX_ATTEMPTS = 4

_EXPIRED = {
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "InvalidGrantException",
}
_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "Forbidden"}
_BAD_CREDENTIALS = {
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
}
_THROTTLED = {
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "ThrottledException",
}
_KMS = {
    "KMSAccessDeniedException",
    "KMSDisabledException",
    "KMSInvalidStateException",
    "KMSNotFoundException",
    "KMSInvalidKeyUsageException",
    "InvalidKeyId",
    "DecryptionFailure",
    "EncryptionFailure",
}
_SERVER = {"InternalServiceError", "InternalFailure", "InternalServerError", "ServiceUnavailable"}


def _float_env(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise RemoteError(f"{name}={raw!r} is not a number of seconds") from None
    if value <= 0:
        raise RemoteError(f"{name}={raw!r} must be greater than 0")
    return value


class AwsSession:
    """The command's one botocore session; clients are made on first use and reused."""

    def __init__(
        self,
        region: str | None,
        profile: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.region = region
        self.profile = profile
        self._environ = os.environ if environ is None else environ
        self._session: Any = None
        self._clients: dict[str, Any] = {}

    def client(self, service: str, *, attempts: int | None = None) -> Any:
        """The command's client for ``service``; ``attempts`` overrides botocore's retries
        (1: the caller retries itself, as Parameter Store writes do)."""
        cache_key = f"{service}/{attempts}"
        if cache_key in self._clients:
            return self._clients[cache_key]
        if not self.region:
            raise RemoteError(
                "no AWS region is set",
                hint="Set [backend] region in .secretsync.toml, pass --region, or set AWS_REGION.",
            )
        import botocore.config
        import botocore.session

        environ = self._environ
        max_attempts = environ.get("AWS_MAX_ATTEMPTS", "").strip()
        mode = environ.get("AWS_RETRY_MODE", "").strip()
        retries: Any = {
            "mode": mode if mode in ("standard", "adaptive", "legacy") else "standard",
            "total_max_attempts": int(max_attempts)
            if max_attempts.isdigit()
            else DEFAULT_MAX_ATTEMPTS,
        }
        if attempts is not None:
            retries["total_max_attempts"] = attempts
        connect = _float_env(environ, "SECRETSYNC_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT)
        config = botocore.config.Config(
            connect_timeout=connect,
            read_timeout=_float_env(environ, "SECRETSYNC_READ_TIMEOUT", DEFAULT_READ_TIMEOUT),
            retries=retries,
            max_pool_connections=16,
        )
        with self.translate(f"{service}:connect", "the AWS session"):
            if self._session is None:
                self._session = botocore.session.Session(profile=self.profile)
            client = self._session.create_client(service, region_name=self.region, config=config)
        self._clients[cache_key] = client
        return client

    @contextlib.contextmanager
    def translate(self, action: str, resource: str) -> Iterator[None]:
        """Turn any botocore failure inside the block into one clear :class:`RemoteError`."""
        try:
            yield
        except SecretSyncError:
            raise
        except Exception as exc:
            error = describe_aws_error(exc, action, resource, self.profile)
            if error is None:
                raise
            raise error from exc


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ``ClientError``, else None."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None


def describe_aws_error(
    exc: BaseException, action: str, resource: str, profile: str | None = None
) -> RemoteError | None:
    """A user-facing error for a botocore exception; None for anything that is not one.

    Failures to reach or authenticate with AWS are :class:`AwsUnavailableError`; refusals and
    bad requests are plain :class:`RemoteError`.
    """
    from botocore import exceptions as bce

    login = f"aws sso login --profile {profile}" if profile else "aws sso login"
    if isinstance(exc, bce.ClientError):
        code = error_code(exc) or "Unknown"
        message = str(exc.response.get("Error", {}).get("Message", "")).strip()
        if code in _EXPIRED:
            return AwsUnavailableError(
                "your AWS credentials have expired",
                hint=f"Run `{login}` or refresh your credentials, then retry.",
            )
        if code in _DENIED:
            return RemoteError(
                f"access denied: AWS refused {action} on {resource}",
                hint=f"Grant {action} on {resource} to your IAM identity "
                "(see README, 'IAM policies'), or use another --profile.",
            )
        if code in _BAD_CREDENTIALS:
            return AwsUnavailableError(
                f"AWS rejected the credentials ({code})",
                hint="Check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or your profile, "
                f"or run `{login}`.",
            )
        if code in _THROTTLED:
            return AwsUnavailableError(
                f"AWS kept throttling {action} on {resource} after every retry",
                hint="Wait a minute and retry; raise AWS_MAX_ATTEMPTS to retry longer.",
            )
        if code in _KMS:
            return RemoteError(
                f"KMS key error during {action} on {resource}: {code}: {message}",
                hint="Check that the KMS key exists, is enabled, and that you may use it "
                "(kms:Decrypt to read, kms:Encrypt/GenerateDataKey to write).",
            )
        if code in _SERVER:
            return AwsUnavailableError(
                f"AWS had an internal error during {action} on {resource} ({code})",
                hint="Retry in a moment.",
            )
        return RemoteError(f"AWS refused {action} on {resource}: {code}: {message}")
    if isinstance(exc, bce.NoCredentialsError | bce.PartialCredentialsError):
        return AwsUnavailableError(
            "no AWS credentials found",
            hint="Configure credentials (`aws configure`, `aws sso login --profile NAME`, or "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), or pass --profile.",
        )
    if isinstance(exc, bce.ProfileNotFound):
        return AwsUnavailableError(
            f"the AWS profile {profile!r} is not configured",
            hint="List profiles with `aws configure list-profiles`; fix --profile, "
            "[backend] profile or AWS_PROFILE.",
        )
    if isinstance(exc, bce.NoRegionError):
        return RemoteError(
            "no AWS region is set",
            hint="Set [backend] region in .secretsync.toml, pass --region, or set AWS_REGION.",
        )
    sso_errors = tuple(
        getattr(bce, name)
        for name in ("SSOTokenLoadError", "UnauthorizedSSOTokenError", "TokenRetrievalError")
        if hasattr(bce, name)
    )
    if sso_errors and isinstance(exc, sso_errors):
        return AwsUnavailableError(
            "your AWS SSO session has expired or was never started",
            hint=f"Run `{login}` and retry.",
        )
    if isinstance(exc, bce.ConnectTimeoutError | bce.EndpointConnectionError):
        endpoint = getattr(exc, "kwargs", {}).get("endpoint_url", "AWS")
        return AwsUnavailableError(
            f"cannot reach {endpoint} for {action}",
            hint="Check your network, or AWS_ENDPOINT_URL if you use a local endpoint.",
        )
    if isinstance(exc, bce.ReadTimeoutError):
        return AwsUnavailableError(
            f"AWS did not answer {action} on {resource} in time",
            hint="Retry; raise SECRETSYNC_READ_TIMEOUT (seconds) on a slow network.",
        )
    if isinstance(exc, bce.ParamValidationError):
        # botocore's report quotes the offending parameter's value: never repeat it.
        return RemoteError(
            f"botocore refused the request parameters for {action} on {resource}",
            hint="Rerun with --debug for botocore's report (known values are masked there).",
        )
    if isinstance(exc, bce.BotoCoreError):
        return RemoteError(f"AWS request {action} on {resource} failed: {exc}")
    return None
