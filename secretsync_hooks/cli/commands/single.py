"""``get``, ``set`` and ``unset``: one key at a time.  ``set`` takes the value from stdin or a
hidden prompt, never from the command line (shell history and process lists keep it)."""

from __future__ import annotations

import sys

import click

from secretsync_hooks import options, text
from secretsync_hooks.cli.context import DISPLAY, TARGET, Options, command_options, short_help
from secretsync_hooks.errors import ExitCode, SecretSyncError
from secretsync_hooks.options import Spec

SOURCE = Spec(
    ("--source",),
    "source",
    "remote: the value in AWS (the default; read once), local: the .env's (no AWS call).",
    choices=("remote", "local"),
)
_FORCE = click.option(
    "--force",
    is_flag=True,
    help="Create the remote in another region than the config names (refused otherwise).",
)
_ALLOW_TRACKED = click.option(
    "--allow-tracked",
    is_flag=True,
    help="Write into the .env even though git tracks it (refused otherwise: the next commit "
    "would publish the secrets).",
)
_QUIET = next(spec for spec in DISPLAY if spec.dest == "quiet")
# A value on the command line is refused, not taken: these catch it to say so.
_REFUSED_VALUE = click.argument("value", nargs=-1, required=False, metavar="")


@command_options(*TARGET, SOURCE, options.TIMEOUT, options.DEBUG)
@click.argument("key")
def get(opts: Options, key: str) -> int:
    """Print one key's value: exit 0, or 1 when the key is absent.

    The value exactly as stored, followed by a newline only on a terminal, so that
    `secretsync get KEY > file` holds the value byte for byte.
    """
    from secretsync_hooks.sync.single import get_value

    config = opts.load_config()
    remote = (opts.source or "remote") == "remote"
    value = get_value(config, opts.redactor, key, remote=remote, deadline=opts.timeout)
    out = sys.stdout
    out.write(value + ("\n" if out.isatty() else ""))
    out.flush()
    return int(ExitCode.OK)


@command_options(*TARGET, _QUIET, options.TIMEOUT, options.DEBUG)
@_FORCE
@_ALLOW_TRACKED
@click.argument("key")
@_REFUSED_VALUE
def set_(opts: Options, key: str, value: tuple[str, ...], force: bool, allow_tracked: bool) -> int:
    """Set one key in AWS and in the .env, reading the value from stdin.

    Pipe the value in (printf '%s' "$TOKEN" | secretsync set API_TOKEN; one trailing newline
    is dropped), or type it at the hidden prompt on a terminal. Only that key changes: in AWS
    through the same compare-and-swap as push (a teammate's newer value of any other key
    stays), in the .env in place; the record of the last sync says both sides agree on it.
    """
    from secretsync_hooks.sync.single import set_value

    _refuse_a_value_in_argv(key, value, "set")
    config = opts.load_config()
    given = _read_value(key)
    changed = set_value(
        config,
        opts.redactor,
        key,
        given,
        force=force,
        allow_tracked=allow_tracked,
        deadline=opts.timeout,
    )
    _said(opts, changed)
    return int(ExitCode.OK)


@command_options(*TARGET, _QUIET, options.TIMEOUT, options.DEBUG)
@_FORCE
@_ALLOW_TRACKED
@click.argument("key")
@_REFUSED_VALUE
def unset(opts: Options, key: str, value: tuple[str, ...], force: bool, allow_tracked: bool) -> int:
    """Remove one key from AWS and from the .env; exit 1 when neither holds it.

    In AWS through the same compare-and-swap as push (every other key stays as it is), in
    the .env by removing its line; the record of the last sync forgets it.
    """
    from secretsync_hooks.sync.single import unset_value

    if value or "=" in key:
        raise SecretSyncError(
            "unset takes one key name and nothing else (what followed it was not repeated "
            "here); nothing was changed",
            hint=f"secretsync unset {_quoted(key.split('=', 1)[0] or 'KEY')}",
        )
    config = opts.load_config()
    changed = unset_value(
        config, opts.redactor, key, force=force, allow_tracked=allow_tracked, deadline=opts.timeout
    )
    _said(opts, changed)
    return int(ExitCode.OK)


def _refuse_a_value_in_argv(key: str, value: tuple[str, ...], verb: str) -> None:
    """A value given on the command line is already in the shell's history: refuse it
    without repeating it, and show the way that keeps it out."""
    if not value and "=" not in key:
        return
    name = _quoted(key.split("=", 1)[0] or "KEY")
    raise SecretSyncError(
        f"{verb} takes the value from stdin or a hidden prompt, never from the command line, "
        "where shell history and process lists keep it; nothing was changed",
        hint=f"printf '%s' \"$VALUE\" | secretsync {verb} {name}   (or run "
        f"`secretsync {verb} {name}` on a terminal to type it; clear your shell "
        "history of the value you typed)",
    )


def _quoted(key: str) -> str:
    """``key`` as a shell word to paste."""
    import shlex

    return text.shown(shlex.quote(key))


def _read_value(key: str) -> str:
    """The value: typed at a hidden prompt (twice) on a terminal, else all of stdin with
    one trailing newline dropped."""
    if sys.stdin.isatty():
        value: str = click.prompt(
            f"Value for {text.shown(key)}",
            hide_input=True,
            confirmation_prompt=True,
            err=True,
        )
        return value
    data = sys.stdin.buffer.read()
    if not data:
        raise SecretSyncError(
            "nothing on stdin: set takes the value from stdin (or a hidden prompt on a "
            "terminal); nothing was changed",
            hint=f"printf '%s' \"$VALUE\" | secretsync set {_quoted(key)}; an empty value "
            f"is `echo | secretsync set {_quoted(key)}`.",
        )
    try:
        given = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SecretSyncError(
            f"the value on stdin is not UTF-8 text (invalid byte at offset {exc.start}); "
            "nothing was changed"
        ) from None
    for ending in ("\r\n", "\n"):
        if given.endswith(ending):
            return given[: -len(ending)]
    return given


def _said(opts: Options, changed: object) -> None:
    from secretsync_hooks.sync.single import Changed

    assert isinstance(changed, Changed)
    if opts.quiet:
        return
    key = text.shown(changed.key)
    verb = "Set" if changed.action == "set" else "Removed"
    places = []
    if changed.remote is not None:
        version = f" (version {changed.version})" if changed.version else ""
        places.append(f"{changed.remote}{version}")
    if changed.env_file is not None:
        places.append(text.shown(changed.env_file))
    where = " and ".join(places) if places else "nowhere (neither side held it)"
    local = " (a local key: never in AWS)" if changed.local_only else ""
    click.echo(f"{verb} {key} {'in' if verb == 'Set' else 'from'} {where}{local}.")


def register(group: click.Group) -> None:
    group.add_command(click.command("get", short_help=short_help(get))(get))
    group.add_command(click.command("set", short_help=short_help(set_))(set_))
    group.add_command(click.command("unset", short_help=short_help(unset))(unset))
