"""The files ``init`` writes or extends, each only by appending (every existing byte kept),
never through a symbolic link, never outside the work tree."""

from __future__ import annotations

from pathlib import Path

from secretsync_hooks import text
from secretsync_hooks.errors import SecretSyncError
from secretsync_hooks.local.fs import FileProblem, leads_outside, read_regular, write_atomic

MAX_BYTES = 1024 * 1024


def check_place(path: Path, tree: Path) -> None:
    """Refuse a file ``init`` would write that is a symbolic link, or that a linked folder
    takes out of the work tree."""
    if path.is_symlink():
        raise SecretSyncError(
            f"{path} is a symbolic link; init never writes through one; nothing was written",
            hint="Replace the link with the file itself, or leave that step out.",
        )
    outside = leads_outside(path, tree)
    if outside is not None:
        raise SecretSyncError(
            f"{path} is inside the work tree {tree}, but a symbolic link takes it out, to "
            f"{outside}; nothing was written"
        )


def read_text(path: Path) -> str | None:
    """The file's text, None when it does not exist."""
    try:
        _, data = read_regular(path, limit=MAX_BYTES, follow_symlinks=False)
    except FileNotFoundError:
        return None
    except FileProblem as exc:
        raise SecretSyncError(f"{path}: {exc}; nothing was written") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise SecretSyncError(f"{path}: not UTF-8 text; nothing was written") from None


def append(path: Path, before: str | None, lines: list[str], *, mode: int = 0o644) -> None:
    """``path`` with ``lines`` after its text (a line break first where it lacks one)."""
    old = before or ""
    newline = "\r\n" if "\r\n" in old else "\n"  # the file's own line ends
    joiner = "" if not old or old.endswith("\n") else newline
    new = old + joiner + "".join(f"{line}{newline}" for line in lines)
    write(path, new, mode=None if before is not None else mode)


def write(path: Path, content: str, *, mode: int | None) -> None:
    try:
        write_atomic(path, content.encode("utf-8"), mode=mode, follow_symlinks=False)
    except FileProblem as exc:
        raise SecretSyncError(f"{text.shown(str(path))}: {exc}") from None


def make_private(path: Path) -> bool:
    """Make the .env readable by its owner only; True when its mode changed.  A link is left
    as it is (its target may be anyone's)."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return False
    if path.is_symlink() or not path.is_file() or info.st_mode & 0o077 == 0:
        return False
    path.chmod(0o600)
    return True
