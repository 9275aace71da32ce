"""This project's hooks in ``.pre-commit-config.yaml``: the file written when there is none,
else one ``- repo:`` entry appended to its ``repos:`` list when the file's shape allows that
without touching a byte of it; otherwise the entry to add is said, not guessed at."""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

from secretsync_hooks.setup import files

REPOSITORY = "https://github.com/secretsync/secretsync-hooks"
HOOKS = ("secretsync-check", "secretsync-forbid-env", "secretsync-scan")
FILE = ".pre-commit-config.yaml"


class Hooked(NamedTuple):
    path: Path
    done: str  # "written", "extended", "present", "manual"
    entry: str  # the entry, for the user to add where ``done`` is "manual"
    reason: str = ""


def entry(rev: str, indent: str, args: list[str]) -> str:
    """The ``- repo:`` entry, its list items at ``indent``."""
    given = f"\n{indent}      args: [{', '.join(args)}]" if args else ""
    hooks = "".join(f"\n{indent}    - id: {hook}{given}" for hook in HOOKS)
    return f"{indent}- repo: {REPOSITORY}\n{indent}  rev: {rev}\n{indent}  hooks:{hooks}\n"


def add_hooks(root: Path, rev: str, args: list[str], *, dry_run: bool = False) -> Hooked:
    """Write or extend ``root``'s pre-commit config with the hooks, pinned at ``rev``."""
    path = root / FILE
    before = files.read_text(path)
    if before is None:
        whole = "repos:\n" + entry(rev, "  ", args)
        if not dry_run:
            files.check_place(path, root)
            files.write(path, whole, mode=0o644)
        return Hooked(path, "written", whole)
    if REPOSITORY in before:
        missing = [hook for hook in HOOKS if not re.search(rf"id:\s*{hook}\s*$", before, re.M)]
        if not missing:
            return Hooked(path, "present", "")
        why = f"it names {REPOSITORY} already, without {', '.join(missing)}"
        return Hooked(path, "manual", entry(rev, "  ", args), why)
    indent, why = _list_indent(before)
    if indent is None:
        return Hooked(path, "manual", entry(rev, "  ", args), why)
    added = entry(rev, indent, args)
    if not dry_run:
        files.check_place(path, root)
        files.append(path, before, [added.rstrip("\n")])
    return Hooked(path, "extended", added)


def _list_indent(text: str) -> tuple[str | None, str]:
    """The indentation of the items of a block-style ``repos:`` list that ends the file, or
    None and why an entry cannot just be appended."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if re.match(r"repos:\s*(#.*)?$", line)]
    if len(starts) != 1:
        return None, "it has no block-style `repos:` list"
    after = lines[starts[0] + 1 :]
    if any(re.match(r"[^\s#-]", line) for line in after):
        return None, "other settings follow its `repos:` list"
    items = [re.match(r"(\s*)- ", line) for line in after]
    indents = {found.group(1) for found in items if found and found.group(1) is not None}
    first = next((found.group(1) for found in items if found), None)
    if first is None:
        return None, "its `repos:` list has no entry to line up with"
    if first not in indents or any(len(i) < len(first) for i in indents):
        return None, "its `repos:` list is indented unevenly"
    return first, ""
