"""``scan`` and ``redact``: the leak guard that knows the real values."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from secretsync_hooks import options
from secretsync_hooks.cli.context import FORMAT, TARGET, Options, command_options, short_help

if TYPE_CHECKING:
    from secretsync_hooks.guard.scan import Result

GUARD = (*TARGET, options.REMOTE, options.TIMEOUT, options.DEBUG)


@command_options(*GUARD, FORMAT)
@click.option(
    "--staged",
    is_flag=True,
    help="Scan what is going into the commit (the index), not the work tree.",
)
@click.argument("paths", nargs=-1, type=click.Path(), metavar="[PATH]...")
def scan(opts: Options, staged: bool, paths: tuple[str, ...]) -> int:
    """Find the real values of your secrets in files. Exit 1 if any is found.

    Looks for every value of the .env (--remote: and of AWS) of at least [scan] min_length
    characters, except plain_keys, as is, JSON-escaped, URL-encoded, base64 and line by
    line, in the files and in their paths. With no PATH: the files git knows, submodules' too
    (--staged: the staged changes, as the index holds them). Findings name the file, line,
    key and form, never the value. A line holding "secretsync: allow" is skipped.
    """
    from secretsync_hooks.guard.scan import finder_for
    from secretsync_hooks.guard.scan import scan as run_scan

    config = opts.load_config()
    finder, count = finder_for(
        config, opts.redactor, remote=bool(opts.remote), deadline=opts.timeout
    )
    result = run_scan(config, finder, count, paths, staged=staged)
    return report(opts, result)


def report(opts: Options, result: Result) -> int:
    """Findings on stdout, unreadable files and the summary on stderr; the exit code.  (A
    value in a path is masked where the finding is made: nothing to scrub here.)"""
    from secretsync_hooks.render import findings

    if opts.json:
        from secretsync_hooks.render.documents import scan_document

        opts.echo_document(scan_document(result))
    for line in findings.finding_lines(result) if not opts.json else []:
        click.echo(line)
    for line in findings.problem_lines(result):
        click.echo(line, err=True)
    summary = findings.summary(result)
    if summary and not opts.json:
        click.echo(summary, err=True)
    return findings.exit_code(result)


@command_options(*GUARD)
def redact(opts: Options) -> int:
    """Copy stdin to stdout with every secret value masked, as it flows.

    The same values and forms as scan (plain_keys are kept). A value split across reads is
    still masked; output is passed on as soon as it cannot be part of a value, so
    `make test 2>&1 | secretsync redact` stays live.
    """
    from secretsync_hooks.guard.redact_stream import pump
    from secretsync_hooks.guard.scan import finder_for

    config = opts.load_config()
    finder, _ = finder_for(config, opts.redactor, remote=bool(opts.remote), deadline=opts.timeout)
    if not finder:
        click.echo(
            "secretsync: warning: no values to mask (no .env here, or none at least [scan] "
            "min_length long): the input passes through unchanged; --remote adds AWS's values",
            err=True,
        )
    pump(sys.stdin.fileno(), sys.stdout.buffer, finder)
    return 0


def register(group: click.Group) -> None:
    group.add_command(click.command("scan", short_help=short_help(scan))(scan))
    group.add_command(click.command("redact", short_help=short_help(redact))(redact))
