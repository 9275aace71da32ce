"""This project's hooks in ``.pre-commit-config.yaml``: the file written when there is none,
else one ``- repo:`` entry appended to its ``repos:`` list when the file's shape allows that
without touching a byte of it; otherwise the entry to add is said, not guessed at."""

from __future__ import annotations

import json
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
    """The ``- repo:`` entry, its list items at ``indent``.  The scan hook passes while there
    is nothing to look for (a new project, a fresh clone before its first pull)."""
    lines = [f"{indent}- repo: {REPOSITORY}", f"{indent}  rev: {rev}", f"{indent}  hooks:"]
    for hook in HOOKS:
        given = [*args, "--allow-empty"] if hook == "secretsync-scan" else args
        lines.append(f"{indent}    - id: {hook}")
        if given:
            lines.append(f"{indent}      args: [{', '.join(_scalar(arg) for arg in given)}]")
    return "\n".join(lines) + "\n"


def _scalar(word: str) -> str:
    """``word`` in a YAML flow sequence: as is when plain, else a double-quoted (JSON)
    string, so a folder name with a comma, a bracket or a colon stays one argument."""
    return word if re.fullmatch(r"[-\w./]+", word) else json.dumps(word)


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
    if _present(before, args):
        return Hooked(path, "present", "")
    live = _live(before)
    if REPOSITORY in live and not args:
        missing = [hook for hook in HOOKS if not re.search(rf"id:\s*{hook}\s*$", live, re.M)]
        why = f"it names {REPOSITORY} already, without {', '.join(missing)}"
        return Hooked(path, "manual", entry(rev, "  ", args), why)
    indent, why = _list_indent(before)
    if indent is None:
        return Hooked(path, "manual", entry(rev, "  ", args), why)
    added = entry(rev, indent, args)
    if not dry_run:
        files.check_place(path, root)
        files.append(path, before, added.rstrip("\n").split("\n"))
    return Hooked(path, "extended", added)


def _present(text: str, args: list[str]) -> bool:
    """Whether the file (its comments left out) has every hook, checking this config."""
    live = _live(text)
    if REPOSITORY not in live:
        return False
    if not all(re.search(rf"id:\s*{hook}\s*$", live, re.M) for hook in HOOKS):
        return False
    return not args or args[-1] in live  # the config's path, for a config not at the root


def _live(text: str) -> str:
    """The text with its comments left out (a commented-out hook is no hook)."""
    return "\n".join(re.sub(r"(^|\s)#.*", "", line) for line in text.splitlines())


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
