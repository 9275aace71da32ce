"""The JSON contract, for the tests: a document secretsync printed, parsed and validated against
its published JSON Schema (``secretsync_hooks/schemas/``, as the installed package holds them).

``validated(result.stdout)`` stands wherever a test reads a ``--format json`` document: a
document that strays from its schema fails the test that produced it.
"""

from __future__ import annotations

import datetime
import functools
import json
import re
from importlib.resources import files
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker  # type: ignore[import-untyped]
from referencing import Registry, Resource

# RFC 3339, as "format": "date-time" means (checked here, not left to an optional package).
_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", re.ASCII
)
FORMATS = FormatChecker(formats=())


def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.fullmatch(value):
        return False
    datetime.datetime.fromisoformat(value[:19])  # a real day and time (raises otherwise)
    return True


FORMATS.checks("date-time", raises=ValueError)(_date_time)


@functools.cache
def schemas() -> dict[str, dict[str, Any]]:
    """Schema name (``diff``, ``targets``, ``error`` ...) -> the schema."""
    found = {}
    for entry in (files("secretsync_hooks") / "schemas").iterdir():
        if entry.name.endswith(".schema.json"):
            found[entry.name.removesuffix(".schema.json")] = json.loads(entry.read_text())
    return found


@functools.cache
def _registry() -> Registry[Any]:
    resources = [(s["$id"], Resource.from_contents(s)) for s in schemas().values()]
    return Registry().with_resources(resources)


def validator(name: str) -> Any:
    return Draft202012Validator(schemas()[name], registry=_registry(), format_checker=FORMATS)


def schema_of(document: dict[str, Any]) -> str:
    """The schema a document answers to: an error's, several targets', or its command's."""
    if "error" in document:
        return "error"
    if "targets" in document:
        return "targets"
    return str(document["command"])


def validated(document: str | bytes | dict[str, Any]) -> dict[str, Any]:
    """``document`` (its text, or parsed), checked against its schema; the document."""
    parsed = json.loads(document) if isinstance(document, str | bytes) else document
    assert isinstance(parsed, dict), parsed
    name = schema_of(parsed)
    validator(name).validate(parsed)
    # Key order is part of the contract too: that of the schema's properties.
    order = [key for key in schemas()[name]["properties"] if key in parsed]
    assert list(parsed) == order, f"{name}: keys in another order than the schema's"
    return parsed
