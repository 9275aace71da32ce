"""The fronts' words for the fixes of the core's errors: the commands to run.

The core raises facts (a plan needs consent and why, a conflict, nothing to pull, no .env
file); the CLI and the hooks, which are where the user types commands, say which command
fixes it, with the options that chose the target (``--env``, ``--config``, ``--env-file``,
...), so that it can be pasted as it is.  Each kind of refusal has its own next step; none
proposes ``--force`` or ``--prune`` for a change of most keys at once, which a lost or
replaced .env looks exactly like.
"""

from __future__ import annotations

import re
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


_COMMAND = re.compile(r"`secretsync( [^`]*)?`")
_VALUELESS = {"--no-profile"}


def with_args(message: str, args: Sequence[str]) -> str:
    """``message`` with the target's options (``args``) added to every ``secretsync ...``
    command in it that lacks them: words the core composed without knowing how the user chose
    the target, made pasteable."""
    if not args or "`secretsync" not in message:
        return message
    pairs: list[list[str]] = []
    for arg in args:
        if arg.startswith("--") and (not pairs or arg in _VALUELESS or len(pairs[-1]) == 2):
            pairs.append([arg])
        elif pairs and pairs[-1][0].startswith("--") and len(pairs[-1]) == 1:
            pairs[-1].append(arg)
        else:
            pairs.append([arg])

    def add(match: re.Match[str]) -> str:
        words = (match.group(1) or "").split()
        missing = [word for pair in pairs if pair[0] not in words for word in pair]
        return command(" ".join(words), missing) if missing else match.group(0)

    return _COMMAND.sub(add, message)


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
    """Give ``exc`` the command that fixes it, unless it already says what to do; every
    command it names carries the options that chose the target."""
    _phrase(exc, args)
    exc.message = with_args(exc.message, args)
    if exc.hint:
        exc.hint = with_args(exc.hint, args)


def _phrase(exc: SecretSyncError, args: Sequence[str]) -> None:
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
    from secretsync_hooks import text
    from secretsync_hooks.sync import guards

    reasons = {getattr(reason, "kind", None): reason for reason in exc.reasons}
    direction = exc.direction
    lines = []
    if guards.ELSEWHERE in reasons:
        lines.append(_elsewhere(exc, args))
    if guards.MASS in reasons:
        # Never --force or --prune here: what so many changes at once look like.
        suspect = (
            "a lost, emptied or replaced .env"
            if direction == "push"
            else "a remote other than the one you meant (another secret, region or account)"
        )
        lines.append(
            f"So many changes at once are what {suspect} looks like: "
            f"{command('diff --verbose', args)} lists every key; check it before anything is "
            "written."
        )
        return "\n".join(lines)
    if conflict := reasons.get(guards.CONFLICT):
        also = tuple(getattr(conflict, "also", ()))
        extra = (
            f" and puts back your values of {text.keys(also)} (changed or deleted in AWS since)"
            if also
            else ""
        )
        lines.append(
            f"{command('push --force', args)} keeps yours{extra}; "
            f"{command('pull --force', args)} takes the ones in AWS."
        )
    if guards.OVERWRITE in reasons:
        lines.append(
            f"{command('push --force', args)} overwrites the values in AWS with yours; "
            f"{command('pull --force', args)} overwrites your .env with the values in AWS."
        )
    if delete := reasons.get(guards.DELETE):
        them = text.agree(len(tuple(getattr(delete, "keys", ()))), "it", "them")
        where = f"deletes {them} in AWS" if direction == "push" else f"drops {them} from the .env"
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
    # The region in use came from an environment variable (AWS_REGION, ...) when --region
    # was not given: the config's is named instead.
    chose = "" if "--region" in args else f" (or unset the variable that chose {used})"
    return (
        f"To create it where the config says, pass --region {configured}{chose}: "
        f"{command(f'push --region {configured}', rest)}; to create it in {used} on "
        f"purpose: {command(f'push --region {used} --force', rest)}."
    )
