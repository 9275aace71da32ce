"""The ``secretsync-forbid-env`` hook: refuse to commit a .env file.  No AWS involved.

A .env file is ``.env``, ``.env.*``, ``.env-*``, ``.env~`` or ``*.env``, in any case, and the
``env_file`` the config names for any environment; examples (``.env.example``,
``.env.sample``, ``.env.template``) are allowed, as is anything ``--allow`` names.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

from secretsync_hooks import options, text
from secretsync_hooks.errors import ConfigError, ExitCode
from secretsync_hooks.hooks.common import hook_guarded
from secretsync_hooks.hooks.common import say as _say

EXAMPLE_SUFFIXES = ("example", "sample", "template")


def main(argv: Sequence[str] | None = None) -> int:
    """secretsync-forbid-env: fail when a .env file is staged for commit. No AWS involved."""
    return hook_guarded(argv, lambda: _forbid_env(argv))


def _forbid_env(argv: Sequence[str] | None) -> int:
    parser = argparse.ArgumentParser(
        prog="secretsync-forbid-env", description="Refuse to commit .env files."
    )
    parser.add_argument("filenames", nargs="*", help="Staged files (pre-commit passes them).")
    parser.add_argument(
        "--allow",
        action="append",
        default=[],
        metavar="PATTERN",
        help="A file name or glob that may be committed (besides .env.example, .env.sample, "
        ".env.template); repeatable.",
    )
    options.CONFIG.argparse(parser)
    options.DEBUG.argparse(parser)
    args = parser.parse_args(argv)
    configured, warning = _configured_env_files(args.config_path)
    if warning:
        _say(f"secretsync: warning: {warning}")
    blocked = [
        name
        for name in args.filenames
        if _is_env_file(name, args.allow) or _normalise(name) in configured
    ]
    if not blocked:
        return int(ExitCode.OK)
    _say("secretsync: refusing to commit .env files; they hold secrets:")
    for name in blocked:
        _say(f"  {text.shown(name)}")
    quoted = " ".join(_shell_quote(name) for name in blocked)
    _say("Unstage them and keep them out of git:")
    _say(f"  git rm --cached -- {quoted}")
    # (a line break first: a .gitignore need not end with one)
    lines = "\\n" + "".join(f"{line}\\n" for line in ignore_lines(blocked))
    _say(f"  printf {_shell_quote(lines)} >> .gitignore")
    _say("An example file? Name it .env.example, or allow it: args: [--allow, NAME]")
    return int(ExitCode.DRIFT)


# .gitignore lines that cover each kind of .env name, with the examples kept.
_IGNORE_PATTERNS = (
    (".env", ()),
    (".env.*", ("!.env.example", "!.env.sample", "!.env.template")),
    (".env-*", ()),
    ("*.env", ("!example.env",)),
)


def ignore_lines(names: Sequence[str]) -> list[str]:
    """.gitignore lines that cover every one of ``names`` (git matches a pattern without a
    slash against the name at any depth), keeping the example files tracked."""
    lines: dict[str, None] = {}
    keep: dict[str, None] = {}
    for name in names:
        base = PurePosixPath(_normalise(name)).name
        for pattern, examples in _IGNORE_PATTERNS:
            if fnmatchcase(base, pattern):
                lines.setdefault(pattern)
                keep.update(dict.fromkeys(examples))
                break
        else:  # a name no pattern covers (another case, a backup copy): the name itself
            lines.setdefault("/" + _normalise(name).replace("\\", "\\\\"))
    return [*lines, *keep]


def _is_env_file(name: str, allowed: Sequence[str]) -> bool:
    """Whether ``name`` is a .env file: ``.env``, ``.env.*``, ``.env-*``, ``.env~``,
    ``*.env`` in any case (temporary copies secretsync writes included), except examples
    (``.env.example``, ``.env.sample``, ``.env.template``, ``example.env``) and ``allowed``."""
    path = _normalise(name)
    base = PurePosixPath(path).name
    if any(fnmatchcase(base, pattern) or fnmatchcase(path, pattern) for pattern in allowed):
        return False
    lower = base.lower()
    if not (
        lower == ".env"
        or lower.startswith((".env.", ".env-", ".env_", ".env~"))
        or lower.endswith((".env", ".env~"))
    ):
        return False
    parts = re.split(r"[.\-_~]", lower)
    return not any(part in EXAMPLE_SUFFIXES for part in parts)


def _configured_env_files(config_path: Path | None) -> tuple[set[str], str | None]:
    """The env files of every environment in the config, relative to the work tree root."""
    from secretsync_hooks.config.settings import Overrides, find_config, load_config

    path = config_path or find_config(Path.cwd())
    if path is None:
        return set(), None
    try:
        top = load_config(Overrides(config=path))
        configs = [top] + [
            load_config(Overrides(config=path, environment=name)) for name in top.environments
        ]
    except ConfigError as exc:
        return set(), f"{exc.message}; checking .env names only"
    root = Path.cwd().resolve()
    names = set()
    for config in configs:
        try:
            names.add(config.env_file.resolve().relative_to(root).as_posix())
        except ValueError:
            continue  # outside this work tree: git cannot stage it
    return names, None


def _normalise(name: str) -> str:
    return PurePosixPath(name.replace("\\", "/")).as_posix().removeprefix("./")


def _shell_quote(name: str) -> str:
    import shlex

    return shlex.quote(name)


if __name__ == "__main__":
    raise SystemExit(main())
