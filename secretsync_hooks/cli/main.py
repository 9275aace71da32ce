"""The ``secretsync`` command line: a thin click front over the sync core.

Commands (in ``commands/``) parse options, ask the core, hand the result to a formatter and
return an exit code.  Options that say where to sync from and how to print are accepted before
the command too (``secretsync --env prod diff``), as ``git -C`` or ``aws --profile`` users
expect.  Heavy imports (botocore, rich) happen inside the commands, so ``--help`` and
``--version`` stay fast enough for a git hook.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from secretsync_hooks import __version__
from secretsync_hooks.cli.commands import (
    config,
    environments,
    guard,
    importing,
    init,
    keys,
    single,
    sync,
    timeline,
    use,
)
from secretsync_hooks.cli.context import GLOBAL, Options
from secretsync_hooks.error_handler import guarded
from secretsync_hooks.errors import ExitCode, SecretSyncError
from secretsync_hooks.render.phrases import phrase

F = TypeVar("F", bound=Callable[..., Any])

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


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
        code = guarded(
            run,
            debug="--debug" in ours,
            redact=state.redactor,
            phrase=words,
            document=lambda exc, code: _error_document(state.current, exc, code),
        )
        if standalone_mode:
            sys.exit(code)
        return code


def _error_document(opts: Options | None, exc: BaseException, code: int) -> None:
    """Under --format json, the error as the command's one document on stdout as well (a CI
    job piping stdout to jq, a kept report, learn why).  Not for a usage error (the command
    never ran), nor after the command printed its own document (a refused push says
    ``"refused": true``), nor for export, whose --format json is the values themselves."""
    if opts is None or not opts.json or opts.printed:
        return
    from secretsync_hooks.render import documents

    if opts.name not in documents.COMMANDS:
        return
    try:
        opts.echo_document(documents.error_document(opts.name, exc, code, opts.redactor))
        sys.stdout.flush()
    except (OSError, ValueError):
        pass  # stdout closed or full: the message on stderr stands


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
    ctx.obj.given.update(given)


def main(argv: Sequence[str] | None = None) -> int:
    return int(cli.main(argv, "secretsync", standalone_mode=False))


for group in (init, sync, single, keys, importing, use, guard, environments, timeline, config):
    group.register(cli)

__all__ = ["cli", "main"]

if __name__ == "__main__":
    raise SystemExit(main())
