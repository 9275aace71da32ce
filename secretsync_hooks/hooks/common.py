"""What every hook shares: the error path (one message on stdout, no traceback unless
--debug, exit 130 on Ctrl-C), the redactor every value read is registered with, and plain
output (pre-commit shows it; there is no terminal to draw on)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from secretsync_hooks import text
from secretsync_hooks.error_handler import guarded
from secretsync_hooks.redact import Redactor

# One per hook process: every value read is registered here, every error report scrubbed.
REDACTOR = Redactor()


def hook_guarded(argv: Sequence[str] | None, func: Callable[[], int]) -> int:
    """The CLI's error path for a hook: one message on stdout, no traceback unless --debug,
    exit 130 on Ctrl-C or SIGTERM."""
    args = list(sys.argv[1:] if argv is None else argv)
    return guarded(func, debug="--debug" in args, stream=sys.stdout, redact=REDACTOR)


def say(message: str) -> None:
    """One message on stdout, control characters escaped.  Messages never hold values by
    construction; error reports go through the error handler, which also redacts."""
    print(text.clean(message))
