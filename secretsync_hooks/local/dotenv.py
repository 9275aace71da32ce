"""Reading ``.env`` text exactly as python-dotenv 1.2.4 does (``dotenv/parser.py``), to the
letter: the same regular expressions, in the same order, so that ``EnvFile.parse(text).values()``
equals ``dotenv_values(stream=io.StringIO(text), interpolate=False)`` for every text
python-dotenv reads without a warning.  Where python-dotenv would warn and drop a statement, or
would read a key with no ``=`` as ``None``, this module reports the line and the problem, and
``env_file.py`` refuses the file naming them all: a dropped line may hold a secret.  The text is
read into chunks (blank lines and comments, and one chunk per statement, with where its value
token sits) that ``env_file.py`` edits and writes back.
"""

from __future__ import annotations

import bisect
import codecs
import re
from typing import NamedTuple

# The grammar, copied from python-dotenv 1.2.4 (BSD-3-Clause) so that both read alike.
_multiline_whitespace = re.compile(r"\s*", re.MULTILINE)
_whitespace = re.compile(r"[^\S\r\n]*")
_export = re.compile(r"(?:export[^\S\r\n]+)?")
_single_quoted_key = re.compile(r"'([^']+)'")
_unquoted_key = re.compile(r"([^=\#\s]+)")
_equal_sign = re.compile(r"(=[^\S\r\n]*)")
_single_quoted_value = re.compile(r"'((?:\\.|[^'\\])*)'", re.DOTALL)
_double_quoted_value = re.compile(r'"((?:\\.|[^"\\])*)"', re.DOTALL)
_unquoted_value = re.compile(r"([^\r\n]*)")
_comment = re.compile(r"(?:[^\S\r\n]*#[^\r\n]*)?")
_end_of_line = re.compile(r"[^\S\r\n]*(?:\r\n|\n|\r|$)")
_rest_of_line = re.compile(r"[^\r\n]*(?:\r|\n|\r\n)?")
_double_quote_escapes = re.compile(r"\\[\\'\"abfnrtv]")
_single_quote_escapes = re.compile(r"\\[\\']")
_inline_comment = re.compile(r"\s+#.*")
NEWLINE = re.compile(r"\r\n|\n|\r")

# The common statements in one match, read exactly as the grammar above reads them (a test
# compares both on generated files): a comment line, or KEY=value with a plain key, no space
# around "=", and a non-empty plain value, a one-line single-quoted value without backslashes
# or a one-line double-quoted one whose backslashes are all escapes python-dotenv decodes,
# then an optional comment after spacing.  Anything else takes the step-by-step path.
_fast_statement = re.compile(
    r"#[^\r\n]*(?:\r\n|\n|\r|$)"
    r"|(?:export[ \t]+)?(?P<key>[A-Za-z_][A-Za-z0-9_.-]*)="
    r"(?:(?P<plain>[A-Za-z0-9_./:@%+,=-]+)|'(?P<single>[^'\\\r\n]*)'|\"(?P<double>(?:[^\"\\\r\n]|\\[\\'\"abfnrtv])*)\")"
    r"(?P<end>(?:[ \t]+#[^\r\n]*)?[ \t]*(?:\r\n|\n|\r|$))"
)

# Keys secretsync reads unquoted: letters (any script), digits, "_", "." and "-".  Anything
# else (":", "/", "@", "?", ...) is what a URL, a PEM body or a JSON fragment looks like.
PLAIN_KEY = re.compile(r"[\w.-]+")


def _decode_escapes(regex: re.Pattern[str], text: str) -> str:
    return regex.sub(lambda m: codecs.decode(m.group(0), "unicode-escape"), text)


class Chunk:
    """A run of the file's text: a statement (``key`` set) or blank lines and comments."""

    __slots__ = (
        "key",
        "line",
        "quote",
        "space_after_equals",
        "text",
        "token_end",
        "token_start",
        "value",
    )

    def __init__(
        self,
        text: str,
        line: int,
        key: str | None = None,
        value: str = "",
        token_start: int = 0,
        token_end: int = 0,
        quote: str = "",
        space_after_equals: bool = False,
    ) -> None:
        self.text = text
        self.line = line
        self.key = key
        self.value = value
        # Where the value token sits inside ``text`` and how it was quoted ('', "'" or '"').
        self.token_start = token_start
        self.token_end = token_end
        self.quote = quote
        self.space_after_equals = space_after_equals

    def __repr__(self) -> str:  # never the text or the value
        return f"Chunk(line={self.line}, key={self.key!r})"


class ParseProblem(NamedTuple):
    line: int
    problem: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.problem}"


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def match(self, regex: re.Pattern[str]) -> re.Match[str] | None:
        m = regex.match(self.text, self.pos)
        if m is not None:
            self.pos = m.end()
        return m

    def peek(self) -> str:
        return self.text[self.pos : self.pos + 1]


def _line_at(text: str, pos: int, starts: list[int]) -> int:
    """1-based line of ``pos``, counting line breaks as python-dotenv does."""
    if not starts:  # offsets of line starts, computed once per parse
        starts.append(0)
        starts.extend(m.end() for m in NEWLINE.finditer(text))
    return bisect.bisect_right(starts, pos)


class _Refused(Exception):
    """A statement secretsync will not read; ``stop``: nothing after it can be trusted either
    (an unclosed quote swallows what follows, which is likely the value's own lines)."""

    def __init__(self, problem: str, *, stop: bool = False) -> None:
        super().__init__(problem)
        self.problem = problem
        self.stop = stop


# Problems name the line and what is wrong, never the text: a refused line may be part of a
# secret (a PEM body, a base64 blob, a URL with a password).
_NOT_A_STATEMENT = (
    "not a KEY=value line (a key is letters, digits, '_', '.' and '-'; quote any other "
    "key: 'my key'=value)"
)


def _parse_statement(reader: _Reader, start: int, line: int) -> Chunk:
    """One statement at ``reader.pos``; ``_Refused`` where python-dotenv would warn.

    The grammar of python-dotenv's ``parse_binding``, step by step: an optional ``export``,
    a comment or a key, ``=``, a value, an optional comment and the end of the line.
    """
    reader.match(_export)
    if reader.peek() == "#":
        return _comment_line(reader, start, line)
    key = _key(reader)
    space_after_equals = _equals(reader)
    token_start = reader.pos - start
    value, quote = _value(reader, space_after_equals)
    token_end = reader.pos - start
    reader.match(_comment)
    if reader.match(_end_of_line) is None:
        raise _Refused("text after a closing quote")
    return Chunk(
        text=reader.text[start : reader.pos],
        line=line,
        key=key,
        value=value,
        token_start=token_start,
        token_end=token_end,
        quote=quote,
        space_after_equals=space_after_equals,
    )


def _comment_line(reader: _Reader, start: int, line: int) -> Chunk:
    # python-dotenv's parse_key() returns None here: the statement is a comment.
    reader.match(_comment)
    reader.match(_end_of_line)
    return Chunk(text=reader.text[start : reader.pos], line=line)


def _key(reader: _Reader) -> str:
    if reader.peek() == "'":
        m = reader.match(_single_quoted_key)
        if m is None:
            raise _Refused("a key opens a single quote that is never closed", stop=True)
        return m.group(1)
    m = reader.match(_unquoted_key)
    if m is None:
        raise _Refused("a value with no key (the line starts with '='); write KEY=value")
    if not PLAIN_KEY.fullmatch(m.group(1)):
        # python-dotenv would take `postgres://app:PASSWORD@db/app?x=1` as a key named
        # `postgres://app:PASSWORD@db/app?x` and print it wherever keys are printed.
        raise _Refused(_NOT_A_STATEMENT)
    return m.group(1)


def _equals(reader: _Reader) -> bool:
    """Consume ``=`` and the spacing after it; whether there was any (it changes what a ``#``
    right after means)."""
    reader.match(_whitespace)
    equals = reader.match(_equal_sign)
    if equals is None:
        # python-dotenv reads `KEY` alone as None (the variable is declared but unset) and
        # drops `KEY value` / `KEY: value` with a warning; both may hide a secret.
        if reader.match(_comment) is not None and reader.match(_end_of_line) is not None:
            raise _Refused("a key with no '=' (write KEY= for an empty value, or delete the line)")
        raise _Refused(_NOT_A_STATEMENT)
    return len(equals.group(1)) > 1


def _value(reader: _Reader, space_after_equals: bool) -> tuple[str, str]:
    """The value and its quote ('' for unquoted); the reader stops right after its token."""
    char = reader.peek()
    if space_after_equals and char == "#":
        return "", ""  # `KEY= # comment` (python-dotenv 1.2.4)
    if char in ("'", '"'):
        regex = _single_quoted_value if char == "'" else _double_quoted_value
        m = reader.match(regex)
        if m is None:
            raise _Refused(
                f"a value opens a {_quote_name(char)} that is never closed; the lines after it "
                "were not read",
                stop=True,
            )
        escapes = _single_quote_escapes if char == "'" else _double_quote_escapes
        return _decode_escapes(escapes, m.group(1)), char
    if char in ("", "\n", "\r"):
        return "", ""
    token_start = reader.pos
    m = reader.match(_unquoted_value)
    assert m is not None  # matches anything up to the end of the line
    value = _inline_comment.sub("", m.group(1)).rstrip()
    # The value is a prefix of what was read; the rest is spacing and a comment.
    reader.pos = token_start + len(value)
    return value, ""


def _quote_name(quote: str) -> str:
    return "single quote" if quote == "'" else "double quote"


def _fast(reader: _Reader, start: int, line: int) -> Chunk | None:
    """The statement at ``reader.pos`` if ``_fast_statement`` reads it whole, else None."""
    m = reader.match(_fast_statement)
    if m is None:
        return None
    text = reader.text[start : m.end()]
    key = m.group("key")
    if key is None:
        return Chunk(text=text, line=line)
    token_end = m.start("end") - start
    plain = m.group("plain")
    if plain is not None:
        return Chunk(text, line, key, plain, token_end - len(plain), token_end)
    single = m.group("single")
    if single is not None:
        return Chunk(text, line, key, single, token_end - len(single) - 2, token_end, "'")
    double = m.group("double")
    token_start = token_end - len(double) - 2
    if "\\" in double:
        double = _decode_escapes(_double_quote_escapes, double)
    return Chunk(text, line, key, double, token_start, token_end, '"')


def parse_chunks(text: str, *, fast: bool = True) -> tuple[list[Chunk], list[ParseProblem]]:
    """``text`` as chunks, and a problem for each statement refused (reading stops at one
    that leaves the rest unreadable); ``fast``: read common statements in one match."""
    chunks: list[Chunk] = []
    problems: list[ParseProblem] = []
    lines: list[int] = []
    reader = _Reader(text)
    while reader.pos < len(text):
        start = reader.pos
        if text[start].isspace():  # what _multiline_whitespace matches (re's \s)
            ws = reader.match(_multiline_whitespace)
            assert ws is not None
            # Blank lines before a statement are their own chunk, so removing a statement
            # removes only its own line(s); its indentation stays with it.
            last_break = max(ws.group(0).rfind("\n"), ws.group(0).rfind("\r"))
            if reader.pos >= len(text):
                chunks.append(Chunk(text=text[start:], line=_line_at(text, start, lines)))
                break
            if last_break >= 0:
                split = start + last_break + 1
                chunks.append(Chunk(text=text[start:split], line=_line_at(text, start, lines)))
                start = split
        line = _line_at(text, reader.pos, lines)
        chunk = _fast(reader, start, line) if fast else None
        if chunk is not None:
            chunks.append(chunk)
            continue
        try:
            chunks.append(_parse_statement(reader, start, line))
        except _Refused as refused:
            problems.append(ParseProblem(line, refused.problem))
            if refused.stop:
                break
            # Carry on after the rest of the line, as python-dotenv does, to report every
            # problem at once.
            reader.match(_rest_of_line)
            chunks.append(Chunk(text=text[start : reader.pos], line=line))
    return chunks, problems
