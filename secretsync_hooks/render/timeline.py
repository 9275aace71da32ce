"""``history`` and ``rollback`` for people: a table of versions (or of each parameter's last
change), and a rollback's plan and outcome, key names only unless values may be shown."""

from __future__ import annotations

from collections.abc import Callable

from secretsync_hooks import text
from secretsync_hooks.config.settings import Config
from secretsync_hooks.masking import ValuePolicy
from secretsync_hooks.models import Action
from secretsync_hooks.remote.base import ApplyResult, Revision
from secretsync_hooks.timeline.rollback import Planned

Echo = Callable[[str], None]


def history_lines(
    config: Config, key: str | None, revisions: list[Revision], policy: ValuePolicy
) -> list[str]:
    where = f"{config.remote_name} ({config.region})"
    per_key = config.backend == "parameter_store" and key is None
    title = "Last change of each parameter under" if per_key else "History of"
    lines = [f"{title} {where}{f', key {text.shown(key)}' if key else ''}, newest first:"]
    # Parameter Store records who made each version (LastModifiedUser); Secrets Manager
    # does not (CloudTrail does).
    who = config.backend == "parameter_store"
    rows = [_history_row(r, per_key, who=who) for r in revisions]
    header: tuple[str, ...] = ("KEY", "VERSION", "CHANGED", "BY")
    if not per_key:
        header = ("VERSION", "CREATED", *(("BY",) if who else ()), "LABELS", "CHANGES")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        lines.append("  " + "  ".join(cells).rstrip())
    for revision in revisions:
        for name, value in revision.values.items():
            if policy.visible(name, value):
                lines.append(f"    {revision.version[:8]} {text.shown(name)} = {text.clean(value)}")
    if not revisions:
        lines.append("  (none)")
    return lines


def _history_row(revision: Revision, per_key: bool, *, who: bool = False) -> tuple[str, ...]:
    when = revision.created.strftime("%Y-%m-%d %H:%M:%S") if revision.created else "-"
    if per_key:
        by = text.shown(revision.who or "-")
        return (text.shown(revision.key or ""), revision.version, when, by)
    parts = [
        f"{verb} {text.keys(names)}"
        for verb, names in (
            ("added", revision.added),
            ("changed", revision.changed),
            ("removed", revision.removed),
        )
        if names
    ]
    if revision.unreadable:
        changes = f"({revision.unreadable})"
    elif not revision.known:
        changes = (
            "(what it changed is not known: the version before it was not read, see "
            "--limit, or AWS no longer keeps it)"
        )
    else:
        changes = "; ".join(parts) or "no key changed"
        if revision.against:
            changes += f" (against {revision.against[:8]}: the versions between cannot be read)"
    by_column = (text.shown(revision.who or "-"),) if who else ()
    return (revision.version[:8], when, *by_column, ",".join(revision.labels) or "-", changes)


def rollback_target(planned: Planned) -> str:
    """What a rollback restores, for people: a version (and when it was made) or a time."""
    rollback = planned.rollback
    if planned.config.backend == "parameter_store":
        return f"the state at {rollback.to}"
    created = rollback.created.strftime("%Y-%m-%d %H:%M:%S") if rollback.created else None
    return f"version {rollback.to}" + (f" (created {created})" if created else "")


def rollback_changes(planned: Planned) -> dict[str, list[str]]:
    """The keys the rollback adds, restores and deletes, in plan order."""
    plan = planned.rollback.plan
    return {
        verb: [op.key for op in plan.of(action)]
        for verb, action in (
            ("add", Action.ADD),
            ("restore", Action.UPDATE),
            ("delete", Action.DELETE),
        )
    }


def rollback_lines(
    planned: Planned,
    *,
    dry_run: bool,
    quiet: bool = False,
    refused: bool = False,
    result: ApplyResult | None = None,
) -> list[str]:
    config, plan = planned.config, planned.rollback.plan
    where = f"{config.remote_name} ({config.region})"
    lines = []
    if plan.is_empty:
        lines.append(f"Nothing to roll back: {where} already holds {rollback_target(planned)}.")
    elif not quiet or dry_run:
        done = "Would roll back" if dry_run else "Rolled back"
        lines.append(f"{done} {where} to {rollback_target(planned)}:")
        for verb, keys in rollback_changes(planned).items():
            lines += [f"  {verb.ljust(8)} {text.shown(key)}" for key in keys]
    lines += _notes(planned)
    if result is not None and result.version:
        lines.append(f"Remote version now {result.version}.")
    if result is not None and not plan.is_empty:
        lines.append("The .env was not changed: `secretsync pull` brings it along.")
    elif dry_run and not plan.is_empty and not refused:
        lines.append("Dry run: nothing was changed.")
    return lines


def _notes(planned: Planned) -> list[str]:
    """What the rollback leaves as it is, and why."""
    rollback, lines = planned.rollback, []
    if rollback.kept:
        lines.append(
            f"Kept: {text.keys(rollback.kept)} (created after {rollback.to}, or deleted and "
            "created again since, which leaves no earlier history); --prune deletes them."
        )
    if rollback.lost:
        lines.append(
            f"Not restored: {text.keys(rollback.lost)} changed more than 100 times since "
            f"{rollback.to}, and AWS keeps only a parameter's last 100 versions."
        )
    if planned.gone:
        one = len(planned.gone) == 1
        it, them = ("it", "it") if one else ("they", "them")
        lines.append(
            f"Not in {planned.config.remote_name} now: {text.keys(planned.gone)} (named by your "
            f".env or the record of the last sync). If {it} {'was' if one else 'were'} "
            f"deleted after {rollback.to}, AWS kept no history of {them} and a rollback "
            f"cannot restore {them}; the value{'' if one else 's'} may still be in your .env."
        )
    return lines
