"""What every command receives: its options, typed, merged with those given before the
command name, and the helpers the commands share.  Below the group (``cli.main``) that
registers the commands: a command imports this, never the group."""

from __future__ import annotations

import dataclasses
import functools
import logging
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from secretsync_hooks.options import CONFIG as CONFIG_SPEC
from secretsync_hooks.options import DEBUG, ENV, ENV_FILE, SHOW_VALUES, TIMEOUT, Spec
from secretsync_hooks.redact import Redactor

if TYPE_CHECKING:
    from secretsync_hooks.config.settings import Config
    from secretsync_hooks.masking import ValuePolicy
    from secretsync_hooks.render.output import Output

F = TypeVar("F", bound=Callable[..., Any])

# Where to sync from: every command that reads the config takes these.
TARGET = (
    CONFIG_SPEC,
    ENV,
    Spec(
        ("--profile",),
        "profile",
        "AWS profile (default: $SECRETSYNC_PROFILE, the config, then the default chain, where "
        "environment credentials win over $AWS_PROFILE).",
        metavar="NAME",
    ),
    Spec(
        ("--no-profile",),
        "no_profile",
        "Ignore a profile named in the config: use the default credential chain (e.g. OIDC "
        "credentials in CI).",
        flag=True,
    ),
    Spec(("--region",), "region", "AWS region (overrides config and env).", metavar="REGION"),
    ENV_FILE,
)
FORMAT = Spec(
    ("--format",),
    "fmt",
    "table for people (the default), json (one document on stdout) for machines.",
    choices=("table", "json"),
)
# How to print a comparison: the commands that show one take these.
DISPLAY = (
    SHOW_VALUES,
    Spec(
        ("--color",),
        "color",
        "Colour output: auto (the default: on a terminal unless NO_COLOR is set), always, never.",
        choices=("auto", "always", "never"),
    ),
    Spec(("-q", "--quiet"), "quiet", "Print only errors and warnings.", flag=True),
    Spec(("-v", "--verbose"), "verbose", "Show unchanged keys and more detail.", flag=True),
)
GLOBAL = (*TARGET, FORMAT, *DISPLAY, TIMEOUT, DEBUG)
_TARGET_FLAGS = tuple((spec.flags[-1], spec.dest) for spec in TARGET)


@dataclasses.dataclass
class Options:
    """The options of one command, merged with those given before it: one typed field per
    option of any command (a command's own fields are set, the others keep their default)."""

    config_path: Path | None = None
    environment: str | None = None
    profile: str | None = None
    no_profile: bool = False
    region: str | None = None
    env_file: Path | None = None
    fmt: str | None = None
    show_values: bool = False
    color: str | None = None
    quiet: bool = False
    verbose: bool = False
    timeout: float | None = None
    debug: bool = False
    keys_only: bool = False
    remote: bool = False
    source: str | None = None
    redactor: Redactor = dataclasses.field(default_factory=Redactor)
    # The root's: the options of the command that runs (for the words of its errors).
    current: Options | None = None
    # The root's: the options given before the command name, by field.
    given: dict[str, Any] = dataclasses.field(default_factory=dict)
    # The command's name, and whether it printed its JSON document (--format json): an error
    # after that is not a second document.
    name: str = "secretsync"
    printed: bool = False

    @property
    def json(self) -> bool:
        return self.fmt == "json"

    def echo_document(self, document: dict[str, Any]) -> None:
        """Print the command's one JSON document (built by ``render.documents``)."""
        from secretsync_hooks.render.documents import dumps

        click.echo(dumps(document))
        self.printed = True

    def target_args(self) -> list[str]:
        """The options given that chose the target, as words for a command to paste:
        ``--config``, ``--env``, ``--env-file``, ``--region``, ``--profile``, ``--no-profile``."""
        words: list[str] = []
        for flag, name in _TARGET_FLAGS:
            value = getattr(self, name)
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
        from secretsync_hooks.config.settings import Overrides, load_config

        config = load_config(
            Overrides(
                config=self.config_path,
                environment=self.environment,
                region=self.region,
                profile=self.profile,
                env_file=self.env_file,
                no_profile=self.no_profile,
            )
        )
        self.redactor.lower_min_length(config.scan_min_length)
        if config.warnings:
            from secretsync_hooks.render.terminal import render_warnings

            # First, before anything can fail: a typo named here explains a later error.
            render_warnings(self.output(), list(config.warnings))
        return config

    def output(self) -> Output:
        from secretsync_hooks.render.output import Output

        return Output(self.color or "auto", args=self.target_args())

    def policy(
        self, config: Config, *, keys_only: bool = False, keys: Iterable[str] = ()
    ) -> ValuePolicy:
        """What may be shown; ``keys``: the keys whose values are about to be shown, which
        plain_keys may cover at most half of (see masking.check_plain_keys)."""
        from secretsync_hooks.masking import ValuePolicy, check_plain_keys

        if not keys_only and not self.show_values:
            check_plain_keys(config.path, config.plain_keys, keys)
        return ValuePolicy(self.show_values, config.plain_keys, no_values=keys_only)


_FIELDS = {field.name for field in dataclasses.fields(Options)}


def command_options(*specs: Spec) -> Callable[[F], F]:
    """Attach ``specs`` to a command; they arrive as one ``Options``, merged with the same
    options given before the command name."""
    for spec in specs:
        assert spec.dest in _FIELDS, f"Options has no field for {spec.dest}"

    def decorate(func: F) -> F:
        names = [spec.dest for spec in specs]

        @click.pass_context
        def wrapper(ctx: click.Context, /, **kwargs: Any) -> Any:
            root: Options = ctx.find_root().obj
            merged = _merge(ctx, root, {name: kwargs.pop(name) for name in names})
            given = {name: value for name, value in merged.items() if value is not None}
            opts = Options(**given, redactor=root.redactor, name=ctx.info_name or "secretsync")
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
    for name, value in root.given.items():
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


def short_help(func: Callable[..., object]) -> str:
    """A command's one-line summary: the first line of its docstring."""
    return (func.__doc__ or "").strip().splitlines()[0].rstrip(".")
