"""``compare`` and ``promote``: two environments side by side, and keys from one to the
other.  Neither touches a .env or a record of the last sync."""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

import click

from secretsync_hooks import options, text
from secretsync_hooks.cli.context import FORMAT, TARGET, Options, command_options, short_help
from secretsync_hooks.errors import ExitCode, NeedsConsent, SecretSyncError
from secretsync_hooks.render.phrases import command

if TYPE_CHECKING:
    from secretsync_hooks.config.settings import Config
    from secretsync_hooks.sync.environments import Parity, Promotion, Side

# Where the two environments come from: the config and the credentials, not one --env or
# --region or --env-file (each environment has its own).
BOTH = tuple(spec for spec in TARGET if spec.dest in ("config_path", "profile", "no_profile"))
COMMON = (*BOTH, FORMAT, options.TIMEOUT, options.DEBUG)


def _side(opts: Options, name: str) -> Side:
    from secretsync_hooks.config.settings import Overrides, load_config
    from secretsync_hooks.sync.environments import read_side

    config: Config = load_config(
        Overrides(
            config=opts.config_path,
            environment=name,
            profile=opts.profile,
            no_profile=bool(opts.no_profile),
        )
    )
    opts.redactor.lower_min_length(config.scan_min_length)
    return read_side(name, config, opts.redactor, deadline=opts.timeout)


def _title(side: Side) -> str:
    return f"{side.name} ({side.config.remote_name}, {side.config.region})"


@command_options(*COMMON)
@click.option(
    "--values",
    is_flag=True,
    help="Count keys whose values differ as drift too (a parity check); values are never shown.",
)
@click.argument("env_a", metavar="ENV_A")
@click.argument("env_b", metavar="ENV_B")
def compare(opts: Options, values: bool, env_a: str, env_b: str) -> int:
    """Compare the keys of two environments' remotes. Exit 0 when the key sets match.

    Lists keys only in one, and keys in both with the same or a different value. Values are
    compared in memory and never shown, not even as fingerprints. With --values, differing
    values count as drift too. ENV is a name from [environments.NAME], or default.
    """
    from secretsync_hooks.sync.environments import compare as compare_values
    from secretsync_hooks.sync.environments import require_exists

    a, b = _side(opts, env_a), _side(opts, env_b)
    require_exists(a)
    require_exists(b)
    parity = compare_values(a.values, b.values)
    matched = parity.in_parity(values=values)
    if opts.json:
        from secretsync_hooks.render.documents import compare_document

        opts.echo_document(compare_document(a, b, parity, matched))
    else:
        _render_compare(a, b, parity, matched, values=values, quiet=bool(opts.quiet))
    return int(ExitCode.OK if matched else ExitCode.DRIFT)


def _render_compare(
    a: Side, b: Side, parity: Parity, matched: bool, *, values: bool, quiet: bool
) -> None:
    rows = [
        *((key, f"only in {a.name}") for key in parity.only_a),
        *((key, f"only in {b.name}") for key in parity.only_b),
        *((key, "values differ") for key in parity.different),
    ]
    if not quiet:
        click.echo(f"{_title(a)} vs {_title(b)}")
        width = max((len(text.shown(key)) for key, _ in rows), default=0)
        for key, state in rows:
            click.echo(f"  {text.shown(key).ljust(width)}  {state}")
    shared = len(parity.same) + len(parity.different)
    counts = (
        f"{len(parity.only_a)} only in {a.name}, {len(parity.only_b)} only in {b.name}; "
        f"{text.count(shared, 'key')} in both ({len(parity.same)} with the same value, "
        f"{len(parity.different)} different)"
    )
    verdict = "In parity" if matched else ("Values differ" if values else "Key sets differ")
    if not matched or values:
        click.echo(f"{verdict}: {counts}.")
    else:
        click.echo(f"Key sets match: {counts}.")


@command_options(*COMMON)
@click.option("--from", "source", required=True, metavar="ENV", help="Copy from this environment.")
@click.option("--to", "target", required=True, metavar="ENV", help="Copy to this environment.")
@click.option("--missing", is_flag=True, help="Every key the target lacks.")
@click.option("--dry-run", is_flag=True, help="Show the plan; change nothing.")
@click.option("--force", is_flag=True, help="Overwrite keys the target holds with another value.")
@click.argument("keys", nargs=-1, metavar="[KEY]...")
def promote(
    opts: Options,
    source: str,
    target: str,
    missing: bool,
    dry_run: bool,
    force: bool,
    keys: tuple[str, ...],
) -> int:
    """Copy keys from one environment's remote to another's.

    The named keys, or with --missing every key the target lacks, through the same
    validation and compare-and-swap as push. A key the target holds with another value is
    overwritten only with --force (or a yes at the prompt). Values are never shown.
    """
    from secretsync_hooks.sync.environments import (
        hold_to_contract,
        promotion,
        require_exists,
    )

    src, dst = _side(opts, source), _side(opts, target)
    require_exists(src)

    def local(key: str) -> bool:
        return src.config.contract.is_local(key) or dst.config.contract.is_local(key)

    def planned(forced: bool) -> Promotion:
        return promotion(src.values, dst.values, keys, missing=missing, force=forced, local=local)

    plan = planned(force)
    hold_to_contract(dst, planned(True))
    if plan.overwrites and not force and not dry_run:
        if not _confirm(opts, dst, plan):
            _refuse_overwrites(opts, src, dst, plan, ["--missing"] if missing else list(keys))
        plan = planned(True)
    if dry_run or plan.plan.is_empty:
        _render_promotion(opts, src, dst, plan, dry_run=dry_run)
        return int(ExitCode.OK)
    try:
        # As push: writes are not bound by the read's deadline (a throttled Parameter
        # Store write paces itself); each call is bounded by botocore's own timeouts.
        dst.backend.validate(plan.plan, dst.snapshot)
        try:
            result = dst.backend.apply(plan.plan, dst.snapshot)
        except SecretSyncError as exc:
            _untagged(opts, dst, target, exc)
            raise
    finally:
        # What the backend learnt while writing (rotation enabled, ...), whatever the outcome.
        for warning in dst.backend.warnings:
            click.echo(text.clean(f"secretsync: warning: {warning}"), err=True)
    _render_promotion(opts, src, dst, plan, dry_run=False, version=result.version)
    return int(ExitCode.OK)


def _refuse_overwrites(
    opts: Options, src: Side, dst: Side, plan: Promotion, which: list[str]
) -> NoReturn:
    """Overwrites promote may not make without consent: the plan shown, the way forward."""
    _render_promotion(opts, src, dst, plan, dry_run=True, refused=True)
    refusal = NeedsConsent(
        f"promote would overwrite {text.keys(plan.overwrites)} in {dst.name} (values differ)",
        "promote",
    )
    args = opts.target_args()
    again = command("promote", ["--from", src.name, "--to", dst.name, *args, *which, "--force"])
    refusal.hint = (
        f"{command('compare', [src.name, dst.name, *args])} lists every key first; "
        f"{again} overwrites {text.agree(len(plan.overwrites), 'it', 'them')}."
    )
    raise refusal


def _untagged(opts: Options, dst: Side, target: str, exc: SecretSyncError) -> None:
    """Keys written without their tags: noted for the next push of the target to tag."""
    if not exc.untagged:
        return
    from secretsync_hooks.sync.workspace import remember_untagged

    remember_untagged(dst.config, exc.untagged)
    again = command("push", ["--env", target, *opts.target_args()])
    exc.hint = (
        f"Fix the cause; the next push of {target} adds the missing tags (the values are in "
        f"place): {again}."
    )


def _confirm(opts: Options, dst: Side, plan: Promotion) -> bool:
    if not opts.can_prompt:
        return False
    question = f"Overwrite {text.keys(plan.overwrites)} in {dst.name}?"
    return click.confirm(question, default=False, err=True)


def _render_promotion(
    opts: Options,
    src: Side,
    dst: Side,
    plan: Promotion,
    *,
    dry_run: bool,
    refused: bool = False,
    version: str | None = None,
) -> None:
    if opts.json:
        from secretsync_hooks.render.documents import promote_document

        opts.echo_document(
            promote_document(src, dst, plan, dry_run=dry_run, refused=refused, version=version)
        )
        return
    added, overwritten, held = plan.added, plan.overwritten, plan.needs_force
    click.echo(f"{'Would promote' if dry_run else 'Promoted'} from {_title(src)} to {_title(dst)}:")
    for key in added:
        click.echo(f"  add        {text.shown(key)}")
    for key in overwritten:
        click.echo(f"  overwrite  {text.shown(key)}")
    for key in held:
        click.echo(f"  overwrite  {text.shown(key)}  (needs --force)")
    for key in plan.unchanged:
        click.echo(f"  unchanged  {text.shown(key)}  (same value already)")
    if not (added or overwritten or held):
        click.echo("  nothing to promote")
    if version and not dry_run:
        click.echo(f"Remote version now {version}.")


def register(group: click.Group) -> None:
    group.add_command(click.command("compare", short_help=short_help(compare))(compare))
    group.add_command(click.command("promote", short_help=short_help(promote))(promote))
