"""Reading one environment's remote: one AWS session, one snapshot, within one deadline, every
value registered with the front's redactor.  Every command that reads a remote starts here."""

from __future__ import annotations

import logging
from typing import NamedTuple

from secretsync_hooks.config.settings import Config
from secretsync_hooks.redact import Redactor
from secretsync_hooks.remote.aws import deadline_for
from secretsync_hooks.remote.backends import AwsSession, get_backend
from secretsync_hooks.remote.base import Backend, RemoteSnapshot

log = logging.getLogger("secretsync")


class RemoteRead(NamedTuple):
    backend: Backend
    snapshot: RemoteSnapshot
    session: AwsSession  # for the writes that follow, within ``deadline`` too
    deadline: float


def read_remote(config: Config, redactor: Redactor, deadline: float | None = None) -> RemoteRead:
    """Read ``config``'s remote; AWS must answer, credentials and retries included, within
    ``deadline`` seconds (default: :func:`deadline_for`)."""
    session = AwsSession(config.region, config.profile)
    seconds = deadline or deadline_for()
    backend = get_backend(config, session)
    with session.deadline(seconds):
        snapshot = backend.read()
    redactor.register(snapshot.values.values())
    log.debug(
        "read %d keys from %s (exists=%s, version=%s)",
        len(snapshot.values),
        config.target,
        snapshot.exists,
        snapshot.version_label,
    )
    return RemoteRead(backend, snapshot, session, seconds)
