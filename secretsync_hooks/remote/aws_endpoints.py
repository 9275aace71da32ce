"""botocore's endpoint data, cut down to the services secretsync calls and cached.

Every botocore session parses ``endpoints.json`` (1.2 MB, every service in every partition)
to build its endpoint resolver: about 40 ms of every start-up, a tenth of a hook's run.
secretsync calls two services.  The first run writes the partitions with only those two
services to the user's cache (``$XDG_CACHE_HOME/secretsync``, default ``~/.cache``), keyed by
the botocore version and the size and time of every ``endpoints`` file botocore could read;
later runs load that (a few KB).  Any other service a session needs (STS or SSO while
resolving credentials) is answered from the full data, loaded then.  Anything wrong with the
cache (missing, unreadable, not the user's, not JSON) means the full data, as botocore does.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from secretsync_hooks.local.fs import FileProblem, read_regular, write_atomic

log = logging.getLogger("secretsync")

SERVICES = ("secretsmanager", "ssm")
_LIMIT = 4 * 1024 * 1024


def cache_dir(environ: Mapping[str, str]) -> Path:
    xdg = environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(xdg) if xdg else Path.home() / ".cache") / "secretsync"


def register(session: Any, loader: Any, environ: Mapping[str, str]) -> None:
    """Make ``session`` build its endpoint resolver from the cut-down data (if botocore still
    has the hook this relies on; if not, it keeps its own)."""
    components = getattr(session, "_internal_components", None)
    if components is None or not hasattr(components, "lazy_register_component"):
        return
    components.lazy_register_component(
        "endpoint_resolver", lambda: resolver(loader, cache_dir(environ))
    )


def resolver(loader: Any, directory: Path) -> Any:
    """An endpoint resolver for ``loader``'s data: the cut-down data for :data:`SERVICES`,
    the full data (loaded on first need) for any other service."""
    from botocore.regions import EndpointResolver

    class _Resolver(EndpointResolver):
        def __init__(self, data: Any, builtin: bool) -> None:
            super().__init__(data, uses_builtin_data=builtin)
            self._everything: Any = None

        def _for(self, service: str) -> Any:
            if service in SERVICES:
                return super()
            if self._everything is None:
                self._everything = _full(loader)
            return self._everything

        def construct_endpoint(self, service_name: str, *args: Any, **kwargs: Any) -> Any:
            return self._for(service_name).construct_endpoint(service_name, *args, **kwargs)

        def get_available_endpoints(self, service_name: str, *args: Any, **kwargs: Any) -> Any:
            return self._for(service_name).get_available_endpoints(service_name, *args, **kwargs)

        def get_service_endpoints_data(self, service_name: str, *args: Any, **kwargs: Any) -> Any:
            return self._for(service_name).get_service_endpoints_data(service_name, *args, **kwargs)

    key = _key(loader)
    path = directory / f"endpoints-{key}.json"
    cached = _read(path)
    if cached is not None:
        return _Resolver(cached["data"], cached["builtin"])
    data, where = loader.load_data_with_path("endpoints")
    builtin = bool(loader.is_builtin_path(where))
    _write(path, {"data": cut(data), "builtin": builtin})
    return _Resolver(data, builtin)


def cut(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` with each partition's services reduced to :data:`SERVICES`."""
    partitions = []
    for partition in data.get("partitions", []):
        kept = dict(partition)
        services = partition.get("services", {})
        kept["services"] = {name: services[name] for name in SERVICES if name in services}
        partitions.append(kept)
    return {**data, "partitions": partitions}


def _full(loader: Any) -> Any:
    from botocore.regions import EndpointResolver

    data, where = loader.load_data_with_path("endpoints")
    return EndpointResolver(data, uses_builtin_data=loader.is_builtin_path(where))


def _key(loader: Any) -> str:
    """What the cut-down data depends on: botocore's version and every file botocore could
    read as ``endpoints`` (path, size, modification time), in its search order."""
    import botocore

    parts: list[object] = [botocore.__version__, SERVICES]
    for directory in loader.search_paths:
        for name in ("endpoints.json", "endpoints.json.gz"):
            candidate = Path(directory, name)
            try:
                st = candidate.stat()
            except (OSError, ValueError):
                continue
            parts.append((str(candidate), st.st_size, st.st_mtime_ns))
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def _read(path: Path) -> dict[str, Any] | None:
    try:
        st = os.lstat(path)
        if not _private(st) or not _private(os.lstat(path.parent)):
            log.debug("endpoint cache %s is not private to this user: not used", path)
            return None
        _, raw = read_regular(path, limit=_LIMIT, follow_symlinks=False)
        cached = json.loads(raw)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, FileProblem) as exc:
        log.debug("endpoint cache %s not used: %s", path, type(exc).__name__)
        return None
    if (
        isinstance(cached, dict)
        and isinstance(cached.get("builtin"), bool)
        and isinstance(cached.get("data"), dict)
        and isinstance(cached["data"].get("partitions"), list)
    ):
        return cached
    return None


def _private(st: os.stat_result) -> bool:
    """Owned by this user, not writable by anyone else, not a link."""
    if stat.S_ISLNK(st.st_mode) or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return False
    return not hasattr(os, "geteuid") or st.st_uid == os.geteuid()


def _write(path: Path, cached: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(os.lstat(path.parent)):
            return
        write_atomic(
            path,
            json.dumps(cached, separators=(",", ":")).encode(),
            mode=0o600,
            follow_symlinks=False,
        )
    except (OSError, FileProblem) as exc:
        log.debug("endpoint cache %s not written: %s", path, type(exc).__name__)
