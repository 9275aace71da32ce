"""The hook entry points called directly, as pre-commit-hooks tests its hooks."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from secretsync_hooks.hooks.check import check_main, check_push_main
from secretsync_hooks.hooks.forbid_env import main as forbid_env_main
from tests.helpers import Remote, write_config

ENVIRONMENTS = """\
[environments.staging.secrets_manager]
secret_name = "myapp/staging"
"""


@pytest.fixture
def remote(project: Path, aws: None) -> Remote:
    write_config(project, "secrets_manager")
    with (project / ".secretsync.toml").open("a") as fh:
        fh.write(ENVIRONMENTS)
    (project / ".env").write_text("A=1\nB=2\nC=3\n")
    remote = Remote("secrets_manager")
    remote.seed({"A": "1", "B": "2", "C": "3"})
    return remote


def test_in_sync_is_one_line(remote: Remote, capsys: pytest.CaptureFixture[str]) -> None:
    assert check_main([]) == 0
    assert capsys.readouterr().out == (
        "secretsync: .env matches secret myapp/production (3 keys)\n"
    )


def test_drift_names_keys_states_and_fixes_without_values(
    remote: Remote, capsys: pytest.CaptureFixture[str]
) -> None:
    remote.set("B", "rotated-in-aws")
    remote.set("D", "new-in-aws")
    Path(".env").write_text("A=1\nB=2\nC=3\nLOCAL_ONLY=x\n")
    assert check_main([]) == 1
    assert capsys.readouterr().out == (
        "secretsync: .env has drifted from secret myapp/production (us-east-1):\n"
        "  B           changed      values differ\n"
        "  LOCAL_ONLY  local-only   in your .env, not in AWS\n"
        "  D           remote-only  in AWS, not in your .env\n"
        "`secretsync push` uploads the local-only keys.\n"
        "`secretsync pull` writes the remote-only keys into .env.\n"
        "For changed keys: `secretsync push --force` keeps your local values, "
        "`secretsync pull --force` takes the remote ones.\n"
        "To go ahead anyway: SKIP=secretsync-check git commit ...\n"
    )


def test_several_environments_each_checked_with_their_own_commands(
    remote: Remote, capsys: pytest.CaptureFixture[str]
) -> None:
    assert check_push_main(["--env", "default", "--env", "staging", "--env", "staging"]) == 1
    out = capsys.readouterr().out
    assert "[default] .env matches secret myapp/production" in out
    assert "[staging] .env has drifted from secret myapp/staging" in out
    assert out.count("[staging] .env has drifted") == 1  # named twice, checked once
    assert "`secretsync push --env staging` creates it." in out
    assert "SKIP=secretsync-check-push git push ..." in out


def test_keys_only_and_env_file(remote: Remote, capsys: pytest.CaptureFixture[str]) -> None:
    remote.set("B", "rotated")
    Path(".env.example").write_text("A=\nB=\nC=\n")
    assert check_main(["--keys-only", "--env-file", ".env.example"]) == 0
    assert "matches secret myapp/production (3 key names)" in capsys.readouterr().out
    assert check_main(["--env-file", ".env.example"]) == 1


def test_many_drifted_keys_are_summarised(
    remote: Remote, capsys: pytest.CaptureFixture[str]
) -> None:
    Path(".env").write_text("".join(f"K{i}=v\n" for i in range(12)) + "A=1\nB=2\nC=3\n")
    assert check_main([]) == 1
    out = capsys.readouterr().out
    assert "  ... and 4 more (`secretsync diff` lists all)" in out
    assert len(out.splitlines()) <= 12


def test_bad_input_is_exit_2_with_one_message(
    remote: Remote, capsys: pytest.CaptureFixture[str]
) -> None:
    Path(".env").write_text("A=1\nB: 2\n")
    assert check_main([]) == 2
    out = capsys.readouterr().out
    assert "secretsync: error:" in out and "line 2" in out
    assert "Traceback" not in out
    assert check_main(["--env", "nope"]) == 2
    assert "no environment named 'nope'" in capsys.readouterr().out


@pytest.fixture
def offline(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(project, "secrets_manager")
    (project / ".env").write_text("A=1\n")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")


@pytest.mark.usefixtures("offline")
def test_unreachable_aws_fails_by_default_with_the_escape_hatch(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert check_main([]) == 2
    out = capsys.readouterr().out
    assert out.splitlines()[0] == (
        "secretsync: AWS could not be asked: cannot reach http://127.0.0.1:9/ for "
        "secretsmanager:GetSecretValue"
    )
    assert "SKIP=secretsync-check git commit ..." in out


@pytest.mark.usefixtures("offline")
def test_on_error_warn_lets_the_commit_through(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_main(["--on-error", "warn"]) == 0
    assert "not checked (--on-error warn)" in capsys.readouterr().out


def test_on_error_warn_does_not_hide_real_drift_or_bad_data(
    remote: Remote, capsys: pytest.CaptureFixture[str]
) -> None:
    Path(".env").write_text("A=1\n")
    assert check_main(["--on-error", "warn"]) == 1
    Path(".env").write_text("A: 1\n")
    assert check_main(["--on-error", "warn"]) == 2


CONTRACT = '[keys.PORT]\ntype = "int"\n[keys.LEVEL]\nchoices = ["debug", "info"]\n'


def test_a_env_in_sync_that_breaks_the_key_contract_fails_said_apart_from_drift(
    project: Path, aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(project, "secrets_manager", CONTRACT)
    values = {"PORT": "Pr7Ts4Zq", "LEVEL": "Lv2Xn8Wq", "A": "1"}
    (project / ".env").write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    Remote("secrets_manager").seed(values)
    assert check_main([]) == 1
    out = capsys.readouterr().out
    assert out == (
        "secretsync: .env matches secret myapp/production (3 keys)\n"
        "secretsync: .env breaks the key contract of .secretsync.toml:\n"
        "  PORT   not an int\n"
        "  LEVEL  not one of debug, info\n"
        "Fix the values in .env, or the rules ([keys.NAME]); `secretsync check` lists every "
        "rule.\n"
        "To go ahead anyway: SKIP=secretsync-check git commit ...\n"
    )
    assert check_push_main([]) == 1
    assert "SKIP=secretsync-check-push git push ..." in capsys.readouterr().out
    # A key-names check of an example file has placeholders, not values: no contract.
    assert check_main(["--keys-only"]) == 0


def test_the_contract_is_checked_even_when_aws_cannot_be_asked(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(project, "secrets_manager", CONTRACT)
    (project / ".env").write_text("PORT=eighty\n")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    assert check_main(["--on-error", "warn"]) == 1  # AWS's failure waived; the contract not
    out = capsys.readouterr().out
    assert "not checked (--on-error warn)" in out
    assert "  PORT  not an int" in out and "eighty" not in out


@pytest.mark.parametrize(
    ("names", "blocked"),
    [
        ([".env"], [".env"]),
        (["app/.env"], ["app/.env"]),
        ([".env.production", "./.env.local"], [".env.production", "./.env.local"]),
        ([".env.example", ".env.sample", "x/.env.template", ".env.EXAMPLE"], []),
        (["example.env", ".env-example", "x/.env.prod.sample"], []),
        (["env.py", "README.env.md", "dotenv", ".envrc"], []),
        (
            ["prod.env", ".env-prod", ".env~", ".ENV", "a/.Env.Local", "x/PROD.ENV"],
            ["prod.env", ".env-prod", ".env~", ".ENV", "a/.Env.Local", "x/PROD.ENV"],
        ),
        (
            [".env.secretsync-1a2b3c4d", "prod.secretsync-1a2b3c4d.env"],
            [".env.secretsync-1a2b3c4d", "prod.secretsync-1a2b3c4d.env"],
        ),
    ],
)
def test_forbid_env_file_names(
    project: Path, names: list[str], blocked: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert forbid_env_main(names) == (1 if blocked else 0)
    out = capsys.readouterr().out
    for name in blocked:
        assert f"  {name}\n" in out
    if blocked:
        assert f"git rm --cached -- {' '.join(shlex.quote(n) for n in blocked)}" in out


def test_forbid_env_knows_configured_env_files_and_allow(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(project, "secrets_manager", extra='env_file = "config/secrets.txt"\n')
    with (project / ".secretsync.toml").open("a") as fh:
        fh.write('[environments.prod]\nenv_file = "deploy/prod.vars"\n')
    assert forbid_env_main(["config/secrets.txt", "deploy/prod.vars", "other.txt"]) == 1
    out = capsys.readouterr().out
    assert "  config/secrets.txt\n  deploy/prod.vars\n" in out
    assert forbid_env_main([".env.ci", "--allow", ".env.ci"]) == 0


def test_forbid_env_still_works_with_a_broken_config(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / ".secretsync.toml").write_text("[backend\n")
    assert forbid_env_main([".env"]) == 1
    assert "warning:" in capsys.readouterr().out


@pytest.mark.usefixtures("processes")
def test_forbid_env_imports_no_boto3() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from secretsync_hooks.hooks.forbid_env import main; main(['x']);"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3','botocore','rich')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_with_a_base_the_hook_speaks_three_way_states(
    remote: Remote, capsys: pytest.CaptureFixture[str]
) -> None:
    assert check_main([]) == 0  # in sync: the base is recorded
    capsys.readouterr()
    remote.set("B", "rotated")
    Path(".env").write_text("A=changed\nB=2\nC=3\n")
    assert check_main([]) == 1
    assert capsys.readouterr().out == (
        "secretsync: .env has drifted from secret myapp/production (us-east-1):\n"
        "  A  local-modified   changed in your .env since the last sync\n"
        "  B  remote-modified  changed in AWS since your last sync\n"
        "A changed in .env since the last sync: run `secretsync push`.\n"
        "B changed in AWS since your last sync: run `secretsync pull`.\n"
        "To go ahead anyway: SKIP=secretsync-check git commit ...\n"
    )
