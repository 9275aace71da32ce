"""The one exception family and the exit codes, in one place.

Every error a user can meet is a :class:`SecretSyncError`; the CLI and the hooks catch it in one
place and turn it into one message and an exit code.  Messages never carry secret values: they
name keys, files, lines and AWS resources, never what a key holds.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0  # in sync, or the requested change was made
    DRIFT = 1  # drift found, or a change was refused (conflict, needs --force)
    ERROR = 2  # bad input, bad config, AWS could not be asked, ...
    INTERRUPTED = 130  # Ctrl-C or SIGTERM (128 + SIGINT, as shells report it)


class SecretSyncError(Exception):
    """An error meant for the user: one clear message, an exit code and an optional hint."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message}\n{self.hint}"


class ConfigError(SecretSyncError):
    """The configuration file or the settings resolved from it are unusable."""


class EnvFileError(SecretSyncError):
    """The local .env file cannot be read, parsed or written."""


class RemoteError(SecretSyncError):
    """AWS could not be asked, or answered with something secretsync cannot use.

    ``code`` is AWS's error code when the error is AWS's answer (``AccessDeniedException``).
    """

    def __init__(self, message: str, *, hint: str | None = None, code: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.code = code


class AwsUnavailableError(RemoteError):
    """AWS could not be asked at all: no or expired credentials, no network, throttled.

    A hook run with ``--on-error warn`` lets a commit through on this error, and only on it.
    """


class RefusedError(SecretSyncError):
    """A change was refused on purpose (a conflict, or it needs --force); nothing was changed."""

    exit_code = ExitCode.DRIFT


class Interrupted(SecretSyncError):
    """Ctrl-C or SIGTERM after writes began: the message says exactly what was written."""

    exit_code = ExitCode.INTERRUPTED
