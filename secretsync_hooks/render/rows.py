"""The settings rows that ``status`` and ``config`` both show, built once, so the two speak
alike: the same names, the same words for the same things, the same alignment."""

from __future__ import annotations

from secretsync_hooks.config.settings import Config


def settings_rows(config: Config) -> list[tuple[str, str]]:
    """(name, value with its source) for each resolved setting."""

    def source(name: str) -> str:
        where = config.source(name)
        return f" (from {where})" if where and where != "default" else ""

    return [
        ("config", str(config.path)),
        ("environment", (config.environment or "(top level)") + source("environment")),
        ("backend", config.backend + source("backend")),
        ("target", config.target + source("target")),
        ("region", (config.region or "(none)") + source("region")),
        ("profile", config.profile_label + source("profile")),
        ("env file", str(config.env_file) + source("env_file")),
    ]


def aligned(rows: list[tuple[str, str]]) -> list[str]:
    width = max(len(name) for name, _ in rows)
    return [f"{name:<{width}}  {value}" for name, value in rows]
