"""What Parameter Store would refuse, found before anything is written: each key's name
(characters, length, levels, the prefixes AWS reserves) and value (empty, holding ``{{``, over
the size the parameter's tier allows, read for existing parameters with one metadata-only
DescribeParameters per 50), every refusal of a plan listed at once with what to do about it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from secretsync_hooks import text
from secretsync_hooks.errors import RemoteError
from secretsync_hooks.models import Action, KeyOp, SyncPlan
from secretsync_hooks.remote.base import RemoteSnapshot
from secretsync_hooks.remote.parameter_store.reading import ParameterStoreReading, in_batches

_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
MAX_LEVELS = 15
# AWS: a name may be 1011 characters including the ARN prefix, arn:aws:ssm:REGION:ACCOUNT:parameter
ARN_BUDGET = 1011
MAX_VALUE_BYTES = {"Standard": 4096, "Advanced": 8192, "Intelligent-Tiering": 8192}
EMPTY_VALUE = "an empty value, which SSM rejects"


@dataclass(frozen=True)
class _Invalid:
    key: str
    problem: str


class ParameterStoreValidation(ParameterStoreReading):
    """What refuses, before any write, every key AWS would refuse."""

    def validate(self, plan: SyncPlan, snapshot: RemoteSnapshot) -> None:
        """Refuse, before any write, every key AWS would refuse, listing them all at once.

        Names and values are checked as they are; a value's size against the tier it will
        have, which for an existing parameter is its own (an Advanced parameter holds 8 KB
        whatever the config says), read with one metadata-only DescribeParameters call per
        50 parameters updated, with their KMS keys (see :meth:`_put`).
        """
        updated = [
            op.key for op in plan.ops if op.value is not None and op.key in snapshot.versions
        ]
        self._existing = self._describe(updated) if updated else {}
        self._described_at = time.monotonic()
        problems = list(self._invalid(plan.ops))
        if not problems:
            return
        by_problem: dict[str, list[str]] = {}
        for item in problems:
            by_problem.setdefault(item.problem, []).append(item.key)
        lines = [f"  {problem}: {text.keys(keys)}" for problem, keys in by_problem.items()]
        fixes = [f"{text.keys(keys)}: {_fix(problem)}." for problem, keys in by_problem.items()]
        refused = text.count(len({item.key for item in problems}), "key")
        raise RemoteError(
            f"Parameter Store would refuse {refused} under {self.target}:\n" + "\n".join(lines),
            hint="\n".join([*fixes, "Nothing was written."]),
        )

    def cannot_hold(self, local: Mapping[str, str], snapshot: RemoteSnapshot) -> list[str]:
        """The keys a push would send that Parameter Store would refuse (checked as validate()
        does, without its metadata call: an existing parameter's size against 8 KB, the most
        any tier holds), each with what to do."""
        ops = [
            KeyOp(key, Action.UPDATE if key in snapshot.values else Action.ADD, value)
            for key, value in local.items()
            if snapshot.values.get(key) != value
        ]
        by_problem: dict[str, list[str]] = {}
        for item in self._invalid(ops, metadata=False):
            by_problem.setdefault(item.problem, []).append(item.key)
        return [
            f"Parameter Store cannot hold {text.keys(keys)} ({problem}): {_fix(problem)}"
            for problem, keys in by_problem.items()
        ]

    def _describe(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Tier, type and KMS key of existing parameters (metadata only, no values)."""
        found: dict[str, dict[str, Any]] = {}

        def describe(batch: Sequence[str]) -> list[Any]:
            kwargs: dict[str, Any] = {
                "ParameterFilters": [
                    {"Key": "Name", "Option": "Equals", "Values": [self.name(k) for k in batch]}
                ],
                "MaxResults": 50,
            }
            pages = self._pages(self._client.describe_parameters, kwargs)
            return [parameter for page in pages for parameter in page.get("Parameters", [])]

        with self._session.translate("ssm:DescribeParameters", f"parameters under {self.target}"):
            for parameters in self._each(describe, list(in_batches(keys, 50))):  # 50 names a filter
                for parameter in parameters:
                    found[parameter["Name"][len(self.target) :]] = parameter
        return found

    def _tier_limit(self, key: str, metadata: bool = True) -> tuple[int, str]:
        """The size a value of ``key`` may have, and the tier that allows it (without the
        metadata of existing parameters: the most any tier allows)."""
        if not metadata:
            return MAX_VALUE_BYTES["Advanced"], "Advanced"
        existing = self._existing.get(key)
        upgrades = self.settings.tier in ("Advanced", "Intelligent-Tiering")
        if existing is not None and (existing.get("Tier") == "Advanced" or upgrades):
            return MAX_VALUE_BYTES["Advanced"], "Advanced" if not upgrades else self.settings.tier
        if existing is not None:
            return MAX_VALUE_BYTES["Standard"], "Standard"
        return MAX_VALUE_BYTES[self.settings.tier], self.settings.tier

    def _invalid(self, ops: Iterable[KeyOp], metadata: bool = True) -> Iterable[_Invalid]:
        region = self._session.region or "us-east-1"
        budget = ARN_BUDGET - len(f"arn:aws:ssm:{region}:123456789012:parameter")
        for op in ops:
            key = op.key
            name = self.name(key)
            bad = sorted(set(key) - _KEY_CHARS)
            if not key or bad:
                shown = "".join(repr(c)[1:-1] for c in bad) or "(empty)"
                yield _Invalid(key, f"characters outside a-zA-Z0-9_.- in the key ({shown})")
            if len(name) > budget:
                yield _Invalid(key, f"full name longer than {budget} characters")
            levels = [level for level in name.split("/") if level]
            if len(levels) > MAX_LEVELS:
                yield _Invalid(key, f"more than {MAX_LEVELS} levels")
            # AWS reserves names whose first level starts with aws or ssm (any case):
            # /myapp/prod/AWS_REGION and /myapp/aws/x are valid, /aws/x and /ssm-x/y are not.
            if levels and levels[0].lower().startswith(("aws", "ssm")):
                yield _Invalid(key, "the name starts with 'aws' or 'ssm', which AWS reserves")
            if op.value is None:
                continue
            if op.value == "":
                yield _Invalid(key, EMPTY_VALUE)
            if "{{" in op.value:
                yield _Invalid(key, "value contains '{{' (SSM rejects it)")
            limit, tier = self._tier_limit(key, metadata or op.action is Action.ADD)
            if len(op.value.encode("utf-8")) > limit:
                yield _Invalid(key, f"value over {limit} bytes on the {tier} tier")


def _fix(problem: str) -> str:
    """What to do about a key Parameter Store cannot hold."""
    if problem == EMPTY_VALUE:
        return (
            "remove it from the .env, give it a value, or use Secrets Manager "
            '(type = "secrets_manager"), which holds empty values'
        )
    if f"over {MAX_VALUE_BYTES['Advanced']} bytes" in problem:
        return (
            "8 KB is the most Parameter Store holds: keep such values in Secrets Manager "
            "(64 KB a secret) or elsewhere"
        )
    if "bytes on the" in problem:
        return (
            'set [parameter_store] tier = "Intelligent-Tiering" (or "Advanced", charged per '
            "parameter) for values up to 8 KB, or keep such values elsewhere"
        )
    if "'{{'" in problem:
        return "change the value in the .env (SSM rejects '{{' in a value)"
    return "rename the key in the .env before a push"
