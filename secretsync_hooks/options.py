"""The options the CLI and the hooks share, defined once: the click CLI and the argparse hooks
(which stay free of click's start-up cost on every commit) are both built from these."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any, NamedTuple


class Spec(NamedTuple):
    flags: tuple[str, ...]
    dest: str
    help: str
    metavar: str | None = None
    flag: bool = False  # takes no value
    choices: tuple[str, ...] | None = None
    kind: type = str

    def click(self, **overrides: Any) -> Any:
        """This option as a click decorator (no default: the command decides)."""
        import click

        kwargs: dict[str, Any] = {"help": self.help, "default": None}
        if self.flag:
            kwargs.update(is_flag=True, default=False)
        elif self.choices:
            kwargs["type"] = click.Choice(self.choices)
        elif self.kind is Path:
            kwargs["type"] = click.Path(path_type=Path)
        elif self.kind is float:
            kwargs.update(type=float, callback=_click_seconds)
        if self.metavar:
            kwargs["metavar"] = self.metavar
        kwargs.update(overrides)
        return click.option(*self.flags, self.dest, **kwargs)

    def argparse(self, parser: argparse.ArgumentParser, *, repeat: bool = False) -> None:
        """Add this option to ``parser`` (``repeat``: may be given several times)."""
        kwargs: dict[str, Any] = {"help": self.help, "dest": self.dest}
        if self.flag:
            kwargs["action"] = "store_true"
        else:
            kwargs["metavar"] = self.metavar
            if self.choices:
                kwargs["choices"] = self.choices
            kwargs["type"] = seconds if self.kind is float else self.kind
        if repeat:
            kwargs["action"] = "append"
            kwargs["help"] = f"{self.help} Repeat to check several."
        parser.add_argument(*self.flags, **kwargs)


def seconds(raw: str) -> float:
    """A number of seconds, finite and above 0 (argparse type)."""
    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{raw!r} must be a finite number of seconds above 0")
    return value


def _click_seconds(ctx: Any, param: Any, value: float | None) -> float | None:
    import click

    if value is None:
        return None
    try:
        return seconds(str(value))
    except argparse.ArgumentTypeError as exc:
        raise click.BadParameter(str(exc)) from None


CONFIG = Spec(
    ("--config",),
    "config_path",
    "Config file (default: the nearest .secretsync.toml up to the git root).",
    metavar="PATH",
    kind=Path,
)
ENV = Spec(
    ("--env",),
    "environment",
    "Named environment from [environments.NAME] (default: $SECRETSYNC_ENV, else the top level).",
    metavar="NAME",
)
ENV_FILE = Spec(
    ("--env-file",),
    "env_file",
    "The .env file, anywhere (default: $SECRETSYNC_ENV_FILE, else env_file from the config, "
    "else .env beside it).",
    metavar="PATH",
    kind=Path,
)
KEYS_ONLY = Spec(
    ("--keys-only",),
    "keys_only",
    "Compare key names only (a changed value counts as unchanged), e.g. for .env.example; "
    "no values are shown.",
    flag=True,
)
TIMEOUT = Spec(
    ("--timeout",),
    "timeout",
    "Give up asking AWS after this many seconds in all, credentials and retries included "
    "(default: $SECRETSYNC_TIMEOUT, else 15 for commands and 8 for hooks).",
    metavar="SECONDS",
    kind=float,
)
SHOW_VALUES = Spec(
    ("--show-values",), "show_values", "Show secret values instead of masking them.", flag=True
)
REMOTE = Spec(
    ("--remote",),
    "remote",
    "Also look for the remote's values (one read of AWS).",
    flag=True,
)
DEBUG = Spec(
    ("--debug",),
    "debug",
    "Show tracebacks (known values masked).",
    flag=True,
)
ON_ERROR = Spec(
    ("--on-error",),
    "on_error",
    "When AWS cannot be asked (no credentials, expired SSO, no network, the deadline): fail "
    "(the default) or warn and let the commit through. Drift and bad data always fail.",
    choices=("fail", "warn"),
)
