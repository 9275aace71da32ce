"""What each comparison state is called, how it is coloured, and what it means: one table for
every renderer."""

from __future__ import annotations

from typing import NamedTuple

from secretsync_hooks.models import DiffState


class StateLabel(NamedTuple):
    label: str
    style: str  # rich style on a terminal
    meaning: str  # one short phrase, for the hook's lines


STATES: dict[DiffState, StateLabel] = {
    DiffState.LOCAL_ONLY: StateLabel("local-only", "green", "in your .env, not in AWS"),
    DiffState.REMOTE_ONLY: StateLabel("remote-only", "cyan", "in AWS, not in your .env"),
    DiffState.CHANGED: StateLabel("changed", "yellow", "values differ"),
    DiffState.UNCHANGED: StateLabel("unchanged", "dim", "both sides agree"),
    DiffState.LOCAL_MODIFIED: StateLabel(
        "local-modified", "green", "changed in your .env since the last sync"
    ),
    DiffState.LOCAL_ADDED: StateLabel(
        "local-added", "green", "added to your .env since the last sync"
    ),
    DiffState.LOCAL_DELETED: StateLabel(
        "local-deleted", "green", "deleted from your .env since the last sync"
    ),
    DiffState.REMOTE_MODIFIED: StateLabel(
        "remote-modified", "cyan", "changed in AWS since your last sync"
    ),
    DiffState.REMOTE_ADDED: StateLabel("remote-added", "cyan", "added in AWS since your last sync"),
    DiffState.REMOTE_DELETED: StateLabel(
        "remote-deleted", "cyan", "deleted in AWS since your last sync"
    ),
    DiffState.CONFLICT: StateLabel(
        "conflict", "bold red", "changed on both sides since the last sync"
    ),
}
