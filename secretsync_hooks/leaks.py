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
from collections.abc import Iterable, Iterator, Mapping
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import quote, quote_plus

if TYPE_CHECKING:
    from ahocorasick_rs import BytesAhoCorasick

ALLOW = b"secretsync: allow"


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
    """An Aho-Corasick automaton over the needles (a DFA, built once, searched many times)."""

    def __init__(self, found: Mapping[bytes, Needle]) -> None:
        self.needles = dict(found)
        self._patterns = list(found)
        self._stands_for = [found[pattern] for pattern in self._patterns]
        self._sorted = sorted(found)
        self._first = {pattern[0] for pattern in found}
        self.longest = max((len(pattern) for pattern in found), default=0)
        self._automaton: BytesAhoCorasick | None = None
        if found:
            self._automaton = _automaton(self._patterns)

    def __bool__(self) -> bool:
        return self._automaton is not None

    def hits(self, data: bytes) -> list[Hit]:
        """Every occurrence in ``data``, overlapping ones too."""
        if self._automaton is None:
            return []
        return [
            Hit(start, end, self._stands_for[index])
            for index, start, end in self._automaton.find_matches_as_indexes(data, overlapping=True)
        ]

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
