"""``check`` and ``example``: the key contract (``[keys.NAME]`` rules), checked against the
values, and turned into the ``.env.example`` a repository commits."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from secretsync_hooks import options, text
from secretsync_hooks.cli.context import (
    DISPLAY,
    FORMAT,
    TARGET,
    Options,
    command_options,
    short_help,
)
from secretsync_hooks.errors import ExitCode
from secretsync_hooks.options import Spec

if TYPE_CHECKING:
    from secretsync_hooks.config.settings import Config
    from secretsync_hooks.keys.check import Checked

SOURCE = Spec(
    ("--source",),
    "source",
    "local: the .env (the default; no AWS call), remote: the values in AWS (read once), "
    "both: each reported apart.",
    choices=("local", "remote", "both"),
)


_COLOR_QUIET = tuple(spec for spec in DISPLAY if spec.dest in ("color", "quiet"))
# example makes no AWS call: no profile, no region.
_LOCAL = tuple(spec for spec in TARGET if spec.dest in ("config_path", "environment", "env_file"))


@command_options(*TARGET, SOURCE, FORMAT, *_COLOR_QUIET, options.TIMEOUT, options.DEBUG)
def check(opts: Options) -> int:
    """Check the values against the key contract. Exit 0 every rule holds, 1 some do not, 2 error.

    The rules are the config's [keys.NAME] tables (required, type, choices, pattern) and
    required_keys. Each key that breaks one is named with the rule, never with its value.
    """
    from secretsync_hooks.keys.check import Side, check_contract

    config = opts.load_config()
    side = Side(opts.source or "local")
    output = opts.output()
    sides: list[Checked] = []
    if side is Side.BOTH and not opts.json:
        # The .env's report first: a remote that cannot be read does not hide it.
        sides, _ = check_contract(config, opts.redactor, Side.LOCAL)
        _render(opts, config, sides, [])
        side = Side.REMOTE
    more, warnings = check_contract(config, opts.redactor, side, deadline=opts.timeout)
    _render(opts, config, more, warnings, after=bool(sides))
    broken = any(checked.violations for checked in (*sides, *more))
    if broken and not opts.json:
        output.line(
            f"Fix the values, or the rules in {config.path.name} ([keys.NAME]); a push refuses "
            "values that break them.",
            err=True,
        )
    return int(ExitCode.DRIFT if broken else ExitCode.OK)


def _render(
    opts: Options, config: Config, sides: list[Checked], warnings: list[str], *, after: bool = False
) -> None:
    output = opts.output()
    if warnings:
        from secretsync_hooks.render.terminal import render_warnings

        render_warnings(output, warnings)
    if opts.json:
        from secretsync_hooks.render.documents import check_document

        opts.echo_document(check_document(config, sides))
    else:
        from secretsync_hooks.render.contract import render_check

        render_check(output, config, sides, quiet=opts.quiet, note=not after)


@command_options(*_LOCAL, options.DEBUG)
@click.option(
    "-o",
    "--output",
    "output_path",
    metavar="FILE",
    help="Where to write (default: .env.example beside the .env; .env.staging.example beside "
    ".env.staging).",
)
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Write nothing; exit 1 when the file differs from what example would write, 0 when "
    "it is the same (for CI and a hook).",
)
def example(opts: Options, output_path: str | None, check_only: bool) -> int:
    """Write .env.example from the key contract and the .env's key names, never a value.

    Every key of the .env and of the contract (local keys excepted), in the .env's order then
    the contract's, each after its description and set to its example, else empty.
    """
    from pathlib import Path

    from secretsync_hooks.keys.example import differs, make_example, write_example

    config = opts.load_config()
    made = make_example(config, Path(output_path) if output_path else None)
    shown = text.shown(str(made.path if output_path else made.path.name))
    count = text.count(len(made.keys), "key")
    if check_only:
        if differs(made):
            click.echo(
                f"{shown} is not what `secretsync example` would write ({count}); run it "
                "and commit the result.",
                err=True,
            )
            return int(ExitCode.DRIFT)
        click.echo(f"{shown} is up to date ({count}).")
        return int(ExitCode.OK)
    write_example(config, made, "--output" if output_path else "the example file")
    click.echo(f"Wrote {shown}: {count}, examples only, never a value.")
    return int(ExitCode.OK)


def register(group: click.Group) -> None:
    group.add_command(click.command("check", short_help=short_help(check))(check))
    group.add_command(click.command("example", short_help=short_help(example))(example))
