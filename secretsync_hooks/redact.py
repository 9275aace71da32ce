"""Last line of defence: scrub known secret values from text before it reaches a user.

Messages are written never to carry values in the first place; this catches what a third party
puts in an exception (botocore's ParamValidationError, for one, quotes the parameter's value).
The sync core registers every value it reads, local or remote.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

MASK = "****"
_MIN_LENGTH = 3  # shorter values are too common in ordinary text to scrub without garbling it
_values: set[str] = set()


def register(values: Iterable[str]) -> None:
    _values.update(v for v in values if len(v) >= _MIN_LENGTH)


def clear() -> None:
    _values.clear()


def redact(text: str) -> str:
    """``text`` with every registered value (and each line of a multi-line one) masked."""
    for value in sorted(_pieces(), key=len, reverse=True):
        if value in text:
            text = text.replace(value, MASK)
    return text


def _pieces() -> set[str]:
    """Every registered value in the forms a message can carry it: as is, JSON-escaped (an
    AWS message or a botocore report quoting a JSON document), and line by line."""
    pieces = set()
    for value in _values:
        for form in (value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]):
            pieces.add(form)
            pieces.update(p for p in form.splitlines() if len(p.strip()) >= _MIN_LENGTH)
        pieces.update(p for p in value.splitlines() if len(p.strip()) >= _MIN_LENGTH)
    return pieces
