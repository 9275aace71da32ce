"""Where ``import`` reads keys from, each read once into one ``Source``: the key -> value
pairs in the source's own order, by the names the ``.env`` will hold them under.

- ``chamber SERVICE``: chamber's layouts and names (``chamber.py``);
- ``json FILE`` and ``dotenv FILE``: another tool's export (``files.py``);
- ``secrets-manager NAME`` and ``parameter-store /PATH/``: a secret or a parameter path in
  the config's region and profile, read by the backends' own reading code, as a pull reads.

Every value read is registered with the command's redactor before anything can be printed,
and every key and value is checked before anything is written: a key a ``.env`` cannot
hold, or a value no environment can, is refused naming the key (exit 2).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import BinaryIO, NamedTuple

from secretsync_hooks import text
from secretsync_hooks.config.settings import (
    Config,
    ParameterStoreSettings,
    RemoteSettings,
    SecretsManagerSettings,
)
from secretsync_hooks.imports import chamber, files
from secretsync_hooks.imports.files import SourceError
from secretsync_hooks.local.env_file import can_hold_key
from secretsync_hooks.redact import Redactor
from secretsync_hooks.remote.aws import AwsSession
from secretsync_hooks.remote.base import RemoteSnapshot

log = logging.getLogger("secretsync")

KINDS = ("chamber", "json", "dotenv", "secrets-manager", "parameter-store")
ARGUMENTS = {
    "chamber": "SERVICE",
    "json": "FILE",
    "dotenv": "FILE",
    "secrets-manager": "NAME",
    "parameter-store": "/PATH/",
}


class Source(NamedTuple):
    """What one source holds, ready to merge into the ``.env``."""

    kind: str  # one of KINDS
    argument: str  # as given: the service, file, secret name or path
    where: str  # what was read, for people: "secret myapp/prod", "secrets.json"
    values: Mapping[str, str]  # .env name -> value, in the source's order
    renamed: tuple[tuple[str, str], ...] = ()  # (the source's name, the .env's) where they differ
    skipped: tuple[str, ...] = ()  # the source's names that are not keys (chamber's metadata)
    warnings: tuple[str, ...] = ()
    session: AwsSession | None = None  # the AWS session the read used: the command's one

    def __repr__(self) -> str:  # never the values
        return f"Source(kind={self.kind!r}, where={self.where!r}, keys={list(self.values)!r})"


def read_source(
    config: Config,
    redactor: Redactor,
    kind: str,
    argument: str,
    *,
    chamber_backend: str = "ssm",
    deadline: float | None = None,
    stdin: BinaryIO | None = None,
) -> Source:
    """Read ``kind``'s ``argument`` once; every value registered with ``redactor``; every
    key and value checked."""
    if kind in ("json", "dotenv"):
        document, where = files.read_text(argument, stdin)
        parse = files.parse_json if kind == "json" else files.parse_dotenv
        source = Source(kind, argument, where, parse(document, where))
    elif kind == "chamber":
        source = _chamber(config, redactor, argument, chamber_backend, deadline)
    elif kind in ("secrets-manager", "parameter-store"):
        source = _backend(config, redactor, kind, argument, deadline)
    else:
        raise SourceError(f"no such source {text.shown(kind)!r}: one of {', '.join(KINDS)}")
    redactor.register(source.values.values())
    check(source)
    log.debug("read %d keys from %s", len(source.values), source.where)
    return source


def check(source: Source) -> None:
    """Refuse, naming them, keys a ``.env`` cannot hold and values no environment can."""
    problems: dict[str, list[str]] = {}
    for key, value in source.values.items():
        problem = key_problem(key) or _value_problem(value)
        if problem:
            problems.setdefault(problem, []).append(key)
    if problems:
        lines = [f"  {problem}: {text.keys(keys)}" for problem, keys in problems.items()]
        raise SourceError(
            f"{source.where}: cannot import {text.count(sum(map(len, problems.values())), 'key')}"
            ":\n" + "\n".join(lines) + "\nnothing was imported",
            hint="Rename or fix those keys in the source, then import again.",
        )


def key_problem(key: str) -> str | None:
    """Why ``key`` is not a key a ``.env`` can hold and an environment can carry; None if it
    is one."""
    if not key:
        return "an empty name"
    if "=" in key or "\x00" in key:
        return "a name with '=' or a NUL character, which no environment variable can have"
    if not can_hold_key(key):  # what the .env writer itself would refuse
        return (
            "a name a .env file cannot hold (a line break, or a single quote in a name "
            "that needs quoting)"
        )
    return None


def _value_problem(value: str) -> str | None:
    if "\x00" in value:
        return "a value with a NUL character, which no environment can hold"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "a value that is not valid Unicode text (a lone surrogate)"
    return None


def _read(
    config: Config, settings: RemoteSettings, redactor: Redactor, deadline: float | None
) -> tuple[RemoteSnapshot, list[str], AwsSession]:
    """One remote read as every command reads: the config's region and profile, one session,
    one deadline, the backends' own reading code (paging, decryption, checks)."""
    from secretsync_hooks.remote.read import read_remote

    read = read_remote(config._replace(remote=settings), redactor, deadline)
    return read.snapshot, [*read.backend.warnings, *read.snapshot.warnings], read.session


def _absent(where: str, snapshot: RemoteSnapshot, region: str | None, hint: str) -> SourceError:
    """Nothing to import: a name mistyped, or another region or account, far more often than
    an empty source, so this is an error (exit 2) that says where it looked."""
    if snapshot.no_value:
        state = "holds no value yet"
    elif snapshot.exists:
        state = f"holds no keys (in {region})"
    elif "parameter path" in where:
        state = f"has no parameters directly under it in {region}"
    else:
        state = f"does not exist in {region}"
    return SourceError(f"{where} {state}; nothing to import", hint=hint)


def _backend(
    config: Config, redactor: Redactor, kind: str, argument: str, deadline: float | None
) -> Source:
    settings: RemoteSettings
    if kind == "secrets-manager":
        settings = SecretsManagerSettings(secret_name=argument)
        where = f"secret {argument}"
    else:
        settings = ParameterStoreSettings(path=parameter_path(argument))
        where = f"parameter path {settings.path}"
    snapshot, warnings, session = _read(config, settings, redactor, deadline)
    if not snapshot.values:
        raise _absent(where, snapshot, config.region, "Check the name, --region and --profile.")
    return Source(
        kind, argument, where, dict(snapshot.values), warnings=tuple(warnings), session=session
    )


def parameter_path(argument: str) -> str:
    """``/a/b`` or ``a/b/`` written as Parameter Store paths are: ``/a/b/``."""
    if not argument.startswith("/"):
        raise SourceError(
            f"the parameter path {text.shown(argument)!r} must start with '/'",
            hint=f"Write it as {'/' + argument.strip('/') + '/'!r}.",
        )
    return "/" + "".join(f"{part}/" for part in argument.split("/") if part)


def _chamber(
    config: Config, redactor: Redactor, argument: str, backend: str, deadline: float | None
) -> Source:
    service = chamber.service_name(argument)
    settings: RemoteSettings
    if backend == "secretsmanager":
        settings, metadata = (
            SecretsManagerSettings(secret_name=service),
            chamber.SECRETS_MANAGER_METADATA,
        )
        where = f"chamber service {service} (secret {service})"
    else:
        settings, metadata = ParameterStoreSettings(path=f"/{service}/"), chamber.SSM_METADATA
        where = f"chamber service {service} (parameter path /{service}/)"
    snapshot, warnings, session = _read(config, settings, redactor, deadline)
    values, renamed, skipped = chamber.environment(snapshot.values, metadata)
    if not values:
        other = "secretsmanager" if backend == "ssm" else "ssm"
        raise _absent(
            where,
            snapshot,
            config.region,
            f"Check the service, --region and --profile; a service chamber keeps in the other "
            f"backend is read with --chamber-backend {other}.",
        )
    return Source("chamber", argument, where, values, renamed, skipped, tuple(warnings), session)
