"""Last line of defence: scrub known secret values from text that may carry them.

Messages secretsync composes from names it knows (secret names, paths, endpoints, regions,
key names, commands, environment names) never carry values, and are never scrubbed: with
``APP_ENV=production`` in the .env, ``secret shop/production`` must still read as written.
What is scrubbed is text from elsewhere that may quote a value: AWS's own words relayed in a
message (:attr:`~secretsync_hooks.errors.SecretSyncError.untrusted`), an unexpected
exception's text, a traceback asked for with ``--debug``, a debug log line.  There, every
whole value of at least ``[scan] min_length`` characters (the leak guard's threshold: shorter
values are ordinary words) is replaced by the mask the tables use: whole, that is not as part
of a longer word (``secretsync`` is a value's whole text in ``notify=secretsync``, not in
``secretsync_hooks``).  Each front (the CLI, a
hook) owns one :class:`Redactor`; the sync core registers every value it reads into it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from secretsync_hooks.masking import MASK

DEFAULT_MIN_LENGTH = 8  # the default of [scan] min_length


class Redactor:
    """The values one command has read, and the text they must be scrubbed from."""

    def __init__(self, min_length: int = DEFAULT_MIN_LENGTH) -> None:
        self._values: set[str] = set()
        self._pieces: re.Pattern[str] | None = None
        self._min_length = min_length

    @property
    def min_length(self) -> int:
        return self._min_length

    def lower_min_length(self, length: int) -> None:
        """Scrub values down to ``length`` characters (a config's ``[scan] min_length``; with
        several configs, the lowest)."""
        if length < self._min_length:
            self._min_length = length
            self._pieces = None

    def register(self, values: Iterable[str]) -> None:
        self._values.update(v for v in values if v)
        self._pieces = None

    def __call__(self, text: str) -> str:
        """``text`` with every registered value masked, in every form a message can carry it:
        as is, JSON-escaped (an AWS message or a botocore report quoting a JSON document),
        and line by line."""
        pattern = self._pattern()
        return pattern.sub(MASK, text) if pattern is not None else text

    def _pattern(self) -> re.Pattern[str] | None:
        if self._pieces is None:
            pieces: set[str] = set()
            for value in self._values:
                for form in (
                    value,
                    json.dumps(value)[1:-1],
                    json.dumps(value, ensure_ascii=False)[1:-1],
                ):
                    pieces.add(form)
                    pieces.update(line.strip() for line in form.splitlines())
            chosen = sorted(
                (p for p in pieces if len(p) >= self._min_length), key=len, reverse=True
            )
            if not chosen:
                return None
            self._pieces = re.compile("|".join(_whole(piece) for piece in chosen))
        return self._pieces


def _whole(piece: str) -> str:
    """A regular expression for ``piece`` not inside a longer word: a piece that begins (ends)
    with a word character must not follow (precede) one."""
    before = r"(?<![^\W])" if re.match(r"\w", piece[0]) else ""
    after = r"(?![^\W])" if re.match(r"\w", piece[-1]) else ""
    return f"{before}{re.escape(piece)}{after}"
