"""Remote stores: one Secrets Manager secret, or Parameter Store parameters under a path."""

from __future__ import annotations

from collections.abc import Mapping

from secretsync_hooks.backends.aws import AwsSession
from secretsync_hooks.backends.base import Backend
from secretsync_hooks.config import Config


def get_backend(
    config: Config,
    session: AwsSession | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> Backend:
    """The backend ``config`` names, sharing ``session`` (one per command) if given."""
    session = session or AwsSession(config.region, config.profile, environ)
    if config.backend == "secrets_manager":
        from secretsync_hooks.backends.secrets_manager import SecretsManagerBackend

        assert config.secrets_manager is not None
        return SecretsManagerBackend(config.secrets_manager, session)
    from secretsync_hooks.backends.parameter_store import ParameterStoreBackend

    assert config.parameter_store is not None
    return ParameterStoreBackend(config.parameter_store, session)


__all__ = ["AwsSession", "Backend", "get_backend"]
