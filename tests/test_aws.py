from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore import exceptions as bce

from secretsync_hooks.config.settings import load_config
from secretsync_hooks.errors import RemoteError
from secretsync_hooks.remote.aws import AwsSession, describe_aws_error
from secretsync_hooks.remote.backends import get_backend


def client_error(code: str, message: str = "msg") -> bce.ClientError:
    return bce.ClientError({"Error": {"Code": code, "Message": message}}, "GetSecretValue")


@pytest.mark.parametrize(
    ("exc", "message", "hint"),
    [
        (bce.NoCredentialsError(), "no AWS credentials found", "aws sso login --profile NAME"),
        (
            bce.ProfileNotFound(profile="work"),
            "the AWS profile 'work' is not configured",
            "aws configure list-profiles",
        ),
        (bce.NoRegionError(), "no AWS region is set", "AWS_REGION"),
        (
            client_error("ExpiredTokenException"),
            "your AWS credentials have expired",
            "aws sso login --profile work",
        ),
        (
            bce.UnauthorizedSSOTokenError(),
            "SSO session has expired",
            "aws sso login --profile work",
        ),
        (
            client_error("AccessDeniedException"),
            "access denied: AWS refused secretsmanager:GetSecretValue on secret app/prod",
            "Grant secretsmanager:GetSecretValue on secret app/prod",
        ),
        (
            client_error("UnrecognizedClientException"),
            "AWS rejected the credentials (UnrecognizedClientException)",
            "AWS_ACCESS_KEY_ID",
        ),
        (client_error("ThrottlingException"), "kept throttling", "AWS_MAX_ATTEMPTS"),
        (
            client_error("KMSAccessDeniedException", "no decrypt"),
            "KMS refused the key that encrypts secret app/prod during "
            "secretsmanager:GetSecretValue: AWS says: no decrypt",
            "kms:Decrypt",
        ),
        (
            client_error("KMSDisabledException", "key arn:aws:kms:...:key/1 is disabled"),
            "KMS key error during secretsmanager:GetSecretValue on secret app/prod "
            "(KMSDisabledException)",
            "is enabled",
        ),
        (client_error("InternalServiceError"), "AWS had an internal error", "Retry"),
        (
            bce.EndpointConnectionError(endpoint_url="https://x.example"),
            "cannot reach https://x.example for secretsmanager:GetSecretValue",
            "AWS_ENDPOINT_URL",
        ),
        (bce.ConnectTimeoutError(endpoint_url="https://x.example"), "cannot reach", "network"),
        (
            bce.ReadTimeoutError(endpoint_url="https://x.example"),
            "did not answer",
            "SECRETSYNC_READ_TIMEOUT",
        ),
        (
            # Not an authorisation error: AWS's own text (which may quote a value) stays out.
            client_error("SomethingNew", "details"),
            "AWS refused secretsmanager:GetSecretValue on secret app/prod (SomethingNew)",
            None,
        ),
    ],
)
def test_aws_failures_become_one_clear_message(
    exc: Exception, message: str, hint: str | None
) -> None:
    error = describe_aws_error(exc, "secretsmanager:GetSecretValue", "secret app/prod", "work")
    assert error is not None
    assert message in error.message
    assert error.exit_code == 2
    if hint is not None:
        assert hint in (error.hint or "")


def test_non_aws_exceptions_are_left_alone() -> None:
    assert describe_aws_error(ValueError("x"), "a", "b") is None


def test_no_region_is_refused_before_any_client_is_made() -> None:
    with pytest.raises(RemoteError, match="no AWS region is set"):
        AwsSession(None).client("ssm")


def test_unknown_profile_is_a_clear_error() -> None:
    with pytest.raises(RemoteError, match="the AWS profile 'nope' is not configured"):
        AwsSession("us-east-1", "nope").client("ssm")


def test_clients_are_reused_and_fit_a_git_hook() -> None:
    session = AwsSession("eu-west-1", environ={"SECRETSYNC_READ_TIMEOUT": "2.5"})
    client = session.client("secretsmanager")
    assert session.client("secretsmanager") is client
    config: Any = client.meta.config
    assert client.meta.region_name == "eu-west-1"
    assert (config.connect_timeout, config.read_timeout) == (3.0, 2.5)
    assert config.retries == {"mode": "standard", "total_max_attempts": 4}


@pytest.mark.parametrize("value", ["soon", "0", "-1"])
def test_bad_timeout_overrides_are_refused(value: str) -> None:
    with pytest.raises(RemoteError, match="SECRETSYNC_CONNECT_TIMEOUT"):
        AwsSession("eu-west-1", environ={"SECRETSYNC_CONNECT_TIMEOUT": value}).client("ssm")


def test_missing_credentials_against_a_real_endpoint(
    moto_server: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    session = AwsSession("us-east-1")
    with (
        pytest.raises(RemoteError, match="no AWS credentials found"),
        session.translate("ssm:GetParametersByPath", "x"),
    ):
        session.client("ssm").get_parameters_by_path(Path="/x")


def test_unreachable_endpoint_fails_fast_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # discard port: refused
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    session = AwsSession("us-east-1")
    with (
        pytest.raises(RemoteError, match=r"cannot reach http://127\.0\.0\.1:9"),
        session.translate("ssm:GetParametersByPath", "x"),
    ):
        session.client("ssm").get_parameters_by_path(Path="/x")


def test_get_backend_builds_the_configured_backend(project: Path) -> None:
    (project / ".secretsync.toml").write_text(
        '[backend]\ntype = "secrets_manager"\nregion = "us-east-1"\n'
        '[secrets_manager]\nsecret_name = "a/b"\n[parameter_store]\npath = "/a/b/"\n'
    )
    sm = get_backend(load_config(environ={}))
    assert (sm.kind, sm.target) == ("secrets_manager", "a/b")
    ps = get_backend(load_config(environ={"SECRETSYNC_BACKEND": "parameter_store"}))
    assert (ps.kind, ps.target) == ("parameter_store", "/a/b/")


def test_botocore_parameter_reports_are_never_repeated() -> None:
    report = "Invalid type for parameter Value, value: s3cr3t-canary-9Xq, type: <class 'int'>"
    error = describe_aws_error(
        bce.ParamValidationError(report=report), "ssm:PutParameter", "parameter /a/b"
    )
    assert error is not None
    assert "botocore refused the request parameters for ssm:PutParameter" in error.message
    assert "s3cr3t" not in str(error)
