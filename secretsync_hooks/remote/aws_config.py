"""How the botocore session is set up: retries as the user configured them, and the AWS
CLI's credential cache, so that an MFA code is asked once per credential lifetime."""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from secretsync_hooks.errors import AwsUnavailableError, ConfigError

if TYPE_CHECKING:
    from botocore.config import _RetryDict

DEFAULT_MAX_ATTEMPTS = 4
RETRY_MODES = ("legacy", "standard", "adaptive")


def retry_settings(
    environ: Mapping[str, str], profile_config: Mapping[str, Any], attempts: int | None
) -> _RetryDict:
    """botocore's ``retries``: AWS_MAX_ATTEMPTS / AWS_RETRY_MODE, else the profile's
    ``max_attempts`` / ``retry_mode`` (botocore's own order), else standard mode with 4
    attempts; ``attempts`` (a caller that retries by itself) overrides the count.

    An invalid value is an error, not silently replaced: the user asked for something.
    """
    raw_attempts, attempts_source = _first(
        (environ.get("AWS_MAX_ATTEMPTS"), "AWS_MAX_ATTEMPTS"),
        (profile_config.get("max_attempts"), "max_attempts in the AWS profile"),
    )
    raw_mode, mode_source = _first(
        (environ.get("AWS_RETRY_MODE"), "AWS_RETRY_MODE"),
        (profile_config.get("retry_mode"), "retry_mode in the AWS profile"),
    )
    count = DEFAULT_MAX_ATTEMPTS
    if raw_attempts is not None:
        if not raw_attempts.isdigit() or int(raw_attempts) < 1:
            raise ConfigError(
                f"{attempts_source} = {raw_attempts!r} is not a number of attempts",
                hint="Use a whole number, 1 or more (1 means no retries).",
            )
        count = int(raw_attempts)
    mode = "standard"
    if raw_mode is not None:
        if raw_mode not in RETRY_MODES:
            raise ConfigError(
                f"{mode_source} = {raw_mode!r} is not a retry mode",
                hint=f"Use one of: {', '.join(RETRY_MODES)}.",
            )
        mode = raw_mode
    chosen: Any = mode
    return {"mode": chosen, "total_max_attempts": attempts if attempts is not None else count}


def _first(*candidates: tuple[Any, str]) -> tuple[str | None, str]:
    for value, source in candidates:
        if value is not None and str(value).strip():
            return str(value).strip(), source
    return None, ""


class NoTerminalForMfa(Exception):
    """An assume-role profile wants an MFA code and nobody is at a terminal to type it."""


def share_cli_cache(session: Any, profile: str | None) -> None:
    """Let assume-role credentials (MFA ones included) come from, and go to, the AWS CLI's
    cache (``~/.aws/cli/cache``), as ``aws`` itself does: botocore alone caches them in memory
    only, so every command would ask for a new MFA code."""
    from botocore.utils import JSONFileCache

    resolver = session.get_component("credential_provider")
    provider = resolver.get_provider("assume-role")
    if provider is None:  # pragma: no cover - botocore always has one
        return
    # The recipe botocore gave when it took the provider over from the CLI (boto/botocore#744);
    # boto/boto3#1179 is the request that nobody had to type an MFA code every time.
    provider.cache = JSONFileCache(str(Path.home() / ".aws" / "cli" / "cache"))
    # The provider takes its MFA prompter in its constructor only, and calls getpass, which
    # fails in a hook or CI with no terminal: replace it with one that says so.
    provider._prompter = _mfa_prompter(profile)


def _mfa_prompter(profile: str | None) -> Any:
    def prompt(question: str) -> str:
        try:
            tty = os.open("/dev/tty", os.O_RDWR)
        except OSError:
            raise NoTerminalForMfa(profile or "default") from None
        os.close(tty)
        return getpass.getpass(question)  # reads from /dev/tty, not from stdin

    return prompt


def no_terminal_error(profile: str) -> AwsUnavailableError:
    return AwsUnavailableError(
        f"the AWS profile {profile!r} needs an MFA code, and there is no terminal to ask for it",
        hint=f"Run `aws sts get-caller-identity --profile {profile}` in a terminal once: "
        "secretsync shares the AWS CLI's credential cache, so it will not ask again until "
        "those credentials expire.",
    )
