from __future__ import annotations

import pytest

from secretsync_hooks.models import Action, DiffState, Direction
from secretsync_hooks.sync.differ import (
    compare,
    compare_three_way,
    needs_force,
    plan_pull,
    plan_push,
)

LOCAL = {"B": "1", "A": "local", "ONLY_LOCAL": "x", "SAME": "s"}
REMOTE = {"A": "remote", "SAME": "s", "Z_REMOTE": "z", "B": "1", "C_REMOTE": "c"}


def test_every_key_in_one_state_file_order_then_remote_only_sorted() -> None:
    comparison = compare(LOCAL, REMOTE)
    assert [(e.key, e.state) for e in comparison.entries] == [
        ("B", DiffState.UNCHANGED),
        ("A", DiffState.CHANGED),
        ("ONLY_LOCAL", DiffState.LOCAL_ONLY),
        ("SAME", DiffState.UNCHANGED),
        ("C_REMOTE", DiffState.REMOTE_ONLY),
        ("Z_REMOTE", DiffState.REMOTE_ONLY),
    ]
    assert not comparison.in_sync
    assert comparison.summary() == {"local_only": 1, "remote_only": 2, "changed": 1, "unchanged": 2}
    assert [e.key for e in comparison.differing] == ["A", "ONLY_LOCAL", "C_REMOTE", "Z_REMOTE"]


def test_keys_only_ignores_values() -> None:
    comparison = compare({"A": "1", "B": "2"}, {"A": "other", "B": "2"}, keys_only=True)
    assert comparison.in_sync
    [entry] = compare({"A": "1"}, {}, keys_only=True).entries
    assert (entry.key, entry.state) == ("A", DiffState.LOCAL_ONLY)


def test_empty_sides_are_in_sync() -> None:
    assert compare({}, {}).in_sync


@pytest.mark.parametrize(
    ("prune", "expected"),
    [
        (False, [("A", Action.UPDATE, "local"), ("ONLY_LOCAL", Action.ADD, "x")]),
        (
            True,
            [
                ("A", Action.UPDATE, "local"),
                ("ONLY_LOCAL", Action.ADD, "x"),
                ("C_REMOTE", Action.DELETE, None),
                ("Z_REMOTE", Action.DELETE, None),
            ],
        ),
    ],
)
def test_push_plan(prune: bool, expected: list[tuple[str, Action, str | None]]) -> None:
    plan = plan_push(compare(LOCAL, REMOTE), prune=prune)
    assert plan.direction is Direction.PUSH
    assert [(op.key, op.action, op.value) for op in plan.ops] == expected


@pytest.mark.parametrize(
    ("prune", "expected"),
    [
        (
            False,
            [
                ("A", Action.UPDATE, "remote"),
                ("C_REMOTE", Action.ADD, "c"),
                ("Z_REMOTE", Action.ADD, "z"),
            ],
        ),
        (
            True,
            [
                ("A", Action.UPDATE, "remote"),
                ("ONLY_LOCAL", Action.DELETE, None),
                ("C_REMOTE", Action.ADD, "c"),
                ("Z_REMOTE", Action.ADD, "z"),
            ],
        ),
    ],
)
def test_pull_plan(prune: bool, expected: list[tuple[str, Action, str | None]]) -> None:
    plan = plan_pull(compare(LOCAL, REMOTE), prune=prune)
    assert plan.direction is Direction.PULL
    assert [(op.key, op.action, op.value) for op in plan.ops] == expected


def test_two_way_only_overwrites_and_deletes_need_force() -> None:
    comparison = compare(LOCAL, REMOTE)
    plan = plan_push(comparison, prune=True)
    assert [op.key for op in needs_force(comparison, plan)] == ["A", "C_REMOTE", "Z_REMOTE"]
    added = compare({"NEW": "1"}, {})
    assert needs_force(added, plan_push(added)) == ()


def _fp(key: str, value: str) -> str:
    return f"{key}={value}"


BASE = {"K": _fp("K", "base"), "KEEP": _fp("KEEP", "keep")}


@pytest.mark.parametrize(
    ("local", "remote", "expected"),
    [
        ({"K": "base"}, {"K": "base"}, ("unchanged", None)),
        ({"K": "mine"}, {"K": "base"}, ("local_modified", None)),
        ({"K": "base"}, {"K": "theirs"}, ("remote_modified", None)),
        ({"K": "mine"}, {"K": "theirs"}, ("conflict", "both_modified")),
        ({"K": "same"}, {"K": "same"}, ("unchanged", None)),
        ({"K": "base"}, {}, ("remote_deleted", None)),
        ({"K": "mine"}, {}, ("conflict", "local_modified_remote_deleted")),
        ({}, {"K": "base"}, ("local_deleted", None)),
        ({}, {"K": "theirs"}, ("conflict", "local_deleted_remote_modified")),
        ({"N": "x"}, {}, ("local_added", None)),
        ({}, {"N": "x"}, ("remote_added", None)),
        ({"N": "x"}, {"N": "x"}, ("unchanged", None)),
        ({"N": "x"}, {"N": "y"}, ("conflict", "both_added")),
    ],
)
def test_three_way_states(
    local: dict[str, str], remote: dict[str, str], expected: tuple[str, str | None]
) -> None:
    comparison = compare_three_way(local, remote, BASE, _fp)
    assert comparison.three_way
    assert [(e.state.value, e.detail) for e in comparison.entries] == [expected]


def test_three_way_deleted_on_both_sides_is_gone() -> None:
    comparison = compare_three_way({"KEEP": "keep"}, {"KEEP": "keep"}, BASE, _fp)
    assert comparison.in_sync
    assert [e.key for e in comparison.entries] == ["KEEP"]


def test_three_way_plans_take_only_their_own_side_and_conflicts() -> None:
    local = {"K": "mine", "L": "new-local", "KEEP": "keep", "C": "mine"}
    remote = {"K": "base", "R": "new-remote", "C": "theirs"}
    base = {**BASE, "C": _fp("C", "base")}
    comparison = compare_three_way(local, remote, base, _fp)
    push = plan_push(comparison)
    # KEEP was deleted in AWS (local still has the base value): push leaves that alone.
    assert [(o.key, o.action.value) for o in push.ops] == [
        ("K", "update"),
        ("L", "add"),
        ("C", "update"),
    ]
    assert [o.key for o in needs_force(comparison, push)] == ["C"]
    pull = plan_pull(comparison)
    assert [(o.key, o.action.value) for o in pull.ops] == [
        ("KEEP", "delete"),
        ("C", "update"),
        ("R", "add"),
    ]
    assert [o.key for o in needs_force(comparison, pull)] == ["C"]
