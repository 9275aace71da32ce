"""Merging a source into the ``.env``: what it adds, overwrites (only with ``--force``) and
leaves as it is, what the configured backend could not hold of it, and the write itself.

The write is a pull's (``sync/engine.py``): the same destination checks (no secrets through a
link out of the work tree, none into a file git tracks unless ``--allow-tracked``), the same
lossless edits (``EnvFile.set``: a key's value token rewritten in place, new keys appended in
the source's order, every other byte kept) and the same atomic write, refused if the file
changed since it was read, a new file created with mode 0600.  No record of the last sync is
written: the remote was not read, so nothing is known to agree; the push that follows the
review compares as any push does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from secretsync_hooks import text
from secretsync_hooks.config.settings import Config
from secretsync_hooks.errors import EnvFileError, RefusedError, RemoteError
from secretsync_hooks.imports.sources import Source
from secretsync_hooks.local.env_file import EnvFile
from secretsync_hooks.models import Action, Direction, KeyOp, SyncPlan
from secretsync_hooks.redact import Redactor
from secretsync_hooks.remote.backends import AwsSession, Backend, get_backend
from secretsync_hooks.remote.base import RemoteSnapshot, changes
from secretsync_hooks.sync.workspace import Workspace

# The configured remote is not read: what it could not hold is checked as for a new key.
_UNREAD = RemoteSnapshot(values={}, exists=False)


class Clash(RefusedError):
    """Keys the ``.env`` holds with other values, and no ``--force``: exit 1, nothing written."""

    def __init__(self, keys: tuple[str, ...], env_file: str) -> None:
        held = text.agree(len(keys), "holds", "hold")
        super().__init__(
            f"import would overwrite {text.keys(keys)} in {env_file}, which {held} another "
            "value; nothing was written"
        )
        self.keys = keys


class ImportPlan(NamedTuple):
    """What importing ``source`` does to the ``.env``; key names only in its lists."""

    source: Source
    workspace: Workspace  # the .env as read, and the configured backend (not read)
    added: tuple[str, ...]
    overwritten: tuple[str, ...]  # with --force: replaced (or, in a dry run, would be)
    needs_force: tuple[str, ...]  # without --force: another value in the .env, so refused
    unchanged: tuple[str, ...]
    cannot_move: tuple[str, ...]  # what the configured backend could not hold, in words
    dry_run: bool = False
    written: bool = False

    def __repr__(self) -> str:  # never the values
        return f"ImportPlan(source={self.source!r}, added={self.added!r})"

    @property
    def config(self) -> Config:
        return self.workspace.config

    @property
    def created(self) -> bool:
        """Whether the import creates the .env (it did not exist)."""
        return not self.workspace.local.existed

    @property
    def sync_plan(self) -> SyncPlan:
        """The edits, as a pull's plan: the source's order."""
        values = self.source.values
        ops = [KeyOp(key, Action.ADD, values[key]) for key in self.added]
        ops += [KeyOp(key, Action.UPDATE, values[key]) for key in self.overwritten]
        order = {key: index for index, key in enumerate(values)}
        return SyncPlan(Direction.PULL, tuple(sorted(ops, key=lambda op: order[op.key])))


def plan_import(
    config: Config, redactor: Redactor, source: Source, *, force: bool = False
) -> ImportPlan:
    """The merge of ``source`` into ``config``'s .env, read now; nothing is written."""
    local = EnvFile.load(config.env_file, missing_ok=True)
    redactor.register(local.values().values())
    held = local.values()
    added: list[str] = []
    overwritten: list[str] = []
    clashing: list[str] = []
    unchanged: list[str] = []
    for key, value in source.values.items():
        if key not in held:
            added.append(key)
        elif held[key] == value:
            unchanged.append(key)
        else:
            (overwritten if force else clashing).append(key)
    session = source.session or AwsSession(config.region, config.profile)
    backend = get_backend(config, session)  # never read: only asked what it could hold
    workspace = Workspace(config, local, backend, _UNREAD, session, 0.0)
    cannot_move = cannot_hold(config, backend, source.values, {**held, **source.values})
    workspace.note([*source.warnings, *cannot_move])
    return ImportPlan(
        source,
        workspace,
        tuple(added),
        tuple(overwritten),
        tuple(clashing),
        tuple(unchanged),
        tuple(cannot_move),
    )


def cannot_hold(
    config: Config, backend: Backend, imported: Mapping[str, str], after: Mapping[str, str]
) -> list[str]:
    """What a push after the import could not send to ``config``'s backend, found without
    asking AWS, each with what to do: Parameter Store's refusals of the imported keys (an
    empty value, a value over the tier's size, a name it rejects), or a secret grown past
    Secrets Manager's size.  Keys the contract keeps local are never pushed: not counted."""
    local = config.contract.is_local
    found = backend.cannot_hold({k: v for k, v in imported.items() if not local(k)}, _UNREAD)
    if found or backend.kind != "secrets_manager":
        return found
    shared = {key: value for key, value in after.items() if not local(key)}
    try:
        backend.validate(changes({}, shared, delete=False), _UNREAD)
    except RemoteError as exc:
        over = exc.message.split("; nothing was written")[0]
        return [f"{over} after this import: {exc.hint}" if exc.hint else over]
    return []


def check_dry_run(plan: ImportPlan, *, allow_tracked: bool = False) -> ImportPlan:
    """A dry run: what the write would be refused for, noted as a warning; nothing written."""
    from secretsync_hooks.sync.engine import check_destination

    if plan.sync_plan.ops:
        try:
            check_destination(plan.workspace, allow_tracked=allow_tracked)
        except EnvFileError as exc:
            plan.workspace.note([f"the import itself would be refused: {exc.message}"])
    return plan._replace(dry_run=True)


def write(plan: ImportPlan, *, allow_tracked: bool = False) -> ImportPlan:
    """Write the merge into the .env as a pull writes; refuse (exit 1, nothing written) if
    it needs --force."""
    from secretsync_hooks.sync import engine
    from secretsync_hooks.sync.differ import compare

    workspace = plan.workspace
    edits = plan.sync_plan
    if edits.ops or plan.needs_force:
        engine.check_destination(workspace, allow_tracked=allow_tracked)
    if plan.needs_force:
        raise Clash(plan.needs_force, str(plan.config.env_file))
    if not edits.ops:
        return plan
    outcome = engine.SyncOutcome(
        Direction.PULL,
        compare(workspace.local.values(), plan.source.values),
        edits,
        str(plan.config.env_file),
    )
    engine.apply(workspace, outcome)
    return plan._replace(written=True)
