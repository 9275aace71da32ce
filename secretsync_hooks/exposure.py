"""Would ``git add`` pick up a file secretsync wrote values into?  Asked of git itself (its
ignore rules have many sources), read-only, only after ``export --output``."""

from __future__ import annotations

import subprocess
from pathlib import Path

_GIT = ("git", "-c", "core.fsmonitor=false")


def committable(path: Path) -> bool:
    """True when ``path`` is in a git work tree and either tracked or not ignored; False when
    it is ignored, outside any work tree, or git cannot tell (not installed, an error)."""
    directory, name = path.resolve().parent, path.name

    def git(*args: str) -> subprocess.CompletedProcess[bytes] | None:
        try:
            return subprocess.run(
                [*_GIT, "-C", str(directory), *args, "--", name],
                capture_output=True,
                check=False,
                timeout=10,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None

    tracked = git("--literal-pathspecs", "ls-files", "-z")  # a name, not a pattern
    if tracked is None or tracked.returncode != 0:
        return False  # not in a work tree (or no git): nothing to commit it into
    if tracked.stdout:
        return True  # tracked: `git commit -a` takes it, whatever .gitignore says
    ignored = git("check-ignore", "-q", "--no-index")  # takes names, not pathspecs
    return ignored is not None and ignored.returncode == 1  # 1: not ignored
