"""Reading and writing files safely: regular files only, bounded, atomic, never half-written.

A path from a config or the command line can name a FIFO (a read blocks forever), a device
(``/dev/zero`` never ends), a huge file, or hold a NUL; each is one clear error here.
Writes go to a temporary file beside the target, named so that the ``.env`` / ``.env.*`` /
``*.env`` ignore rules that hide the target hide it too, and are renamed into place.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path

from secretsync_hooks import interrupts

NEW_FILE_MODE = 0o600
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
# (device, inode, size, mtime in ns): what a file was when it was read
Signature = tuple[int, int, int, int]


class FileProblem(Exception):
    """A file that cannot be used; the message names the problem, never the content."""


def read_regular(
    path: Path, *, limit: int, follow_symlinks: bool = True
) -> tuple[Signature, bytes]:
    """The bytes of the regular file ``path`` (at most ``limit``) and its signature.

    ``FileNotFoundError`` passes through (callers decide whether a missing file is fine);
    anything else unusable is a :class:`FileProblem`.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise
    except ValueError:
        raise FileProblem("the path contains a NUL character") from None
    except IsADirectoryError:
        raise FileProblem("is a directory") from None
    except OSError as exc:
        if not follow_symlinks and path.is_symlink():
            raise FileProblem("is a symbolic link, which secretsync does not follow here") from None
        raise FileProblem(f"cannot read: {exc.strerror or type(exc).__name__}") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise FileProblem("is a directory")
        if not stat.S_ISREG(st.st_mode):
            raise FileProblem("is not a regular file (a pipe, a device or a socket)")
        if st.st_size > limit:
            raise FileProblem(f"is larger than {limit // 1024} KiB")
        os.set_blocking(fd, True)
        chunks = []
        remaining = limit + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
        if len(data) > limit:
            raise FileProblem(f"is larger than {limit // 1024} KiB")
    except OSError as exc:
        raise FileProblem(f"cannot read: {exc.strerror or type(exc).__name__}") from None
    finally:
        os.close(fd)
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns), data


def temporary_name(name: str) -> str:
    """A name for a temporary copy of ``name`` that the ignore rules of ``name`` match.

    ``.env`` -> ``.env.secretsync-XXXX`` (``.env.*``); ``prod.env`` ->
    ``prod.secretsync-XXXX.env`` (``*.env``); anything else -> ``.NAME.secretsync-XXXX``.
    """
    tag = f"secretsync-{secrets.token_hex(4)}"
    if name.startswith(".env"):
        return f"{name}.{tag}"
    if name.endswith(".env"):
        return f"{name[:-4]}.{tag}.env"
    return f".{name}.{tag}"


def write_atomic(
    path: Path,
    data: bytes,
    *,
    mode: int | None = None,
    follow_symlinks: bool = True,
    check: Callable[[Path], None] | None = None,
) -> None:
    """Replace ``path`` with ``data`` so that a reader sees the old file or the new, never half.

    A temporary file in the same directory is written, flushed and fsynced, given the old
    file's permission bits (0600 for a new file, or ``mode`` if given) and renamed over the
    target; ``check(path)`` runs right before the rename and may refuse.  With
    ``follow_symlinks`` a symlink is written through (its target is replaced, the link stays);
    without, a symlink is replaced by the file.  Any failure, Ctrl-C and SIGTERM included,
    removes the temporary file.  Raises :class:`FileProblem`.
    """
    target = Path(os.path.realpath(path)) if follow_symlinks and path.is_symlink() else path
    try:
        kept = stat.S_IMODE(target.stat().st_mode) if not target.is_symlink() else NEW_FILE_MODE
    except FileNotFoundError:
        kept = NEW_FILE_MODE
    except (OSError, ValueError) as exc:
        raise FileProblem(f"cannot write: {_why(exc)}") from None
    if target.is_dir():
        raise FileProblem("is a directory")
    directory = target.parent
    tmp = directory / temporary_name(target.name)
    try:
        fd = os.open(tmp, _CREATE, 0o600)
    except (OSError, ValueError) as exc:
        raise FileProblem(f"cannot write in {directory}: {_why(exc)}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), kept if mode is None else mode)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if check is not None:
            check(path)
        with interrupts.critical(deliver=False):  # once renamed, the write has happened
            os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise FileProblem(f"cannot write: {_why(exc)}") from None
        raise
    fsync_directory(directory)


def append_private(path: Path, data: bytes) -> None:
    """Append ``data`` to ``path`` in one write (created with mode 0600 if missing; a symlink
    is not followed).  Raises :class:`FileProblem`."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0), NEW_FILE_MODE)
    except (OSError, ValueError) as exc:
        raise FileProblem(f"cannot append: {_why(exc)}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise FileProblem("is not a regular file")
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except OSError as exc:
        raise FileProblem(f"cannot append: {_why(exc)}") from None
    finally:
        os.close(fd)


def fsync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable; not every platform lets a directory be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def as_written(path: Path) -> Path:
    """``path`` made absolute as written: ``..`` folded away, no symbolic link followed."""
    return Path(os.path.normpath(path.absolute()))


def leads_outside(path: Path, tree: Path) -> Path | None:
    """Where ``path`` really leads, every symbolic link of every component resolved, when the
    path as written is inside ``tree`` but that place is not (a linked folder or file leading
    out); None when it stays inside, or was written outside ``tree`` to begin with (a place
    the user chose)."""
    written = as_written(path)
    roots = {as_written(tree), Path(os.path.realpath(tree))}
    if not any(written.is_relative_to(root) for root in roots):
        return None
    real = Path(os.path.realpath(written))
    if any(real.is_relative_to(root) for root in roots):
        return None
    return real


def _why(exc: BaseException) -> str:
    if isinstance(exc, ValueError):
        return "the path contains a NUL character"
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return type(exc).__name__
