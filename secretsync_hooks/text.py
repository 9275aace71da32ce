"""Text from a repository or from AWS, made safe to print.

Key names, file names and AWS messages come from people secretsync does not know.  A key
named ``\\x1b]0;...`` or ``X\\nsecretsync: in sync`` must not recolour a terminal, rewrite its
title or forge a line of output: control characters, bidirectional overrides and lone
surrogates are printed as escapes (``\\x1b``, ``\\n``, ``\\u202e``).  JSON output escapes them
by itself.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

# C0 and C1 controls, DEL, line/paragraph separators, bidi controls, lone surrogates: all
# of them are outside str.isprintable(), which lets the common case skip the (slow to
# compile) expressions below.
# Zero-width characters (U+200B-U+200D, U+2060-U+2064, U+FEFF) too: `LD_PRELOAD\u200b` must
# not read as `LD_PRELOAD`.
_UNSAFE = (
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069"
    "\ufeff\ud800-\udfff]"
)
_UNSAFE_IN_LINES = (
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e"
    "\u2060-\u2069\ufeff\ud800-\udfff]"
)


@functools.cache
def _pattern(expression: str) -> re.Pattern[str]:
    return re.compile(expression)


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    code = ord(char)
    if char == "\n":
        return "\\n"
    if char == "\r":
        return "\\r"
    if char == "\t":
        return "\\t"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(text: str) -> str:
    """``text`` (a key, a name) with every character that could spoof output escaped."""
    if text.isprintable():
        return text
    return _pattern(_UNSAFE).sub(_escape, text)


def keys(names: Iterable[str]) -> str:
    """Key names for a message: escaped, comma-separated."""
    return ", ".join(shown(name) for name in names)


def clean(line: str) -> str:
    """A whole message: like :func:`shown`, but its own line breaks and tabs stay."""
    if line.isprintable():
        return line
    return _pattern(_UNSAFE_IN_LINES).sub(_escape, line)


def count(number: int, noun: str, plural: str | None = None) -> str:
    """``1 key``, ``2 keys``."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


def agree(number: int, one: str, many: str) -> str:
    """The word that agrees with ``number`` things: ``agree(1, "holds", "hold")``."""
    return one if number == 1 else many
