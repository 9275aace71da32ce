"""The leak guard's core: which values to look for, which files to read (the work tree or the
index), and the findings, named by path, line, key and form: never by any part of a value.

Paths are content too: a value in a path is a finding (line 0), and every path shown, in a
finding or in a report of what could not be read, has each value in it masked.  Files are
read in chunks (:mod:`secretsync_hooks.guard.stream`), from the work tree
(:mod:`secretsync_hooks.guard.files`) or from git's object store
(:mod:`secretsync_hooks.guard.index`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from fnmatch import fnmatchcase
from pathlib import Path
from typing import NamedTuple

from secretsync_hooks import text
from secretsync_hooks.config.settings import Config
from secretsync_hooks.errors import ConfigError
from secretsync_hooks.guard.needles import Finder, Needle, needles, non_overlapping
from secretsync_hooks.guard.stream import Finding, Unreadable, scan_data
from secretsync_hooks.redact import Redactor

__all__ = ["Finding", "Result", "Unreadable", "finder_for", "finder_of", "scan", "scan_data"]


class Result(NamedTuple):
    findings: list[Finding]
    unreadable: list[Unreadable]
    files: int
    values: int  # how many values were looked for


def finder_for(
    config: Config,
    redactor: Redactor,
    *,
    remote: bool = False,
    deadline: float | None = None,
    missing_ok: bool = False,
) -> tuple[Finder, int]:
    """The automaton over the values of the .env (and, ``remote``, of the remote), and how
    many values it looks for.  A missing .env is an error unless ``missing_ok`` or
    ``remote``: a typo in --env-file must not turn the guard off."""
    from secretsync_hooks.errors import EnvFileMissing
    from secretsync_hooks.local.env_file import EnvFile

    document = EnvFile.load(config.env_file, missing_ok=True)
    if not document.existed and not (missing_ok or remote):
        raise EnvFileMissing(
            f"{config.env_file} does not exist: there are no values to look for",
            hint="Name the .env with --env-file, run `secretsync pull` to fetch it, or pass "
            "--remote to look for the values in AWS.",
        )
    local = document.values()
    redactor.register(local.values())
    sets = [local]
    if remote:
        from secretsync_hooks.sync.values import Source, read_values

        sets.append(
            read_values(config, redactor, Source.REMOTE, deadline=deadline, every=True).values
        )
    finder = finder_of(config, *sets)
    return finder, len({needle.key for needle in finder.needles.values()})


def finder_of(config: Config, *value_sets: Mapping[str, str]) -> Finder:
    """The automaton over the values of ``value_sets`` (an earlier set's needle wins), less
    ``plain_keys`` and values shorter than ``[scan] min_length``."""
    from secretsync_hooks.masking import check_plain_keys

    # plain_keys that cover most keys would leave most values unlooked-for: refused here too.
    check_plain_keys(config.path, config.plain_keys, {k for values in value_sets for k in values})
    found: dict[bytes, Needle] = {}
    for values in value_sets:
        for data, needle in needles(values, config.plain_keys, config.scan_min_length).items():
            found.setdefault(data, needle)
    return Finder(found)


class Excluded:
    """The files not scanned: those ``[scan] exclude`` globs match (against the path relative
    to the config file's directory; ``*`` crosses ``/``) and, in the work tree, the .env and
    the config themselves, reached by any name, unless git tracks them (then the next commit
    would carry them: they are scanned like any other file)."""

    def __init__(self, config: Config) -> None:
        self.config_path = config.path
        self.root = os.path.realpath(config.path.parent)
        self.globs = config.scan_exclude
        self._cwd = str(Path.cwd())
        own = (config.env_file, config.path)
        self._real = {os.path.realpath(path) for path in own}
        self._names = {path.name for path in own} | {Path(real).name for real in self._real}

    def by_glob(self, path: str) -> bool:
        if not self.globs:
            return False
        joined = path if path.startswith(os.sep) else f"{self._cwd}{os.sep}{path}"
        absolute = os.path.normpath(joined)
        inside = absolute.startswith(self.root + os.sep)
        relative = absolute[len(self.root) + 1 :] if inside else absolute
        relative = relative.replace(os.sep, "/")
        return any(fnmatchcase(relative, glob) for glob in self.globs)

    def own(self, path: str, tracked: frozenset[str] | None) -> bool:
        """Whether ``path`` is the .env or the config, and git does not track it (asked of
        git when ``tracked``, git's own listing, is not at hand)."""
        # Only a path ending in one of their names can reach them (when its last part is
        # a symbolic link, the link is what is read): the cheap test first.
        name = path.rpartition(os.sep)[2]
        if name not in self._names or os.path.realpath(path) not in self._real:
            return False
        if tracked is not None:
            return path not in tracked
        from secretsync_hooks.local.exposure import tracked as git_tracks

        return git_tracks(Path(path)) is False  # git cannot tell: scanned, as if tracked

    def refused(self, what: str) -> ConfigError:
        globs = ", ".join(f'"{text.shown(glob)}"' for glob in self.globs)
        return ConfigError(
            f"{self.config_path}: [scan] exclude [{globs}] excludes {what}, which would turn "
            "the leak guard off; nothing was scanned",
            hint='Name only what holds copies on purpose, e.g. ["tests/fixtures/*"].',
        )


def path_findings(paths: Sequence[str], finder: Finder) -> tuple[list[Finding], dict[str, str]]:
    """A finding (line 0) per path and key whose value is in the path itself, and each such
    path as it may be shown: its values masked."""
    if not finder or not paths or not finder.hits(os.fsencode("\0".join(paths))):
        return [], {}
    findings: list[Finding] = []
    shown: dict[str, str] = {}
    for path in paths:
        hits = non_overlapping(finder.hits(os.fsencode(path)))
        if not hits:
            continue
        shown[path] = finder.mask(path)
        keys: dict[str, Needle] = {}
        for hit in hits:
            keys.setdefault(hit.needle.key, hit.needle)
        findings += [Finding(shown[path], 0, *needle) for needle in keys.values()]
    return findings, shown


def scan(
    config: Config,
    finder: Finder,
    values: int,
    paths: Iterable[str],
    *,
    staged: bool = False,
) -> Result:
    """Scan the work tree's ``paths`` (or, ``staged``, what the index holds for them)."""
    excluded = Excluded(config)
    if staged:
        return _scan_staged(list(paths), finder, values, excluded)
    return _scan_work_tree(list(paths), finder, values, excluded)


def _scan_work_tree(paths: list[str], finder: Finder, values: int, excluded: Excluded) -> Result:
    from secretsync_hooks.guard.files import listing, scan_files

    listed = listing(paths)
    candidates = [path for path in listed.files if not excluded.own(path, listed.tracked)]
    files = [path for path in candidates if not excluded.by_glob(path)]
    if len(candidates) > 1 and not files:
        raise excluded.refused(f"every one of the {len(candidates)} files to scan")
    findings, shown = path_findings(files, finder)
    found, unreadable = scan_files(files, finder, shown)
    problems = [Unreadable(finder.mask(u.path), u.why) for u in listed.unreadable + unreadable]
    return Result(findings + found, sorted(problems), len(files), values)


def _scan_staged(paths: list[str], finder: Finder, values: int, excluded: Excluded) -> Result:
    """What is going into the commit: the index's content of ``paths`` (all staged changes
    when none are given), whatever is in the work tree at those paths now."""
    from secretsync_hooks.guard.index import scan_blobs, staged_entries, staged_paths

    chosen = paths or staged_paths(paths)
    files = [path for path in chosen if not excluded.by_glob(path)]
    if chosen and not files:
        _check_exclude_covers_less_than_all(excluded)
    entries = staged_entries(files)
    findings, shown = path_findings([entry.path for entry in entries], finder)
    findings += scan_blobs(entries, finder, shown)
    return Result(findings, [], sum(not entry.gitlink for entry in entries), values)


def _check_exclude_covers_less_than_all(excluded: Excluded) -> None:
    """Every staged file is excluded: fine for a commit that only touches, say, fixtures;
    not when the globs exclude every file git tracks too."""
    from secretsync_hooks.guard.index import tracked_files

    everything = tracked_files(excluded.root)
    if all(excluded.by_glob(f"{excluded.root}{os.sep}{path}") for path in everything):
        raise excluded.refused("every staged file and every file git tracks")
