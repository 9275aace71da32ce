"""``export --format ecs | external-secrets | cloudformation``: deploying by reference.  The
remote is read once (its keys, its ARN, each parameter's type); the text names where each
value is, never what it is.  With ``--with-policy``, the IAM statement a reader needs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from secretsync_hooks import text
from secretsync_hooks.config.settings import Config
from secretsync_hooks.errors import RemoteError, SecretSyncError
from secretsync_hooks.redact import Redactor
from secretsync_hooks.use import references
from secretsync_hooks.use.references import Manifest, Remote


class Referenced(NamedTuple):
    text: str
    keys: list[str]
    warnings: list[str]
    policy: dict[str, Any] | None = None


class Request(NamedTuple):
    fmt: str
    keys: Sequence[str] | None = None  # --keys: only these
    allowed: tuple[str, ...] = ()  # --allow-env: loader variables to reference anyway
    manifest: Manifest | None = None  # external-secrets
    with_policy: bool = False
    strict: bool = False


def refer(
    config: Config, redactor: Redactor, request: Request, *, deadline: float | None = None
) -> Referenced:
    """The references ``request`` asks for, to the keys the remote holds."""
    from secretsync_hooks.remote.read import read_remote

    _, snapshot, session, seconds = read_remote(config, redactor, deadline)
    if not snapshot.exists or snapshot.identity is None:
        raise RemoteError(
            f"{config.remote_name} does not exist in {config.region}: nothing to reference",
            hint="Check --env and --region; `secretsync push` creates it.",
        )
    contract = config.contract
    values = {k: v for k, v in snapshot.values.items() if not contract.is_local(k)}
    if request.strict:
        from secretsync_hooks.sync.values import check_required

        check_required(config, values, "nothing was written")
    keys, warnings = _chosen(request, values)
    remote = Remote(config.backend, config.target, snapshot.identity, snapshot.types)
    made = _encode(request, remote, keys)
    policy = None
    if request.with_policy:
        from secretsync_hooks.use.kms import customer_keys

        with session.deadline(seconds):
            kms, said = customer_keys(config, session, snapshot.identity, keys)
        policy, more = references.policy(remote, keys, kms)
        warnings += said + more
    return Referenced(made, keys, warnings, policy)


def _chosen(request: Request, values: dict[str, str]) -> tuple[list[str], list[str]]:
    """The keys to reference: --keys, and for the formats that set a program's variables
    (ECS, Lambda), not those that choose what runs (PATH, LD_PRELOAD, ...) unless allowed."""
    keys = list(values)
    if request.keys is not None:
        absent = [k for k in request.keys if k not in values]
        if absent:
            raise SecretSyncError(f"--keys names keys that are not there: {text.keys(absent)}")
        keys = list(dict.fromkeys(request.keys))
    if request.fmt == "external-secrets":
        return keys, []
    from secretsync_hooks.use.loader_vars import hold_back

    passed, held = hold_back({k: values[k] for k in keys}, request.allowed)
    if not held:
        return keys, []
    said = (
        f"left out {text.keys(held)}: variables that choose which program or library runs, "
        f"which the {request.fmt} format would set; name them with --allow-env to reference them"
    )
    return list(passed), [said]


def _encode(request: Request, remote: Remote, keys: list[str]) -> str:
    if request.fmt == "ecs":
        return references.ecs(remote, keys)
    if request.fmt == "cloudformation":
        return references.cloudformation(remote, keys)
    assert request.manifest is not None
    return references.external_secrets(remote, keys, request.manifest)
