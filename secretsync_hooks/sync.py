"""The sync core: read both sides, compare, plan, and apply — shared by the CLI and the hooks.

Fronts (``cli``, ``hooks``) only parse options, call these functions and render what they
return; none of them computes a difference or decides what to write.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from secretsync_hooks import redact
from secretsync_hooks.backends import get_backend
from secretsync_hooks.backends.base import ApplyResult, Backend, Progress, RemoteSnapshot
from secretsync_hooks.config import Config
from secretsync_hooks.differ import Comparison, compare, destructive, plan_pull, plan_push
from secretsync_hooks.env_file import EnvFile, interpolation_keys
from secretsync_hooks.errors import EnvFileError, RefusedError, RemoteError
from secretsync_hooks.models import Action, Direction, SyncPlan

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

    @property
    def remote_name(self) -> str:
        kind = "secret" if self.backend.kind == "secrets_manager" else "parameter path"
        return f"{kind} {self.backend.target}"

    def compare(self, *, keys_only: bool = False) -> Comparison:
        return compare(self.local.values(), self.snapshot.values, keys_only=keys_only)


def open_workspace(config: Config, *, require_local: bool = False) -> Workspace:
    """Read the local file (first: it fails fast without a network) and then the remote."""
    local = EnvFile.load(config.env_file, missing_ok=not require_local)
    redact.register(local.values().values())
    warnings = list(config.warnings)
    if not local.existed:
        warnings.append(f"{config.env_file} does not exist yet; every remote key is remote-only")
    log.debug("read %d keys from %s", len(local.keys()), config.env_file)
    backend = get_backend(config)
    warnings.extend(getattr(backend, "warnings", []))
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
    return Workspace(config, local, backend, snapshot, warnings)


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
    """Refuse (exit 1, nothing changed) a plan that overwrites or deletes values, unless forced."""
    risky = destructive(outcome.plan)
    if not risky or force:
        return
    pushing = outcome.direction is Direction.PUSH
    where = workspace.remote_name if pushing else str(workspace.config.env_file)
    updates = [op.key for op in risky if op.action is Action.UPDATE]
    deletes = [op.key for op in risky if op.action is Action.DELETE]
    parts = []
    if updates:
        parts.append(f"overwrite {len(updates)} value(s) ({', '.join(updates)})")
    if deletes:
        parts.append(f"delete {len(deletes)} key(s) ({', '.join(deletes)})")
    what = f"{outcome.direction.value} would {' and '.join(parts)} in {where}"
    if confirm is not None and confirm(f"{what}. Continue?"):
        return
    other = "pull" if pushing else "push"
    keep = "remote" if pushing else "local"
    raise RefusedError(
        f"{what}; nothing was changed",
        hint=f"Rerun with --force to do it, or run `secretsync {other}` first to keep the "
        f"{keep} values; `secretsync diff` shows the differences.",
    )


def apply(
    workspace: Workspace, outcome: SyncOutcome, *, progress: Progress | None = None
) -> SyncOutcome:
    """Carry out ``outcome.plan``; return the outcome with what was done."""
    if outcome.direction is Direction.PUSH:
        result = workspace.backend.apply(outcome.plan, workspace.snapshot, progress)
    else:
        result = _write_local(workspace, outcome.plan)
    return SyncOutcome(outcome.direction, outcome.comparison, outcome.plan, False, result)


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
