"""The remote across time, read: each version of a secret with what it changed, or each
parameter's last change (a parameter's versions with a key).  One session, one deadline;
every value read is registered with the front's redactor before anything is printed."""

from __future__ import annotations

from typing import NamedTuple

from secretsync_hooks.config.settings import Config
from secretsync_hooks.redact import Redactor
from secretsync_hooks.remote.base import Revision


class History(NamedTuple):
    revisions: list[Revision]
    # Every key of the remote now, when values are read (--show-values, plain_keys): what a
    # plain_keys set is judged against, not only the keys the versions shown touched.
    keys: tuple[str, ...] = ()


def history(
    config: Config,
    redactor: Redactor,
    limit: int,
    key: str | None,
    *,
    show_values: bool = False,
    deadline: float | None = None,
) -> History:
    """At most ``limit`` past states of ``config``'s remote, newest first (``key``: those of
    one key); values are read only for ``show_values`` or ``plain_keys``."""
    from secretsync_hooks.remote.aws import deadline_for
    from secretsync_hooks.remote.backends import AwsSession, get_backend

    session = AwsSession(config.region, config.profile)
    backend = get_backend(config, session)
    decrypt = show_values or bool(config.plain_keys)
    with session.deadline(deadline or deadline_for()):
        revisions = backend.history(limit, key, decrypt=decrypt)
        for revision in revisions:
            redactor.register(revision.values.values())
        current: tuple[str, ...] = ()
        if config.plain_keys and any(revision.values for revision in revisions):
            values = backend.read().values
            redactor.register(values.values())
            current = tuple(values)
    return History(revisions, current)
