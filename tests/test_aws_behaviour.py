"""Behave like AWS, not like moto: one test per mismatch between what secretsync assumed and
what AWS does, through the CLI against a moto server (the installed program where a terminal
or a process is the subject).  Where moto cannot
produce AWS's answer, the fault injector gives it (an error code and message recorded from
AWS, or a whole response); each test cites the AWS fact it relies on.
docs/explanation/aws-behaviour.md lists them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from secretsync_hooks.cli.main import cli as cli_group
from tests.helpers import (
    PATH,
    SECRET,
    Remote,
    in_a_terminal,
    run_in_process,
    write_config,
)
from tests.moto_server import DROP_AFTER, MotoServer, error

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "123456789012"


def secretsync(
    cwd: Path, *args: str, env: dict[str, str] | None = None, name: str = "secretsync"
) -> tuple[int, str]:
    result = run_in_process(cwd, *args, env=env, name=name)
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    return result.returncode, output


@pytest.fixture
def sm(moto_server: MotoServer, project: Path) -> Remote:
    write_config(project, "secrets_manager")
    return Remote("secrets_manager", moto_server.url)


@pytest.fixture
def ps(moto_server: MotoServer, project: Path) -> Remote:
    write_config(project, "parameter_store")
    return Remote("parameter_store", moto_server.url)


def config_with(project: Path, kind: str, table: str, **settings: str) -> None:
    extra = "".join(f"{k} = {json.dumps(v)}\n" for k, v in settings.items())
    text = (
        (project / ".secretsync.toml").read_text()
        if (project / ".secretsync.toml").exists()
        else ""
    )
    if not text:
        write_config(project, kind)
        text = (project / ".secretsync.toml").read_text()
    (project / ".secretsync.toml").write_text(text.replace(f"[{table}]\n", f"[{table}]\n{extra}"))


# -- Secrets Manager ---------------------------------------------------------------------------


def test_1_a_full_arn_is_used_as_the_secret_id_everywhere(sm: Remote, project: Path) -> None:
    # AWS: SecretId takes a name, a full ARN or a partial ARN; another account's secret is
    # reachable only by its full ARN (Secrets Manager API reference, SecretId).
    arn = sm.client.create_secret(Name=SECRET, SecretString='{"A": "1"}')["ARN"]
    write_config(project, "secrets_manager")
    config_with(project, "secrets_manager", "secrets_manager", secret_name=arn)
    text = (project / ".secretsync.toml").read_text()
    (project / ".secretsync.toml").write_text(text.replace(f'secret_name = "{SECRET}"\n', ""))
    (project / ".env").write_text("A=1\nB=2\n")
    assert secretsync(project, "diff")[0] == 1
    code, output = secretsync(project, "push")
    assert code == 0, output
    assert sm.values() == {"A": "1", "B": "2"}
    assert secretsync(project, "pull")[0] == 0
    other = arn.replace(":us-east-1:", ":eu-west-1:")
    (project / ".secretsync.toml").write_text(
        (project / ".secretsync.toml").read_text().replace(arn, other)
    )
    code, output = secretsync(project, "diff")
    assert code == 2 and "is in eu-west-1, but the region in use is us-east-1" in output
    sm.client.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
    (project / ".secretsync.toml").write_text(
        (project / ".secretsync.toml").read_text().replace(other, arn)
    )
    code, output = secretsync(project, "push")
    assert code == 2 and "a secret cannot be created from an ARN" in output


@pytest.mark.parametrize("name", ["bad name!", "a:b", "x" * 513])
def test_1_names_that_are_not_arns_are_still_checked(sm: Remote, project: Path, name: str) -> None:
    text = (project / ".secretsync.toml").read_text()
    (project / ".secretsync.toml").write_text(text.replace(SECRET, name))
    code, output = secretsync(project, "diff")
    assert code == 2 and "is not one AWS accepts" in output


NO_VALUE = "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT"
NO_SECRET = "Secrets Manager can't find the specified secret."


def test_2_a_secret_that_exists_with_no_value_is_filled_by_the_first_push(
    sm: Remote, project: Path, moto_server: MotoServer
) -> None:
    # AWS: GetSecretValue on a secret created without a value answers
    # ResourceNotFoundException "...can't find the specified secret value for staging label:
    # AWSCURRENT" (recorded response); PutSecretValue's first version takes AWSCURRENT.
    sm.client.create_secret(Name=SECRET)  # as Terraform, CloudFormation and CDK do
    (project / ".env").write_text("A=1\n")
    code, output = secretsync(project, "status")
    assert code == 1 and "exists, no value yet" in output
    moto_server.injector.calls.clear()
    code, output = secretsync(project, "push")
    assert code == 0, output
    assert sm.values() == {"A": "1"}
    assert moto_server.injector.calls["CreateSecret"] == 0
    assert secretsync(project, "diff")[0] == 0
    versions = sm.client.list_secret_version_ids(SecretId=SECRET)["Versions"]
    assert [v["VersionStages"] for v in versions] == [["AWSCURRENT"]]


@pytest.mark.parametrize(("message", "exists"), [(NO_VALUE, True), (NO_SECRET, False)])
def test_2_without_describe_permission_aws_wording_tells_the_two_apart(
    sm: Remote, project: Path, moto_server: MotoServer, message: str, exists: bool
) -> None:
    (project / ".env").write_text("A=1\n")
    moto_server.injector.inject("GetSecretValue", error("ResourceNotFoundException", message))
    moto_server.injector.inject("DescribeSecret", error("AccessDeniedException", "not allowed"))
    _, output = secretsync(project, "status", "--format", "json")
    document = json.loads(output[output.index("{") :])
    assert (document["remote"]["exists"], document["remote"]["no_value"]) == (exists, exists)


def test_3_a_denied_first_read_says_the_secret_may_not_exist_yet(
    sm: Remote, project: Path, moto_server: MotoServer
) -> None:
    # AWS: for a secret that does not exist yet, IAM evaluates the bare name; a policy that
    # grants only secret:NAME-?????? answers AccessDenied, not ResourceNotFound.
    (project / ".env").write_text("A=1\n")
    denied = (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/dev/me is not authorized to perform: "
        f"secretsmanager:GetSecretValue on resource: {SECRET}"
    )
    moto_server.injector.inject("GetSecretValue", error("AccessDeniedException", denied))
    code, output = secretsync(project, "push")
    assert code == 2
    assert f"AWS says: {denied}" in output
    assert f"If {SECRET} does not exist yet" in output
    assert f"grant secret:{SECRET} too" in output


@pytest.mark.parametrize(
    ("message", "expected", "hint"),
    [
        (
            "Access to KMS is not allowed",
            "KMS refused the key that encrypts secret myapp/production",
            "kms:Decrypt",
        ),
        (
            f"User: arn:aws:sts::{ACCOUNT}:assumed-role/dev/me is not authorized to perform: "
            "secretsmanager:GetSecretValue with an explicit deny in a service control policy",
            "access denied: AWS refused secretsmanager:GetSecretValue",
            "An explicit deny (an SCP",
        ),
    ],
)
def test_4_kms_and_explicit_denies_show_aws_own_message(
    sm: Remote,
    project: Path,
    moto_server: MotoServer,
    message: str,
    expected: str,
    hint: str,
) -> None:
    # AWS: a missing kms:Decrypt comes back as AccessDeniedException "Access to KMS is not
    # allowed"; explicit denies (SCP, boundary, resource policy) are AccessDenied as well.
    (project / ".env").write_text("A=1\n")
    moto_server.injector.inject("GetSecretValue", error("AccessDeniedException", message))
    code, output = secretsync(project, "diff")
    assert code == 2
    assert expected in output and f"AWS says: {message}" in output and hint in output


def test_5_a_push_during_a_rotation_is_refused_and_rotation_warns(
    sm: Remote, project: Path, moto_server: MotoServer
) -> None:
    # AWS: rotation copies AWSCURRENT into a version labelled AWSPENDING and moves AWSCURRENT
    # onto it at finishSecret, superseding anything written in between; DescribeSecret shows
    # RotationEnabled and each version's stages.
    sm.seed({"A": "1"})
    (project / ".env").write_text("A=1\n")
    assert secretsync(project, "diff")[0] == 0
    pending = sm.client.put_secret_value(
        SecretId=SECRET, SecretString='{"A": "1"}', VersionStages=["AWSPENDING"]
    )["VersionId"]
    (project / ".env").write_text("A=2\n")
    moto_server.injector.answer("DescribeSecret", _described(sm, RotationEnabled=True))
    code, output = secretsync(project, "push")
    assert code == 1
    assert f"is being rotated (version {pending} became AWSPENDING 0 minutes ago)" in output
    assert sm.values() == {"A": "1"}
    sm.client.update_secret_version_stage(
        SecretId=SECRET, VersionStage="AWSPENDING", RemoveFromVersionId=pending
    )
    moto_server.injector.answer("DescribeSecret", _described(sm, RotationEnabled=True))
    code, output = secretsync(project, "push")
    assert code == 0, output
    assert "has rotation enabled" in output
    assert sm.values() == {"A": "2"}


def _described(remote: Remote, **changes: object) -> dict[str, object]:
    """DescribeSecret's answer for the secret as moto holds it, with ``changes``."""
    described = dict(remote.client.describe_secret(SecretId=SECRET))
    described.pop("ResponseMetadata")
    return {**json.loads(json.dumps(described, default=str)), **changes}


# -- Parameter Store -----------------------------------------------------------------------------


def test_6_only_a_first_level_starting_with_aws_or_ssm_is_reserved(
    ps: Remote, project: Path
) -> None:
    # AWS: "Parameter names can't be prefixed with aws or ssm (case-insensitive)": the first
    # level only (PutParameter API reference, Name).
    (project / ".env").write_text("AWS_REGION=eu-west-1\nSSM_PREFIX=x\n")
    code, output = secretsync(project, "push")
    assert code == 0, output
    assert ps.values() == {"AWS_REGION": "eu-west-1", "SSM_PREFIX": "x"}
    text = (project / ".secretsync.toml").read_text()
    (project / ".secretsync.toml").write_text(text.replace(PATH, "/aws/app/"))
    code, output = secretsync(project, "push")
    assert code == 2 and "starts with 'aws' or 'ssm', which AWS reserves" in output


def _put_bodies(server: MotoServer) -> list[dict[str, object]]:
    bodies: list[dict[str, object]] = []
    server.injector.watch("PutParameter", lambda n, body: bodies.append(json.loads(body)))
    return bodies


def test_7_an_update_keeps_the_parameters_own_kms_key(
    ps: Remote, project: Path, moto_server: MotoServer
) -> None:
    # AWS: PutParameter without KeyId on an existing SecureString re-encrypts it with the
    # account's default key (aws/ssm); moto keeps the old key, so the request is checked.
    ps.client.put_parameter(Name=PATH + "A", Value="1", Type="SecureString", KeyId="alias/team")
    config_with(project, "parameter_store", "parameter_store", kms_key_id="alias/for-new-ones")
    (project / ".env").write_text("A=1\n")
    assert secretsync(project, "diff")[0] == 0
    (project / ".env").write_text("A=2\nNEW=n\n")
    bodies = _put_bodies(moto_server)
    moto_server.injector.calls.clear()
    assert secretsync(project, "push")[0] == 0
    keys = {str(b["Name"]).rsplit("/", 1)[1]: b.get("KeyId") for b in bodies}
    assert keys == {"A": "alias/team", "NEW": "alias/for-new-ones"}
    assert moto_server.injector.calls["DescribeParameters"] == 1  # only for the update


def test_8_size_is_checked_against_each_parameters_own_tier(
    ps: Remote, project: Path, moto_server: MotoServer
) -> None:
    # AWS: Standard parameters hold 4 KB, Advanced 8 KB; a tier goes Standard -> Advanced,
    # never back; an Advanced parameter stays Advanced whatever the request's Tier says not.
    big = "x" * 6000
    ps.client.put_parameter(Name=PATH + "ADV", Value="old", Type="String", Tier="Advanced")
    ps.client.put_parameter(Name=PATH + "STD", Value="old", Type="String")
    (project / ".env").write_text("ADV=old\nSTD=old\n")
    assert secretsync(project, "diff")[0] == 0
    bodies = _put_bodies(moto_server)
    (project / ".env").write_text(f"ADV={big}\nSTD=old\n")
    code, output = secretsync(project, "push")
    assert code == 0, output
    # never a tier that could downgrade: its own (item 19)
    assert [b.get("Tier") for b in bodies] == ["Advanced"]
    (project / ".env").write_text(f"ADV={big}\nSTD={big}\n")
    code, output = secretsync(project, "push")
    assert code == 2 and "value over 4096 bytes on the Standard tier: STD" in output
    config_with(project, "parameter_store", "parameter_store", tier="Intelligent-Tiering")
    code, output = secretsync(project, "push")
    assert code == 0, output
    assert bodies[-1].get("Tier") == "Intelligent-Tiering"


@pytest.mark.parametrize(
    ("code", "hint"),
    [
        ("AccessDeniedException", "Grant ssm:PutParameter on parameters under /myapp/production/"),
        ("ParameterLimitExceeded", "10,000 Standard parameters"),
        ("ParameterMaxVersionLimitExceeded", "unlabel-parameter-version"),
        ("ExpiredTokenException", "aws sso login"),
        ("KMSAccessDeniedException", "kms:GenerateDataKey"),
    ],
)
def test_9_write_failures_say_what_to_do_without_quoting_aws(
    ps: Remote, project: Path, moto_server: MotoServer, code: str, hint: str
) -> None:
    # AWS: these are PutParameter's documented errors; their text may quote the request.
    (project / ".env").write_text("A=1\nB=2\nC=3\n")
    moto_server.injector.inject("PutParameter", error(code, "Value 'S3CR3T-V4LU3' rejected"))
    result_code, output = secretsync(project, "push")
    assert result_code == 2
    assert "failed part-way" in output and f"failed ({code}): " in output
    assert f"{code}: " in output and hint in output
    assert "S3CR3T" not in output


# -- credentials, region, retries ------------------------------------------------------------------


@pytest.fixture
def profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An AWS config with a profile 'other' whose keys differ from the environment's."""
    aws = tmp_path / "aws"
    aws.mkdir()
    (aws / "config").write_text("[profile other]\nregion = us-east-1\n")
    (aws / "credentials").write_text(
        "[other]\naws_access_key_id = AKIAPROFILE\naws_secret_access_key = s\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(aws / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(aws / "credentials"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT")
    return aws


def test_10_environment_credentials_win_over_aws_profile(
    sm: Remote, project: Path, moto_server: MotoServer, profiles: Path
) -> None:
    # botocore: explicit environment credentials come before AWS_PROFILE in the default chain
    # (create_credential_resolver); boto3 and the AWS CLI behave the same.
    sm.seed({"A": "1"})
    (project / ".env").write_text("A=1\n")
    moto_server.injector.access_keys.clear()
    env = {**os.environ, "AWS_PROFILE": "other"}
    assert secretsync(project, "diff", env=env)[0] == 0
    assert set(moto_server.injector.access_keys) == {"AKIAENVIRONMENT"}
    moto_server.injector.access_keys.clear()
    assert secretsync(project, "diff", "--profile", "other", env=env)[0] == 0
    assert set(moto_server.injector.access_keys) == {"AKIAPROFILE"}


# 11. The shipped CI example works with the shipped config: the workflow now runs secretsync
# through the action, so the test runs the action's steps as the runner does, in
# tests/test_action.py (test_the_shipped_drift_check_workflow_runs_with_the_shipped_config).


def test_12_an_ambient_region_override_warns_and_cannot_create_elsewhere(
    moto_server: MotoServer, project: Path
) -> None:
    # boto3 ignores AWS_REGION; secretsync reads it (documented precedence), but a region set
    # by a CI action must not silently read, or create, a copy in the wrong region.
    write_config(project, "secrets_manager")
    text = (project / ".secretsync.toml").read_text()
    (project / ".secretsync.toml").write_text(text.replace("us-east-1", "eu-west-1"))
    (project / ".env").write_text("A=1\n")
    env = {**os.environ, "AWS_REGION": "us-east-1"}
    code, output = secretsync(project, "diff", env=env)
    assert code == 1
    assert "AWS_REGION=us-east-1 overrides region eu-west-1 from .secretsync.toml" in output
    code, output = secretsync(project, "push", env=env)
    assert code == 1
    assert "push would create secret myapp/production in us-east-1 (from AWS_REGION), but the " in (
        output
    )
    assert Remote("secrets_manager", moto_server.url).values() == {}
    assert secretsync(project, "push", "--force", env=env)[0] == 0
    assert secretsync(project, "push", "--region", "eu-west-1", env=env)[0] == 0


def _mfa_profile(aws: Path) -> None:
    (aws / "config").write_text(
        "[profile base]\nregion = us-east-1\n"
        "[profile admin]\nregion = us-east-1\nsource_profile = base\n"
        f"role_arn = arn:aws:iam::{ACCOUNT}:role/admin\n"
        f"mfa_serial = arn:aws:iam::{ACCOUNT}:mfa/me\n"
    )
    (aws / "credentials").write_text(
        "[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = s\n"
    )


@pytest.mark.usefixtures("processes")
def test_13_an_mfa_code_is_asked_once_and_never_without_a_terminal(
    sm: Remote, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, profiles: Path
) -> None:
    # botocore's assume-role provider prompts with getpass and caches in memory only, unless
    # given the AWS CLI's JSONFileCache (~/.aws/cli/cache), which `aws` itself uses.
    _mfa_profile(profiles)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    sm.seed({"A": "1"})
    (project / ".env").write_text("A=1\n")
    # start_new_session: no controlling terminal, as in CI or a commit made from an editor.
    program = str(Path(sys.executable).parent / "secretsync-check")
    result = subprocess.run(
        [program],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "AWS_PROFILE": "admin"},
        start_new_session=True,
    )
    assert result.returncode == 2, result.stdout
    assert "the AWS profile 'admin' needs an MFA code, and there is no terminal" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    result = subprocess.run(
        [program, "--on-error", "warn"],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "AWS_PROFILE": "admin"},
        start_new_session=True,
    )
    assert result.returncode == 0 and "not checked (--on-error warn)" in result.stdout
    cli = str(Path(sys.executable).parent / "secretsync")
    code, output = in_a_terminal(project, [cli, "diff", "--profile", "admin"], b"123456\n")
    assert code == 0, output
    assert output.count("MFA code") == 1
    assert list((tmp_path / "home" / ".aws" / "cli" / "cache").glob("*.json"))
    # The next run, without a terminal, uses the cached credentials: no code asked.
    result = subprocess.run(
        [cli, "diff", "--profile", "admin"],
        cwd=project,
        capture_output=True,
        text=True,
        start_new_session=True,
    )
    assert result.returncode == 0, result.stderr


def test_14_retry_settings_are_the_users(
    sm: Remote, project: Path, moto_server: MotoServer, profiles: Path
) -> None:
    # botocore: AWS_MAX_ATTEMPTS / AWS_RETRY_MODE, then the profile's max_attempts /
    # retry_mode; total attempts include the first one.
    (project / ".env").write_text("A=1\n")
    for env, calls in (({"AWS_MAX_ATTEMPTS": "2"}, 2), ({"AWS_PROFILE": "other"}, 1), ({}, 4)):
        (profiles / "config").write_text("[profile other]\nmax_attempts = 1\n")
        moto_server.injector.calls.clear()
        moto_server.injector.inject("GetSecretValue", *["500"] * 5)
        code, _ = secretsync(project, "diff", env={**os.environ, **env})
        assert code == 2
        assert moto_server.injector.calls["GetSecretValue"] == calls, env
        moto_server.injector.reset()
    for name, value, message in (
        ("AWS_MAX_ATTEMPTS", "many", "AWS_MAX_ATTEMPTS = 'many' is not a number of attempts"),
        ("AWS_MAX_ATTEMPTS", "0", "is not a number of attempts"),
        ("AWS_RETRY_MODE", "eager", "AWS_RETRY_MODE = 'eager' is not a retry mode"),
    ):
        code, output = secretsync(project, "diff", env={**os.environ, name: value})
        assert code == 2 and message in output


def test_15_a_tls_failure_points_at_aws_ca_bundle(
    sm: Remote, project: Path, tmp_path: Path
) -> None:
    # botocore raises SSLError when a certificate cannot be verified; AWS_CA_BUNDLE names the
    # CA to trust (a corporate proxy that inspects TLS).
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    server = HTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        (project / ".env").write_text("A=1\n")
        url = f"https://127.0.0.1:{server.server_address[1]}"
        env = {**os.environ, "AWS_ENDPOINT_URL": url, "AWS_MAX_ATTEMPTS": "1"}
        code, output = secretsync(project, "diff", env=env)
        assert code == 2
        assert f"the TLS certificate of {url}" in output and "AWS_CA_BUNDLE" in output
    finally:
        server.shutdown()


# -- 16-25: history, rollback, rotation, tiers, AMI parameters, tags, throttled checks ----------
# In-process (CliRunner) against the moto server: the fault injector gives AWS's answers.


def cli(*args: str) -> Result:
    return CliRunner().invoke(cli_group, list(args), catch_exceptions=False)


def _versions(remote: Remote) -> list[str]:
    """The secret's version ids, oldest first (moto lists them in the order they were made)."""
    listed = remote.client.list_secret_version_ids(SecretId=SECRET, IncludeDeprecated=True)
    return [v["VersionId"] for v in listed["Versions"]]


def _kms_denied_for(moto_server: MotoServer, version: str) -> None:
    # AWS: when a secret's KMS key changes, only the versions labelled AWSCURRENT, AWSPENDING
    # and AWSPREVIOUS are re-encrypted; reading an older one once the old key is disabled
    # answers AccessDeniedException "Access to KMS is not allowed".
    def hook(count: int, body: bytes) -> str | None:
        if version.encode() in body:
            return error("AccessDeniedException", "Access to KMS is not allowed")
        return None

    moto_server.injector.watch("GetSecretValue", hook)


def test_16_history_lists_a_version_its_kms_key_cannot_decrypt(
    sm: Remote, project: Path, moto_server: MotoServer
) -> None:
    sm.seed({"A": "1"})
    for document in ({"A": "2"}, {"A": "2", "B": "1"}, {"A": "3", "B": "1"}):
        sm.put_document(document)
    first, second, third, fourth = _versions(sm)
    _kms_denied_for(moto_server, second)
    result = cli("history", "--format", "json")
    assert result.exit_code == 0, result.output
    revisions = {r["version"]: r for r in json.loads(result.stdout)["revisions"]}
    assert revisions[second]["unreadable"] == "cannot be decrypted: its KMS key is not usable"
    assert revisions[second]["known"] is False
    # the version after it is compared across it, with the one before it
    assert revisions[third]["against"] == first
    assert revisions[third]["added"] == ["B"] and revisions[third]["changed"] == ["A"]
    assert revisions[fourth]["changed"] == ["A"] and revisions[fourth]["against"] is None
    table = cli("history")
    assert table.exit_code == 0
    assert "(cannot be decrypted: its KMS key is not usable)" in table.stdout
    refused = cli("rollback", "--to", second, "--force")
    assert refused.exit_code == 2
    assert f"version {second} of secret {SECRET} cannot be decrypted" in refused.stderr
    assert "AWSCURRENT, AWSPENDING and AWSPREVIOUS" in refused.stderr


def test_17_a_rollback_whose_move_answer_was_lost_is_reported_as_done(
    sm: Remote, project: Path, moto_server: MotoServer
) -> None:
    # The UpdateSecretVersionStage that moves AWSCURRENT succeeds but its answer is lost;
    # botocore retries it and AWS refuses the retry (the label has left RemoveFromVersionId).
    sm.seed({"A": "1"})
    sm.put_document({"A": "2"})
    moto_server.injector.inject("UpdateSecretVersionStage", DROP_AFTER)
    result = cli("rollback", "--to", "AWSPREVIOUS", "--force")
    assert result.exit_code == 0, result.output
    assert "Rolled back" in result.stdout and "nothing was written" not in result.output
    assert sm.values() == {"A": "1"}
    assert moto_server.injector.calls["UpdateSecretVersionStage"] >= 3  # move, its retry, label


def test_18_a_rotation_left_behind_names_the_version_and_the_command_that_clears_it(
    sm: Remote, project: Path, moto_server: MotoServer
) -> None:
    # AWS: a failed rotation can leave AWSPENDING on a version, and CancelRotateSecret "can
    # leave the VersionStage labels in an unexpected state" and turns rotation off.
    sm.seed({"A": "1"})
    pending = sm.client.put_secret_value(
        SecretId=SECRET, SecretString='{"A": "1"}', VersionStages=["AWSPENDING"]
    )["VersionId"]
    (project / ".env").write_text("A=2\n")
    result = cli("push", "--force")  # moto: rotation off
    assert result.exit_code == 1
    assert f"has version {pending} left labelled AWSPENDING" in result.stderr
    assert "(rotation is off: a cancelled rotation leaves it so)" in result.stderr
    command = (
        f"aws secretsmanager update-secret-version-stage --secret-id {SECRET} "
        f"--version-stage AWSPENDING --remove-from-version-id {pending}"
    )
    assert command in result.stderr
    assert "cancel-rotate-secret" not in result.output
    # rotation on, but the label is hours old: left behind too
    listed = sm.client.list_secret_version_ids(SecretId=SECRET)
    old = [
        {**v, "CreatedDate": "2026-01-01T00:00:00Z"} if v["VersionId"] == pending else v
        for v in json.loads(json.dumps(listed["Versions"], default=str))
    ]
    moto_server.injector.answer("DescribeSecret", _described(sm, RotationEnabled=True))
    moto_server.injector.answer("ListSecretVersionIds", {"Versions": old, "Name": SECRET})
    result = cli("push", "--force")
    assert result.exit_code == 1
    assert f"has version {pending} left labelled AWSPENDING" in result.stderr
    assert "rotation is off" not in result.stderr
    # the command it names clears it
    sm.client.update_secret_version_stage(
        SecretId=SECRET, VersionStage="AWSPENDING", RemoveFromVersionId=pending
    )
    assert cli("push", "--force").exit_code == 0
    assert sm.values() == {"A": "2"}


def test_19_an_update_names_the_parameters_own_tier(
    ps: Remote, project: Path, moto_server: MotoServer
) -> None:
    # AWS: PutParameter without Tier takes the account's default tier setting, which can be
    # Advanced (or Intelligent-Tiering choosing Advanced): an update would upgrade a Standard
    # parameter for good.
    ps.seed({"A": "1", "B": "1"})
    ps.client.put_parameter(
        Name=f"{PATH}B", Value="1", Type="SecureString", Overwrite=True, Tier="Advanced"
    )
    (project / ".env").write_text("A=2\nB=2\n")
    bodies = _put_bodies(moto_server)
    assert cli("push", "--force").exit_code == 0
    tiers = {body["Name"]: body.get("Tier") for body in bodies}
    assert tiers == {f"{PATH}A": "Standard", f"{PATH}B": "Advanced"}


def test_20_an_ami_id_that_aws_does_not_store_is_not_applied(
    ps: Remote, project: Path, moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # AWS: for DataType aws:ec2:image, PutParameter answers 200 before the AMI id is checked;
    # an invalid one is then simply not stored.  A write cannot change a DataType to or from
    # aws:ec2:image.

    from secretsync_hooks.remote.parameter_store import writing

    monkeypatch.setattr(writing, "AMI_CONFIRM_SECONDS", 0.6)
    ps.seed({"TOKEN": "t-1"})
    ps.client.put_parameter(
        Name=f"{PATH}AMI", Value="ami-0123456789abcdef0", Type="String", DataType="aws:ec2:image"
    )
    (project / ".env").write_text("TOKEN=t-1\nAMI=ami-0123456789abcdef0\n")
    assert cli("diff").exit_code == 0  # recorded as the last sync
    (project / ".env").write_text("TOKEN=t-2\nAMI=ami-0fedcba9876543210\n")
    bodies: list[dict[str, Any]] = []

    def not_stored(count: int, body: bytes) -> dict[str, Any] | None:
        bodies.append(json.loads(body))
        if bodies[-1]["Name"] == f"{PATH}AMI":
            return {"Version": 2, "Tier": "Standard"}  # 200, and nothing stored
        return None

    moto_server.injector.watch("PutParameter", not_stored)
    result = cli("push")
    assert result.exit_code == 2, result.output
    assert "not stored by AWS within 0.6 s" in result.stderr and ": AMI" in result.stderr
    written = {body["Name"]: body for body in bodies}
    assert written[f"{PATH}AMI"]["DataType"] == "aws:ec2:image"
    assert ps.values()["AMI"] == "ami-0123456789abcdef0"
    again = cli("diff", "--format", "json")  # not recorded as synced: still a local change
    states = {e["key"]: e["state"] for e in json.loads(again.stdout)["entries"]}
    assert states["AMI"] == "local_modified"
    moto_server.injector.reset()
    assert cli("push").exit_code == 0  # stored this time (moto does not check AMI ids)
    assert ps.values()["AMI"] == "ami-0fedcba9876543210"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("TooManyTagsError", "a parameter holds at most 50 tags"),
        ("AccessDeniedException", "Grant ssm:AddTagsToResource on parameters under"),
    ],
)
def test_21_tags_that_fail_after_the_value_was_written(
    code: str, expected: str, ps: Remote, project: Path, moto_server: MotoServer
) -> None:
    # AWS: AddTagsToResource has its own limits (50 tags: TooManyTagsError), throttling and
    # permission, apart from PutParameter's.
    config_with(project, "parameter_store", "parameter_store", type="SecureString")
    text = (project / ".secretsync.toml").read_text()
    (project / ".secretsync.toml").write_text(text + '[parameter_store.tags]\nteam = "core"\n')
    ps.seed({"A": "1", "B": "1"})
    (project / ".env").write_text("A=2\nB=1\n")
    moto_server.injector.inject("AddTagsToResource", error(code, "injected"))
    result = cli("push", "--force")
    assert result.exit_code == 2
    assert "the values were written to /myapp/production/, but the tags" in result.stderr
    assert f"({code}): A" in result.stderr and expected in result.stderr
    assert "ssm:PutParameter" not in result.stderr
    assert ps.values() == {"A": "2", "B": "1"}
    assert cli("diff").exit_code == 0  # the value is recorded as written
    again = cli("push")
    assert again.exit_code == 0, again.output
    assert "Added the tags of [parameter_store] tags to A" in again.stdout
    tags = ps.client.list_tags_for_resource(ResourceType="Parameter", ResourceId=f"{PATH}A")
    assert tags["TagList"] == [{"Key": "team", "Value": "core"}]
    assert "Added the tags" not in cli("push").stdout  # once


def test_22_throttled_checks_before_writes_slow_the_pace(
    ps: Remote, project: Path, moto_server: MotoServer
) -> None:
    # AWS: GetParameter, GetParameters and GetParametersByPath share one read quota per account
    # and region with every other application. One key's check throttled more times than a
    # write is retried for a failure: throttling slows the pace, and the write goes through.
    from secretsync_hooks.remote.parameter_store.retrying import MAX_ATTEMPTS

    ps.seed({"K": "1"})
    (project / ".env").write_text("K=2\n")
    throttles = MAX_ATTEMPTS + 2
    moto_server.injector.inject("GetParameters", *["throttle"] * throttles)
    result = cli("push", "--force")
    assert result.exit_code == 0, result.output
    assert ps.values() == {"K": "2"}
    assert moto_server.injector.calls["GetParameters"] >= throttles


def test_23_the_oldest_version_aws_keeps_does_not_claim_to_add_every_key(
    sm: Remote, ps: Remote, project: Path
) -> None:
    # AWS: unlabelled secret versions beyond 100 are removed; a parameter keeps its last 100.
    write_config(project, "secrets_manager")
    sm.seed({"A": "0"})
    for n in range(1, 100):
        sm.put_document({"A": str(n)})
    result = cli("history", "--limit", "100", "--format", "json")
    oldest = json.loads(result.stdout)["revisions"][-1]
    assert oldest["known"] is False and oldest["added"] == []
    write_config(project, "parameter_store")
    for n in range(101):
        ps.client.put_parameter(Name=f"{PATH}A", Value=str(n), Type="String", Overwrite=n > 0)
    result = cli("history", "A", "--limit", "100", "--format", "json")
    revisions = json.loads(result.stdout)["revisions"]
    assert revisions[-1]["version"] == "2" and revisions[-1]["known"] is False
    assert revisions[-1]["added"] == [] and revisions[-2]["changed"] == ["A"]


@pytest.mark.usefixtures("processes")
def test_24_one_mfa_code_serves_every_environment_of_a_hook_run(
    sm: Remote,
    project: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    profiles: Path,
) -> None:
    # botocore's assume-role provider asks for a code whenever it resolves credentials that
    # no cache holds: threads checking several environments would each ask.
    _mfa_profile(profiles)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AWS_PROFILE", "admin")
    text = (project / ".secretsync.toml").read_text()
    (project / ".secretsync.toml").write_text(
        text
        + '[environments.staging]\nenv_file = ".env.staging"\n'
        + '[environments.staging.secrets_manager]\nsecret_name = "myapp/staging"\n'
        + '[environments.prod]\nenv_file = ".env.prod"\n'
    )
    sm.seed({"A": "1"})
    sm.client.create_secret(Name="myapp/staging", SecretString='{"A": "2"}')
    (project / ".env").write_text("A=1\n")
    (project / ".env.prod").write_text("A=1\n")
    (project / ".env.staging").write_text("A=2\n")
    hook = str(Path(sys.executable).parent / "secretsync-check")
    code, output = in_a_terminal(project, [hook, "--all-envs"], b"123456\n")
    assert code == 0, output
    assert output.count("MFA code") == 1
    assert "[prod] .env.prod matches" in output and "[staging] .env.staging matches" in output
    assert "[default] .env matches" in output


def test_25_clients_are_made_before_the_writer_threads_start(
    ps: Remote, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # botocore: creating a client is not thread-safe (boto/botocore#2991).
    import threading

    from secretsync_hooks.remote.aws import AwsSession

    made: list[str] = []
    original = AwsSession.client

    def client(self: AwsSession, service: str, **kwargs: Any) -> Any:
        if f"{service}/{kwargs.get('attempts')}" not in self._clients:
            made.append(threading.current_thread().name)
        return original(self, service, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(AwsSession, "client", client)
    ps.seed({f"K{i}": "1" for i in range(12)})
    (project / ".env").write_text("".join(f"K{i}=2\n" for i in range(12)) + "NEW=1\n")
    assert cli("push", "--force").exit_code == 0
    assert made and set(made) == {threading.main_thread().name}


# -- attacks on 16-25 found in review, kept as tests ---------------------------------------------


def test_16_when_no_older_version_can_be_read_what_the_newest_changed_is_not_known(
    sm: Remote, project: Path, moto_server: MotoServer
) -> None:
    sm.seed({"A": "1"})
    sm.put_document({"A": "1", "B": "2"})
    sm.put_document({"A": "1", "B": "2", "C": "3"})
    first, second, third = _versions(sm)
    _kms_denied_for(moto_server, first)
    moto_server.injector.watch(
        "GetSecretValue",
        lambda n, body: (
            error("AccessDeniedException", "Access to KMS is not allowed")
            if first.encode() in body or second.encode() in body
            else None
        ),
    )
    revisions = {
        r["version"]: r for r in json.loads(cli("history", "--format", "json").stdout)["revisions"]
    }
    assert revisions[third]["known"] is False and revisions[third]["added"] == []


def _tags_config(project: Path) -> None:
    text = (project / ".secretsync.toml").read_text()
    (project / ".secretsync.toml").write_text(text + '[parameter_store.tags]\nteam = "core"\n')


def _tags(ps: Remote, key: str) -> list[dict[str, str]]:
    listed = ps.client.list_tags_for_resource(ResourceType="Parameter", ResourceId=f"{PATH}{key}")
    return list(listed["TagList"])


def test_21_a_pull_in_between_keeps_the_keys_still_to_tag(
    ps: Remote, project: Path, moto_server: MotoServer
) -> None:
    _tags_config(project)
    ps.seed({"A": "1", "B": "1"})
    (project / ".env").write_text("A=2\nB=1\n")
    moto_server.injector.inject("AddTagsToResource", error("TooManyTagsError", "injected"))
    assert cli("push", "--force").exit_code == 2
    assert cli("pull").exit_code == 0
    again = cli("push")
    assert again.exit_code == 0, again.output
    assert _tags(ps, "A") == [{"Key": "team", "Value": "core"}]


def test_21_tags_are_kept_to_add_when_another_key_fails_in_the_same_push(
    ps: Remote, project: Path, moto_server: MotoServer
) -> None:
    _tags_config(project)
    ps.seed({"A": "1", "B": "1"})
    (project / ".env").write_text("A=2\nB=2\n")

    def deny_b(count: int, body: bytes) -> str | None:
        if json.loads(body)["Name"] == f"{PATH}B":
            return error("AccessDeniedException", "User is not authorized")
        return None

    moto_server.injector.watch("PutParameter", deny_b)
    moto_server.injector.inject("AddTagsToResource", error("TooManyTagsError", "injected"))
    first = cli("push", "--force")
    assert first.exit_code == 2
    assert "written, but the tags not added (TooManyTagsError): A" in first.stderr
    moto_server.injector.reset()
    again = cli("push", "--force")
    assert again.exit_code == 0, again.output
    assert ps.values() == {"A": "2", "B": "2"}
    assert _tags(ps, "A") == [{"Key": "team", "Value": "core"}]


def test_21_a_rollback_whose_tags_fail_leaves_them_to_the_next_push(
    ps: Remote, project: Path, moto_server: MotoServer
) -> None:
    import datetime
    import time

    _tags_config(project)
    ps.seed({"A": "1"})
    (project / ".env").write_text("A=1\n")
    assert cli("diff").exit_code == 0
    time.sleep(0.05)
    point = datetime.datetime.now(datetime.timezone.utc).isoformat()
    time.sleep(0.05)
    ps.client.put_parameter(Name=f"{PATH}A", Value="2", Type="SecureString", Overwrite=True)
    moto_server.injector.inject("AddTagsToResource", error("TooManyTagsError", "injected"))
    result = cli("rollback", "--to", point, "--force")
    assert result.exit_code == 2
    assert "`secretsync push` again: it adds the missing tags" in result.stderr
    assert ps.values() == {"A": "1"}
    again = cli("push")
    assert again.exit_code == 0, again.output
    assert _tags(ps, "A") == [{"Key": "team", "Value": "core"}]


@pytest.mark.parametrize("fault", ["500", "drop"])
def test_22_a_5xx_or_a_dropped_check_before_a_write_is_retried(
    fault: str, ps: Remote, project: Path, moto_server: MotoServer
) -> None:
    ps.seed({"A": "1"})
    (project / ".env").write_text("A=2\n")
    moto_server.injector.inject("GetParameters", fault)
    result = cli("push", "--force")
    assert result.exit_code == 0, result.output
    assert ps.values() == {"A": "2"}


def test_24_all_environments_answer_within_one_deadline_when_credentials_hang(
    project: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # An STS endpoint that accepts connections and never answers: resolving the role's
    # credentials hangs.  Resolved once for every environment, within the one deadline.
    import socket
    import time

    from secretsync_hooks.hooks.check import check_main

    hang = socket.socket()
    hang.bind(("127.0.0.1", 0))
    hang.listen(16)
    aws = tmp_path / "aws"
    aws.mkdir()
    (aws / "config").write_text(
        "[profile base]\nregion = us-east-1\n[profile role]\nregion = us-east-1\n"
        f"source_profile = base\nrole_arn = arn:aws:iam::{ACCOUNT}:role/r\n"
    )
    (aws / "credentials").write_text("[base]\naws_access_key_id = x\naws_secret_access_key = x\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(aws / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(aws / "credentials"))
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", f"http://127.0.0.1:{hang.getsockname()[1]}")
    write_config(project, "secrets_manager")
    text = (
        (project / ".secretsync.toml")
        .read_text()
        .replace('region = "us-east-1"\n', 'region = "us-east-1"\nprofile = "role"\n', 1)
    )
    (project / ".secretsync.toml").write_text(
        text + '[environments.staging.secrets_manager]\nsecret_name = "myapp/staging"\n'
    )
    (project / ".env").write_text("A=1\n")
    started = time.monotonic()
    try:
        code = check_main(["--all-envs", "--timeout", "2"])
    finally:
        hang.close()
    elapsed = time.monotonic() - started
    out = capsys.readouterr().out
    assert code == 2, out
    assert elapsed < 3.5, (elapsed, out)  # 2 s, not 2 s per resolution
    assert out.count("AWS could not be asked") == 2
