"""``scan``, ``redact`` and ``run --redact`` in real git work trees: ``scan`` and the
``secretsync-scan`` hook through their entry points in this process; ``redact`` and ``run``
(streams and a started command), a scan without the privileges root has, and the hook under
the real pre-commit, through the installed programs."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.helpers import GIT_IDENTITY, run_in_process, run_program, write_config
from tests.json_contract import validated
from tests.moto_server import MotoServer
from tests.test_canary import leaks
from tests.test_e2e_cli import secretsync_program
from tests.test_pre_commit import git, pre_commit

TOKEN = "tok_Zq8Lm2Vx9Pw4Rt"
PASSWORD = 'Pw "quoted"/&= ünï 42'
PEM = "-----BEGIN KEY-----\nQUJDREVGR0hJSktMTU5PUA==\nUVJTVFVWV1hZWmFiY2RlZg==\n-----END KEY-----"
ENV = f"TOKEN={TOKEN}\nPASSWORD='{PASSWORD}'\nPEM=\"{PEM}\"\nSHORT=dev\nLOG_LEVEL=verbose-logging\n"
VALUES = {TOKEN, PASSWORD, PEM}


def secretsync(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_in_process(cwd, *args)


@pytest.fixture
def repo(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A real git work tree with a config, a .env (gitignored) and a first commit."""
    for name, value in GIT_IDENTITY.items():
        monkeypatch.setenv(name, value)
    (project / ".git").rmdir()
    git(project, "init", "-q", "-b", "main")
    write_config(project, "secrets_manager", 'plain_keys = ["LOG_LEVEL"]\n')
    (project / ".gitignore").write_text(".env\n")
    (project / ".env").write_text(ENV)
    (project / "app.py").write_text("print('hi')\n")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "initial")
    return project


def findings(result: subprocess.CompletedProcess[str]) -> list[str]:
    return result.stdout.splitlines()


def test_each_form_is_found_in_staged_files_and_nothing_of_it_printed(repo: Path) -> None:
    (repo / "config.json").write_text(json.dumps({"password": PASSWORD, "pem": PEM}) + "\n")
    (repo / "settings.py").write_text(
        f"url = 'https://api/?token={TOKEN}'\n"
        f"blob = '{base64.b64encode(PASSWORD.encode()).decode()}'\n"
        f"quoted = '{quote(PASSWORD, safe='')}'\n"
        "key = '''\nQUJDREVGR0hJSktMTU5PUA==\n'''\n"
        "level = 'verbose-logging'  # a plain key: not a secret\n"
        "mode = 'dev'  # shorter than min_length\n"
    )
    git(repo, "add", "-A")
    result = secretsync(repo, "scan", "--staged")
    assert result.returncode == 1, result.stderr
    assert findings(result) == [
        "config.json:1: holds the value of PASSWORD (JSON-escaped)",
        "config.json:1: holds the value of PEM (JSON-escaped)",
        "settings.py:1: holds the value of TOKEN (the value)",
        "settings.py:2: holds the value of PASSWORD (base64)",
        "settings.py:3: holds the value of PASSWORD (URL-encoded)",
        "settings.py:5: holds the value of PEM (a line of it)",
    ]
    assert "6 secret values found in 2 files" in result.stderr
    assert leaks(result.stdout + result.stderr, VALUES) == set()


def test_staged_means_the_index_not_the_work_tree(repo: Path) -> None:
    (repo / "app.py").write_text(f"token = '{TOKEN}'\n")
    assert secretsync(repo, "scan", "--staged").returncode == 0  # not staged yet
    assert secretsync(repo, "scan").returncode == 1  # the work tree has it
    git(repo, "add", "app.py")
    (repo / "app.py").write_text("token = os.environ['TOKEN']\n")  # fixed, but not staged
    staged = secretsync(repo, "scan", "--staged", "app.py")
    assert staged.returncode == 1
    assert findings(staged) == ["app.py:1: holds the value of TOKEN (the value)"]
    assert secretsync(repo, "scan", "app.py").returncode == 0


def test_the_env_the_config_and_excluded_paths_are_not_scanned(repo: Path) -> None:
    write_config(
        repo,
        "secrets_manager",
        'plain_keys = ["LOG_LEVEL"]\n[scan]\nexclude = ["fixtures/*", "*.lock"]\n',
    )
    (repo / "fixtures").mkdir()
    (repo / "fixtures" / "recorded.json").write_text(TOKEN)
    (repo / "deps.lock").write_text(TOKEN)
    (repo / "notes.md").write_text(f"{TOKEN}  <!-- secretsync: allow -->\n")
    result = secretsync(repo, "scan", ".env", ".secretsync.toml", "fixtures", "deps.lock", ".")
    assert result.returncode == 0, result.stdout
    assert "no secret value found" in result.stderr


def test_min_length_is_the_users(repo: Path) -> None:
    (repo / "app.py").write_text("mode = 'dev'\n")
    assert secretsync(repo, "scan", "app.py").returncode == 0
    write_config(repo, "secrets_manager", "[scan]\nmin_length = 3\n")
    result = secretsync(repo, "scan", "app.py")
    assert findings(result) == ["app.py:1: holds the value of SHORT (the value)"]
    write_config(repo, "secrets_manager", "[scan]\nmin_length = 0\n")
    broken = secretsync(repo, "scan", "app.py")
    assert broken.returncode == 2 and "min_length must be 1 or more" in broken.stderr


def test_binary_and_unreadable_files(repo: Path) -> None:
    (repo / "image.bin").write_bytes(b"\x89PNG\x00\xff" + TOKEN.encode() + b"\x00")
    os.mkfifo(repo / "pipe")
    result = secretsync(repo, "scan", "image.bin", "pipe", "missing.txt")
    assert result.returncode == 1
    assert findings(result) == ["image.bin:1: holds the value of TOKEN (the value)"]
    assert "secretsync: pipe: cannot read: not a regular file" in result.stderr
    assert "secretsync: missing.txt: cannot read: No such file or directory" in result.stderr
    only_unreadable = secretsync(repo, "scan", "pipe")
    assert only_unreadable.returncode == 2  # reported, never silently skipped


def test_scan_json_and_remote_values(repo: Path, moto_server: MotoServer) -> None:
    from tests.helpers import Remote

    Remote("secrets_manager", moto_server.url).seed({"REMOTE_ONLY": "remote-secret-value-1"})
    (repo / "app.py").write_text("x = 'remote-secret-value-1'\n")
    assert secretsync(repo, "scan", "app.py").returncode == 0
    result = secretsync(repo, "scan", "--remote", "--format", "json", "app.py")
    assert result.returncode == 1
    document = validated(result.stdout)
    assert document["findings"] == [
        {"path": "app.py", "line": 1, "key": "REMOTE_ONLY", "form": "the value"}
    ]
    assert "remote-secret-value-1" not in result.stdout + result.stderr


# -- redact ----------------------------------------------------------------------------------


@pytest.mark.usefixtures("processes")
def test_redact_masks_values_split_across_reads_and_stays_live(repo: Path) -> None:
    proc = subprocess.Popen(
        [secretsync_program(), "redact"],
        cwd=repo,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(b"first line\n")
    proc.stdin.flush()
    assert proc.stdout.readline() == b"first line\n"  # passed on before the input ends
    proc.stdin.write(b"token " + TOKEN[:7].encode())
    proc.stdin.flush()
    time.sleep(0.3)
    proc.stdin.write(TOKEN[7:].encode() + b" level verbose-logging\n")
    proc.stdin.flush()
    assert proc.stdout.readline() == b"token ******** level verbose-logging\n"
    out, err = proc.communicate(f"{json.dumps(PEM)}\n".encode(), timeout=30)
    assert out == b'"********"\n'
    assert proc.returncode == 0, err


def test_run_redact_masks_the_commands_output_and_returns_its_status(repo: Path) -> None:
    (repo / ".env").write_text(ENV)
    result = secretsync(
        repo,
        "run",
        "--source",
        "local",
        "--redact",
        "--",
        "sh",
        "-c",
        'printf "%s\\n" "$TOKEN"; printf "%s\\n" "$PASSWORD" >&2; exit 5',
    )
    assert result.returncode == 5
    assert result.stdout == "********\n"
    assert result.stderr == "********\n"


@pytest.mark.usefixtures("processes")
def test_run_redact_passes_sigterm_to_the_command(repo: Path) -> None:
    ready = repo / "ready"
    child = (
        "import signal, sys, time, pathlib, os\n"
        "signal.signal(signal.SIGTERM, lambda *a: (print(os.environ['TOKEN'], flush=True),"
        " sys.exit(21)))\n"
        f"pathlib.Path({str(ready)!r}).write_text('x')\n"
        "time.sleep(30)\n"
    )
    proc = subprocess.Popen(
        [
            secretsync_program(),
            "run",
            "--source",
            "local",
            "--redact",
            "--",
            sys.executable,
            "-c",
            child,
        ],
        cwd=repo,
        stdout=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 21
    assert out == "********\n"


# -- the hook, through pre-commit -------------------------------------------------------------


def test_the_scan_hook_blocks_a_commit_holding_a_value(
    repo: Path, hooks_repo: tuple[Path, str], pre_commit_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRE_COMMIT_HOME", str(pre_commit_home))
    monkeypatch.delenv("SKIP", raising=False)
    hooks, sha = hooks_repo
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hooks}\n    rev: {sha}\n    hooks:\n      - id: secretsync-scan\n"
    )
    installed = pre_commit(repo, "install", "--install-hooks")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    git(repo, "add", ".pre-commit-config.yaml")
    assert git(repo, "commit", "-q", "-m", "hooks", check=False).returncode == 0

    (repo / "deploy.sh").write_text(f"curl -H 'Authorization: {TOKEN}' https://api\n")
    git(repo, "add", "deploy.sh")
    blocked = git(repo, "commit", "-m", "leak", check=False)
    assert blocked.returncode == 1
    output = blocked.stdout + blocked.stderr
    assert "deploy.sh:1: holds the value of TOKEN (the value)" in output
    assert leaks(output, VALUES) == set()

    (repo / "deploy.sh").write_text('curl -H "Authorization: $TOKEN" https://api\n')
    git(repo, "add", "deploy.sh")
    allowed = git(repo, "commit", "-m", "no leak", check=False)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr


@pytest.mark.usefixtures("processes")
def test_redact_with_nothing_to_mask_says_so(repo: Path) -> None:
    def redact() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [secretsync_program(), "redact"],
            cwd=repo,
            input="text\n",
            capture_output=True,
            text=True,
            check=False,
        )

    (repo / ".env").write_text("SHORT=dev\n")
    result = redact()
    assert result.returncode == 0 and result.stdout == "text\n"
    assert "no values to mask" in result.stderr
    (repo / ".env").unlink()  # a missing .env is an error: a typo must not pass values through
    result = redact()
    assert result.returncode == 2 and result.stdout == ""
    assert ".env does not exist: there are no values to look for" in result.stderr


# -- what the scan covers --------------------------------------------------------------------


def hook(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The ``secretsync-scan`` hook, with the arguments pre-commit gives it."""
    return run_in_process(cwd, *args, name="secretsync-scan")


def test_a_submodules_files_are_scanned(
    repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    library = tmp_path_factory.mktemp("library")
    git(library, "init", "-q", "-b", "main")
    (library / "settings.py").write_text(f"token = '{TOKEN}'\n")
    git(library, "add", "-A")
    git(library, "commit", "-q", "-m", "library")
    add = ("-c", "protocol.file.allow=always", "submodule", "add", "-q")
    git(repo, *add, str(library), "vendor/library")
    git(repo, "commit", "-q", "-m", "vendor")
    result = secretsync(repo, "scan")
    assert result.returncode == 1, result.stderr
    assert findings(result) == [
        "vendor/library/settings.py:1: holds the value of TOKEN (the value)"
    ]
    # not checked out: the submodule is only a commit's name, nothing to read or report
    git(repo, "submodule", "deinit", "-q", "-f", "vendor/library")
    result = secretsync(repo, "scan")
    assert result.returncode == 0, result.stderr
    # the index holds a submodule as a commit, not as files
    staged = secretsync(repo, "scan", "--staged", "vendor/library")
    assert staged.returncode == 0, staged.stderr


def _without_read_permission_checks() -> None:
    """In the child, before it runs the program: root keeps its uid (its Python lives under
    /root) but loses the capabilities that let it read what permissions forbid."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def unprivileged(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed ``secretsync`` run so that file permissions hold, even for root."""
    return subprocess.run(
        [secretsync_program(), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        preexec_fn=_without_read_permission_checks if os.geteuid() == 0 else None,
    )


@pytest.mark.parametrize(
    ("args", "shown"),
    [((), "src/locked/"), (("src",), "src/locked/"), ((".",), "./src/locked/")],
    ids=["git's listing", "a directory named", "a walk"],
)
@pytest.mark.usefixtures("processes")
def test_an_unreadable_directory_is_reported_never_skipped(
    repo: Path, args: tuple[str, ...], shown: str
) -> None:
    locked = repo / "src" / "locked"
    locked.mkdir(parents=True)
    (locked / "leak.txt").write_text(f"token = '{TOKEN}'\n")
    locked.chmod(0)
    try:
        result = unprivileged(repo, "scan", *args)
    except subprocess.SubprocessError:  # prctl refused: a container without CAP_SETPCAP
        pytest.skip("cannot take away root's permission to read anything")
    finally:
        locked.chmod(0o755)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"secretsync: {shown}: cannot read: Permission denied" in result.stderr


def test_a_value_in_a_path_is_a_finding_and_never_shown(repo: Path) -> None:
    folder = repo / f"backup-{TOKEN}"
    folder.mkdir()
    (folder / "notes.txt").write_text("nothing secret in here\n")
    git(repo, "add", "-A")
    expected = ["backup-********/notes.txt: its path holds the value of TOKEN (the value)"]
    for result in (
        secretsync(repo, "scan", "--staged"),
        secretsync(repo, "scan"),
        hook(repo, f"backup-{TOKEN}/notes.txt"),
    ):
        assert result.returncode == 1, result.stdout + result.stderr
        assert result.stdout.splitlines()[: len(expected)] == expected
        assert leaks(result.stdout + result.stderr, VALUES) == set()
    document = validated(secretsync(repo, "scan", "--format", "json").stdout)
    assert document["findings"] == [
        {"path": "backup-********/notes.txt", "line": 0, "key": "TOKEN", "form": "the value"}
    ]
    os.mkfifo(repo / f"pipe-{TOKEN}")
    unreadable = secretsync(repo, "scan", "--format", "json", f"pipe-{TOKEN}")
    assert unreadable.returncode == 1  # its path holds the value
    assert [u["path"] for u in validated(unreadable.stdout)["unreadable"]] == ["pipe-********"]
    assert "secretsync: pipe-********: cannot read" in unreadable.stderr
    assert leaks(unreadable.stdout + unreadable.stderr, VALUES) == set()


def test_the_staged_content_is_scanned_whatever_the_work_tree_now_holds(repo: Path) -> None:
    (repo / "notes.txt").write_text(f"token: {TOKEN}\n")
    git(repo, "add", "notes.txt")
    (repo / "notes.txt").unlink()
    (repo / "notes.txt").symlink_to(".env")  # what is committed is still the staged text
    for result in (
        secretsync(repo, "scan", "--staged"),
        secretsync(repo, "scan", "--staged", "notes.txt"),
        hook(repo, "notes.txt"),
    ):
        assert result.returncode == 1, result.stdout + result.stderr
        assert result.stdout.startswith("notes.txt:1: holds the value of TOKEN (the value)\n")


def test_staged_in_a_subdirectory_means_what_is_staged_there(repo: Path) -> None:
    (repo / "src").mkdir()
    (repo / "src" / "app.py").write_text(f"token = '{TOKEN}'\n")
    git(repo, "add", "src")
    result = secretsync(repo / "src", "scan", "--staged")
    assert result.returncode == 1, result.stderr
    assert findings(result) == ["app.py:1: holds the value of TOKEN (the value)"]


def test_a_tracked_env_is_scanned_like_any_other_file(repo: Path) -> None:
    assert secretsync(repo, "scan").returncode == 0  # an ignored .env is the user's own
    git(repo, "add", "-f", ".env")
    for args in (("scan",), ("scan", "--staged"), ("scan", ".env")):
        result = secretsync(repo, *args)
        assert result.returncode == 1, (args, result.stderr)
        assert findings(result)[0] == ".env:1: holds the value of TOKEN (the value)", args
    git(repo, "rm", "-q", "--cached", ".env")
    (repo / "config").mkdir()
    (repo / ".env").rename(repo / "config" / "app.env")
    (repo / ".env").symlink_to("config/app.env")  # a link to a tracked file
    git(repo, "add", "config/app.env")
    result = secretsync(repo, "scan")
    assert result.returncode == 1, result.stderr
    assert findings(result)[0] == "config/app.env:1: holds the value of TOKEN (the value)"


def test_exclude_globs_that_leave_nothing_to_scan_are_refused(repo: Path) -> None:
    write_config(repo, "secrets_manager", '[scan]\nexclude = ["*.py", ".*"]\n')
    (repo / "app.py").write_text(f"token = '{TOKEN}'\n")
    for result in (secretsync(repo, "scan"), secretsync(repo, "scan", ".")):
        assert result.returncode == 2, result.stderr
        assert '.secretsync.toml: [scan] exclude ["*.py", ".*"] excludes every one' in (
            result.stderr
        )
        assert "Traceback" not in result.stderr and result.stdout == ""
    git(repo, "add", "app.py")
    for result in (secretsync(repo, "scan", "--staged"), hook(repo, "app.py")):
        assert result.returncode == 2, result.stdout + result.stderr
        assert "excludes every staged file and every file git tracks" in (
            result.stdout + result.stderr
        )
    assert secretsync(repo, "scan", "app.py").returncode == 0  # one file, named: as asked

    # a commit that only touches excluded files passes: the globs leave other files to scan
    git(repo, "reset", "-q")
    write_config(repo, "secrets_manager", '[scan]\nexclude = ["fixtures/*"]\n')
    (repo / "fixtures").mkdir()
    (repo / "fixtures" / "recorded.json").write_text(f'{{"token": "{TOKEN}"}}\n')
    (repo / "fixtures" / "more.json").write_text(f'{{"token": "{TOKEN}"}}\n')
    git(repo, "add", "fixtures")
    for result in (secretsync(repo, "scan", "--staged"), hook(repo, "fixtures/recorded.json")):
        assert result.returncode == 0, result.stdout + result.stderr
    assert "no secret value found in 0 files" in secretsync(repo, "scan", "--staged").stderr


@pytest.mark.usefixtures("processes")
def test_a_large_scan_never_prints_a_traceback(repo: Path) -> None:
    for index in range(3):
        with (repo / f"big{index}.bin").open("wb") as fh:
            fh.truncate(8 * 1024 * 1024)  # 24 MiB in all: read by every core at once
            if index == 2:
                fh.write(TOKEN.encode())
    for _ in range(10):  # the process: a worker would print its traceback to its stderr
        result = run_program(repo, "scan")
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
    for delay in (0.1, 0.2, 0.3):  # before, while and after the files are read
        proc = subprocess.Popen(
            [secretsync_program(), "scan"], cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        assert b"Traceback" not in err
