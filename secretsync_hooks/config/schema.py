"""Reading ``.secretsync.toml`` and checking it against its schema.

Wrong types are errors; unknown settings are warnings with a "did you mean" suggestion, and a
required setting that is missing names the unknown settings that look like it
(``secret_nmae``), so a typo never hides behind a later, vaguer error.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from secretsync_hooks import text
from secretsync_hooks.errors import ConfigError
from secretsync_hooks.local.fs import FileProblem, read_regular

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

MAX_CONFIG_BYTES = 1024 * 1024

# table -> key -> expected type; ``dict`` is a table of strings, ``list`` a list of strings.
TABLES: dict[str, dict[str, type]] = {
    "backend": {"type": str, "region": str, "profile": str},
    "secrets_manager": {"secret_name": str, "kms_key_id": str, "description": str, "tags": dict},
    "parameter_store": {
        "path": str,
        "type": str,
        "tier": str,
        "kms_key_id": str,
        "tags": dict,
    },
    "scan": {"min_length": int, "exclude": list},
}
TOP_LEVEL: dict[str, type] = {"env_file": str, "plain_keys": list, "required_keys": list}


def read_config_file(path: Path) -> dict[str, Any]:
    """Parse ``path`` as TOML; every failure is a :class:`ConfigError` naming the file."""
    try:
        _, data = read_regular(path, limit=MAX_CONFIG_BYTES)
    except FileNotFoundError:
        raise ConfigError(f"{text.shown(str(path))}: no such config file") from None
    except FileProblem as exc:
        raise ConfigError(f"{text.shown(str(path))}: {exc}") from None
    try:
        parsed: dict[str, Any] = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (invalid byte at offset {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        # The decoder names a line and column, never the text there.
        raise ConfigError(
            f"{path}: invalid TOML: {exc}", hint="See README, 'Configuration', for the format."
        ) from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid TOML: nested too deeply") from None
    return parsed


def validate(raw: Mapping[str, Any], path: Path) -> list[str]:
    """Check ``raw`` (the whole file) against the schema; return the warnings."""
    warnings: list[str] = []
    _check_table(raw, path, "", warnings, allow_environments=True)
    environments = raw.get("environments", {})
    for name, table in environments.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [environments.{text.shown(name)}] must be a table")
        _check_table(table, path, f"environments.{name}.", warnings, allow_environments=False)
    from secretsync_hooks.config.contract import check_tables

    check_tables(raw, path)
    return warnings


def _check_table(
    table: Mapping[str, Any],
    path: Path,
    prefix: str,
    warnings: list[str],
    *,
    allow_environments: bool,
) -> None:
    known: dict[str, type] = {**TOP_LEVEL, **dict.fromkeys(TABLES, dict), "keys": dict}
    if allow_environments:
        known["environments"] = dict
    for key, value in table.items():
        where = f"{prefix}{key}"
        if key not in known:
            warnings.append(_unknown(path, where, key, known))
        elif key == "environments":
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: [environments] must be a table of tables")
        elif key == "keys":
            # the key contract: each rule's settings are checked by config.contract
            if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                raise ConfigError(
                    f"{path}: [{where}] must hold one table per key, like [{where}.PORT]"
                )
        elif key in TABLES:
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: [{where}] must be a table, not {_type_name(value)}")
            for sub, subvalue in value.items():
                expected = TABLES[key].get(sub)
                if expected is None:
                    warnings.append(_unknown(path, f"{where}.{sub}", sub, TABLES[key]))
                else:
                    _check_type(path, f"{where}.{sub}", subvalue, expected)
        else:
            _check_type(path, where, value, known[key])


def _unknown(path: Path, where: str, key: str, known: Mapping[str, object]) -> str:
    import difflib

    close = difflib.get_close_matches(key, list(known), n=1)
    suggestion = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{path}: unknown setting {text.shown(where)!r} ignored{suggestion}"


def lookalikes(tables: list[Mapping[str, Any]], key: str) -> list[str]:
    """Unknown keys of ``tables`` that look like ``key`` (a typo of a required setting)."""
    import difflib

    found = [k for table in tables for k in table if isinstance(k, str)]
    return difflib.get_close_matches(key, [k for k in found if k != key], n=2)


def _check_type(path: Path, where: str, value: object, expected: type) -> None:
    if expected is dict:
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise ConfigError(f'{path}: {where} must be a table of strings, like {{ team = "x" }}')
    elif expected is list:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{path}: {where} must be a list of strings")
    elif not isinstance(value, expected) or isinstance(value, bool) != (expected is bool):
        wanted = _WANTED.get(expected, expected.__name__)
        raise ConfigError(f"{path}: {where} must be {wanted}, not {_type_name(value)}")


_WANTED = {str: "a string", int: "an integer", bool: "true or false", float: "a number"}


def _type_name(value: object) -> str:
    names = {str: "string", int: "integer", float: "float", bool: "boolean", list: "array"}
    return names.get(type(value), "table" if isinstance(value, dict) else type(value).__name__)
