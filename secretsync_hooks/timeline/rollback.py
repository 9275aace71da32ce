"""Put the remote back as it was: a Secrets Manager version, or Parameter Store at a point in
time.  The backend reads the past and computes the changes from the state just read; writing
goes through the same compare-and-swap (Secrets Manager) or version-checked writes (Parameter
Store) as a push.  The local .env and the record of the last sync are never touched: the
remote changed, so the next ``pull`` brings the .env along."""

from __future__ import annotations

from typing import NamedTuple

from secretsync_hooks.config.settings import Config
from secretsync_hooks.errors import RemoteError, SecretSyncError
from secretsync_hooks.redact import Redactor
from secretsync_hooks.remote.base import ApplyResult, Backend, Progress, RemoteSnapshot, Rollback
from secretsync_hooks.remote.read import read_remote


class Planned(NamedTuple):
    config: Config
    backend: Backend
    snapshot: RemoteSnapshot
    rollback: Rollback
    # Parameter Store: keys the .env or the record of the last sync knows that are not under
    # the path now.  If they were deleted after the time, AWS kept nothing to restore.
    gone: tuple[str, ...] = ()


def plan(
    config: Config, redactor: Redactor, to: str, *, prune: bool, deadline: float | None = None
) -> Planned:
    """Read the remote and what it held at ``to``; every value read is registered with
    ``redactor`` before anything is printed."""
    backend, snapshot, session, seconds = read_remote(config, redactor, deadline)
    if not snapshot.exists or snapshot.no_value:
        raise RemoteError(
            f"{config.remote_name} in {config.region} "
            f"{'holds no value' if snapshot.exists else 'does not exist'}: nothing to roll back",
            hint="Check --env and --region (`secretsync status` shows what is in use).",
        )
    with session.deadline(seconds):
        rollback = backend.rollback(to, snapshot, prune=prune)
    redactor.register(rollback.plan.sets.values())
    gone: tuple[str, ...] = ()
    if config.backend == "parameter_store":
        gone = tuple(sorted(known_keys(config, redactor) - set(snapshot.values)))
    return Planned(config, backend, snapshot, rollback, gone)


def known_keys(config: Config, redactor: Redactor) -> set[str]:
    """The keys of the local .env and of the record of the last sync, where they can be read
    (neither is needed for a rollback: a problem with one only means it names fewer keys)."""
    from secretsync_hooks.errors import LastSyncError
    from secretsync_hooks.local.env_file import EnvFile
    from secretsync_hooks.sync.last_sync import LastSyncStore

    keys: set[str] = set()
    try:
        local = EnvFile.load(config.env_file, missing_ok=True)
        redactor.register(local.values().values())
        keys.update(local.keys())
    except (SecretSyncError, OSError):
        pass
    try:
        last = LastSyncStore(config).load()
        if last is not None:
            keys.update(last.fingerprints)
    except (SecretSyncError, LastSyncError, OSError):
        pass
    return keys


def apply(planned: Planned, progress: Progress | None = None) -> ApplyResult:
    """Write ``planned``; a key (Parameter Store) or the secret (Secrets Manager) changed since
    it was read is refused, not overwritten.  Keys written without their tags are noted for
    the next push of this environment to tag."""
    from secretsync_hooks.sync.workspace import remember_untagged

    try:
        return planned.backend.restore(planned.rollback, planned.snapshot, progress)
    except SecretSyncError as exc:
        if exc.untagged:
            remember_untagged(planned.config, exc.untagged)
        raise
