"""Finding values in one file's bytes as they are read, chunk by chunk, in bounded memory.

A file is searched in chunks of :data:`CHUNK` bytes, each with the last bytes of the one
before it (the longest needle less one, or the pragma's length less one if that is longer),
so a value or a ``secretsync: allow`` that spans two chunks is still seen.  The findings are
exactly those of searching the whole file at once: leftmost-longest hits that do not overlap,
one finding per line and key, none on a line holding the pragma, wherever on the line it
is, even when that line is longer than a chunk.
"""

from __future__ import annotations

from typing import NamedTuple

from secretsync_hooks.guard.needles import ALLOW, Finder, Hit

# Large enough that per-chunk work is noise (1 to 16 MiB search a 512 MiB file in the same
# time), small enough that every reading thread together stays far below the memory bound.
CHUNK = 2 * 1024 * 1024


class Finding(NamedTuple):
    path: str  # as shown: every value in it masked
    line: int  # 0: the path itself holds the value
    key: str
    form: str

    def __str__(self) -> str:
        if self.line == 0:
            return f"{self.path}: its path holds the value of {self.key} ({self.form})"
        return f"{self.path}:{self.line}: holds the value of {self.key} ({self.form})"


class Unreadable(NamedTuple):
    path: str  # as shown: every value in it masked; a directory ends with "/"
    why: str


class LineScanner:
    """Feed it a file's bytes in order (:meth:`feed`), then :meth:`finish` for its findings.

    After each chunk everything before a *frontier* is settled: every hit that starts there
    has been seen (it cannot be longer than the longest needle), so it can be chosen or
    dropped, and its line is counted.  Findings wait on their line until its end is seen,
    since a pragma later on the line allows them all.
    """

    def __init__(self, path: str, finder: Finder) -> None:
        self.path = path
        self.finder = finder
        self.findings: list[Finding] = []
        self._keep = max(finder.longest, len(ALLOW)) - 1
        self._carry = b""  # the unsettled end of what was read
        self._base = 0  # where the carry begins in the file
        self._pending: list[Hit] = []  # hits (file positions) beyond the frontier
        self._chosen_end = 0  # the end of the last hit chosen: overlapping ones are dropped
        self._line = 1  # the line at the frontier
        self._allow = False  # the pragma is on that line, before the frontier
        self._open: list[Finding] = []  # findings on that line, waiting for its end
        self._keys: set[str] = set()  # their keys

    def feed(self, data: bytes) -> None:
        self._step(self._carry + data, final=False)

    def finish(self) -> list[Finding]:
        self._step(self._carry, final=True)
        if self._open and not self._allow:
            self.findings.extend(self._open)
        self._open = []
        return self.findings

    def _step(self, text: bytes, *, final: bool) -> None:
        old = len(self._carry)  # a hit that ends within the carry was seen before
        frontier = len(text) if final else max(0, len(text) - self._keep)
        hits = self.finder.hits(text)
        if hits or self._pending or self._open:
            self._settle(text, [h for h in hits if h.end > old], frontier, final=final)
        elif not final:
            self._advance(text, 0, frontier)
        self._carry = text[frontier:]
        self._base += frontier

    def _settle(self, text: bytes, new: list[Hit], frontier: int, *, final: bool) -> None:
        """Choose, in file order, the hits that start before the frontier; keep the rest."""
        base = self._base
        hits = self._pending + [Hit(h.start + base, h.end + base, h.needle) for h in new]
        hits.sort(key=lambda h: (h.start, h.start - h.end))  # leftmost, then longest
        limit = base + frontier
        self._pending = [] if final else [h for h in hits if h.start >= limit]
        cursor = 0
        for hit in hits:
            if not final and hit.start >= limit:
                break
            if hit.start < self._chosen_end:
                continue  # overlaps the hit chosen before it
            self._chosen_end = hit.end
            at = hit.start - base
            self._advance(text, cursor, at)
            cursor = at
            if hit.needle.key not in self._keys:
                self._keys.add(hit.needle.key)
                self._open.append(Finding(self.path, self._line, *hit.needle))
        self._advance(text, cursor, frontier)

    def _advance(self, text: bytes, lo: int, hi: int) -> None:
        """Move from ``lo`` to ``hi`` in ``text``: close each line that ends on the way (its
        findings kept unless the pragma is on it), and note the pragma on the open line."""
        if lo >= hi:
            return
        # A pragma that starts before ``hi`` is wholly in ``text`` (the carry is long
        # enough), and never spans a line break (it holds none).
        reach = hi + len(ALLOW) - 1
        newline = text.find(b"\n", lo, hi)
        if newline < 0:
            self._allow = self._allow or text.find(ALLOW, lo, reach) >= 0
            return
        if self._open:
            if not self._allow and text.find(ALLOW, lo, newline) < 0:
                self.findings.extend(self._open)
            self._open = []
        self._keys.clear()
        last = text.rfind(b"\n", newline, hi)
        self._line += text.count(b"\n", newline, last + 1)
        self._allow = text.find(ALLOW, last + 1, reach) >= 0


def scan_data(path: str, data: bytes, finder: Finder) -> list[Finding]:
    """The findings in ``data`` (all the bytes of ``path``), one per line, key and form."""
    if not finder.hits(data):
        return []
    scanner = LineScanner(path, finder)
    scanner.feed(data)
    return scanner.finish()
