"""Entry points for the pre-commit hooks in ``.pre-commit-hooks.yaml``.

Each is a ``main(argv) -> int`` that parses a few options and calls the same sync core as the
CLI; the output is plain text (pre-commit captures it, so there is no terminal to draw on).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Sequence
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

from secretsync_hooks import text
from secretsync_hooks.error_handler import guarded, report
from secretsync_hooks.errors import AwsUnavailableError, ConfigError, ExitCode

EXAMPLE_SUFFIXES = ("example", "sample", "template")


def check_main(argv: Sequence[str] | None = None) -> int:
    """secretsync-check (pre-commit stage): fail when the .env has drifted from AWS."""
    return _guarded(
        argv, lambda: _check(argv, hook_id="secretsync-check", git_command="git commit")
    )


def check_push_main(argv: Sequence[str] | None = None) -> int:
    """secretsync-check-push (pre-push stage): the same check before a push."""
    return _guarded(
        argv, lambda: _check(argv, hook_id="secretsync-check-push", git_command="git push")
    )


def _guarded(argv: Sequence[str] | None, func: Callable[[], int]) -> int:
    """The CLI's error path for a hook: one message on stdout (pre-commit shows it), no
    traceback unless --debug, exit 130 on Ctrl-C or SIGTERM."""
    args = list(sys.argv[1:] if argv is None else argv)
    return guarded(func, debug="--debug" in args, stream=sys.stdout)


def _check(argv: Sequence[str] | None, *, hook_id: str, git_command: str) -> int:
    parser = argparse.ArgumentParser(
        prog=hook_id, description="Fail when the local .env has drifted from AWS."
    )
    parser.add_argument(
        "--env",
        action="append",
        dest="environments",
        metavar="NAME",
        help="Environment to check; repeat for several (default: the top-level settings).",
    )
    parser.add_argument("--env-file", type=Path, help="The .env file to compare.")
    parser.add_argument("--keys-only", action="store_true", help="Compare key sets only.")
    parser.add_argument("--config", type=Path, help="Config file (default: .secretsync.toml).")
    parser.add_argument(
        "--on-error",
        choices=("fail", "warn"),
        default="fail",
        help="When AWS cannot be asked (no credentials, expired SSO, no network): fail the "
        "hook (default) or warn and let the commit through.",
    )
    parser.add_argument(
        "--timeout",
        type=_seconds,
        metavar="SECONDS",
        help="Give up asking AWS after this long in all, credentials and retries included "
        "(default: $SECRETSYNC_TIMEOUT, else 8).",
    )
    parser.add_argument("--debug", action="store_true", help="Show tracebacks.")
    args = parser.parse_args(argv)
    skip = f"SKIP={hook_id} {git_command} ..."
    return max(_check_one(name, args, skip) for name in (args.environments or [None]))


def _check_one(environment: str | None, args: argparse.Namespace, skip: str) -> int:
    from secretsync_hooks.backends.aws import HOOK_DEADLINE, seconds_from
    from secretsync_hooks.config import Overrides, load_config
    from secretsync_hooks.formatters.hook import render_drift, render_in_sync
    from secretsync_hooks.sync import open_workspace, record_if_in_sync

    label = f"[{environment}] " if environment else ""
    try:
        config = load_config(
            Overrides(config=args.config, environment=environment, env_file=args.env_file)
        )
        deadline = args.timeout or seconds_from(os.environ, "SECRETSYNC_TIMEOUT", HOOK_DEADLINE)
        workspace = open_workspace(config, deadline=deadline)
        comparison = workspace.compare(keys_only=args.keys_only)
        record_if_in_sync(workspace, comparison)
    except AwsUnavailableError as exc:
        reason = exc.message
        if args.on_error == "warn":
            _say(
                f"secretsync: {label}warning: AWS could not be asked ({reason}); "
                "not checked (--on-error warn)"
            )
            return int(ExitCode.OK)
        _say(f"secretsync: {label}AWS could not be asked: {reason}")
        if exc.hint:
            _say(exc.hint)
        _say(
            f"To go ahead anyway: {skip}  (or args: [--on-error, warn] in your "
            ".pre-commit-config.yaml)"
        )
        return int(ExitCode.ERROR)
    except Exception as exc:
        prog = f"secretsync [{environment}]" if environment else "secretsync"
        return report(exc, debug=args.debug, prog=prog, stream=sys.stdout)
    extra: list[str] = []
    if environment:
        extra += ["--env", environment]
    if args.env_file:
        extra += ["--env-file", str(args.env_file)]
    if comparison.in_sync:
        _say(render_in_sync(workspace, comparison, label))
        return int(ExitCode.OK)
    _say(render_drift(workspace, comparison, label, extra, skip=skip))
    return int(ExitCode.DRIFT)


def forbid_env_main(argv: Sequence[str] | None = None) -> int:
    """secretsync-forbid-env: fail when a .env file is staged for commit. No AWS involved."""
    return _guarded(argv, lambda: _forbid_env(argv))


def _forbid_env(argv: Sequence[str] | None) -> int:
    parser = argparse.ArgumentParser(
        prog="secretsync-forbid-env", description="Refuse to commit .env files."
    )
    parser.add_argument("filenames", nargs="*", help="Staged files (pre-commit passes them).")
    parser.add_argument(
        "--allow",
        action="append",
        default=[],
        metavar="PATTERN",
        help="A file name or glob that may be committed (besides .env.example, .env.sample, "
        ".env.template); repeatable.",
    )
    parser.add_argument("--config", type=Path, help="Config file (default: .secretsync.toml).")
    args = parser.parse_args(argv)
    configured, warning = _configured_env_files(args.config)
    if warning:
        _say(f"secretsync: warning: {warning}")
    blocked = [
        name
        for name in args.filenames
        if _is_env_file(name, args.allow) or _normalise(name) in configured
    ]
    if not blocked:
        return int(ExitCode.OK)
    _say("secretsync: refusing to commit .env files; they hold secrets:")
    for name in blocked:
        _say(f"  {text.shown(name)}")
    quoted = " ".join(_shell_quote(name) for name in blocked)
    _say("Unstage them and keep them out of git:")
    _say(f"  git rm --cached -- {quoted}")
    _say("  printf '.env\\n.env.*\\n!.env.example\\n' >> .gitignore")
    _say("An example file? Name it .env.example, or allow it: args: [--allow, NAME]")
    return int(ExitCode.DRIFT)


def _is_env_file(name: str, allowed: Sequence[str]) -> bool:
    """Whether ``name`` is a .env file: ``.env``, ``.env.*``, ``.env-*``, ``.env~``,
    ``*.env`` in any case (temporary copies secretsync writes included), except examples
    (``.env.example``, ``.env.sample``, ``.env.template``, ``example.env``) and ``allowed``."""
    path = _normalise(name)
    base = PurePosixPath(path).name
    if any(fnmatchcase(base, pattern) or fnmatchcase(path, pattern) for pattern in allowed):
        return False
    lower = base.lower()
    if not (
        lower == ".env"
        or lower.startswith((".env.", ".env-", ".env_", ".env~"))
        or lower.endswith((".env", ".env~"))
    ):
        return False
    parts = re.split(r"[.\-_~]", lower)
    return not any(part in EXAMPLE_SUFFIXES for part in parts)


def _configured_env_files(config_path: Path | None) -> tuple[set[str], str | None]:
    """The env files of every environment in the config, relative to the work tree root."""
    from secretsync_hooks.config import Overrides, find_config, load_config

    path = config_path or find_config(Path.cwd())
    if path is None:
        return set(), None
    try:
        top = load_config(Overrides(config=path))
        configs = [top] + [
            load_config(Overrides(config=path, environment=name)) for name in top.environments
        ]
    except ConfigError as exc:
        return set(), f"{exc.message}; checking .env names only"
    root = Path.cwd().resolve()
    names = set()
    for config in configs:
        try:
            names.add(config.env_file.resolve().relative_to(root).as_posix())
        except ValueError:
            continue  # outside this work tree: git cannot stage it
    return names, None


def _seconds(raw: str) -> float:
    import math

    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{raw!r} must be a finite number of seconds above 0")
    return value


def _say(message: str) -> None:
    """One message on stdout (pre-commit shows it), control characters escaped.  Messages
    never hold values by construction (error reports go through the error handler, which
    also redacts)."""
    print(text.clean(message))


def _normalise(name: str) -> str:
    return PurePosixPath(name.replace("\\", "/")).as_posix().removeprefix("./")


def _shell_quote(name: str) -> str:
    import shlex

    return shlex.quote(name)


if __name__ == "__main__":
    raise SystemExit(check_main())
