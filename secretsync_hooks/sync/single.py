"""One key at a time: ``get``, ``set`` and ``unset``.

``set`` and ``unset`` change one key on both sides: the remote through the same validation and
compare-and-swap as a push (the write merges onto a fresh read, so a teammate's newer value
of any other key stays), then the ``.env`` line in place (or appended, or removed), then the
record of the last sync, so that both sides agree on that key.  Nothing else of either side
is touched.  A key the contract keeps local lives in the ``.env`` only."""

from __future__ import annotations

from typing import NamedTuple

from secretsync_hooks import interrupts, text
from secretsync_hooks.config.settings import Config
from secretsync_hooks.errors import (
    ContractBroken,
    ExitCode,
    NeedsConsent,
    RefusedError,
    SecretSyncError,
)
from secretsync_hooks.local.env_file import EnvFile
from secretsync_hooks.models import Action, Direction, KeyOp, SyncPlan
from secretsync_hooks.redact import Redactor
from secretsync_hooks.remote.base import ApplyResult
from secretsync_hooks.sync.workspace import Workspace, open_workspace, record


class Absent(SecretSyncError):
    """The key is not there: exit 1 (an answer, not an error)."""

    exit_code = ExitCode.DRIFT
    label = "not found"


class Changed(NamedTuple):
    """What ``set`` or ``unset`` did: where, and the remote's version after it."""

    key: str
    action: str  # "set" or "unset"
    remote: str | None  # the remote's name, None for a local key (the .env only)
    env_file: str | None  # the .env's path, None when it was left as it was
    version: str | None
    local_only: bool = False  # a local key of the contract: the .env only, by rule


def get_value(
    config: Config, redactor: Redactor, key: str, *, remote: bool, deadline: float | None = None
) -> str:
    """The value of ``key``: from the remote (read once), or from the .env (no AWS call)."""
    if not remote:
        local = EnvFile.load(config.env_file, missing_ok=True).values()
        redactor.register(local.values())
        if key not in local:
            raise Absent(f"{text.shown(key)} is not in {config.env_file}")
        return local[key]
    if config.contract.is_local(key):
        raise Absent(
            f"{text.shown(key)} is local (a `local = true` rule of the key contract): it is "
            "never in AWS",
            hint="`--source local` reads it from your .env.",
        )
    from secretsync_hooks.remote.read import read_remote

    _, snapshot, _, _ = read_remote(config, redactor, deadline)
    if key not in snapshot.values:
        where = ", which does not exist" if not snapshot.exists else ""
        raise Absent(f"{text.shown(key)} is not in {config.remote_name} ({config.region}){where}")
    return snapshot.values[key]


def set_value(
    config: Config,
    redactor: Redactor,
    key: str,
    value: str,
    *,
    force: bool = False,
    allow_tracked: bool = False,
    deadline: float | None = None,
) -> Changed:
    """Make both sides hold ``value`` for ``key``."""
    _check_key(key)
    redactor.register([value])
    broken = config.contract.rule_for(key).broken_by(value)
    if broken:
        from secretsync_hooks.config.contract import Violation

        raise ContractBroken(
            f"set would give {text.shown(key)} a value",
            [Violation(key, rule) for rule in broken],
            verb="breaks",
            hint=f"Give a value that holds to the rule, or change [keys.{text.shown(key)}] in "
            f"{config.path.name}.",
        )
    op = KeyOp(key, Action.UPDATE, value)
    return _change(config, redactor, op, force, allow_tracked, deadline)


def unset_value(
    config: Config,
    redactor: Redactor,
    key: str,
    *,
    force: bool = False,
    allow_tracked: bool = False,
    deadline: float | None = None,
) -> Changed:
    """Remove ``key`` from both sides."""
    _check_key(key)
    if config.contract.rule_for(key).required:
        raise RefusedError(
            f"unset would remove {text.shown(key)}, which the key contract requires; nothing "
            "was changed",
            hint=f"A required key stays; make it not required in {config.path.name} first.",
        )
    return _change(config, redactor, KeyOp(key, Action.DELETE), force, allow_tracked, deadline)


def _check_key(key: str) -> None:
    from secretsync_hooks.local.env_file import can_hold_key

    if not can_hold_key(key):
        raise SecretSyncError(
            f"{text.shown(key)}: not a key a .env file can hold (empty, or a line break or a "
            "single quote in it)"
        )


def _change(
    config: Config,
    redactor: Redactor,
    op: KeyOp,
    force: bool,
    allow_tracked: bool,
    deadline: float | None,
) -> Changed:
    from secretsync_hooks.sync.engine import check_destination

    local_only = config.contract.is_local(op.key)
    # A local key lives in the .env alone: AWS is not asked.
    workspace = (
        _local_workspace(config, redactor)
        if local_only
        else open_workspace(config, redactor, deadline=deadline)
    )
    local = workspace.local
    in_local = op.key in local.values()
    in_remote = op.key in workspace.snapshot.values and not local_only
    if op.action is Action.DELETE and not in_local and not in_remote:
        where = "" if local_only else f" nor {workspace.remote_name}"
        raise Absent(
            f"{text.shown(op.key)} is in neither {config.env_file.name}{where}; nothing was changed"
        )
    writes_local = op.action is Action.UPDATE or in_local
    if writes_local:
        check_destination(workspace, allow_tracked=allow_tracked)
    result = ApplyResult()
    touches_remote = not local_only and (op.action is Action.UPDATE or in_remote)
    if touches_remote:
        result = _write_remote(workspace, op, force)
    # Once AWS holds the change, an interrupt waits for the .env and the record to follow:
    # "nothing was changed" would no longer be true.
    with interrupts.critical(deliver=not result.applied):
        if writes_local:
            _write_local(workspace, op, wrote_remote=bool(result.applied))
        remote_after = dict(workspace.snapshot.values)
        if touches_remote:
            remote_after = SyncPlan(Direction.PUSH, (op,)).applied_to(remote_after)
        record(workspace, local.values(), remote_after, result)
    return Changed(
        op.key,
        "set" if op.action is Action.UPDATE else "unset",
        workspace.remote_name if touches_remote else None,
        str(config.env_file) if writes_local else None,
        result.version,
        local_only,
    )


def _local_workspace(config: Config, redactor: Redactor) -> Workspace:
    """The .env, with the remote unread (a local key's change never reaches it)."""
    from secretsync_hooks.remote.backends import AwsSession, get_backend
    from secretsync_hooks.remote.base import RemoteSnapshot

    local = EnvFile.load(config.env_file, missing_ok=True)
    redactor.register(local.values().values())
    session = AwsSession(config.region, config.profile)
    unread = RemoteSnapshot(values={}, exists=False)
    return Workspace(config, local, get_backend(config, session), unread, session, 0.0)


def _write_remote(workspace: Workspace, op: KeyOp, force: bool) -> ApplyResult:
    from secretsync_hooks.sync.guards import creates_elsewhere

    current = workspace.snapshot.values.get(op.key)
    if op.action is Action.UPDATE and current == op.value:
        return ApplyResult(version=workspace.snapshot.version_label)  # already so
    action = op.action
    if action is Action.UPDATE and op.key not in workspace.snapshot.values:
        action = Action.ADD
    plan = SyncPlan(Direction.PUSH, (KeyOp(op.key, action, op.value),))
    verb = "set" if op.action is Action.UPDATE else "unset"
    elsewhere = creates_elsewhere(workspace, plan, verb)
    if elsewhere is not None and not force:
        configured, in_use = elsewhere.regions
        refusal = NeedsConsent(elsewhere.text, "push", (elsewhere,))
        refusal.hint = (
            f"Pass --region {configured} to create it where the config puts it, or "
            f"`secretsync set {text.shown(op.key)} --force` to create it in {in_use}."
        )
        raise refusal
    workspace.backend.validate(plan, workspace.snapshot)
    try:
        return workspace.backend.apply(plan, workspace.snapshot)
    finally:
        workspace.note(workspace.backend.warnings)


def _write_local(workspace: Workspace, op: KeyOp, *, wrote_remote: bool) -> None:
    local = workspace.local
    if op.action is Action.DELETE:
        local.remove(op.key)
    else:
        local.set(op.key, str(op.value))
    try:
        local.write(workspace.config.env_file)
    except SecretSyncError as exc:
        if wrote_remote:
            exc.hint = (
                f"{text.shown(op.key)} was changed in {workspace.remote_name}, not in "
                f"{workspace.config.env_file.name}: `secretsync pull` brings it over once the "
                "cause is fixed."
            )
        raise
