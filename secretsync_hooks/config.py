"""Find, load, validate and resolve ``.secretsync.toml``, remembering where each setting came from.

Precedence, highest first: command-line option > ``SECRETSYNC_*`` variables > ``AWS_REGION`` >
the config file (a named environment's table over the top level) > ``AWS_DEFAULT_REGION`` > the
AWS profile's region.  Every resolved value carries its source so that ``status`` can say
``region eu-west-1 (from AWS_REGION)``.
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from secretsync_hooks import text, trust
from secretsync_hooks.errors import ConfigError
from secretsync_hooks.fs import FileProblem, read_regular

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

CONFIG_FILENAME = ".secretsync.toml"
BACKEND_TYPES = ("secrets_manager", "parameter_store")
PARAMETER_TYPES = ("SecureString", "String")
PARAMETER_TIERS = ("Standard", "Advanced", "Intelligent-Tiering")
DEFAULT_ENV_FILE = ".env"
MAX_CONFIG_BYTES = 1024 * 1024

# (value, where it came from) for one setting, or None when it is not set there.
_Found = tuple[Any, str] | None
_Lookup = Callable[[str | None, str], _Found]

# The schema: table -> key -> expected type.  ``dict`` means a table of string values.
_TABLES: dict[str, dict[str, type]] = {
    "backend": {"type": str, "region": str, "profile": str},
    "secrets_manager": {"secret_name": str, "kms_key_id": str, "description": str, "tags": dict},
    "parameter_store": {
        "path": str,
        "type": str,
        "tier": str,
        "kms_key_id": str,
        "tags": dict,
    },
}
_TOP_LEVEL: dict[str, type] = {"env_file": str, "plain_keys": list}


@dataclass(frozen=True)
class SecretsManagerSettings:
    secret_name: str
    kms_key_id: str | None = None
    description: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ParameterStoreSettings:
    path: str
    type: str = "SecureString"
    tier: str = "Standard"
    kms_key_id: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Overrides:
    """Settings given on the command line; None means "not given"."""

    config: Path | None = None
    environment: str | None = None
    region: str | None = None
    profile: str | None = None
    env_file: Path | None = None
    backend: str | None = None
    no_profile: bool = False  # --no-profile: ignore a configured profile


@dataclass(frozen=True)
class Config:
    """The settings of one environment, resolved, with the source of each."""

    path: Path
    environment: str | None
    backend: str
    region: str | None
    # The profile secretsync names to botocore (--profile, SECRETSYNC_PROFILE, the config);
    # None for botocore's own default chain, in which environment credentials win over
    # AWS_PROFILE, as in boto3 and the AWS CLI.
    profile: str | None
    env_file: Path
    plain_keys: tuple[str, ...]
    secrets_manager: SecretsManagerSettings | None
    parameter_store: ParameterStoreSettings | None
    environments: tuple[str, ...]
    sources: Mapping[str, str]
    warnings: tuple[str, ...] = ()
    # AWS_PROFILE when no profile is named: botocore's default chain uses it after
    # environment credentials.
    ambient_profile: str | None = None
    # The region the config file names for this environment (None if it names none).
    configured_region: str | None = None

    @property
    def target(self) -> str:
        """The remote this environment syncs with: a secret name or a parameter path."""
        if self.backend == "secrets_manager":
            assert self.secrets_manager is not None
            return self.secrets_manager.secret_name
        assert self.parameter_store is not None
        return self.parameter_store.path

    @property
    def profile_label(self) -> str:
        """The profile in use, for people."""
        if self.profile:
            return self.profile
        if self.ambient_profile:
            return (
                f"{self.ambient_profile} (AWS_PROFILE, in the default credential chain: "
                "environment credentials win)"
            )
        return "(default credential chain)"

    def source(self, name: str) -> str:
        return self.sources.get(name, "default")


def find_config(start: Path, environ: Mapping[str, str] | None = None) -> Path | None:
    """The nearest ``.secretsync.toml`` at or above ``start``, not looking past the git root.

    One found in a directory another user owns, or everyone may write to, is refused (see
    ``trust``): anyone could have put it there.
    """
    directory = start.resolve()
    while True:
        candidate = directory / CONFIG_FILENAME
        if candidate.is_file():
            trust.check_found(candidate, "config", environ)
            return candidate
        if (directory / ".git").exists() or directory.parent == directory:
            return None
        directory = directory.parent


def read_config_file(path: Path) -> dict[str, Any]:
    """Parse ``path`` as TOML; every failure is a :class:`ConfigError` naming the file."""
    try:
        _, data = read_regular(path, limit=MAX_CONFIG_BYTES)
    except FileNotFoundError:
        raise ConfigError(f"{_shown(path)}: no such config file") from None
    except FileProblem as exc:
        raise ConfigError(f"{_shown(path)}: {exc}") from None
    try:
        parsed: dict[str, Any] = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (invalid byte at offset {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        # The decoder names a line and column, never the text there.
        raise ConfigError(
            f"{path}: invalid TOML: {exc}", hint="See README, 'Configuration', for the format."
        ) from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid TOML: nested too deeply") from None
    return parsed


def load_config(
    overrides: Overrides | None = None,
    *,
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Find and resolve the configuration for one environment."""
    overrides = overrides or Overrides()
    env = os.environ if environ is None else environ
    cwd = cwd or Path.cwd()
    path = overrides.config
    if path is None:
        path = find_config(cwd, env)
        if path is None:
            raise ConfigError(
                f"no {CONFIG_FILENAME} found in {cwd} or its parents (up to the git root)",
                hint="Create one (see README, 'Configuration') or pass --config PATH.",
            )
    raw = read_config_file(path)
    warnings: list[str] = []
    _validate(raw, path, "", warnings, allow_environments=True)
    environments = raw.get("environments", {})
    for name, table in environments.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [environments.{name}] must be a table")
        _validate(table, path, f"environments.{name}.", warnings, allow_environments=False)
    return _resolve(raw, path, overrides, env, cwd, warnings)


def _validate(
    table: Mapping[str, Any],
    path: Path,
    prefix: str,
    warnings: list[str],
    *,
    allow_environments: bool,
) -> None:
    known = {**_TOP_LEVEL, **dict.fromkeys(_TABLES, dict)}
    if allow_environments:
        known["environments"] = dict
    for key, value in table.items():
        where = f"{prefix}{key}"
        if key not in known:
            warnings.append(_unknown(path, where, key, known))
            continue
        if key == "environments":
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: [environments] must be a table of tables")
        elif key in _TABLES:
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: [{where}] must be a table, not {_type_name(value)}")
            for sub, subvalue in value.items():
                expected = _TABLES[key].get(sub)
                if expected is None:
                    warnings.append(_unknown(path, f"{where}.{sub}", sub, _TABLES[key]))
                    continue
                _check_type(path, f"{where}.{sub}", subvalue, expected)
        else:
            _check_type(path, where, value, known[key])


def _unknown(path: Path, where: str, key: str, known: Mapping[str, object]) -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    suggestion = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{path}: unknown setting {where!r} ignored{suggestion}"


def _check_type(path: Path, where: str, value: object, expected: type) -> None:
    if expected is dict:
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise ConfigError(f'{path}: {where} must be a table of strings, like {{ team = "x" }}')
    elif expected is list:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{path}: {where} must be a list of strings")
    elif not isinstance(value, expected) or isinstance(value, bool) != (expected is bool):
        raise ConfigError(f"{path}: {where} must be a {expected.__name__}, not {_type_name(value)}")


def _type_name(value: object) -> str:
    names = {
        str: "string",
        int: "integer",
        float: "float",
        bool: "boolean",
        list: "array",
        dict: "table",
    }
    return names.get(type(value), type(value).__name__)


def _env(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


def _resolve(
    raw: Mapping[str, Any],
    path: Path,
    overrides: Overrides,
    environ: Mapping[str, str],
    cwd: Path,
    warnings: list[str],
) -> Config:
    sources: dict[str, str] = {}
    environments: Mapping[str, Mapping[str, Any]] = raw.get("environments", {})

    name = overrides.environment
    sources["environment"] = "--env"
    if name is None and (name := _env(environ, "SECRETSYNC_ENV")) is not None:
        sources["environment"] = "SECRETSYNC_ENV"
    if name is None:
        sources["environment"] = "default"
        layer: Mapping[str, Any] = {}
    elif name not in environments:
        available = text.keys(sorted(environments)) or "none are defined"
        raise ConfigError(
            f"{path}: no environment named {name!r} (from {sources['environment']})",
            hint=f"Environments in the config: {available}.",
        )
    else:
        layer = environments[name]

    def setting(table: str | None, key: str) -> _Found:
        """The value of ``table.key`` from the environment's layer, else the top level."""
        for scope, label in ((layer, f"environments.{name}."), (raw, "")):
            container = scope.get(table, {}) if table else scope
            if key in container:
                dotted = f"{label}{table + '.' if table else ''}{key}"
                return container[key], f"{path.name} [{dotted}]"
        return None

    def pick(label: str, *candidates: _Found) -> Any:
        for candidate in candidates:
            if candidate is not None and candidate[0] is not None:
                sources[label] = candidate[1]
                return candidate[0]
        return None

    def from_env(variable: str) -> tuple[str | None, str]:
        return _env(environ, variable), variable

    backend = pick(
        "backend",
        (overrides.backend, "--backend"),
        from_env("SECRETSYNC_BACKEND"),
        setting("backend", "type"),
    )
    if backend is None:
        raise ConfigError(
            f"{path}: no backend type",
            hint=f"Set [backend] type to one of: {', '.join(BACKEND_TYPES)}.",
        )
    if backend not in BACKEND_TYPES:
        raise ConfigError(
            f"unknown backend type {backend!r} (from {sources['backend']})",
            hint=f"Valid types: {', '.join(BACKEND_TYPES)}.",
        )

    profile = _profile(overrides, environ, setting, sources)
    ambient = _env(environ, "AWS_PROFILE") if sources["profile"] == "default" else None
    if ambient:
        sources["profile"] = "AWS_PROFILE"
    configured = setting("backend", "region")
    region = pick(
        "region",
        (overrides.region, "--region"),
        from_env("SECRETSYNC_REGION"),
        from_env("AWS_REGION"),
        configured,
        from_env("AWS_DEFAULT_REGION"),
    )
    if region is None:
        region = pick("region", _profile_region(profile or ambient, environ))
    if configured and sources["region"] == "AWS_REGION" and region != configured[0]:
        warnings.append(
            f"AWS_REGION={region} overrides region {configured[0]} from {configured[1]}; "
            f"pass --region {configured[0]} (or unset AWS_REGION) to use that one"
        )

    env_file = _env_file(path, overrides, environ, cwd, setting, sources)

    plain = setting(None, "plain_keys")
    if plain:
        _check_plain_keys(path, plain[0])
    sm = pm = None
    if backend == "secrets_manager":
        sm = _secrets_manager(path, setting, sources)
    else:
        pm = _parameter_store(path, setting, sources)
    return Config(
        path=path,
        environment=name,
        backend=backend,
        region=region,
        profile=profile,
        env_file=env_file,
        plain_keys=tuple(plain[0]) if plain else (),
        secrets_manager=sm,
        parameter_store=pm,
        environments=tuple(environments),
        sources=sources,
        warnings=tuple(warnings),
        ambient_profile=ambient,
        configured_region=configured[0] if configured else None,
    )


def _profile(
    overrides: Overrides,
    environ: Mapping[str, str],
    setting: _Lookup,
    sources: dict[str, str],
) -> str | None:
    """The profile to name to botocore: --profile / --no-profile > SECRETSYNC_PROFILE (set
    but empty: none) > the config; None leaves botocore's default chain in charge."""
    if overrides.no_profile:
        sources["profile"] = "--no-profile"
        return None
    if overrides.profile:
        sources["profile"] = "--profile"
        return overrides.profile
    if "SECRETSYNC_PROFILE" in environ:
        sources["profile"] = "SECRETSYNC_PROFILE"
        return environ["SECRETSYNC_PROFILE"].strip() or None
    found = setting("backend", "profile")
    if found is not None and str(found[0]).strip():
        sources["profile"] = found[1]
        return str(found[0]).strip()
    sources["profile"] = "default"
    return None


def _env_file(
    path: Path,
    overrides: Overrides,
    environ: Mapping[str, str],
    cwd: Path,
    setting: _Lookup,
    sources: dict[str, str],
) -> Path:
    """The .env file: one the user names may be anywhere; one the config names (or the
    default ``.env``) must resolve inside the config file's directory, symlinks followed, so
    that a repository cannot point secretsync at a file of yours elsewhere."""
    given = overrides.env_file
    if given is not None:
        sources["env_file"] = "--env-file"
        return cwd / given
    if (variable := _env(environ, "SECRETSYNC_ENV_FILE")) is not None:
        sources["env_file"] = "SECRETSYNC_ENV_FILE"
        return cwd / variable
    configured = setting(None, "env_file")
    name = str(configured[0]) if configured else DEFAULT_ENV_FILE
    sources["env_file"] = configured[1] if configured else "default"
    root = path.parent
    relative = Path(name)
    if relative.is_absolute() or ".." in relative.parts or "\0" in name:
        raise ConfigError(
            f"{path}: env_file {name!r} must be a path inside {root} (no '..', not absolute)",
            hint="To use a file elsewhere, pass --env-file or set SECRETSYNC_ENV_FILE.",
        )
    env_file = root / relative
    try:
        escaped = not env_file.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):
        escaped = True
    if escaped:
        raise ConfigError(
            f"{path}: {env_file} leads outside {root} (a symbolic link to "
            f"{_shown(Path(os.path.realpath(env_file)))})",
            hint="secretsync only follows links that stay inside the config file's directory; "
            "pass --env-file to use that file on purpose.",
        )
    return env_file


def _check_plain_keys(path: Path, patterns: list[str]) -> None:
    """Refuse a ``plain_keys`` pattern that would show every value (``*``, ``?*``, ...)."""
    for pattern in patterns:
        if all(fnmatchcase(probe, pattern) for probe in _PROBES):
            raise ConfigError(
                f"{path}: plain_keys pattern {pattern!r} matches every key, which would print "
                "every secret",
                hint='Name the keys whose values are not secret, e.g. ["LOG_LEVEL", "APP_*"].',
            )


# Key names unlike each other: a pattern that matches them all matches every key.
_PROBES = ("A", "z", "_", "9", "API_KEY", "db.password", "x-y", "Secret42", "a b", "ä")


def _shown(path: Path) -> str:
    text = str(path)
    return text if text.isprintable() else repr(text)[1:-1]


def _required(path: Path, value: _Found, table: str, key: str) -> str:
    if value is None or not str(value[0]).strip():
        raise ConfigError(
            f"{path}: [{table}] {key} is required for the {table} backend",
            hint=f'Add it, e.g.\n  [{table}]\n  {key} = "{_EXAMPLES[key]}"',
        )
    return str(value[0])


_EXAMPLES = {"secret_name": "myapp/production", "path": "/myapp/production/"}


def _secrets_manager(
    path: Path, setting: _Lookup, sources: dict[str, str]
) -> SecretsManagerSettings:
    found = setting("secrets_manager", "secret_name")
    name = _required(path, found, "secrets_manager", "secret_name")
    sources["target"] = found[1] if found else ""
    kms = setting("secrets_manager", "kms_key_id")
    description = setting("secrets_manager", "description")
    tags = setting("secrets_manager", "tags")
    return SecretsManagerSettings(
        secret_name=name,
        kms_key_id=kms[0] if kms else None,
        description=description[0] if description else None,
        tags=dict(tags[0]) if tags else {},
    )


def _parameter_store(
    path: Path, setting: _Lookup, sources: dict[str, str]
) -> ParameterStoreSettings:
    found = setting("parameter_store", "path")
    prefix = _required(path, found, "parameter_store", "path")
    sources["target"] = found[1] if found else ""
    if not prefix.startswith("/"):
        raise ConfigError(
            f"{path}: [parameter_store] path {prefix!r} must start with '/'",
            hint=f"Write it as {'/' + prefix.strip('/') + '/'!r}.",
        )
    normalised = "/" + "/".join(part for part in prefix.split("/") if part) + "/"
    if normalised == "//":
        normalised = "/"
    ptype = setting("parameter_store", "type")
    tier = setting("parameter_store", "tier")
    if ptype and ptype[0] not in PARAMETER_TYPES:
        raise ConfigError(
            f"{path}: [parameter_store] type {ptype[0]!r} is not supported",
            hint=f"Use one of: {', '.join(PARAMETER_TYPES)}.",
        )
    if tier and tier[0] not in PARAMETER_TIERS:
        raise ConfigError(
            f"{path}: [parameter_store] tier {tier[0]!r} is not a parameter tier",
            hint=f"Use one of: {', '.join(PARAMETER_TIERS)}.",
        )
    kms, tags = setting("parameter_store", "kms_key_id"), setting("parameter_store", "tags")
    return ParameterStoreSettings(
        path=normalised,
        type=ptype[0] if ptype else "SecureString",
        tier=tier[0] if tier else "Standard",
        kms_key_id=kms[0] if kms else None,
        tags=dict(tags[0]) if tags else {},
    )


def _profile_region(profile: str | None, environ: Mapping[str, str]) -> tuple[str | None, str]:
    """The region of the AWS profile in the shared config file, read without botocore."""
    import configparser  # only when nothing else named a region

    config_file = Path(environ.get("AWS_CONFIG_FILE") or Path.home() / ".aws" / "config")
    name = profile or "default"
    section = "default" if name == "default" else f"profile {name}"
    parser = configparser.RawConfigParser()
    try:
        parser.read(config_file, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return None, ""
    value = parser.get(section, "region", fallback=None)
    return (value.strip() or None if value else None), f"AWS profile {name!r} in {config_file}"
