"""The README and the docs site: they build, their links lead somewhere, and what they say about
commands, options, settings and output is what the program does."""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import click
import pytest
import yaml

from secretsync_hooks.cli.main import cli
from secretsync_hooks.config.schema import TABLES, TOP_LEVEL
from secretsync_hooks.hooks.check import check_main, check_push_main
from secretsync_hooks.hooks.forbid_env import main as forbid_env_main
from secretsync_hooks.hooks.scan import scan_main
from tests.helpers import Remote, write_config

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = (ROOT / "README.md").read_text()
PAGES = sorted(DOCS.rglob("*.md"))
# Links from the docs to the repository's own files (outside docs/, which mkdocs cannot see).
REPOSITORY = "https://github.com/secretsync/secretsync-hooks/"
LINK = re.compile(r"\]\(([^)\s]+)\)")
VARIABLE = re.compile(r"(?<![\w])SECRETSYNC_[A-Z][A-Z_]*[A-Z]")


def page(name: str) -> str:
    return (DOCS / name).read_text()


def words(text: str) -> str:
    """``text`` with every run of whitespace one space: wrapped lines read as one."""
    return " ".join(text.split())


def fenced(text: str) -> list[str]:
    """The fenced blocks of ``text``, without their fences."""
    return re.findall(r"^```[^\n]*\n(.*?)^```", text, re.MULTILINE | re.DOTALL)


def block(text: str, after: str) -> str:
    """The first fenced block that follows ``after`` in ``text``."""
    return fenced(text[text.index(after) :])[0]


def block_with(text: str, marker: str) -> str:
    """The first fenced block of ``text`` that holds ``marker``."""
    return next(found for found in fenced(text) if marker in found)


def table(text: str, header: str) -> list[list[str]]:
    """The rows (cells stripped) of the Markdown table whose header row starts with
    ``header``."""
    lines = text[text.index(header) :].splitlines()
    rows = []
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        rows.append(_cells(line.strip().strip("|")))
    return rows


def _cells(line: str) -> list[str]:
    """A table row's cells: a ``|`` inside a code span (as Python-Markdown reads it) or
    escaped (as GitHub's Markdown needs it) does not end a cell."""
    cells, cell, code, escaped = [], "", False, False
    for char in line:
        if char == "|" and not code and not escaped:
            cells.append(cell.strip())
            cell = ""
            continue
        code = code != (char == "`")
        escaped = char == "\\"
        cell += char
    return [*cells, cell.strip()]


def options_in(text: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", text))


# -- the site ------------------------------------------------------------------------------------


def test_the_docs_build_with_no_warning(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output, output
    assert (tmp_path / "site" / "index.html").is_file()


def test_every_relative_link_in_the_readme_points_to_a_file_that_exists() -> None:
    links = [link for link in LINK.findall(README) if not re.match(r"[a-z]+:|#", link)]
    assert links
    for link in links:
        assert (ROOT / link.split("#", 1)[0]).exists(), link


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_links_from_the_docs_to_the_repository_point_to_files_that_exist(path: Path) -> None:
    for link in LINK.findall(path.read_text()):
        if link.startswith(REPOSITORY) and not link.startswith(REPOSITORY + "#"):
            kind, branch, file = link[len(REPOSITORY) :].split("#", 1)[0].split("/", 2)
            assert (kind, branch) in {("blob", "main"), ("tree", "main")}, link
            assert (ROOT / file).exists(), link


@pytest.mark.parametrize("path", [*PAGES, ROOT / "README.md"], ids=lambda p: p.name)
def test_every_test_module_the_docs_cite_exists(path: Path) -> None:
    for name in re.findall(r"tests/\w+\.py", path.read_text()):
        assert (ROOT / name).is_file(), name


# -- commands and options ------------------------------------------------------------------------


def _commands() -> dict[str, click.Command]:
    assert isinstance(cli, click.Group)
    context = click.Context(cli)
    found = {name: cli.get_command(context, name) for name in cli.list_commands(context)}
    return {name: command for name, command in found.items() if command is not None}


def _synopsis(text: str) -> dict[str, set[str]]:
    """command -> the options its synopsis line names."""
    lines = block_with(text, "secretsync push   [").splitlines()
    return {line.split()[1]: options_in(line.split("#", 1)[0]) for line in lines if line}


def _shared() -> dict[str, set[str]]:
    """command -> the options the shared-options table gives it."""
    names = set(_commands())
    shared: dict[str, set[str]] = {name: set() for name in names}
    for options, commands in table(page("reference/commands.md"), "| options | commands |"):
        if commands == "all":
            chosen = names
        elif commands.startswith("all but"):
            chosen = names - set(re.findall(r"`(\w+)`", commands))
        else:
            chosen = set(re.findall(r"`(\w+)`", commands.split("(", 1)[0]))
        assert chosen <= names, chosen - names
        for name in chosen:
            shared[name] |= options_in(options)
    return shared


def test_the_readme_and_the_reference_show_the_same_synopsis() -> None:
    marker = "secretsync push   ["
    assert block_with(README, marker) == block_with(page("reference/commands.md"), marker)


def test_the_synopsis_and_the_shared_options_are_every_option_of_every_command() -> None:
    synopsis = _synopsis(page("reference/commands.md"))
    shared = _shared()
    commands = _commands()
    assert set(synopsis) == set(commands)
    for name, command in commands.items():
        real = {
            opt
            for param in command.params
            if isinstance(param, click.Option)
            for opt in param.opts + param.secondary_opts
            if opt.startswith("--")
        } - {"--help"}
        documented = synopsis[name] | shared[name]
        assert documented - real == set(), f"{name}: documented but not taken"
        assert real - documented == set(), f"{name}: taken but not in docs/reference/commands.md"


def _hook_options(main: Callable[[list[str]], int]) -> set[str]:
    """The options a hook's entry point accepts, from its --help."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        main(["--help"])
    return options_in(out.getvalue()) - {"--help"}


def test_the_hook_options_table_is_every_option_of_every_hook() -> None:
    hooks = {
        "check": _hook_options(check_main) | _hook_options(check_push_main),
        "scan": _hook_options(scan_main),
        "forbid-env": _hook_options(forbid_env_main),
    }
    assert _hook_options(check_main) == _hook_options(check_push_main)
    documented: dict[str, set[str]] = {name: set() for name in hooks}
    for option, which, _ in table(page("guide/hooks.md"), "| option | hooks |"):
        chosen = list(hooks) if which == "all" else [w.strip() for w in which.split(",")]
        for name in chosen:
            documented[name] |= options_in(option)
    assert documented == hooks


@pytest.mark.parametrize("path", [DOCS / "guide/hooks.md", ROOT / "README.md"], ids=str)
def test_the_pre_commit_config_shown_installs_every_hook(path: Path) -> None:
    manifest = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    shown = yaml.safe_load(block(path.read_text(), "`.pre-commit-config.yaml`"))
    assert shown["default_install_hook_types"] == ["pre-commit", "pre-push"]
    [repo] = shown["repos"]
    assert repo["repo"] == REPOSITORY.rstrip("/")
    assert [hook["id"] for hook in repo["hooks"]] == [hook["id"] for hook in manifest]


@pytest.mark.parametrize("path", [DOCS / "guide/hooks.md", ROOT / "README.md"], ids=str)
def test_every_hook_is_in_the_hook_table(path: Path) -> None:
    manifest = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    rows = table(path.read_text(), "| hook | stage |")
    assert {row[0] for row in rows} == {f"`{hook['id']}`" for hook in manifest}
    for row in rows:
        hook = next(h for h in manifest if f"`{h['id']}`" == row[0])
        assert row[1] in hook["stages"]


# -- configuration and environment ---------------------------------------------------------------


def test_the_settings_table_is_every_setting_of_the_schema() -> None:
    documented: set[str] = set()
    for setting, _, _ in table(page("reference/configuration.md"), "| setting | meaning |"):
        names = re.findall(r"`([^`]+)`", setting)
        section = re.match(r"\[(\w+)\] ", names[0])
        if names[0] in ("[environments.NAME]", "[keys.NAME]"):
            documented.add(names[0][1:].split(".")[0])
        elif section:
            first = names[0][section.end() :]
            documented |= {f"{section.group(1)}.{name}" for name in [first, *names[1:]]}
        else:
            assert "(top level)" in setting, setting
            documented |= set(names)
    schema = {*TOP_LEVEL, "environments", "keys"} | {
        f"{section}.{name}" for section, keys in TABLES.items() for name in keys
    }
    assert documented == schema


def test_the_rule_settings_table_is_every_setting_of_a_rule() -> None:
    from secretsync_hooks.config.contract import FIELDS, TYPES

    rows = table(page("reference/configuration.md"), "| rule setting | meaning |")
    assert sorted(re.findall(r"`([^`]+)`", row[0])[0] for row in rows) == sorted(FIELDS)
    kinds = {row[0]: row[1] for row in rows}["`type`"]
    assert [kind for kind in TYPES if f"`{kind}`" not in kinds] == []


def test_the_timeouts_table_gives_the_defaults_the_code_uses() -> None:
    from secretsync_hooks.remote import aws, aws_config

    rows = {row[0]: row[2] for row in table(page("reference/environment.md"), "| variable |")}
    deadlines = f"{aws.COMMAND_DEADLINE:g} (hooks: {aws.HOOK_DEADLINE:g})"
    assert rows["`SECRETSYNC_TIMEOUT`"] == deadlines
    assert rows["`SECRETSYNC_CONNECT_TIMEOUT`"] == f"{aws.DEFAULT_CONNECT_TIMEOUT:g}"
    assert rows["`SECRETSYNC_READ_TIMEOUT`"] == f"{aws.DEFAULT_READ_TIMEOUT:g}"
    assert rows["`AWS_MAX_ATTEMPTS`"] == str(aws_config.DEFAULT_MAX_ATTEMPTS)
    assert rows["`AWS_RETRY_MODE`"] == "`standard`"
    assert set(aws_config.RETRY_MODES) == {"legacy", "standard", "adaptive"}


def test_every_secretsync_variable_is_documented_and_read() -> None:
    source = "\n".join(path.read_text() for path in (ROOT / "secretsync_hooks").rglob("*.py"))
    read = set(VARIABLE.findall(source))
    documented = set(VARIABLE.findall(page("reference/environment.md")))
    assert documented == read
    for path in [*PAGES, ROOT / "README.md"]:
        named = set(VARIABLE.findall(path.read_text()))
        assert named <= read, (path.name, named - read)


# -- output the docs show ------------------------------------------------------------------------


@pytest.mark.parametrize("path", [DOCS / "guide/hooks.md", ROOT / "README.md"], ids=str)
def test_the_blocked_commit_shown_is_what_the_hook_prints(
    path: Path, project: Path, aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(project, "secrets_manager")
    Remote("secrets_manager").seed({"API_TOKEN": "the-value-in-aws"})
    (project / ".env").write_text("API_TOKEN=my-local-value\nNEW_FLAG=on\n")
    assert check_main([]) == 1
    assert capsys.readouterr().out == block(path.read_text(), "A blocked commit looks like")


# Output the docs quote, and the test that asserts it: (page, as the page quotes it, test
# module, as the test asserts it). Where the docs give an example with other names or numbers,
# both sides pin the words they share.
OUTPUTS = [
    (
        "reference/exit-codes.md",
        "Interrupted; nothing was changed.",
        "test_never_destroy.py",
        "Interrupted; nothing was changed.",
    ),
    (
        "reference/commands.md",
        "push would overwrite 3 of the 5 keys in secret myapp/production at once",
        "test_never_destroy.py",
        "push would overwrite 3 of the 5 keys in",
    ),
    (
        "reference/commands.md",
        "`secretsync push` creates it",
        "test_cli_commands.py",
        "`secretsync push` creates it",
    ),
    (
        "reference/configuration.md",
        "region eu-west-1 (from AWS_REGION)",
        "test_cli.py",
        "region       eu-west-1 (from AWS_REGION)",
    ),
    (
        "reference/configuration.md",
        "AWS_REGION=us-east-1 overrides region eu-west-1 from .secretsync.toml",
        "test_aws_behaviour.py",
        "AWS_REGION=us-east-1 overrides region eu-west-1 from .secretsync.toml",
    ),
    (
        "explanation/three-way-sync.md",
        "note: comparing two-way: ... the region was us-east-1, not eu-west-1",
        "test_cli_commands.py",
        "the region was us-east-1, not eu-west-1",
    ),
    (
        "explanation/talking-to-aws.md",
        "AWS did not answer within 8 s (waiting for: secretsmanager:GetSecretValue on secret",
        "test_never_reveal.py",
        "AWS did not answer within 1 s (waiting for: secretsmanager:GetSecretValue",
    ),
    (
        "explanation/talking-to-aws.md",
        "--version-stage AWSPENDING --remove-from-version-id ID",
        "test_aws_behaviour.py",
        "--version-stage AWSPENDING --remove-from-version-id {pending}",
    ),
    (
        "reference/env-syntax.md",
        "line 3: not a KEY=value line",
        "test_cli_commands.py",
        "line 2: not a KEY=value line",
    ),
    (
        "guide/leak-guard.md",
        "path:line: holds the value of KEY (form)",
        "test_scan.py",
        "config.json:1: holds the value of PASSWORD (JSON-escaped)",
    ),
    (
        "guide/leak-guard.md",
        "path:0: its path holds the value of KEY",
        "test_scan.py",
        "its path holds the value of",
    ),
    (
        "guide/troubleshooting.md",
        '"no AWS credentials found"',
        "test_aws.py",
        '"no AWS credentials found"',
    ),
    (
        "guide/troubleshooting.md",
        '"your AWS SSO session has expired"',
        "test_aws.py",
        '"SSO session has expired"',
    ),
    (
        "guide/troubleshooting.md",
        '"credentials have expired"',
        "test_aws.py",
        '"your AWS credentials have expired"',
    ),
    (
        "guide/troubleshooting.md",
        '"access denied: AWS refused ACTION on RESOURCE"',
        "test_aws.py",
        '"access denied: AWS refused secretsmanager:GetSecretValue on secret app/prod"',
    ),
    (
        "explanation/aws-behaviour.md",
        '"cannot be decrypted: its KMS key is not usable"',
        "test_aws_behaviour.py",
        '"cannot be decrypted: its KMS key is not usable"',
    ),
    (
        "explanation/talking-to-aws.md",
        '"exists, no value yet"',
        "test_aws_behaviour.py",
        "exists, no value yet",
    ),
    (
        "reference/commands.md",
        "_SECRETSYNC_COMPLETE=bash_source secretsync",
        "test_cli_commands.py",
        '{"_SECRETSYNC_COMPLETE": "bash_source"}',
    ),
]


@pytest.mark.parametrize(("name", "shown", "module", "asserted"), OUTPUTS)
def test_output_the_docs_quote_is_asserted_by_a_test(
    name: str, shown: str, module: str, asserted: str
) -> None:
    assert words(shown) in words(page(name)), f"docs/{name} no longer says {shown!r}"
    test = (ROOT / "tests" / module).read_text()
    assert words(asserted) in words(test), f"tests/{module} no longer asserts {asserted!r}"


def test_every_aws_behaviour_row_names_the_test_that_covers_it() -> None:
    tests = (ROOT / "tests" / "test_aws_behaviour.py").read_text()
    rows = table(page("explanation/aws-behaviour.md"), "| # | AWS does |")
    assert [int(row[0]) for row in rows] == list(range(1, len(rows) + 1))
    for row in rows:
        number, covered = row[0], row[-1]
        elsewhere = re.findall(r"tests/\w+\.py", covered)
        assert f"def test_{number}_" in tests or elsewhere, row
        for cited in re.findall(r"test_(\d+)_\.\.\.", covered):
            assert f"def test_{cited}_" in tests, cited


@pytest.mark.usefixtures("processes")
def test_the_demo_does_what_the_readme_says() -> None:
    # "bash scripts/demo.sh" is scripts/_venv.sh (the install) and then scripts/demo.py.
    assert "exec .venv/bin/python scripts/demo.py" in (ROOT / "scripts" / "demo.sh").read_text()
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    shown = [line for line in result.stdout.splitlines() if line.startswith("$ secretsync")]
    assert shown[:3] == ["$ secretsync status", "$ secretsync push", "$ secretsync diff"]
    # Then pull and push settle both sides without --force; a conflict refuses a push, and
    # pull --force resolves it: in that order.
    story = [
        "$ secretsync pull",
        "$ secretsync push",
        "$ secretsync push",
        "$ secretsync pull --force",
    ]
    rest = iter(shown[3:])
    assert all(step in rest for step in story), shown
    assert "moto server standing in for AWS at http://127.0.0.1:" in result.stdout
    assert "remote-modified" in result.stdout  # who changed what
    assert "secretsync: refused: conflict: " in result.stdout + result.stderr
