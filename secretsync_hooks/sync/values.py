"""One environment's values as ``run``, ``export`` and the leak guard use them: read once,
from the remote, the .env or both, and never written back: neither the .env nor the record
of the last sync is touched."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import NamedTuple

from secretsync_hooks import text
from secretsync_hooks.config.settings import Config
from secretsync_hooks.errors import ConfigError, RemoteError, SecretSyncError
from secretsync_hooks.redact import Redactor


class Source(str, enum.Enum):
    REMOTE = "remote"  # AWS only: no plaintext file needed
    LOCAL = "local"  # the .env only, as `dotenv run` does
    MERGED = "merged"  # AWS, with the .env on top (local development)


class Values(NamedTuple):
    values: dict[str, str]
    warnings: list[str]


def read_values(
    config: Config,
    redactor: Redactor,
    source: Source,
    *,
    deadline: float | None = None,
    every: bool = False,
) -> Values:
    """The values of ``config``'s environment from ``source``, each registered with
    ``redactor``; the remote is read with one snapshot, within ``deadline`` seconds.  A key
    the contract keeps local comes from the .env only (one in AWS is stale or someone
    else's), unless ``every`` (the leak guard looks for every value it can know)."""
    values: dict[str, str] = {}
    warnings: list[str] = []
    if source is not Source.LOCAL:
        remote = _remote(config, redactor, source, deadline, warnings)
        contract = config.contract
        values.update({k: v for k, v in remote.items() if every or not contract.is_local(k)})
    if source is not Source.REMOTE:
        from secretsync_hooks.local.env_file import EnvFile

        local = EnvFile.load(config.env_file, missing_ok=source is Source.MERGED)
        redactor.register(local.values().values())
        if not local.existed:
            warnings.append(f"{config.env_file} does not exist; using the remote's values only")
        values.update(local.values())
    return Values(values, warnings)


def _remote(
    config: Config,
    redactor: Redactor,
    source: Source,
    deadline: float | None,
    warnings: list[str],
) -> dict[str, str]:
    from secretsync_hooks.remote.read import read_remote

    backend, snapshot, _, _ = read_remote(config, redactor, deadline)
    if not snapshot.exists:
        raise RemoteError(
            f"{config.remote_name} does not exist in {config.region}",
            hint="Check --env and --region; `secretsync push` creates it, and --source local "
            "uses the .env alone.",
        )
    warnings.extend(backend.warnings)
    warnings.extend(snapshot.warnings)
    if snapshot.no_value:
        warnings.append(f"{config.remote_name} exists but holds no value yet")
    return dict(snapshot.values)


def required_keys(config: Config) -> tuple[tuple[str, ...], str]:
    """The keys ``--strict`` requires, and where that list comes from: the config's required
    keys (``required = true`` rules and ``required_keys``), else the keys of the example file
    beside the .env (``.env.example``)."""
    from secretsync_hooks.local.env_file import EnvFile

    if config.required_keys:
        return config.required_keys, f"required in {config.path}"
    for example in example_files(config.env_file):
        if example.is_file():
            return tuple(EnvFile.load(example).keys()), str(example)
    names = " or ".join(p.name for p in example_files(config.env_file))
    raise ConfigError(
        f"--strict needs the list of required keys: none required in {config.path} and no "
        f"{names} beside {config.env_file}",
        hint="Mark them in the config ([keys.NAME] required = true, or required_keys = "
        '["KEY", ...]), or commit a .env.example (`secretsync example` writes one).',
    )


def example_files(env_file: Path) -> list[Path]:
    """Where the example of ``env_file`` may be: ``NAME.example`` beside it, then
    ``.env.example``."""
    candidates = [env_file.with_name(f"{env_file.name}.example")]
    default = env_file.with_name(".env.example")
    return candidates if default in candidates else [*candidates, default]


def check_required(config: Config, values: dict[str, str], consequence: str) -> None:
    """Refuse (exit 2) unless ``values`` holds every required key; ``consequence`` says what
    did not happen."""
    required, where = required_keys(config)
    # A key the contract requires must hold a value too (empty is unset); one an example
    # file lists must be there.
    contract = bool(config.required_keys)
    absent = [
        key
        for key in dict.fromkeys(required)
        if key not in values or (contract and values[key] == "")
    ]
    if absent:
        missing = "missing or empty" if contract else "missing"
        raise SecretSyncError(
            f"{text.count(len(absent), 'required key')} {missing} ({where}): "
            f"{text.keys(absent)}; {consequence}",
            hint="Add them where the values live (`secretsync push`), or "
            + (
                f"make them not required ([keys.NAME] required, required_keys) in "
                f"{config.path.name}."
                if config.required_keys
                else f"drop them from {Path(where).name}."
            ),
        )
