"""The leak-guard hook in ``.pre-commit-hooks.yaml``: ``secretsync-scan`` fails a commit when a
staged file (its content or its path) holds the value of a secret; the same core as
``secretsync scan --staged``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

from secretsync_hooks import options
from secretsync_hooks.errors import EnvFileMissing, SecretSyncError
from secretsync_hooks.hooks.common import REDACTOR, hook_guarded, say

if TYPE_CHECKING:
    from secretsync_hooks.config.settings import Config
    from secretsync_hooks.guard.needles import Finder


def scan_main(argv: Sequence[str] | None = None) -> int:
    """secretsync-scan (pre-commit stage): fail when a staged file holds a real value."""
    return hook_guarded(argv, lambda: _scan(argv))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="secretsync-scan",
        description="Fail when a staged file holds the value of a secret of the .env.",
    )
    for spec in (
        options.CONFIG,
        options.ENV,
        options.ENV_FILE,
        options.REMOTE,
        options.TIMEOUT,
        options.DEBUG,
    ):
        spec.argparse(parser)
    parser.add_argument(
        "--allow-empty",
        action="store_true",
        help="Pass when there is nothing to look for (no .env, or no value at least [scan] "
        "min_length long), e.g. a project with no secrets yet; without it that is an error.",
    )
    parser.add_argument("filenames", nargs="*", help="The staged files (pre-commit passes them).")
    return parser


def _scan(argv: Sequence[str] | None) -> int:
    from secretsync_hooks.config.settings import Overrides, load_config
    from secretsync_hooks.guard.scan import scan
    from secretsync_hooks.render import findings

    args = _parser().parse_args(argv)
    config = load_config(
        Overrides(config=args.config_path, environment=args.environment, env_file=args.env_file)
    )
    REDACTOR.lower_min_length(config.scan_min_length)
    for warning in config.warnings:
        say(f"warning: {warning}")
    finder, count = _finder(config, args)
    result = scan(config, finder, count, args.filenames, staged=True)
    # (a value in a path is masked where the finding is made)
    for line in findings.finding_lines(result) + findings.problem_lines(result):
        say(line)
    summary = findings.summary(result)
    if summary and (result.findings or result.unreadable):
        say(summary)
    if result.findings or result.unreadable:
        say("To commit anyway (not recommended): SKIP=secretsync-scan git commit ...")
    return findings.exit_code(result)


def _finder(config: Config, args: argparse.Namespace) -> tuple[Finder, int]:
    """What to look for; nothing to look for is an error unless --allow-empty (a typo in
    --env-file must not turn the hook off)."""
    from secretsync_hooks.guard.scan import finder_for

    try:
        finder, count = finder_for(
            config,
            REDACTOR,
            remote=args.remote,
            deadline=args.timeout,
            missing_ok=args.allow_empty,
        )
    except EnvFileMissing as exc:
        exc.hint = (
            f"{exc.hint}\nFor a checkout with no .env yet, add --allow-empty to the hook's args."
        )
        raise
    if not finder and not args.allow_empty:
        raise SecretSyncError(
            f"no values to look for in {config.env_file}: none is at least [scan] min_length "
            f"({config.scan_min_length}) characters long, so the hook would pass anything",
            hint="If the project has no secrets yet, add --allow-empty to the hook's args.",
        )
    return finder, count


if __name__ == "__main__":
    raise SystemExit(scan_main())
