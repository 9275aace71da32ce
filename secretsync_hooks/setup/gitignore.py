"""Make git ignore the ``.env`` files and keep ``.env.example`` tracked, asking git itself
(its ignore rules have many sources) and appending to ``.gitignore`` only what is missing."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from secretsync_hooks.local.exposure import ignored
from secretsync_hooks.setup import files

# Names that stand for "the .env files": the file itself and its variants (.env.local, ...).
SAMPLES = (".env.local", ".env.production")
HEADER = "# secretsync: .env files hold secrets; examples are committed"


class Ignored(NamedTuple):
    added: list[str]  # the lines appended to .gitignore (none: git already did the right thing)
    path: Path
    unsolved: list[str]  # names git still gets wrong after the edit (a rule elsewhere)


def _wanted(folder: Path, env_file: str) -> tuple[list[str], list[str]]:
    """The names git should ignore and should not, as git sees them now, wrongly."""
    env_names = list(dict.fromkeys([".env", env_file, *SAMPLES]))
    ignore = [name for name in env_names if ignored(folder, name) is False]
    keep = [name for name in (".env.example",) if ignored(folder, name) is True]
    return ignore, keep


def ignore_env_files(folder: Path, tree: Path, env_file: str, *, dry_run: bool = False) -> Ignored:
    """Append to ``folder``'s ``.gitignore`` the patterns git lacks: ``.env``, ``.env.*``
    (and the configured file's name), then ``!.env.example``."""
    path = folder / ".gitignore"
    ignore, keep = _wanted(folder, env_file)
    lines = []
    if ".env" in ignore:
        lines.append(".env")
    if any(name in ignore for name in SAMPLES):
        lines.append(".env.*")
    if env_file in ignore and env_file != ".env" and not env_file.startswith(".env."):
        lines.append("/" + env_file)
    if lines or keep:
        lines.append("!.env.example")  # after .env.*, which would take it too
    if not lines or dry_run:
        return Ignored(lines, path, [])
    files.check_place(path, tree)
    files.append(path, files.read_text(path), [HEADER, *lines])
    ignore, keep = _wanted(folder, env_file)
    return Ignored(lines, path, [*ignore, *keep])
