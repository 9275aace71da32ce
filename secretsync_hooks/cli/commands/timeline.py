"""``history`` and ``rollback``: the remote across time.  Neither touches the .env or the
record of the last sync (after a rollback, ``pull`` brings the .env along)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from secretsync_hooks import options, text
from secretsync_hooks.cli.context import FORMAT, TARGET, Options, command_options, short_help
from secretsync_hooks.errors import ExitCode, NeedsConsent, WriteConflict

if TYPE_CHECKING:
    from secretsync_hooks.config.settings import Config
    from secretsync_hooks.masking import ValuePolicy
    from secretsync_hooks.remote.base import ApplyResult, Revision
    from secretsync_hooks.timeline.rollback import Planned


SHOW_VALUES = options.SHOW_VALUES._replace(help="Show the values each version set.")


@command_options(*TARGET, FORMAT, SHOW_VALUES, options.TIMEOUT, options.DEBUG)
@click.option(
    "--limit",
    type=click.IntRange(1, 100),
    default=10,
    show_default=True,
    help="Versions to show (Secrets Manager: each costs one value read).",
)
@click.argument("key", required=False)
def history(opts: Options, limit: int, key: str | None) -> int:
    """What changed in the remote, version by version, newest first (values masked).

    Secrets Manager: each version with its labels and the keys it added, changed and
    removed (KEY: only versions that touched it). Parameter Store: each parameter's last
    change, who made it and when; with KEY, that parameter's versions.
    """
    from secretsync_hooks.remote.aws import deadline_for
    from secretsync_hooks.remote.backends import AwsSession, get_backend

    config = opts.load_config()
    session = AwsSession(config.region, config.profile)
    backend = get_backend(config, session)
    policy = opts.policy(config)
    decrypt = bool(opts.show_values) or bool(config.plain_keys)
    with session.deadline(opts.timeout or deadline_for()):
        revisions = backend.history(limit, key, decrypt=decrypt)
        for revision in revisions:
            opts.redactor.register(revision.values.values())
        if policy.plain_keys and any(revision.values for revision in revisions):
            # Which keys plain_keys would show is judged against every key of the remote,
            # not only those the versions shown happen to touch.
            current = backend.read().values
            opts.redactor.register(current.values())
            opts.policy(config, keys=current)
    if opts.json:
        click.echo(json.dumps(_history_document(config, key, revisions, policy), indent=2))
    else:
        _render_history(config, key, revisions, policy)
    return int(ExitCode.OK)


def _history_document(
    config: Config, key: str | None, revisions: list[Revision], policy: ValuePolicy
) -> dict[str, Any]:
    from secretsync_hooks.render.documents import SCHEMA

    def entry(revision: Revision) -> dict[str, Any]:
        out: dict[str, Any] = {
            "version": revision.version,
            "created": revision.created.isoformat() if revision.created else None,
            "labels": list(revision.labels),
            "who": revision.who,
            "key": revision.key,
            "known": revision.known,
            "unreadable": revision.unreadable,
            "against": revision.against,
            "added": list(revision.added),
            "changed": list(revision.changed),
            "removed": list(revision.removed),
        }
        shown = {k: v for k, v in revision.values.items() if policy.visible(k, v)}
        if shown:
            out["values"] = shown
        return out

    return {
        "schema": SCHEMA,
        "command": "history",
        "environment": config.environment,
        "backend": config.backend,
        "target": config.target,
        "region": config.region,
        "key": key,
        "revisions": [entry(r) for r in revisions],
    }


def _render_history(
    config: Config, key: str | None, revisions: list[Revision], policy: ValuePolicy
) -> None:
    where = f"{config.remote_name} ({config.region})"
    per_key = config.backend == "parameter_store" and key is None
    title = "Last change of each parameter under" if per_key else "History of"
    click.echo(f"{title} {where}{f', key {text.shown(key)}' if key else ''}, newest first:")
    # Parameter Store records who made each version (LastModifiedUser); Secrets Manager
    # does not (CloudTrail does).
    who = config.backend == "parameter_store"
    rows = [_history_row(r, per_key, who=who) for r in revisions]
    header: tuple[str, ...] = ("KEY", "VERSION", "CHANGED", "BY")
    if not per_key:
        header = ("VERSION", "CREATED", *(("BY",) if who else ()), "LABELS", "CHANGES")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo(
            "  "
            + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    for revision in revisions:
        for name, value in revision.values.items():
            if policy.visible(name, value):
                click.echo(f"    {revision.version[:8]} {text.shown(name)} = {text.clean(value)}")
    if not revisions:
        click.echo("  (none)")


def _history_row(revision: Revision, per_key: bool, *, who: bool = False) -> tuple[str, ...]:
    when = revision.created.strftime("%Y-%m-%d %H:%M:%S") if revision.created else "-"
    if per_key:
        return (
            text.shown(revision.key or ""),
            revision.version,
            when,
            text.shown(revision.who or "-"),
        )
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
    by = (text.shown(revision.who or "-"),) if who else ()
    return (revision.version[:8], when, *by, ",".join(revision.labels) or "-", changes)


@command_options(*TARGET, FORMAT, options.TIMEOUT, options.DEBUG)
@click.option(
    "--to",
    "to",
    required=True,
    metavar="VERSION|TIME",
    help="Secrets Manager: a version id (or its first 8 characters, as history shows it) or a "
    "staging label such as AWSPREVIOUS. Parameter Store: a point in time, e.g. "
    "2026-11-27T14:00Z.",
)
@click.option(
    "--prune",
    is_flag=True,
    help="Parameter Store: also delete the keys created after that time.",
)
@click.option("--dry-run", is_flag=True, help="Show the plan; change nothing.")
@click.option("--force", is_flag=True, help="Do it without asking.")
def rollback(opts: Options, to: str, prune: bool, dry_run: bool, force: bool) -> int:
    """Put the remote back as it was at an earlier version or time.

    Secrets Manager: writes a new version whose content equals the chosen one (AWSCURRENT
    never moves backwards; the history keeps every step). Parameter Store: puts back the
    value every key had at that time, each write checked against the version read; keys
    created since are deleted only with --prune, and keys deleted since cannot be restored
    (AWS keeps no history of them). Needs --force or a yes at the prompt. The .env is not
    touched: `secretsync pull` brings it along.
    """
    from secretsync_hooks.timeline import rollback as core

    planned = core.plan(opts.load_config(), opts.redactor, to, prune=prune, deadline=opts.timeout)
    warned: set[str] = set()
    _warn(planned, warned)
    if dry_run or planned.rollback.plan.is_empty:
        _render_rollback(opts, planned, dry_run=dry_run)
        return int(ExitCode.OK)
    if not force and not _confirm_rollback(opts, planned):
        _render_rollback(opts, planned, dry_run=True, refused=True)
        refusal = NeedsConsent(
            f"rolling back {planned.config.remote_name} changes "
            f"{text.count(len(planned.rollback.plan.ops), 'key')}",
            "rollback",
        )
        refusal.hint = "--force does it; --dry-run shows the plan."
        raise refusal
    from secretsync_hooks.render.output import progress_bar

    ops = len(planned.rollback.plan.ops)
    paced = ops if planned.backend.writes_per_key and not (opts.json or opts.quiet) else 0
    try:
        with progress_bar(opts.output(), paced, f"rolling back {ops} keys") as progress:
            result = core.apply(planned, progress)
    except WriteConflict as exc:
        exc.hint = "Someone changed them meanwhile; run the rollback again to see the new plan."
        raise
    finally:
        _warn(planned, warned)
    _render_rollback(opts, planned, dry_run=False, result=result)
    return int(ExitCode.OK)


def _warn(planned: Planned, shown: set[str]) -> None:
    """What the backend found reading or writing (rotation enabled, ...), each once."""
    for warning in [*planned.snapshot.warnings, *planned.backend.warnings]:
        if warning not in shown:
            shown.add(warning)
            click.echo(text.clean(f"secretsync: warning: {warning}"), err=True)


def _confirm_rollback(opts: Options, planned: Planned) -> bool:
    if not opts.can_prompt:
        return False
    _render_rollback(opts, planned, dry_run=True)
    question = f"Roll back {planned.config.remote_name} to {_target(planned)}?"
    return click.confirm(question, default=False, err=True)


def _target(planned: Planned) -> str:
    rollback = planned.rollback
    if planned.config.backend == "parameter_store":
        return f"the state at {rollback.to}"
    created = rollback.created.strftime("%Y-%m-%d %H:%M:%S") if rollback.created else None
    return f"version {rollback.to}" + (f" (created {created})" if created else "")


def _render_rollback(
    opts: Options,
    planned: Planned,
    *,
    dry_run: bool,
    refused: bool = False,
    result: ApplyResult | None = None,
) -> None:
    if opts.json:
        document = _rollback_document(planned, dry_run=dry_run, refused=refused, result=result)
        click.echo(json.dumps(document, indent=2))
        return
    config, plan = planned.config, planned.rollback.plan
    where = f"{config.remote_name} ({config.region})"
    if plan.is_empty:
        click.echo(f"Nothing to roll back: {where} already holds {_target(planned)}.")
    elif not opts.quiet or dry_run:
        click.echo(
            f"{'Would roll back' if dry_run else 'Rolled back'} {where} to {_target(planned)}:"
        )
        for verb, keys in _changes(planned).items():
            for key in keys:
                click.echo(f"  {verb.ljust(8)} {text.shown(key)}")
    for line in _notes(planned):
        click.echo(line)
    if result is not None and result.version:
        click.echo(f"Remote version now {result.version}.")
    if result is not None and not plan.is_empty:
        click.echo("The .env was not changed: `secretsync pull` brings it along.")
    elif dry_run and not plan.is_empty and not refused:
        click.echo("Dry run: nothing was changed.")


def _changes(planned: Planned) -> dict[str, list[str]]:
    """The keys the rollback adds, restores and deletes, in plan order."""
    from secretsync_hooks.models import Action

    plan = planned.rollback.plan
    return {
        verb: [op.key for op in plan.of(action)]
        for verb, action in (
            ("add", Action.ADD),
            ("restore", Action.UPDATE),
            ("delete", Action.DELETE),
        )
    }


def _rollback_document(
    planned: Planned, *, dry_run: bool, refused: bool, result: ApplyResult | None
) -> dict[str, Any]:
    from secretsync_hooks.render.documents import SCHEMA

    config, rollback = planned.config, planned.rollback
    changes = _changes(planned)
    return {
        "schema": SCHEMA,
        "command": "rollback",
        "environment": config.environment,
        "backend": config.backend,
        "target": config.target,
        "region": config.region,
        "to": rollback.to,
        "created": rollback.created.isoformat() if rollback.created else None,
        "dry_run": dry_run,
        "refused": refused,
        "applied": result is not None and bool(result.applied),
        "added": changes["add"],
        "restored": changes["restore"],
        "deleted": changes["delete"],
        "kept": list(rollback.kept),
        "lost": list(rollback.lost),
        "not_restorable": list(planned.gone),
        "version": result.version if result else None,
    }


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
        lines.append(
            f"Not in {planned.config.remote_name} now: {text.keys(planned.gone)} (named by your "
            f".env or the record of the last sync). If {'it was' if one else 'they were'} "
            f"deleted after {rollback.to}, AWS kept no history of {'it' if one else 'them'} "
            f"and a rollback cannot restore {'it' if one else 'them'}; the "
            f"value{'' if one else 's'} may still be in your .env."
        )
    return lines


def register(group: click.Group) -> None:
    group.add_command(click.command("history", short_help=short_help(history))(history))
    group.add_command(click.command("rollback", short_help=short_help(rollback))(rollback))
