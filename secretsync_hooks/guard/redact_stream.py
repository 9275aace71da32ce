"""Masking values in a stream (``secretsync redact``, ``run --redact``), as it flows.

Text is passed on as soon as it can no longer be part of a value: a value split across two
reads is still masked, and output does not wait for more input than a value could need.
Matching is on bytes, so any encoding, and binary data, pass through intact.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import BinaryIO

from secretsync_hooks.guard.needles import Finder, Hit
from secretsync_hooks.masking import MASK

READ_SIZE = 64 * 1024
BATCH = 1024 * 1024  # matched at once when the input comes fast
_MASK = MASK.encode()


class StreamRedactor:
    """Feed it bytes; it returns the bytes that are final, with every value masked."""

    def __init__(self, finder: Finder) -> None:
        self.finder = finder
        self._carry = b""

    def feed(self, data: bytes, *, settle: bool = True) -> bytes:
        """Mask what can be decided; keep back what may be the start of a value.

        With ``settle`` everything is passed on that cannot begin a value (as little as
        possible is held back, for live output); without, the last (longest value - 1)
        characters are held back without checking (cheaper, for a full pipe).
        """
        text = self._carry + data
        if not self.finder:
            self._carry = b""
            return text
        cheap = max(0, len(text) - self.finder.longest + 1)
        return self._emit(text, self.finder.pending(text) if settle else cheap)

    def finish(self) -> bytes:
        """The rest, at the end of the input."""
        text, self._carry = self._carry, b""
        return self._emit(text, len(text)) if text else b""

    def _emit(self, text: bytes, limit: int) -> bytes:
        """Pass on ``text`` up to ``limit`` with every value masked; a masked stretch that
        reaches past ``limit`` waits (a longer value may be under way inside it)."""
        out: list[bytes] = []
        position, cut = 0, None
        for start, end in merged(self.finder.hits(text)):
            if start >= limit:
                break
            if end > limit:
                cut = start
                break
            out.append(text[position:start])
            out.append(_MASK)
            position = end
        if cut is None:
            cut = max(position, limit)
        out.append(text[position:cut])
        self._carry = text[cut:]
        return b"".join(out)


def merged(hits: list[Hit]) -> list[tuple[int, int]]:
    """The stretches covered by ``hits``, overlapping ones joined: every byte of every
    value is masked, even where two values overlap."""
    stretches: list[tuple[int, int]] = []
    for hit in sorted(hits):
        if stretches and hit.start < stretches[-1][1]:
            stretches[-1] = (stretches[-1][0], max(stretches[-1][1], hit.end))
        else:
            stretches.append((hit.start, hit.end))
    return stretches


def pump(source: int, sink: BinaryIO, finder: Finder, *, stop: int | None = None) -> None:
    """Copy the file descriptor ``source`` to ``sink`` until the end, masking values; each
    piece is written and flushed as soon as it is final.  When ``stop`` (a descriptor)
    becomes readable, what ``source`` holds at that moment is the end."""
    redactor = StreamRedactor(finder)
    for data, paused in chunks(source, stop):
        # When more is waiting, hold back cheaply; when the writer paused, pass on everything
        # that cannot begin a value, so that output stays live.
        chunk = redactor.feed(data, settle=paused)
        if chunk:
            sink.write(chunk)
            sink.flush()
    sink.write(redactor.finish())
    sink.flush()


def chunks(source: int, stop: int | None = None) -> Iterator[tuple[bytes, bool]]:
    """What ``source`` yields, read by read (see :func:`_read`), to its end or, once ``stop``
    is readable, to the end of what it holds then: a writer that outlives the one we waited
    for (a program left running in the background) may never close it."""
    while stop is None or _wait(source, stop):
        data, paused = _read(source)
        if not data:
            return
        yield data, paused
    yield from _rest(source)


def _wait(source: int, stop: int) -> bool:
    """Wait until ``source`` has something to read (True) or ``stop`` is readable (False).
    ``stop`` wins a tie: a writer that never pauses must not keep us reading."""
    import select

    ready, _, _ = select.select([source, stop], [], [])
    return stop not in ready


def _rest(source: int) -> Iterator[tuple[bytes, bool]]:
    """What ``source`` holds now, and nothing written later."""
    import select

    remaining = _available(source)
    while remaining > 0 and select.select([source], [], [], 0)[0]:
        data = os.read(source, min(READ_SIZE, remaining))
        if not data:
            return
        remaining -= len(data)
        yield data, False


def _available(source: int) -> int:
    """How many bytes ``source`` holds now (FIONREAD); where that cannot be asked,
    :data:`BATCH`, more than a pipe holds unless it was enlarged."""
    try:
        import array
        import fcntl
        import termios

        count = array.array("i", [0])
        fcntl.ioctl(source, termios.FIONREAD, count, True)
    except (ImportError, AttributeError, OSError):
        return BATCH
    return count[0]


def _read(source: int) -> tuple[bytes, bool]:
    """What ``source`` holds now, up to :data:`BATCH` bytes (at least one read's worth,
    waiting for it), and whether the writer paused (nothing more was waiting)."""
    import select

    parts = [os.read(source, READ_SIZE)]
    size = len(parts[0])
    while parts[-1] and size < BATCH:
        try:
            ready, _, _ = select.select([source], [], [], 0)
        except (OSError, ValueError):  # not selectable (Windows): one read at a time
            return b"".join(parts), True
        if not ready:
            return b"".join(parts), True
        parts.append(os.read(source, READ_SIZE))
        size += len(parts[-1])
    return b"".join(parts), False
