"""Ctrl-C and SIGTERM as exceptions, and the few steps they must not cut in half.

Python turns SIGINT into ``KeyboardInterrupt`` but lets SIGTERM kill the process on the spot,
leaving temporary files behind and the user without a word on what was written.  While a
command runs, both raise ``KeyboardInterrupt``, so every ``finally`` runs and the command can
say exactly what it changed.  Inside :func:`critical` (a rename that publishes a file, the
cleanup of a staging label) a signal is held until the step is over, so a report can never
claim "nothing was changed" about a write that happened.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

_SIGNALS: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)
_state = threading.local()


class _Held:
    depth = 0
    pending = False


def _held() -> _Held:
    if not hasattr(_state, "held"):
        _state.held = _Held()
    held: _Held = _state.held
    return held


def _handle(signum: int, frame: FrameType | None) -> None:
    held = _held()
    if held.depth:
        held.pending = True
        return
    raise KeyboardInterrupt


@contextlib.contextmanager
def handled() -> Iterator[None]:
    """While the block runs, SIGINT and SIGTERM raise ``KeyboardInterrupt`` (main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, Any] = {}
    for signum in _SIGNALS:
        try:
            previous[signum] = signal.signal(signum, _handle)
        except (ValueError, OSError):  # pragma: no cover - not settable here
            continue
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def critical(*, deliver: bool = True) -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block is over.

    With ``deliver`` a signal that arrived meanwhile raises ``KeyboardInterrupt`` once the
    block is done; without it, it is dropped (the command has finished its writes and only
    reports them now).
    """
    held = _held()
    held.depth += 1
    try:
        yield
    except BaseException:
        held.depth -= 1
        if not held.depth:
            held.pending = False  # the block failed anyway: its own error says more
        raise
    held.depth -= 1
    if not held.depth and held.pending:
        held.pending = False
        if deliver:
            raise KeyboardInterrupt
