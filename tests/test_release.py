"""Releasing (docs/development.md, "Releasing"): the version from git's tags, the tag of a
release, the release workflow, the wheel and the sdist it builds, and the changelog."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import yaml

import secretsync_hooks
from secretsync_hooks import release
from secretsync_hooks.release import release_tag
from tests.helpers import GIT_IDENTITY

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
WORKFLOW_TEXT = (ROOT / ".github" / "workflows" / "release.yml").read_text()
WORKFLOW: dict[Any, Any] = yaml.safe_load(WORKFLOW_TEXT)
JOBS: dict[str, dict[str, Any]] = WORKFLOW["jobs"]
PINNED = re.compile(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}")
TAG = "v1.2.3"  # the tag of the build test's throw-away repository

# -- the version and its tag ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "tag"),
    [
        ("0.3.1", "v0.3.1"),
        ("1.0.0", "v1.0.0"),
        ("2.0", "v2.0"),
        ("1.0.0rc1", "v1.0.0rc1"),
        ("1.0.0b2", "v1.0.0b2"),
        ("1.0.0.post1", "v1.0.0.post1"),
        ("0.3.2.dev4+g1a2b3c4", None),  # four commits past v0.3.1
        ("0.3.2.dev4+g1a2b3c4.d20260101", None),  # and with uncommitted changes
        ("0.3.1+d20260101", None),  # the tagged commit, with uncommitted changes
        ("0.3.1+local", None),
        ("0.3.2.dev0", None),
        ("0.0.0", None),  # fallback_version: built with no git metadata
        ("1!2.0", None),
        ("", None),
        ("v0.3.1", None),
    ],
)
def test_only_a_release_version_names_a_tag(version: str, tag: str | None) -> None:
    assert release_tag(version) == tag


def test_the_tag_is_that_of_the_installed_version(monkeypatch: pytest.MonkeyPatch) -> None:
    assert release_tag() == release_tag(secretsync_hooks.__version__)
    monkeypatch.setattr(release, "__version__", "0.3.1")
    assert release_tag() == "v0.3.1"
    monkeypatch.setattr(release, "__version__", "0.3.2.dev4+g1a2b3c4")
    assert release_tag() is None


def test_the_version_is_the_installed_distributions_from_the_file_setuptools_scm_writes() -> None:
    from secretsync_hooks import _version

    assert secretsync_hooks.__version__ == _version.__version__ == version("secretsync-hooks")
    assert PYPROJECT["project"]["dynamic"] == ["version"]
    assert "version" not in PYPROJECT["project"]
    scm = PYPROJECT["tool"]["setuptools_scm"]
    assert scm == {"version_file": "secretsync_hooks/_version.py", "fallback_version": "0.0.0"}
    assert "dynamic" not in PYPROJECT["tool"]["setuptools"]  # no second source of the version
    requires = PYPROJECT["build-system"]["requires"]
    assert any(r.startswith("setuptools-scm>=8") for r in requires), requires
    assert PYPROJECT["build-system"]["build-backend"] == "setuptools.build_meta"


def test_the_version_file_is_never_committed() -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "secretsync_hooks/_version.py"], cwd=ROOT, check=False
    )
    assert ignored.returncode == 0


def test_the_readme_installs_the_name_the_package_is_published_under() -> None:
    install = (ROOT / "README.md").read_text().split("## Install\n", 1)[1].split("\n## ", 1)[0]
    assert PYPROJECT["project"]["name"] == "secretsync-hooks"
    assert "pipx install secretsync-hooks\n" in install
    assert "not on PyPI yet" in install
    assert "do not\n`pip install secretsync`" in install  # the unrelated project's name


# -- the release workflow ------------------------------------------------------------------------


def _steps(job: str) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = JOBS[job]["steps"]
    return steps


def _uses(job: str) -> list[str]:
    return [step["uses"] for step in _steps(job) if "uses" in step]


def test_the_release_workflow_runs_on_version_tags_only() -> None:
    trigger = WORKFLOW[True]  # YAML 1.1 reads the key `on` as true
    assert trigger == {"push": {"tags": ["v*"]}}


def test_only_the_publish_job_may_ask_for_an_oidc_token() -> None:
    assert WORKFLOW["permissions"] == {"contents": "read"}
    assert JOBS["publish"]["permissions"] == {"id-token": "write"}
    assert JOBS["publish"]["environment"]["name"] == "pypi"
    assert JOBS["github-release"]["permissions"] == {"contents": "write"}
    for name, job in JOBS.items():
        if name != "publish":
            assert "id-token" not in job.get("permissions", {}), name
    assert WORKFLOW_TEXT.count("id-token:") == 1


def test_pypi_is_reached_by_trusted_publishing_with_no_stored_secret() -> None:
    [publish] = [s for s in _steps("publish") if "gh-action-pypi-publish" in s.get("uses", "")]
    assert set(publish.get("with", {})) <= {"packages-dir", "print-hash", "verbose"}
    assert "secrets." not in WORKFLOW_TEXT
    assert not re.search(r"^\s*(password|user|username|api-token|token):", WORKFLOW_TEXT, re.M)
    assert JOBS["publish"]["needs"] == "build"
    assert JOBS["github-release"]["needs"] == "publish"


def test_every_action_is_pinned_to_a_commit() -> None:
    uses = re.findall(r"uses:\s*(\S+)", WORKFLOW_TEXT)
    assert len(uses) == 6
    for action in uses:
        assert PINNED.fullmatch(action), action
    for line in WORKFLOW_TEXT.splitlines():
        if "uses:" in line:
            assert re.search(r"@[0-9a-f]{40} # v\d", line), line  # the version, for people


def test_the_build_sees_the_tag_and_checks_the_files() -> None:
    [checkout] = [s for s in _steps("build") if s.get("uses", "").startswith("actions/checkout@")]
    assert checkout["with"]["fetch-depth"] == 0
    assert checkout["with"]["persist-credentials"] is False
    runs = [step["run"] for step in _steps("build") if "run" in step]
    assert "python -m build" in runs
    assert "twine check --strict dist/*" in runs
    assert any('test -f "dist/secretsync_hooks-${version}.tar.gz"' in run for run in runs)
    assert _uses("publish")[-1].startswith("pypa/gh-action-pypi-publish@")
    [create] = [step["run"] for step in _steps("github-release") if "run" in step]
    assert create.startswith('gh release create "$GITHUB_REF_NAME" dist/*')


# -- the wheel and the sdist, built from a clean copy of this checkout ---------------------------


def _clean_copy(where: Path) -> Path:
    """The files git would commit (tracked, or new and not ignored) in a new repository whose
    one commit is tagged ``TAG``: setuptools-scm makes the version from that tag."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file():  # a tracked file deleted in the work tree stays out
            (where / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, where / name)
    env = {**os.environ, **GIT_IDENTITY}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "r"], ["tag", TAG]):
        subprocess.run(["git", *args], cwd=where, env=env, check=True, capture_output=True)
    return where


def _run(*argv: str, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SETUPTOOLS_SCM_")}
    result = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def _expected_package_files(source: Path) -> set[str]:
    package = source / "secretsync_hooks"
    modules = {p.relative_to(source).as_posix() for p in package.rglob("*.py")}
    schemas = {p.relative_to(source).as_posix() for p in (package / "schemas").glob("*.json")}
    data = {"py.typed", "config/secretsync-config.schema.json", "_version.py"}
    return modules | schemas | {f"secretsync_hooks/{name}" for name in data}


def _check_wheel(wheel: Path, expected: set[str]) -> None:
    info = "secretsync_hooks-1.2.3.dist-info"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert {n for n in names if not n.startswith(f"{info}/")} == expected
        assert (
            "__version__ = version = '1.2.3'"
            in archive.read("secretsync_hooks/_version.py").decode()
        )
        metadata = archive.read(f"{info}/METADATA").decode()
        entry_points = archive.read(f"{info}/entry_points.txt").decode()
    assert "\nName: secretsync-hooks\n" in metadata and "\nVersion: 1.2.3\n" in metadata
    assert "\nLicense-Expression: MIT\n" in metadata
    assert "\nDescription-Content-Type: text/markdown\n" in metadata
    scripts = dict(re.findall(r"^(\S+) = (\S+)$", entry_points.split("[console_scripts]")[1], re.M))
    assert scripts == PYPROJECT["project"]["scripts"]


def _check_sdist(sdist: Path, expected: set[str]) -> None:
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    # What a rebuild needs (the wheel above was built from this sdist, not from the copy).
    assert {"PKG-INFO", "pyproject.toml", "README.md", *expected} <= names
    assert not {n for n in names if Path(n).name == ".env"}  # never a local .env
    assert not {n for n in names if n.startswith((".venv/", ".git/", "dist/", "build/"))}


@pytest.mark.usefixtures("processes")
def test_the_wheel_and_the_sdist_build_from_a_clean_checkout_and_pass_twine(
    tmp_path: Path,
) -> None:
    source = _clean_copy(tmp_path / "source")
    dist = tmp_path / "dist"
    # No build isolation: the build requirements are in the test extra, so no download.
    # By default `build` makes the sdist, then the wheel from the unpacked sdist.
    _run(sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), ".", cwd=source)
    sdist = dist / "secretsync_hooks-1.2.3.tar.gz"
    wheel = dist / "secretsync_hooks-1.2.3-py3-none-any.whl"
    assert sorted(dist.iterdir()) == sorted([sdist, wheel])  # the tag's version, exactly
    checked = _run(
        sys.executable, "-m", "twine", "check", "--strict", str(sdist), str(wheel), cwd=dist
    )
    assert checked.count("PASSED") == 2, checked
    expected = _expected_package_files(source)
    _check_wheel(wheel, expected)
    _check_sdist(sdist, expected)


# -- the changelog -------------------------------------------------------------------------------

SUBSECTIONS = {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}


def test_the_changelog_follows_keep_a_changelog() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    assert text.startswith("# Changelog\n")
    assert "https://keepachangelog.com/en/1.1.0/" in text
    releases = re.findall(r"^## (.+)$", text, re.M)
    assert releases[0] == "[Unreleased]"
    for heading in releases[1:]:
        assert re.fullmatch(r"\[\d+\.\d+\.\d+\S*\] - \d{4}-\d{2}-\d{2}", heading), heading
    for heading in re.findall(r"^### (.+)$", text, re.M):
        assert heading in SUBSECTIONS, heading
    assert not re.findall(r"^#{4,} ", text, re.M)
    links = dict(re.findall(r"^\[([^\]]+)\]: (\S+)$", text, re.M))
    for heading in releases:
        name = heading.split("]")[0].lstrip("[")
        assert name.lower() in {link.lower() for link in links}, name


def test_each_section_of_the_changelog_says_something() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    sections = re.split(r"^### .+$", text, flags=re.M)[1:]
    assert sections
    for section in sections:
        body = section.split("\n## ", 1)[0].split("\n[", 1)[0]
        assert re.search(r"^- \S", body, re.M), body
