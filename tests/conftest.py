from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from moto import mock_aws

from tests import helpers
from tests.helpers import GIT_IDENTITY
from tests.moto_server import MotoServer, running

ROOT = Path(__file__).resolve().parent.parent
# What a hooks repository holds: enough for pre-commit to install the hooks from it.
SNAPSHOT = ["pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "secretsync_hooks"]

_AWS_VARIABLES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_SSM",
    "AWS_ENDPOINT_URL_SECRETS_MANAGER",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "SECRETSYNC_ENV",
    "SECRETSYNC_BACKEND",
    "SECRETSYNC_REGION",
    "NO_COLOR",
    "FORCE_COLOR",
)


@pytest.fixture(autouse=True)
def _no_real_aws(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """No test can reach real AWS: fake credentials, no profiles, no instance metadata."""
    for name in _AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    empty = tmp_path_factory.mktemp("aws")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # The fingerprint key lives in the user's state directory: never the real one.
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))
    # The endpoint cache depends only on botocore: one for the whole run, never the user's.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))
    monkeypatch.delenv("SECRETSYNC_SAFE_DIRECTORIES", raising=False)
    monkeypatch.delenv("SECRETSYNC_ENV_FILE", raising=False)
    yield


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty git work tree (a bare ``.git`` marker) as the current directory."""
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="session")
def _moto_server() -> Iterator[MotoServer]:
    yield from running()


@pytest.fixture
def moto_server(_moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoServer]:
    """A real moto HTTP server on 127.0.0.1, reset for each test, set as AWS_ENDPOINT_URL."""
    _moto_server.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL", _moto_server.url)
    yield _moto_server
    _moto_server.reset()


@pytest.fixture
def aws() -> Iterator[None]:
    """In-process moto for the core logic."""
    with mock_aws():
        yield


@pytest.fixture
def processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test starts the installed programs (``tests.helpers.program`` refuses otherwise):
    it belongs to the end-to-end tier."""
    monkeypatch.setattr(helpers, "PROCESSES", True)


# The tiers, each named by the fixtures a test asks for (not by a list of modules):
#   e2e       the installed programs, git hooks and pre-commit as processes;
#   property  hypothesis runs many generated cases (fewer with --hypothesis-profile dev);
#   aws       the core or the CLI in this process, against moto (in-process, or its HTTP
#             server where AWS's faults are injected);
#   unit      the rest: no AWS, no processes of ours.
E2E = {"processes", "hooks_repo", "pre_commit_home"}
AWS = {"aws", "moto_server", "proxy"}


def tier(item: pytest.Item) -> str:
    fixtures = set(getattr(item, "fixturenames", ()))
    if fixtures & E2E:
        return "e2e"
    if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
        return "property"
    if fixtures & AWS:
        return "aws"
    return "unit"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(getattr(pytest.mark, tier(item)))
        if "pre_commit_home" in getattr(item, "fixturenames", ()):
            # Under pytest-xdist (--dist loadgroup), on one worker: pre-commit installs the
            # hooks' environment once per home, and each worker has a home of its own.
            item.add_marker(pytest.mark.xdist_group("pre-commit"))


# Property tests' example counts (tests.helpers.examples) are for the default profile; the
# inner loop's profile runs a tenth of them.
settings.register_profile("dev", max_examples=10)


@pytest.fixture(scope="session")
def hooks_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    repo = tmp_path_factory.mktemp("hooks-repo")
    for name in SNAPSHOT:
        source = ROOT / name
        if source.is_dir():
            # Not _version.py: setuptools-scm writes it at install (gitignored here); committed,
            # the next build would rewrite it and call the snapshot's version dirty.
            ignore = shutil.ignore_patterns("__pycache__", "_version.py")
            shutil.copytree(source, repo / name, ignore=ignore)
        else:
            shutil.copy2(source, repo / name)
    env = {**os.environ, **GIT_IDENTITY}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "snapshot"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)
    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, check=True, capture_output=True, text=True
    ).stdout.strip()
    return repo, sha


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")
