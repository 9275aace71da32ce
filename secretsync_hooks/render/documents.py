"""One JSON document on stdout per command, for CI and scripts.  Schema documented in README.

``schema`` is bumped whenever a field changes meaning or goes away; new fields may be added
within a schema version.  Values appear only with ``--show-values`` or for ``plain_keys``.
"""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

from secretsync_hooks.config.settings import Config
from secretsync_hooks.masking import ValuePolicy
from secretsync_hooks.models import Action
from secretsync_hooks.remote.base import ApplyResult, Revision
from secretsync_hooks.sync.differ import Comparison
from secretsync_hooks.sync.engine import SyncOutcome
from secretsync_hooks.sync.workspace import Workspace
from secretsync_hooks.timeline.rollback import Planned

SCHEMA = 2  # 2: three-way states, "base" and "detail"


def _when(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def header(workspace: Workspace, command: str) -> dict[str, Any]:
    config = workspace.config
    snapshot = workspace.snapshot
    return {
        "schema": SCHEMA,
        "command": command,
        "environment": config.environment,
        "backend": config.backend,
        "target": config.target,
        "region": config.region,
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


# Characters JSON allows raw inside strings that still reorder or break lines on a terminal
# (bidirectional controls, line separators, C1 controls): written as \uXXXX escapes.
_TERMINAL_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def config_document(config: Config, keys: list[str] | None) -> dict[str, Any]:
    """``secretsync config``: the resolved settings, their sources, the .env's key names."""
    return {
        "schema": SCHEMA,
        "command": "config",
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


def dumps(document: dict[str, Any]) -> str:
    text = json.dumps(document, indent=2, ensure_ascii=False)
    return _TERMINAL_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def history_document(
    config: Config, key: str | None, revisions: list[Revision], policy: ValuePolicy
) -> dict[str, Any]:
    """``history --format json``: the versions, values only where they may be shown."""

    def entry(revision: Revision) -> dict[str, Any]:
        out: dict[str, Any] = {
            "version": revision.version,
            "created": revision.created.isoformat() if revision.created else None,
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
        "schema": SCHEMA,
        "command": "history",
        "environment": config.environment,
        "backend": config.backend,
        "target": config.target,
        "region": config.region,
        "key": key,
        "revisions": [entry(r) for r in revisions],
    }


def rollback_document(
    planned: Planned, *, dry_run: bool, refused: bool, result: ApplyResult | None
) -> dict[str, Any]:
    """``rollback --format json``: the plan (key names), what it left, what it did."""
    from secretsync_hooks.render.timeline import rollback_changes

    config, rollback = planned.config, planned.rollback
    changes = rollback_changes(planned)
    return {
        "schema": SCHEMA,
        "command": "rollback",
        "environment": config.environment,
        "backend": config.backend,
        "target": config.target,
        "region": config.region,
        "to": rollback.to,
        "created": rollback.created.isoformat() if rollback.created else None,
        "dry_run": dry_run,
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


def targets_document(command: str, results: list[dict[str, Any]]) -> dict[str, Any]:
    """``diff``/``status --all-envs`` (or ``--recursive``): each target's own document, or
    its error, in order."""
    return {"schema": SCHEMA, "command": command, "targets": results}
