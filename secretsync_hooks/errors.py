"""Every error class and the exit codes, in one place.

Every error a user can meet is a :class:`SecretSyncError`; the CLI and the hooks catch it in one
place and turn it into one message and an exit code.  Messages never carry secret values: they
name keys, files, lines and AWS resources, never what a key holds.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from secretsync_hooks import text

if TYPE_CHECKING:
    from secretsync_hooks.models import KeyOp


class ExitCode(enum.IntEnum):
    OK = 0  # in sync, or the requested change was made
    DRIFT = 1  # drift found, or a change was refused (conflict, needs --force)
    ERROR = 2  # bad input, bad config, AWS could not be asked, ...
    NOT_EXECUTABLE = 126  # run: the command exists but cannot be executed (as shells say)
    NOT_FOUND = 127  # run: no such command
    INTERRUPTED = 130  # Ctrl-C or SIGTERM (128 + SIGINT, as shells report it)


class SecretSyncError(Exception):
    """An error meant for the user: one clear message, an exit code and an optional hint.

    The core states facts (what is wrong, what it concerns); where the fix is a command, the
    front that ran (the CLI, a hook) phrases it, since only it knows its own options.
    """

    exit_code: ExitCode = ExitCode.ERROR
    label = "error"  # "secretsync: error: ..."
    # Keys a write put in place without the config's tags (Parameter Store), for the next
    # push to tag: set by the errors of a write that failed part-way.
    untagged: tuple[str, ...] = ()

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        # Parts of ``message`` that come from elsewhere and may quote a value (AWS's own
        # words): the only parts a front scrubs of known values before printing.
        self.untrusted: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message}\n{self.hint}"


class ConfigError(SecretSyncError):
    """The configuration file or the settings resolved from it are unusable."""


class EnvFileError(SecretSyncError):
    """The local .env file cannot be read, parsed or written."""


class EnvFileMissing(EnvFileError):
    """A command that needs the .env file found none (a push has nothing to push from)."""


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


class NothingToPull(RemoteError):
    """A pull from a remote that does not exist."""


class RefusedError(SecretSyncError):
    """A change was refused on purpose (a conflict, or it needs --force); nothing was changed."""

    exit_code = ExitCode.DRIFT
    label = "refused"


class NeedsConsent(RefusedError):
    """A plan that needs --force or a yes at the prompt, which it did not get.

    ``what`` says what the plan would do, in the core's words; ``direction`` is "push" or
    "pull".  The front says how to give consent.
    """

    def __init__(self, what: str, direction: str, reasons: Sequence[object] = ()) -> None:
        super().__init__(f"{what}; nothing was changed")
        self.what = what
        self.direction = direction
        # The core's reasons (guards.Reason: a kind, its words, the keys): one hint each.
        self.reasons = tuple(reasons)


class ContractBroken(RefusedError):
    """A push or a promote would publish values that break the key contract (``[keys.X]``
    rules); nothing was written.  No --force overrides it: the value or the rule is fixed."""

    def __init__(
        self, what: str, violations: Sequence[object], *, hint: str, verb: str = "break"
    ) -> None:
        listed = "; ".join(str(violation) for violation in violations)
        super().__init__(f"{what} that {verb} the key contract: {listed}; nothing was changed")
        self.hint = hint
        self.violations = tuple(violations)


class Declined(RefusedError):
    """The user answered no at the prompt: nothing to explain, nothing was changed."""

    label = ""

    def __init__(self) -> None:
        super().__init__("nothing was changed")


class LaunchError(SecretSyncError):
    """``run`` could not start the command: not found (127) or not executable (126)."""

    def __init__(self, message: str, exit_code: ExitCode, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.exit_code = exit_code


class Interrupted(SecretSyncError):
    """Ctrl-C or SIGTERM after writes began: the message says exactly what was written."""

    exit_code = ExitCode.INTERRUPTED
    label = "interrupted"


class WriteConflict(RefusedError):
    """Keys the plan touches were changed remotely since the snapshot; they were not written."""

    def __init__(
        self,
        target: str,
        keys: Sequence[str],
        *,
        applied: Sequence[KeyOp] = (),
    ) -> None:
        self.keys = tuple(keys)
        self.applied = tuple(applied)
        done = ""
        if applied:
            done = f" Applied before the conflict: {text.keys(op.key for op in applied)}."
        super().__init__(
            f"conflict: {text.keys(self.keys)} {'was' if len(self.keys) == 1 else 'were'} "
            f"changed by someone else in {target} while pushing; not overwritten.{done}"
        )


def apply_report(
    applied: Sequence[KeyOp], failed: Mapping[str, str], not_attempted: Sequence[str]
) -> list[str]:
    """Lines that say exactly which keys a write changed and which it did not."""
    lines = [f"  applied: {text.keys(op.key for op in applied) or 'none'}"]
    by_reason: dict[str, list[str]] = {}
    for key, reason in failed.items():
        by_reason.setdefault(reason, []).append(key)
    for reason, keys in by_reason.items():
        lines.append(f"  failed ({reason}): {text.keys(keys)}")
    if not_attempted:
        lines.append(f"  not applied: {text.keys(not_attempted)}")
    return lines


class PartialApplyError(SecretSyncError):
    """A write failed part-way: says exactly which keys were applied and which were not."""

    exit_code = ExitCode.ERROR

    def __init__(
        self,
        target: str,
        applied: Sequence[KeyOp],
        failed: Mapping[str, str],
        not_attempted: Sequence[str],
        hints: Mapping[str, str] | None = None,
        untagged: Mapping[str, str] | None = None,
    ) -> None:
        self.applied = tuple(applied)
        self.failed = dict(failed)
        self.not_attempted = tuple(not_attempted)
        self.untagged = tuple(untagged or {})
        lines = [f"the write to {target} failed part-way (Parameter Store has no transactions)"]
        lines += apply_report(applied, failed, not_attempted)
        by_reason: dict[str, list[str]] = {}
        for key, reason in (untagged or {}).items():
            by_reason.setdefault(reason, []).append(key)
        lines += [
            f"  written, but the tags not added ({reason}): {text.keys(keys)}"
            for reason, keys in by_reason.items()
        ]
        advice = [f"{reason}: {hint}" for reason, hint in (hints or {}).items()]
        super().__init__(
            "\n".join(lines),
            hint="\n".join(
                [
                    *advice,
                    "Fix the cause and run the same command again: it applies only what is "
                    "still different.",
                ]
            ),
        )


class TagsNotApplied(SecretSyncError):
    """Values were written, but the config's tags could not be added to some of them.

    ``result`` is what the write did (the sync core records it as agreed); ``keys`` are the
    keys still without their tags, which the next push adds.
    """

    exit_code = ExitCode.ERROR

    def __init__(
        self,
        target: str,
        failed: Mapping[str, str],
        hints: Mapping[str, str] | None = None,
        result: object = None,
    ) -> None:
        self.keys = tuple(failed)
        self.untagged = self.keys
        self.result = result
        by_reason: dict[str, list[str]] = {}
        for key, reason in failed.items():
            by_reason.setdefault(reason, []).append(key)
        lines = [
            f"the values were written to {target}, but the tags of [parameter_store] tags "
            f"could not be added to {text.count(len(failed), 'key')}:"
        ]
        lines += [f"  ({reason}): {text.keys(keys)}" for reason, keys in by_reason.items()]
        # The front adds the command that adds them (the next push, with its options).
        advice = [f"{reason}: {hint}" for reason, hint in (hints or {}).items()]
        super().__init__("\n".join(lines), hint="\n".join(advice) or None)


def interrupted_report(
    target: str, applied: Sequence[KeyOp], not_applied: Sequence[str]
) -> BaseException:
    """What an interrupt during a write becomes: a plain ``KeyboardInterrupt`` (reported as
    "nothing was changed") when nothing was applied, else the exact applied / not-applied
    report, with exit code 130 either way."""
    if not applied:
        return KeyboardInterrupt()
    lines = [f"interrupted while writing to {target}; part of the change was made"]
    lines += apply_report(applied, {}, not_applied)
    return Interrupted(
        "\n".join(lines),
        hint="Run the same command again: it applies only what is still different.",
    )


class LastSyncError(Exception):
    """A stored record of the last sync cannot be trusted; it is reported once and ignored.

    ``reset`` is the command that clears it: ``forget`` for one record, ``forget
    --drop-fingerprint-key`` when the fingerprint key itself is damaged (no record can be
    checked without it).
    """

    def __init__(self, message: str, *, reset: str = "secretsync forget") -> None:
        super().__init__(message)
        self.reset = reset
