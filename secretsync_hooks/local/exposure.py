"""What git would do with a file secretsync reads or writes values into: is it tracked, would
``git add`` pick it up?  Asked of git itself (its ignore rules have many sources), read-only,
with nothing in the repository's config able to run a command."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from secretsync_hooks.local.fs import as_written

_GIT = ("git", "-c", "core.fsmonitor=false")


def _git(directory: Path, *args: str) -> subprocess.CompletedProcess[bytes] | None:
    try:
        return subprocess.run(
            [*_GIT, "-C", str(directory), *args],
            capture_output=True,
            check=False,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def work_tree_of(directory: Path) -> Path | None:
    """The nearest folder at or above ``directory`` holding a ``.git`` (directory or file)."""
    return next(
        (folder for folder in (directory, *directory.parents) if (folder / ".git").exists()), None
    )


def _in_work_tree(directory: Path) -> bool:
    return work_tree_of(directory) is not None


def ignored(directory: Path, name: str) -> bool | None:
    """Whether git's ignore rules (every source of them) ignore ``name`` in ``directory``,
    tracked or not; None when git cannot tell."""
    # check-ignore takes names, not pathspecs; 0: ignored, 1: not ignored
    said = _git(directory, "check-ignore", "-q", "--no-index", "--", name)
    if said is None or said.returncode not in (0, 1):
        return None
    return said.returncode == 0


def _tracked_as_named(path: Path) -> bool | None:
    """Whether git tracks ``path`` itself (a link as a link): False outside a work tree;
    None when it is in one but git cannot tell (it refuses the repository, as it does one
    another user owns, or it is not installed)."""
    directory = as_written(path).parent
    # --literal-pathspecs: a name, not a pattern
    listed = _git(directory, "--literal-pathspecs", "ls-files", "-z", "--", path.name)
    if listed is None:  # git cannot run
        return None if _in_work_tree(directory) else False
    if listed.returncode != 0:
        # A repository git will not look into (another user's: "dubious ownership") may
        # track it; anything else git refuses is no repository at all.
        refused = b"safe.directory" in listed.stderr or b"dubious ownership" in listed.stderr
        return None if refused else False
    return bool(listed.stdout)


def tracked(path: Path) -> bool | None:
    """True when git tracks ``path``, or the file a symbolic link at ``path`` leads to: secrets
    written there would reach the next ``git commit -a``.  False when it does not, or there is
    no work tree; None when git cannot tell in a work tree (callers treat that as tracked:
    a guard fails closed)."""
    named = _tracked_as_named(path)
    if named:
        return True
    real = Path(os.path.realpath(path))
    linked = _tracked_as_named(real) if real != as_written(path) else False
    if linked:
        return True
    return None if named is None or linked is None else False


def committable(path: Path) -> bool:
    """True when ``path`` is in a git work tree and either tracked or not ignored; False when
    it is ignored, outside any work tree, or git cannot tell (not installed, an error)."""
    as_named = _tracked_as_named(path)
    if as_named is None:
        return False  # git cannot tell: nothing it would commit, as far as anyone can say
    if not as_named and not _in_work_tree(as_written(path).parent):
        return False  # not in a work tree: nothing to commit it into
    if as_named or tracked(path):
        return True  # tracked: `git commit -a` takes it, whatever .gitignore says
    return ignored(as_written(path).parent, path.name) is False
