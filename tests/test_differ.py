from __future__ import annotations

import pytest

from secretsync_hooks.differ import compare, destructive, plan_pull, plan_push
from secretsync_hooks.models import Action, DiffState, Direction

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
    assert compare({"A": "1"}, {}, keys_only=True).keys(DiffState.LOCAL_ONLY) == ("A",)


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


def test_only_overwrites_and_deletes_are_destructive() -> None:
    plan = plan_push(compare(LOCAL, REMOTE), prune=True)
    assert [op.key for op in destructive(plan)] == ["A", "C_REMOTE", "Z_REMOTE"]
    assert destructive(plan_push(compare({"NEW": "1"}, {}))) == ()
