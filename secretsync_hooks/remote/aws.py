"""One AWS session per command, clients fit for a git hook, and AWS failures made readable.

Clients come from botocore's session directly: ``import boto3`` also pulls in s3transfer,
which a hook would pay for on every commit.  Endpoints are left to botocore, which honours
``AWS_ENDPOINT_URL``, ``AWS_ENDPOINT_URL_SSM`` and ``AWS_ENDPOINT_URL_SECRETS_MANAGER``
(passing ``endpoint_url=None`` would not override them, but we do not pass it at all).
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import signal
import threading
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from secretsync_hooks.errors import AwsUnavailableError, RemoteError, SecretSyncError
from secretsync_hooks.remote import aws_endpoints
from secretsync_hooks.remote.aws_config import (
    NoTerminalForMfa,
    no_terminal_error,
    retry_settings,
    share_cli_cache,
)
from secretsync_hooks.text import clean

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_ssm import SSMClient

# A git hook cannot wait botocore's default 60 s for an unreachable endpoint.
DEFAULT_CONNECT_TIMEOUT = 3.0
DEFAULT_READ_TIMEOUT = 10.0
# The overall deadline for reading (credentials and retries included): a command, a hook.
COMMAND_DEADLINE = 15.0
HOOK_DEADLINE = 8.0
_ENDPOINT_VARIABLES = (
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_SSM",
    "AWS_ENDPOINT_URL_SECRETS_MANAGER",
)


def seconds_from(environ: Mapping[str, str], name: str, default: float) -> float:
    """A number of seconds from ``environ[name]``: finite and greater than 0."""
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise RemoteError(f"{name}={raw!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise RemoteError(f"{name}={raw!r} must be a finite number of seconds above 0")
    return value


def deadline_for(default: float = COMMAND_DEADLINE) -> float:
    """The overall deadline for reading: ``SECRETSYNC_TIMEOUT``, else ``default``."""
    return seconds_from(os.environ, "SECRETSYNC_TIMEOUT", default)


def _check_endpoints(environ: Mapping[str, str]) -> None:
    for name in _ENDPOINT_VARIABLES:
        raw = environ.get(name, "").strip()
        if not raw:
            continue
        parsed = urllib.parse.urlsplit(raw)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise RemoteError(
                f"{name}={clean(raw)!r} is not an endpoint URL",
                hint=f"Write it with its scheme, e.g. {name}=https://host:port (or unset it to "
                "use AWS).",
            )


@functools.cache
def _loader() -> Any:
    """botocore's loader of service models, shared by the sessions of one process: the
    models are read-only, and parsing their JSON again for each session is most of the cost
    of a session after the first (a program makes one; a test run makes hundreds).

    It answers "is this service known?" by looking in that service's own directory, where
    botocore's lists all ~400 services first (about 20 ms of every start-up)."""
    import botocore.exceptions
    import botocore.loaders

    class _Services:
        """The known services of one type, listed only if someone iterates them."""

        def __init__(self, loader: Any, type_name: str) -> None:
            self._loader = loader
            self._type_name = type_name

        def __contains__(self, service: object) -> bool:
            try:
                return bool(self._loader.list_api_versions(service, self._type_name))
            except botocore.exceptions.DataNotFoundError:
                return False

        def __iter__(self) -> Iterator[str]:
            return iter(
                botocore.loaders.Loader.list_available_services(self._loader, self._type_name)
            )

    class _Loader(botocore.loaders.Loader):
        def list_available_services(self, type_name: str) -> Any:
            return _Services(self, type_name)

    search_path = os.environ.get("AWS_DATA_PATH")
    paths = [
        str(Path(os.path.expandvars(p)).expanduser())
        for p in (search_path or "").split(os.pathsep)
        if p
    ]
    return _Loader(extra_search_paths=paths)


# Credentials resolved once for several sessions (profile -> frozen credentials), set before
# the threads that use them start: see :func:`share_credentials`.
_SHARED: dict[str | None, Any] = {}


def share_credentials(
    profiles: Mapping[str | None, str | None], seconds: float
) -> dict[str | None, SecretSyncError]:
    """Resolve the credentials of each profile once, here, for every session made after it
    (``profiles`` maps a profile, None for the default chain, to a region to resolve it in).

    Checking several environments at once, each thread makes its own session; with an
    assume-role profile that needs an MFA code, each would ask for its own code within the
    hook's deadline.  Resolved first, in the main thread (where the prompt and the deadline
    work), one code serves them all.  A profile that fails is left to each session to report.
    """
    failed: dict[str | None, SecretSyncError] = {}
    for profile, region in profiles.items():
        session = AwsSession(region, profile)
        try:
            with session.deadline(seconds), session.translate("sts:credentials", "the AWS session"):
                _SHARED[profile] = session.frozen_credentials()
        except SecretSyncError as exc:
            failed[profile] = exc
    return failed


def forget_shared_credentials() -> None:
    _SHARED.clear()


class _Expired(BaseException):
    """The deadline passed (raised by the alarm, in the main thread only).

    A BaseException, so that no ``except Exception`` in botocore swallows or retries it."""


class AwsSession:
    """The command's one botocore session; clients are made on first use and reused.

    Reading can be bounded by one overall deadline (:meth:`deadline`): past it, whatever
    botocore is doing (resolving credentials through SSO or assume-role, which use botocore's
    own 60 s timeouts, or retrying) is abandoned with a message naming the step.
    """

    def __init__(
        self,
        region: str | None,
        profile: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.region = region
        self.profile = profile  # named to botocore; None: its default chain decides
        self._environ = os.environ if environ is None else environ
        # For messages ("aws sso login --profile X"): the profile in use, named or ambient.
        self.profile_name = profile or self._environ.get("AWS_PROFILE", "").strip() or None
        self._session: Any = None
        self._clients: dict[str, Any] = {}
        self._until: float | None = None  # time.monotonic() of the deadline
        self._seconds = 0.0
        self._step = "starting"
        self._sent = False
        self._armed = False

    @overload
    def client(
        self, service: Literal["secretsmanager"], *, attempts: int | None = None
    ) -> SecretsManagerClient: ...

    @overload
    def client(self, service: Literal["ssm"], *, attempts: int | None = None) -> SSMClient: ...

    def client(self, service: str, *, attempts: int | None = None) -> Any:
        """The command's client for ``service``; ``attempts`` overrides botocore's retries
        (1: the caller retries itself, as Parameter Store writes do)."""
        cache_key = f"{service}/{attempts}"
        if cache_key in self._clients:
            return self._clients[cache_key]
        if not self.region:
            raise RemoteError(
                "no AWS region is set",
                hint="Set [backend] region in .secretsync.toml, or AWS_REGION.",
            )
        environ = self._environ
        _check_endpoints(environ)
        import botocore.config
        import botocore.session

        with self.translate(f"{service}:connect", "the AWS session"):
            self._step = "resolving AWS credentials" + (
                f" (profile {self.profile_name})" if self.profile_name else ""
            )
            self._botocore_session()
            config = botocore.config.Config(
                connect_timeout=seconds_from(
                    environ, "SECRETSYNC_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT
                ),
                read_timeout=seconds_from(environ, "SECRETSYNC_READ_TIMEOUT", DEFAULT_READ_TIMEOUT),
                retries=retry_settings(environ, self._session.get_scoped_config(), attempts),
                max_pool_connections=16,
            )
            client = self._session.create_client(service, region_name=self.region, config=config)
        client.meta.events.register("before-send", self._sending)
        client.meta.events.register("after-call", _check_answer)
        self._clients[cache_key] = client
        return client

    def _botocore_session(self) -> Any:
        import botocore.session

        if self._session is None:
            self._session = botocore.session.Session(profile=self.profile)
            self._session.register_component("data_loader", _loader())
            aws_endpoints.register(self._session, _loader(), self._environ)
            share_cli_cache(self._session, self.profile_name)
            shared = _SHARED.get(self.profile)
            if shared is not None:
                self._session.set_credentials(shared.access_key, shared.secret_key, shared.token)
        return self._session

    def frozen_credentials(self) -> Any:
        """This session's credentials, resolved now (an MFA code asked now, if needed)."""
        self._step = "resolving AWS credentials" + (
            f" (profile {self.profile_name})" if self.profile_name else ""
        )
        credentials = self._botocore_session().get_credentials()
        if credentials is None:
            from botocore.exceptions import NoCredentialsError

            raise NoCredentialsError
        return credentials.get_frozen_credentials()

    def _sending(self, **kwargs: Any) -> None:
        self._sent = True

    @contextlib.contextmanager
    def deadline(self, seconds: float) -> Iterator[None]:
        """Bound everything the block asks AWS to ``seconds`` in all."""
        self._seconds = seconds
        self._until = time.monotonic() + seconds
        try:
            yield
        finally:
            self._until = None

    @contextlib.contextmanager
    def translate(self, action: str, resource: str) -> Iterator[None]:
        """Turn any botocore failure inside the block into one clear :class:`RemoteError`;
        within a :meth:`deadline`, give up when it passes."""
        outer = (self._step, self._sent)
        self._step, self._sent = f"{action} on {resource}", False
        try:
            with self._alarm():
                yield
        except SecretSyncError:
            raise
        except _Expired:
            raise self._expired(action) from None
        except Exception as exc:
            error = describe_aws_error(exc, action, resource, self.profile_name)
            if error is None:
                raise
            raise error from exc
        finally:
            self._step, self._sent = outer

    @contextlib.contextmanager
    def _alarm(self) -> Iterator[None]:
        if (
            self._until is None
            or self._armed
            or not hasattr(signal, "setitimer")
            or threading.current_thread() is not threading.main_thread()
        ):
            yield  # no deadline, or an enclosing block's alarm already covers this one
            return
        remaining = self._until - time.monotonic()
        if remaining <= 0:
            raise _Expired

        def expire(signum: int, frame: Any) -> None:
            raise _Expired

        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, remaining)
        self._armed = True
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            self._armed = False

    def _expired(self, action: str) -> AwsUnavailableError:
        if action.endswith(":connect"):
            step = self._step  # making the client: resolving credentials
        elif self._sent:
            step = self._step
        else:
            step = f"resolving AWS credentials for {self._step}"
        seconds = f"{self._seconds:g}"
        return AwsUnavailableError(
            f"AWS did not answer within {seconds} s (waiting for: {step})",
            hint="Check your network, VPN or AWS_ENDPOINT_URL; for a slow connection raise "
            "SECRETSYNC_TIMEOUT (seconds).",
        )


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

    # Only when something failed: the table of AWS's failures is not loaded otherwise.
    from secretsync_hooks.remote.aws_errors import describe_botocore_error, describe_client_error

    if isinstance(exc, NoTerminalForMfa):
        return no_terminal_error(str(exc))
    if isinstance(exc, _NotAws):
        return AwsUnavailableError(
            f"{exc.endpoint} did not answer like AWS for {action} "
            f"(HTTP {exc.status}, {exc.content_type or 'no content type'})",
            hint="Check AWS_ENDPOINT_URL, or your network: a proxy or a captive portal "
            "answers with web pages.",
        )
    if isinstance(exc, bce.ClientError):
        code = error_code(exc) or "Unknown"
        message = str(exc.response.get("Error", {}).get("Message", ""))
        return describe_client_error(code, message, action, resource, profile)
    return describe_botocore_error(exc, action, resource, profile)


class _NotAws(Exception):
    """The endpoint answered, but not with AWS's JSON (a web page, a proxy's error)."""

    def __init__(self, endpoint: str, status: int, content_type: str) -> None:
        super().__init__(f"{endpoint} answered HTTP {status} with {content_type}")
        self.endpoint = endpoint
        self.status = status
        self.content_type = content_type


def _check_answer(http_response: Any, model: Any, **kwargs: Any) -> None:
    """Refuse an answer that is not AWS's JSON before botocore reads anything into it: a
    captive portal's page answered with 200 would read as an empty secret, or as a write
    that succeeded.  (The body decides, not the content type: emulators mislabel theirs.)"""
    body = bytes(getattr(http_response, "content", b"") or b"").lstrip()
    if not body or body[:1] in (b"{", b"["):
        return
    content_type = str(http_response.headers.get("content-type", ""))
    url = getattr(http_response, "url", None) or "the endpoint"
    endpoint = urllib.parse.urlsplit(str(url))._replace(query="", fragment="").geturl()
    raise _NotAws(clean(endpoint), int(http_response.status_code), clean(content_type))
