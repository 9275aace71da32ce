"""The ``secretsync`` command line: a thin click front over the sync core.

Commands parse options, ask the core, hand the result to a formatter and return an exit code.
Heavy imports (boto3, rich) happen inside the commands that need them, so ``--help`` and
``--version`` stay fast enough for a git hook.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from secretsync_hooks import __version__
from secretsync_hooks.error_handler import guarded

F = TypeVar("F", bound=Callable[..., Any])

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def common_options(func: F) -> F:
    """Options every command takes: which config, environment, AWS profile and region."""
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
            "--profile", metavar="NAME", help="AWS profile (default: config, $AWS_PROFILE)."
        ),
        click.option("--region", metavar="REGION", help="AWS region (overrides config and env)."),
        click.option(
            "--env-file",
            type=click.Path(path_type=Path),
            help="The .env file (default: env_file from the config, else .env beside it).",
        ),
        click.option("--debug", is_flag=True, help="Show tracebacks (secret values still masked)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", "-V", prog_name="secretsync")
def cli() -> None:
    """Keep a local .env in agreement with AWS Secrets Manager or SSM Parameter Store.

    Exit codes: 0 in sync or done, 1 drift or refused, 2 error.
    """


@cli.command("config")
@common_options
def config_command(
    config_path: Path | None,
    environment: str | None,
    profile: str | None,
    region: str | None,
    env_file: Path | None,
    debug: bool,
) -> int:
    """Show the resolved settings, where each came from, and the .env's keys."""
    from secretsync_hooks.config import Overrides, load_config
    from secretsync_hooks.env_file import EnvFile

    config = load_config(
        Overrides(config_path, environment, region, profile, env_file),
    )
    for warning in config.warnings:
        click.echo(f"warning: {warning}", err=True)
    rows = [
        ("config", str(config.path), ""),
        ("environment", config.environment or "(top level)", config.source("environment")),
        ("backend", config.backend, config.source("backend")),
        ("target", config.target, config.source("target")),
        ("region", config.region or "(none)", config.source("region")),
        ("profile", config.profile or "(default chain)", config.source("profile")),
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
        click.echo(f"{'keys':<{width}}  {len(keys)}: {', '.join(keys)}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args

    def run() -> int:
        try:
            result = cli.main(args=args, prog_name="secretsync", standalone_mode=False)
        except click.exceptions.Abort:
            click.echo("Aborted.", err=True)
            return 1
        except click.ClickException as exc:
            exc.show()
            return exc.exit_code
        return result if isinstance(result, int) else 0

    return guarded(run, debug=debug)


if __name__ == "__main__":
    raise SystemExit(main())
