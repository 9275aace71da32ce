"""Which values may be shown: none, unless ``--show-values`` or the key is in ``plain_keys``.

A masked value is shown as a fixed mask, the same for every value: no length, no prefix, no
hash, nothing that would let someone recover or confirm a short secret offline.  A changed key
is recognisable by its state, not by its value.

``plain_keys`` cannot turn into a dump: a value that carries a credential in a URL
(``scheme://user:password@host``) stays masked even for a plain key; patterns that together
match every key, or more than half of the keys at hand (of more than 2), are refused; and
``--keys-only`` output carries no value at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from fnmatch import fnmatchcase
from pathlib import Path
from typing import NamedTuple

from secretsync_hooks import text
from secretsync_hooks.errors import ConfigError

MASK = "********"
# scheme://user:password@ (the user may be empty: redis://:password@host)
_URL_CREDENTIALS = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:[^\s@/]*@")


def carries_credentials(value: str) -> bool:
    """Whether ``value`` holds a URL with a password in it."""
    return _URL_CREDENTIALS.search(value) is not None


def is_plain(key: str, patterns: Iterable[str]) -> bool:
    return any(fnmatchcase(key, pattern) for pattern in patterns)


def check_plain_keys(config_path: Path, patterns: tuple[str, ...], keys: Iterable[str]) -> None:
    """Refuse ``plain_keys`` that show every key of ``keys`` (the keys about to be read or
    shown), or more than half of them when there are more than 2: a set of patterns can do
    what one pattern may not (``["[A-Z]*"]`` matches every upper-case key)."""
    if not patterns:
        return
    names = set(keys)
    plain = sorted(key for key in names if is_plain(key, patterns))
    total = len(names)
    if not plain or (len(plain) < total and (total <= 2 or 2 * len(plain) <= total)):
        return
    every = len(plain) == total
    raise ConfigError(
        f"{config_path}: plain_keys match {len(plain)} of the {total} keys here "
        f"({text.keys(plain)}), which would show {'every value' if every else 'most values'} "
        "unmasked; nothing was shown",
        hint="List only keys whose values are not secret (e.g. LOG_LEVEL, APP_ENV); a "
        "plain_keys set may cover at most half of the keys (and never all of them).",
    )


class ValuePolicy(NamedTuple):
    show_values: bool = False
    plain_keys: tuple[str, ...] = ()
    no_values: bool = False  # --keys-only: key names are compared, values never shown

    def visible(self, key: str, *values: str | None) -> bool:
        """Whether the values of ``key`` (``values``) may be shown."""
        if self.no_values:
            return False
        if self.show_values:
            return True
        if not is_plain(key, self.plain_keys):
            return False
        return not any(value is not None and carries_credentials(value) for value in values)

    def show(self, key: str, value: str | None) -> str | None:
        """``value`` if it may be shown, the mask if not; None stays None (no value there)."""
        if value is None:
            return None
        return value if self.visible(key, value) else MASK
