"""Which files found on disk secretsync may trust, as git refuses unsafe repositories.

secretsync looks upwards for ``.secretsync.toml`` and ``.git``.  In a directory that another
user owns, or that every user may write to (a shared temporary directory), anyone could have
put those there: a config that uploads your secrets to their account, or a ``.git`` file that
points the records of your syncs at a directory of theirs.  Such a find is refused, with the
way to allow it: ``--config PATH`` names a config you trust, and
``SECRETSYNC_SAFE_DIRECTORIES`` (paths separated by ``:``, or ``*``) lists directories to
trust, as git's ``safe.directory`` does.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

from secretsync_hooks.errors import ConfigError

SAFE_VARIABLE = "SECRETSYNC_SAFE_DIRECTORIES"


def problem(directory: Path, environ: Mapping[str, str] | None = None) -> str | None:
    """Why ``directory`` cannot be trusted (owned by another user, writable by everyone), or
    None if it can."""
    if _allowed(directory, os.environ if environ is None else environ):
        return None
    try:
        st = directory.stat()
    except OSError:
        return None  # nothing there to trust or distrust
    euid = os.geteuid() if hasattr(os, "geteuid") else st.st_uid
    if st.st_uid != euid:
        return f"owned by another user (uid {st.st_uid})"
    if st.st_mode & stat.S_IWOTH:
        return "writable by every user"
    return None


def check_found(path: Path, what: str, environ: Mapping[str, str] | None = None) -> None:
    """Refuse ``path`` (a file secretsync found by looking upwards) in an unsafe directory,
    or owned by another user."""
    env = os.environ if environ is None else environ
    directory = path.parent
    unsafe = problem(directory, env)
    reason = f"{directory} is {unsafe}" if unsafe else None
    if reason is None and not _allowed(directory, env):
        reason = _foreign_owner(path)
    if reason is None:
        return
    also = ", or pass --config with its path" if what == "config" else ""
    raise ConfigError(
        f"refusing {what} {path}: {reason}",
        hint=f"Anyone who can write there could have put it there. If you trust it, add "
        f"{directory} to {SAFE_VARIABLE} (as git's safe.directory){also}.",
    )


def _foreign_owner(path: Path) -> str | None:
    """Why ``path`` is another user's: the link itself, or the file it leads to (the file
    that is read), owned by someone else; None if both are the user's own."""
    if not hasattr(os, "geteuid"):
        return None
    for what, read in (("it", path.lstat), ("the file it links to", path.stat)):
        try:
            owner = read().st_uid
        except OSError:
            return None
        if owner != os.geteuid():
            return f"{what} is owned by another user (uid {owner})"
    return None


def _allowed(directory: Path, environ: Mapping[str, str]) -> bool:
    listed = [p for p in environ.get(SAFE_VARIABLE, "").split(os.pathsep) if p.strip()]
    if "*" in listed:
        return True
    try:
        resolved = directory.resolve()
    except OSError:
        return False
    for entry in listed:
        try:
            if Path(entry).expanduser().resolve() == resolved:
                return True
        except (OSError, ValueError):
            continue
    return False
