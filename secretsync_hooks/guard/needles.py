"""Finding real secret values in text: the needles, and one automaton to find them all.

secretsync knows the values, so it looks for exactly them, in the forms a value takes when it
is pasted elsewhere: as is, JSON-escaped, URL-encoded, base64 of the whole value, and each
line of a multi-line value.  Matching is on bytes, so binary files are searched as they are
and nothing is decoded wrongly.  A needle
never leaves this module except as the key and form it stands for.
"""

from __future__ import annotations

import base64
import bisect
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import quote, quote_plus

from secretsync_hooks.masking import MASK

if TYPE_CHECKING:
    from ahocorasick_rs import BytesAhoCorasick

ALLOW = b"secretsync: allow"
_MASK = MASK.encode()
# Bytes of each needle the automaton looks for (a value is at least [scan] min_length long,
# 8 by default, and seldom shares its first 12 bytes with ordinary text).
_PREFIX = 12


class Needle(NamedTuple):
    key: str
    form: str  # "the value", "JSON-escaped", "URL-encoded", "base64", "a line of it"


class Hit(NamedTuple):
    start: int
    end: int  # exclusive
    needle: Needle


def forms(value: str, min_length: int) -> Iterator[tuple[str, bytes]]:
    """(form, bytes) for every form of ``value`` worth looking for (``min_length`` or more
    bytes long)."""
    raw = value.encode("utf-8")
    candidates = [
        ("the value", raw),
        ("JSON-escaped", json.dumps(value)[1:-1].encode("utf-8")),
        ("JSON-escaped", json.dumps(value, ensure_ascii=False)[1:-1].encode("utf-8")),
        ("URL-encoded", quote(value, safe="").encode("ascii")),
        ("URL-encoded", quote_plus(value, safe="").encode("ascii")),
        ("URL-encoded", quote(value).encode("ascii")),
        ("base64", base64.b64encode(raw)),
        ("base64", base64.b64encode(raw).rstrip(b"=")),
        ("base64", base64.urlsafe_b64encode(raw).rstrip(b"=")),
    ]
    lines = value.splitlines()
    if len(lines) > 1:
        candidates += [("a line of it", line.strip().encode("utf-8")) for line in lines]
    seen: set[bytes] = set()
    for form, data in candidates:
        if len(data) >= min_length and data not in seen:
            seen.add(data)
            yield form, data


def needles(
    values: Mapping[str, str], plain_keys: Iterable[str], min_length: int
) -> dict[bytes, Needle]:
    """Every byte string to look for, with the key and form it stands for: each value of
    ``values`` except those of ``plain_keys`` and those shorter than ``min_length``."""
    plain = tuple(plain_keys)
    found: dict[bytes, Needle] = {}
    for key, value in values.items():
        if any(fnmatchcase(key, pattern) for pattern in plain):
            continue
        if len(value.encode("utf-8")) < min_length:
            continue
        for form, data in forms(value, min_length):
            # The exact value wins over a line of another value that happens to equal it.
            if data not in found or form == "the value":
                found[data] = Needle(key, form)
    return found


class Finder:
    """An Aho-Corasick automaton over the needles (a DFA, built once, searched many times).

    The automaton holds the first :data:`_PREFIX` bytes of each needle; where one of those
    occurs, the needles that begin with it are compared whole.  A DFA that small is built in
    a quarter of the time, and searches as fast: a start-up every hook run pays."""

    def __init__(self, found: Mapping[bytes, Needle]) -> None:
        self.needles = dict(found)
        by_prefix: dict[bytes, list[tuple[bytes, Needle]]] = {}
        for pattern, needle in found.items():
            by_prefix.setdefault(pattern[:_PREFIX], []).append((pattern, needle))
        self._prefixes = list(by_prefix)
        self._beginning = [by_prefix[prefix] for prefix in self._prefixes]
        self._sorted = sorted(found)
        self._first = {pattern[0] for pattern in found}
        self.longest = max((len(pattern) for pattern in found), default=0)
        self._automaton: BytesAhoCorasick | None = None
        if found:
            self._automaton = _automaton(self._prefixes)

    def __bool__(self) -> bool:
        return self._automaton is not None

    def hits(self, data: bytes) -> list[Hit]:
        """Every occurrence in ``data``, overlapping ones too (in no particular order)."""
        if self._automaton is None:
            return []
        return [
            Hit(start, start + len(pattern), needle)
            for index, start, _ in self._automaton.find_matches_as_indexes(data, overlapping=True)
            for pattern, needle in self._beginning[index]
            if data.startswith(pattern, start)
        ]

    def mask(self, text: str) -> str:
        """``text`` (a path, say) with every byte of every value in it replaced by the mask,
        so that it can be shown."""
        data = os.fsencode(text)
        hits = self.hits(data)
        if not hits:
            return text
        out: list[bytes] = []
        position = 0
        for hit in sorted(hits):
            if hit.end <= position:
                continue
            if hit.start >= position:
                out += [data[position : hit.start], _MASK]
            position = hit.end
        out.append(data[position:])
        return os.fsdecode(b"".join(out))

    def pending(self, data: bytes) -> int:
        """Where, in ``data``, a needle may have begun without ending yet: the first index
        whose rest of ``data`` is the start of some needle (``len(data)`` if none)."""
        for index in range(max(0, len(data) - self.longest + 1), len(data)):
            if data[index] in self._first:
                rest = data[index:]
                at = bisect.bisect_left(self._sorted, rest)
                if at < len(self._sorted) and self._sorted[at].startswith(rest):
                    return index
        return len(data)


def _automaton(patterns: list[bytes]) -> BytesAhoCorasick:
    from ahocorasick_rs import BytesAhoCorasick, Implementation, MatchKind

    try:  # a DFA: about 4x the speed of the default, for more memory
        return BytesAhoCorasick(
            patterns, matchkind=MatchKind.Standard, implementation=Implementation.DFA
        )
    except ValueError:  # too large for a DFA
        return BytesAhoCorasick(patterns, matchkind=MatchKind.Standard)


def non_overlapping(hits: list[Hit]) -> list[Hit]:
    """Leftmost, then longest, hits that do not overlap: what a replacement replaces."""
    chosen: list[Hit] = []
    end = -1
    for hit in sorted(hits, key=lambda h: (h.start, -(h.end - h.start))):
        if hit.start >= end:
            chosen.append(hit)
            end = hit.end
    return chosen
