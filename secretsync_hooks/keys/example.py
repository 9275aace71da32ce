"""``secretsync example``: the ``.env.example`` a repository commits, made from the key
contract and the .env's key names: every key (the contract's local keys excepted), in the
.env's order then the contract's, each after its description and set to its ``example``, else
empty.  Never a value: the .env is read for its key names, and an example that equals the
value the .env holds is refused, since the file is meant to be committed."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from secretsync_hooks import text
from secretsync_hooks.config.contract import Rule
from secretsync_hooks.config.settings import Config
from secretsync_hooks.errors import ConfigError, SecretSyncError
from secretsync_hooks.local.env_file import EnvFile

HEADER = (
    "# Made by `secretsync example` from {config} and the key names of {env}: every key, set "
    "to its example (never a value)."
)


class Example(NamedTuple):
    path: Path
    text: str
    keys: list[str]


def default_path(config: Config) -> Path:
    """Where ``example`` writes, and ``run --strict`` reads: ``.env.example`` beside ``.env``
    (``.env.staging.example`` beside ``.env.staging``)."""
    from secretsync_hooks.sync.values import example_files

    return example_files(config.env_file)[0]


def make_example(config: Config, path: Path | None = None) -> Example:
    """The example file's text (nothing is written).  Without a .env (in CI, say), the key
    names of the example file on disk stand in for the .env's, so that ``--check`` there
    compares the contract's part of it."""
    contract = config.contract
    target = path or default_path(config)
    env = EnvFile.load(config.env_file, missing_ok=True)
    local = env.values()
    names = list(local) if env.existed else _names_in(target)
    keys = [k for k in dict.fromkeys([*names, *contract.named()]) if not contract.is_local(k)]
    lines = [HEADER.format(config=_one_line(config.path.name), env=_one_line(config.env_file.name))]
    for key in keys:
        rule = contract.rule_for(key)
        _refuse_a_real_value(config, rule, local.get(key))
        lines.append("")
        lines += [f"# {line}" for line in _comments(rule)]
        entry = EnvFile.parse("")
        entry.set(key, rule.example or "")
        lines.append(entry.render_text().rstrip("\n"))
    return Example(target, "\n".join(lines) + "\n", keys)


def _names_in(path: Path) -> list[str]:
    try:
        return EnvFile.load(path, missing_ok=True).keys()
    except SecretSyncError:
        return []  # not an example anyone can read: what the contract says stands alone


def _one_line(name: str) -> str:
    return text.shown(name).replace("\n", " ").replace("\r", " ")


def _comments(rule: Rule) -> list[str]:
    """The comment lines above a key: its description, then its rule; every line of each
    (a choice or a pattern may hold a line break) a comment of its own."""
    said = [rule.description or ""]
    terms = []
    if rule.required:
        terms.append("required")
    if rule.type != "string":
        terms.append(rule.type)
    if rule.choices is not None:
        terms.append("one of " + ", ".join(rule.choices))
    if rule.pattern is not None:
        terms.append(f"matching {rule.pattern}")
    said.append("; ".join(terms))
    return [text.clean(line) for part in said for line in part.splitlines()]


def _refuse_a_real_value(config: Config, rule: Rule, value: str | None) -> None:
    """An example that is the value itself would publish it: refused unless it is too short
    to be a secret (``info`` for a log level), as the leak guard judges."""
    if rule.example and rule.example == value and len(value) >= config.scan_min_length:
        raise ConfigError(
            f"{config.path}: [keys.{text.shown(rule.key)}] example is the value "
            f"{config.env_file.name} holds; an example is committed, so it must not be a real "
            "value; nothing was written",
            hint="Give a made-up example, or leave it out (the key is then written empty).",
        )


def differs(example: Example) -> bool:
    """Whether the file on disk is not exactly ``example`` (missing, or not a regular file,
    counts as different)."""
    from secretsync_hooks.local.fs import FileProblem, read_regular

    try:
        _, data = read_regular(example.path, limit=2 * len(example.text.encode()) + 2)
    except (OSError, FileProblem):
        return True
    # A checkout with CRLF line endings (core.autocrlf) holds the same file.
    return data.replace(b"\r\n", b"\n") != example.text.encode("utf-8")


def write_example(config: Config, made: Example, named: str) -> None:
    """Write the example where it may go: never over a .env or the config, never through a
    symbolic link, never out of the work tree through a linked folder."""
    from secretsync_hooks.errors import SecretSyncError
    from secretsync_hooks.local.fs import FileProblem, write_atomic
    from secretsync_hooks.sync.destination import Destination

    destination = Destination(config, str(made.path), named, "", writer="example")
    destination.check()
    mode = None if made.path.exists() else 0o644  # committed, not secret
    try:
        write_atomic(
            destination.path,
            made.text.encode("utf-8"),
            mode=mode,
            follow_symlinks=False,
            check=lambda _path: destination.check(),
        )
    except FileProblem as exc:
        raise SecretSyncError(f"{text.shown(str(made.path))}: {exc}") from None
