"""What is going into the commit: the staged paths, and their content read from git's object
store blob by blob, streamed through the chunked scanner, so memory stays bounded whatever
the size of a staged file."""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, NamedTuple

from secretsync_hooks.errors import SecretSyncError
from secretsync_hooks.guard.needles import Finder
from secretsync_hooks.guard.stream import CHUNK, Finding, LineScanner, scan_data

if TYPE_CHECKING:
    from zlib import _Decompress

# git, run so that nothing in the repository's config can make it run a command.
GIT = ("git", "-c", "core.fsmonitor=false", "--literal-pathspecs")
_GITLINK = "160000"  # a submodule's commit, not a file of this repository
_LARGE = 16 * 1024 * 1024  # a staged file this large is read from its loose object
_READ = 1024 * 1024  # deflated bytes read at a time


class GitError(SecretSyncError):
    """git could not tell what is staged."""


class Entry(NamedTuple):
    path: str
    sha: str
    gitlink: bool


def staged_paths(paths: Sequence[str]) -> list[str]:
    """The paths added, copied, modified or retyped in the index, under the current
    directory (as the work tree's listing) and restricted to ``paths``."""
    # --relative: named from here, as every other git command here names them
    args = ("--cached", "--relative", "--name-only", "-z", "--diff-filter=ACMRT")
    listed = git_output("diff", *args, "--", *paths)
    return [name for name in os.fsdecode(listed).split("\0") if name]


def staged_entries(paths: Sequence[str]) -> list[Entry]:
    """The index's entries for ``paths``: files, symbolic links and submodules (gitlinks)."""
    if not paths:
        return []
    listed = git_output("ls-files", "-s", "-z", "--", *paths)
    entries: dict[str, Entry] = {}
    for entry in os.fsdecode(listed).split("\0"):
        if entry:
            meta, _, path = entry.partition("\t")
            mode, sha, _stage = meta.split()
            entries.setdefault(path, Entry(path, sha, mode == _GITLINK))
    return list(entries.values())


def tracked_files(directory: str) -> list[str]:
    """Every file git tracks under ``directory``, relative to it."""
    listed = git_output("ls-files", "-z", cwd=directory)
    return [name for name in os.fsdecode(listed).split("\0") if name]


def scan_blobs(entries: Sequence[Entry], finder: Finder, shown: Mapping[str, str]) -> list[Finding]:
    """The findings in the staged content of ``entries`` (gitlinks skipped), streamed, never
    held whole: large loose objects read from the object store directly, the rest with one
    ``git cat-file --batch``."""
    blobs = [entry for entry in entries if not entry.gitlink]
    loose = _large_loose_objects(blobs)
    findings: list[Finding] = []
    for blob in blobs:
        if blob.sha in loose:
            findings += _scan_loose(loose[blob.sha], shown.get(blob.path, blob.path), finder)
    rest = [blob for blob in blobs if blob.sha not in loose]
    return findings + (_scan_batch(rest, finder, shown) if rest else [])


def _scan_batch(blobs: Sequence[Entry], finder: Finder, shown: Mapping[str, str]) -> list[Finding]:
    # A packed object (`git add` packs a file over core.bigFileThreshold, 512 MiB, at once)
    # is mapped into git's memory a window at a time, up to a limit: keep both small.
    command = [*GIT, "-c", "core.packedGitWindowSize=4m", "-c", "core.packedGitLimit=16m"]
    try:
        git = subprocess.Popen(
            [*command, "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror or exc}") from None
    assert git.stdin is not None and git.stdout is not None and git.stderr is not None
    # git answers as it reads: the names are written from a thread, so that neither side
    # can wait forever on a full pipe.
    names = "".join(f"{blob.sha}\n" for blob in blobs).encode()
    feeder = threading.Thread(target=_write, args=(git.stdin, names), daemon=True)
    feeder.start()
    findings: list[Finding] = []
    try:
        for blob in blobs:
            findings += _scan_blob(git.stdout, shown.get(blob.path, blob.path), finder)
    except BaseException:
        git.kill()
        raise
    finally:
        git.stdout.close()
        errors = git.stderr.read()
        git.stderr.close()
        git.wait()
        feeder.join()
    if git.returncode:
        raise _failed("cat-file", errors, git.returncode)
    return findings


def _large_loose_objects(blobs: Sequence[Entry]) -> dict[str, Path]:
    """Where the large ones of ``blobs`` are stored as loose objects, by name.  git maps a
    loose object whole into memory to read it; a file this large was staged recently (the
    work tree's copy tells), so it is almost always loose, and read here instead."""
    large = []
    for blob in blobs:
        try:
            if os.lstat(blob.path).st_size > _LARGE:
                large.append(blob.sha)
        except OSError:
            continue
    if not large:
        return {}
    objects = Path(os.fsdecode(git_output("rev-parse", "--git-path", "objects")).rstrip("\n"))
    found = {sha: objects / sha[:2] / sha[2:] for sha in large}
    return {sha: path for sha, path in found.items() if path.is_file()}


def _scan_loose(stored: Path, path: str, finder: Finder) -> list[Finding]:
    """The findings in a loose object's content (``blob <size>\\0<content>``, deflated)."""
    import zlib  # only for a file this large

    inflate = zlib.decompressobj()
    scanner = LineScanner(path, finder)
    start = b""  # the header, until its NUL
    left = -1  # bytes of content still to come, once the header is read
    with stored.open("rb") as fh:
        for data in _inflated(fh, inflate):
            if left < 0:
                header, nul, data = (start + data).partition(b"\0")
                if not nul:
                    start = header[:64]
                    continue
                left = _blob_size(header, path)
            left -= len(data)
            scanner.feed(data)
    if left != 0 or not inflate.eof:
        raise _damaged(path)
    return scanner.finish()


def _inflated(fh: IO[bytes], inflate: _Decompress) -> Iterator[bytes]:
    """The inflated bytes of ``fh``, at most a chunk at a time."""
    while not inflate.eof:
        block = inflate.unconsumed_tail or fh.read(_READ)
        if not block:
            yield inflate.flush()  # the input is over: what zlib still holds
            return
        yield inflate.decompress(block, CHUNK)


def _blob_size(header: bytes, path: str) -> int:
    kind, _, size = header.partition(b" ")
    if kind != b"blob" or not size.isdigit():
        raise _damaged(path)
    return int(size)


def _damaged(path: str) -> GitError:
    return GitError(
        f"git's copy of the staged content of {path} is damaged",
        hint="`git fsck` tells more; staging the file again replaces it.",
    )


def _write(stream: IO[bytes], data: bytes) -> None:
    try:
        stream.write(data)
        stream.close()
    except OSError:  # git stopped reading: its own error says why
        pass


def _scan_blob(stream: IO[bytes], path: str, finder: Finder) -> list[Finding]:
    header = stream.readline().split()
    if len(header) != 3 or not header[2].isdigit():
        raise GitError(f"git cat-file could not read the staged content of {path}")
    size = int(header[2])
    if size <= CHUNK:
        data = _exactly(stream, size)
        stream.read(1)  # the line feed after each object
        return scan_data(path, data, finder)
    scanner = LineScanner(path, finder)
    while size:
        chunk = _exactly(stream, min(CHUNK, size))
        scanner.feed(chunk)
        size -= len(chunk)
    stream.read(1)
    return scanner.finish()


def _exactly(stream: IO[bytes], size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise GitError("git cat-file stopped before the end of a staged file")
    return data


def git_output(*args: str, cwd: str | None = None) -> bytes:
    try:
        result = subprocess.run([*GIT, *args], cwd=cwd, capture_output=True, check=False)
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror or exc}") from None
    if result.returncode != 0:
        raise _failed(args[0], result.stderr, result.returncode)
    return result.stdout


def _failed(command: str, stderr: bytes, code: int) -> GitError:
    detail = os.fsdecode(stderr).strip().splitlines()
    said = detail[0] if detail else str(code)
    if "not a git repository" in said or "unknown option `cached'" in said:
        # (outside a repository, `git diff` runs as plain diff and knows no --cached)
        return GitError(
            "--staged reads what is staged in a git work tree, and this is not in one",
            hint="Run it inside the repository, or leave --staged out to scan the files.",
        )
    error = GitError(
        f"git {command} failed: {said}",
        hint="--staged reads the index: run it inside a git work tree.",
    )
    error.untrusted = (said,)  # git's words can name a path that holds a value
    return error
