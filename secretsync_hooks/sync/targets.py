"""What one hook run checks: an environment, several (``--env`` repeated, ``--all-envs``),
and in a monorepo every ``.secretsync.toml`` the repository tracks (``--recursive``)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from secretsync_hooks.config.schema import read_config_file
from secretsync_hooks.config.settings import (
    CONFIG_FILENAME,
    DEFAULT_ENVIRONMENT,
    Overrides,
    find_config,
    load_config,
)
from secretsync_hooks.errors import ConfigError
from secretsync_hooks.local import trust


class Target(NamedTuple):
    config: Path | None  # None: the nearest .secretsync.toml, as for every command
    environment: str | None  # None: the top level
    label: str  # "[staging] ", "[services/api] " ...; "" when there is only one target


def targets(
    config: Path | None,
    environments: Sequence[str],
    *,
    all_envs: bool = False,
    recursive: bool = False,
) -> list[Target]:
    """The targets of one hook run, in a stable order; labelled when there are several."""
    configs: list[Path | None] = list(tracked_configs()) if recursive else [config]
    if recursive and not configs:
        raise ConfigError(
            f"--recursive found no {CONFIG_FILENAME} tracked in this repository",
            hint=f"Commit one (git add {CONFIG_FILENAME}) or drop --recursive.",
        )
    found: list[tuple[Path | None, str | None]] = []
    for path in configs:
        if all_envs:
            names = all_environments(path)
        else:
            names = [None if name == DEFAULT_ENVIRONMENT else name for name in environments]
        found.extend((path, name) for name in dict.fromkeys(names or [None]))
    if len(found) == 1:
        return [Target(found[0][0], found[0][1], "")]
    return [Target(path, name, _label(path, name, recursive)) for path, name in found]


def _label(path: Path | None, name: str | None, recursive: bool) -> str:
    parts = []
    if recursive and path is not None:
        parts.append(path.parent.as_posix())
    if name is not None or not recursive:
        parts.append(name or DEFAULT_ENVIRONMENT)
    return f"[{' '.join(parts)}] "


def all_environments(path: Path | None) -> list[str | None]:
    """Every environment of the config: each ``[environments.NAME]``, and the top level
    when it names a remote of its own (not one a named environment already checks)."""
    config_path = path or find_config(Path.cwd())
    if config_path is None:
        return [None]
    raw = read_config_file(config_path)
    named: list[str | None] = list(raw.get("environments", {}))
    try:
        top = load_config(Overrides(config=config_path))
    except ConfigError:
        return named or [None]  # the top level is only defaults for the environments
    pairings = set()
    for name in named:
        config = load_config(Overrides(config=config_path, environment=name))
        pairings.add((config.backend, config.target, config.region, config.env_file))
    if (top.backend, top.target, top.region, top.env_file) in pairings:
        return named
    return [None, *named]


def tracked_configs() -> list[Path]:
    """Every ``.secretsync.toml`` the repository tracks, relative to the current directory
    (the work tree's root, where pre-commit runs hooks)."""
    try:
        listed = subprocess.run(
            ["git", "-c", "core.fsmonitor=false", "ls-files", "-z"],
            capture_output=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        raise ConfigError(
            "--recursive needs a git work tree (it checks every tracked config)"
        ) from None
    names = [name for name in os.fsdecode(listed.stdout).split("\0") if name]
    found = sorted(Path(name) for name in names if Path(name).name == CONFIG_FILENAME)
    for path in found:
        # as for a config found upwards: not one in a directory someone else controls
        trust.check_found(path.resolve(), "config", os.environ)
    return found
