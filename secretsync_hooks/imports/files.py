"""Keys and values from a file another tool wrote: JSON (Doppler, Infisical and most exports)
or another ``.env`` (dotenvx, dotenv-vault's decrypted exports).  ``-`` reads standard input,
so a piped export never touches the disk.  Every refusal names the file and the key or
position, never a value.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, BinaryIO

from secretsync_hooks import text
from secretsync_hooks.errors import SecretSyncError
from secretsync_hooks.local.env_file import MAX_BYTES, EnvFile
from secretsync_hooks.local.fs import FileProblem, read_regular

STDIN = "-"
_JSON_SHAPES = (
    'a flat JSON object of strings ({"KEY": "value"}, as `doppler secrets download '
    '--no-file --format json` writes) or a list of {"key": ..., "value": ...} objects '
    "(as `infisical export --format json` writes)"
)


class SourceError(SecretSyncError):
    """A source that cannot be imported: bad input (exit 2), nothing written."""


def read_text(argument: str, stdin: BinaryIO | None = None) -> tuple[str, str]:
    """The file ``argument`` names (``-``: standard input), as text, and its name for people."""
    where = "standard input" if argument == STDIN else text.shown(argument)
    try:
        if argument == STDIN:
            stream = stdin if stdin is not None else sys.stdin.buffer
            data = stream.read(MAX_BYTES + 1)
            if len(data) > MAX_BYTES:
                raise FileProblem(f"is larger than {MAX_BYTES // 1024} KiB")
        else:
            data = read_regular(Path(argument), limit=MAX_BYTES)[1]
    except FileNotFoundError:
        raise SourceError(f"{where}: no such file; nothing was imported") from None
    except FileProblem as exc:
        raise SourceError(f"{where}: {exc}; nothing was imported") from None
    try:
        return data.decode("utf-8-sig"), where
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"{where}: not UTF-8 text (invalid byte at offset {exc.start}); nothing was imported"
        ) from None


def parse_json(document: str, where: str) -> dict[str, str]:
    """Key -> value from ``document``: a flat object of strings, or a list of
    ``{"key": ..., "value": ...}`` objects (other fields, such as Infisical's ``type`` and
    ``environment``, are left aside)."""
    try:
        data = json.loads(document, object_pairs_hook=_pairs)
    except json.JSONDecodeError as exc:
        # The exception's own words are a position and what was expected, never the content.
        raise SourceError(
            f"{where}: not JSON ({exc.msg}: line {exc.lineno}, column {exc.colno}); "
            "nothing was imported"
        ) from None
    except RecursionError:
        raise SourceError(f"{where}: JSON nested too deeply; nothing was imported") from None
    except _Duplicate as exc:
        raise SourceError(
            f"{where}: the key {text.shown(exc.key)} appears twice in one object; nothing was "
            "imported"
        ) from None
    if isinstance(data, list):
        return _from_list(data, where)
    if not isinstance(data, _Object):
        raise SourceError(
            f"{where}: holds {_kind(data)}, not {_JSON_SHAPES}; nothing was imported",
            hint="Export the secrets again in one of those shapes.",
        )
    values: dict[str, str] = {}
    for key, value in data.pairs:
        if not isinstance(value, str):
            raise SourceError(
                f"{where}: the value of {text.shown(key)} is {_kind(value)}, not a string; "
                "nothing was imported",
                hint="A .env holds strings: export them as strings (or fix that entry).",
            )
        values[key] = value
    return values


def _from_list(items: list[Any], where: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for position, item in enumerate(items, 1):
        at = f"{where}: item {position} of the list"
        if not isinstance(item, _Object):
            raise SourceError(
                f'{at} is {_kind(item)}, not an object with "key" and "value"; nothing '
                "was imported",
                hint=f"Give {_JSON_SHAPES}.",
            )
        fields = dict(item.pairs)
        key, value = fields.get("key"), fields.get("value")
        if not isinstance(key, str):
            what = 'has no "key"' if key is None else f'has a "key" that is {_kind(key)}'
            raise SourceError(f"{at} {what}; nothing was imported", hint=f"Give {_JSON_SHAPES}.")
        if not isinstance(value, str):
            what = 'no "value"' if "value" not in fields else f'a "value" that is {_kind(value)}'
            raise SourceError(
                f"{at} ({text.shown(key)}) has {what}, not a string; nothing was imported",
                hint="A .env holds strings: export them as strings (or fix that entry).",
            )
        if key in values:
            raise SourceError(
                f"{at}: {text.shown(key)} is listed twice; nothing was imported",
                hint="Export one environment at a time, each key once.",
            )
        values[key] = value
    return values


def parse_dotenv(document: str, where: str) -> dict[str, str]:
    """Key -> value from another ``.env``, read by the project's own parser (as python-dotenv
    reads it; a line it would drop is refused, naming the line)."""
    return EnvFile.parse(document, path=Path(where)).values()


class _Object:
    """A JSON object as written: its pairs in order, duplicates refused."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        self.pairs = pairs


class _Duplicate(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _pairs(pairs: list[tuple[str, Any]]) -> _Object:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise _Duplicate(key)
        seen.add(key)
    return _Object(pairs)


def _kind(value: object) -> str:
    """What a JSON value is, in words (never the value)."""
    if isinstance(value, _Object):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if value is None:
        return "null"
    return "a string"
