"""``diff``, ``status``, ``push`` and ``pull``: compare, then bring one side to the other."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from secretsync_hooks import options
from secretsync_hooks.cli.context import (
    DISPLAY,
    FORMAT,
    TARGET,
    Options,
    command_options,
    short_help,
)
from secretsync_hooks.errors import EnvFileError, ExitCode, RefusedError

if TYPE_CHECKING:
    from secretsync_hooks.models import Direction
    from secretsync_hooks.render.output import Output
    from secretsync_hooks.sync.differ import Comparison
    from secretsync_hooks.sync.engine import SyncOutcome
    from secretsync_hooks.sync.workspace import Workspace

READING = (*TARGET, FORMAT, *DISPLAY, options.TIMEOUT, options.DEBUG)


def _compared(opts: Options, keys_only: bool) -> tuple[Workspace, Comparison]:
    from secretsync_hooks.sync.engine import check

    return check(opts.load_config(), opts.redactor, keys_only=keys_only, deadline=opts.timeout)


def _exit(comparison: Comparison) -> int:
    return int(ExitCode.OK if comparison.in_sync else ExitCode.DRIFT)


@command_options(*READING, options.KEYS_ONLY)
def diff(opts: Options) -> int:
    """Show how the .env differs from AWS. Exit 0 in sync, 1 drift, 2 error."""
    workspace, comparison = _compared(opts, bool(opts.keys_only))
    keys_only = bool(opts.keys_only)
    output = opts.output()
    policy = opts.policy(workspace.config, keys_only=keys_only, keys=workspace.keys())
    if opts.json:
        from secretsync_hooks.render import documents
        from secretsync_hooks.render.terminal import render_warnings

        render_warnings(output, workspace.warnings)
        click.echo(
            documents.dumps(documents.comparison_document(workspace, "diff", comparison, policy))
        )
    else:
        from secretsync_hooks.render.terminal import render_comparison

        render_comparison(
            output,
            workspace,
            comparison,
            policy,
            verbose=bool(opts.verbose),
            quiet=bool(opts.quiet),
            args=opts.target_args(),
        )
    return _exit(comparison)


@command_options(*READING, options.KEYS_ONLY)
def status(opts: Options) -> int:
    """Where the settings come from, the remote's version, counts per state."""
    workspace, comparison = _compared(opts, bool(opts.keys_only))
    ignored = workspace.ignored()
    output = opts.output()
    if opts.json:
        from secretsync_hooks.render import documents
        from secretsync_hooks.render.terminal import render_warnings

        render_warnings(output, workspace.warnings)
        # (the table shows no value; the JSON document does, for plain_keys)
        policy = opts.policy(
            workspace.config, keys_only=bool(opts.keys_only), keys=workspace.keys()
        )
        click.echo(
            documents.dumps(documents.status_document(workspace, comparison, policy, ignored))
        )
    else:
        from secretsync_hooks.render.terminal import render_status

        render_status(
            output, workspace, comparison, ignored, quiet=bool(opts.quiet), args=opts.target_args()
        )
    return _exit(comparison)


_DRY_RUN = click.option("--dry-run", is_flag=True, help="Show the plan; change nothing.")
_FORCE = click.option(
    "--force",
    is_flag=True,
    help="Do it without asking, even what needs consent: overwrites, deletions, conflicts, "
    "more than half of the keys at once.",
)


@command_options(*READING)
@_DRY_RUN
@_FORCE
@click.option("--prune", is_flag=True, help="Also delete remote keys that the .env lacks.")
def push(opts: Options, dry_run: bool, force: bool, prune: bool) -> int:
    """Upload local changes to AWS (needs consent to overwrite or delete).

    Adding keys needs nothing; overwriting or (with --prune) deleting remote values needs
    --force or a yes at the prompt, as does changing more than half of the keys at once.
    """
    from secretsync_hooks.models import Direction

    return _sync(opts, Direction.PUSH, dry_run=dry_run, force=force, prune=prune)


@command_options(*READING)
@_DRY_RUN
@_FORCE
@click.option("--prune", is_flag=True, help="Also drop local keys that AWS lacks.")
@click.option(
    "--allow-tracked",
    is_flag=True,
    help="Write into the .env even though git tracks it (refused otherwise: the next commit "
    "would publish the secrets).",
)
def pull(opts: Options, dry_run: bool, force: bool, prune: bool, allow_tracked: bool) -> int:
    """Write remote changes into the .env, leaving the rest of it as it is.

    Local-only keys stay. Overwriting or (with --prune) dropping local values needs --force
    or a yes at the prompt. A missing .env is created with mode 0600. A .env that git tracks
    is refused unless --allow-tracked.
    """
    from secretsync_hooks.models import Direction

    return _sync(
        opts,
        Direction.PULL,
        dry_run=dry_run,
        force=force,
        prune=prune,
        allow_tracked=allow_tracked,
    )


def _sync(
    opts: Options,
    direction: Direction,
    *,
    dry_run: bool,
    force: bool,
    prune: bool,
    allow_tracked: bool = False,
) -> int:
    from secretsync_hooks.models import Direction
    from secretsync_hooks.render.output import progress_bar
    from secretsync_hooks.sync import engine
    from secretsync_hooks.sync.workspace import open_workspace

    config = opts.load_config()
    workspace = open_workspace(
        config,
        opts.redactor,
        require_local=direction is Direction.PUSH,
        deadline=opts.timeout,
    )
    outcome = engine.prepare(workspace, direction, prune=prune, force=force)
    render = _renderer(opts, workspace, dry_run=dry_run)
    if dry_run:
        if direction is Direction.PULL and not outcome.plan.is_empty:
            try:
                engine.check_destination(workspace, allow_tracked=allow_tracked)
            except EnvFileError as exc:
                workspace.note([f"the pull itself would be refused: {exc.message}"])
        render(outcome._replace(dry_run=True, reasons=() if force else outcome.reasons), False)
        return int(ExitCode.OK)
    if direction is Direction.PULL and not outcome.plan.is_empty:
        engine.check_destination(workspace, allow_tracked=allow_tracked)
    try:
        engine.require_consent(outcome, force=force, confirm=_prompt(opts, workspace, outcome))
    except RefusedError:
        render(outcome, True)
        raise
    output = opts.output()
    paced = len(outcome.plan.ops) if workspace.paced_writes and not opts.json else 0
    label = f"{direction.value}ing {len(outcome.plan.ops)} keys"
    with progress_bar(output, 0 if opts.quiet else paced, label) as progress:
        done = engine.apply(workspace, outcome, progress=progress)
    render(done, False)
    return int(ExitCode.OK)


def _renderer(
    opts: Options, workspace: Workspace, *, dry_run: bool
) -> Callable[[SyncOutcome, bool], None]:
    # Values are shown by a table (--verbose, --dry-run, the prompt) or the JSON document.
    shown = bool(opts.json or opts.verbose or opts.can_prompt or dry_run)
    output = opts.output()
    policy = opts.policy(workspace.config, keys=workspace.keys() if shown else ())

    def render(outcome: SyncOutcome, refused: bool) -> None:
        from secretsync_hooks.render.terminal import render_notes, render_outcome, render_warnings

        if opts.json:
            from secretsync_hooks.render import documents

            render_warnings(output, workspace.warnings)
            document = documents.outcome_document(workspace, outcome, policy, refused=refused)
            click.echo(documents.dumps(document))
        elif refused:
            render_notes(output, workspace, outcome.comparison)
        else:
            render_outcome(
                output,
                workspace,
                outcome,
                policy,
                verbose=bool(opts.verbose),
                quiet=bool(opts.quiet),
                args=opts.target_args(),
            )

    return render


def _prompt(
    opts: Options, workspace: Workspace, outcome: SyncOutcome
) -> Callable[[str], bool] | None:
    """A yes/no prompt on an interactive terminal; None for scripts, hooks and CI."""

    if not opts.can_prompt:
        return None
    output: Output = opts.output()

    def confirm(question: str) -> bool:
        from secretsync_hooks.render.terminal import comparison_table

        table = comparison_table(
            output, outcome.comparison, opts.policy(workspace.config), everything=False
        )
        output.table(table)
        return click.confirm(question, default=False, err=True)

    return confirm


def register(group: click.Group) -> None:
    for func, name in ((diff, "diff"), (status, "status"), (push, "push"), (pull, "pull")):
        group.add_command(click.command(name, short_help=short_help(func))(func))
