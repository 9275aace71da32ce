"""Lossless editing and writing of ``.env`` files.  ``EnvFile`` holds a file as the chunks
``dotenv.py`` reads it into (blank lines and comments, and one chunk per statement), and an edit
rewrites only the value token of one statement, removes whole statements, or appends new ones:
every byte it was not asked to change is kept.  A value is written in a token python-dotenv
reads back exactly and, where one exists, that a shell sourcing the file leaves inert; a write
goes to disk atomically, and never over an editor's save made since the file was read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from secretsync_hooks.errors import EnvFileError, EnvFileMissing
from secretsync_hooks.local.dotenv import NEWLINE, PLAIN_KEY, Chunk, parse_chunks
from secretsync_hooks.local.fs import FileProblem, Signature, read_regular, write_atomic
from secretsync_hooks.text import count as count_of
from secretsync_hooks.text import keys as key_list

_BOM = "\ufeff"

# Characters that mean the same in every .env dialect (python-dotenv, docker compose, a POSIX
# shell's `source`) when left unquoted.
_PLAIN_VALUE = re.compile(r"[A-Za-z0-9_./:@%+,=-]*")
_DOUBLE_ENCODE = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"}
MAX_BYTES = 16 * 1024 * 1024  # a .env this large is not a .env


class EnvFile:
    """A parsed ``.env`` file that can be edited and written back without losing a byte."""

    def __repr__(self) -> str:
        return f"EnvFile(path={self.path!r}, keys={self.keys()!r})"

    def __init__(
        self,
        chunks: list[Chunk],
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
        self._index: dict[str, list[Chunk]] = {}
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
        chunks, problems = parse_chunks(text[1:] if bom else text)
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
            self._chunks.append(Chunk(text=self.newline, line=0))
        prefix = _encode_key(key) + "="
        token, inert = _encode_value(value, None, False)
        chunk = Chunk(
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
                m = NEWLINE.search(chunk.text)
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


def can_hold_key(key: str) -> bool:
    """Whether ``key`` can be written to a .env file (and read back as itself)."""
    try:
        _encode_key(key)
    except EnvFileError:
        return False
    return True


def _encode_key(key: str) -> str:
    if PLAIN_KEY.fullmatch(key) and not re.match(r"export[^\S\r\n]", key):
        return key
    if key and "'" not in key and not NEWLINE.search(key):
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
