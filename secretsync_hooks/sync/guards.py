"""When a plan needs consent (--force, or a yes at the prompt), and the words that say why.

Two-way, any overwrite or delete at the destination, since nothing says which side is newer;
three-way, only conflicts and deletions of keys never synced; either way, a plan that changes
more than half of the destination's keys at once (a lost or replaced .env looks exactly like
that), and a push that would create the remote in another region than the config names.
"""

from __future__ import annotations

from typing import NamedTuple

from secretsync_hooks import text
from secretsync_hooks.models import Action, DiffState, Direction, SyncPlan
from secretsync_hooks.sync.differ import Comparison, is_mass, needs_force
from secretsync_hooks.sync.workspace import Workspace

# The kinds of reason a plan needs consent: each has its own next step (see phrases.py).
MASS = "mass"  # more than half of the destination's keys at once
ELSEWHERE = "elsewhere"  # creating the remote in another region than the config names
CONFLICT = "conflict"  # changed on both sides since the last sync
OVERWRITE = "overwrite"  # two-way: a value at the destination would be replaced
DELETE = "delete"  # --prune would delete keys at the destination


class Reason(NamedTuple):
    kind: str
    text: str  # in the core's words: what the plan would do
    keys: tuple[str, ...] = ()
    regions: tuple[str | None, str | None] = (None, None)  # ELSEWHERE: configured, in use
    # CONFLICT: the values changed or deleted in AWS since the last sync, which `push --force`
    # (AWS made to hold every value of the .env) would overwrite too.
    also: tuple[str, ...] = ()


def refusal(workspace: Workspace, comparison: Comparison, plan: SyncPlan) -> tuple[Reason, ...]:
    """Why ``plan`` needs consent; empty when it does not.  A change of most keys at once
    says so once: its overwrites and deletions are not listed again."""
    found = [creates_elsewhere(workspace, plan), _mass_change(workspace, plan)]
    reasons = tuple(reason for reason in found if reason)
    risky = _risky(workspace, comparison, plan)
    if any(reason.kind == MASS for reason in reasons):
        risky = tuple(reason for reason in risky if reason.kind == CONFLICT)
    return reasons + risky


def destination(workspace: Workspace, direction: Direction) -> str:
    """What ``direction`` writes to, for people."""
    if direction is Direction.PUSH:
        return workspace.remote_name
    return str(workspace.config.env_file)


def _mass_change(workspace: Workspace, plan: SyncPlan) -> Reason | None:
    pushing = plan.direction is Direction.PUSH
    total = len(workspace.remote_values()) if pushing else len(workspace.local_values())
    counts = {"overwrite": len(plan.of(Action.UPDATE)), "delete": len(plan.of(Action.DELETE))}
    if not is_mass(sum(counts.values()), total):
        return None
    done = " and ".join(f"{verb} {count}" for verb, count in counts.items() if count)
    where = destination(workspace, plan.direction)
    said = f"{plan.direction.value} would {done} of the {total} keys in {where} at once"
    return Reason(MASS, said)


def _risky(workspace: Workspace, comparison: Comparison, plan: SyncPlan) -> tuple[Reason, ...]:
    risky = needs_force(comparison, plan)
    if not risky:
        return ()
    in_conflict = {e.key for e in comparison.entries if e.state is DiffState.CONFLICT}
    conflicts = tuple(op.key for op in risky if op.key in in_conflict)
    reasons = []
    if conflicts:
        changed_in_aws = (DiffState.REMOTE_MODIFIED, DiffState.REMOTE_DELETED)
        also = tuple(e.key for e in comparison.entries if e.state in changed_in_aws)
        reasons.append(
            Reason(
                CONFLICT,
                f"conflict: {text.keys(conflicts)} changed on both sides since the last sync",
                conflicts,
                also=also,
            )
        )
    where = destination(workspace, plan.direction)
    for action, verb, noun, kind in (
        (Action.UPDATE, "overwrite", "value", OVERWRITE),
        (Action.DELETE, "delete", "key", DELETE),
    ):
        keys = tuple(op.key for op in risky if op.action is action and op.key not in in_conflict)
        if keys:
            said = f"{verb} {text.count(len(keys), noun)} ({text.keys(keys)})"
            reasons.append(Reason(kind, f"{plan.direction.value} would {said} in {where}", keys))
    return tuple(reasons)


def creates_elsewhere(workspace: Workspace, plan: SyncPlan, verb: str = "push") -> Reason | None:
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
    return Reason(
        ELSEWHERE,
        f"{verb} would create {workspace.remote_name} in {config.region} (from "
        f"{config.source('region')}), but the config puts it in {config.configured_region}",
        regions=(config.configured_region, config.region),
    )
