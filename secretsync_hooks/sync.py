"""The sync core: read both sides, compare, plan, and apply — shared by the CLI and the hooks.

Fronts (``cli``, ``hooks``) only parse options, call these functions and render what they
return; none of them computes a difference or decides what to write.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from secretsync_hooks import redact
from secretsync_hooks.backends import get_backend
from secretsync_hooks.backends.base import ApplyResult, Backend, Progress, RemoteSnapshot
from secretsync_hooks.config import Config
from secretsync_hooks.differ import (
    Comparison,
    compare,
    compare_three_way,
    needs_force,
    plan_pull,
    plan_push,
)
from secretsync_hooks.env_file import EnvFile, interpolation_keys
from secretsync_hooks.errors import EnvFileError, RefusedError, RemoteError
from secretsync_hooks.models import Action, Direction, SyncPlan
from secretsync_hooks.sync_base import Base, BaseError, BaseStore

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


def open_workspace(config: Config, *, require_local: bool = False) -> Workspace:
    """Read the local file (first: it fails fast without a network) and then the remote."""
    local = EnvFile.load(config.env_file, missing_ok=not require_local)
    redact.register(local.values().values())
    warnings = list(config.warnings)
    if not local.existed:
        warnings.append(f"{config.env_file} does not exist yet; every remote key is remote-only")
    log.debug("read %d keys from %s", len(local.keys()), config.env_file)
    backend = get_backend(config)
    warnings.extend(backend.warnings)
    snapshot = backend.read()
    redact.register(snapshot.values.values())
    warnings.extend(snapshot.warnings)
    store = BaseStore(config)
    try:
        base = store.load()
    except BaseError as exc:
        # Never trusted: compare two-way; the next successful sync writes a good one.
        warnings.append(f"ignoring the record of the last sync: {exc}")
        base = None
    log.debug(
        "read %d keys from %s %s (exists=%s, version=%s)",
        len(snapshot.values),
        backend.kind,
        backend.target,
        snapshot.exists,
        snapshot.version_label,
    )
    return Workspace(config, local, backend, snapshot, warnings, store, base)


@dataclass(frozen=True)
class SyncOutcome:
    """What a push or pull planned and did."""

    direction: Direction
    comparison: Comparison
    plan: SyncPlan
    dry_run: bool = False
    result: ApplyResult | None = None

    @property
    def version(self) -> str | None:
        return self.result.version if self.result else None


def plan(workspace: Workspace, direction: Direction, *, prune: bool = False) -> SyncOutcome:
    comparison = workspace.compare()
    if direction is Direction.PUSH:
        planned = plan_push(comparison, prune=prune)
        workspace.backend.validate(planned)
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
    return SyncOutcome(direction, comparison, planned)


def require_consent(
    workspace: Workspace, outcome: SyncOutcome, *, force: bool, confirm: Confirm | None
) -> None:
    """Refuse (exit 1, nothing changed) what needs --force, unless forced or confirmed.

    Two-way, that is any overwrite or delete at the destination; three-way, only conflicts.
    """
    risky = needs_force(outcome.comparison, outcome.plan)
    if not risky or force:
        return
    pushing = outcome.direction is Direction.PUSH
    other = "pull" if pushing else "push"
    keys = ", ".join(op.key for op in risky)
    if outcome.comparison.three_way:
        what = f"conflict: {keys} changed on both sides since the last sync"
        question = f"{what}. {outcome.direction.value} anyway, keeping the " + (
            "local values?" if pushing else "values in AWS?"
        )
        hint = (
            "`secretsync push --force` keeps your values, `secretsync pull --force` takes the "
            "ones in AWS; `secretsync diff` shows the conflicts."
        )
    else:
        where = workspace.remote_name if pushing else str(workspace.config.env_file)
        updates = [op.key for op in risky if op.action is Action.UPDATE]
        deletes = [op.key for op in risky if op.action is Action.DELETE]
        parts = []
        if updates:
            parts.append(f"overwrite {len(updates)} value(s) ({', '.join(updates)})")
        if deletes:
            parts.append(f"delete {len(deletes)} key(s) ({', '.join(deletes)})")
        what = f"{outcome.direction.value} would {' and '.join(parts)} in {where}"
        question = f"{what}. Continue?"
        keep = "remote" if pushing else "local"
        hint = (
            f"Rerun with --force to do it, or run `secretsync {other}` first to keep the "
            f"{keep} values; `secretsync diff` shows the differences."
        )
    if confirm is not None and confirm(question):
        return
    raise RefusedError(f"{what}; nothing was changed", hint=hint)


def apply(
    workspace: Workspace, outcome: SyncOutcome, *, progress: Progress | None = None
) -> SyncOutcome:
    """Carry out ``outcome.plan``; return the outcome with what was done."""
    if outcome.direction is Direction.PUSH:
        result = workspace.backend.apply(outcome.plan, workspace.snapshot, progress)
        remote_after = outcome.plan.applied_to(workspace.snapshot.values)
        local_after = workspace.local.values()
    else:
        result = _write_local(workspace, outcome.plan)
        remote_after = dict(workspace.snapshot.values)
        local_after = workspace.local.values()
    record_base(workspace, local_after, remote_after, result)
    return SyncOutcome(outcome.direction, outcome.comparison, outcome.plan, False, result)


def record_if_in_sync(workspace: Workspace, comparison: Comparison) -> None:
    """After a diff that finds both sides agreeing (values, not just key names): record it."""
    if comparison.in_sync and not comparison.keys_only:
        values = workspace.local.values()
        record_base(workspace, values, dict(workspace.snapshot.values), None)


def record_base(
    workspace: Workspace,
    local: Mapping[str, str],
    remote: Mapping[str, str],
    result: ApplyResult | None,
) -> None:
    """Record agreement key by key: a key the two sides agree on gets the agreed value's
    fingerprint; a key gone from both is dropped; any other key keeps its old entry, so a
    change made on one side only still shows as such next time."""
    store = workspace.store
    if store is None:
        return
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
    if old is not None and (
        (dict(old.fingerprints), dict(old.versions), old.remote_version)
        == (fingerprints, versions, remote_version)
    ):
        return  # nothing new agreed: no write (a hook runs this on every commit)
    try:
        store.save(fingerprints, versions, remote_version)
    except (OSError, EnvFileError) as exc:
        # The sync itself succeeded; without a base the next comparison is two-way.
        workspace.warnings.append(f"could not record the last sync in {store.path}: {exc}")


def _write_local(workspace: Workspace, plan: SyncPlan) -> ApplyResult:
    if plan.is_empty:
        return ApplyResult(version=workspace.snapshot.version_label)
    local = workspace.local
    for op in plan.ops:
        if op.action is Action.DELETE:
            local.remove(op.key)
        else:
            assert op.value is not None
            local.set(op.key, op.value)
    expanding = interpolation_keys(plan.sets.items())
    if expanding:
        workspace.warnings.append(
            f"{', '.join(expanding)} contain '${{', which python-dotenv expands by default "
            "(load_dotenv(interpolate=False) keeps it literal)"
        )
    path = workspace.config.env_file
    if path.is_dir():
        raise EnvFileError(f"{path}: is a directory, not a .env file")
    local.write(path)
    return ApplyResult(applied=plan.ops, version=workspace.snapshot.version_label)
