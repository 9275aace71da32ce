"""The drift-check hooks in ``.pre-commit-hooks.yaml``: ``secretsync-check`` (commit) and
``secretsync-check-push`` (push).

Each is a ``main(argv) -> int`` that parses a few options (the same definitions as the CLI's)
and calls the same sync core as ``secretsync diff``; the output is plain text on stdout
(pre-commit shows it; there is no terminal to draw on), through the same error path as the
CLI.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from secretsync_hooks import options
from secretsync_hooks.error_handler import report
from secretsync_hooks.errors import AwsUnavailableError, ExitCode, SecretSyncError
from secretsync_hooks.hooks.common import REDACTOR, hook_guarded, say
from secretsync_hooks.render.phrases import phrase, with_args

if TYPE_CHECKING:
    from secretsync_hooks.sync.differ import Comparison
    from secretsync_hooks.sync.runner import Checked
    from secretsync_hooks.sync.targets import Target
    from secretsync_hooks.sync.workspace import Workspace


def check_main(argv: Sequence[str] | None = None) -> int:
    """secretsync-check (pre-commit stage): fail when the .env has drifted from AWS."""
    return hook_guarded(argv, lambda: _check(argv, "secretsync-check", "git commit"))


def check_push_main(argv: Sequence[str] | None = None) -> int:
    """secretsync-check-push (pre-push stage): the same check before a push."""
    return hook_guarded(argv, lambda: _check(argv, "secretsync-check-push", "git push"))


def _parser(hook_id: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=hook_id, description="Fail when the local .env has drifted from AWS."
    )
    options.ENV.argparse(parser, repeat=True)
    parser.add_argument(
        "--all-envs",
        action="store_true",
        help="Check every environment of the config (the top level too, if it names its own "
        "remote), several at once.",
    )
    parser.add_argument(
        "--recursive",
        action="store_true",
        help="Check every .secretsync.toml tracked in the repository, each with its own .env.",
    )
    options.ENV_FILE.argparse(parser)
    options.KEYS_ONLY.argparse(parser)
    options.CONFIG.argparse(parser)
    options.ON_ERROR.argparse(parser)
    options.TIMEOUT.argparse(parser)
    options.DEBUG.argparse(parser)
    return parser


def _check(argv: Sequence[str] | None, hook_id: str, git_command: str) -> int:
    from secretsync_hooks.config.settings import Overrides
    from secretsync_hooks.remote.aws import HOOK_DEADLINE, deadline_for
    from secretsync_hooks.sync.runner import check_targets
    from secretsync_hooks.sync.targets import targets

    args = _parser(hook_id).parse_args(argv)
    skip = f"SKIP={hook_id} {git_command} ..."
    found = targets(
        args.config_path,
        args.environment or [],
        all_envs=args.all_envs,
        recursive=args.recursive,
    )

    def settings(target: Target) -> Overrides:
        config = target.config or args.config_path
        return Overrides(config=config, environment=target.environment, env_file=args.env_file)

    seconds = args.timeout or deadline_for(HOOK_DEADLINE)
    results = check_targets(found, settings, REDACTOR, keys_only=args.keys_only, seconds=seconds)
    return max(
        max(_report(result, args, skip), _contract(result, args, skip)) for result in results
    )


def _report(result: Checked, args: argparse.Namespace, skip: str) -> int:
    """One target's check, in the hook's words; its exit code."""
    target, label = result.target, result.target.label
    for warning in result.config.warnings if result.config else ():
        say(with_args(f"secretsync: {label}warning: {warning}", _target_args(target, args)))
    error = result.error
    if isinstance(error, AwsUnavailableError):
        return _unavailable(error, args, label, skip)
    if error is not None:
        prog = f"secretsync {label.strip()}" if label else "secretsync"
        if isinstance(error, SecretSyncError):
            phrase(error, _target_args(target, args))
        return report(error, debug=args.debug, prog=prog, stream=sys.stdout, redact=REDACTOR)
    assert result.workspace is not None and result.comparison is not None
    return _verdict(result.workspace, result.comparison, target, args, skip)


def _unavailable(exc: AwsUnavailableError, args: argparse.Namespace, label: str, skip: str) -> int:
    if args.on_error == "warn":
        say(
            f"secretsync: {label}warning: AWS could not be asked ({exc.message}); "
            "not checked (--on-error warn)"
        )
        return int(ExitCode.OK)
    say(f"secretsync: {label}AWS could not be asked: {exc.message}")
    if exc.hint:
        say(exc.hint)
    say(
        f"To go ahead anyway: {skip}  (or args: [--on-error, warn] in your .pre-commit-config.yaml)"
    )
    return int(ExitCode.ERROR)


def _verdict(
    workspace: Workspace,
    comparison: Comparison,
    target: Target,
    args: argparse.Namespace,
    skip: str,
) -> int:
    from secretsync_hooks.render.hook import render_drift, render_in_sync

    label = target.label
    for warning in workspace.warnings:
        say(with_args(f"secretsync: {label}warning: {warning}", _target_args(target, args)))
    if comparison.in_sync:
        say(render_in_sync(workspace, comparison, label))
        return int(ExitCode.OK)
    say(render_drift(workspace, comparison, label, _target_args(target, args), skip=skip))
    return int(ExitCode.DRIFT)


def _contract(result: Checked, args: argparse.Namespace, skip: str) -> int:
    """The .env against the key contract, said apart from drift, with no AWS call: whether
    AWS answered or not.  (A key-names-only check of an example file has placeholders, not
    values, to check; a .env that cannot be read is the check's own error.)"""
    from secretsync_hooks.local.env_file import EnvFile
    from secretsync_hooks.render.hook import render_broken

    config = result.config
    if args.keys_only or config is None or not config.contract:
        return int(ExitCode.OK)
    if result.workspace is not None:
        values = result.workspace.local.values()
    else:
        try:
            values = EnvFile.load(config.env_file, missing_ok=True).values()
        except SecretSyncError:
            return int(ExitCode.OK)
        REDACTOR.register(values.values())
    broken = config.contract.check(values)
    if not broken:
        return int(ExitCode.OK)
    target = result.target
    say(render_broken(config, broken, target.label, _target_args(target, args), skip=skip))
    return int(ExitCode.DRIFT)


def _target_args(target: Target, args: argparse.Namespace) -> list[str]:
    """The options that chose ``target``, for the commands a message proposes."""
    config = target.config or args.config_path
    extra = ["--config", str(config)] if config else []
    extra += ["--env", target.environment] if target.environment else []
    if args.env_file:
        extra += ["--env-file", str(args.env_file)]
    return extra


if __name__ == "__main__":
    raise SystemExit(check_main())
