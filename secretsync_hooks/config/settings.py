"""Find and resolve ``.secretsync.toml``, remembering where each setting came from.

Precedence, highest first: command-line option > ``SECRETSYNC_*`` variables > ``AWS_REGION`` >
the config file (a named environment's table over the top level) > ``AWS_DEFAULT_REGION`` > the
AWS profile's region.  Every resolved value carries its source so that ``status`` can say
``region eu-west-1 (from AWS_REGION)``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from fnmatch import fnmatchcase
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar, Literal, NamedTuple

from secretsync_hooks import text
from secretsync_hooks.config.contract import Contract, load_contract
from secretsync_hooks.config.schema import TABLES, lookalikes, read_config_file, validate
from secretsync_hooks.errors import ConfigError
from secretsync_hooks.local import trust
from secretsync_hooks.local.fs import as_written

CONFIG_FILENAME = ".secretsync.toml"
BackendKind = Literal["secrets_manager", "parameter_store"]
BACKEND_TYPES: tuple[BackendKind, ...] = ("secrets_manager", "parameter_store")
PARAMETER_TYPES = ("SecureString", "String")
PARAMETER_TIERS = ("Standard", "Advanced", "Intelligent-Tiering")
DEFAULT_ENV_FILE = ".env"
DEFAULT_SCAN_MIN_LENGTH = 8
# The name of the top level, the environment used without --env.
DEFAULT_ENVIRONMENT = "default"
# Most credentials are 16 to 64 characters: a longer minimum would let most of them through.
MAX_SCAN_MIN_LENGTH = 16

# Key names unlike each other: a plain_keys pattern that matches them all matches every key.
_PROBES = ("A", "z", "_", "9", "API_KEY", "db.password", "x-y", "Secret42", "a b", "ä")
_PATH_PROBES = ("app.py", "src/main.go", ".github/workflows/ci.yml", "README", "a/b/c.txt")


class _SecretsManagerFields(NamedTuple):
    secret_name: str
    kms_key_id: str | None = None
    description: str | None = None
    tags: Mapping[str, str] = MappingProxyType({})


class SecretsManagerSettings(_SecretsManagerFields):
    __slots__ = ()
    kind: ClassVar[Literal["secrets_manager"]] = "secrets_manager"
    required: ClassVar[str] = "secret_name"

    @property
    def target(self) -> str:
        return self.secret_name


class _ParameterStoreFields(NamedTuple):
    path: str
    type: str = "SecureString"
    tier: str = "Standard"
    kms_key_id: str | None = None
    tags: Mapping[str, str] = MappingProxyType({})


class ParameterStoreSettings(_ParameterStoreFields):
    __slots__ = ()
    kind: ClassVar[Literal["parameter_store"]] = "parameter_store"
    required: ClassVar[str] = "path"

    @property
    def target(self) -> str:
        return self.path


RemoteSettings = SecretsManagerSettings | ParameterStoreSettings
_SETTINGS: dict[str, type[SecretsManagerSettings] | type[ParameterStoreSettings]] = {
    "secrets_manager": SecretsManagerSettings,
    "parameter_store": ParameterStoreSettings,
}
_EXAMPLES = {"secret_name": "myapp/production", "path": "/myapp/production/"}


class Overrides(NamedTuple):
    """Settings given on the command line; None means "not given"."""

    config: Path | None = None
    environment: str | None = None
    region: str | None = None
    profile: str | None = None
    env_file: Path | None = None
    no_profile: bool = False  # --no-profile: ignore a configured profile


class Config(NamedTuple):
    """The settings of one environment, resolved, with the source of each."""

    path: Path
    environment: str | None
    remote: RemoteSettings
    region: str | None
    # The profile secretsync names to botocore (--profile, SECRETSYNC_PROFILE, the config);
    # None for botocore's own default chain, in which environment credentials win over
    # AWS_PROFILE, as in boto3 and the AWS CLI.
    profile: str | None
    env_file: Path
    plain_keys: tuple[str, ...]
    environments: tuple[str, ...]
    sources: Mapping[str, str]
    warnings: tuple[str, ...] = ()
    # AWS_PROFILE when no profile is named: botocore's default chain uses it after
    # environment credentials.
    ambient_profile: str | None = None
    # The region the config file names for this environment (None if it names none).
    configured_region: str | None = None
    # Keys ``run --strict`` requires (``required_keys``); empty: those of the .env.example.
    required_keys: tuple[str, ...] = ()
    # The key contract: [keys.NAME] rules (required, type, choices, pattern, local ...).
    contract: Contract = Contract()
    # [scan]: values shorter than this are not looked for; paths (globs) not scanned.
    scan_min_length: int = DEFAULT_SCAN_MIN_LENGTH
    scan_exclude: tuple[str, ...] = ()

    @property
    def backend(self) -> BackendKind:
        return self.remote.kind

    @property
    def target(self) -> str:
        """The remote this environment syncs with: a secret name or a parameter path."""
        return self.remote.target

    @property
    def remote_name(self) -> str:
        """The remote, for people: ``secret myapp/prod`` or ``parameter path /myapp/prod/``."""
        kind = "secret" if self.backend == "secrets_manager" else "parameter path"
        return f"{kind} {self.target}"

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
    path = overrides.config or find_config(cwd, env)
    if path is None:
        raise ConfigError(
            f"no {CONFIG_FILENAME} found in {cwd} or its parents (up to the git root)",
            hint="`secretsync init` makes one (or see docs/reference/configuration.md), or pass "
            "--config PATH.",
        )
    raw = read_config_file(path)
    warnings = validate(raw, path)
    sources: dict[str, str] = {}
    layers = _Layers.of(raw, path, overrides, env, sources)
    kind = _backend_kind(layers, env, sources)
    profile = _profile(layers, overrides, env, sources)
    ambient = _env(env, "AWS_PROFILE") if sources["profile"] == "default" else None
    if ambient:
        sources["profile"] = "AWS_PROFILE"
    region, configured = _region(layers, overrides, env, sources, profile or ambient, warnings)
    plain = layers.get(None, "plain_keys")
    if plain:
        _check_plain_keys(path, plain[0])
    required = layers.get(None, "required_keys")
    contract = load_contract(raw, layers.layer, path, required[0] if required else ())
    return Config(
        path=path,
        environment=layers.name,
        remote=_remote(kind, layers, sources),
        region=region,
        profile=profile,
        env_file=_env_file(layers, overrides, env, cwd, sources),
        plain_keys=tuple(plain[0]) if plain else (),
        environments=tuple(layers.environments),
        sources=sources,
        warnings=tuple(warnings),
        ambient_profile=ambient,
        configured_region=configured,
        required_keys=tuple(contract.required()),
        contract=contract,
        scan_min_length=_min_length(layers),
        scan_exclude=_scan_exclude(layers),
    )


class _Layers(NamedTuple):
    """The settings of one environment: its own table over the top level, with provenance."""

    raw: Mapping[str, Any]
    path: Path
    name: str | None
    layer: Mapping[str, Any]
    environments: Mapping[str, Mapping[str, Any]]

    @classmethod
    def of(
        cls,
        raw: Mapping[str, Any],
        path: Path,
        overrides: Overrides,
        environ: Mapping[str, str],
        sources: dict[str, str],
    ) -> _Layers:
        environments: Mapping[str, Mapping[str, Any]] = raw.get("environments", {})
        name, sources["environment"] = overrides.environment, "--env"
        if name is None and (name := _env(environ, "SECRETSYNC_ENV")) is not None:
            sources["environment"] = "SECRETSYNC_ENV"
        if name is None:
            sources["environment"] = "default"
            return cls(raw, path, None, {}, environments)
        if name == DEFAULT_ENVIRONMENT and name not in environments:
            # The top level, by a name --env accepts (`--env default --env staging`).
            return cls(raw, path, None, {}, environments)
        if name not in environments:
            available = text.keys([DEFAULT_ENVIRONMENT, *sorted(environments)])
            raise ConfigError(
                f"{path}: no environment named {text.shown(name)!r} "
                f"(from {sources['environment']})",
                hint=f"Environments in the config: {available}.",
            )
        return cls(raw, path, name, environments[name], environments)

    def get(self, table: str | None, key: str) -> tuple[Any, str] | None:
        """(value, where it came from) of ``table.key``: the environment's, else the top
        level's; None when neither sets it."""
        for scope, label in ((self.layer, f"environments.{self.name}."), (self.raw, "")):
            container = scope.get(table, {}) if table else scope
            if key in container:
                dotted = f"{label}{table + '.' if table else ''}{key}"
                return container[key], f"{self.path.name} [{dotted}]"
        return None

    def tables(self, table: str) -> list[Mapping[str, Any]]:
        return [scope.get(table, {}) for scope in (self.layer, self.raw)]


def _env(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


def _backend_kind(
    layers: _Layers, environ: Mapping[str, str], sources: dict[str, str]
) -> BackendKind:
    if (variable := _env(environ, "SECRETSYNC_BACKEND")) is not None:
        kind, sources["backend"] = variable, "SECRETSYNC_BACKEND"
    elif (found := layers.get("backend", "type")) is not None:
        kind, sources["backend"] = found
    else:
        close = lookalikes(layers.tables("backend"), "type")
        raise ConfigError(
            f"{layers.path}: no backend type"
            + (f" (is {close[0]!r} a typo of 'type'?)" if close else ""),
            hint=f"Set [backend] type to one of: {', '.join(BACKEND_TYPES)}.",
        )
    for known in BACKEND_TYPES:
        if kind == known:
            return known
    raise ConfigError(
        f"unknown backend type {text.shown(str(kind))!r} (from {sources['backend']})",
        hint=f"Valid types: {', '.join(BACKEND_TYPES)}.",
    )


def _profile(
    layers: _Layers, overrides: Overrides, environ: Mapping[str, str], sources: dict[str, str]
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
    found = layers.get("backend", "profile")
    if found is not None and str(found[0]).strip():
        sources["profile"] = found[1]
        return str(found[0]).strip()
    sources["profile"] = "default"
    return None


def ambient_region(environ: Mapping[str, str], profile: str | None) -> str | None:
    """The region a new config would be read in before it names one (``init``'s default):
    ``SECRETSYNC_REGION`` > ``AWS_REGION`` > ``AWS_DEFAULT_REGION`` > the AWS profile's."""
    for variable in ("SECRETSYNC_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"):
        if value := _env(environ, variable):
            return value
    from secretsync_hooks.config.aws_profile import profile_region

    return profile_region(profile or _env(environ, "AWS_PROFILE"), environ)[0]


def _region(
    layers: _Layers,
    overrides: Overrides,
    environ: Mapping[str, str],
    sources: dict[str, str],
    profile: str | None,
    warnings: list[str],
) -> tuple[str | None, str | None]:
    """The region in use (its source in ``sources``), and the region the config names."""
    configured = layers.get("backend", "region")
    candidates: list[tuple[str | None, str]] = [
        (overrides.region, "--region"),
        (_env(environ, "SECRETSYNC_REGION"), "SECRETSYNC_REGION"),
        (_env(environ, "AWS_REGION"), "AWS_REGION"),
        configured or (None, ""),
        (_env(environ, "AWS_DEFAULT_REGION"), "AWS_DEFAULT_REGION"),
    ]
    region, where = next(((v, w) for v, w in candidates if v), (None, ""))
    if region is None:
        from secretsync_hooks.config.aws_profile import profile_region

        region, where = profile_region(profile, environ)
    if region is not None:
        sources["region"] = where
    named = configured[0] if configured else None
    if configured and where == "AWS_REGION" and region != named:
        warnings.append(
            f"AWS_REGION={region} overrides region {named} from {configured[1]}; "
            f"pass --region {named} (or unset AWS_REGION) to use that one"
        )
    return region, named


def _env_file(
    layers: _Layers,
    overrides: Overrides,
    environ: Mapping[str, str],
    cwd: Path,
    sources: dict[str, str],
) -> Path:
    """The .env file: one the user names may be anywhere; one the config names (or the
    default ``.env``) must resolve inside the config file's directory, symlinks followed, so
    that a repository cannot point secretsync at a file of yours elsewhere."""
    # A path the user gives is shown as they meant it: `app/../broken.env` is `broken.env`.
    if overrides.env_file is not None:
        sources["env_file"] = "--env-file"
        return as_written(cwd / overrides.env_file)
    if (variable := _env(environ, "SECRETSYNC_ENV_FILE")) is not None:
        sources["env_file"] = "SECRETSYNC_ENV_FILE"
        return as_written(cwd / variable)
    configured = layers.get(None, "env_file")
    name = str(configured[0]) if configured else DEFAULT_ENV_FILE
    sources["env_file"] = configured[1] if configured else "default"
    path, root = layers.path, layers.path.parent
    relative = Path(name)
    if relative.is_absolute() or ".." in relative.parts or "\0" in name:
        raise ConfigError(
            f"{path}: env_file {text.shown(name)!r} must be a path inside {root} (no '..', "
            "not absolute)",
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
            f"{text.shown(os.path.realpath(env_file))})",
            hint="secretsync only follows links that stay inside the config file's directory; "
            "pass --env-file to use that file on purpose.",
        )
    return env_file


def _min_length(layers: _Layers) -> int:
    found = layers.get("scan", "min_length")
    if found is None:
        return DEFAULT_SCAN_MIN_LENGTH
    if not 1 <= found[0] <= MAX_SCAN_MIN_LENGTH:
        raise ConfigError(
            f"{layers.path}: [scan] min_length must be 1 or more, and at most "
            f"{MAX_SCAN_MIN_LENGTH} (more would let most secrets through), not {found[0]}"
        )
    return int(found[0])


def _scan_exclude(layers: _Layers) -> tuple[str, ...]:
    """``[scan] exclude``, refusing globs that would together exclude every file (a leak guard
    that looks at nothing would pass every commit without a word)."""
    found = layers.get("scan", "exclude")
    globs = tuple(found[0]) if found else ()
    if globs and all(any(fnmatchcase(p, glob) for glob in globs) for p in _PATH_PROBES):
        one = len(globs) == 1
        raise ConfigError(
            f"{layers.path}: [scan] exclude {_listed(globs)} "
            f"{'matches' if one else 'together match'} every file, which would turn the leak "
            "guard off",
            hint='Name what holds copies on purpose, e.g. ["tests/fixtures/*"].',
        )
    return globs


def _listed(patterns: tuple[str, ...] | list[str]) -> str:
    """Patterns as the config writes them: ``["a", "b*"]``, one pattern as ``'a'``."""
    if len(patterns) == 1:
        return f"pattern {patterns[0]!r}"
    return "patterns [" + ", ".join(f'"{text.shown(p)}"' for p in patterns) + "]"


def _check_plain_keys(path: Path, patterns: list[str]) -> None:
    """Refuse ``plain_keys`` patterns that would together show every value (``*``, ``?*``,
    ``["?", "??*"]``, ...); which keys they show of a real key set is checked where the keys
    are known (:func:`secretsync_hooks.masking.check_plain_keys`)."""
    if all(any(fnmatchcase(probe, p) for p in patterns) for probe in _PROBES):
        one = len(patterns) == 1
        raise ConfigError(
            f"{path}: plain_keys {_listed(patterns)} {'matches' if one else 'together match'} "
            "every key, which would print every secret",
            hint='Name the keys whose values are not secret, e.g. ["LOG_LEVEL", "APP_*"].',
        )


def _remote(kind: BackendKind, layers: _Layers, sources: dict[str, str]) -> RemoteSettings:
    """The settings of ``kind``'s table, checked: its one required setting, and choices."""
    settings = _SETTINGS[kind]
    found = {key: layers.get(kind, key) for key in TABLES[kind]}
    required = found[settings.required]
    if required is None or not str(required[0]).strip():
        close = lookalikes(layers.tables(kind), settings.required)
        typo = f" (is {close[0]!r} a typo of {settings.required!r}?)" if close else ""
        raise ConfigError(
            f"{layers.path}: [{kind}] {settings.required} is required for the {kind} backend{typo}",
            hint=f'Add it, e.g.\n  [{kind}]\n  {settings.required} = "'
            f'{_EXAMPLES[settings.required]}"',
        )
    sources["target"] = required[1]
    values = {key: item[0] for key, item in found.items() if item is not None}
    if "tags" in values:
        values["tags"] = dict(values["tags"])
    if kind == "parameter_store":
        values = _parameter_store_values(layers.path, values)
    return settings(**values)


def _parameter_store_values(path: Path, values: dict[str, Any]) -> dict[str, Any]:
    prefix = str(values["path"])
    if not prefix.startswith("/"):
        raise ConfigError(
            f"{path}: [parameter_store] path {text.shown(prefix)!r} must start with '/'",
            hint=f"Write it as {'/' + prefix.strip('/') + '/'!r}.",
        )
    values["path"] = "/" + "".join(f"{part}/" for part in prefix.split("/") if part)
    for key, choices, what in (
        ("type", PARAMETER_TYPES, "is not supported"),
        ("tier", PARAMETER_TIERS, "is not a parameter tier"),
    ):
        if key in values and values[key] not in choices:
            raise ConfigError(
                f"{path}: [parameter_store] {key} {text.shown(values[key])!r} {what}",
                hint=f"Use one of: {', '.join(choices)}.",
            )
    return values
