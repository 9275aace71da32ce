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
from secretsync_hooks.errors import ConfigError
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
    """The example file's text (nothing is written)."""
    contract = config.contract
    local = EnvFile.load(config.env_file, missing_ok=True).values()
    keys = [k for k in dict.fromkeys([*local, *contract.named()]) if not contract.is_local(k)]
    lines = [HEADER.format(config=config.path.name, env=config.env_file.name)]
    for key in keys:
        rule = contract.rule_for(key)
        _refuse_a_real_value(config, rule, local.get(key))
        lines.append("")
        lines += [f"# {text.clean(line)}" for line in _comments(rule)]
        entry = EnvFile.parse("")
        entry.set(key, rule.example or "")
        lines.append(entry.render_text().rstrip("\n"))
    return Example(path or default_path(config), "\n".join(lines) + "\n", keys)


def _comments(rule: Rule) -> list[str]:
    said = (rule.description or "").splitlines()
    terms = []
    if rule.required:
        terms.append("required")
    if rule.type != "string":
        terms.append(rule.type)
    if rule.choices is not None:
        terms.append("one of " + ", ".join(rule.choices))
    if rule.pattern is not None:
        terms.append(f"matching {rule.pattern}")
    return [*said, "; ".join(terms)] if terms else said


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
        _, data = read_regular(example.path, limit=len(example.text.encode()) + 1)
    except (OSError, FileProblem):
        return True
    return data != example.text.encode("utf-8")
