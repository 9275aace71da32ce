"""chamber's layouts and names, as chamber itself reads and makes them (segmentio/chamber).

- Parameter Store (chamber's default backend): one parameter per key, ``/SERVICE/KEY``, read
  directly under the path (``store/ssmstore.go`` ``ListRaw``: ``GetParametersByPath`` without
  ``Recursive``); its ``__chamber.service.metadata`` parameter is no key.
- Secrets Manager (``--backend secretsmanager``): one secret named SERVICE holding a JSON
  object of key -> value (``store/secretsmanagerstore.go``), with chamber's bookkeeping under
  ``_chamber_metadata``, which is no key.
- chamber lower-cases services and keys when it writes them (``utils.NormalizeService``,
  ``NormalizeKey``); ``chamber exec`` and ``chamber export --format dotenv`` turn a key into an
  environment name by upper-casing it and replacing ``-`` with ``_``
  (``environ/environ.go`` ``normalizeEnvVarName``).  A ``.`` stays: chamber exec puts
  ``A.B`` into the environment, and an app that read it there reads it under that name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from secretsync_hooks import text
from secretsync_hooks.errors import SecretSyncError

BACKENDS = ("ssm", "secretsmanager")  # chamber's --backend / CHAMBER_SECRET_BACKEND names
# Parameter Store: the service's metadata (included services), never a key.
SSM_METADATA = "__chamber.service.metadata"
# Secrets Manager: each key's version, author and date, as a JSON string; never a key.
SECRETS_MANAGER_METADATA = "_chamber_metadata"
# chamber's service names: letters, digits, "_", "-" (and "." and "/" levels in later versions).
_SERVICE = re.compile(r"[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*")


def service_name(argument: str) -> str:
    """The service as chamber stores it (lower case), or an error naming what is wrong."""
    if not _SERVICE.fullmatch(argument):
        raise SecretSyncError(
            f"{text.shown(argument)!r} is not a chamber service name",
            hint="chamber names services with letters, digits, '_', '-' and '.' (levels "
            "separated by '/'), e.g. `--from chamber myapp`.",
        )
    return argument.lower()


def env_name(key: str) -> str:
    """The environment name ``chamber exec`` gives ``key``: upper case, ``-`` as ``_``."""
    return key.upper().replace("-", "_")


def environment(
    values: Mapping[str, str], metadata: str
) -> tuple[dict[str, str], tuple[tuple[str, str], ...], tuple[str, ...]]:
    """``values`` (chamber key -> value, in the order read) by environment name, the keys
    renamed (chamber's name, the environment's), and the names left out (``metadata``).

    Two keys that chamber exec would give the same name (``db-url`` and ``DB_URL``, written
    outside chamber) are refused: which one chamber exec lets win depends on the order AWS
    lists them in, and guessing would import the wrong value.
    """
    out: dict[str, str] = {}
    origin: dict[str, str] = {}
    renamed: list[tuple[str, str]] = []
    skipped: list[str] = []
    for key, value in values.items():
        if key == metadata:
            skipped.append(key)
            continue
        name = env_name(key)
        if name in origin:
            raise SecretSyncError(
                f"chamber keys {text.shown(origin[name])} and {text.shown(key)} both become "
                f"{text.shown(name)} (as chamber exec names them); nothing was imported",
                hint="Rename or delete one of them with chamber, then import again.",
            )
        origin[name] = key
        out[name] = value
        if name != key:
            renamed.append((key, name))
    return out, tuple(renamed), tuple(skipped)
