"""One environment's two sides, read at the start of a command, and the record of their last
agreement: read it where it applies, write it when they agree."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from secretsync_hooks.config.settings import Config
from secretsync_hooks.errors import EnvFileError, LastSyncError
from secretsync_hooks.local.env_file import EnvFile
from secretsync_hooks.redact import Redactor
from secretsync_hooks.remote.aws import AwsSession
from secretsync_hooks.remote.base import ApplyResult, Backend, RemoteSnapshot
from secretsync_hooks.remote.read import read_remote
from secretsync_hooks.sync.differ import Comparison, compare, compare_three_way
from secretsync_hooks.sync.last_sync import LastSync, LastSyncStore

log = logging.getLogger("secretsync")


class Workspace:
    """One environment's two sides, as read at the start of a command."""

    def __init__(
        self,
        config: Config,
        local: EnvFile,
        backend: Backend,
        snapshot: RemoteSnapshot,
        session: AwsSession,
        deadline: float,
    ) -> None:
        self.config = config
        self.local = local
        self.backend = backend
        self.snapshot = snapshot
        self.session = session
        self.deadline = deadline
        # What the command should tell the user (not counting the config's own warnings).
        self.warnings: list[str] = []
        self.records: LastSyncStore | None = None
        self.last_sync: LastSync | None = None
        # Why the comparison is two-way although a record of an earlier sync exists.
        self.two_way_reason: str | None = None
        # What the remote could not hold of what a push would send (noted as warnings too).
        self.unholdable: list[str] = []

    @property
    def remote_name(self) -> str:
        return self.config.remote_name

    def keys(self) -> set[str]:
        """Every key of both sides (but the contract's local keys)."""
        return {*self.local_values(), *self.remote_values()}

    def local_values(self) -> dict[str, str]:
        """The .env's values, but those of keys the contract keeps local."""
        return _shared(self.config, self.local.values())

    def remote_values(self) -> dict[str, str]:
        """The remote's values, but those of keys the contract keeps local (put there before
        the rule, or by someone else: never pulled, never drift)."""
        return _shared(self.config, self.snapshot.values)

    def left_out(self) -> list[str]:
        """The local keys of either side, which no comparison counts."""
        contract = self.config.contract
        every = {*self.local.keys(), *self.snapshot.values}
        return sorted(key for key in every if contract.is_local(key))

    @property
    def paced_writes(self) -> bool:
        """Whether writes go one key at a time, paced (worth a progress bar)."""
        return self.backend.writes_per_key

    def compare(self, *, keys_only: bool = False) -> Comparison:
        """Three-way against the last sync where it applies; two-way otherwise, and always
        for key sets."""
        local, remote = self.local_values(), self.remote_values()
        if self.last_sync is None or self.records is None or keys_only:
            return compare(local, remote, keys_only=keys_only)
        return compare_three_way(
            local, remote, self.last_sync.fingerprints, self.records.fingerprint
        )

    def ignored(self) -> tuple[str, ...]:
        """Remote names under the target that secretsync does not manage (for ``status``)."""
        with self.session.deadline(self.deadline):
            return self.backend.ignored()

    def note(self, warnings: list[str]) -> None:
        """Add ``warnings`` not already noted."""
        self.warnings.extend(w for w in warnings if w not in self.warnings)


def _shared(config: Config, values: Mapping[str, str]) -> dict[str, str]:
    contract = config.contract
    return {key: value for key, value in values.items() if not contract.is_local(key)}


def open_workspace(
    config: Config,
    redactor: Redactor,
    *,
    require_local: bool = False,
    deadline: float | None = None,
    keys_only: bool = False,
) -> Workspace:
    """Read the local file (first: it fails fast without a network) and then the remote,
    registering every value read with ``redactor``.

    Reading the remote, credentials and retries included, must finish within ``deadline``
    seconds (default: :func:`deadline_for`).
    """
    local = EnvFile.load(config.env_file, missing_ok=not require_local)
    redactor.register(local.values().values())
    warnings = []
    if not local.existed:
        warnings.append(f"{config.env_file} does not exist yet; every remote key is remote-only")
    log.debug("read %d keys from %s", len(local.keys()), config.env_file)
    backend, snapshot, session, seconds = read_remote(config, redactor, deadline)
    workspace = Workspace(config, local, backend, snapshot, session, seconds)
    workspace.note(warnings + backend.warnings + list(snapshot.warnings))
    if not keys_only:  # an example file's placeholders are not values to push
        # Said before a push is tried: what the remote could not hold of what it would send.
        workspace.unholdable = backend.cannot_hold(_shared(config, local.values()), snapshot)
        workspace.note(workspace.unholdable)
    _attach_last_sync(workspace)
    return workspace


def _attach_last_sync(workspace: Workspace) -> None:
    """Use the record of the last sync only where it describes exactly these two sides.

    It must be this pairing's (the same resolved .env file, backend, target and region), of
    the same remote (AWS's identity for it, which carries the account), and both sides must
    have something in them: a missing or empty .env, or a remote that does not exist, is no
    evidence that every key was deleted.  Otherwise the comparison is two-way, and one line
    says why.
    """
    config = workspace.config
    records = workspace.records = LastSyncStore(config)
    try:
        last = records.load()
    except LastSyncError as exc:
        # Never trusted; the next successful sync replaces it with a good one.
        workspace.note(
            [
                f"ignoring the record of the last sync: {exc}; comparing two-way "
                f"(`{exc.reset}` clears it, and the next sync records a new one)"
            ]
        )
        return
    if last is None:
        other = records.other_pairing()
        if other is not None and other.pairing is not None:
            why = "; ".join(records.pairing.differences(other.pairing))
            workspace.two_way_reason = f"the last sync recorded for this environment: {why}"
        return
    workspace.two_way_reason = _why_not(workspace, last)
    if workspace.two_way_reason is None:
        workspace.last_sync = last


def _why_not(workspace: Workspace, last: LastSync) -> str | None:
    config, snapshot = workspace.config, workspace.snapshot
    if not workspace.local.existed:
        return f"{config.env_file} does not exist"
    if not workspace.local_values():
        return f"{config.env_file} holds no keys" + (
            " but local ones" if workspace.local.keys() else ""
        )
    if not snapshot.exists:
        return f"{workspace.remote_name} does not exist in {config.region}"
    if last.identity is not None and snapshot.identity not in (None, last.identity):
        return f"the last sync was with {last.identity}, not {snapshot.identity}"
    return None


def record(
    workspace: Workspace,
    local: Mapping[str, str],
    remote: Mapping[str, str],
    result: ApplyResult | None,
) -> None:
    """Record agreement key by key: a key the two sides agree on gets the agreed value's
    fingerprint; a key gone from both is dropped; any other key keeps its old entry, so a
    change made on one side only still shows as such next time.

    The change itself has been made by now: failing to record it (an unwritable git
    directory, a damaged key file) is a warning, never a failure of the command.
    """
    records = workspace.records
    if records is None:
        return
    local, remote = _shared(workspace.config, local), _shared(workspace.config, remote)
    try:
        _record(records, workspace, local, remote, result)
    except (OSError, EnvFileError, LastSyncError, ValueError) as exc:
        # Without a record the next comparison is two-way: safe, only more cautious.
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        workspace.note([f"could not record the last sync in {records.path}: {detail}"])


def _record(
    records: LastSyncStore,
    workspace: Workspace,
    local: Mapping[str, str],
    remote: Mapping[str, str],
    result: ApplyResult | None,
) -> None:
    old = workspace.last_sync
    fingerprints = dict(old.fingerprints) if old else {}
    versions = dict(old.versions) if old else {}
    remote_version = (result.version if result else None) or workspace.snapshot.version_label
    written = result.versions if result else {}
    contract = workspace.config.contract
    for key in set(local) | set(remote) | set(fingerprints):
        if contract.is_local(key):
            continue  # left out of every comparison, so its record stays as it was
        mine, theirs = local.get(key), remote.get(key)
        if mine is not None and mine == theirs:
            fingerprints[key] = records.fingerprint(key, mine)
            version = written.get(key) or workspace.snapshot.versions.get(key)
            versions[key] = str(version) if version is not None else (remote_version or "")
        elif mine is None and theirs is None:
            fingerprints.pop(key, None)
            versions.pop(key, None)
    identity = (
        workspace.snapshot.identity
        or (result.identity if result else None)
        or (old.identity if old else None)
    )
    if old is not None and (
        (dict(old.fingerprints), dict(old.versions), old.remote_version, old.identity)
        == (fingerprints, versions, remote_version, identity)
    ):
        return  # nothing new agreed: no write (a hook runs this on every commit)
    records.save(fingerprints, versions, remote_version, identity)


def remember_untagged(config: Config, keys: tuple[str, ...], *, replace: bool = False) -> None:
    """Note ``keys`` as written without the config's tags, for the next push to tag (with
    ``replace``, the whole list: the keys still to tag).  A failure to note them is no
    failure of the write: the next write of those keys tags them."""
    store = LastSyncStore(config)
    try:
        store.set_untagged(keys if replace else (*store.untagged(), *keys))
    except (OSError, LastSyncError):
        log.debug("could not note the keys still to tag in %s", store.untagged_path)
