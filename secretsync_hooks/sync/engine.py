"""The sync core: one entry per use case, shared by the CLI and the hooks.

- :func:`check`: read both sides, compare, and record agreement (``diff``, ``status``, hooks);
- :func:`prepare`, :func:`require_consent`, :func:`apply`: a push or a pull.

Fronts (``cli``, ``hooks``) only parse options, call these functions and render what they
return; none of them computes a difference or decides what to write.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NamedTuple

from secretsync_hooks import interrupts, text
from secretsync_hooks.config.contract import Violation
from secretsync_hooks.config.settings import Config
from secretsync_hooks.errors import (
    ContractBroken,
    Declined,
    EnvFileError,
    NeedsConsent,
    NothingToPull,
    PartialApplyError,
    TagsNotApplied,
    WriteConflict,
)
from secretsync_hooks.local.env_file import quoting_warnings
from secretsync_hooks.local.fs import as_written, leads_outside
from secretsync_hooks.models import Action, Direction, SyncPlan
from secretsync_hooks.redact import Redactor
from secretsync_hooks.remote.base import ApplyResult, Progress
from secretsync_hooks.sync.differ import Comparison, plan_pull, plan_push
from secretsync_hooks.sync.guards import Reason
from secretsync_hooks.sync.last_sync import work_tree
from secretsync_hooks.sync.workspace import Workspace, open_workspace, record, remember_untagged

log = logging.getLogger("secretsync")

# confirm(question) -> bool: asks the user; None where nobody can answer (no TTY, a hook, CI).
Confirm = Callable[[str], bool]


def check(
    config: Config, redactor: Redactor, *, keys_only: bool = False, deadline: float | None = None
) -> tuple[Workspace, Comparison]:
    """Both sides read and compared; a comparison of values in agreement is recorded as the
    last sync (key names alone are not agreement)."""
    workspace = open_workspace(config, redactor, deadline=deadline, keys_only=keys_only)
    comparison = workspace.compare(keys_only=keys_only)
    if comparison.in_sync and not comparison.keys_only:
        values = workspace.local.values()
        with interrupts.critical():
            record(workspace, values, dict(workspace.snapshot.values), None)
    return workspace, comparison


class SyncOutcome(NamedTuple):
    """What a push or pull plans, and then did."""

    direction: Direction
    comparison: Comparison
    plan: SyncPlan
    destination: str  # what the plan writes to, for people
    dry_run: bool = False
    result: ApplyResult | None = None
    # Keys that only --prune would remove at the destination (deleted locally, for a push).
    held_back: tuple[str, ...] = ()
    # Why the plan needs consent (--force, or a yes at the prompt); empty when it does not.
    reasons: tuple[Reason, ...] = ()
    # Keys an earlier push wrote but could not tag: this push adds their tags.
    retag: tuple[str, ...] = ()
    tagged: tuple[str, ...] = ()  # the keys it tagged

    @property
    def version(self) -> str | None:
        return self.result.version if self.result else None

    @property
    def refusal(self) -> str | None:
        """Why the plan needs consent, in words; None when it does not."""
        return "; ".join(reason.text for reason in self.reasons) or None


def prepare(
    workspace: Workspace, direction: Direction, *, prune: bool = False, force: bool = False
) -> SyncOutcome:
    """The plan of a push or pull, checked against what AWS would accept, and whether it
    needs consent; nothing is written."""
    from secretsync_hooks.sync.guards import destination, refusal

    comparison = workspace.compare()
    if direction is Direction.PUSH:
        planned = plan_push(comparison, prune=prune, force=force)
        _hold_to_contract(workspace, planned)
        workspace.backend.validate(planned, workspace.snapshot)
        workspace.note(workspace.backend.warnings)
    else:
        if not workspace.snapshot.exists:
            raise NothingToPull(f"{workspace.remote_name} does not exist yet; nothing to pull")
        planned = plan_pull(comparison, prune=prune)
        workspace.note(
            [
                f"AWS holds a value that breaks the key contract: {violation}"
                for violation in broken_by(workspace.config, planned, workspace.local_values())
            ]
        )
    log.debug(
        "%s plan: %s", direction.value, text.keys(f"{o.action.value} {o.key}" for o in planned.ops)
    )
    held_back: tuple[str, ...] = ()
    if not prune:
        planner = plan_push if direction is Direction.PUSH else plan_pull
        planned_keys = {op.key for op in planned.ops}
        held_back = tuple(
            op.key
            for op in planner(comparison, prune=True).of(Action.DELETE)
            if op.key not in planned_keys
        )
    retag: tuple[str, ...] = ()
    if direction is Direction.PUSH and workspace.records is not None:
        retag = tuple(k for k in workspace.records.untagged() if k in workspace.snapshot.values)
    return SyncOutcome(
        direction,
        comparison,
        planned,
        destination(workspace, direction),
        held_back=held_back,
        reasons=refusal(workspace, comparison, planned),
        retag=retag,
    )


def broken_by(config: Config, plan: SyncPlan, before: Mapping[str, str]) -> list[Violation]:
    """What the keys ``plan`` writes or deletes would break of ``config``'s key contract,
    applied to the side that holds ``before``."""
    touched = [op.key for op in plan.ops]
    remote = plan.direction is Direction.PUSH
    return config.contract.check(plan.applied_to(before), keys=touched, remote=remote)


def _hold_to_contract(workspace: Workspace, plan: SyncPlan) -> None:
    """Refuse (exit 1, nothing written, even with --force) a push of values that break the
    key contract, or of the deletion of a required key."""
    violations = broken_by(workspace.config, plan, workspace.remote_values())
    if violations:
        raise ContractBroken(
            f"push would publish to {workspace.remote_name} values",
            violations,
            hint=f"Fix them in {workspace.config.env_file.name} (`secretsync check` lists every "
            f"rule), or the rule in {workspace.config.path.name}; --force does not override "
            "the contract.",
        )


def require_consent(outcome: SyncOutcome, *, force: bool, confirm: Confirm | None) -> None:
    """Refuse (exit 1, nothing changed) what needs consent, unless forced or confirmed."""
    what = outcome.refusal
    if force or what is None:
        return
    keep = "your values" if outcome.direction is Direction.PUSH else "the values in AWS"
    question = f"{what}. {outcome.direction.value.capitalize()} anyway, keeping {keep}?"
    if confirm is None:
        raise NeedsConsent(what, outcome.direction.value, outcome.reasons)
    if not confirm(question):
        raise Declined


def apply(
    workspace: Workspace, outcome: SyncOutcome, *, progress: Progress | None = None
) -> SyncOutcome:
    """Carry out ``outcome.plan``; return the outcome with what was done.

    Once the write is done, an interrupt no longer changes the answer: recording the last
    sync and reporting go on, since the change has been made.
    """
    done = False
    tagged: tuple[str, ...] = ()
    try:
        if outcome.direction is Direction.PUSH:
            result, tagged = _push(workspace, outcome, progress)
            remote_after = outcome.plan.applied_to(workspace.snapshot.values)
        else:
            result = _write_local(workspace, outcome.plan)
            remote_after = dict(workspace.snapshot.values)
        done = True
        with interrupts.critical(deliver=False):
            record(workspace, workspace.local.values(), remote_after, result)
    except KeyboardInterrupt:
        if not done:
            raise
    return outcome._replace(dry_run=False, result=result, tagged=tagged)


def _push(
    workspace: Workspace, outcome: SyncOutcome, progress: Progress | None
) -> tuple[ApplyResult, tuple[str, ...]]:
    """Write the plan, then add the tags an earlier write could not; what was written and
    the keys tagged.  Keys written without their tags are noted for the next push (values
    written are recorded as agreed first) before the error goes on to the user."""
    backend = workspace.backend
    config = workspace.config
    planned = {op.key for op in outcome.plan.ops}
    retag = tuple(key for key in outcome.retag if key not in planned)
    try:
        try:
            result = backend.apply(outcome.plan, workspace.snapshot, progress)
        except (TagsNotApplied, PartialApplyError, WriteConflict) as exc:
            untagged = (*exc.untagged, *retag)  # the earlier ones were not attempted
            if untagged:
                remember_untagged(config, untagged)
            if isinstance(exc, TagsNotApplied):
                _record_written(workspace, outcome, exc)
            raise
        try:
            tagged = backend.apply_tags(retag)
        except TagsNotApplied as exc:
            remember_untagged(config, exc.untagged, replace=True)
            exc.result = result
            _record_written(workspace, outcome, exc)
            raise
        if outcome.retag:
            remember_untagged(config, (), replace=True)
        return result, tagged
    finally:
        # What the backend learnt while writing (rotation enabled, a label it could not
        # remove) is reported whatever the outcome.
        workspace.note(backend.warnings)


def _record_written(workspace: Workspace, outcome: SyncOutcome, exc: TagsNotApplied) -> None:
    """The values of a write whose tags failed are in place: record them as agreed."""
    written = exc.result if isinstance(exc.result, ApplyResult) else ApplyResult()
    with interrupts.critical(deliver=False):
        remote_after = outcome.plan.applied_to(workspace.snapshot.values)
        record(workspace, workspace.local.values(), remote_after, written)


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
        elif not local.set(op.key, str(op.value)):
            active.append(op.key)
    workspace.note(quoting_warnings(plan.sets.items(), active))
    local.write(path)
    return ApplyResult(applied=plan.ops, version=workspace.snapshot.version_label)


def check_destination(workspace: Workspace, *, allow_tracked: bool = False) -> None:
    """Refuse, before anything is asked or written, a pull into a place secrets must not go:
    through a link (of the file or of a folder on its way) out of the work tree, or into a
    file git tracks (the next ``git commit -a`` would publish them), unless ``allow_tracked``."""
    path = workspace.config.env_file
    _check_writable(workspace, path, warn=False)
    from secretsync_hooks.local.exposure import committable, tracked

    if allow_tracked:
        return

    known = tracked(path)
    if known is None:
        raise EnvFileError(
            f"git cannot tell whether {path} is tracked (it refuses the repository, as it does "
            "one another user owns, or it cannot run); nothing was written",
            hint="Run `git status` to see why, or pass --allow-tracked if that file may hold "
            "secrets.",
        )
    if not known and committable(path):
        workspace.note(
            [
                f"{path} is in a git work tree and not ignored: `git add` would commit the "
                "secrets written into it; add it to .gitignore"
            ]
        )
    if known:
        real = Path(os.path.realpath(path))
        which = f" (a symbolic link to {real})" if real != as_written(path) else ""
        raise EnvFileError(
            f"{path}{which} is tracked by git: secrets written into it would go into the next "
            "commit; nothing was written",
            hint=f"Stop tracking it (`git rm --cached {text.shown(path.name)}`, then add it to "
            ".gitignore), or pass --allow-tracked if that file is meant to hold them.",
        )


def _check_writable(workspace: Workspace, path: Path, *, warn: bool = True) -> None:
    """Refuse to write secrets through a link (of the file, or of any folder on its way)
    leading out of the work tree; warn once when the file is readable by others."""
    if path.is_dir():
        raise EnvFileError(f"{path}: is a directory, not a .env file")
    tree = work_tree(workspace.config)
    real = Path(os.path.realpath(path))
    if leads_outside(path, tree) is not None or (
        path.is_symlink() and not real.is_relative_to(tree)
    ):
        raise EnvFileError(
            f"{path} leads through a symbolic link to {real}, outside the work tree {tree}; "
            "secretsync does not write secrets through it",
            hint="Name the real path with --env-file if that file is meant to hold them.",
        )
    if not warn:
        return
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return  # a new file: created with mode 0600
    if mode & 0o077:
        workspace.note(
            [
                f"{path} is readable by other users (mode {mode:04o}); `chmod 600 {path}` "
                "keeps the secrets written into it to you"
            ]
        )
