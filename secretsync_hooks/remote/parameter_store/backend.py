"""One SSM Parameter Store parameter per key, directly under a path: the backend, assembled
from its jobs, each a class the next one extends so that ``mypy --strict`` checks every call
between them: reading (``reading.py``), validation before any write (``validation.py``), the
pace and retries of calls (``retrying.py``), writing (``writing.py``, with the bookkeeping of
one apply in ``run.py``), and history and rollback (``history.py``).
"""

from __future__ import annotations

from secretsync_hooks.remote.parameter_store.history import ParameterStoreHistory


class ParameterStoreBackend(ParameterStoreHistory):
    """The parameters directly under ``[parameter_store] path``, one per key."""

    kind = "parameter_store"
    writes_per_key = True
