"""``import`` for people and for machines: what came from where, what was added, overwritten
or already there, what the configured backend could not hold; key names only, never a value
(a value is in the ``.env``, where the user reviews it before a push)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from secretsync_hooks import text
from secretsync_hooks.imports.plan import ImportPlan
from secretsync_hooks.render.output import Output
from secretsync_hooks.render.phrases import command
from secretsync_hooks.render.terminal import render_warnings


def render_import(output: Output, plan: ImportPlan, *, refused: bool = False) -> None:
    """The outcome on stdout; warnings (what cannot move, quoting) and the next step on
    stderr.  A refusal says nothing more on stdout: its error names the keys."""
    render_warnings(output, list(plan.workspace.warnings))
    if refused:
        return
    source, env_file = plan.source, str(plan.config.env_file)
    for line in _names(plan):
        output.line(line)
    edits = _edits(plan, done=not plan.dry_run)
    if plan.dry_run:
        what = f"would {edits}" if edits else "would change nothing"
        output.line(f"Dry run: import from {source.where} {what} in {env_file}.")
        if plan.needs_force:
            held = text.agree(len(plan.needs_force), "holds", "hold")
            output.line(
                f"Would be refused without --force: {text.keys(plan.needs_force)} {held} "
                f"another value in {env_file}."
            )
        output.line("Nothing was changed.")
        return
    if not plan.written:
        output.line(
            f"Nothing to import from {source.where}: {env_file} already holds "
            f"{text.agree(len(plan.unchanged), 'its key', 'each of its keys')} with the same "
            "value."
        )
        return
    created = " (created, mode 0600)" if plan.created else ""
    output.line(f"Imported from {source.where} into {env_file}{created}: {edits}.")
    output.line(
        f"Review it with {command('diff')}, then {command('push')} sends it to "
        f"{plan.config.remote_name}.",
        err=True,
    )


def _edits(plan: ImportPlan, *, done: bool) -> str:
    parts = []
    for verbs, keys in (
        (("add", "added"), plan.added),
        (("overwrite", "overwrote"), plan.overwritten),
    ):
        if keys:
            parts.append(f"{verbs[done]} {len(keys)} ({_listed(keys)})")
    if plan.unchanged:
        parts.append(f"{len(plan.unchanged)} already the same ({_listed(plan.unchanged)})")
    return "; ".join(parts)


MAX_LISTED = 20  # key names on a summary line; the JSON document lists every one


def _listed(keys: Sequence[str]) -> str:
    more = len(keys) - MAX_LISTED
    return text.keys(keys[:MAX_LISTED]) + (f", ... and {more} more" if more > 0 else "")


def _names(plan: ImportPlan) -> list[str]:
    """How the source's names became the .env's, and the names that are no keys."""
    lines = []
    renamed = plan.source.renamed
    if renamed:
        pairs = ", ".join(f"{text.shown(a)} -> {text.shown(b)}" for a, b in renamed[:10])
        more = f", ... ({len(renamed)} in all)" if len(renamed) > 10 else ""
        lines.append(f"Named as chamber exec names them (upper case, '-' as '_'): {pairs}{more}.")
    if plan.source.skipped:
        lines.append(f"Left out: {text.keys(plan.source.skipped)} (chamber's bookkeeping).")
    return lines


def import_document(plan: ImportPlan, *, refused: bool = False) -> dict[str, Any]:
    """``import --format json``: the source, and what the merge did (or would do) to the .env,
    by key name."""
    from secretsync_hooks.render.documents import SCHEMAS

    config, source = plan.config, plan.source
    return {
        "schema": SCHEMAS["import"],
        "command": "import",
        "config": str(config.path),
        "environment": config.environment,
        "backend": config.backend,
        "target": config.target,
        "region": config.region,
        "env_file": str(config.env_file),
        "source": {
            "kind": source.kind,
            "argument": source.argument,
            "where": source.where,
            "keys": len(source.values),
        },
        # a refusal shows the plan as a dry run would, but the user asked for no dry run
        "dry_run": plan.dry_run and not refused,
        "refused": refused,
        "written": plan.written,
        # the .env did not exist: the import created it (a dry run: would)
        "created": plan.created and bool(plan.sync_plan.ops) and not refused,
        "added": list(plan.added),
        "overwritten": list(plan.overwritten),
        "needs_force": list(plan.needs_force),
        "unchanged": list(plan.unchanged),
        "renamed": [{"from": a, "to": b} for a, b in source.renamed],
        "skipped": list(source.skipped),
        "cannot_move": list(plan.cannot_move),
        "warnings": _warnings(config.warnings, plan.workspace.warnings),
    }


def _warnings(*groups: Sequence[str]) -> list[str]:
    out: list[str] = []
    for group in groups:
        out.extend(warning for warning in group if warning not in out)
    return out
