"""Remote stores: one Secrets Manager secret, or Parameter Store parameters under a path."""

from __future__ import annotations

from collections.abc import Mapping

from secretsync_hooks.config.settings import Config, SecretsManagerSettings
from secretsync_hooks.remote.aws import AwsSession
from secretsync_hooks.remote.base import Backend


def get_backend(
    config: Config,
    session: AwsSession | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> Backend:
    """The backend ``config`` names, sharing ``session`` (one per command) if given."""
    session = session or AwsSession(config.region, config.profile, environ)
    settings = config.remote
    if isinstance(settings, SecretsManagerSettings):
        from secretsync_hooks.remote.secrets_manager.backend import SecretsManagerBackend

        return SecretsManagerBackend(settings, session)
    from secretsync_hooks.remote.parameter_store.backend import ParameterStoreBackend

    return ParameterStoreBackend(settings, session)


__all__ = ["AwsSession", "Backend", "get_backend"]
