"""The fronts' words for the fixes of the core's errors: the commands to run.

The core raises facts (a plan needs consent, a conflict, nothing to pull, no .env file); the
CLI and the hooks, which are where the user types commands, say which command fixes it.
"""

from __future__ import annotations

from secretsync_hooks.errors import (
    EnvFileMissing,
    NeedsConsent,
    NothingToPull,
    SecretSyncError,
    WriteConflict,
)


def phrase(exc: SecretSyncError) -> None:
    """Give ``exc`` the command that fixes it, unless it already says what to do."""
    if exc.hint:
        return
    if isinstance(exc, NeedsConsent):
        exc.hint = (
            "`secretsync push --force` overwrites the values in AWS with yours; "
            "`secretsync pull --force` overwrites your .env with the values in AWS. "
            "`secretsync diff` shows every key first."
        )
    elif isinstance(exc, WriteConflict):
        exc.hint = "Run `secretsync diff` to see the new state, then push or pull again."
    elif isinstance(exc, NothingToPull):
        exc.hint = "`secretsync push` creates it from your .env."
    elif isinstance(exc, EnvFileMissing):
        exc.hint = "Create it, name another with --env-file, or run `secretsync pull` to fetch it."
