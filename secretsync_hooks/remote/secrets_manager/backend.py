"""One Secrets Manager secret whose SecretString is a JSON object of key -> string:
the backend, assembled from its jobs, each a class the next one extends so that
``mypy --strict`` checks every call between them: reading the secret (``reading.py``), refusing
a write a rotation could undo (``rotation.py``), writing by compare-and-swap (``writing.py``),
and its history and rollback (``history.py``).
"""

from __future__ import annotations

from secretsync_hooks.remote.secrets_manager.history import SecretsManagerHistory


class SecretsManagerBackend(SecretsManagerHistory):
    """One secret, named or given by ARN in ``[secrets_manager] secret_name``."""

    kind = "secrets_manager"
