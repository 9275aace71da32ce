"""Which values may be shown: none, unless ``--show-values`` or the key is in ``plain_keys``.

A masked value is shown as a fixed mask, the same for every value: no length, no prefix, no
hash, nothing that would let someone recover or confirm a short secret offline.  A changed key
is recognisable by its state, not by its value.

``plain_keys`` cannot turn into a dump: a value that carries a credential in a URL
(``scheme://user:password@host``) stays masked even for a plain key, and ``--keys-only``
output carries no value at all.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from typing import NamedTuple

MASK = "********"
# scheme://user:password@ (the user may be empty: redis://:password@host)
_URL_CREDENTIALS = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:[^\s@/]*@")


def carries_credentials(value: str) -> bool:
    """Whether ``value`` holds a URL with a password in it."""
    return _URL_CREDENTIALS.search(value) is not None


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
        if not any(fnmatchcase(key, pattern) for pattern in self.plain_keys):
            return False
        return not any(value is not None and carries_credentials(value) for value in values)

    def show(self, key: str, value: str | None) -> str | None:
        """``value`` if it may be shown, the mask if not; None stays None (no value there)."""
        if value is None:
            return None
        return value if self.visible(key, value) else MASK
