from __future__ import annotations

import pytest

from secretsync_hooks.models import Action, DiffEntry, DiffState, Direction, KeyOp, SyncPlan


def test_values_stay_out_of_reprs() -> None:
    objects = [
        DiffEntry("TOKEN", DiffState.CHANGED, local="canary-value", remote="canary-other"),
        KeyOp("TOKEN", Action.UPDATE, "canary-value"),
        SyncPlan(Direction.PUSH, (KeyOp("TOKEN", Action.ADD, "canary-value"),)),
    ]
    for obj in objects:
        assert "canary" not in repr(obj)
        assert "TOKEN" in repr(obj)


@pytest.mark.parametrize(
    ("action", "value"), [(Action.ADD, None), (Action.UPDATE, None), (Action.DELETE, "x")]
)
def test_key_op_value_matches_action(action: Action, value: str | None) -> None:
    with pytest.raises(ValueError, match="value must be given iff setting"):
        KeyOp("A", action, value)


def test_plan_is_a_list_of_key_operations() -> None:
    plan = SyncPlan(
        Direction.PULL,
        (KeyOp("A", Action.ADD, "1"), KeyOp("B", Action.UPDATE, "2"), KeyOp("C", Action.DELETE)),
    )
    assert not plan.is_empty
    assert plan.sets == {"A": "1", "B": "2"}
    assert [op.key for op in plan.of(Action.DELETE)] == ["C"]
    assert [op.key for op in plan.of(Action.UPDATE)] == ["B"]
    assert SyncPlan(Direction.PUSH).is_empty


def test_diff_entry_differs() -> None:
    assert DiffEntry("A", DiffState.LOCAL_ONLY, local="1").differs
    assert not DiffEntry("A", DiffState.UNCHANGED, local="1", remote="1").differs


def test_a_plan_applies_only_its_keys_keeping_order() -> None:
    plan = SyncPlan(
        Direction.PUSH,
        (KeyOp("B", Action.UPDATE, "2b"), KeyOp("A", Action.DELETE), KeyOp("N", Action.ADD, "n")),
    )
    assert list(plan.applied_to({"A": "1", "B": "2", "C": "3"}).items()) == [
        ("B", "2b"),
        ("C", "3"),
        ("N", "n"),
    ]
