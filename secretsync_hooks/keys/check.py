"""``secretsync check``: does each side hold to the key contract?  The .env (no AWS call), the
remote (read once), or both, each reported apart; every violation is named by its key and the
rule it breaks, never by the value."""

from __future__ import annotations

import enum
from typing import NamedTuple

from secretsync_hooks.config.contract import Violation
from secretsync_hooks.config.settings import Config
from secretsync_hooks.errors import RemoteError
from secretsync_hooks.redact import Redactor


class Side(str, enum.Enum):
    LOCAL = "local"
    REMOTE = "remote"
    BOTH = "both"


class Checked(NamedTuple):
    """One side's check: what was read (the .env's path, or the secret's name or the parameter
    path), how many of
    its keys were checked (its local keys left out of the remote's), what they break."""

    side: str
    where: str
    keys: int
    violations: list[Violation]


def check_contract(
    config: Config, redactor: Redactor, side: Side, *, deadline: float | None = None
) -> tuple[list[Checked], list[str]]:
    """Each side ``side`` names, checked; and the warnings met reading them."""
    checked, warnings = [], []
    contract = config.contract
    if side is not Side.REMOTE:
        from secretsync_hooks.local.env_file import EnvFile

        local = EnvFile.load(config.env_file).values()
        redactor.register(local.values())
        violations = contract.check(local)
        checked.append(Checked("local", str(config.env_file), len(local), violations))
    if side is not Side.LOCAL:
        from secretsync_hooks.remote.read import read_remote

        backend, snapshot, _, _ = read_remote(config, redactor, deadline)
        if not snapshot.exists:
            raise RemoteError(
                f"{config.remote_name} does not exist in {config.region}; nothing to check",
                hint="Check --env and --region; `secretsync push` creates it.",
            )
        warnings += [*backend.warnings, *snapshot.warnings]
        values = {k: v for k, v in snapshot.values.items() if not contract.is_local(k)}
        violations = contract.check(values, remote=True)
        checked.append(Checked("remote", config.target, len(values), violations))
    return checked, warnings
