"""The ``secretsync`` command line: a thin click front over the sync core.

Commands (in ``commands/``) parse options, ask the core, hand the result to a formatter and
return an exit code.  Options that say where to sync from and how to print are accepted before
the command too (``secretsync --env prod diff``), as ``git -C`` or ``aws --profile`` users
expect.  Heavy imports (botocore, rich) happen inside the commands, so ``--help`` and
``--version`` stay fast enough for a git hook.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import click

from secretsync_hooks import __version__, options
from secretsync_hooks.error_handler import guarded
from secretsync_hooks.errors import ExitCode, SecretSyncError
from secretsync_hooks.phrases import phrase
from secretsync_hooks.redact import Redactor

if TYPE_CHECKING:
    from secretsync_hooks.config import Config
    from secretsync_hooks.formatters.output import Output
    from secretsync_hooks.masking import ValuePolicy

F = TypeVar("F", bound=Callable[..., Any])

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

# Where to sync from: every command that reads the config takes these.
TARGET = (
    options.CONFIG,
    options.ENV,
    options.Spec(
        ("--profile",),
        "profile",
        "AWS profile (default: $SECRETSYNC_PROFILE, the config, then the default chain, where "
        "environment credentials win over $AWS_PROFILE).",
        metavar="NAME",
    ),
    options.Spec(
        ("--no-profile",),
        "no_profile",
        "Ignore a profile named in the config: use the default credential chain (e.g. OIDC "
        "credentials in CI).",
        flag=True,
    ),
    options.Spec(
        ("--region",), "region", "AWS region (overrides config and env).", metavar="REGION"
    ),
    options.ENV_FILE,
)
FORMAT = options.Spec(
    ("--format",),
    "fmt",
    "table for people (the default), json (one document on stdout) for machines.",
    choices=("table", "json"),
)
# How to print a comparison: the commands that show one take these.
DISPLAY = (
    options.SHOW_VALUES,
    options.Spec(
        ("--color",),
        "color",
        "Colour output: auto (the default: on a terminal unless NO_COLOR is set), always, never.",
        choices=("auto", "always", "never"),
    ),
    options.Spec(("-q", "--quiet"), "quiet", "Print only errors and warnings.", flag=True),
    options.Spec(("-v", "--verbose"), "verbose", "Show unchanged keys and more detail.", flag=True),
)
GLOBAL = (*TARGET, FORMAT, *DISPLAY, options.TIMEOUT, options.DEBUG)
_TARGET_FLAGS = tuple((spec.flags[-1], spec.dest) for spec in TARGET)
_DEFAULTS = {"fmt": "table", "color": "auto"}


@dataclass
class Options:
    """The options of one command, merged with those given before it."""

    values: dict[str, Any] = field(default_factory=dict)
    redactor: Redactor = field(default_factory=Redactor)
    # The root's: the options of the command that runs (for the words of its errors).
    current: Options | None = None

    def __getattr__(self, name: str) -> Any:
        values = self.__dict__.get("values", {})
        if name in values:
            return values[name]
        if name in _DEFAULTS:
            return _DEFAULTS[name]
        if name in {spec.dest for spec in GLOBAL}:
            return None
        raise AttributeError(name)

    @property
    def json(self) -> bool:
        return bool(self.fmt == "json")

    def target_args(self) -> list[str]:
        """The options given that chose the target, as words for a command to paste:
        ``--config``, ``--env``, ``--env-file``, ``--region``, ``--profile``, ``--no-profile``."""
        values = self.__dict__.get("values", {})
        words: list[str] = []
        for flag, name in _TARGET_FLAGS:
            value = values.get(name)
            if value is True:
                words.append(flag)
            elif value not in (None, False):
                words += [flag, str(value)]
        return words

    @property
    def can_prompt(self) -> bool:
        """Whether a yes/no question can be asked: a person at a terminal, not JSON, a
        script, a hook or CI (there, what needs consent needs --force)."""
        return not self.json and sys.stdin.isatty() and sys.stdout.isatty()

    def load_config(self) -> Config:
        from secretsync_hooks.config import Overrides, load_config

        config = load_config(
            Overrides(
                config=self.config_path,
                environment=self.environment,
                region=self.region,
                profile=self.profile,
                env_file=self.env_file,
                no_profile=bool(self.no_profile),
            )
        )
        self.redactor.lower_min_length(config.scan_min_length)
        if config.warnings:
            from secretsync_hooks.formatters.terminal import render_warnings

            # First, before anything can fail: a typo named here explains a later error.
            render_warnings(self.output(), list(config.warnings))
        return config

    def output(self) -> Output:
        from secretsync_hooks.formatters.output import Output

        return Output(self.color or "auto")

    def policy(
        self, config: Config, *, keys_only: bool = False, keys: Iterable[str] = ()
    ) -> ValuePolicy:
        """What may be shown; ``keys``: the keys whose values are about to be shown, which
        plain_keys may cover at most half of (see masking.check_plain_keys)."""
        from secretsync_hooks.masking import ValuePolicy, check_plain_keys

        if not keys_only and not self.show_values:
            check_plain_keys(config.path, config.plain_keys, keys)
        return ValuePolicy(bool(self.show_values), config.plain_keys, no_values=keys_only)


def command_options(*specs: options.Spec) -> Callable[[F], F]:
    """Attach ``specs`` to a command; they arrive as one ``Options``, merged with the same
    options given before the command name."""

    def decorate(func: F) -> F:
        names = [spec.dest for spec in specs]

        @click.pass_context
        def wrapper(ctx: click.Context, /, **kwargs: Any) -> Any:
            root: Options = ctx.find_root().obj
            merged = _merge(ctx, root, {name: kwargs.pop(name) for name in names})
            opts = Options(merged, root.redactor)
            root.current = opts
            _setup_logging(opts)
            return func(opts, **kwargs)

        functools.update_wrapper(wrapper, func)
        decorated: Any = wrapper
        for spec in reversed(specs):
            decorated = spec.click()(decorated)
        return decorated  # type: ignore[no-any-return]

    return decorate


def _merge(ctx: click.Context, root: Options, given: dict[str, Any]) -> dict[str, Any]:
    merged = dict(given)
    for name, value in root.values.items():
        if value in (None, False):
            continue
        if name not in given:
            flag = next(spec.flags[-1] for spec in GLOBAL if spec.dest == name)
            raise click.UsageError(f"{flag} does not apply to `secretsync {ctx.info_name}`")
        if given[name] in (None, False):
            merged[name] = value
    return merged


def _setup_logging(opts: Options) -> None:
    if not (opts.debug or opts.verbose):
        return
    # secretsync's own log lines are composed from names (keys, paths, counts), never values,
    # and printed as written; only botocore's could quote one, and they are not shown.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("secretsync: %(levelname)s: %(message)s"))
    logger = logging.getLogger("secretsync")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG if opts.debug else logging.INFO)
    logger.propagate = False


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
        state = Options()

        def run() -> int:
            try:
                result = super(_Cli, self).main(
                    argv,
                    prog_name or "secretsync",
                    complete_var,
                    standalone_mode=False,
                    obj=state,
                    **extra,
                )
            except click.exceptions.Abort:
                raise KeyboardInterrupt from None  # Ctrl-C (or end of input) at a prompt
            except click.ClickException as exc:
                exc.show()
                return int(ExitCode.ERROR)
            return result if isinstance(result, int) else 0

        def words(exc: SecretSyncError) -> None:
            phrase(exc, (state.current or state).target_args())

        # --debug is secretsync's only before `--` (after it, the words are run's command's)
        ours = argv[: argv.index("--")] if "--" in argv else argv
        code = guarded(run, debug="--debug" in ours, redact=state.redactor, phrase=words)
        if standalone_mode:
            sys.exit(code)
        return code


def _global_options(func: F) -> F:
    decorated: Any = func
    for spec in reversed(GLOBAL):
        decorated = spec.click()(decorated)
    return decorated  # type: ignore[no-any-return]


@click.group(cls=_Cli, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", "-V", prog_name="secretsync")
@_global_options
@click.pass_context
def cli(ctx: click.Context, /, **given: Any) -> None:
    """Keep a local .env in agreement with AWS Secrets Manager or SSM Parameter Store.

    Values are masked unless --show-values. Exit codes: 0 in sync or done, 1 drift or refused,
    2 error, 130 interrupted. Options before the command apply to it: secretsync --env prod
    diff.
    """
    ctx.obj.values.update(given)


def main(argv: Sequence[str] | None = None) -> int:
    return int(cli.main(argv, "secretsync", standalone_mode=False))


from secretsync_hooks.commands import (  # noqa: E402
    config_commands,
    env_commands,
    guard_commands,
    sync_commands,
    time_commands,
    use_commands,
)

sync_commands.register(cli)
use_commands.register(cli)
guard_commands.register(cli)
env_commands.register(cli)
time_commands.register(cli)
config_commands.register(cli)

__all__ = ["Options", "cli", "command_options", "main"]

if __name__ == "__main__":
    raise SystemExit(main())
