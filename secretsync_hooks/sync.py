"""The sync core: read both sides, compare, plan, and apply — shared by the CLI and the hooks.

Fronts (``cli``, ``hooks``) only parse options, call these functions and render what they
return; none of them computes a difference or decides what to write.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from secretsync_hooks import interrupts, redact, text
from secretsync_hooks.backends import get_backend
from secretsync_hooks.backends.aws import COMMAND_DEADLINE, AwsSession, seconds_from
from secretsync_hooks.backends.base import ApplyResult, Backend, Progress, RemoteSnapshot
from secretsync_hooks.config import Config
from secretsync_hooks.differ import (
    Comparison,
    compare,
    compare_three_way,
    is_mass,
    needs_force,
    plan_pull,
    plan_push,
)
from secretsync_hooks.env_file import EnvFile, interpolation_keys
from secretsync_hooks.errors import EnvFileError, RefusedError, RemoteError
from secretsync_hooks.models import Action, DiffState, Direction, SyncPlan
from secretsync_hooks.sync_base import Base, BaseError, BaseStore, work_tree

log = logging.getLogger("secretsync")

# confirm(question) -> bool: asks the user; None where nobody can answer (no TTY, a hook, CI).
Confirm = Callable[[str], bool]


@dataclass
class Workspace:
    """One environment's two sides, as read at the start of a command."""

    config: Config
    local: EnvFile
    backend: Backend
    snapshot: RemoteSnapshot
    warnings: list[str] = field(default_factory=list)
    store: BaseStore | None = None
    base: Base | None = None
    # Why the comparison is two-way although a record of an earlier sync exists.
    two_way_reason: str | None = None
    session: AwsSession | None = None
    deadline: float = COMMAND_DEADLINE

    def ignored(self) -> tuple[str, ...]:
        """Remote names under the target that secretsync does not manage (for ``status``)."""
        if self.session is None:
            return self.backend.ignored()
        with self.session.deadline(self.deadline):
            return self.backend.ignored()

    @property
    def remote_name(self) -> str:
        kind = "secret" if self.backend.kind == "secrets_manager" else "parameter path"
        return f"{kind} {self.backend.target}"

    def compare(self, *, keys_only: bool = False) -> Comparison:
        """Three-way against the base when there is one; two-way without, or for key sets."""
        local, remote = self.local.values(), self.snapshot.values
        if self.base is None or self.store is None or keys_only:
            return compare(local, remote, keys_only=keys_only)
        return compare_three_way(local, remote, self.base.fingerprints, self.store.fingerprint)


def open_workspace(
    config: Config, *, require_local: bool = False, deadline: float | None = None
) -> Workspace:
    """Read the local file (first: it fails fast without a network) and then the remote.

    Reading the remote, credentials and retries included, must finish within ``deadline``
    seconds (default: ``SECRETSYNC_TIMEOUT``, else 15).
    """
    local = EnvFile.load(config.env_file, missing_ok=not require_local)
    redact.register(local.values().values())
    warnings = list(config.warnings)
    if not local.existed:
        warnings.append(f"{config.env_file} does not exist yet; every remote key is remote-only")
    log.debug("read %d keys from %s", len(local.keys()), config.env_file)
    session = AwsSession(config.region, config.profile)
    seconds = deadline or seconds_from(os.environ, "SECRETSYNC_TIMEOUT", COMMAND_DEADLINE)
    backend = get_backend(config, session)
    warnings.extend(backend.warnings)
    with session.deadline(seconds):
        snapshot = backend.read()
    redact.register(snapshot.values.values())
    warnings.extend(snapshot.warnings)
    log.debug(
        "read %d keys from %s %s (exists=%s, version=%s)",
        len(snapshot.values),
        backend.kind,
        backend.target,
        snapshot.exists,
        snapshot.version_label,
    )
    workspace = Workspace(config, local, backend, snapshot, warnings, session=session)
    workspace.deadline = seconds
    _attach_base(workspace)
    return workspace


def _attach_base(workspace: Workspace) -> None:
    """Use the record of the last sync only where it describes exactly these two sides.

    It must be this pairing's (the same resolved .env file, backend, target and region), of
    the same remote (AWS's identity for it, which carries the account), and both sides must
    have something in them: a missing or empty .env, or a remote that does not exist, is no
    evidence that every key was deleted.  Otherwise the comparison is two-way, and one line
    says why.
    """
    config = workspace.config
    store = workspace.store = BaseStore(config)
    try:
        base = store.load()
    except BaseError as exc:
        # Never trusted; the next successful sync replaces it with a good one.
        workspace.warnings.append(
            f"ignoring the record of the last sync: {exc}; comparing two-way "
            f"(`{exc.reset}` clears it, and the next sync records a new one)"
        )
        return
    if base is None:
        other = store.other_pairing()
        if other is not None and other.pairing is not None:
            why = "; ".join(store.pairing.differences(other.pairing))
            workspace.two_way_reason = f"the last sync recorded for this environment: {why}"
        return
    snapshot = workspace.snapshot
    if not workspace.local.existed:
        reason = f"{config.env_file} does not exist"
    elif not workspace.local.keys():
        reason = f"{config.env_file} holds no keys"
    elif not snapshot.exists:
        reason = f"{workspace.remote_name} does not exist in {config.region}"
    elif base.identity is not None and snapshot.identity not in (None, base.identity):
        reason = f"the last sync was with {base.identity}, not {snapshot.identity}"
    else:
        workspace.base = base
        return
    workspace.two_way_reason = reason


@dataclass(frozen=True)
class SyncOutcome:
    """What a push or pull planned and did."""

    direction: Direction
    comparison: Comparison
    plan: SyncPlan
    dry_run: bool = False
    result: ApplyResult | None = None
    # Keys that only --prune would remove at the destination (deleted locally, for a push).
    held_back: tuple[str, ...] = ()
    # Why the plan needs --force (or a yes at the prompt); None when it does not.
    refusal: str | None = None

    @property
    def version(self) -> str | None:
        return self.result.version if self.result else None


def plan(workspace: Workspace, direction: Direction, *, prune: bool = False) -> SyncOutcome:
    comparison = workspace.compare()
    if direction is Direction.PUSH:
        planned = plan_push(comparison, prune=prune)
        workspace.backend.validate(planned, workspace.snapshot)
    else:
        if not workspace.snapshot.exists:
            raise RemoteError(
                f"{workspace.remote_name} does not exist yet; there is nothing to pull",
                hint="`secretsync push` creates it from your .env.",
            )
        planned = plan_pull(comparison, prune=prune)
    log.debug(
        "%s plan: %s", direction.value, ", ".join(f"{o.action.value} {o.key}" for o in planned.ops)
    )
    held_back: tuple[str, ...] = ()
    if not prune:
        planner = plan_push if direction is Direction.PUSH else plan_pull
        pruned = planner(comparison, prune=True)
        planned_keys = {op.key for op in planned.ops}
        held_back = tuple(op.key for op in pruned.of(Action.DELETE) if op.key not in planned_keys)
    return SyncOutcome(
        direction,
        comparison,
        planned,
        held_back=held_back,
        refusal=refusal(workspace, comparison, planned),
    )


def mass_change(workspace: Workspace, plan: SyncPlan) -> tuple[int, int, int] | None:
    """(overwrites, deletes, destination keys) when ``plan`` changes that many at once."""
    pushing = plan.direction is Direction.PUSH
    total = len(workspace.snapshot.values) if pushing else len(workspace.local.keys())
    overwrites = len(plan.of(Action.UPDATE))
    deletes = len(plan.of(Action.DELETE))
    if is_mass(overwrites + deletes, total):
        return overwrites, deletes, total
    return None


def refusal(workspace: Workspace, comparison: Comparison, plan: SyncPlan) -> str | None:
    """Why ``plan`` needs --force (or a yes at the prompt), or None if it does not.

    Two-way, any overwrite or delete at the destination; three-way, only conflicts and
    deletions of keys never synced; either way, a plan that changes more than half of the
    destination's keys at once (the mass-change guard).
    """
    risky = needs_force(comparison, plan)
    mass = mass_change(workspace, plan)
    elsewhere = _creates_elsewhere(workspace, plan)
    if not risky and mass is None and elsewhere is None:
        return None
    verb = plan.direction.value
    where = (
        workspace.remote_name
        if plan.direction is Direction.PUSH
        else str(workspace.config.env_file)
    )
    parts = [elsewhere] if elsewhere else []
    if mass is not None:
        overwrites, deletes, total = mass
        counts = " and ".join(
            f"{action} {count}"
            for action, count in (("overwrite", overwrites), ("delete", deletes))
            if count
        )
        parts.append(f"{verb} would {counts} of the {total} keys in {where} at once")
    conflicts = [op.key for op in risky if op.key in _conflict_keys(comparison)]
    others = [op for op in risky if op.key not in conflicts]
    if conflicts:
        parts.append(f"conflict: {text.keys(conflicts)} changed on both sides since the last sync")
    if others:
        updates = [op.key for op in others if op.action is Action.UPDATE]
        deletes_ = [op.key for op in others if op.action is Action.DELETE]
        detail = []
        if updates:
            detail.append(f"overwrite {len(updates)} value(s) ({text.keys(updates)})")
        if deletes_:
            detail.append(f"delete {len(deletes_)} key(s) ({text.keys(deletes_)})")
        parts.append(f"{verb} would {' and '.join(detail)} in {where}")
    return "; ".join(parts)


def _creates_elsewhere(workspace: Workspace, plan: SyncPlan) -> str | None:
    """A push that would create the remote in another region than the config names (an
    ambient AWS_REGION won): a copy nobody will read, and the real one left behind."""
    config = workspace.config
    if (
        plan.direction is not Direction.PUSH
        or plan.is_empty
        or workspace.snapshot.exists
        or config.configured_region is None
        or config.region == config.configured_region
    ):
        return None
    return (
        f"push would create {workspace.remote_name} in {config.region} (from "
        f"{config.source('region')}), but the config puts it in {config.configured_region}"
    )


def require_consent(outcome: SyncOutcome, *, force: bool, confirm: Confirm | None) -> None:
    """Refuse (exit 1, nothing changed) what needs --force, unless forced or confirmed."""
    what = outcome.refusal
    if force or what is None:
        return
    pushing = outcome.direction is Direction.PUSH
    keep = "your values" if pushing else "the values in AWS"
    question = f"{what}. {outcome.direction.value.capitalize()} anyway, keeping {keep}?"
    hint = (
        f"`secretsync {outcome.direction.value} --force` does it, keeping {keep}; "
        "`secretsync diff` shows every key first."
    )
    if confirm is not None and confirm(question):
        return
    raise RefusedError(f"{what}; nothing was changed", hint=hint)


def _conflict_keys(comparison: Comparison) -> set[str]:
    return {e.key for e in comparison.entries if e.state is DiffState.CONFLICT}


def apply(
    workspace: Workspace, outcome: SyncOutcome, *, progress: Progress | None = None
) -> SyncOutcome:
    """Carry out ``outcome.plan``; return the outcome with what was done.

    Once the write is done, an interrupt no longer changes the answer: recording the last
    sync and reporting go on, since the change has been made.
    """
    done = False
    try:
        if outcome.direction is Direction.PUSH:
            try:
                result = workspace.backend.apply(outcome.plan, workspace.snapshot, progress)
            finally:
                # What the backend learnt while writing (rotation enabled, a label it could
                # not remove) is reported whatever the outcome.
                workspace.warnings.extend(
                    w for w in workspace.backend.warnings if w not in workspace.warnings
                )
            remote_after = outcome.plan.applied_to(workspace.snapshot.values)
        else:
            result = _write_local(workspace, outcome.plan)
            remote_after = dict(workspace.snapshot.values)
        done = True
        with interrupts.critical(deliver=False):
            record_base(workspace, workspace.local.values(), remote_after, result)
    except KeyboardInterrupt:
        if not done:
            raise
    return replace(outcome, dry_run=False, result=result)


def record_if_in_sync(workspace: Workspace, comparison: Comparison) -> None:
    """After a diff that finds both sides agreeing (values, not just key names): record it."""
    if comparison.in_sync and not comparison.keys_only:
        values = workspace.local.values()
        with interrupts.critical():
            record_base(workspace, values, dict(workspace.snapshot.values), None)


def record_base(
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
    store = workspace.store
    if store is None:
        return
    try:
        _record(store, workspace, local, remote, result)
    except (OSError, EnvFileError, BaseError, ValueError) as exc:
        # Without a record the next comparison is two-way: safe, only more cautious.
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        workspace.warnings.append(f"could not record the last sync in {store.path}: {detail}")


def _record(
    store: BaseStore,
    workspace: Workspace,
    local: Mapping[str, str],
    remote: Mapping[str, str],
    result: ApplyResult | None,
) -> None:
    old = workspace.base
    fingerprints = dict(old.fingerprints) if old else {}
    versions = dict(old.versions) if old else {}
    remote_version = (result.version if result else None) or workspace.snapshot.version_label
    written = result.versions if result else {}
    for key in set(local) | set(remote) | set(fingerprints):
        mine, theirs = local.get(key), remote.get(key)
        if mine is not None and mine == theirs:
            fingerprints[key] = store.fingerprint(key, mine)
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
    store.save(fingerprints, versions, remote_version, identity)


def _write_local(workspace: Workspace, plan: SyncPlan) -> ApplyResult:
    if plan.is_empty:
        return ApplyResult(version=workspace.snapshot.version_label)
    path = workspace.config.env_file
    _check_writable(workspace, path)
    local = workspace.local
    active: list[str] = []
    for op in plan.ops:
        if op.action is Action.DELETE:
            local.remove(op.key)
        else:
            assert op.value is not None
            if not local.set(op.key, op.value):
                active.append(op.key)
    expanding = interpolation_keys(plan.sets.items())
    if expanding:
        workspace.warnings.append(
            f"{text.keys(expanding)} contain '${{', which python-dotenv expands by default "
            "(load_dotenv(interpolate=False) keeps it literal)"
        )
    if active:
        workspace.warnings.append(
            f"{text.keys(active)} hold both a single quote and a '$' or backtick: no quoting "
            "is exact for python-dotenv and inert in a shell, so `source .env` would expand "
            "them (python-dotenv reads them exactly)"
        )
    local.write(path)
    return ApplyResult(applied=plan.ops, version=workspace.snapshot.version_label)


def _check_writable(workspace: Workspace, path: Path) -> None:
    """Refuse to write secrets through a link leading out of the work tree; warn once when
    the file is readable by others."""
    if path.is_dir():
        raise EnvFileError(f"{path}: is a directory, not a .env file")
    if path.is_symlink():
        target = Path(os.path.realpath(path))
        tree = work_tree(workspace.config)
        if not target.is_relative_to(tree):
            raise EnvFileError(
                f"{path} is a symbolic link to {target}, outside the work tree {tree}; "
                "secretsync does not write secrets through it",
                hint="Pass --env-file with the real path if that file is meant to hold them.",
            )
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return  # a new file: created with mode 0600
    if mode & 0o077:
        workspace.warnings.append(
            f"{path} is readable by other users (mode {mode:04o}); `chmod 600 {path}` keeps "
            "the secrets written into it to you"
        )
