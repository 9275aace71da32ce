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
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TextIO

from secretsync_hooks import options, text
from secretsync_hooks.error_handler import guarded, report
from secretsync_hooks.errors import AwsUnavailableError, ExitCode, SecretSyncError
from secretsync_hooks.phrases import phrase
from secretsync_hooks.redact import Redactor

if TYPE_CHECKING:
    from secretsync_hooks.differ import Comparison
    from secretsync_hooks.targets import Target
    from secretsync_hooks.workspace import Workspace


def check_main(argv: Sequence[str] | None = None) -> int:
    """secretsync-check (pre-commit stage): fail when the .env has drifted from AWS."""
    return hook_guarded(argv, lambda: _check(argv, "secretsync-check", "git commit"))


def check_push_main(argv: Sequence[str] | None = None) -> int:
    """secretsync-check-push (pre-push stage): the same check before a push."""
    return hook_guarded(argv, lambda: _check(argv, "secretsync-check-push", "git push"))


def scan_main(argv: Sequence[str] | None = None) -> int:
    """secretsync-scan (pre-commit stage): fail when a staged file holds a real value."""
    return hook_guarded(argv, lambda: _scan(argv))


def _scan(argv: Sequence[str] | None) -> int:
    from secretsync_hooks.config import Overrides, load_config
    from secretsync_hooks.formatters import findings
    from secretsync_hooks.scanning import finder_for, scan

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
    args = parser.parse_args(argv)
    config = load_config(
        Overrides(config=args.config_path, environment=args.environment, env_file=args.env_file)
    )
    _REDACTOR.lower_min_length(config.scan_min_length)
    for warning in config.warnings:
        say(f"warning: {warning}")
    finder, count = finder_for(
        config,
        _REDACTOR,
        remote=args.remote,
        deadline=args.timeout,
        missing_ok=args.allow_empty,
    )
    if not finder and not args.allow_empty:
        raise SecretSyncError(
            f"no values to look for in {config.env_file}: none is at least [scan] min_length "
            f"({config.scan_min_length}) characters long, so the hook would pass anything",
            hint="If the project has no secrets yet, add --allow-empty to the hook's args.",
        )
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


def hook_guarded(argv: Sequence[str] | None, func: Callable[[], int]) -> int:
    """The CLI's error path for a hook: one message on stdout, no traceback unless --debug,
    exit 130 on Ctrl-C or SIGTERM."""
    args = list(sys.argv[1:] if argv is None else argv)
    return guarded(func, debug="--debug" in args, stream=sys.stdout, redact=_REDACTOR)


# One per hook process: every value read is registered here, every error report scrubbed.
_REDACTOR = Redactor()


def say(message: str) -> None:
    """One message on stdout (or, checking several targets at once, on this target's own
    buffer), control characters escaped.  Messages never hold values by construction; error
    reports go through the error handler, which also redacts."""
    print(text.clean(message), file=_stream())


# Checking several targets at once, each thread writes to its own buffer, printed in order.
_local = threading.local()


def _stream() -> TextIO:
    stream: TextIO | None = getattr(_local, "stream", None)
    return stream if stream is not None else sys.stdout


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
    from secretsync_hooks.targets import targets

    args = _parser(hook_id).parse_args(argv)
    skip = f"SKIP={hook_id} {git_command} ..."
    found = targets(
        args.config_path,
        args.environment or [],
        all_envs=args.all_envs,
        recursive=args.recursive,
    )
    if len(found) == 1:
        return _check_one(found[0], args, skip)
    return _check_at_once(found, args, skip)


def _check_at_once(found: list[Target], args: argparse.Namespace, skip: str) -> int:
    """Check every target in its own thread (each with its own AWS session), within one
    overall deadline, credentials included; print their reports in order; the worst exit
    code."""
    import time

    from secretsync_hooks.backends.aws import HOOK_DEADLINE, deadline_for, forget_shared_credentials

    seconds = args.timeout or deadline_for(HOOK_DEADLINE)
    until = time.monotonic() + seconds
    failed = _share_credentials(found, args, seconds)
    try:
        return _each_at_once(found, args, skip, seconds, until, failed)
    finally:
        forget_shared_credentials()


def _share_credentials(
    found: list[Target], args: argparse.Namespace, seconds: float
) -> dict[int, SecretSyncError]:
    """Resolve each profile's credentials once, before the threads start: with an MFA
    profile, one code then serves every target (each thread would ask for its own).  The
    targets whose profile could not be resolved, with why: they are reported as such, not
    tried again by each thread."""
    from secretsync_hooks.backends.aws import share_credentials
    from secretsync_hooks.config import Overrides, load_config

    profiles: dict[str | None, str | None] = {}
    of_target: dict[int, str | None] = {}
    for index, target in enumerate(found):
        try:
            config = load_config(
                Overrides(config=target.config or args.config_path, environment=target.environment)
            )
        except SecretSyncError:
            continue  # the target's own check reports it
        profiles.setdefault(config.profile, config.region)
        of_target[index] = config.profile
    failed = share_credentials(profiles, seconds)
    return {index: failed[profile] for index, profile in of_target.items() if profile in failed}


def _each_at_once(
    found: list[Target],
    args: argparse.Namespace,
    skip: str,
    seconds: float,
    until: float,
    failed: dict[int, SecretSyncError],
) -> int:
    import io
    import time

    reports: dict[int, tuple[int, str]] = {}
    left = max(until - time.monotonic(), 0.1)  # what the credentials left of the deadline

    def work(index: int, target: Target) -> None:
        _local.stream = io.StringIO()
        code = _check_one(target, args, skip, deadline=left)
        reports[index] = (code, _local.stream.getvalue())

    threads = [
        threading.Thread(target=work, args=(index, target), daemon=True)
        for index, target in enumerate(found)
        if index not in failed
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, until + _GRACE - time.monotonic()))
    codes = []
    for index, target in enumerate(found):
        if index in failed:
            code = _failed(failed[index], args, target, skip)
        elif index in reports:
            code, output = reports[index]
            sys.stdout.write(output)
        else:
            late = AwsUnavailableError(f"AWS did not answer within {seconds:g} s")
            code = _unavailable(late, args, target.label, skip)
        codes.append(code)
    return max(codes)


def _failed(exc: SecretSyncError, args: argparse.Namespace, target: Target, skip: str) -> int:
    """A target whose credentials could not be resolved, reported as its own check would."""
    if isinstance(exc, AwsUnavailableError):
        return _unavailable(exc, args, target.label, skip)
    prog = f"secretsync {target.label.strip()}" if target.label else "secretsync"
    return report(exc, debug=args.debug, prog=prog, stream=sys.stdout, redact=_REDACTOR)


# Beyond the deadline, how long to wait for a target's own deadline error to arrive.
_GRACE = 2.0


def _check_one(
    target: Target, args: argparse.Namespace, skip: str, *, deadline: float | None = None
) -> int:
    from secretsync_hooks.backends.aws import HOOK_DEADLINE, deadline_for
    from secretsync_hooks.config import Overrides, load_config
    from secretsync_hooks.sync import check

    label, environment = target.label, target.environment
    try:
        config = load_config(
            Overrides(
                config=target.config or args.config_path,
                environment=environment,
                env_file=args.env_file,
            )
        )
        _REDACTOR.lower_min_length(config.scan_min_length)
        for warning in config.warnings:
            say(f"secretsync: {label}warning: {warning}")
        deadline = deadline or args.timeout or deadline_for(HOOK_DEADLINE)
        workspace, comparison = check(
            config, _REDACTOR, keys_only=args.keys_only, deadline=deadline
        )
    except AwsUnavailableError as exc:
        return _unavailable(exc, args, label, skip)
    except Exception as exc:
        prog = f"secretsync {label.strip()}" if label else "secretsync"
        if isinstance(exc, SecretSyncError):
            phrase(exc, _target_args(target, args))
        return report(exc, debug=args.debug, prog=prog, stream=_stream(), redact=_REDACTOR)
    return _verdict(workspace, comparison, target, args, skip)


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
    from secretsync_hooks.formatters.hook import render_drift, render_in_sync

    label = target.label
    for warning in workspace.warnings:
        say(f"secretsync: {label}warning: {warning}")
    if comparison.in_sync:
        say(render_in_sync(workspace, comparison, label))
        return int(ExitCode.OK)
    say(render_drift(workspace, comparison, label, _target_args(target, args), skip=skip))
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
