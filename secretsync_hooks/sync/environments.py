"""Two environments side by side: compare their keys (values compared in memory, never
shown), and promote keys from one to the other through the push engine."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

from secretsync_hooks import text
from secretsync_hooks.config.settings import Config
from secretsync_hooks.errors import ContractBroken, RemoteError, SecretSyncError
from secretsync_hooks.models import Action, Direction, KeyOp, SyncPlan
from secretsync_hooks.redact import Redactor
from secretsync_hooks.remote.backends import AwsSession
from secretsync_hooks.remote.base import Backend, RemoteSnapshot
from secretsync_hooks.remote.read import read_remote


class Side(NamedTuple):
    """One environment's remote, as read."""

    name: str
    config: Config
    backend: Backend
    snapshot: RemoteSnapshot
    session: AwsSession
    deadline: float

    @property
    def values(self) -> Mapping[str, str]:
        """The remote's values, but those of keys the contract keeps local (never compared,
        never promoted)."""
        contract = self.config.contract
        return {k: v for k, v in self.snapshot.values.items() if not contract.is_local(k)}


def read_side(
    name: str, config: Config, redactor: Redactor, *, deadline: float | None = None
) -> Side:
    """Read ``config``'s remote once (its own AWS session), registering its values."""
    return Side(name, config, *read_remote(config, redactor, deadline))


def require_exists(side: Side) -> None:
    if not side.snapshot.exists:
        raise RemoteError(
            f"{side.name}: {side.config.remote_name} does not exist in {side.config.region}",
            hint=f"`secretsync --env {side.name} push` creates it.",
        )


class Parity(NamedTuple):
    only_a: tuple[str, ...]
    only_b: tuple[str, ...]
    same: tuple[str, ...]
    different: tuple[str, ...]

    def in_parity(self, *, values: bool = False) -> bool:
        """The key sets match (and, with ``values``, every shared value too)."""
        return not (self.only_a or self.only_b or (values and self.different))


def compare(a: Mapping[str, str], b: Mapping[str, str]) -> Parity:
    """Keys only in ``a``, only in ``b``, in both with the same value, with different ones
    (each sorted)."""
    shared = sorted(set(a) & set(b))
    return Parity(
        only_a=tuple(sorted(set(a) - set(b))),
        only_b=tuple(sorted(set(b) - set(a))),
        same=tuple(k for k in shared if a[k] == b[k]),
        different=tuple(k for k in shared if a[k] != b[k]),
    )


class Promotion(NamedTuple):
    plan: SyncPlan  # what would be written to the target
    overwrites: tuple[str, ...]  # keys the target has with another value (need --force)
    unchanged: tuple[str, ...]  # keys the target already has with the same value

    @property
    def added(self) -> list[str]:
        return [op.key for op in self.plan.of(Action.ADD)]

    @property
    def overwritten(self) -> list[str]:
        return [op.key for op in self.plan.of(Action.UPDATE)]

    @property
    def needs_force(self) -> list[str]:
        """Keys left out: the target holds another value and --force was not given."""
        written = set(self.overwritten)
        return [key for key in self.overwrites if key not in written]


def promotion(
    source: Mapping[str, str],
    target: Mapping[str, str],
    keys: Sequence[str],
    *,
    missing: bool = False,
    force: bool = False,
    local: Callable[[str], bool] = lambda key: False,
) -> Promotion:
    """The keys to copy: ``keys`` (each must be in ``source``), and with ``missing`` every
    key of ``source`` that ``target`` lacks.  A key ``target`` holds with another value is
    overwritten only with ``force``; otherwise it is left out and named.  A key the key
    contract keeps ``local`` is never promoted: named, it is refused; with ``missing``, left
    out."""
    kept = [k for k in keys if local(k)]
    if kept:
        raise SecretSyncError(
            f"{text.keys(kept)}: local (a `local = true` rule of the key contract), never promoted",
            hint="Leave them out, or change the rule.",
        )
    absent = [k for k in keys if k not in source]
    if absent:
        raise SecretSyncError(f"not in the source environment: {text.keys(absent)}")
    if not keys and not missing:
        raise SecretSyncError("name the keys to promote, or pass --missing")
    extra = [k for k in source if missing and k not in target and not local(k)]
    chosen = list(dict.fromkeys([*keys, *extra]))
    ops: list[KeyOp] = []
    overwrites: list[str] = []
    unchanged: list[str] = []
    for key in chosen:
        if key not in target:
            ops.append(KeyOp(key, Action.ADD, source[key]))
        elif target[key] == source[key]:
            unchanged.append(key)
        else:
            overwrites.append(key)
            if force:
                ops.append(KeyOp(key, Action.UPDATE, source[key]))
    return Promotion(SyncPlan(Direction.PUSH, tuple(ops)), tuple(overwrites), tuple(unchanged))


def hold_to_contract(dst: Side, chosen: Promotion) -> None:
    """Refuse (exit 1, even with --force) a promotion of values that break the target's key
    contract; ``chosen`` with every overwrite in it, consent or not."""
    ops = chosen.plan.ops
    after = chosen.plan.applied_to(dst.values)
    violations = dst.config.contract.check(after, keys=[op.key for op in ops], remote=True)
    if violations:
        raise ContractBroken(
            f"promote would publish to {dst.name} ({dst.config.remote_name}) values",
            violations,
            hint=f"Fix the values at their source first, or the rules of {dst.name} "
            f"([environments.{dst.name}.keys.NAME], [keys.NAME]) in {dst.config.path.name}; "
            "--force does not override the contract.",
        )
