"""The record of the last sync: what both sides agreed on, so that a later comparison can
tell who changed what.

Per pairing, the record holds for each key a keyed fingerprint of the agreed value
(HMAC-SHA256 over the key name and the value) and the remote version it was read at.  Never a
value, never a plain hash.  The fingerprint key is the user's, in the user's state directory
(``$XDG_STATE_HOME/secretsync/key``, default ``~/.local/state/secretsync/key``, mode 0600),
never beside the records: a copied ``.git`` (a Docker build context, an exposed ``/.git``)
carries fingerprints that nobody can test guesses against without that key.

Inside a git repository the records live in ``$(git rev-parse --git-dir)/secretsync/``;
outside, in the user's state directory.  Never in the work tree.  Files are opened without
following symbolic links, in a directory that must be the user's own.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from secretsync_hooks.config.settings import Config
from secretsync_hooks.errors import LastSyncError
from secretsync_hooks.local import trust
from secretsync_hooks.local.fs import FileProblem, read_regular, write_atomic

FORMAT = 2  # 2: bound to a pairing (env file, backend, target, region, identity)
KEY_BYTES = 32
MAX_BYTES = 16 * 1024 * 1024
_RESET_KEY = "secretsync forget --drop-fingerprint-key"
_FINGERPRINT = re.compile(r"[0-9a-f]{64}")


class Pairing(NamedTuple):
    """What a record of the last sync is about: one .env file and one remote, exactly.

    A record made for another pairing says nothing about this one: after syncing ``.env``, a
    push from ``.env.example``, a typo in ``--env-file`` or a stale copy of the secret in
    another region must not be read as "these keys were changed or deleted since".
    """

    env_file: str  # resolved, absolute
    backend: str
    target: str
    region: str | None

    @classmethod
    def of(cls, config: Config) -> Pairing:
        return cls(str(config.env_file.resolve()), config.backend, config.target, config.region)

    def fields(self) -> dict[str, str | None]:
        return {
            "env_file": self.env_file,
            "backend": self.backend,
            "target": self.target,
            "region": self.region,
        }

    def differences(self, other: Pairing) -> list[str]:
        """How ``other`` (what a record is about) differs from this pairing, for people."""
        labels = {
            "env_file": "the .env file",
            "backend": "the backend",
            "target": "the remote",
            "region": "the region",
        }
        mine, theirs = self.fields(), other.fields()
        return [
            f"{labels[name]} was {theirs[name] or '(none)'}, not {mine[name] or '(none)'}"
            for name in labels
            if mine[name] != theirs[name]
        ]


class LastSync(NamedTuple):
    """The last agreed state of one pairing."""

    recorded_at: datetime.datetime
    remote_version: str | None
    fingerprints: Mapping[str, str]
    versions: Mapping[str, str] = MappingProxyType({})
    pairing: Pairing | None = None
    # The remote's identity as AWS reported it when the record was made (an ARN, which
    # carries the account and region): a same-named secret elsewhere is another remote.
    identity: str | None = None

    def __repr__(self) -> str:  # fingerprints stay out of logs too
        return (
            f"LastSync(recorded_at={self.recorded_at.isoformat()}, keys={len(self.fingerprints)})"
        )


def git_dir(start: Path, environ: Mapping[str, str] | None = None) -> Path | None:
    """The git directory of the work tree holding ``start``, without running git.

    Handles a ``.git`` directory and a ``.git`` file (``gitdir: ...``, as in worktrees and
    submodules).  A ``.git`` in a directory another user owns or everyone may write to is
    refused, as is a ``gitdir:`` pointing at a directory that is not the user's own.
    """
    directory = start.resolve()
    while True:
        dot_git = directory / ".git"
        if dot_git.is_dir() or dot_git.is_file():
            trust.check_found(dot_git, "git directory", environ)
        if dot_git.is_dir():
            return dot_git
        if dot_git.is_file():
            try:
                _, raw = read_regular(dot_git, limit=4096)
            except (FileProblem, OSError):
                return None
            text = raw.decode("utf-8", errors="replace").strip()
            if text.startswith("gitdir:"):
                target = Path(text.split(":", 1)[1].strip())
                resolved = target if target.is_absolute() else (directory / target).resolve()
                trust.check_found(resolved, "git directory", environ)
                # Only what git itself takes for a git directory (HEAD, and objects or the
                # commondir of a worktree): a gitdir: naming any other folder of the
                # user's must not make records land there.
                return resolved if _is_git_directory(resolved) else None
        if directory.parent == directory:
            return None
        directory = directory.parent


def _is_git_directory(path: Path) -> bool:
    return (path / "HEAD").is_file() and (
        (path / "objects").is_dir() or (path / "commondir").is_file()
    )


def work_tree(config: Config) -> Path:
    """The work tree holding the config: the directory of its ``.git``, else its own."""
    from secretsync_hooks.local.exposure import work_tree_of

    directory = config.path.parent.resolve()
    return work_tree_of(directory) or directory


def user_state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The user's own state directory for secretsync (XDG), where the fingerprint key lives."""
    env = os.environ if environ is None else environ
    xdg = env.get("XDG_STATE_HOME", "").strip()
    root = Path(xdg) if xdg else Path.home() / ".local" / "state"
    return root / "secretsync"


def state_dir(config: Config, environ: Mapping[str, str] | None = None) -> Path:
    """Where the records of ``config``'s repository live."""
    found = git_dir(config.path.parent, environ)
    if found is not None:
        return found / "secretsync"
    return user_state_dir(environ)


def _own_directory(directory: Path) -> None:
    """Create ``directory`` (0700) if needed; refuse one that is a link or not the user's."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = directory.lstat()
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
        raise LastSyncError(f"{directory} is not a directory (a symbolic link?)")
    if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
        raise LastSyncError(f"{directory} belongs to another user (uid {st.st_uid})")


class LastSyncStore:
    """Reads and writes the record of the last sync of one pairing.

    One file per pairing: ``base-<environment>-<slot>-<pairing>.json``, where the slot names
    the config file and environment, so the records of other pairings of the same slot can be
    found to say why none applies.
    """

    def __init__(self, config: Config, environ: Mapping[str, str] | None = None) -> None:
        self.config = config
        self.pairing = Pairing.of(config)
        self._environ = environ
        self.directory = state_dir(config, environ)
        slot = _slot(config.path, config.environment)
        pair = _digest(*(value or "" for value in self.pairing.fields().values()))
        self._prefix = f"base-{slot}"
        self.path = self.directory / f"{self._prefix}{pair}.json"
        # Keys a write put in place without the config's tags (Parameter Store), which the
        # next push adds: beside the record, of the same pairing, apart from its agreement.
        self.untagged_path = self.directory / f"untagged-{slot}{pair}.json"
        self._key_directory = user_state_dir(environ)
        self._key_path = self._key_directory / "key"
        self._key: bytes | None = None

    # -- the fingerprint key ------------------------------------------------------------------
    def _load_key(self, *, create: bool) -> bytes | None:
        if self._key is not None:
            return self._key
        try:
            _, raw = read_regular(self._key_path, limit=1024, follow_symlinks=False)
            text = raw.decode("ascii").strip()
        except FileNotFoundError:
            if not create:
                return None
            return self._create_key()
        except (FileProblem, UnicodeDecodeError) as exc:
            raise LastSyncError(
                f"cannot read {self._key_path}: {_reason(exc)}", reset=_RESET_KEY
            ) from None
        try:
            key = bytes.fromhex(text)
        except ValueError:
            raise LastSyncError(f"{self._key_path} is not a hex key", reset=_RESET_KEY) from None
        if len(key) != KEY_BYTES:
            raise LastSyncError(
                f"{self._key_path} holds a key of the wrong length", reset=_RESET_KEY
            )
        self._key = key
        return key

    def _create_key(self) -> bytes:
        import secrets  # only the first sync of a repository makes a key
        import tempfile

        _own_directory(self._key_directory)
        key = secrets.token_bytes(KEY_BYTES)
        # Written whole to a temporary file, then linked into place: the key file either does
        # not exist or holds a whole key (a kill mid-write cannot leave an empty one), and the
        # link fails if another first sync got there first, so both end up with one key.
        fd, tmp_name = tempfile.mkstemp(prefix=".key.", suffix=".tmp", dir=self._key_directory)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                os.fchmod(fh.fileno(), 0o600)
                fh.write(key.hex() + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(tmp_name, self._key_path)
            except FileExistsError:
                loaded = self._load_key(create=False)
                assert loaded is not None
                return loaded
        finally:
            Path(tmp_name).unlink(missing_ok=True)
        self._key = key
        return key

    def key_id(self) -> str:
        """A public name for the fingerprint key, so a record made under another key (another
        user's, or one since replaced) is recognised instead of comparing as all-changed."""
        secret = self._load_key(create=True)
        assert secret is not None
        return hmac.new(secret, b"secretsync key id", hashlib.sha256).hexdigest()[:16]

    def fingerprint(self, key: str, value: str) -> str:
        secret = self._load_key(create=True)
        assert secret is not None
        message = (
            key.encode("utf-8", "surrogatepass") + b"\0" + value.encode("utf-8", "surrogatepass")
        )
        return hmac.new(secret, message, hashlib.sha256).hexdigest()

    # -- the base -------------------------------------------------------------------------------
    def load(self) -> LastSync | None:
        """The record of this pairing; None if there is none; :class:`LastSyncError` if unusable."""
        base = self._read(self.path)
        if base is not None and base.pairing != self.pairing:
            raise LastSyncError(f"{self.path} was recorded for another pairing")
        return base

    def _read(self, path: Path) -> LastSync | None:
        try:
            _, raw = read_regular(path, limit=MAX_BYTES, follow_symlinks=False)
        except FileNotFoundError:
            return None
        except (FileProblem, OSError) as exc:
            raise LastSyncError(f"cannot read {path}: {_reason(exc)}") from None
        if self._load_key(create=False) is None:
            raise LastSyncError(
                f"{path} was recorded with another fingerprint key ({self._key_path} is missing)"
            )
        try:
            document = json.loads(raw.decode("utf-8"))
            base = _parse(document)
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            raise LastSyncError(f"{path} is corrupt ({_reason(exc)})") from None
        if document.get("key_id") != self.key_id():
            raise LastSyncError(f"{path} was recorded with another fingerprint key")
        return base

    def other_pairing(self) -> LastSync | None:
        """The newest readable record of this config and environment for another pairing."""
        found: list[LastSync] = []
        try:
            candidates = [
                p for p in self.directory.glob(f"{self._prefix}*.json") if p.name != self.path.name
            ]
        except OSError:
            return None
        for candidate in candidates:
            try:
                base = self._read(candidate)
            except LastSyncError:
                continue
            if base is not None and base.pairing is not None:
                found.append(base)
        return max(found, key=lambda b: b.recorded_at, default=None)

    def save(
        self,
        fingerprints: Mapping[str, str],
        versions: Mapping[str, str],
        remote_version: str | None,
        identity: str | None,
    ) -> None:
        _own_directory(self.directory)
        document = {
            "format": FORMAT,
            "key_id": self.key_id(),
            "config": str(self.config.path.resolve()),
            "environment": self.config.environment,
            **self.pairing.fields(),
            "identity": identity,
            "recorded_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "remote_version": remote_version,
            "keys": {
                key: {"fingerprint": fp, "version": versions.get(key)}
                for key, fp in sorted(fingerprints.items())
            },
        }
        data = (json.dumps(document, indent=1) + "\n").encode()
        try:
            write_atomic(self.path, data, mode=0o600, follow_symlinks=False)
        except FileProblem as exc:
            raise LastSyncError(f"cannot write {self.path}: {exc}") from None

    # -- keys written without their tags ------------------------------------------------------
    def untagged(self) -> tuple[str, ...]:
        """The keys an earlier write left without the config's tags (none if unreadable:
        the worst a lost list costs is tags that the next write of those keys adds)."""
        try:
            _, raw = read_regular(self.untagged_path, limit=MAX_BYTES, follow_symlinks=False)
            keys = json.loads(raw.decode("utf-8")).get("keys", [])
        except (FileNotFoundError, FileProblem, OSError, ValueError, AttributeError):
            return ()
        return tuple(k for k in keys if isinstance(k, str)) if isinstance(keys, list) else ()

    def set_untagged(self, keys: tuple[str, ...]) -> None:
        """Remember ``keys`` as written without their tags (none: forget the list)."""
        if not keys:
            self.untagged_path.unlink(missing_ok=True)
            return
        _own_directory(self.directory)
        document = {"format": FORMAT, "keys": sorted(set(keys))}
        try:
            data = (json.dumps(document) + "\n").encode()
            write_atomic(self.untagged_path, data, mode=0o600, follow_symlinks=False)
        except FileProblem as exc:
            raise LastSyncError(f"cannot write {self.untagged_path}: {exc}") from None

    def forget(self) -> bool:
        """Drop the record of this pairing; whether there was one."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        return True

    def forget_all(self) -> int:
        """Drop every record of this repository (not the fingerprint key); how many.  Outside
        git the records of every project share the user's state directory: only this
        config's are dropped (of each of its environments)."""
        in_git = self.directory != user_state_dir(self._environ)
        prefixes = [""] if in_git else [_slot(self.config.path, name) for name in self._names()]
        count = 0
        if self.directory.is_dir():
            for prefix in prefixes:
                for path in self.directory.glob(f"base-{prefix}*.json"):
                    path.unlink(missing_ok=True)
                    count += 1
                for path in self.directory.glob(f"untagged-{prefix}*.json"):
                    path.unlink(missing_ok=True)
        return count

    def _names(self) -> list[str | None]:
        return [None, *self.config.environments]

    def drop_key(self) -> bool:
        """Drop the fingerprint key; whether there was one.

        The key is the user's, one for every repository: every record made with it, in any
        repository, is then recognised as made under another key and ignored (compared
        two-way) until the next sync there records a new one.
        """
        existed = self._key_path.exists()
        self._key_path.unlink(missing_ok=True)
        self._key = None
        return existed


def _slot(config_path: Path, environment: str | None) -> str:
    """``<environment>-<digest of the config file and environment>-``: what the names of one
    config's and environment's files start with."""
    label = re.sub(r"[^A-Za-z0-9_.-]", "_", environment or "default")[:40]
    return f"{label}-{_digest(str(config_path.resolve()), environment or '')}-"


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:12]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, FileProblem):
        return str(exc)
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc) if isinstance(exc, ValueError) and str(exc) else type(exc).__name__


def _parse(data: Any) -> LastSync:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError("unknown format")
    pairing = Pairing(
        env_file=_text(data, "env_file"),
        backend=_text(data, "backend"),
        target=_text(data, "target"),
        region=data.get("region"),
    )
    if pairing.region is not None and not isinstance(pairing.region, str):
        raise TypeError("bad region")
    identity = data.get("identity")
    if identity is not None and not isinstance(identity, str):
        raise TypeError("bad identity")
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
    return LastSync(
        recorded_at=recorded,
        remote_version=str(remote_version) if remote_version is not None else None,
        fingerprints=fingerprints,
        versions=versions,
        pairing=pairing,
        identity=identity,
    )


def _text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str):
        raise ValueError(f"no {name}")
    return value
