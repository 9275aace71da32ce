"""Lossless reading and writing of ``.env`` files.

Reading follows python-dotenv 1.2.4's grammar (``dotenv/parser.py``) to the letter: the same
regular expressions, in the same order, so that ``EnvFile.parse(text).values()`` equals
``dotenv_values(stream=io.StringIO(text), interpolate=False)`` for every text python-dotenv
reads without a warning.  Where python-dotenv would warn and drop a statement, or would read a
key with no ``=`` as ``None``, this module refuses with an error naming the file, the line and
the problem: a dropped line may hold a secret.

Writing keeps every byte it was not asked to change: the file is held as a list of chunks
(blank lines and comments, and one chunk per statement), and an edit rewrites only the value
token of one statement, removes whole statements, or appends new ones.
"""

from __future__ import annotations

import bisect
import codecs
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from secretsync_hooks.errors import EnvFileError, EnvFileMissing
from secretsync_hooks.local.fs import FileProblem, Signature, read_regular, write_atomic
from secretsync_hooks.text import count as count_of
from secretsync_hooks.text import keys as key_list

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
_newline = re.compile(r"\r\n|\n|\r")

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

_BOM = "\ufeff"
# Characters that mean the same in every .env dialect (python-dotenv, docker compose, a POSIX
# shell's `source`) when left unquoted.
_PLAIN_VALUE = re.compile(r"[A-Za-z0-9_./:@%+,=-]*")
# Keys secretsync reads unquoted: letters (any script), digits, "_", "." and "-".  Anything
# else (":", "/", "@", "?", ...) is what a URL, a PEM body or a JSON fragment looks like.
_PLAIN_KEY = re.compile(r"[\w.-]+")
_DOUBLE_ENCODE = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"}
MAX_BYTES = 16 * 1024 * 1024  # a .env this large is not a .env


def _decode_escapes(regex: re.Pattern[str], text: str) -> str:
    return regex.sub(lambda m: codecs.decode(m.group(0), "unicode-escape"), text)


class _Chunk:
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
        return f"_Chunk(line={self.line}, key={self.key!r})"


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
        starts.extend(m.end() for m in _newline.finditer(text))
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


def _parse_statement(reader: _Reader, start: int, line: int) -> _Chunk:
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
    return _Chunk(
        text=reader.text[start : reader.pos],
        line=line,
        key=key,
        value=value,
        token_start=token_start,
        token_end=token_end,
        quote=quote,
        space_after_equals=space_after_equals,
    )


def _comment_line(reader: _Reader, start: int, line: int) -> _Chunk:
    # python-dotenv's parse_key() returns None here: the statement is a comment.
    reader.match(_comment)
    reader.match(_end_of_line)
    return _Chunk(text=reader.text[start : reader.pos], line=line)


def _key(reader: _Reader) -> str:
    if reader.peek() == "'":
        m = reader.match(_single_quoted_key)
        if m is None:
            raise _Refused("a key opens a single quote that is never closed", stop=True)
        return m.group(1)
    m = reader.match(_unquoted_key)
    if m is None:
        raise _Refused("a value with no key (the line starts with '='); write KEY=value")
    if not _PLAIN_KEY.fullmatch(m.group(1)):
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


def _fast(reader: _Reader, start: int, line: int) -> _Chunk | None:
    """The statement at ``reader.pos`` if ``_fast_statement`` reads it whole, else None."""
    m = reader.match(_fast_statement)
    if m is None:
        return None
    text = reader.text[start : m.end()]
    key = m.group("key")
    if key is None:
        return _Chunk(text=text, line=line)
    token_end = m.start("end") - start
    plain = m.group("plain")
    if plain is not None:
        return _Chunk(text, line, key, plain, token_end - len(plain), token_end)
    single = m.group("single")
    if single is not None:
        return _Chunk(text, line, key, single, token_end - len(single) - 2, token_end, "'")
    double = m.group("double")
    token_start = token_end - len(double) - 2
    if "\\" in double:
        double = _decode_escapes(_double_quote_escapes, double)
    return _Chunk(text, line, key, double, token_start, token_end, '"')


def _parse(text: str, *, fast: bool = True) -> tuple[list[_Chunk], list[ParseProblem]]:
    chunks: list[_Chunk] = []
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
                chunks.append(_Chunk(text=text[start:], line=_line_at(text, start, lines)))
                break
            if last_break >= 0:
                split = start + last_break + 1
                chunks.append(_Chunk(text=text[start:split], line=_line_at(text, start, lines)))
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
            chunks.append(_Chunk(text=text[start : reader.pos], line=line))
    return chunks, problems


class EnvFile:
    """A parsed ``.env`` file that can be edited and written back without losing a byte."""

    def __repr__(self) -> str:
        return f"EnvFile(path={self.path!r}, keys={self.keys()!r})"

    def __init__(
        self,
        chunks: list[_Chunk],
        *,
        bom: bool = False,
        path: Path | None = None,
        existed: bool = True,
    ) -> None:
        self._chunks = chunks
        self.bom = bom
        self.path = path
        self.existed = existed
        # key -> its statements, in file order: edits never rescan the whole file.
        self._index: dict[str, list[_Chunk]] = {}
        for chunk in chunks:
            if chunk.key is not None:
                self._index.setdefault(chunk.key, []).append(chunk)
        self._newline: str | None = None
        # What was on disk when the file was read: (stat signature, bytes), or None if the
        # file did not exist.  A write first checks that nobody changed it since.
        self._on_disk: tuple[Signature, bytes] | None = None

    # -- reading -------------------------------------------------------------------------
    @classmethod
    def parse(cls, text: str, *, path: Path | None = None) -> EnvFile:
        """Parse ``text``; raise :class:`EnvFileError` listing every statement it refuses."""
        bom = text.startswith(_BOM)
        chunks, problems = _parse(text[1:] if bom else text)
        if problems:
            where = str(path) if path is not None else "the .env text"
            shown = "\n".join(f"  {p}" for p in problems[:20])
            more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
            raise EnvFileError(
                f"{where}: cannot read {count_of(len(problems), 'statement')}:\n{shown}{more}",
                hint="Fix these lines (see README, '.env syntax'); secretsync never drops a line "
                "that may hold a secret.",
            )
        return cls(chunks, bom=bom, path=path)

    @classmethod
    def load(cls, path: Path, *, missing_ok: bool = False) -> EnvFile:
        """Read and parse ``path``. A missing file is an error unless ``missing_ok``."""
        try:
            signature, data = read_regular(path, limit=MAX_BYTES)
        except FileNotFoundError:
            if missing_ok:
                return cls([], path=path, existed=False)
            raise EnvFileMissing(f"{path}: no such file") from None
        except FileProblem as exc:
            raise EnvFileError(f"{_shown(path)}: {exc}") from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise EnvFileError(
                f"{path}: not UTF-8 text (invalid byte at offset {exc.start})",
                hint="Save the file as UTF-8.",
            ) from None
        parsed = cls.parse(text, path=path)
        parsed._on_disk = (signature, data)
        return parsed

    def values(self) -> dict[str, str]:
        """Key -> value: the last value of a duplicated key wins, its first position is kept."""
        return {key: chunks[-1].value for key, chunks in self._index.items()}

    def keys(self) -> list[str]:
        return list(self._index)

    # -- editing -------------------------------------------------------------------------
    def set(self, key: str, value: str) -> bool:
        """Set ``key``: rewrite only the value token of its effective statement, or append.

        Returns whether the written value is inert when a shell sources the file (False only
        for a value holding both a single quote and a ``$`` or backtick).
        """
        _check_value(value)
        existing = self._index.get(key)
        if not existing:
            return self._append(key, value)
        chunk = existing[-1]
        if chunk.value == value:
            return True
        token, inert = _encode_value(value, chunk.quote, chunk.space_after_equals)
        rest = chunk.text[chunk.token_end :]
        if token and rest.startswith("#"):
            # `KEY= # comment` had an empty token right before the `#`; an unquoted value
            # needs a space there or the comment becomes part of it.
            rest = " " + rest
        chunk.text = chunk.text[: chunk.token_start] + token + rest
        chunk.token_end = chunk.token_start + len(token)
        chunk.quote = token[0] if token[:1] in ("'", '"') else ""
        chunk.value = value
        return inert

    def remove(self, key: str) -> bool:
        """Remove every statement of ``key`` (and nothing else); return whether it was there."""
        if self._index.pop(key, None) is None:
            return False
        self._chunks = [c for c in self._chunks if c.key != key]
        return True

    def _append(self, key: str, value: str) -> bool:
        last = next((c.text for c in reversed(self._chunks) if c.text), "")
        if last and not last.endswith(("\n", "\r")):
            self._chunks.append(_Chunk(text=self.newline, line=0))
        prefix = _encode_key(key) + "="
        token, inert = _encode_value(value, None, False)
        chunk = _Chunk(
            text=prefix + token + self.newline,
            line=0,
            key=key,
            value=value,
            token_start=len(prefix),
            token_end=len(prefix) + len(token),
            quote=token[0] if token[:1] in ("'", '"') else "",
        )
        self._chunks.append(chunk)
        self._index[key] = [chunk]
        return inert

    @property
    def newline(self) -> str:
        """The file's line ending, from its first line break; ``\\n`` for a new file."""
        if self._newline is None:
            for chunk in self._chunks:
                m = _newline.search(chunk.text)
                if m:  # a chunk never splits a "\r\n"
                    self._newline = m.group(0)
                    break
        return self._newline or "\n"

    # -- writing -------------------------------------------------------------------------
    def render_text(self) -> str:
        return (_BOM if self.bom else "") + "".join(c.text for c in self._chunks)

    def render(self) -> bytes:
        return self.render_text().encode("utf-8")

    def write(self, path: Path | None = None) -> None:
        """Write atomically to ``path`` (default: where it was read from).

        Writing back to the file this was read from first checks that the file is still as
        it was read (size, mtime and content): an editor's save made meanwhile, during an AWS
        call or a prompt, is never silently overwritten.
        """
        target = path if path is not None else self.path
        if target is None:
            raise ValueError("no path to write to")
        data = self.render()
        check = self._unchanged_on_disk if target == self.path else None
        try:
            write_atomic(target, data, check=check)
        except FileProblem as exc:
            raise EnvFileError(f"{_shown(target)}: {exc}") from None

    def _unchanged_on_disk(self, path: Path) -> None:
        try:
            now: tuple[Signature, bytes] | None = read_regular(path, limit=MAX_BYTES)
        except FileNotFoundError:
            now = None
        before = self._on_disk
        if (before is None) != (now is None) or (
            before is not None and now is not None and before[1] != now[1]
        ):
            raise EnvFileError(
                f"{path} changed while secretsync was running (saved by an editor?); "
                "nothing was written to it",
                hint="Run the command again: it starts from the file as it is now.",
            )


def _check_value(value: str) -> None:
    if "\x00" in value:
        # A NUL cannot pass through an environment variable: refuse rather than truncate.
        raise EnvFileError("a value contains a NUL character, which no environment can hold")


def _encode_key(key: str) -> str:
    if _PLAIN_KEY.fullmatch(key) and not re.match(r"export[^\S\r\n]", key):
        return key
    if key and "'" not in key and not _newline.search(key):
        return f"'{key}'"
    raise EnvFileError(f"the key {key!r} cannot be written to a .env file")


def _unquoted_ok(value: str, space_after_equals: bool) -> bool:
    """Whether ``value`` can be written unquoted: python-dotenv reads it back unchanged and a
    shell that sources the file neither splits it nor runs anything in it."""
    if value == "":
        return True
    return _PLAIN_VALUE.fullmatch(value) is not None and not (
        space_after_equals and value[0] == "#"
    )


def _encode_value(value: str, quote: str | None, space_after_equals: bool) -> tuple[str, bool]:
    """The token for ``value``, and whether it is inert when a shell sources the file.

    Every token reads back exactly with python-dotenv.  In order of preference: the
    statement's own style (``quote``; None for a new statement) where that is safe; plain text
    unquoted; single quotes (literal for dotenv and for a shell) where the value has no quote,
    backslash or line break; double quotes with escapes where the value has no ``$`` or
    backtick (a shell expands those inside double quotes); single quotes with backslashes
    doubled where the value has no single quote.  A value with both a single quote and a
    ``$``/backtick has no token that is both exact for dotenv and inert for a shell: it is
    double-quoted, and reported as not inert.
    """
    expands = "$" in value or "`" in value
    if quote in ("", None) and _unquoted_ok(value, space_after_equals):
        return value, True
    if quote == "'" and "'" not in value:
        return _single_quoted(value), True
    if quote == '"' and not expands:
        return _double_quoted(value), True
    if not re.search(r"['\\\r\n]", value):
        return f"'{value}'", True
    if not expands:
        return _double_quoted(value), True
    if "'" not in value:
        return _single_quoted(value), True
    return _double_quoted(value), False


def _single_quoted(value: str) -> str:
    # python-dotenv decodes only \\ and \' inside single quotes; a shell decodes nothing.
    return "'" + value.replace("\\", "\\\\") + "'"


def _double_quoted(value: str) -> str:
    return '"' + "".join(_DOUBLE_ENCODE.get(ch, ch) for ch in value) + '"'


def interpolation_keys(values: Iterable[tuple[str, str]]) -> list[str]:
    """Keys whose value holds ``${``: python-dotenv expands it by default, whatever the quoting."""
    return [key for key, value in values if "${" in value]


def quoting_warnings(values: Iterable[tuple[str, str]], not_inert: Sequence[str]) -> list[str]:
    """What a reader of written values should know: which expand ``${`` in python-dotenv,
    and which (``not_inert``: see :meth:`EnvFile.set`) a shell sourcing the file expands."""
    warnings = []
    expanding = interpolation_keys(values)
    if expanding:
        warnings.append(
            f"{key_list(expanding)} {'contains' if len(expanding) == 1 else 'contain'} '${{', "
            "which python-dotenv expands by default "
            "(load_dotenv(interpolate=False) keeps it literal)"
        )
    if not_inert:
        warnings.append(
            f"{key_list(not_inert)} {'holds' if len(not_inert) == 1 else 'hold'} both a single "
            "quote and a '$' or backtick: no "
            "quoting is exact for python-dotenv and inert in a shell, so sourcing the file in "
            "a shell would expand them (python-dotenv reads them exactly)"
        )
    return warnings


def _shown(path: Path) -> str:
    """A path for a message: printable, whatever bytes it holds."""
    return repr(str(path))[1:-1] if not str(path).isprintable() else str(path)
