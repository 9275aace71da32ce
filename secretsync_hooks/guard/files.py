"""The work tree side of the leak guard: which files to read, and reading them.

With no path, the files are git's own listing: every tracked file, those of submodules too
(recursing, as ``git ls-files`` does), and the untracked files ``git add`` would take;
otherwise the files named and every file under the directories named.  A file or a
directory that cannot be read is reported, never skipped.  Files are read in chunks by one
thread per core: the search runs outside Python's global lock, and threads inherit no
signal handling of their own, so Ctrl-C stops them all with one message.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import subprocess
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from secretsync_hooks.guard.index import GIT
from secretsync_hooks.guard.needles import Finder
from secretsync_hooks.guard.stream import CHUNK, Finding, LineScanner, Unreadable, scan_data

_NOT_REGULAR = "not a regular file (a directory, a pipe or a device)"
# Never follow a final symbolic link: git stores the link itself, its target's name.
_OPEN = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO opens without waiting for a writer
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NOFOLLOW", 0)
)
_GITLINK = "160000 "  # a submodule's entry: its files are listed by recursing
# git's warning for a directory it cannot list (messages in the C locale).
_CANNOT_OPEN = re.compile(r"^warning: could not open directory '(.*)': (.*)$")


class Listing(NamedTuple):
    files: list[str]
    unreadable: list[Unreadable]
    tracked: frozenset[str] | None  # the files git tracks, when git listed them


def listing(paths: Sequence[str]) -> Listing:
    """The files named, directories walked (``.git`` skipped); with no path, git's listing
    of the current directory, or, outside a work tree, every file under it."""
    if not paths:
        listed = _git_listing()
        if listed is not None:
            return listed
        paths = ["."]
    return _walk(paths)


def _git_listing() -> Listing | None:
    # --recurse-submodules cannot be combined with --others: two listings, run at once.
    try:
        tracked = _start("ls-files", "-s", "-z", "--cached", "--recurse-submodules")
    except OSError:
        return None
    try:
        others = _start("ls-files", "-z", "--others", "--exclude-standard")
    except OSError:
        tracked.kill()
        tracked.wait()
        return None
    listed, _ = tracked.communicate()
    untracked, warnings = others.communicate()
    if tracked.returncode or others.returncode:
        return None
    files: dict[str, None] = {}
    for entry in os.fsdecode(listed).split("\0"):
        if entry and not entry.startswith(_GITLINK):  # an uninitialised submodule
            files[entry.partition("\t")[2]] = None  # a conflict lists a path per stage
    known = frozenset(files)
    # A name ending in "/" is an untracked repository: `git add` would take it as a
    # submodule, never its files.
    files.update(
        (name, None) for name in os.fsdecode(untracked).split("\0") if name and name[-1] != "/"
    )
    return Listing(list(files), _unlistable(warnings), known)


def _start(*args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LC_ALL": "C", "LANGUAGE": ""}  # warnings as _CANNOT_OPEN reads them
    return subprocess.Popen([*GIT, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


def _unlistable(warnings: bytes) -> list[Unreadable]:
    """The directories git could not list, from its warnings (named from the top of the
    work tree), named from the current directory."""
    found = [_CANNOT_OPEN.match(line) for line in os.fsdecode(warnings).splitlines()]
    named = [(m.group(1), m.group(2)) for m in found if m]
    if not named:
        return []
    prefix = (
        subprocess.run([*GIT, "rev-parse", "--show-prefix"], capture_output=True, check=False)
        .stdout.decode(errors="surrogateescape")
        .rstrip("\n")
    )
    return [Unreadable(path.removeprefix(prefix) if prefix else path, why) for path, why in named]


def _walk(paths: Sequence[str]) -> Listing:
    files: list[str] = []
    problems: list[Unreadable] = []

    def failed(exc: OSError) -> None:
        problems.append(Unreadable(f"{str(exc.filename).rstrip(os.sep)}/", _why(exc)))

    for path in paths:
        if Path(path).is_dir() and not Path(path).is_symlink():
            for directory, subdirs, names in os.walk(path, onerror=failed):
                subdirs[:] = sorted(d for d in subdirs if d != ".git")
                files.extend(f"{directory}{os.sep}{name}" for name in sorted(names))
        else:
            files.append(path)
    return Listing(files, problems, None)


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


# -- reading ---------------------------------------------------------------------------------


class _Work:
    """The files left to read, shared by the reading threads, and what they found."""

    def __init__(self, paths: Sequence[str], finder: Finder, shown: Mapping[str, str]) -> None:
        self.jobs: Iterator[str] = iter(paths)  # next() on it is atomic: no lock needed
        self.finder = finder
        self.shown = shown
        self.findings: list[Finding] = []
        self.unreadable: list[Unreadable] = []
        self.stopped = False
        self.error: BaseException | None = None

    def drain(self) -> None:
        try:
            for path in self.jobs:
                if self.stopped:
                    return
                found, problem = _scan_file(path, self)
                self.findings += found
                if problem:
                    self.unreadable.append(problem)
        except BaseException as exc:  # reported by the main thread, as its own
            self.error = exc
            self.stopped = True


def scan_files(
    paths: Sequence[str], finder: Finder, shown: Mapping[str, str]
) -> tuple[list[Finding], list[Unreadable]]:
    """The findings in the files ``paths`` as they are on disk (each shown as
    ``shown[path]`` when that is given), and the files that could not be read."""
    work = _Work(paths, finder, shown)
    threads = [
        threading.Thread(target=work.drain, daemon=True) for _ in range(_threads(len(paths)) - 1)
    ]
    try:
        for thread in threads:
            thread.start()
        work.drain()
        for thread in threads:
            thread.join()
    except BaseException:
        work.stopped = True  # Ctrl-C: the other threads stop at their next chunk
        raise
    if work.error is not None:
        raise work.error
    return work.findings, work.unreadable


def _threads(files: int) -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cores or 1, files))


def _scan_file(path: str, work: _Work) -> tuple[list[Finding], Unreadable | None]:
    shown = work.shown.get(path, path)
    try:
        fd = os.open(path, _OPEN)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # a symbolic link: git stores where it leads
            try:
                return scan_data(shown, os.fsencode(Path(path).readlink()), work.finder), None
            except OSError:
                pass
        return [], Unreadable(path, _why(exc))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return [], Unreadable(path, _NOT_REGULAR)
        return _scan_fd(fd, info.st_size, shown, work), None
    except OSError as exc:
        return [], Unreadable(path, _why(exc))
    finally:
        os.close(fd)


def _scan_fd(fd: int, size: int, shown: str, work: _Work) -> list[Finding]:
    chunk = os.read(fd, min(size + 1, CHUNK))  # a small file whole, in one read
    # Its end confirmed with a read of one byte: a buffer of a chunk for each file is slow.
    following = os.read(fd, CHUNK if len(chunk) == CHUNK else 1) if chunk else b""
    if not following:
        return scan_data(shown, chunk, work.finder)
    scanner = LineScanner(shown, work.finder)
    while chunk and not work.stopped:
        scanner.feed(chunk)
        chunk, following = following, (os.read(fd, CHUNK) if following else b"")
    return scanner.finish()
