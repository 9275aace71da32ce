"""Each export format read back by its own consumer is exact, or the value is refused by name."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from dotenv import dotenv_values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secretsync_hooks.use.encoders import (
    DOCKER_MAX_LINE,
    ExportError,
    export,
    shell_quote,
    yaml_quote,
)
from tests.helpers import AWKWARD, examples

SHELLS = [name for name in ("sh", "bash", "zsh") if shutil.which(name)]


def never(key: str, value: str) -> bool:
    return False


def always(key: str, value: str) -> bool:
    return True


def read_back_in_shell(
    shell: str, script: str, keys: list[str], cwd: Path | None = None
) -> dict[str, str]:
    """``eval`` the script in ``shell``, then print each variable NUL-separated."""
    dump = "".join(f'printf "%s\\0" "${k}"; ' for k in keys)
    result = subprocess.run(
        [shell, "-c", f'eval "$(cat)"; {dump}'],
        input=script.encode(),
        capture_output=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"},
        cwd=cwd,
    )
    parts = result.stdout.decode("utf-8").split("\0")[:-1]
    return dict(zip(keys, parts, strict=True))


@pytest.mark.parametrize("shell", SHELLS)
def test_shell_lines_evaluate_to_every_value_byte_for_byte(shell: str, tmp_path: Path) -> None:
    exported = export("shell", AWKWARD, never)
    assert exported.warnings == []
    assert read_back_in_shell(shell, exported.text, list(AWKWARD), tmp_path) == AWKWARD
    # nothing in a value ran: each would have created a pwned-* file
    assert list(tmp_path.iterdir()) == []


@settings(max_examples=examples(200), suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\0")))
def test_any_value_survives_shell_quoting(value: str) -> None:
    result = subprocess.run(
        ["sh", "-c", f'printf "%s" {shell_quote(value)}'],
        capture_output=True,
        check=True,
    )
    assert result.stdout.decode("utf-8", "surrogateescape") == value


def test_dotenv_is_read_back_by_python_dotenv_exactly() -> None:
    exported = export("dotenv", AWKWARD, never)
    assert dotenv_values(stream=io.StringIO(exported.text), interpolate=False) == AWKWARD
    # the same rule as pull: a value with '${' is named (python-dotenv expands it by default)
    assert any("VAR contains '${'" in warning for warning in exported.warnings)


def test_json_is_one_object_of_strings() -> None:
    exported = export("json", AWKWARD, never)
    assert json.loads(exported.text) == AWKWARD


def test_yaml_is_read_back_by_a_yaml_parser_exactly() -> None:
    exported = export("yaml", AWKWARD, never)
    assert yaml.safe_load(exported.text) == AWKWARD
    assert yaml.safe_load(export("yaml", {}, never).text) == {}


@settings(max_examples=examples(300), suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.dictionaries(
        st.text(st.characters(exclude_categories=["Cs"])),
        st.text(st.characters(exclude_categories=["Cs"])),
    )
)
def test_any_mapping_survives_yaml(values: dict[str, str]) -> None:
    assert yaml.safe_load(export("yaml", values, never).text) == values


def test_yaml_escapes_what_yaml_would_fold_or_refuse() -> None:
    for char in ("\x85", "\u2028", "\u2029", "\x7f", "\ufeff", "\x00", "\x1b"):
        assert char not in yaml_quote(f"a{char}b")
        assert yaml.safe_load(f"k: {yaml_quote(f'a{char}b')}") == {"k": f"a{char}b"}


def parse_docker_env_file(text: str) -> dict[str, str]:
    """docker's rules for --env-file (opts/envfile.go): lines split at \\n with one \\r before
    it dropped (Go's ScanLines), leading whitespace trimmed, # comments and blank lines
    skipped, KEY=VALUE taken literally, no quotes, no expansion."""
    out = {}
    for raw in text.split("\n")[:-1]:
        line = raw[:-1] if raw.endswith("\r") else raw
        line = line.lstrip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition("=")
        out[key] = value
    return out


def test_docker_env_file_is_literal() -> None:
    single_line = {k: v for k, v in AWKWARD.items() if "\n" not in v and not v.endswith("\r")}
    exported = export("docker", single_line, never)
    assert parse_docker_env_file(exported.text) == single_line
    assert '"' not in exported.text.splitlines()[0]  # no quoting added


@pytest.mark.parametrize("value", ["two\nlines", "ends in a carriage return\r"])
def test_docker_refuses_what_its_env_file_cannot_hold(value: str) -> None:
    with pytest.raises(ExportError, match="the value of BAD holds a line break") as info:
        export("docker", {"OK": "fine", "BAD": value}, never)
    assert value not in str(info.value)


def test_docker_refuses_a_line_too_long_for_its_reader() -> None:
    fits = "x" * (DOCKER_MAX_LINE - len("K="))
    assert parse_docker_env_file(export("docker", {"K": fits}, never).text) == {"K": fits}
    with pytest.raises(ExportError, match="longer than a docker env file line"):
        export("docker", {"K": fits + "x"}, never)


def parse_github_env(text: str) -> dict[str, str]:
    """The runner's reading of $GITHUB_ENV (SetEnvFileCommand, Linux): NAME=VALUE lines, or
    NAME<<DELIMITER then lines up to one equal to the delimiter, joined with their own line
    breaks, the last one's dropped."""
    out, index = {}, 0
    lines = text.split("\n")
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line:
            continue
        equals, heredoc = line.find("="), line.find("<<")
        if equals >= 0 and (heredoc < 0 or equals < heredoc):
            key, _, value = line.partition("=")
            out[key] = value
            continue
        name, delimiter = line.split("<<", 1)
        body = []
        while lines[index] != delimiter:
            body.append(lines[index])
            index += 1
        index += 1
        out[name] = "\n".join(body)
    return out


def test_github_env_is_read_back_as_the_runner_reads_it() -> None:
    exported = export("github", AWKWARD, always)
    assert parse_github_env(exported.text) == AWKWARD
    delimiter = exported.text.splitlines()[0].split("<<")[1]
    assert not any(delimiter in value for value in AWKWARD.values())
    # a new random delimiter each time
    assert export("github", AWKWARD, always).text.splitlines()[0].split("<<")[1] != delimiter


def test_github_masks_every_line_of_every_masked_value_and_nothing_else() -> None:
    values = {
        "TOKEN": "tok-abc",
        "PEM": "-----BEGIN-----\r\nbody%0A\n-----END-----\n",
        "LEVEL": "debug",
    }
    exported = export("github", values, lambda key, value: key != "LEVEL")
    masks = exported.masks.split("\n")[:-1]
    assert masks == [
        "::add-mask::tok-abc",
        "::add-mask::-----BEGIN-----",
        "::add-mask::body%250A",  # '%' escaped, as the runner unescapes command data
        "::add-mask::-----END-----",
    ]
    assert all(line.startswith("::add-mask::") for line in masks)


def test_a_delimiter_found_in_a_value_is_never_used(monkeypatch: pytest.MonkeyPatch) -> None:
    import secrets

    tokens = iter(["aaaa", "aaaa", "bbbb"])
    monkeypatch.setattr(secrets, "token_hex", lambda n: next(tokens))
    exported = export("github", {"V": "x ghadelimiter_aaaa y"}, never)
    assert exported.text.splitlines()[0] == "V<<ghadelimiter_bbbb"


@pytest.mark.parametrize("fmt", ["shell", "docker", "github"])
def test_names_no_environment_can_hold_are_skipped_by_name(fmt: str) -> None:
    exported = export(fmt, {"GOOD": "fine-value", "my-key": "skipped-value"}, never)
    assert "my-key" not in exported.text and "skipped-value" not in exported.text
    assert re.search(r"skipped my-key: not valid variable names", exported.warnings[0])


@pytest.mark.parametrize("fmt", ["shell", "docker", "github"])
def test_a_nul_is_refused_naming_the_key(fmt: str) -> None:
    with pytest.raises(ExportError, match="the value of BAD contains a NUL"):
        export(fmt, {"BAD": "a\0b"}, never)
