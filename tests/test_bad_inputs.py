"""A catalogue of bad inputs: each gets exit 2, one clear message, no traceback, no secret
value in the output, and leaves the local file and the remote exactly as they were."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from secretsync_hooks.cli.main import cli
from tests.aws_proxy import WRITE_ACTIONS
from tests.helpers import SECRET, Remote, write_config
from tests.moto_server import THROTTLE, MotoServer, error

CANARY = "Rt5Yu6Io7Pa8Sd9Fg0Hj"
GOOD_ENV = f"# settings\nTOKEN={CANARY}\nA=1\n"


@dataclass
class Case:
    name: str
    message: str
    args: tuple[str, ...] = ("diff",)
    backend: str = "secrets_manager"
    env: str = GOOD_ENV
    config: str | None = None  # replaces the config file
    remote: dict[str, str] | None = None  # seeded (default: the .env's values)
    setup: Callable[[Path, Remote, MotoServer, pytest.MonkeyPatch], None] | None = None


def _ps(text: str) -> str:
    return f'[backend]\ntype = "parameter_store"\nregion = "us-east-1"\n{text}'


def _sm_raw(document: str) -> Callable[[Path, Remote, MotoServer, pytest.MonkeyPatch], None]:
    def setup(root: Path, remote: Remote, server: MotoServer, mp: pytest.MonkeyPatch) -> None:
        remote.client.create_secret(Name=SECRET, SecretString=document)

    return setup


def _fault(action: str, *faults: str, attempts: str | None = None) -> Callable[..., None]:
    def setup(root: Path, remote: Remote, server: MotoServer, mp: pytest.MonkeyPatch) -> None:
        if attempts:
            mp.setenv("AWS_MAX_ATTEMPTS", attempts)
        server.injector.inject(action, *faults)

    return setup


def _no_credentials(root: Path, remote: Remote, server: MotoServer, mp: pytest.MonkeyPatch) -> None:
    mp.delenv("AWS_ACCESS_KEY_ID")
    mp.delenv("AWS_SECRET_ACCESS_KEY")


def _unreachable(root: Path, remote: Remote, server: MotoServer, mp: pytest.MonkeyPatch) -> None:
    mp.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    mp.setenv("AWS_MAX_ATTEMPTS", "1")


def _env_dir(root: Path, remote: Remote, server: MotoServer, mp: pytest.MonkeyPatch) -> None:
    (root / ".env").unlink()
    (root / ".env").mkdir()


def _scheduled(root: Path, remote: Remote, server: MotoServer, mp: pytest.MonkeyPatch) -> None:
    remote.client.delete_secret(SecretId=SECRET, RecoveryWindowInDays=7)


def _parent_is_a_file(
    root: Path, remote: Remote, server: MotoServer, mp: pytest.MonkeyPatch
) -> None:
    (root / "notadir").write_text("x")


def _dangling_link(root: Path, remote: Remote, server: MotoServer, mp: pytest.MonkeyPatch) -> None:
    # A .env that links into a directory that does not exist: nothing can be written there.
    (root / ".env").unlink()
    (root / ".env").symlink_to(root / "gone" / "real.env")


CASES = [
    # -- the .env file -----------------------------------------------------------------------
    Case(
        "unterminated double quote",
        "a value opens a double quote that is never closed",
        env=GOOD_ENV + f'B="{CANARY}\n',
    ),
    Case(
        "unterminated single quote",
        "a value opens a single quote that is never closed",
        env=GOOD_ENV + f"B='{CANARY}\n",
        args=("push", "--force"),
    ),
    Case(
        "colon syntax",
        "line 4: not a KEY=value line",
        env=GOOD_ENV + f"B: {CANARY}\n",
        args=("pull", "--force"),
    ),
    Case(
        "text after closing quote",
        "text after a closing quote",
        env=GOOD_ENV + f'B="{CANARY}" trailing\n',
    ),
    Case("value without key", "a value with no key", env=GOOD_ENV + f"={CANARY}\n"),
    Case("key with a space", "line 4: not a KEY=value line", env=GOOD_ENV + f"MY KEY={CANARY}\n"),
    Case("key without =", "a key with no '='", env=GOOD_ENV + "LONELY\n", args=("status",)),
    Case("not UTF-8", "not UTF-8 text", env="\udcff", args=("push",)),
    Case(".env is a directory", "is a directory", setup=_env_dir, args=("push",)),
    Case(
        ".env cannot be written",
        "cannot write in",
        args=("pull",),
        setup=_dangling_link,
        remote={"A": "1"},
    ),
    Case(
        ".env under a file",
        "cannot read: Not a directory",
        args=("pull", "--env-file", "notadir/.env"),
        setup=_parent_is_a_file,
        remote={"A": "1"},
    ),
    # -- the config --------------------------------------------------------------------------
    Case("broken TOML", "invalid TOML", config='[backend\ntype = "x"\n'),
    Case("unknown backend", "unknown backend type 'vault'", config='[backend]\ntype = "vault"\n'),
    Case(
        "missing secret_name",
        "secret_name is required",
        config='[backend]\ntype = "secrets_manager"\nregion = "us-east-1"\n',
    ),
    Case("missing path", "path is required", config=_ps("")),
    Case(
        "path without a slash",
        "must start with '/'",
        config=_ps('[parameter_store]\npath = "app/prod"\n'),
    ),
    Case(
        "wrong value type",
        "backend.region must be a string, not integer",
        config='[backend]\ntype = "secrets_manager"\nregion = 5\n'
        '[secrets_manager]\nsecret_name = "x"\n',
    ),
    Case(
        "bad tier",
        "is not a parameter tier",
        config=_ps('[parameter_store]\npath = "/a/"\ntier = "Gold"\n'),
    ),
    Case("unknown environment", "no environment named 'nope'", args=("diff", "--env", "nope")),
    Case("missing --config file", "no such config file", args=("diff", "--config", "missing.toml")),
    Case(
        "no region anywhere",
        "no AWS region is set",
        config='[backend]\ntype = "secrets_manager"\n[secrets_manager]\nsecret_name = "a/b"\n',
    ),
    Case(
        "secret name AWS rejects",
        "is not one AWS accepts",
        config='[backend]\ntype = "secrets_manager"\nregion = "us-east-1"\n'
        '[secrets_manager]\nsecret_name = "bad name!"\n',
    ),
    # -- the remote --------------------------------------------------------------------------
    Case(
        "secret is not JSON",
        "is not JSON (line 1, column 1)",
        setup=_sm_raw(f"x{CANARY}"),
        remote={},
    ),
    Case(
        "secret is a JSON array",
        "holds a JSON array",
        setup=_sm_raw(f'["{CANARY}"]'),
        remote={},
        args=("pull", "--force"),
    ),
    Case(
        "secret has nested objects",
        "nested objects or arrays under N",
        setup=_sm_raw(json.dumps({"N": {"x": CANARY}, "A": "1"})),
        remote={},
    ),
    Case(
        "secret scheduled for deletion",
        "scheduled for deletion",
        setup=_scheduled,
        args=("push", "--force"),
    ),
    Case(
        "secret over 64 KiB",
        "over AWS's limit of 65536",
        env=GOOD_ENV + "BIG=" + CANARY * 3300 + "\n",
        args=("push", "--force"),
    ),
    Case(
        "empty SSM value",
        "an empty value, which SSM rejects: EMPTY",
        backend="parameter_store",
        env=GOOD_ENV + "EMPTY=\n",
        args=("push",),
    ),
    Case(
        "invalid parameter name",
        "characters outside a-zA-Z0-9_.- in the key",
        backend="parameter_store",
        env=GOOD_ENV + f"'bad key'={CANARY}\n",
        args=("push",),
    ),
    Case(
        "parameter value with {{",
        "value contains '{{'",
        backend="parameter_store",
        env=GOOD_ENV + "T={{" + CANARY + "}}\n",
        args=("push",),
    ),
    Case(
        "parameter value over 4 KB",
        "value over 4096 bytes on the Standard tier",
        backend="parameter_store",
        env=GOOD_ENV + "BIG=" + CANARY * 210 + "\n",
        args=("push",),
    ),
    Case(
        "reserved parameter prefix",
        "starts with 'aws' or 'ssm'",
        backend="parameter_store",
        config=_ps('[parameter_store]\npath = "/aws/app/"\n'),
        remote={},
        args=("push",),
    ),
    # -- asking AWS --------------------------------------------------------------------------
    Case("missing credentials", "no AWS credentials found", setup=_no_credentials),
    Case(
        "expired token",
        "your AWS credentials have expired",
        setup=_fault("GetSecretValue", error("ExpiredTokenException")),
    ),
    Case(
        "access denied",
        "access denied: AWS refused secretsmanager:GetSecretValue",
        setup=_fault("GetSecretValue", error("AccessDeniedException")),
    ),
    Case(
        "KMS key error",
        "KMS refused the key that encrypts parameters under /myapp/production/",
        backend="parameter_store",
        setup=_fault("GetParametersByPath", error("KMSAccessDeniedException")),
    ),
    Case(
        "throttled past the retries",
        "kept throttling",
        setup=_fault("GetSecretValue", *[THROTTLE] * 3, attempts="2"),
    ),
    Case("unreachable endpoint", "cannot reach http://127.0.0.1:9", setup=_unreachable),
    Case(
        "unknown profile",
        "the AWS profile 'nope' is not configured",
        args=("diff", "--profile", "nope"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input(
    case: Case, project: Path, moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(project, case.backend)
    if case.config is not None:
        config.write_text(case.config)
    env_path = project / ".env"
    if case.env == "\udcff":
        env_path.write_bytes(GOOD_ENV.encode() + b"B=caf\xe9\n")
    else:
        env_path.write_text(case.env)
    remote = Remote(case.backend, moto_server.url)
    seed = case.remote if case.remote is not None else {"TOKEN": CANARY, "A": "1"}
    if seed:
        remote.seed(seed)
    if case.setup is not None:
        case.setup(project, remote, moto_server, monkeypatch)
    before_local = env_path.read_bytes() if env_path.is_file() else None
    before_link = env_path.readlink() if env_path.is_symlink() else None
    before_remote = _remote_state(remote, moto_server)
    moto_server.injector.calls.clear()

    result = CliRunner().invoke(cli, list(case.args), catch_exceptions=False)

    output = result.stdout + result.stderr
    assert result.exit_code == 2, output
    assert case.message in result.stderr, result.stderr
    assert result.stderr.startswith("secretsync: error: "), result.stderr
    assert "Traceback" not in output
    assert CANARY[:6] not in output and CANARY[-6:] not in output
    after_local = env_path.read_bytes() if env_path.is_file() else None
    assert after_local == before_local
    assert (env_path.readlink() if env_path.is_symlink() else None) == before_link
    assert not (project / "gone").exists()
    assert not (project / "notadir").is_dir()
    assert _remote_state(remote, moto_server) == before_remote
    assert not WRITE_ACTIONS & set(moto_server.injector.calls)


def _remote_state(remote: Remote, server: MotoServer) -> object:
    """Everything a write could change, read without faults straight from moto."""
    direct = Remote(remote.kind, server.url)
    if remote.kind == "parameter_store":
        return sorted(
            (p["Name"], p["Version"])
            for page in direct.client.get_paginator("describe_parameters").paginate()
            for p in page["Parameters"]
        )
    try:
        versions = direct.client.list_secret_version_ids(SecretId=SECRET, IncludeDeprecated=True)
    except direct.client.exceptions.ResourceNotFoundException:
        return None
    return sorted(v["VersionId"] for v in versions["Versions"])
