"""Claims of the README and the docs that no other test shows: each test here does what a
page says and checks that it happens as the page says, or, for a figure, that the page quotes
the measured record."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import sysconfig
import time
import venv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from secretsync_hooks.cli.main import cli
from secretsync_hooks.config.settings import Overrides, load_config
from secretsync_hooks.use import launch
from tests.helpers import SECRET, Remote, in_a_terminal, program, run_in_process, write_config
from tests.moto_server import MotoServer
from tests.test_docs import DOCS, PAGES, README, ROOT, block, page, words

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

PYPROJECT: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _name(requirement: str) -> str:
    """The distribution a requirement names (``boto3>=1.34`` -> ``boto3``)."""
    found = re.match(r"[A-Za-z0-9_.-]+", requirement)
    assert found, requirement
    return found.group(0)


# -- shell completion (docs/reference/commands.md) ------------------------------------------------

# What each shell's script must hold: the line that registers it for `secretsync`, and the
# call back into secretsync whose answers test_completion_answers checks.
SCRIPTS = {
    "bash": (
        "complete -o nosort -F _secretsync_completion secretsync",
        "_SECRETSYNC_COMPLETE=bash_complete $1",
    ),
    "zsh": (
        "#compdef secretsync",
        "compdef _secretsync_completion secretsync",
        "_SECRETSYNC_COMPLETE=zsh_complete secretsync",
    ),
    "fish": (
        'complete --no-files --command secretsync --arguments "(_secretsync_completion)"',
        "_SECRETSYNC_COMPLETE=fish_complete",
    ),
}


def test_the_docs_give_the_completion_line_of_each_shell() -> None:
    lines = block(page("reference/commands.md"), "## Shell completion").splitlines()
    shells = {re.search(r"_SECRETSYNC_COMPLETE=(\w+)_source secretsync", line) for line in lines}
    assert {found.group(1) for found in shells if found} == set(SCRIPTS)
    assert len(lines) == len(SCRIPTS)


@pytest.mark.parametrize("shell", SCRIPTS)
def test_each_shells_completion_script_completes_secretsync(shell: str, tmp_path: Path) -> None:
    # The shells themselves need not be installed: the script is text, and what it asks
    # secretsync back is test_completion_answers.
    env = {**os.environ, "_SECRETSYNC_COMPLETE": f"{shell}_source"}
    result = run_in_process(tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    for needed in SCRIPTS[shell]:
        assert needed in result.stdout


def _candidates(shell: str, line: str, tmp_path: Path) -> set[str]:
    """What secretsync offers to complete ``line`` (the command line up to the cursor), asked
    as the shell's script asks it."""
    words_ = line.split()
    current = "" if line.endswith(" ") else words_[-1]
    if shell == "fish":  # COMP_WORDS: the line; COMP_CWORD: the word at the cursor
        cword = current
    else:  # COMP_WORDS: the words; COMP_CWORD: the index of the word at the cursor
        cword = str(len(words_) if line.endswith(" ") else len(words_) - 1)
    env = {
        **os.environ,
        "_SECRETSYNC_COMPLETE": f"{shell}_complete",
        "COMP_WORDS": line,
        "COMP_CWORD": cword,
    }
    out = run_in_process(tmp_path, env=env).stdout.splitlines()
    if shell == "zsh":  # type, value, help: three lines each
        items = [(out[i], out[i + 1]) for i in range(0, len(out), 3)]
    else:  # type,value (fish: then a tab and the help)
        items = [tuple(item.split("\t")[0].split(",", 1)) for item in out]  # type: ignore[misc]
    return {value for kind, value in items if kind == "plain"}


@pytest.mark.parametrize("shell", SCRIPTS)
@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("secretsync pu", {"push", "pull"}),
        (
            "secretsync export --format ",
            {"dotenv", "json", "yaml", "shell", "github", "docker"}
            | {"ecs", "external-secrets", "cloudformation"},
        ),
        ("secretsync diff --for", {"--format"}),
        ("secretsync scan --sta", {"--staged"}),
    ],
)
def test_completion_answers(shell: str, line: str, expected: set[str], tmp_path: Path) -> None:
    assert _candidates(shell, line, tmp_path) == expected


# -- run on Windows (docs/guide/run-export.md): only what the code defines can be tested here ------


def _names(text: str) -> set[str]:
    return set(re.findall(r"`([A-Z_]+\*?)`", text))


def test_the_variables_pristine_keeps_are_those_the_docs_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = words(page("guide/run-export.md"))
    everywhere = re.search(r"`--pristine` starts it with only the values and (.*?)\. ", text)
    windows = re.search(r"`--pristine` also keeps (.*?); no test runs there", text)
    assert everywhere and windows
    prefixes = {f"{prefix}*" for prefix in launch.PRISTINE_KEEP_PREFIXES}
    assert _names(everywhere.group(1)) == set(launch.PRISTINE_KEEP) | prefixes
    assert _names(windows.group(1)) == set(launch.PRISTINE_KEEP_WINDOWS)

    inherited = dict.fromkeys((*launch.PRISTINE_KEEP, *launch.PRISTINE_KEEP_WINDOWS), "kept")
    inherited |= {"LC_ALL": "C", "EDITOR": "vi"}
    here = launch.environment({"A": "1"}, inherited, pristine=True).variables
    assert set(here) == {*launch.PRISTINE_KEEP, "LC_ALL", "A"}
    with monkeypatch.context() as windows_python:
        windows_python.setattr(os, "name", "nt")
        there = launch.environment({"A": "1"}, inherited, pristine=True).variables
    assert set(there) == {*launch.PRISTINE_KEEP, *launch.PRISTINE_KEEP_WINDOWS, "LC_ALL", "A"}


def test_where_os_name_is_not_posix_run_takes_the_child_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[list[str]] = []

    def child(path: str, argv: list[str], variables: dict[str, str], **_: object) -> int:
        started.append(argv)
        return 7

    monkeypatch.setattr(launch, "run_child", child)
    with monkeypatch.context() as windows_python:
        windows_python.setattr(os, "name", "nt")
        assert launch.launch(["true"], {"A": "1"}) == 7
    assert started == [["true"]]


# -- installing it (README, "Install") -------------------------------------------------------


def _a_fresh_venv(where: Path, dependencies: Path) -> Path:
    """A virtual environment with no secretsync in it; its dependencies come from this one
    (through a .pth), so that installing secretsync needs no download but its build
    requirements (setuptools, setuptools-scm)."""
    venv.EnvBuilder(with_pip=False).create(where)
    python = where / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    assert Path(site).is_relative_to(where), site
    (Path(site) / "_dependencies.pth").write_text(f"{dependencies}\n")
    return python


def _dependencies(where: Path) -> Path:
    """This environment's site-packages without secretsync (its editable install included)."""
    where.mkdir()
    for site in {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}:
        for entry in Path(site).iterdir():
            name = entry.name.lower()
            if name.startswith(("secretsync", "__editable__")) or name.endswith(".pth"):
                continue
            if not (where / entry.name).exists():
                (where / entry.name).symlink_to(entry)
    return where


def _pip_install(python: Path, spec: str, cwd: Path) -> None:
    # Build isolation, as a user's pip would: it takes setuptools and setuptools-scm from PyPI
    # (or pip's cache).
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps"]
        + ["--quiet", "--disable-pip-version-check", spec],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _runs(venv_dir: Path, cwd: Path, commit: str) -> None:
    """The installed programs start, from the new environment, with the package's data, and
    say the version git gives ``commit``: a development version, as no tag names it."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    bin_ = venv_dir / "bin"

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False
        )

    version = run(str(bin_ / "secretsync"), "--version")
    assert version.returncode == 0, version.stderr
    said = re.fullmatch(r"secretsync, version [\d.]+\.dev1\+g([0-9a-f]{7,})\n", version.stdout)
    assert said and commit.startswith(said.group(1)), version.stdout
    for hook in ("secretsync-check", "secretsync-check-push", "secretsync-forbid-env"):
        shown = run(str(bin_ / hook), "--help")
        assert shown.returncode == 0 and shown.stdout.startswith(f"usage: {hook}"), shown
    shown = run(str(bin_ / "secretsync-scan"), "--help")
    assert shown.returncode == 0 and shown.stdout.startswith("usage: secretsync-scan"), shown
    # docs/reference/json.md, "Getting the schemas": the command it gives, as given.
    command = block(page("reference/json.md"), "## Getting the schemas").strip()
    assert command.startswith("python -c ")
    code = command[len("python -c ") :].strip('"')
    schemas = Path(run(str(bin_ / "python"), "-c", code).stdout.strip())
    assert schemas.is_relative_to(venv_dir), schemas  # the installed copy, not this checkout
    shipped = {path.name for path in (ROOT / "secretsync_hooks" / "schemas").glob("*.json")}
    assert {path.name for path in schemas.glob("*.json")} == shipped


@pytest.mark.usefixtures("processes")
def test_the_install_commands_of_the_readme_install_a_working_secretsync(
    hooks_repo: tuple[Path, str], tmp_path: Path
) -> None:
    commands = block(README, "repository at a commit you pin:").splitlines()
    assert commands[0].startswith("pip install .  ")
    assert commands[1].startswith(
        'pipx install "git+https://github.com/secretsync/secretsync-hooks@<commit SHA>"'
    )
    assert commands[2] == "secretsync --version"
    # hooks_repo is a git repository of this working tree's package files, at commit `sha`.
    repo, sha = hooks_repo
    dependencies = _dependencies(tmp_path / "dependencies")

    # `pip install .` in a checkout of the repository.
    checkout = tmp_path / "checkout"
    subprocess.run(["git", "clone", "-q", str(repo), str(checkout)], check=True, timeout=60)
    python = _a_fresh_venv(tmp_path / "from-checkout", dependencies)
    _pip_install(python, ".", checkout)
    _runs(tmp_path / "from-checkout", tmp_path, sha)

    # The repository's URL at a pinned commit: github.com cannot be reached offline, so the
    # same form with a file:// URL, and pip where the README says pipx (pipx makes a fresh
    # virtual environment and runs this pip install in it; pipx is not a test dependency).
    python = _a_fresh_venv(tmp_path / "from-url", dependencies)
    _pip_install(python, f"git+file://{repo}@{sha}", tmp_path)
    _runs(tmp_path / "from-url", tmp_path, sha)


def test_the_runtime_dependencies_are_those_the_readme_names() -> None:
    sentence = re.search(r"Runtime dependencies: (.*?)\. Nothing else\.", words(README))
    assert sentence
    named = re.findall(r"`([\w-]+)`", sentence.group(1))
    dependencies = PYPROJECT["project"]["dependencies"]
    assert set(named) == {_name(requirement) for requirement in dependencies}
    assert "`tomli` on Python 3.10" in sentence.group(1)
    [tomli] = [requirement for requirement in dependencies if _name(requirement) == "tomli"]
    assert tomli.endswith("; python_version < '3.11'")
    assert PYPROJECT["project"]["requires-python"] == ">=3.10"


# -- a local endpoint (docs/guide/local-endpoint.md) -----------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_for(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, "moto.server exited"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("moto.server never listened")


@pytest.mark.usefixtures("processes")
def test_the_moto_server_recipe_works_as_written(project: Path) -> None:
    start, export, commands = block(page("guide/local-endpoint.md"), "as here:").splitlines()
    port = str(_free_port())
    # Line 1, `python -m moto.server -H 127.0.0.1 -p 5000 &`, on a free port.
    assert start.endswith(" &")
    argv = start.removesuffix("&").replace("5000", port).split()
    assert argv[0] == "python"
    server = subprocess.Popen(
        [sys.executable, *argv[1:]], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_for(int(port), server)
        # Line 2 sets the variables; line 3 runs as a shell runs it, secretsync on the PATH.
        assert export.startswith("export ")
        variables = dict(item.split("=", 1) for item in export.replace("5000", port).split()[1:])
        assert set(variables) == {"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
        write_config(project, "secrets_manager")
        (project / ".env").write_text("API_TOKEN=local-value\n")
        path = f"{Path(program()).parent}{os.pathsep}{os.environ['PATH']}"
        result = subprocess.run(
            ["sh", "-c", commands],
            cwd=project,
            env={**os.environ, **variables, "PATH": path},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "In sync" in result.stdout
        stored = Remote("secrets_manager", variables["AWS_ENDPOINT_URL"]).values()
        assert stored == {"API_TOKEN": "local-value"}
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.parametrize(
    ("kind", "variable"),
    [
        ("secrets_manager", "AWS_ENDPOINT_URL_SECRETS_MANAGER"),
        ("parameter_store", "AWS_ENDPOINT_URL_SSM"),
    ],
)
def test_a_per_service_endpoint_variable_is_enough(
    kind: str,
    variable: str,
    project: Path,
    moto_server: MotoServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert f"`{variable}`" in page("guide/local-endpoint.md")
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    monkeypatch.setenv(variable, moto_server.url)
    write_config(project, kind)
    Remote(kind, moto_server.url).seed({"A": "1"})
    (project / ".env").write_text("A=1\n")
    result = run_in_process(project, "diff")
    assert result.returncode == 0, result.stderr
    assert "In sync" in result.stdout


def test_moto_leaves_awscurrent_on_two_versions_after_a_plain_put(project: Path, aws: None) -> None:
    text = words(page("guide/local-endpoint.md"))
    assert "moto 5.2 leaves `AWSCURRENT` on two versions" in text
    assert 'so `diff` shows a false "In sync"' in text
    write_config(project, "secrets_manager")
    remote = Remote("secrets_manager")
    remote.seed({"API_TOKEN": "first"})
    (project / ".env").write_text("API_TOKEN=second\n")
    # A secretsync push moves AWSCURRENT with UpdateSecretVersionStage.
    assert run_in_process(project, "push", "--force").returncode == 0
    # A teammate with the plain `aws secretsmanager put-secret-value`.
    new = remote.client.put_secret_value(SecretId=SECRET, SecretString='{"API_TOKEN": "third"}')

    def current() -> list[str]:
        versions = remote.client.list_secret_version_ids(SecretId=SECRET)["Versions"]
        return [v["VersionId"] for v in versions if "AWSCURRENT" in v.get("VersionStages", [])]

    assert len(current()) == 2
    false_sync = run_in_process(project, "diff")
    assert false_sync.returncode == 0 and "In sync" in false_sync.stdout
    # The docs' fix by hand: the label off every other version that still lists it.
    for version in current():
        if version != new["VersionId"]:
            remote.client.update_secret_version_stage(
                SecretId=SECRET, VersionStage="AWSCURRENT", RemoveFromVersionId=version
            )
    assert current() == [new["VersionId"]]
    drift = run_in_process(project, "diff")
    assert drift.returncode == 1 and "remote-modified" in drift.stdout


def test_moto_history_one_time_for_every_secret_version_and_no_parameter_user(
    project: Path, aws: None
) -> None:
    text = words(page("guide/local-endpoint.md"))
    assert "so `history` shows one time for them all" in text
    assert "Parameter Store versions keep their times, with `LastModifiedUser` `N/A`" in text
    secret, parameters = Remote("secrets_manager"), Remote("parameter_store")
    secret.seed({"A": "1"})
    parameters.seed({"A": "1"})
    time.sleep(1.1)  # history shows seconds: AWS would show two times
    secret.set("A", "2")
    parameters.set("A", "2")

    write_config(project, "secrets_manager")
    revisions = json.loads(run_in_process(project, "history", "--format", "json").stdout)
    assert len(revisions["revisions"]) == 2
    assert len({revision["created"] for revision in revisions["revisions"]}) == 1

    write_config(project, "parameter_store")
    revisions = json.loads(run_in_process(project, "history", "A", "--format", "json").stdout)
    assert len(revisions["revisions"]) == 2
    assert len({revision["created"] for revision in revisions["revisions"]}) == 2
    assert {revision["who"] for revision in revisions["revisions"]} == {"N/A"}


# -- the progress bar (docs/reference/commands.md, "Output") ------------------------------------


def test_the_docs_say_when_the_progress_bar_shows() -> None:
    assert (
        "the progress bar (Parameter Store pushes of more than 5 keys, on a terminal only, "
        "not with `-q` or `--format json`)" in words(page("reference/commands.md"))
    )


@pytest.mark.usefixtures("processes")
@pytest.mark.parametrize(
    ("keys", "options", "shown"),
    [(6, [], True), (5, [], False), (6, ["-q"], False), (6, ["--format", "json"], False)],
    ids=["6 keys", "5 keys", "quiet", "json"],
)
def test_a_parameter_store_push_shows_a_progress_bar_at_a_terminal(
    keys: int, options: list[str], shown: bool, moto_server: MotoServer, project: Path
) -> None:
    write_config(project, "parameter_store")
    (project / ".env").write_text("".join(f"KEY_{n}=value-{n}\n" for n in range(keys)))
    argv = [program(), "push", *options]
    code, output = in_a_terminal(project, argv, b"", after=b"\0no prompt")
    assert code == 0, output
    assert len(Remote("parameter_store", moto_server.url).values()) == keys
    bar = f"pushing {keys} keys"
    assert (bar in output) is shown, output
    if shown:
        assert re.search(rf"(?<!\d)\d/{keys}(?!\d)", output), output  # written of all


def test_there_is_no_progress_bar_without_a_terminal(
    project: Path, moto_server: MotoServer
) -> None:
    write_config(project, "parameter_store")
    (project / ".env").write_text("".join(f"KEY_{n}=value-{n}\n" for n in range(6)))
    result = run_in_process(project, "push")
    assert result.returncode == 0, result.stderr
    assert "pushing" not in result.stdout + result.stderr


# -- development (docs/development.md) -------------------------------------------------------------


def test_ci_runs_the_linters_and_the_tests_on_the_pythons_the_docs_name() -> None:
    jobs = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())["jobs"]

    def python(job: str) -> Any:
        [setup] = [s for s in jobs[job]["steps"] if "setup-python" in s.get("uses", "")]
        return setup["with"]["python-version"]

    linting = {step.get("run") for step in jobs["lint"]["steps"]}
    assert {"ruff check .", "ruff format --check .", "mypy --strict"} <= linting
    assert python("test") == "${{ matrix.python-version }}"
    versions = jobs["test"]["strategy"]["matrix"]["python-version"]
    assert "bash scripts/test.sh" in {step.get("run") for step in jobs["test"]["steps"]}
    listed = [
        classifier.rsplit(" :: ", 1)[1]
        for classifier in PYPROJECT["project"]["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", classifier)
    ]
    assert versions == listed
    assert PYPROJECT["project"]["requires-python"] == f">={versions[0]}"
    said = (
        f"runs ruff and mypy (on Python {python('lint')}) and the tests (on Python "
        f"{versions[0]} to {versions[-1]}, the versions `pyproject.toml` lists)"
    )
    assert said in words(page("development.md"))
    # "what CI runs, via .ci/run": the same script.
    assert "exec bash scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


def test_mkdocs_serve_comes_with_the_docs_extra_and_serves_where_the_docs_say() -> None:
    from mkdocs.config import load_config as load_mkdocs_config

    line = next(line for line in page("development.md").splitlines() if "mkdocs serve" in line)
    address = re.search(r"http://([\w.]+:\d+)", line)
    assert line.startswith(".venv/bin/python -m mkdocs serve ") and address
    extra = {
        _name(requirement) for requirement in PYPROJECT["project"]["optional-dependencies"]["docs"]
    }
    assert extra == {"mkdocs", "mkdocs-material"}
    config = load_mkdocs_config(str(ROOT / "mkdocs.yml"))
    assert f"{config.dev_addr.host}:{config.dev_addr.port}" == address.group(1)
    assert config.theme.name == "material"


# -- figures about performance -------------------------------------------------------------------

# A measurement: a time, memory, a throughput, a ratio.
MEASUREMENT = re.compile(r"~?\d[\d,.]*\s?(?:ms|MB/s|MB|GB|minutes?)\b|\b\d+(?:\.\d+)?x\b")
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
HISTORY = DOCS / "explanation" / "performance.md"
DATE = re.compile(r"\b20\d\d-\d\d-\d\d\b")

# Every figure a page quotes about performance (outside the history in performance.md), and
# where it was measured: (page, the words around the figure, the record, words that one line
# of the record holds). A figure from the history must stand in a dated part of it.
# fmt: off
FIGURES = [
    ("guide/leak-guard.md", "(33 MB for a 512 MiB file", RESULTS, ("512 MiB file", "peak 33 MB")),
    ("explanation/trust.md", "it saves about 40 ms a run", HISTORY, ("~40 ms building",)),
    ("development.md", "hook path, Secrets Manager, 50 keys, 20 ms latency", RESULTS,
     ("1. hook path: Secrets Manager, 50 keys, 20 ms latency",)),
    ("development.md", "Parameter Store, 1,000 keys, 20 ms latency", RESULTS,
     ("2. Parameter Store read: 1,000 keys, 20 ms latency",)),
    ("development.md", "(target: at most 0.95x the script)", RESULTS,
     ("secretsync-check (the hook) / boto3 script, fastest of 15", "<= 0.95")),
    ("development.md", "(Secrets Manager, 50 keys, 20 ms)", RESULTS,
     ("7. run: `secretsync run -- true`, Secrets Manager, 50 keys, 20 ms",)),
    ("development.md", "(target: at most 1.10x, medians of 15)", RESULTS,
     ("secretsync run / botocore script, medians", "<= 1.10")),
    ("development.md", "5,000 generated files (about 100 MB)", RESULTS,
     ("scan 5,000 files (~100 MB)",)),
    ("development.md", "at most 3x rg", RESULTS, ("secretsync scan / rg -F", "<= 3.00")),
    ("development.md", "at most 1.2x grep", RESULTS, ("secretsync scan / grep -rF", "<= 1.20")),
    ("development.md", "512 MiB file (target: under 160 MB)", RESULTS, ("peak MB", "< 160")),
    ("development.md", "(at most 0.15 s more)", RESULTS,
     ("hook - `secretsync --version`, seconds", "<= 0.15")),
    ("development.md", "(at least 100 MB/s)", RESULTS, ("redact through a pipe | MB/s", ">= 100")),
    ("development.md", "on a 4 MB tree with 20 planted values", RESULTS,
     ("200 files (~4 MB), 20 planted values",)),
    ("development.md", "(Secrets Manager, 50 keys each, 20 ms latency; target: at most 1.6x)",
     RESULTS, ("Secrets Manager, 50 keys each, 20 ms", "5 environments / 1", "<= 1.60")),
]
# fmt: on


def _sections(text: str) -> list[str]:
    return re.split(r"^#{2,3} ", text, flags=re.MULTILINE)


@pytest.mark.parametrize(("name", "quoted", "record", "measured"), FIGURES)
def test_each_figure_quoted_is_in_the_measured_record(
    name: str, quoted: str, record: Path, measured: tuple[str, ...]
) -> None:
    assert words(quoted) in words(page(name)), f"docs/{name} no longer says {quoted!r}"
    if record == HISTORY:
        places = [words(section) for section in _sections(record.read_text())]
        dated = [place for place in places if DATE.search(place)]
    else:
        dated = record.read_text().splitlines()
    assert any(all(part in place for part in measured) for place in dated), (record, measured)


@pytest.mark.parametrize("path", [ROOT / "README.md", *PAGES], ids=lambda p: p.name)
def test_every_figure_about_performance_is_listed_with_its_record(path: Path) -> None:
    if path == HISTORY:
        return
    text = words(path.read_text())
    name = path.relative_to(DOCS).as_posix() if path.is_relative_to(DOCS) else path.name
    listed = [words(quoted) for page_, quoted, _, _ in FIGURES if page_ == name]
    spans = [(start, start + len(q)) for q in listed for start in _starts(text, q)]
    for found in MEASUREMENT.finditer(text):
        inside = any(start <= found.start() and found.end() <= end for start, end in spans)
        assert inside, f"{name}: {text[found.start() - 40 : found.end() + 20]!r} is not in FIGURES"


def _starts(text: str, part: str) -> list[int]:
    return [found.start() for found in re.finditer(re.escape(part), text)]


def test_every_part_of_the_performance_history_with_figures_is_dated() -> None:
    seconds = re.compile(r"\b\d+(?:\.\d+)? s\b")
    for section in _sections(HISTORY.read_text())[1:]:
        if MEASUREMENT.search(section) or seconds.search(section):
            assert DATE.search(section), section.splitlines()[0]


# -- where the program points (README sections named in hints) -----------------------------------


def test_every_readme_section_a_message_points_to_exists() -> None:
    source = "\n".join(path.read_text() for path in (ROOT / "secretsync_hooks").rglob("*.py"))
    pointers = set(re.findall(r"[Ss]ee README, '([^']+)'", source))
    assert pointers >= {".env syntax", "Configuration", "IAM policies"}
    headings = [heading.replace("`", "") for heading in re.findall(r"^#+ (.+)$", README, re.M)]
    for pointer in pointers:
        assert any(pointer in heading for heading in headings), pointer


# -- found in a sweep of the pages ---------------------------------------------------------------


def test_the_readmes_set_up_commands_install_the_test_and_docs_extras_editable() -> None:
    # README, "Try it": both create .venv/ and install secretsync from this checkout, with
    # its test and docs extras.
    assert "Both create `.venv/` and install secretsync into it from this checkout" in words(README)
    for script in ("demo.sh", "test.sh"):
        assert (
            'source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"'
            in (ROOT / "scripts" / script).read_text()
        )
    install = (ROOT / "scripts" / "_venv.sh").read_text()
    assert "-m venv .venv" in install
    assert '-m pip install --quiet --disable-pip-version-check -e ".[test,docs]"' in install


@pytest.mark.parametrize(
    ("name", "limit", "said"),
    [(".env", 16 * 1024 * 1024, "a file over 16 MiB"), (".secretsync.toml", 1024 * 1024, "1 MiB")],
)
def test_a_file_over_its_size_limit_is_refused(
    name: str, limit: int, said: str, project: Path
) -> None:
    # docs/explanation/trust.md: "(a FIFO ... is refused, as is a file over 16 MiB, or 1 MiB
    # for the config)". No AWS call is needed: export --source local reads the .env only.
    assert "as is a file over 16 MiB, or 1 MiB for the config" in words(
        page("explanation/trust.md")
    )
    write_config(project, "secrets_manager")
    (project / ".env").write_text("A=1\n")
    path = project / name
    with path.open("a") as grown:
        grown.write("#" * (limit + 1 - path.stat().st_size) + "\n")
    result = run_in_process(project, "export", "--source", "local", "--format", "json")
    assert result.returncode == 2
    assert f"is larger than {limit // 1024} KiB" in result.stderr
    assert result.stdout == ""


def test_history_shows_10_versions_unless_told_and_at_most_100() -> None:
    # docs/guide/history-rollback.md: "--limit (default 10, at most 100) bounds it".
    assert "`--limit` (default 10, at most 100)" in words(page("guide/history-rollback.md"))
    assert isinstance(cli, click.Group)
    [limit] = [param for param in cli.commands["history"].params if param.name == "limit"]
    assert limit.default == 10
    assert isinstance(limit.type, click.IntRange)
    assert (limit.type.min, limit.type.max) == (1, 100)


def test_an_environment_named_default_in_the_config_is_the_one_env_default_names(
    project: Path,
) -> None:
    # docs/guide/environments.md: "The top level is the environment named `default` (`--env
    # default`), unless the config defines an `[environments.default]` of its own."
    said = "unless the config defines an `[environments.default]` of its own"
    assert said in words(page("guide/environments.md"))
    config = write_config(project, "secrets_manager")
    assert load_config(Overrides(environment="default")).env_file.name == ".env"
    config.write_text(config.read_text() + '[environments.default]\nenv_file = ".env.own"\n')
    assert load_config(Overrides(environment="default")).env_file.name == ".env.own"
    assert load_config().env_file.name == ".env"  # no --env: the top level still


# docs/explanation/aws-behaviour.md, "moto bugs the tests work around": the two not shown
# elsewhere.


def test_moto_labels_answers_by_no_rule_and_secretsync_reads_the_body(
    project: Path, moto_server: MotoServer
) -> None:
    said = (
        "moto labels error answers of Secrets Manager `application/json` and some successful "
        "ones `text/html`; secretsync judges an answer by its body"
    )
    assert said in words(page("explanation/aws-behaviour.md"))
    remote = Remote("secrets_manager", moto_server.url)
    labels: dict[str, str] = {}

    def label(http_response: Any, model: Any, **_: Any) -> None:
        labels[model.name] = http_response.headers.get("Content-Type", "")

    remote.client.meta.events.register("after-call", label)
    remote.seed({"A": "1"})
    assert labels["CreateSecret"].startswith("text/html")
    with pytest.raises(remote.client.exceptions.ResourceNotFoundException) as missing:
        remote.client.get_secret_value(SecretId="no/such/secret")
    headers = missing.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["content-type"].startswith("application/json")
    write_config(project, "secrets_manager")
    (project / ".env").write_text("A=2\n")
    assert run_in_process(project, "push", "--force").returncode == 0  # text/html answers
    assert remote.values() == {"A": "2"}


def test_moto_prefixes_a_securestring_read_without_decryption_and_secretsync_decrypts(
    project: Path, moto_server: MotoServer
) -> None:
    said = (
        "moto's SecureString read without decryption returns `kms:alias/aws/ssm:<plaintext>`: "
        "secretsync reads with decryption, and re-reads versions without"
    )
    assert said in words(page("explanation/aws-behaviour.md"))
    remote = Remote("parameter_store", moto_server.url)
    remote.seed({"A": "plain-value"})
    read = remote.client.get_parameter(Name="/myapp/production/A", WithDecryption=False)
    assert read["Parameter"]["Value"] == "kms:alias/aws/ssm:plain-value"
    bodies: dict[str, list[dict[str, Any]]] = {"GetParametersByPath": [], "GetParameters": []}
    for action, seen in bodies.items():
        moto_server.injector.watch(action, _recorder(seen))
    write_config(project, "parameter_store")
    (project / ".env").write_text("A=plain-value\n")
    in_sync = run_in_process(project, "diff")  # the value read is the plaintext
    assert in_sync.returncode == 0 and "In sync" in in_sync.stdout
    (project / ".env").write_text("A=changed\n")
    assert run_in_process(project, "push", "--force").returncode == 0
    assert remote.values() == {"A": "changed"}
    assert bodies["GetParametersByPath"]
    assert all(body["WithDecryption"] is True for body in bodies["GetParametersByPath"])
    assert bodies["GetParameters"]  # the re-check of the version before the write
    assert all(not body.get("WithDecryption") for body in bodies["GetParameters"])


def _recorder(into: list[dict[str, Any]]) -> Callable[[int, bytes], None]:
    def record(count: int, body: bytes) -> None:
        into.append(json.loads(body))

    return record


# -- the README's quick start -----------------------------------------------------------------


def test_the_quick_start_does_what_its_comments_say(
    tmp_path: Path, moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shlex

    from secretsync_hooks import release

    monkeypatch.setattr(release, "release_tag", lambda version=None: "v1.2.3")  # a release
    root = tmp_path / "app"
    root.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    (root / ".env").write_text("API_TOKEN=Qs4Tk7Zp1Lm\nLOG_LEVEL=info\n")
    lines = [line for line in block(README, "## Quick start").splitlines() if line.strip()]
    codes = {}
    for line in lines:
        command = line.split("#", 1)[0].strip()
        if not command:
            continue
        words = shlex.split(command)
        assert words[0] == "secretsync", line
        result = run_in_process(root, *words[1:])
        codes[words[1]] = result.returncode
        if words[1] == "init":
            # writes .secretsync.toml, makes git ignore .env (keeping .env.example), adds the hooks
            assert (root / ".secretsync.toml").is_file()
            ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=root, check=False)
            kept = subprocess.run(
                ["git", "check-ignore", "-q", ".env.example"], cwd=root, check=False
            )
            assert (ignored.returncode, kept.returncode) == (0, 1)
            assert "secretsync-check" in (root / ".pre-commit-config.yaml").read_text()
        if words[1] == "push":  # the secret does not exist yet: push creates it from .env
            assert Remote("secrets_manager", moto_server.url).values() == {
                "API_TOKEN": "Qs4Tk7Zp1Lm",
                "LOG_LEVEL": "info",
            }
        assert "Qs4Tk7Zp1Lm" not in result.stdout + result.stderr
    assert codes == {"init": 0, "status": 1, "push": 0, "diff": 0, "pull": 0}
