"""``diff``, ``status``, ``push`` and ``pull``: compare, then bring one side to the other."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

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
from secretsync_hooks.errors import EnvFileError, ExitCode, RefusedError, SecretSyncError

if TYPE_CHECKING:
    from secretsync_hooks.models import Direction
    from secretsync_hooks.render.output import Output
    from secretsync_hooks.sync.differ import Comparison
    from secretsync_hooks.sync.engine import SyncOutcome
    from secretsync_hooks.sync.runner import Checked
    from secretsync_hooks.sync.workspace import Workspace

READING = (*TARGET, FORMAT, *DISPLAY, options.TIMEOUT, options.DEBUG)


_ALL_ENVS = click.option(
    "--all-envs",
    is_flag=True,
    help="Every environment of the config (the top level too, if it names its own remote), "
    "several at once.",
)
_RECURSIVE = click.option(
    "--recursive",
    is_flag=True,
    help="Every .secretsync.toml tracked in the repository, each with its own .env.",
)


def _checked(opts: Options, *, all_envs: bool, recursive: bool) -> list[Checked]:
    """The comparison of each target (one unless --all-envs or --recursive), several at
    once, within one deadline: the same runner as the hooks'."""
    from secretsync_hooks.config.settings import Overrides
    from secretsync_hooks.remote.aws import deadline_for
    from secretsync_hooks.sync.runner import check_targets
    from secretsync_hooks.sync.targets import Target, targets

    environments = [opts.environment] if opts.environment else []
    found = targets(opts.config_path, environments, all_envs=all_envs, recursive=recursive)

    def settings(target: Target) -> Overrides:
        return Overrides(
            config=target.config or opts.config_path,
            environment=target.environment,
            region=opts.region,
            profile=opts.profile,
            env_file=opts.env_file,
            no_profile=opts.no_profile,
        )

    seconds = opts.timeout or deadline_for()
    results = check_targets(
        found, settings, opts.redactor, keys_only=opts.keys_only, seconds=seconds
    )
    for result in results:
        if result.config is not None and result.config.warnings and len(results) == 1:
            from secretsync_hooks.render.terminal import render_warnings

            render_warnings(opts.output(), list(result.config.warnings))
    if len(results) == 1 and results[0].error is not None:
        raise results[0].error  # one target: its error is the command's
    return results


def _exit(comparison: Comparison) -> int:
    return int(ExitCode.OK if comparison.in_sync else ExitCode.DRIFT)


@command_options(*READING, options.KEYS_ONLY)
@_ALL_ENVS
@_RECURSIVE
def diff(opts: Options, all_envs: bool, recursive: bool) -> int:
    """Show how the .env differs from AWS. Exit 0 in sync, 1 drift, 2 error.

    With --all-envs or --recursive, every environment (or every config of the repository)
    is compared, several at once; the exit code is the worst of them."""
    results = _checked(opts, all_envs=all_envs, recursive=recursive)
    return _each(opts, "diff", results, _show_diff)


@command_options(*READING, options.KEYS_ONLY)
@_ALL_ENVS
@_RECURSIVE
def status(opts: Options, all_envs: bool, recursive: bool) -> int:
    """Where the settings come from, the remote's version, counts per state."""
    results = _checked(opts, all_envs=all_envs, recursive=recursive)
    return _each(opts, "status", results, _show_status)


Show = Callable[["Options", "Workspace", "Comparison", list[str]], "dict[str, Any] | None"]


def _each(opts: Options, command: str, results: list[Checked], show: Show) -> int:
    """Show each target's comparison (one JSON document for all when there are several);
    the worst exit code."""
    many = len(results) > 1
    codes: list[int] = []
    documents: list[dict[str, Any]] = []
    for result in results:
        target = result.target
        label = target.label.strip().strip("[]")
        where = {
            "config": target.config.as_posix() if target.config is not None else None,
            "environment": target.environment or "default",
        }
        args = opts.target_args()
        if many and result.target.environment:
            args += ["--env", result.target.environment]
        if result.error is not None:
            code, said = _failed(opts, result.error, label, args)
            codes.append(code)
            documents.append({**where, "document": None, "error": said})
            continue
        assert result.workspace is not None and result.comparison is not None
        if many and not opts.json:
            click.echo(f"== {label} ==")
        document = show(opts, result.workspace, result.comparison, args)
        documents.append({**where, "document": document, "error": None})
        codes.append(_exit(result.comparison))
    if opts.json:
        from secretsync_hooks.render.documents import targets_document

        if many:
            opts.echo_document(targets_document(command, documents))
        elif documents[0]["document"] is not None:
            opts.echo_document(documents[0]["document"])
    return max(codes)


def _failed(opts: Options, error: Exception, label: str, args: list[str]) -> tuple[int, str]:
    """One target's error, reported as the command's own would be (and its words for JSON),
    the others going on."""
    from secretsync_hooks.error_handler import own_words, report
    from secretsync_hooks.render.phrases import phrase

    if isinstance(error, SecretSyncError):
        phrase(error, args)
        said = own_words(error, opts.redactor)
    else:
        said = opts.redactor(str(error)) or type(error).__name__
    prog = f"secretsync [{label}]" if label else "secretsync"
    return report(error, debug=opts.debug, prog=prog, redact=opts.redactor), said


def _show_diff(
    opts: Options, workspace: Workspace, comparison: Comparison, args: list[str]
) -> dict[str, Any] | None:
    output = opts.output()
    policy = opts.policy(workspace.config, keys_only=opts.keys_only, keys=workspace.keys())
    if opts.json:
        from secretsync_hooks.render import documents
        from secretsync_hooks.render.terminal import render_warnings

        render_warnings(output, workspace.warnings)
        return documents.comparison_document(workspace, "diff", comparison, policy)
    from secretsync_hooks.render.terminal import render_comparison

    render_comparison(
        output,
        workspace,
        comparison,
        policy,
        verbose=opts.verbose,
        quiet=opts.quiet,
        args=args,
    )
    return None


def _show_status(
    opts: Options, workspace: Workspace, comparison: Comparison, args: list[str]
) -> dict[str, Any] | None:
    ignored = workspace.ignored()
    output = opts.output()
    if opts.json:
        from secretsync_hooks.render import documents
        from secretsync_hooks.render.terminal import render_warnings

        render_warnings(output, workspace.warnings)
        # (the table shows no value; the JSON document does, for plain_keys)
        policy = opts.policy(workspace.config, keys_only=opts.keys_only, keys=workspace.keys())
        return documents.status_document(workspace, comparison, policy, ignored)
    from secretsync_hooks.render.terminal import render_status

    render_status(output, workspace, comparison, ignored, quiet=opts.quiet, args=args)
    return None


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
            opts.echo_document(
                documents.outcome_document(workspace, outcome, policy, refused=refused)
            )
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
