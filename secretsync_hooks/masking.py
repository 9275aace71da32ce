"""Which values may be shown: none, unless ``--show-values`` or the key is in ``plain_keys``.

A masked value is shown as a fixed mask, the same for every value: no length, no prefix, no
hash, nothing that would let someone recover or confirm a short secret offline.  A changed key
is recognisable by its state, not by its value.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

MASK = "********"


@dataclass(frozen=True)
class ValuePolicy:
    show_values: bool = False
    plain_keys: tuple[str, ...] = ()

    def visible(self, key: str) -> bool:
        return self.show_values or any(fnmatchcase(key, pattern) for pattern in self.plain_keys)

    def show(self, key: str, value: str | None) -> str | None:
        """``value`` if it may be shown, the mask if not; None stays None (no value there)."""
        if value is None:
            return None
        return value if self.visible(key) else MASK
