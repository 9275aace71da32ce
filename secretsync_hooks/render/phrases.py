"""The fronts' words for the fixes of the core's errors: the commands to run.

The core raises facts (a plan needs consent and why, a conflict, nothing to pull, no .env
file); the CLI and the hooks, which are where the user types commands, say which command
fixes it, with the options that chose the target (``--env``, ``--config``, ``--env-file``,
...), so that it can be pasted as it is.  Each kind of refusal has its own next step; none
proposes ``--force`` or ``--prune`` for a change of most keys at once, which a lost or
replaced .env looks exactly like.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from secretsync_hooks.errors import (
    EnvFileMissing,
    NeedsConsent,
    NothingToPull,
    SecretSyncError,
    TagsNotApplied,
    WriteConflict,
)


def command(words: str, args: Sequence[str] = ()) -> str:
    """``secretsync WORDS ARGS``, quoted for a shell, in backticks."""
    tail = f" {shlex.join(args)}" if args else ""
    return f"`secretsync {words}{tail}`"


def without_option(args: Sequence[str], flag: str) -> list[str]:
    """``args`` less ``flag`` and its value."""
    out, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg == flag:
            skip = True
        else:
            out.append(arg)
    return out


def phrase(exc: SecretSyncError, args: Sequence[str] = ()) -> None:
    """Give ``exc`` the command that fixes it, unless it already says what to do."""
    if isinstance(exc, TagsNotApplied) and "adds the missing tags" not in (exc.hint or ""):
        again = (
            f"Fix the cause and run {command('push', args)} again: it adds the missing tags "
            "(the values are in place)."
        )
        exc.hint = f"{exc.hint}\n{again}" if exc.hint else again
    if exc.hint:
        return
    if isinstance(exc, NeedsConsent):
        exc.hint = consent_hint(exc, args)
    elif isinstance(exc, WriteConflict):
        exc.hint = f"Run {command('diff', args)} to see the new state, then push or pull again."
    elif isinstance(exc, NothingToPull):
        exc.hint = f"{command('push', args)} creates it from your .env."
    elif isinstance(exc, EnvFileMissing):
        exc.hint = (
            f"Create it, name another with --env-file, or run {command('pull', args)} to fetch it."
        )


def consent_hint(exc: NeedsConsent, args: Sequence[str]) -> str | None:
    """The next step for each reason a plan needs consent (guards.Reason kinds)."""
    from secretsync_hooks.sync import guards

    kinds = {getattr(reason, "kind", None) for reason in exc.reasons}
    direction = exc.direction
    lines = []
    if guards.ELSEWHERE in kinds:
        lines.append(_elsewhere(exc, args))
    if guards.MASS in kinds:
        # Never --force or --prune here: a lost, emptied or replaced .env looks like this.
        lines.append(
            f"So many changes at once are what a lost, emptied or replaced .env looks like: "
            f"{command('diff --verbose', args)} lists every key; check that the .env is the "
            "file you meant before anything is written."
        )
        return "\n".join(lines)
    if guards.CONFLICT in kinds:
        lines.append(
            f"{command('push --force', args)} keeps yours; {command('pull --force', args)} "
            "takes the ones in AWS."
        )
    if guards.OVERWRITE in kinds:
        lines.append(
            f"{command('push --force', args)} overwrites the values in AWS with yours; "
            f"{command('pull --force', args)} overwrites your .env with the values in AWS."
        )
    if guards.DELETE in kinds:
        where = "deletes them in AWS" if direction == "push" else "drops them from your .env"
        lines.append(f"{command(f'{direction} --prune --force', args)} {where}.")
    if lines:
        lines.append(f"{command('diff', args)} shows every key first.")
    return "\n".join(lines) or None


def _elsewhere(exc: NeedsConsent, args: Sequence[str]) -> str:
    """Creating the remote in another region: name both, and how to choose."""
    from secretsync_hooks.sync import guards

    reason = next(r for r in exc.reasons if getattr(r, "kind", None) == guards.ELSEWHERE)
    configured, used = getattr(reason, "regions", (None, None))
    rest = without_option(args, "--region")
    return (
        f"To create it where the config says, pass --region {configured} (or unset the "
        f"variable that chose {used}): {command(f'push --region {configured}', rest)}; "
        f"to create it in {used} on purpose: {command(f'push --region {used} --force', rest)}."
    )
