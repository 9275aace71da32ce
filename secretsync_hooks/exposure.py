"""What git would do with a file secretsync reads or writes values into: is it tracked, would
``git add`` pick it up?  Asked of git itself (its ignore rules have many sources), read-only,
with nothing in the repository's config able to run a command."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from secretsync_hooks.fs import as_written

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


def _tracked_as_named(path: Path) -> bool | None:
    """Whether git tracks ``path`` itself (a link as a link); None outside a work tree."""
    directory = as_written(path).parent
    # --literal-pathspecs: a name, not a pattern
    listed = _git(directory, "--literal-pathspecs", "ls-files", "-z", "--", path.name)
    if listed is None or listed.returncode != 0:
        return None
    return bool(listed.stdout)


def tracked(path: Path) -> bool:
    """True when git tracks ``path``, or the file a symbolic link at ``path`` leads to: secrets
    written there would reach the next ``git commit -a``.  False outside a work tree, or when
    git cannot tell (not installed, an error)."""
    if _tracked_as_named(path):
        return True
    real = Path(os.path.realpath(path))
    return real != as_written(path) and bool(_tracked_as_named(real))


def committable(path: Path) -> bool:
    """True when ``path`` is in a git work tree and either tracked or not ignored; False when
    it is ignored, outside any work tree, or git cannot tell (not installed, an error)."""
    as_named = _tracked_as_named(path)
    if as_named is None:
        return False  # not in a work tree (or no git): nothing to commit it into
    if as_named or tracked(path):
        return True  # tracked: `git commit -a` takes it, whatever .gitignore says
    directory = as_written(path).parent
    # check-ignore takes names, not pathspecs; 1: not ignored
    ignored = _git(directory, "check-ignore", "-q", "--no-index", "--", path.name)
    return ignored is not None and ignored.returncode == 1
