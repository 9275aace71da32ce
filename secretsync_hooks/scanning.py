"""The leak guard's core: which values to look for, which files to read (the work tree or the
index), and the findings, named by path, line, key and form: never by any part of a value."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from fnmatch import fnmatchcase
from pathlib import Path
from typing import NamedTuple

from secretsync_hooks.config import Config
from secretsync_hooks.errors import SecretSyncError
from secretsync_hooks.leaks import ALLOW, Finder, Needle, needles, non_overlapping
from secretsync_hooks.redact import Redactor

# Trees larger than this are read by one process per core (Linux: forked, sharing the
# automaton); a commit's few files are not worth a process pool.
PARALLEL_BYTES = 16 * 1024 * 1024
# git, run so that nothing in the repository's config can make it run a command.
_GIT = ("git", "-c", "core.fsmonitor=false", "--literal-pathspecs")


class Finding(NamedTuple):
    path: str
    line: int
    key: str
    form: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: holds the value of {self.key} ({self.form})"


class Unreadable(NamedTuple):
    path: str
    why: str


class Result(NamedTuple):
    findings: list[Finding]
    unreadable: list[Unreadable]
    files: int
    values: int  # how many values were looked for


def finder_for(
    config: Config, redactor: Redactor, *, remote: bool = False, deadline: float | None = None
) -> tuple[Finder, int]:
    """The automaton over the values of the .env (and, ``remote``, of the remote), and how
    many values it looks for."""
    from secretsync_hooks.env_file import EnvFile

    local = EnvFile.load(config.env_file, missing_ok=True).values()
    redactor.register(local.values())
    sets = [local]
    if remote:
        from secretsync_hooks.secret_values import Source, read_values

        sets.append(read_values(config, redactor, Source.REMOTE, deadline=deadline).values)
    finder = finder_of(config, *sets)
    return finder, len({needle.key for needle in finder.needles.values()})


def finder_of(config: Config, *value_sets: Mapping[str, str]) -> Finder:
    """The automaton over the values of ``value_sets`` (an earlier set's needle wins), less
    ``plain_keys`` and values shorter than ``[scan] min_length``."""
    found: dict[bytes, Needle] = {}
    for values in value_sets:
        for data, needle in needles(values, config.plain_keys, config.scan_min_length).items():
            found.setdefault(data, needle)
    return Finder(found)


def scan_data(path: str, data: bytes, finder: Finder) -> list[Finding]:
    """The findings in ``data`` (the bytes of ``path``), one per line, key and form."""
    out: list[Finding] = []
    seen: set[tuple[int, str]] = set()
    for hit in non_overlapping(finder.hits(data)):
        start_of_line = data.rfind(b"\n", 0, hit.start) + 1
        end_of_line = data.find(b"\n", hit.start)
        if ALLOW in data[start_of_line : end_of_line if end_of_line >= 0 else len(data)]:
            continue
        line = data.count(b"\n", 0, hit.start) + 1
        if (line, hit.needle.key) in seen:
            continue
        seen.add((line, hit.needle.key))
        out.append(Finding(path, line, hit.needle.key, hit.needle.form))
    return out


class Excluded:
    """The files never scanned: the .env, the config, and ``[scan] exclude`` globs (matched
    against the path relative to the config file's directory; ``*`` crosses ``/``)."""

    def __init__(self, config: Config) -> None:
        self.root = config.path.parent.resolve()
        self.files = {config.env_file.resolve(), config.path.resolve()}
        self.globs = config.scan_exclude

    def __call__(self, path: str) -> bool:
        absolute = Path(path).absolute()
        try:
            resolved = absolute.resolve()
        except (OSError, RuntimeError):
            resolved = absolute
        if resolved in self.files or absolute in self.files:
            return True
        try:
            relative = absolute.relative_to(self.root).as_posix()
        except ValueError:
            relative = absolute.as_posix()
        return any(fnmatchcase(relative, glob) for glob in self.globs)


# -- the work tree ---------------------------------------------------------------------------


def work_tree_files(paths: Sequence[str]) -> list[str]:
    """The files named, directories walked (``.git`` skipped); with no path, the files git
    knows in the current directory (tracked or not ignored), else every file under it."""
    if not paths:
        listed = _git_files()
        if listed is not None:
            return listed
        paths = ["."]
    out: list[str] = []
    for path in paths:
        if Path(path).is_dir() and not Path(path).is_symlink():
            for directory, subdirs, files in os.walk(path):
                subdirs[:] = sorted(d for d in subdirs if d != ".git")
                out.extend(f"{directory}{os.sep}{name}" for name in sorted(files))
        else:
            out.append(path)
    return out


def _git_files() -> list[str] | None:
    try:
        listed = subprocess.run(
            [*_GIT, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return [name for name in os.fsdecode(listed.stdout).split("\0") if name]


def read_file(path: str) -> bytes:
    """What git would store for ``path``: a file's bytes, a symbolic link's target.  A FIFO
    or a device is refused (a read could block forever), as an ``OSError``."""
    file = Path(path)
    if file.is_symlink():
        return os.fsencode(file.readlink())
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(0, "not a regular file (a directory, a pipe or a device)")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read()
    finally:
        os.close(fd)


def _scan_one(path: str, finder: Finder) -> tuple[list[Finding], Unreadable | None]:
    try:
        data = read_file(path)
    except OSError as exc:
        return [], Unreadable(path, exc.strerror or type(exc).__name__)
    return scan_data(path, data, finder), None


_WORKER_FINDER: Finder | None = None


def _scan_batch(paths: list[str]) -> tuple[list[Finding], list[Unreadable]]:
    assert _WORKER_FINDER is not None
    findings: list[Finding] = []
    unreadable: list[Unreadable] = []
    for path in paths:
        found, problem = _scan_one(path, _WORKER_FINDER)
        findings.extend(found)
        if problem:
            unreadable.append(problem)
    return findings, unreadable


def scan_work_tree(paths: list[str], finder: Finder, values: int) -> Result:
    """Scan the files ``paths`` as they are on disk."""
    global _WORKER_FINDER
    _WORKER_FINDER = finder
    batches = _batches(paths)
    if len(batches) > 1:
        import multiprocessing

        with multiprocessing.get_context("fork").Pool(len(batches)) as pool:
            results = pool.map(_scan_batch, batches)
    else:
        results = [_scan_batch(paths)]
    findings = [f for found, _ in results for f in found]
    unreadable = [u for _, problems in results for u in problems]
    return Result(findings, unreadable, len(paths), values)


def _batches(paths: list[str]) -> list[list[str]]:
    """One batch, or one per core for a large tree where processes can be forked."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    if cores < 2 or not sys.platform.startswith("linux"):
        return [paths]
    total = 0
    for path in paths:
        try:
            total += os.lstat(path).st_size
        except OSError:
            continue
        if total > PARALLEL_BYTES:
            break
    else:
        return [paths]
    return [paths[i::cores] for i in range(cores)]


# -- the index -------------------------------------------------------------------------------


class GitError(SecretSyncError):
    """git could not tell what is staged."""


def staged_paths(paths: Sequence[str]) -> list[str]:
    """The paths added, copied, modified or retyped in the index (restricted to ``paths``)."""
    listed = _git_output(
        "diff", "--cached", "--name-only", "-z", "--diff-filter=ACMRT", "--", *paths
    )
    return [name for name in os.fsdecode(listed).split("\0") if name]


def staged_contents(paths: Sequence[str]) -> Iterator[tuple[str, bytes]]:
    """(path, the staged bytes) of each of ``paths`` that the index holds as a file or a
    symbolic link (submodules skipped), read with one ``git cat-file --batch``."""
    if not paths:
        return
    entries = _git_output("ls-files", "-s", "-z", "--", *paths)
    blobs: list[tuple[str, str]] = []
    for entry in os.fsdecode(entries).split("\0"):
        if not entry:
            continue
        meta, _, path = entry.partition("\t")
        mode, sha, _stage = meta.split()
        if mode != "160000":
            blobs.append((path, sha))
    if not blobs:
        return
    batch = _git_output("cat-file", "--batch", stdin="".join(f"{sha}\n" for _, sha in blobs))
    offset = 0
    for path, _sha in blobs:
        header_end = batch.index(b"\n", offset)
        size = int(batch[offset:header_end].split()[2])
        start = header_end + 1
        yield path, batch[start : start + size]
        offset = start + size + 1


def _git_output(*args: str, stdin: str | None = None) -> bytes:
    try:
        result = subprocess.run(
            [*_GIT, *args],
            input=stdin.encode() if stdin is not None else None,
            capture_output=True,
            check=False,
        )
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror or exc}") from None
    if result.returncode != 0:
        detail = os.fsdecode(result.stderr).strip().splitlines()
        raise GitError(
            f"git {args[0]} failed: {detail[0] if detail else result.returncode}",
            hint="--staged reads the index: run it inside a git work tree.",
        )
    return result.stdout


def scan_staged(paths: Sequence[str], finder: Finder, values: int, excluded: Excluded) -> Result:
    """Scan what is going into the commit: the index's content of ``paths`` (all staged
    changes when none are given)."""
    chosen = [p for p in (paths or staged_paths(paths)) if not excluded(p)]
    findings: list[Finding] = []
    count = 0
    for path, data in staged_contents(chosen):
        count += 1
        findings.extend(scan_data(path, data, finder))
    return Result(findings, [], count, values)


def scan(
    config: Config,
    finder: Finder,
    values: int,
    paths: Iterable[str],
    *,
    staged: bool = False,
) -> Result:
    excluded = Excluded(config)
    if staged:
        return scan_staged(list(paths), finder, values, excluded)
    files = [p for p in work_tree_files(list(paths)) if not excluded(p)]
    return scan_work_tree(files, finder, values)
