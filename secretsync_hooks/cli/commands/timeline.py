"""``history`` and ``rollback``: the remote across time.  Neither touches the .env or the
record of the last sync (after a rollback, ``pull`` brings the .env along)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from secretsync_hooks import options, text
from secretsync_hooks.cli.context import FORMAT, TARGET, Options, command_options, short_help
from secretsync_hooks.errors import ExitCode, NeedsConsent, WriteConflict
from secretsync_hooks.render.phrases import command

if TYPE_CHECKING:
    from secretsync_hooks.remote.base import ApplyResult
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
    from secretsync_hooks.timeline.history import history as read_history

    config = opts.load_config()
    found = read_history(
        config, opts.redactor, limit, key, show_values=opts.show_values, deadline=opts.timeout
    )
    policy = opts.policy(config, keys=found.keys)
    if opts.json:
        from secretsync_hooks.render.documents import history_document

        opts.echo_document(history_document(config, key, found.revisions, policy))
    else:
        from secretsync_hooks.render.timeline import history_lines

        for line in history_lines(config, key, found.revisions, policy):
            click.echo(line)
    return int(ExitCode.OK)


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
        refusal.hint = (
            f"{command('rollback', ['--to', to, *opts.target_args(), '--force'])} does it; "
            f"{command('rollback', ['--to', to, *opts.target_args(), '--dry-run'])} shows "
            "the plan."
        )
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
    from secretsync_hooks.render.timeline import rollback_target

    if not opts.can_prompt:
        return False
    _render_rollback(opts, planned, dry_run=True)
    question = f"Roll back {planned.config.remote_name} to {rollback_target(planned)}?"
    return click.confirm(question, default=False, err=True)


def _render_rollback(
    opts: Options,
    planned: Planned,
    *,
    dry_run: bool,
    refused: bool = False,
    result: ApplyResult | None = None,
) -> None:
    if opts.json:
        from secretsync_hooks.render.documents import rollback_document

        opts.echo_document(
            rollback_document(planned, dry_run=dry_run, refused=refused, result=result)
        )
        return
    from secretsync_hooks.render.timeline import rollback_lines

    lines = rollback_lines(
        planned, dry_run=dry_run, quiet=opts.quiet, refused=refused, result=result
    )
    for line in lines:
        click.echo(line)


def register(group: click.Group) -> None:
    group.add_command(click.command("history", short_help=short_help(history))(history))
    group.add_command(click.command("rollback", short_help=short_help(rollback))(rollback))
