"""The ``secretsync`` command line: a thin click front over the sync core.

Commands parse options, ask the core (``sync``), hand the result to a formatter and return an
exit code.  Heavy imports (botocore, rich) happen inside the commands, so ``--help`` and
``--version`` stay fast enough for a git hook.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from secretsync_hooks import __version__
from secretsync_hooks.error_handler import guarded
from secretsync_hooks.errors import ExitCode, RefusedError

if TYPE_CHECKING:
    from secretsync_hooks.config import Config
    from secretsync_hooks.differ import Comparison
    from secretsync_hooks.formatters.terminal import Output
    from secretsync_hooks.masking import ValuePolicy
    from secretsync_hooks.models import Direction
    from secretsync_hooks.sync import Workspace

F = TypeVar("F", bound=Callable[..., Any])

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@dataclass(frozen=True)
class Options:
    """The options every command takes."""

    config_path: Path | None
    environment: str | None
    profile: str | None
    no_profile: bool
    region: str | None
    env_file: Path | None
    show_values: bool
    color: str
    quiet: bool
    verbose: bool
    debug: bool
    fmt: str

    @property
    def json(self) -> bool:
        return self.fmt == "json"

    def load_config(self) -> Config:
        from secretsync_hooks.config import Overrides, load_config

        return load_config(
            Overrides(
                self.config_path,
                self.environment,
                self.region,
                self.profile,
                self.env_file,
                no_profile=self.no_profile,
            )
        )

    def output(self) -> Output:
        from secretsync_hooks.formatters.terminal import Output

        return Output(self.color)

    def policy(self, config: Config, *, keys_only: bool = False) -> ValuePolicy:
        from secretsync_hooks.masking import ValuePolicy

        return ValuePolicy(self.show_values, config.plain_keys, no_values=keys_only)


_OPTION_NAMES = list(Options.__dataclass_fields__)


def common_options(func: F) -> F:
    """Options every command takes; they arrive bundled as one ``Options`` argument."""
    options = [
        click.option(
            "--config",
            "config_path",
            type=click.Path(path_type=Path, dir_okay=False),
            help="Config file (default: the nearest .secretsync.toml up to the git root).",
        ),
        click.option(
            "--env",
            "environment",
            metavar="NAME",
            help="Named environment from [environments.NAME] (default: $SECRETSYNC_ENV).",
        ),
        click.option(
            "--profile",
            metavar="NAME",
            help="AWS profile (default: $SECRETSYNC_PROFILE, the config, then the default "
            "chain, where environment credentials win over $AWS_PROFILE).",
        ),
        click.option(
            "--no-profile",
            is_flag=True,
            help="Ignore a profile named in the config: use the default credential chain "
            "(e.g. OIDC credentials in CI).",
        ),
        click.option("--region", metavar="REGION", help="AWS region (overrides config and env)."),
        click.option(
            "--env-file",
            type=click.Path(path_type=Path),
            help="The .env file (default: env_file from the config, else .env beside it).",
        ),
        click.option(
            "--format",
            "fmt",
            type=click.Choice(["table", "json"]),
            default="table",
            show_default=True,
            help="table for people, json (one document on stdout) for machines.",
        ),
        click.option(
            "--show-values", is_flag=True, help="Show secret values instead of masking them."
        ),
        click.option(
            "--color",
            type=click.Choice(["auto", "always", "never"]),
            default="auto",
            show_default=True,
            help="Colour output; auto means on a terminal unless NO_COLOR is set.",
        ),
        click.option("-q", "--quiet", is_flag=True, help="Print only errors and warnings."),
        click.option("-v", "--verbose", is_flag=True, help="Show unchanged keys and more detail."),
        click.option(
            "--debug", is_flag=True, help="Show tracebacks and AWS calls (values masked)."
        ),
    ]

    def wrapper(**kwargs: Any) -> Any:
        opts = Options(**{name: kwargs.pop(name) for name in _OPTION_NAMES})
        _setup_logging(opts)
        return func(opts, **kwargs)

    # Copies the name, the docstring and the options already attached (__click_params__).
    functools.update_wrapper(wrapper, func)
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper  # type: ignore[return-value]


def _setup_logging(opts: Options) -> None:
    if not (opts.debug or opts.verbose):
        return
    from secretsync_hooks.redact import redact

    class _Redacting(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            return redact(super().format(record))

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Redacting("secretsync: %(levelname)s: %(message)s"))
    logger = logging.getLogger("secretsync")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG if opts.debug else logging.INFO)
    logger.propagate = False


keys_only_option = click.option(
    "--keys-only",
    is_flag=True,
    help="Compare key sets only (a changed value counts as unchanged), e.g. for .env.example.",
)
dry_run_option = click.option("--dry-run", is_flag=True, help="Show the plan; change nothing.")
force_option = click.option(
    "--force", is_flag=True, help="Overwrite or delete values at the destination without asking."
)


class _Cli(click.Group):
    """The group, with every error turned into one message and an exit code in one place."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> int:
        argv = list(sys.argv[1:] if args is None else args)

        def run() -> int:
            try:
                result = super(_Cli, self).main(
                    argv, prog_name or "secretsync", complete_var, standalone_mode=False, **extra
                )
            except click.exceptions.Abort:
                raise KeyboardInterrupt from None  # Ctrl-C (or end of input) at a prompt
            except click.ClickException as exc:
                exc.show()
                return int(ExitCode.ERROR)
            return result if isinstance(result, int) else 0

        code = guarded(run, debug="--debug" in argv)
        if standalone_mode:
            sys.exit(code)
        return code


@click.group(cls=_Cli, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", "-V", prog_name="secretsync")
def cli() -> None:
    """Keep a local .env in agreement with AWS Secrets Manager or SSM Parameter Store.

    Values are masked unless --show-values. Exit codes: 0 in sync or done, 1 drift or refused,
    2 error.
    """


def _compared(opts: Options, keys_only: bool) -> tuple[Workspace, Comparison]:
    """Both sides read and compared; a comparison in agreement is recorded as the base."""
    from secretsync_hooks.sync import open_workspace, record_if_in_sync

    workspace = open_workspace(opts.load_config())
    comparison = workspace.compare(keys_only=keys_only)
    record_if_in_sync(workspace, comparison)
    return workspace, comparison


@cli.command()
@common_options
@keys_only_option
def diff(opts: Options, keys_only: bool) -> int:
    """Show how the .env differs from AWS. Exit 0 in sync, 1 drift, 2 error."""
    workspace, comparison = _compared(opts, keys_only)
    output, policy = opts.output(), opts.policy(workspace.config, keys_only=keys_only)
    if opts.json:
        from secretsync_hooks.formatters import json_fmt

        _warn(output, workspace.warnings)
        click.echo(
            json_fmt.dumps(json_fmt.comparison_document(workspace, "diff", comparison, policy))
        )
    else:
        from secretsync_hooks.formatters.terminal import render_comparison

        render_comparison(
            output, workspace, comparison, policy, verbose=opts.verbose, quiet=opts.quiet
        )
    return int(ExitCode.OK if comparison.in_sync else ExitCode.DRIFT)


@cli.command()
@common_options
@keys_only_option
def status(opts: Options, keys_only: bool) -> int:
    """One screen: where the settings come from, the remote's version, counts per state."""
    workspace, comparison = _compared(opts, keys_only)
    ignored = workspace.ignored()
    output = opts.output()
    if opts.json:
        from secretsync_hooks.formatters import json_fmt

        _warn(output, workspace.warnings)
        policy = opts.policy(workspace.config, keys_only=keys_only)
        click.echo(json_fmt.dumps(json_fmt.status_document(workspace, comparison, policy, ignored)))
    else:
        from secretsync_hooks.formatters.terminal import render_status

        render_status(output, workspace, comparison, ignored, quiet=opts.quiet)
    return int(ExitCode.OK if comparison.in_sync else ExitCode.DRIFT)


@cli.command()
@common_options
@dry_run_option
@force_option
@click.option("--prune", is_flag=True, help="Also delete remote keys that the .env lacks.")
def push(opts: Options, dry_run: bool, force: bool, prune: bool) -> int:
    """Upload local-only and changed keys to AWS.

    Adding keys needs nothing; overwriting or (with --prune) deleting remote values needs
    --force or a yes at the prompt.
    """
    from secretsync_hooks.models import Direction

    return _sync(opts, Direction.PUSH, dry_run=dry_run, force=force, prune=prune)


@cli.command()
@common_options
@dry_run_option
@force_option
@click.option("--prune", is_flag=True, help="Also drop local keys that AWS lacks.")
def pull(opts: Options, dry_run: bool, force: bool, prune: bool) -> int:
    """Write remote-only and changed keys into the .env, leaving the rest of it untouched.

    Local-only keys stay. Overwriting or (with --prune) dropping local values needs --force
    or a yes at the prompt. A missing .env is created with mode 0600.
    """
    from secretsync_hooks.models import Direction

    return _sync(opts, Direction.PULL, dry_run=dry_run, force=force, prune=prune)


def _sync(opts: Options, direction: Direction, *, dry_run: bool, force: bool, prune: bool) -> int:
    from secretsync_hooks import sync
    from secretsync_hooks.formatters import json_fmt, terminal
    from secretsync_hooks.models import Direction

    config = opts.load_config()
    workspace = sync.open_workspace(config, require_local=direction is Direction.PUSH)
    outcome = sync.plan(workspace, direction, prune=prune)
    output = opts.output()
    policy = opts.policy(config)
    if not opts.json and not opts.quiet:
        terminal.render_notes(output, workspace, outcome.comparison)

    def render(result: sync.SyncOutcome, *, refused: bool = False) -> None:
        if opts.json:
            _warn(output, workspace.warnings)
            click.echo(
                json_fmt.dumps(
                    json_fmt.outcome_document(workspace, result, policy, refused=refused)
                )
            )
        else:
            terminal.render_outcome(
                output, workspace, result, policy, verbose=opts.verbose, quiet=opts.quiet
            )

    if dry_run:
        render(replace(outcome, dry_run=True, refusal=None if force else outcome.refusal))
        return int(ExitCode.OK)
    try:
        sync.require_consent(
            outcome, force=force, confirm=_prompt(opts, output, workspace, outcome)
        )
    except RefusedError:
        if opts.json:
            render(outcome, refused=True)
        else:
            _warn(output, workspace.warnings)
        raise
    writes = len(outcome.plan.ops) if workspace.backend.kind == "parameter_store" else 0
    label = f"{direction.value}ing {len(outcome.plan.ops)} keys"
    with terminal.progress_bar(output, 0 if opts.json or opts.quiet else writes, label) as progress:
        done = sync.apply(workspace, outcome, progress=progress)
    render(done)
    return int(ExitCode.OK)


def _prompt(
    opts: Options, output: Output, workspace: Any, outcome: Any
) -> Callable[[str], bool] | None:
    """A yes/no prompt on an interactive terminal; None for scripts, hooks and CI."""
    if opts.json or not _interactive():
        return None

    def confirm(question: str) -> bool:
        from secretsync_hooks.formatters.terminal import comparison_table

        output.table(
            comparison_table(
                output, outcome.comparison, opts.policy(workspace.config), everything=False
            )
        )
        return click.confirm(question, default=False, err=True)

    return confirm


def _interactive() -> bool:
    """Whether someone is at a terminal to answer a prompt (never in hooks, CI or pipes)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def _warn(output: Output, warnings: list[str]) -> None:
    from secretsync_hooks.formatters.terminal import render_warnings

    render_warnings(output, warnings)


@cli.command("config")
@common_options
def config_command(opts: Options) -> int:
    """Show the resolved settings, where each came from, and the .env's keys (no AWS call)."""
    from secretsync_hooks import text
    from secretsync_hooks.env_file import EnvFile

    config = opts.load_config()
    for warning in config.warnings:
        click.echo(f"warning: {warning}", err=True)
    rows = [
        ("config", str(config.path), ""),
        ("environment", config.environment or "(top level)", config.source("environment")),
        ("backend", config.backend, config.source("backend")),
        ("target", config.target, config.source("target")),
        ("region", config.region or "(none)", config.source("region")),
        ("profile", config.profile_label, config.source("profile")),
        ("env_file", str(config.env_file), config.source("env_file")),
    ]
    width = max(len(name) for name, _, _ in rows)
    for name, value, source in rows:
        suffix = f"  (from {source})" if source and source != "default" else ""
        click.echo(f"{name:<{width}}  {value}{suffix}")
    local = EnvFile.load(config.env_file, missing_ok=True)
    if not local.existed:
        click.echo(f"{'keys':<{width}}  (no file yet)")
    else:
        keys = local.keys()
        click.echo(f"{'keys':<{width}}  {len(keys)}: {text.keys(keys)}")
    return 0


@cli.command()
@common_options
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="Drop every record in this repository's state directory, and the fingerprint key.",
)
def forget(opts: Options, everything: bool) -> int:
    """Drop the record of the last sync for this .env and remote (no AWS call).

    The next comparison is two-way, as before the first sync; the next successful sync
    records a new one. Use it when a record is damaged or no longer describes your setup.
    """
    from secretsync_hooks.sync_base import BaseStore

    store = BaseStore(opts.load_config())
    if everything:
        count = store.forget_all()
        click.echo(f"Dropped {count} record(s) of the last sync in {store.directory}.")
    elif store.forget():
        click.echo(f"Dropped the record of the last sync ({store.path}).")
    else:
        click.echo("There was no record of the last sync for this .env and remote.")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return int(cli.main(argv, "secretsync", standalone_mode=False))


if __name__ == "__main__":
    raise SystemExit(main())
