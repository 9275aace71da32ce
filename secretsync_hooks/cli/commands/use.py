"""``run`` and ``export``: use the values without a .env on disk.

Both read the remote once (or the .env, or both) and never write the .env or the record of
the last sync.  ``run`` hands the values to a program in its environment; ``export`` writes
them in a format another tool reads, only where asked.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from secretsync_hooks import options
from secretsync_hooks.cli.context import TARGET, Options, command_options, short_help
from secretsync_hooks.errors import SecretSyncError
from secretsync_hooks.use.encoders import API_VERSIONS, FORMATS, REFERENCE_FORMATS, STORE_KINDS

if TYPE_CHECKING:
    from secretsync_hooks.config.settings import Config
    from secretsync_hooks.sync.destination import Destination
    from secretsync_hooks.sync.values import Values
    from secretsync_hooks.use.encoders import Exported

F = TypeVar("F", bound=Callable[..., Any])

SOURCE = options.Spec(
    ("--source",),
    "source",
    "Where the values come from: remote (AWS, the default), local (the .env), merged (AWS "
    "with the .env on top, for local development).",
    choices=("remote", "local", "merged"),
)
EXPORT_FORMAT = options.Spec(
    ("--format",),
    "fmt",
    "dotenv (the default), json, yaml, shell (export lines for eval), github (appends to "
    "$GITHUB_ENV, masks values in the log) or docker (for docker run --env-file); or, with "
    "no value, references to them: ecs (a container's secrets), external-secrets (an "
    "ExternalSecret manifest) or cloudformation (dynamic references).",
    choices=(*FORMATS, *REFERENCE_FORMATS),
)
SHOW_VALUES = options.SHOW_VALUES._replace(help="Allow writing the values to a terminal.")
USING = (*TARGET, SOURCE, options.TIMEOUT, options.DEBUG)
_STRICT = click.option(
    "--strict",
    is_flag=True,
    help="Refuse unless every required key is present: those the config marks required "
    "([keys.NAME] required = true, required_keys), else the keys of the .env.example beside "
    "the .env.",
)


def _variable_names(
    ctx: click.Context, param: click.Parameter, names: tuple[str, ...]
) -> tuple[str, ...]:
    from secretsync_hooks.text import shown
    from secretsync_hooks.use.launch import valid_name

    for name in names:
        if not valid_name(name):
            raise click.BadParameter(f"{shown(name)!r} is not an environment variable name")
    return names


def _allow_env(verb: str, note: str = "") -> Callable[[F], F]:
    # On the command line only, never from the config or an environment variable: the
    # repository whose values this guards against writes the one, and direnv or an earlier
    # `eval "$(secretsync export --format shell)"` can set the other.
    return click.option(
        "--allow-env",
        "allow_env",
        multiple=True,
        metavar="NAME",
        callback=_variable_names,
        help=f"{verb} NAME although it chooses which program or library runs (PATH, LD_*, "
        "BASH_ENV, PYTHONPATH, GIT_*, ...): such names are held back by default, since a "
        f"repository's .env or the remote set them. Repeatable; the exact key.{note}",
    )


def _held_back(held: list[str], done: str) -> str:
    from secretsync_hooks.text import keys

    return (
        f"held back {keys(held)}: {done} no variable that chooses which program or library "
        "runs; name one with --allow-env NAME to let it through"
    )


def _read(opts: Options, config: Config) -> Values:
    from secretsync_hooks.sync.values import Source, read_values

    source = Source(opts.source or "remote")
    return read_values(config, opts.redactor, source, deadline=opts.timeout)


def _warn(warnings: list[str]) -> None:
    from secretsync_hooks.text import clean

    for warning in warnings:
        click.echo(clean(f"secretsync: warning: {warning}"), err=True)


@command_options(*USING)
@click.option(
    "--pristine",
    is_flag=True,
    help="Start the command with only the values and PATH, HOME, USER, LOGNAME, SHELL, TERM, "
    "LANG, LC_*, TZ and TMPDIR (on Windows also SYSTEMROOT, WINDIR, COMSPEC, PATHEXT, TEMP, "
    "TMP, USERPROFILE).",
)
@click.option(
    "--preserve-env",
    is_flag=True,
    help="Keep an inherited variable over the value of the same name (the kept names are "
    "listed on stderr).",
)
@_STRICT
@_allow_env("Pass on")
@click.option(
    "--redact",
    is_flag=True,
    help="Mask the values in the command's stdout and stderr (as secretsync redact does); "
    "the command then runs as a child.",
)
@click.argument(
    "command", nargs=-1, required=True, type=click.UNPROCESSED, metavar="-- COMMAND [ARGS]"
)
def run(
    opts: Options,
    pristine: bool,
    preserve_env: bool,
    strict: bool,
    allow_env: tuple[str, ...],
    redact: bool,
    command: tuple[str, ...],
) -> int:
    """Run a command with the values in its environment, no .env needed.

    The values override inherited variables of the same name (unless --preserve-env) and
    appear nowhere else: not on a command line, not in a file, not in output.  Variables that
    choose which program or library runs (PATH, LD_*, BASH_ENV, ...) are held back unless
    named with --allow-env, and the command is looked up on your own PATH.  On POSIX the
    command replaces secretsync, so its signals, terminal and exit status are its own.  Exit
    127: command not found; 126: not executable; 2: the values could not be read.
    """
    from secretsync_hooks import text
    from secretsync_hooks.sync import values as secret_values
    from secretsync_hooks.use import launch
    from secretsync_hooks.use.loader_vars import hold_back

    config = opts.load_config()
    found = _read(opts, config)
    if strict:
        secret_values.check_required(config, found.values, "the command was not started")
    values, held = hold_back(found.values, allow_env)
    env = launch.environment(values, os.environ, pristine=pristine, preserve=preserve_env)
    warnings = list(found.warnings)
    if held:
        warnings.append(_held_back(held, "the command gets"))
    if env.skipped:
        warnings.append(f"skipped {text.keys(env.skipped)}: not valid environment variable names")
    if env.kept:
        warnings.append(f"kept the inherited {text.keys(env.kept)} (--preserve-env)")
    _warn(warnings)
    finder = None
    if redact:
        from secretsync_hooks.guard.scan import finder_of

        # Every value read is a secret to mask, those held back or skipped too: the command
        # can hold them another way (its own config, an inherited variable).
        finder = finder_of(config, found.values)
    return launch.launch(list(command), env.variables, redact=finder)


@command_options(*USING, EXPORT_FORMAT, SHOW_VALUES)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=str, dir_okay=False),
    metavar="FILE",
    help="Write to FILE (atomically, mode 0600) instead of stdout; with --format github, "
    "the file to append to instead of $GITHUB_ENV.  Never the .env, the config or a "
    "symbolic link, nor a path in the work tree that a linked folder takes out of it.",
)
@click.option(
    "--keys",
    metavar="K1,K2",
    help="Only these keys (comma-separated); a key that is not there is an error.",
)
@_STRICT
@_allow_env("Export", " json and yaml hold every key anyway.")
@click.option("--store", metavar="NAME", help="external-secrets: the SecretStore to read through.")
@click.option(
    "--store-kind",
    type=click.Choice(STORE_KINDS),
    help="external-secrets: SecretStore (the default) or ClusterSecretStore.",
)
@click.option(
    "--name",
    metavar="NAME",
    help="external-secrets: the ExternalSecret's and its Secret's name (default: the secret's "
    "name or the path, made DNS-safe).",
)
@click.option(
    "--api-version",
    type=click.Choice(API_VERSIONS),
    help="external-secrets: external-secrets.io/v1 (the default) or v1beta1 for operators "
    "before 0.16.",
)
@click.option(
    "--with-policy",
    is_flag=True,
    help="ecs: also print (on stderr) the IAM policy the task execution role needs.",
)
@click.option(
    "--policy-file",
    metavar="FILE",
    help="ecs: write that policy to FILE instead.",
)
def export(
    opts: Options,
    output: str | None,
    keys: str | None,
    strict: bool,
    allow_env: tuple[str, ...],
    **reference: Any,
) -> int:
    """Write the values in a format another tool reads: only where asked.

    To --output FILE, or to stdout when it is not a terminal (a pipe, a redirect); to a
    terminal only with --show-values.  --format github appends to $GITHUB_ENV and prints
    only ::add-mask:: commands, one per line of every value not in plain_keys.  The formats
    that set variables (dotenv, shell, github, docker, ecs, cloudformation) leave out those
    that choose which program or library runs, unless named with --allow-env.  ecs,
    external-secrets and cloudformation write references to the values in AWS, never a
    value: they may go to a terminal, and into git.
    """
    from secretsync_hooks.masking import ValuePolicy
    from secretsync_hooks.use import encoders as formats

    fmt = opts.fmt or "dotenv"
    from secretsync_hooks.cli.commands.deploy import Asked, check_options, export_references

    asked = Asked(output, keys, strict, allow_env, **reference)
    if fmt in REFERENCE_FORMATS:
        return export_references(opts, fmt, asked)
    check_options(fmt, asked)
    if fmt not in formats.FORMATS:  # `secretsync --format table export`
        every = ", ".join((*formats.FORMATS, *REFERENCE_FORMATS))
        raise click.UsageError(f"export --format must be one of {every}")
    destination = _destination(fmt, output, bool(opts.show_values))
    config = opts.load_config()
    target = _checked(config, fmt, destination, named="--output" if output else "$GITHUB_ENV")
    found = _read(opts, config)
    if strict:
        from secretsync_hooks.sync.values import check_required

        check_required(config, found.values, "nothing was written")
    values, held = _exportable(fmt, _selected(found.values, keys), allow_env)
    if fmt == "github":  # plain_keys are left unmasked in the runner's log
        from secretsync_hooks.masking import check_plain_keys

        check_plain_keys(config.path, config.plain_keys, found.values)
    policy = ValuePolicy(False, config.plain_keys)
    exported = formats.export(fmt, values, lambda key, value: not policy.visible(key, value))
    _warn(found.warnings + held + exported.warnings)
    _deliver(fmt, exported, target)
    if destination is not None:
        from secretsync_hooks import text

        wrote = f"wrote {text.count(len(values), 'key')} to {text.shown(destination)} ({fmt})"
        click.echo(f"secretsync: {wrote}", err=True)
        _warn_if_committable(fmt, str(target.path) if target else destination)
    return 0


# What python-dotenv, docker compose, a shell's eval, the GitHub runner and docker apply to an
# environment; json and yaml are documents of data, and stay complete.
_SETS_VARIABLES = ("dotenv", "shell", "github", "docker")


def _exportable(
    fmt: str, values: dict[str, str], allowed: tuple[str, ...]
) -> tuple[dict[str, str], list[str]]:
    """The values ``fmt`` may carry, and a warning naming those held back."""
    if fmt not in _SETS_VARIABLES:
        return values, []
    from secretsync_hooks.use.loader_vars import hold_back

    passed, held = hold_back(values, allowed)
    return passed, [_held_back(held, f"the {fmt} format sets")] if held else []


def _warn_if_committable(fmt: str, destination: str) -> None:
    """A file of values that `git add` would pick up is one commit away from a leak."""
    from pathlib import Path

    from secretsync_hooks.local.exposure import committable

    if fmt != "github" and committable(Path(destination)):
        _warn(
            [
                f"{destination} is in a git work tree and not ignored: `git add` would commit "
                "the values in it; add it to .gitignore, or write it outside the repository"
            ]
        )


def _destination(fmt: str, output: str | None, show_values: bool) -> str | None:
    """Where the values go (None: stdout), checked before anything is read."""
    if fmt == "github":
        target = output or os.environ.get("GITHUB_ENV")
        if not target:
            raise SecretSyncError(
                "--format github appends to $GITHUB_ENV, which is not set (not in a GitHub "
                "Actions step?); nothing was written",
                hint="Pass --output FILE to name the file, or use another --format.",
            )
        if sys.stdout.isatty() and not show_values:
            raise SecretSyncError(
                "--format github prints ::add-mask:: commands that hold the values, and "
                "stdout is a terminal; nothing was written",
                hint="Run it in a workflow step, or pass --show-values to print them here.",
            )
        return target
    if output is None and sys.stdout.isatty() and not show_values:
        raise SecretSyncError(
            "export writes secret values and stdout is a terminal; nothing was written",
            hint="Pass --output FILE, redirect or pipe it, or add --show-values to print "
            "them here.",
        )
    return output


def _checked(
    config: Config, fmt: str, destination: str | None, *, named: str
) -> Destination | None:
    """The file to write, refused now (before anything is read) if it may not be written."""
    if destination is None:
        return None
    from secretsync_hooks.sync.destination import Destination

    target = Destination(config, destination, named, fmt)
    target.check()
    return target


def _selected(values: dict[str, str], keys: str | None) -> dict[str, str]:
    if keys is None:
        return values
    from secretsync_hooks import text

    wanted = [k.strip() for k in keys.split(",") if k.strip()]
    if not wanted:
        raise SecretSyncError("--keys names no key")
    absent = [k for k in wanted if k not in values]
    if absent:
        raise SecretSyncError(f"--keys names keys that are not there: {text.keys(absent)}")
    return {k: values[k] for k in dict.fromkeys(wanted)}


def _deliver(fmt: str, exported: Exported, target: Destination | None) -> None:
    from secretsync_hooks.errors import EnvFileError
    from secretsync_hooks.local.fs import FileProblem, append_private, write_atomic

    if target is None:
        # To a terminal (--show-values) the values are shown, escapes and all as text: a
        # remote value must not retitle or clear the screen.  A pipe gets them exactly.
        from secretsync_hooks.text import clean

        sys.stdout.write(clean(exported.text) if sys.stdout.isatty() else exported.text)
        return
    try:
        if fmt == "github":
            # Masks first: the runner hides the values before anything could print them.
            sys.stdout.write(exported.masks)
            sys.stdout.flush()
            target.check()
            append_private(target.path, exported.text.encode("utf-8"))
        else:
            # Not through a link: a link put in place since the first check is replaced by
            # the file (and refused by the check right before the rename), never followed.
            data = exported.text.encode("utf-8")
            write_atomic(
                target.path,
                data,
                mode=0o600,
                follow_symlinks=False,
                check=lambda _path: target.check(),
            )
    except FileProblem as exc:
        raise EnvFileError(f"{target.path}: {exc}; nothing was written") from None


def register(group: click.Group) -> None:
    group.add_command(
        click.command(
            "run",
            short_help=short_help(run),
            context_settings={"allow_interspersed_args": False},
        )(run)
    )
    group.add_command(click.command("export", short_help=short_help(export))(export))
