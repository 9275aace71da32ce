"""``init``: set a project up in one step, asking on a terminal for what is missing."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from secretsync_hooks import options, text
from secretsync_hooks.cli.context import TARGET, Options, command_options, short_help
from secretsync_hooks.errors import ConfigError, ExitCode, SecretSyncError

if TYPE_CHECKING:
    from secretsync_hooks.setup.init import Choices, Done

_PROFILE = tuple(spec for spec in TARGET if spec.dest == "profile")
BACKENDS = ("secrets_manager", "parameter_store")


@command_options(*_PROFILE, options.TIMEOUT, options.DEBUG)
@click.option("--backend", type=click.Choice(BACKENDS), help="Where the values live.")
@click.option("--name", metavar="SECRET", help="The secret's name (secrets_manager).")
@click.option("--path", "ps_path", metavar="/PATH/", help="The parameter path (parameter_store).")
@click.option(
    "--region", metavar="REGION", help="AWS region (default: the environment's or the profile's)."
)
@click.option(
    "--env-file",
    "env_name",
    default=".env",
    show_default=True,
    metavar="NAME",
    help="The .env file, in this folder.",
)
@click.option("--no-hooks", is_flag=True, help="Leave .pre-commit-config.yaml alone.")
def init(
    opts: Options,
    backend: str | None,
    name: str | None,
    ps_path: str | None,
    region: str | None,
    env_name: str,
    no_hooks: bool,
) -> int:
    """Set a project up: .secretsync.toml, .gitignore, the pre-commit hooks.

    Writes the config here (never over one), makes git ignore the .env files while
    .env.example stays tracked, adds secretsync's hooks to .pre-commit-config.yaml pinned at
    this version's tag, makes an existing .env private (0600), then reads the remote once
    and says what to run next. On a terminal it asks for what is missing; elsewhere a
    missing option is an error and nothing is written.
    """
    from secretsync_hooks.setup.init import initialise

    choices = _choices(opts, backend, name, ps_path, region, env_name)
    from secretsync_hooks.release import release_tag

    done = initialise(Path.cwd(), choices, hooks=not no_hooks, rev=release_tag())
    _report(opts, done)
    return int(ExitCode.OK)


def _choices(
    opts: Options,
    backend: str | None,
    name: str | None,
    ps_path: str | None,
    region: str | None,
    env_name: str,
) -> Choices:
    from secretsync_hooks.setup.init import Choices

    ask = sys.stdin.isatty() and sys.stdout.isatty()
    if name and ps_path:
        raise ConfigError("--name and --path name two places: give the one of your backend")
    backend = backend or ("secrets_manager" if name else "parameter_store" if ps_path else None)
    if (backend == "secrets_manager" and ps_path) or (backend == "parameter_store" and name):
        wrong = "--path" if ps_path else "--name"
        raise ConfigError(f"{wrong} does not go with --backend {backend}")
    from secretsync_hooks.config.settings import ambient_region

    ambient = ambient_region(os.environ, opts.profile)
    if ask:
        folder = Path.cwd().name or "app"
        backend = backend or click.prompt(
            "Backend", type=click.Choice(BACKENDS), default=BACKENDS[0], err=True
        )
        if backend == "secrets_manager":
            name = name or click.prompt("Secret name", default=f"{folder}/production", err=True)
        else:
            ps_path = ps_path or click.prompt(
                "Parameter path", default=f"/{folder}/production/", err=True
            )
        region = region or click.prompt("AWS region", default=ambient, err=True)
    region = region or ambient
    missing = [
        flag
        for flag, value in (
            ("--backend", backend),
            ("--name" if backend != "parameter_store" else "--path", name or ps_path),
            ("--region", region),
        )
        if not value
    ]
    if missing:
        raise ConfigError(
            f"init needs {_and(missing)}, and there is no terminal to ask on; nothing was written",
            hint="secretsync init --backend secrets_manager --name myapp/production --region "
            "us-east-1",
        )
    assert backend and region
    return Choices(backend, str(name or ps_path), region, env_name, opts.profile)


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _report(opts: Options, done: Done) -> None:
    config = done.config
    say = click.echo
    say(f"Wrote {config.path.name}: {config.remote_name} in {config.region}.")
    ignored = done.ignored
    if ignored is not None and ignored.added:
        say(f"{ignored.path.name}: added {', '.join(ignored.added)}.")
    elif ignored is not None:
        say(f"{ignored.path.name}: git already ignores the .env files and keeps .env.example.")
    if ignored is not None and ignored.unsolved:
        _warn(
            f"git still gets {text.keys(ignored.unsolved)} wrong: a rule elsewhere (a "
            "parent .gitignore, .git/info/exclude, core.excludesFile) decides; see "
            "`git check-ignore -v NAME`"
        )
    _report_hooks(done)
    if done.private:
        say(f"{config.env_file.name}: mode 0600 (it was readable by others).")
    for note in done.notes:
        _warn(note)
    _report_remote(opts, config)


def _report_hooks(done: Done) -> None:
    hooked = done.hooked
    if hooked is None:
        return
    if hooked.done == "present":
        click.echo(f"{hooked.path.name}: secretsync's hooks are there already.")
    elif hooked.done in ("written", "extended"):
        verb = "written" if hooked.done == "written" else "extended"
        click.echo(f"{hooked.path.name}: {verb} with secretsync's hooks; run `pre-commit install`.")
    else:
        _warn(
            f"{hooked.path.name} was left as it is: {hooked.reason}. Add under `repos:`:\n"
            + hooked.entry.rstrip("\n")
        )


def _report_remote(opts: Options, config: object) -> None:
    from secretsync_hooks.config.settings import Config
    from secretsync_hooks.setup.init import read_state

    assert isinstance(config, Config)
    from secretsync_hooks.errors import AwsUnavailableError

    try:
        state = read_state(config, opts.redactor, opts.timeout)
    except AwsUnavailableError as exc:
        _warn(f"AWS could not be asked: {exc.message}")
        click.echo("Next: `secretsync status` once AWS can be asked.")
        return
    except SecretSyncError as exc:
        _warn(f"{config.remote_name} could not be read: {exc.message}")
        click.echo("Next: `secretsync status` says more.")
        return
    has_env = config.env_file.is_file()
    if state.exists:
        click.echo(
            f"{config.remote_name} exists in {config.region}, with {text.count(state.keys, 'key')}."
        )
        step = (
            "`secretsync diff` compares it with your .env"
            if has_env
            else (f"`secretsync pull` writes them into {config.env_file.name}")
        )
    else:
        click.echo(f"{config.remote_name} does not exist in {config.region} yet.")
        step = (
            "`secretsync push` creates it from your .env"
            if has_env
            else (f"put your settings in {config.env_file.name}, then `secretsync push` creates it")
        )
    click.echo(f"Next: {step}.")


def _relative(path: Path) -> str:
    try:
        return text.shown(str(path.relative_to(Path.cwd().resolve())))
    except ValueError:
        return text.shown(str(path))


def _warn(message: str) -> None:
    click.echo(text.clean(f"secretsync: warning: {message}"), err=True)


def register(group: click.Group) -> None:
    group.add_command(click.command("init", short_help=short_help(init))(init))
