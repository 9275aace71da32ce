"""``config`` and ``forget``: what is set where, and dropping the record of the last sync;
neither asks AWS anything."""

from __future__ import annotations

import click

from secretsync_hooks import options
from secretsync_hooks.cli.context import FORMAT, TARGET, Options, command_options, short_help


@command_options(*TARGET, FORMAT, options.DEBUG)
def config(opts: Options) -> int:
    """The resolved settings, where each came from, and the .env's key names."""
    from secretsync_hooks.local.env_file import EnvFile

    config = opts.load_config()
    local = EnvFile.load(config.env_file, missing_ok=True)
    keys = local.keys() if local.existed else None
    if opts.json:
        from secretsync_hooks.render import documents

        opts.echo_document(documents.config_document(config, keys))
    else:
        from secretsync_hooks.render.terminal import render_config

        render_config(opts.output(), config, keys)
    return 0


@command_options(*TARGET, FORMAT, options.DEBUG)
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="Drop every record of the last sync of this repository (every .env and remote).",
)
@click.option(
    "--drop-fingerprint-key",
    "drop_key",
    is_flag=True,
    help="Also drop your fingerprint key, which is one for all your repositories: every "
    "record anywhere is then ignored (compared two-way) until the next sync there.",
)
def forget(opts: Options, everything: bool, drop_key: bool) -> int:
    """Drop the record of the last sync for this .env and remote.

    The next comparison is two-way, as before the first sync; the next successful sync
    records a new one. Use it when a record is damaged or no longer describes your setup.
    """
    from secretsync_hooks import text
    from secretsync_hooks.sync.last_sync import LastSyncStore

    records = LastSyncStore(opts.load_config())
    if everything:
        count = records.forget_all()
        messages = [
            f"Dropped {text.count(count, 'record')} of the last sync in {records.directory}."
        ]
        dropped = count > 0
    else:
        dropped = records.forget()
        messages = [
            f"Dropped the record of the last sync ({records.path})."
            if dropped
            else "There was no record of the last sync for this .env and remote."
        ]
    key_dropped = records.drop_key() if drop_key else False
    if drop_key:
        messages.append(
            "Dropped your fingerprint key: records made with it, in every repository, are "
            "ignored until the next sync there."
            if key_dropped
            else "There was no fingerprint key to drop."
        )
    if opts.json:
        from secretsync_hooks.render.documents import forget_document

        opts.echo_document(
            forget_document(dropped=dropped, everything=everything, key_dropped=key_dropped)
        )
    else:
        for message in messages:
            click.echo(message)
    return 0


def register(group: click.Group) -> None:
    group.add_command(click.command("config", short_help=short_help(config))(config))
    group.add_command(click.command("forget", short_help=short_help(forget))(forget))
