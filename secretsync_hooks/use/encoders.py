"""Values in the formats other tools read: each exact for its reader, or refused by name.

Every encoder returns the whole text (or, for GitHub, the text for ``$GITHUB_ENV`` and the
mask commands); nothing here prints.  A value the format cannot carry is refused naming its
key, never silently changed.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

from secretsync_hooks import text
from secretsync_hooks.errors import SecretSyncError

FORMATS = ("dotenv", "json", "yaml", "shell", "github", "docker")
# export's other formats: references to the values, never the values (use/references.py);
# named here so that loading the CLI does not load their encoders.
REFERENCE_FORMATS = ("ecs", "external-secrets", "cloudformation")
STORE_KINDS = ("SecretStore", "ClusterSecretStore")
API_VERSIONS = ("v1", "v1beta1")
# Names a shell, docker and the GitHub runner all accept as variables.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# docker reads its --env-file with Go's bufio.Scanner: a line of 64 KiB or more fails.
DOCKER_MAX_LINE = 64 * 1024 - 1


class ExportError(SecretSyncError):
    """A value the chosen format cannot represent exactly."""


class Exported(NamedTuple):
    text: str
    warnings: list[str]
    # github: the ``::add-mask::`` lines for stdout (``text`` goes to $GITHUB_ENV)
    masks: str = ""


def export(fmt: str, values: Mapping[str, str], masked: Callable[[str, str], bool]) -> Exported:
    """``values`` as ``fmt``; ``masked(key, value)`` says which values GitHub must mask."""
    if fmt == "dotenv":
        return _dotenv(values)
    if fmt == "json":
        return Exported(json.dumps(dict(values), indent=2, ensure_ascii=False) + "\n", [])
    if fmt == "yaml":
        return Exported(_yaml(values), [])
    named, warnings = _named(values, fmt)
    if fmt == "shell":
        return Exported(
            "".join(f"export {k}={shell_quote(v)}\n" for k, v in named.items()), warnings
        )
    if fmt == "docker":
        return Exported(_docker(named), warnings)
    if fmt == "github":
        env_text, masks = github(named, masked)
        return Exported(env_text, warnings, masks)
    raise ValueError(fmt)


def _named(values: Mapping[str, str], fmt: str) -> tuple[dict[str, str], list[str]]:
    """The values whose keys are variable names; the others are skipped with a warning."""
    named = {k: v for k, v in values.items() if _NAME.fullmatch(k)}
    skipped = [k for k in values if k not in named]
    warnings = []
    if skipped:
        warnings.append(
            f"skipped {text.keys(skipped)}: not valid variable names for the {fmt} format"
        )
    for key, value in named.items():
        if "\0" in value:
            raise ExportError(
                f"the value of {key} contains a NUL character, which no environment variable "
                "can hold; nothing was written"
            )
    return named, warnings


def _dotenv(values: Mapping[str, str]) -> Exported:
    """The quoting ``pull`` writes: exact for python-dotenv, inert in a shell where any
    quoting is."""
    from secretsync_hooks.local.env_file import EnvFile, quoting_warnings

    document = EnvFile([], existed=False)
    active = [key for key, value in values.items() if not document.set(key, value)]
    return Exported(document.render_text(), quoting_warnings(values.items(), active))


def shell_quote(value: str) -> str:
    """``value`` as one POSIX shell word, literal in sh, bash and zsh: single quotes, with
    each single quote written as ``'\\''``."""
    return "'" + value.replace("'", "'\\''") + "'"


# YAML: what may stand unescaped in a double-quoted scalar (YAML 1.1 printable, minus the
# characters YAML reads as line breaks: NEL, LS, PS), and the escapes for the rest.
_YAML_PLAIN = re.compile(
    "[\t\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
_YAML_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0"}


def yaml_quote(value: str) -> str:
    """``value`` as a YAML double-quoted scalar that every YAML 1.1 or 1.2 parser reads back
    exactly (no folding, no normalisation)."""
    out = []
    for char in value:
        if char in _YAML_ESCAPES:
            out.append(_YAML_ESCAPES[char])
        elif _YAML_PLAIN.fullmatch(char):
            out.append(char)
        elif ord(char) <= 0xFF:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return '"' + "".join(out) + '"'


def _yaml(values: Mapping[str, str]) -> str:
    if not values:
        return "{}\n"
    return "".join(f"{yaml_quote(k)}: {yaml_quote(v)}\n" for k, v in values.items())


def _docker(values: Mapping[str, str]) -> str:
    """``docker run --env-file``: ``KEY=value`` taken literally to the end of the line, so a
    value holding a line break (or ending in a carriage return, which Go's line reader drops)
    cannot be written."""
    lines = []
    for key, value in values.items():
        if "\n" in value or value.endswith("\r"):
            raise ExportError(
                f"the value of {key} holds a line break, which a docker env file cannot "
                "represent; nothing was written",
                hint="Leave it out with --keys, or pass it another way (e.g. secretsync run).",
            )
        line = f"{key}={value}"
        if len(line.encode("utf-8")) > DOCKER_MAX_LINE:
            raise ExportError(
                f"the value of {key} is longer than a docker env file line may be (64 KiB); "
                "nothing was written"
            )
        lines.append(line + "\n")
    return "".join(lines)


def github(values: Mapping[str, str], masked: Callable[[str, str], bool]) -> tuple[str, str]:
    """The ``$GITHUB_ENV`` text (``KEY<<DELIMITER`` blocks, with one delimiter that occurs in
    no value) and the ``::add-mask::`` commands: one per line of every masked value, split as
    the runner splits its log (at ``\\r\\n``, ``\\r`` and ``\\n``)."""
    delimiter = _delimiter(values.values())
    blocks = "".join(f"{key}<<{delimiter}\n{value}\n{delimiter}\n" for key, value in values.items())
    masks: dict[str, None] = {}
    for key, value in values.items():
        if masked(key, value):
            for line in re.split(r"\r\n|\r|\n", value):
                if line.strip():
                    masks.setdefault(f"::add-mask::{_command_data(line)}\n")
    return blocks, "".join(masks)


def _delimiter(values: Iterable[str]) -> str:
    pool = list(values)
    while True:
        candidate = f"ghadelimiter_{secrets.token_hex(16)}"
        if not any(candidate in value for value in pool):
            return candidate


def _command_data(line: str) -> str:
    """A workflow command's data, escaped as the runner unescapes it."""
    return line.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
