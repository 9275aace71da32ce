"""The base: what both sides last agreed on, so a later comparison can tell who changed what.

Per environment, the base records for each key a keyed fingerprint of the agreed value
(HMAC-SHA256 under a random key of this repository, over the key name and the value) and the
remote version it was read at.  Never a value, never a plain hash: a base file that leaks lets
nobody recover or confirm a secret without the key, which lives beside it with mode 0600.

Inside a git repository it lives in ``$(git rev-parse --git-dir)/secretsync/``; outside, in
``$XDG_STATE_HOME/secretsync/`` (default ``~/.local/state/secretsync/``), named after the
config file's path.  Never in the work tree.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secretsync_hooks.config import Config
from secretsync_hooks.env_file import write_atomic

FORMAT = 1
KEY_BYTES = 32
_FINGERPRINT = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Base:
    """The last agreed state of one environment."""

    recorded_at: datetime.datetime
    remote_version: str | None
    fingerprints: Mapping[str, str] = field(repr=False)
    versions: Mapping[str, str] = field(default_factory=dict)


class BaseError(Exception):
    """The stored base cannot be trusted; it is reported once and ignored."""


def git_dir(start: Path) -> Path | None:
    """The git directory of the work tree holding ``start``, without running git.

    Handles a ``.git`` directory and a ``.git`` file (``gitdir: ...``, as in worktrees and
    submodules).
    """
    directory = start.resolve()
    while True:
        dot_git = directory / ".git"
        if dot_git.is_dir():
            return dot_git
        if dot_git.is_file():
            text = dot_git.read_text(encoding="utf-8", errors="replace").strip()
            if text.startswith("gitdir:"):
                target = Path(text.split(":", 1)[1].strip())
                return target if target.is_absolute() else (directory / target).resolve()
        if directory.parent == directory:
            return None
        directory = directory.parent


def state_dir(config: Config, environ: Mapping[str, str] | None = None) -> Path:
    """Where the bases (and the fingerprint key) of ``config``'s repository live."""
    found = git_dir(config.path.parent)
    if found is not None:
        return found / "secretsync"
    env = os.environ if environ is None else environ
    xdg = env.get("XDG_STATE_HOME", "").strip()
    root = Path(xdg) if xdg else Path.home() / ".local" / "state"
    return root / "secretsync"


class BaseStore:
    """Reads and writes the base of one environment."""

    def __init__(self, config: Config, environ: Mapping[str, str] | None = None) -> None:
        self.config = config
        self.directory = state_dir(config, environ)
        identity = "\0".join(
            [str(config.path.resolve()), config.environment or "", config.backend, config.target]
        )
        digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:20]
        label = re.sub(r"[^A-Za-z0-9_.-]", "_", config.environment or "default")[:40]
        self.path = self.directory / f"base-{label}-{digest}.json"
        self._key_path = self.directory / "key"
        self._key: bytes | None = None

    # -- the fingerprint key ------------------------------------------------------------------
    def _load_key(self, *, create: bool) -> bytes | None:
        if self._key is not None:
            return self._key
        try:
            text = self._key_path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            if not create:
                return None
            return self._create_key()
        except (OSError, UnicodeDecodeError) as exc:
            raise BaseError(f"cannot read {self._key_path}: {exc}") from None
        try:
            key = bytes.fromhex(text)
        except ValueError:
            raise BaseError(f"{self._key_path} is not a hex key") from None
        if len(key) != KEY_BYTES:
            raise BaseError(f"{self._key_path} holds a key of the wrong length")
        self._key = key
        return key

    def _create_key(self) -> bytes:
        import secrets  # only the first sync of a repository makes a key

        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = secrets.token_bytes(KEY_BYTES)
        try:
            # O_EXCL: two first syncs at once must not end with two different keys.
            fd = os.open(self._key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            loaded = self._load_key(create=False)
            assert loaded is not None
            return loaded
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(key.hex() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self._key = key
        return key

    def fingerprint(self, key: str, value: str) -> str:
        secret = self._load_key(create=True)
        assert secret is not None
        message = key.encode("utf-8") + b"\0" + value.encode("utf-8")
        return hmac.new(secret, message, hashlib.sha256).hexdigest()

    # -- the base -------------------------------------------------------------------------------
    def load(self) -> Base | None:
        """The stored base; None if there is none yet; :class:`BaseError` if it is unusable."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise BaseError(f"cannot read {self.path}: {exc.strerror or exc}") from None
        if self._load_key(create=False) is None:
            raise BaseError(f"{self.path} exists but its key {self._key_path} is missing")
        try:
            data = json.loads(raw.decode("utf-8"))
            return _parse(data, self.config)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BaseError(f"{self.path} is corrupt ({type(exc).__name__})") from None

    def save(
        self,
        fingerprints: Mapping[str, str],
        versions: Mapping[str, str],
        remote_version: str | None,
    ) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        document = {
            "format": FORMAT,
            "config": str(self.config.path.resolve()),
            "environment": self.config.environment,
            "backend": self.config.backend,
            "target": self.config.target,
            "recorded_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "remote_version": remote_version,
            "keys": {
                key: {"fingerprint": fp, "version": versions.get(key)}
                for key, fp in sorted(fingerprints.items())
            },
        }
        write_atomic(self.path, (json.dumps(document, indent=1) + "\n").encode(), mode=0o600)


def _parse(data: Any, config: Config) -> Base:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError("unknown format")
    if (data.get("backend"), data.get("target")) != (config.backend, config.target):
        raise ValueError("recorded for another remote")
    fingerprints: dict[str, str] = {}
    versions: dict[str, str] = {}
    for key, item in data["keys"].items():
        fingerprint = item["fingerprint"]
        if not isinstance(key, str) or not isinstance(fingerprint, str):
            raise TypeError("bad entry")
        if not _FINGERPRINT.fullmatch(fingerprint):
            raise ValueError("bad fingerprint")
        fingerprints[key] = fingerprint
        if item.get("version") is not None:
            versions[key] = str(item["version"])
    recorded = datetime.datetime.fromisoformat(data["recorded_at"])
    remote_version = data.get("remote_version")
    return Base(
        recorded_at=recorded,
        remote_version=str(remote_version) if remote_version is not None else None,
        fingerprints=fingerprints,
        versions=versions,
    )
