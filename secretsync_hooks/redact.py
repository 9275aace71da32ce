"""Last line of defence: scrub known secret values from text before it reaches a user.

Messages are written never to carry values in the first place; this catches what a third party
puts in an exception (botocore's ParamValidationError, for one, quotes the parameter's value),
in a traceback asked for with ``--debug``, or in a debug log line.  Each front (the CLI, a hook)
owns one :class:`Redactor`; the sync core registers every value it reads into it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

REDACTED = "****"
_MIN_LENGTH = 3  # shorter values are too common in ordinary text to scrub without garbling it


class Redactor:
    """The values one command has read, and the text they must be scrubbed from."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._pieces: list[str] | None = None

    def register(self, values: Iterable[str]) -> None:
        self._values.update(v for v in values if len(v) >= _MIN_LENGTH)
        self._pieces = None

    def __call__(self, text: str) -> str:
        """``text`` with every registered value masked, in every form a message can carry it:
        as is, JSON-escaped (an AWS message or a botocore report quoting a JSON document),
        and line by line."""
        for piece in self._all_pieces():
            if piece in text:
                text = text.replace(piece, REDACTED)
        return text

    def _all_pieces(self) -> list[str]:
        if self._pieces is None:
            pieces: set[str] = set()
            for value in self._values:
                for form in (
                    value,
                    json.dumps(value)[1:-1],
                    json.dumps(value, ensure_ascii=False)[1:-1],
                ):
                    pieces.add(form)
                    pieces.update(p for p in form.splitlines() if len(p.strip()) >= _MIN_LENGTH)
            self._pieces = sorted(pieces, key=len, reverse=True)
        return self._pieces
