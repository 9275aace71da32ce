"""Turn every exception into one message and an exit code, in one place.

Modelled on pre-commit's ``error_handler``: a :class:`SecretSyncError` prints its message and
hint; anything unexpected prints one line naming it and how to see more (``--debug``).  No
traceback reaches a user unless they ask, and everything printed passes through the front's
:class:`~secretsync_hooks.redact.Redactor`.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable
from typing import TextIO

from secretsync_hooks import interrupts
from secretsync_hooks.errors import ExitCode, SecretSyncError
from secretsync_hooks.text import clean

RERUN = "Rerun with --debug to see the traceback, and report it if it is a bug."


def report(
    exc: BaseException,
    *,
    debug: bool,
    prog: str = "secretsync",
    stream: TextIO | None = None,
    redact: Callable[[str], str] = str,
) -> int:
    """Print ``exc`` for a user and return the exit code it stands for."""
    out = stream if stream is not None else sys.stderr
    if debug:
        out.write(_traceback(exc, redact))
    if isinstance(exc, SecretSyncError):
        message = own_words(exc, redact)
        label = f"{exc.label}: " if exc.label else ""
        out.write(clean(f"{prog}: {label}{message}\n"))
        if exc.hint:
            out.write(clean(f"{exc.hint}\n"))
        return int(exc.exit_code)
    if isinstance(exc, OSError) and _is_output_error(exc):
        # stdout is gone (a closed pipe) or full: say so where possible, exit 2, and stop
        # Python from failing again on the final flush.
        _detach_stdout()
        if not isinstance(exc, BrokenPipeError):
            out.write(f"{prog}: error: cannot write the output: {exc.strerror or exc}\n")
        return int(ExitCode.ERROR)
    if isinstance(exc, KeyboardInterrupt):
        # Writers turn an interrupt after their first write into an Interrupted error with
        # the exact report; a bare one means nothing was written.
        out.write(f"{prog}: Interrupted; nothing was changed.\n")
        return int(ExitCode.INTERRUPTED)
    detail = redact(str(exc)).splitlines()
    what = f"{type(exc).__name__}: {detail[0]}" if detail else type(exc).__name__
    out.write(clean(f"{prog}: unexpected error: {what}\n"))
    if not debug:
        out.write(f"{RERUN}\n")
    return int(ExitCode.ERROR)


def own_words(exc: SecretSyncError, redact: Callable[[str], str]) -> str:
    """``exc``'s message as secretsync composed it (a secret named shop/production stays
    readable whatever values are about), with only what came from elsewhere scrubbed."""
    message = exc.message
    for piece in exc.untrusted:
        message = message.replace(piece, redact(piece))
    return message


def _traceback(exc: BaseException, redact: Callable[[str], str]) -> str:
    """The traceback (``--debug``), scrubbed: exception text from elsewhere may quote a
    value; secretsync's own messages in it are kept as composed."""
    import traceback

    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    kept: dict[str, str] = {}
    seen: set[int] = set()
    error: BaseException | None = exc
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, SecretSyncError) and str(error):
            token = f"\0{len(kept)}\0"
            shown = own_words(error, redact) + (f"\n{error.hint}" if error.hint else "")
            text = text.replace(str(error), token)
            kept[token] = shown
        error = error.__cause__ or error.__context__
    text = redact(text)
    for token, shown in kept.items():
        text = text.replace(token, shown)
    return text


def _is_output_error(exc: OSError) -> bool:
    return isinstance(exc, BrokenPipeError) or exc.errno in (errno.ENOSPC, errno.EIO, errno.EDQUOT)


def _detach_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def guarded(
    func: Callable[[], int],
    *,
    debug: bool,
    prog: str = "secretsync",
    stream: TextIO | None = None,
    redact: Callable[[str], str] = str,
    phrase: Callable[[SecretSyncError], None] | None = None,
    document: Callable[[BaseException, int], None] | None = None,
) -> int:
    """Run ``func`` with Ctrl-C and SIGTERM as exceptions, and turn whatever it raises into
    a message and an exit code; ``phrase`` lets the front add its own words (the command
    that fixes it) to an error of the core first, and ``document`` print the error as its
    JSON document too (not when stdout itself failed)."""
    try:
        with interrupts.handled():
            code = func()
            sys.stdout.flush()  # a closed pipe or a full disk fails here, not at exit
            return code
    except (Exception, KeyboardInterrupt) as exc:
        if phrase is not None and isinstance(exc, SecretSyncError):
            phrase(exc)
        code = report(exc, debug=debug, prog=prog, stream=stream, redact=redact)
        if document is not None and not (isinstance(exc, OSError) and _is_output_error(exc)):
            document(exc, code)
        return code
