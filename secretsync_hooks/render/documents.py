"""Every ``--format json`` document, built in one place: one document on stdout per command.

Each document carries ``"schema"``, the version of its own shape (``SCHEMAS``), and has a
JSON Schema in ``secretsync_hooks/schemas/<name>.schema.json`` (docs/reference/json.md).  A
document's number goes up when one of its fields changes meaning or goes away; fields may be
added within a version.  Values appear only with ``--show-values`` or for ``plain_keys``.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from secretsync_hooks.error_handler import RERUN, own_words
from secretsync_hooks.errors import ContractBroken, SecretSyncError
from secretsync_hooks.models import Action

if TYPE_CHECKING:
    from secretsync_hooks.config.settings import Config
    from secretsync_hooks.guard.scan import Result
    from secretsync_hooks.keys.check import Checked
    from secretsync_hooks.masking import ValuePolicy
    from secretsync_hooks.remote.base import ApplyResult, Revision
    from secretsync_hooks.sync.differ import Comparison
    from secretsync_hooks.sync.engine import SyncOutcome
    from secretsync_hooks.sync.environments import Parity, Promotion, Side
    from secretsync_hooks.sync.workspace import Workspace
    from secretsync_hooks.timeline.rollback import Planned

# Each document's version, by the name of its schema file.  diff, status, push and pull: 2
# added three-way states, "base" and "detail".
SCHEMAS = {
    "diff": 2,
    "status": 2,
    "push": 2,
    "pull": 2,
    "config": 2,
    "forget": 1,
    "compare": 2,
    "promote": 1,
    "history": 2,
    "rollback": 2,
    "scan": 1,
    "targets": 1,
    "error": 1,
    "check": 1,
    "import": 1,
}
# The commands whose --format json prints one of these (export's prints the values).
COMMANDS = tuple(name for name in SCHEMAS if name not in ("targets", "error"))


def _when(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def dumps(document: dict[str, Any]) -> str:
    text = json.dumps(document, indent=2, ensure_ascii=False)
    return _TERMINAL_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


# Characters JSON allows raw inside strings that still reorder or break lines on a terminal
# (bidirectional controls, line separators, C1 controls): written as \uXXXX escapes.
_TERMINAL_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _start(name: str, command: str | None = None) -> dict[str, Any]:
    """The first two fields of every document: its schema's version, and the command."""
    return {"schema": SCHEMAS[name], "command": command or name}


def _where(config: Config) -> dict[str, Any]:
    return {
        "environment": config.environment,
        "backend": config.backend,
        "target": config.target,
        "region": config.region,
    }


# -- diff, status, push, pull ---------------------------------------------------------------------


def header(workspace: Workspace, command: str) -> dict[str, Any]:
    config = workspace.config
    snapshot = workspace.snapshot
    return {
        **_start(command),
        **_where(config),
        "region_source": config.source("region"),
        "env_file": str(config.env_file),
        "remote": {
            "exists": snapshot.exists,
            "no_value": snapshot.no_value,
            "version": snapshot.version_label,
            "last_changed": _when(snapshot.last_changed),
        },
        "warnings": [*config.warnings, *workspace.warnings],
        "base": _base(workspace),
        "two_way_reason": workspace.two_way_reason,
        "local_keys": workspace.left_out(),
    }


def _base(workspace: Workspace) -> dict[str, Any] | None:
    """The record of the last sync ("base" in the schema, as in git's merge base)."""
    last = workspace.last_sync
    if last is None:
        return None
    return {"recorded_at": _when(last.recorded_at), "remote_version": last.remote_version}


def entries(comparison: Comparison, policy: ValuePolicy, *, everything: bool) -> list[Any]:
    out = []
    for entry in comparison.entries if everything else comparison.differing:
        item: dict[str, Any] = {"key": entry.key, "state": entry.state.value}
        if entry.detail is not None:
            item["detail"] = entry.detail
        if policy.visible(entry.key, entry.local, entry.remote):
            item["local"] = entry.local
            item["remote"] = entry.remote
        else:
            item["masked"] = True
        out.append(item)
    return out


def comparison_document(
    workspace: Workspace, command: str, comparison: Comparison, policy: ValuePolicy
) -> dict[str, Any]:
    return {
        **header(workspace, command),
        "in_sync": comparison.in_sync,
        "keys_only": comparison.keys_only,
        "three_way": comparison.three_way,
        "entries": entries(comparison, policy, everything=True),
        "summary": comparison.summary(),
    }


def status_document(
    workspace: Workspace, comparison: Comparison, policy: ValuePolicy, ignored: tuple[str, ...]
) -> dict[str, Any]:
    """The diff document plus where each setting came from and the ignored remote names."""
    return {
        **comparison_document(workspace, "status", comparison, policy),
        "config": str(workspace.config.path),
        "sources": dict(workspace.config.sources),
        "ignored": list(ignored),
    }


def outcome_document(
    workspace: Workspace, outcome: SyncOutcome, policy: ValuePolicy, *, refused: bool = False
) -> dict[str, Any]:
    document = comparison_document(workspace, outcome.direction.value, outcome.comparison, policy)
    planned = {action.value: [op.key for op in outcome.plan.of(action)] for action in Action}
    applied = None
    if outcome.result is not None:
        applied = {action.value: list(outcome.result.keys(action)) for action in Action}
    document.update(
        {
            "dry_run": outcome.dry_run,
            "refused": refused,
            "plan": planned,
            "applied": applied,
            "held_back": list(outcome.held_back),
            "tagged": list(outcome.tagged),
            "version": outcome.version,
        }
    )
    return document


# -- config and forget ---------------------------------------------------------------------------


def config_document(config: Config, keys: list[str] | None) -> dict[str, Any]:
    """``secretsync config``: the resolved settings, their sources, the .env's key names."""
    return {
        **_start("config"),
        "config": str(config.path),
        "environment": config.environment,
        "environments": list(config.environments),
        "backend": config.backend,
        "target": config.target,
        "region": config.region,
        "profile": config.profile,
        "env_file": str(config.env_file),
        "sources": dict(config.sources),
        "warnings": list(config.warnings),
        "keys": keys,
    }


def forget_document(*, dropped: bool, everything: bool, key_dropped: bool) -> dict[str, Any]:
    """``secretsync forget``: whether a record (with ``--all``: any) and the fingerprint key
    were dropped."""
    return {**_start("forget"), "dropped": dropped, "all": everything, "key_dropped": key_dropped}


# -- history and rollback ------------------------------------------------------------------------


def history_document(
    config: Config, key: str | None, revisions: list[Revision], policy: ValuePolicy
) -> dict[str, Any]:
    """``history --format json``: the versions, values only where they may be shown."""

    def entry(revision: Revision) -> dict[str, Any]:
        out: dict[str, Any] = {
            "version": revision.version,
            "created": _when(revision.created),
            "labels": list(revision.labels),
            "who": revision.who,
            "key": revision.key,
            "known": revision.known,
            "unreadable": revision.unreadable,
            "against": revision.against,
            "added": list(revision.added),
            "changed": list(revision.changed),
            "removed": list(revision.removed),
        }
        shown = {k: v for k, v in revision.values.items() if policy.visible(k, v)}
        if shown:
            out["values"] = shown
        return out

    return {
        **_start("history"),
        **_where(config),
        "key": key,
        "revisions": [entry(r) for r in revisions],
    }


def rollback_document(
    planned: Planned, *, dry_run: bool, refused: bool, result: ApplyResult | None
) -> dict[str, Any]:
    """``rollback --format json``: the plan (key names), what it left, what it did."""
    from secretsync_hooks.render.timeline import rollback_changes

    rollback = planned.rollback
    changes = rollback_changes(planned)
    return {
        **_start("rollback"),
        **_where(planned.config),
        "to": rollback.to,
        "created": _when(rollback.created),
        # a refusal shows the plan as a dry run would, but the user asked for no dry run
        "dry_run": dry_run and not refused,
        "refused": refused,
        "applied": result is not None and bool(result.applied),
        "added": changes["add"],
        "restored": changes["restore"],
        "deleted": changes["delete"],
        "kept": list(rollback.kept),
        "lost": list(rollback.lost),
        "not_restorable": list(planned.gone),
        "version": result.version if result else None,
    }


# -- compare and promote -------------------------------------------------------------------------


def _side(side: Side) -> dict[str, Any]:
    config = side.config
    return {
        "environment": side.name,
        "backend": config.backend,
        "target": config.target,
        "region": config.region,
        "exists": side.snapshot.exists,
    }


def compare_document(a: Side, b: Side, parity: Parity, matched: bool) -> dict[str, Any]:
    """``compare --format json``: both environments, and key names only."""
    return {
        **_start("compare"),
        "a": _side(a),
        "b": _side(b),
        "only_a": list(parity.only_a),
        "only_b": list(parity.only_b),
        "same": list(parity.same),
        "different": list(parity.different),
        "key_sets_match": not (parity.only_a or parity.only_b),
        "in_parity": matched,
    }


def promote_document(
    src: Side,
    dst: Side,
    plan: Promotion,
    *,
    dry_run: bool,
    refused: bool = False,
    version: str | None = None,
) -> dict[str, Any]:
    """``promote --format json``: what was (or would be) copied, by key name."""
    return {
        **_start("promote"),
        "from": _side(src),
        "to": _side(dst),
        "dry_run": dry_run and not refused,  # as rollback's
        "refused": refused,
        "added": plan.added,
        "overwritten": plan.overwritten,
        "needs_force": plan.needs_force,
        "unchanged": list(plan.unchanged),
        "version": version,
    }


# -- scan, several targets, errors ---------------------------------------------------------------


def scan_document(result: Result) -> dict[str, Any]:
    """``scan --format json``: where values were found (never the values), what could not be
    read, and how much was looked at."""
    return {
        **_start("scan"),
        "findings": [finding._asdict() for finding in sorted(result.findings)],
        "unreadable": [problem._asdict() for problem in result.unreadable],
        "files": result.files,
        "values": result.values,
    }


def targets_document(command: str, results: list[dict[str, Any]]) -> dict[str, Any]:
    """``diff``/``status --all-envs`` (or ``--recursive``): each target's own document, or
    its error, in order."""
    return {**_start("targets", command), "targets": results}


def error_document(
    command: str, exc: BaseException, exit_code: int, redact: Callable[[str], str]
) -> dict[str, Any]:
    """A command's error under ``--format json``, printed instead of its document.

    The words are those stderr gets, as secretsync composed them (AWS's own words in them
    scrubbed of every known value); an unexpected error gives only its type: its text is not
    secretsync's, and stdout may be a report file kept where values must never go.
    """
    if isinstance(exc, SecretSyncError):
        kind = exc.label or "refused"  # (the prompt's no has no label; JSON never prompts)
        message, hint = own_words(exc, redact), exc.hint
    elif isinstance(exc, KeyboardInterrupt):
        kind, message, hint = "interrupted", "Interrupted; nothing was changed.", None
    else:
        kind, message = "unexpected", f"unexpected error: {type(exc).__name__}"
        hint = RERUN
    error: dict[str, Any] = {"kind": kind, "message": message, "hint": hint}
    violations = getattr(exc, "violations", None)
    if isinstance(exc, ContractBroken) and violations:
        error["violations"] = [{"key": v.key, "rule": v.rule} for v in violations]
    return {**_start("error", command), "error": error, "exit_code": exit_code}


# -- check ----------------------------------------------------------------------------------------


def check_document(config: Config, sides: list[Checked]) -> dict[str, Any]:
    """``check --format json``: each side checked against the key contract; key and rule
    for each violation, never a value."""
    return {
        **_start("check"),
        "config": str(config.path),
        **_where(config),
        "rules": len(config.contract.rules),
        "holds": not any(side.violations for side in sides),
        "sides": [
            {
                "side": side.side,
                "where": side.where,
                "keys": side.keys,
                "violations": [{"key": v.key, "rule": v.rule} for v in side.violations],
            }
            for side in sides
        ],
    }
