"""``import``: keys from chamber, another tool's export or the other backend, merged into the
``.env`` for the user to review and push."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

import click

from secretsync_hooks import options
from secretsync_hooks.cli.context import FORMAT, TARGET, Options, command_options, short_help
from secretsync_hooks.errors import ExitCode, SecretSyncError

if TYPE_CHECKING:
    from secretsync_hooks.imports.plan import ImportPlan

# The choices of --from and --chamber-backend, here so that loading the command line reads no
# more than click (imports.sources.KINDS and imports.chamber.BACKENDS, which tests compare).
SOURCES = ("chamber", "json", "dotenv", "secrets-manager", "parameter-store")
CHAMBER_BACKENDS = ("ssm", "secretsmanager")
_USAGE = (
    "secretsync import --from chamber SERVICE | json FILE | dotenv FILE | "
    "secrets-manager NAME | parameter-store /PATH/"
)


@command_options(*TARGET, FORMAT, options.TIMEOUT, options.DEBUG)
@click.option(
    "--from",
    "source_kind",
    type=click.Choice(SOURCES),
    metavar="SOURCE",
    help="Where the keys come from: chamber SERVICE, json FILE (Doppler, Infisical) or dotenv "
    "FILE (- reads stdin), secrets-manager NAME or parameter-store /PATH/ (in the config's "
    "region and profile).",
)
@click.argument("argument", required=False, metavar="ARG")
@click.option(
    "--chamber-backend",
    type=click.Choice(CHAMBER_BACKENDS),
    help="With --from chamber, which of chamber's layouts to read: ssm (/SERVICE/key "
    "parameters; the default, as chamber's) or secretsmanager (a secret named SERVICE).",
)
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option(
    "--force",
    is_flag=True,
    help="Overwrite keys the .env holds with another value (refused otherwise, exit 1).",
)
@click.option(
    "--allow-tracked",
    is_flag=True,
    help="Write into the .env even though git tracks it (refused otherwise: the next commit "
    "would publish the secrets).",
)
def import_(
    opts: Options,
    source_kind: str | None,
    argument: str | None,
    chamber_backend: str | None,
    dry_run: bool,
    force: bool,
    allow_tracked: bool,
) -> int:
    """Merge keys from chamber, a JSON or .env export, or the other backend into the .env.

    New keys are appended in the source's order, the rest of the file kept byte for byte; a
    key the .env holds with another value is overwritten only with --force (else exit 1,
    nothing written). Values are never printed: review the .env, then push.
    """
    if source_kind is None or argument is None:
        raise SecretSyncError(
            "import needs a source and its argument; nothing was imported",
            hint=f"Usage: {_USAGE}",
        )
    if chamber_backend is not None and source_kind != "chamber":
        raise SecretSyncError(
            f"--chamber-backend applies to --from chamber, not --from {source_kind}",
            hint=f"Usage: {_USAGE}",
        )
    from secretsync_hooks.imports import plan as merging
    from secretsync_hooks.imports.sources import read_source

    config = opts.load_config()
    source = read_source(
        config,
        opts.redactor,
        source_kind,
        argument,
        chamber_backend=chamber_backend or "ssm",
        deadline=opts.timeout,
    )
    planned = merging.plan_import(config, opts.redactor, source, force=force)
    if dry_run:
        _show(opts, merging.check_dry_run(planned, allow_tracked=allow_tracked))
        return int(ExitCode.OK)
    try:
        done = merging.write(planned, allow_tracked=allow_tracked)
    except merging.Clash as exc:
        _show(opts, planned, refused=True)
        chamber = ["--chamber-backend", chamber_backend] if chamber_backend else []
        words = ["import", "--from", source_kind, argument, *chamber, *opts.target_args()]
        again = shlex.join([*words, "--force"])
        them = "it" if len(exc.keys) == 1 else "them"
        exc.hint = (
            f"`secretsync {again}` replaces {them} with the source's values; without --force, "
            f"change or remove {them} in {config.env_file.name} first."
        )
        raise
    _show(opts, done)
    return int(ExitCode.OK)


def _show(opts: Options, plan: ImportPlan, *, refused: bool = False) -> None:
    from secretsync_hooks.render.imports import import_document, render_import

    if opts.json:
        from secretsync_hooks.render.terminal import render_warnings

        render_warnings(opts.output(), list(plan.workspace.warnings))
        opts.echo_document(import_document(plan, refused=refused))
        return
    render_import(opts.output(), plan, refused=refused)


def register(group: click.Group) -> None:
    group.add_command(click.command("import", short_help=short_help(import_))(import_))
