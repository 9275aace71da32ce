"""Helpers shared by the CLI, end-to-end and canary tests: a project and its remote."""

from __future__ import annotations

import functools
import json
import os
import pty
import select
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import boto3

from secretsync_hooks.models import Action, Direction, KeyOp, SyncPlan

SECRET = "myapp/production"
PATH = "/myapp/production/"
BACKENDS = ("secrets_manager", "parameter_store")
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}

CONFIG = f"""\
[backend]
type = "secrets_manager"   # or "parameter_store"
region = "us-east-1"
[secrets_manager]
secret_name = "{SECRET}"
[parameter_store]
path = "{PATH}"
"""


def write_config(root: Path, kind: str, extra: str = "") -> Path:
    text = CONFIG.replace('type = "secrets_manager"', f'type = "{kind}"')
    path = root / ".secretsync.toml"
    path.write_text(extra + text)
    return path


@functools.cache
def _boto3_session() -> boto3.session.Session:
    """One boto3 session for every test's ``Remote``: its loader keeps the service models
    parsed (a session of its own per remote took ~90 ms).  No config or credentials file is
    read (each test has its own, and this session outlives the test): a remote is always
    given its region, credentials and endpoint."""
    import botocore.session

    core = botocore.session.Session()
    core.set_config_variable("config_file", os.devnull)
    core.set_config_variable("credentials_file", os.devnull)
    return boto3.session.Session(botocore_session=core)


class Remote:
    """The remote side of a test, read and written with plain boto3 (not secretsync)."""

    def __init__(
        self, kind: str, endpoint_url: str | None = None, region: str = "us-east-1"
    ) -> None:
        self.kind = kind
        session = _boto3_session()
        # Explicit fake credentials: tests that take the environment's away still seed.
        kwargs: dict[str, Any] = {
            "region_name": region,
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        }
        if endpoint_url:
            kwargs["endpoint_url"] = endpoint_url
        service = "secretsmanager" if kind == "secrets_manager" else "ssm"
        self.client: Any = session.client(service, **kwargs)  # type: ignore[call-overload]

    def values(self) -> dict[str, str]:
        if self.kind == "secrets_manager":
            try:
                response = self.client.get_secret_value(SecretId=SECRET, VersionStage="AWSCURRENT")
            except self.client.exceptions.ResourceNotFoundException:
                return {}
            return dict(json.loads(response["SecretString"]))
        out = {}
        paginator = self.client.get_paginator("get_parameters_by_path")
        for page in paginator.paginate(Path=PATH, WithDecryption=True):
            out.update({p["Name"][len(PATH) :]: p["Value"] for p in page["Parameters"]})
        return out

    def seed(self, values: dict[str, str]) -> None:
        if self.kind == "secrets_manager":
            self.client.create_secret(Name=SECRET, SecretString=json.dumps(values))
        else:
            for key, value in values.items():
                self.client.put_parameter(Name=PATH + key, Value=value, Type="SecureString")

    def set(self, key: str, value: str) -> None:
        """Another writer changes one key."""
        if self.kind == "parameter_store":
            self.client.put_parameter(
                Name=PATH + key, Value=value, Type="SecureString", Overwrite=True
            )
            return
        current = self.values()
        current[key] = value
        self.put_document(current)

    def delete(self, key: str) -> None:
        if self.kind == "parameter_store":
            self.client.delete_parameter(Name=PATH + key)
            return
        current = self.values()
        current.pop(key)
        self.put_document(current)

    def put_document(self, document: dict[str, str]) -> None:
        new = self.client.put_secret_value(SecretId=SECRET, SecretString=json.dumps(document))
        # moto 5.2 leaves AWSCURRENT on two versions after a plain put that follows a
        # compare-and-swap move; real AWS would hold it on the new version only.
        versions = self.client.list_secret_version_ids(SecretId=SECRET)["Versions"]
        for version in versions:
            if version["VersionId"] != new["VersionId"] and "AWSCURRENT" in version.get(
                "VersionStages", []
            ):
                self.client.update_secret_version_stage(
                    SecretId=SECRET,
                    VersionStage="AWSCURRENT",
                    RemoveFromVersionId=version["VersionId"],
                )

    def version_count(self) -> int:
        if self.kind == "secrets_manager":
            try:
                return len(self.client.list_secret_version_ids(SecretId=SECRET)["Versions"])
            except self.client.exceptions.ResourceNotFoundException:
                return 0
        return sum(p["Version"] for p in self.client.describe_parameters()["Parameters"])


def plan(*ops: KeyOp) -> SyncPlan:
    """A push plan of ``ops``."""
    return SyncPlan(Direction.PUSH, ops)


def add(key: str, value: str) -> KeyOp:
    return KeyOp(key, Action.ADD, value)


def update(key: str, value: str) -> KeyOp:
    return KeyOp(key, Action.UPDATE, value)


def delete(key: str) -> KeyOp:
    return KeyOp(key, Action.DELETE)


PROCESSES = False  # set by the ``processes`` fixture: the test is of the end-to-end tier


def program(name: str = "secretsync") -> str:
    """The installed console script ``name`` beside this interpreter."""
    assert PROCESSES, "a test that starts the installed programs asks for the `processes` fixture"
    beside = Path(sys.executable).parent / name
    assert beside.exists(), f"{name} is not installed in this environment"
    return str(beside)


def run_program(
    cwd: Path, *args: str, name: str = "secretsync", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``name`` (default ``secretsync``) with ``args`` in ``cwd``."""
    return subprocess.run(
        [program(name), *args],
        cwd=cwd,
        env=dict(os.environ) if env is None else env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def examples(full: int) -> int:
    """A property test's example count: ``full`` under hypothesis's default profile, a tenth
    under the inner loop's (``--hypothesis-profile dev``)."""
    from hypothesis import settings

    profile = settings.default
    assert profile is not None
    return max(5, full * profile.max_examples // 100)


ENTRY_POINTS = {
    "secretsync": "secretsync_hooks.cli.main:main",
    "secretsync-check": "secretsync_hooks.hooks.check:check_main",
    "secretsync-check-push": "secretsync_hooks.hooks.check:check_push_main",
    "secretsync-forbid-env": "secretsync_hooks.hooks.forbid_env:main",
    "secretsync-scan": "secretsync_hooks.hooks.scan:scan_main",
}


def run_in_process(
    cwd: Path,
    *args: str,
    name: str = "secretsync",
    env: dict[str, str] | None = None,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """What ``run_program`` gives, from the same entry point called in this process: for
    tests about what a command does and says, where the process itself is not the subject
    (exec, signals, exit on a deadline, start-up, the installed scripts stay with
    ``run_program``). ``env``, as for a process, is the whole environment."""
    import importlib

    from click.testing import CliRunner

    module, _, function = ENTRY_POINTS[name].partition(":")
    entry = getattr(importlib.import_module(module), function)
    overlay: dict[str, str | None] = {}
    if env is not None:
        overlay = {key: None for key in os.environ if key not in env}
        overlay.update(env)
    runner = CliRunner()
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        with runner.isolation(input=input, env=overlay) as (out, err, _):
            try:
                code = entry(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            sys.stdout.flush()
            sys.stderr.flush()
            stdout = out.getvalue().decode("utf-8", "replace")
            stderr = err.getvalue().decode("utf-8", "replace")
    finally:
        os.chdir(previous)
    return subprocess.CompletedProcess([name, *args], int(code or 0), stdout, stderr)


class Hold:
    """Holds the ``at``-th request of ``action`` open at the moto server until released.

    ``interrupt(process, signal)`` waits until the request is held, signals the process,
    lets the request through and returns what the process printed: the signal lands while
    the command waits for AWS at an exact point of its work.
    """

    def __init__(self, server: Any, action: str, at: int = 1) -> None:
        self.reached = threading.Event()
        self.release = threading.Event()

        def hook(count: int, body: bytes) -> None:
            if count == at:
                self.reached.set()
                self.release.wait(60)

        server.injector.watch(action, hook)

    def interrupt(
        self, process: subprocess.Popen[str], signum: int, *, settle: float = 0.3
    ) -> tuple[int, str, str]:
        try:
            assert self.reached.wait(60), "the held request never arrived"
            process.send_signal(signum)
            time.sleep(settle)  # the signal reaches the command while the request is held
        finally:
            self.release.set()
        out, err = process.communicate(timeout=120)
        return process.returncode, out, err


def start_program(cwd: Path, *args: str, name: str = "secretsync") -> subprocess.Popen[str]:
    return subprocess.Popen(
        [program(name), *args],
        cwd=cwd,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def key_file() -> Path:
    """The fingerprint key: in the user's state directory (the test's own, see conftest)."""
    return Path(os.environ["XDG_STATE_HOME"]) / "secretsync" / "key"


def in_a_terminal(
    cwd: Path, argv: list[str], answer: bytes, *, after: bytes = b"MFA code", times: int = 1
) -> tuple[int, str]:
    """Run ``argv`` with a pseudo-terminal as its controlling terminal, as stdin and stdout;
    type ``answer`` each time it prints ``after`` (a prompt), ``times`` times at most."""
    assert PROCESSES, "a test that starts the installed programs asks for the `processes` fixture"
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.chdir(cwd)
        os.execv(argv[0], argv)  # noqa: S606 - the installed program, no shell
    output = b""
    answered = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
        if answered < times and output.count(after) > answered:
            os.write(fd, answer)
            answered += 1
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


# Values that break naive quoting: shell syntax, quotes, backslashes, line breaks of every
# kind, unicode, and the escapes of the formats themselves.  Each would create a file named
# pwned-* if anything ever expanded it.
AWKWARD = {
    "SUBST": "$(touch pwned-subst)",
    "BACKTICK": "`touch pwned-backtick`",
    "VAR": "$HOME and ${HOME}",
    "SPACES": "a b; touch pwned-semicolon",
    "BACKSLASH": "C:\\path\\$(touch pwned-bs) \\n not a newline",
    "NEWLINE": "line one\n$(touch pwned-newline)",
    "CRLF": "first\r\nsecond",
    "TRAILING_NEWLINE": "ends with a newline\n",
    "SINGLE": "it's fine",
    "BOTH_QUOTES": 'it\'s "quoted"',
    "QUOTE_AND_DOLLAR": "it's $(touch pwned-both)",
    "TAB": "a\tb",
    "PERCENT": "100% %0A %25",
    "UNICODE": "pässwörd ✓ 🙂 \u2028 end",
    "PADDED": "  padded  ",
    "HASH": "#not a comment",
    "EQUALS": "a=b=c",
    "GLOB": "*",
}
