"""Deploying by reference, against a moto server, both backends: ``export --format ecs``
(exact ARNs, accepted by ``register_task_definition``, the execution role's policy),
``external-secrets`` (valid under the CRD's rules), ``cloudformation`` (passing cfn-lint in a
Lambda template); keys that cannot be referenced refused; no value in any of it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from tests.helpers import (
    BACKENDS,
    PATH,
    SECRET,
    Remote,
    in_a_terminal,
    program,
    run_in_process,
    write_config,
)
from tests.moto_server import MotoServer
from tests.test_canary import leaks

VALUES = {"API_TOKEN": "Tk4Mm8Qq2Zz", "DATABASE_URL": "postgres://u:Pw5Nn7@db/app", "PORT": "80"}
CRD = Draft202012Validator(
    json.loads((Path(__file__).parent / "schemas" / "externalsecret.schema.json").read_text())
)


def secretsync(project: Path, *args: str) -> tuple[int, str, str]:
    result = run_in_process(project, *args)
    return result.returncode, result.stdout, result.stderr


def client(service: str, url: str) -> Any:
    return boto3.client(
        service,  # type: ignore[call-overload]
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(params=BACKENDS)
def remote(request: pytest.FixtureRequest, project: Path, moto_server: MotoServer) -> Remote:
    kind = str(request.param)
    write_config(project, kind)
    remote = Remote(kind, moto_server.url)
    remote.seed(VALUES)
    return remote


def arns(remote: Remote, url: str) -> dict[str, str]:
    """Each key's ARN as AWS reports it (for Secrets Manager, the secret's, suffix and all)."""
    if remote.kind == "secrets_manager":
        arn = client("secretsmanager", url).describe_secret(SecretId=SECRET)["ARN"]
        return dict.fromkeys(VALUES, arn)
    pages = client("ssm", url).get_paginator("get_parameters_by_path").paginate(Path=PATH)
    return {p["Name"][len(PATH) :]: p["ARN"] for page in pages for p in page["Parameters"]}


def test_ecs_secrets_name_each_value_by_its_exact_arn(
    remote: Remote, project: Path, moto_server: MotoServer
) -> None:
    code, out, err = secretsync(project, "export", "--format", "ecs")
    assert code == 0, err
    secrets = json.loads(out)
    reported = arns(remote, moto_server.url)
    if remote.kind == "secrets_manager":
        assert reported["PORT"].split(":secret:")[1].startswith(SECRET + "-")  # the suffix
        expected = [{"name": k, "valueFrom": f"{reported[k]}:{k}::"} for k in VALUES]
    else:
        expected = [{"name": k, "valueFrom": reported[k]} for k in VALUES]
    assert sorted(secrets, key=lambda s: s["name"]) == sorted(expected, key=lambda s: s["name"])
    # ECS takes the array as a container definition's secrets.
    ecs = client("ecs", moto_server.url)
    registered = ecs.register_task_definition(
        family="app",
        executionRoleArn="arn:aws:iam::123456789012:role/app-execution",
        containerDefinitions=[{"name": "app", "image": "app:1", "memory": 256, "secrets": secrets}],
    )["taskDefinition"]
    assert registered["containerDefinitions"][0]["secrets"] == secrets
    assert leaks(out + err, VALUES.values()) == set()


def test_ecs_with_the_policy_its_execution_role_needs(
    project: Path, moto_server: MotoServer
) -> None:
    write_config(project, "secrets_manager")
    key = client("kms", moto_server.url).create_key()["KeyMetadata"]["Arn"]
    client("secretsmanager", moto_server.url).create_secret(
        Name=SECRET, SecretString=json.dumps(VALUES), KmsKeyId=key
    )
    code, out, err = secretsync(project, "export", "--format", "ecs", "--policy-file", "p.json")
    assert code == 0, err
    policy = json.loads((project / "p.json").read_text())
    secret_arn = json.loads(out)[0]["valueFrom"].rsplit(":", 3)[0]
    assert policy == {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret_arn},
            {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": [key]},
        ],
    }
    code, out, err = secretsync(project, "export", "--format", "ecs", "--with-policy")
    assert code == 0 and "the task execution role needs this policy:" in err
    assert json.loads(err.split("policy:\n", 1)[1]) == policy


def test_ecs_policy_for_parameters_lists_them_and_no_key_for_the_default_one(
    project: Path, moto_server: MotoServer
) -> None:
    write_config(project, "parameter_store")
    Remote("parameter_store", moto_server.url).seed(VALUES)  # SecureString, aws/ssm's key
    code, _, err = secretsync(project, "export", "--format", "ecs", "--with-policy")
    assert code == 0, err
    (statement,) = json.loads(err.split("policy:\n", 1)[1])["Statement"]
    assert statement["Action"] == "ssm:GetParameters"
    assert sorted(statement["Resource"]) == sorted(
        arns(Remote("parameter_store"), moto_server.url).values()
    )


@pytest.mark.parametrize("version", ["v1", "v1beta1"])
def test_an_external_secret_valid_under_the_crds_rules(
    remote: Remote, project: Path, version: str
) -> None:
    code, out, err = secretsync(
        project,
        "export",
        "--format",
        "external-secrets",
        "--store",
        "aws",
        "--api-version",
        version,
    )
    assert code == 0, err
    manifest = yaml.safe_load(out)
    assert list(CRD.iter_errors(manifest)) == []
    assert manifest["apiVersion"] == f"external-secrets.io/{version}"
    assert manifest["metadata"]["name"] == manifest["spec"]["target"]["name"] == "myapp-production"
    assert manifest["spec"]["secretStoreRef"] == {"name": "aws", "kind": "SecretStore"}
    refs = {item["secretKey"]: item["remoteRef"] for item in manifest["spec"]["data"]}
    if remote.kind == "secrets_manager":
        assert refs == {k: {"key": SECRET, "property": k} for k in VALUES}
    else:
        assert refs == {k: {"key": PATH + k} for k in VALUES}
    assert leaks(out + err, VALUES.values()) == set()


def test_external_secret_names_and_keys_that_kubernetes_refuses(
    project: Path, moto_server: MotoServer
) -> None:
    write_config(project, "secrets_manager")
    Remote("secrets_manager", moto_server.url).seed({**VALUES, "my key": "Sp4Ce9Kk"})
    args = ["export", "--format", "external-secrets", "--store", "aws"]
    code, _, err = secretsync(project, *args)
    assert code == 2
    assert "cannot reference 1 key: my key: not a Kubernetes secret key" in err
    code, out, _ = secretsync(
        project, *args, "--keys", "PORT", "--name", "web.prod", "--store-kind", "ClusterSecretStore"
    )
    assert code == 0
    manifest = yaml.safe_load(out)
    assert list(CRD.iter_errors(manifest)) == []
    assert manifest["spec"]["secretStoreRef"]["kind"] == "ClusterSecretStore"
    for bad in (["--name", "Web_Prod"], ["--store", "AWS"], ["--name", "a" * 254]):
        code, _, err = secretsync(project, *args, "--keys", "PORT", *bad)
        assert code == 2 and "is not a Kubernetes object name" in err, bad
    code, _, err = secretsync(project, "export", "--format", "external-secrets")
    assert code == 2 and "needs --store NAME" in err


LAMBDA = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Function:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: arn:aws:iam::123456789012:role/app
      Code:
        ZipFile: "def handler(event, context): return None"
      Environment:
        Variables:
{variables}
"""


def cfn_lint(template: str) -> list[str]:
    from cfnlint.api import ManualArgs, lint  # type: ignore[import-untyped]

    return [str(match) for match in lint(template, config=ManualArgs(regions=["us-east-1"]))]


def test_cloudformation_references_pass_cfn_lint_in_a_lambda_template(
    project: Path, moto_server: MotoServer
) -> None:
    write_config(project, "secrets_manager")
    Remote("secrets_manager", moto_server.url).seed(VALUES)
    code, out, err = secretsync(project, "export", "--format", "cloudformation")
    assert code == 0, err
    assert yaml.safe_load(out) == {
        k: f"{{{{resolve:secretsmanager:{SECRET}:SecretString:{k}}}}}" for k in VALUES
    }
    variables = "".join(f"          {line}\n" for line in out.splitlines())
    assert cfn_lint(LAMBDA.format(variables=variables.rstrip("\n"))) == []
    # The control: a SecureString reference there is what cfn-lint refuses.
    secure = "          PORT: '{{resolve:ssm-secure:/myapp/production/PORT}}'"
    assert any("E1027" in match for match in cfn_lint(LAMBDA.format(variables=secure)))


def test_cloudformation_takes_string_parameters_and_refuses_secure_ones(
    project: Path, moto_server: MotoServer
) -> None:
    write_config(project, "parameter_store")
    ssm = client("ssm", moto_server.url)
    ssm.put_parameter(Name=PATH + "LOG_LEVEL", Value="info", Type="String")
    ssm.put_parameter(Name=PATH + "API_TOKEN", Value=VALUES["API_TOKEN"], Type="SecureString")
    code, out, err = secretsync(
        project, "export", "--format", "cloudformation", "--keys", "LOG_LEVEL"
    )
    assert code == 0, err
    assert out == f"\"LOG_LEVEL\": '{{{{resolve:ssm:{PATH}LOG_LEVEL}}}}'\n"
    variables = "".join(f"          {line}\n" for line in out.splitlines())
    assert cfn_lint(LAMBDA.format(variables=variables.rstrip("\n"))) == []
    code, out, err = secretsync(project, "export", "--format", "cloudformation")
    assert code == 2 and out == ""
    assert "cannot reference API_TOKEN: SecureString parameters" in err
    assert "(cfn-lint E1027)" in err and "--format ecs" in err


def test_cloudformation_refuses_names_lambda_refuses(
    project: Path, moto_server: MotoServer
) -> None:
    write_config(project, "secrets_manager")
    Remote("secrets_manager", moto_server.url).seed({"A": "x", "AWS_REGION": "y", "OK_1": "z"})
    code, _, err = secretsync(project, "export", "--format", "cloudformation")
    assert code == 2
    assert "A: not a Lambda variable name" in err
    assert "AWS_REGION: set by the Lambda runtime" in err


def test_what_runs_is_left_out_unless_named(project: Path, moto_server: MotoServer) -> None:
    write_config(project, "secrets_manager")
    Remote("secrets_manager", moto_server.url).seed({**VALUES, "LD_PRELOAD": "/x.so"})
    code, out, err = secretsync(project, "export", "--format", "ecs")
    assert code == 0 and "LD_PRELOAD" not in out and "left out LD_PRELOAD" in err
    code, out, _ = secretsync(project, "export", "--format", "ecs", "--allow-env", "LD_PRELOAD")
    assert "LD_PRELOAD" in out


def test_references_refuse_what_does_not_apply(remote: Remote, project: Path) -> None:
    for args, said in (
        (["--format", "ecs", "--source", "local"], "--source local does not apply"),
        (["--format", "dotenv", "--store", "aws"], "only with --format external-secrets"),
        (["--format", "cloudformation", "--with-policy"], "only with --format ecs"),
        (["--format", "ecs", "--keys", "NOPE"], "not there: NOPE"),
        (["--format", "ecs", "--output", ".env"], "is the .env file"),
    ):
        code, _, err = secretsync(project, "export", *args)
        assert code == 2, args
        assert said in err, (args, err)


def test_a_missing_remote_has_nothing_to_reference(project: Path, moto_server: MotoServer) -> None:
    write_config(project, "parameter_store")
    code, _, err = secretsync(project, "export", "--format", "ecs")
    assert code == 2 and "does not exist in us-east-1: nothing to reference" in err


def test_references_go_to_a_file_for_git_and_to_a_terminal(
    remote: Remote, project: Path, processes: None
) -> None:
    code, _, err = secretsync(project, "export", "--format", "ecs", "--output", "secrets.json")
    assert code == 0, err
    assert "wrote 3 references to secrets.json (ecs)" in err
    assert (project / "secrets.json").stat().st_mode & 0o777 == 0o644
    assert leaks((project / "secrets.json").read_text(), VALUES.values()) == set()
    # No --show-values needed on a terminal: there is no value to show.
    code, output = in_a_terminal(
        project,
        [
            program(),
            "export",
            "--format",
            "cloudformation" if remote.kind == "secrets_manager" else "ecs",
        ],
        b"",
        after=b"\x00",
    )
    assert code == 0, output
    assert "resolve:" in output or "valueFrom" in output
    assert leaks(output, VALUES.values()) == set()


# -- found by attacking the formats -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("myapp/production", "myapp-production"),
        ("/myapp/production/", "myapp-production"),
        ("My_App/Prod.v2", "my-app-prod.v2"),
        ("web.-.prod", "web.prod"),
        ("a._.b", "a.b"),
        ("arn:aws:secretsmanager:us-east-1:123456789012:secret:kid-secret-AbCdEf", "kid-secret"),
        ("___", "secretsync"),
        ("x" * 300, "x" * 253),
    ],
)
def test_a_derived_name_is_always_a_dns_1123_name(name: str, expected: str) -> None:
    from secretsync_hooks.use.references import DNS_1123, dns_name

    made = dns_name(name)
    assert made == expected
    assert DNS_1123.fullmatch(made) and len(made) <= 253


def test_keys_kubernetes_cannot_hold_are_refused(project: Path, moto_server: MotoServer) -> None:
    write_config(project, "secrets_manager")
    Remote("secrets_manager", moto_server.url).seed({"OK": "1", ".": "2", "K" * 300: "3"})
    code, _, err = secretsync(project, "export", "--format", "external-secrets", "--store", "s")
    assert code == 2 and "cannot reference 2 keys" in err


def test_cloudformation_keys_yaml_would_read_as_booleans_stay_names(
    project: Path, moto_server: MotoServer
) -> None:
    write_config(project, "secrets_manager")
    Remote("secrets_manager", moto_server.url).seed({"ON": "a", "NO": "b", "NULL": "c"})
    code, out, err = secretsync(project, "export", "--format", "cloudformation")
    assert code == 0, err
    assert set(yaml.safe_load(out)) == {"ON", "NO", "NULL"}
    variables = "".join(f"          {line}\n" for line in out.splitlines())
    assert cfn_lint(LAMBDA.format(variables=variables.rstrip("\n"))) == []


def test_a_bad_policy_file_is_refused_before_anything_is_written(
    project: Path, moto_server: MotoServer
) -> None:
    write_config(project, "secrets_manager")
    Remote("secrets_manager", moto_server.url).seed(VALUES)
    base = ["export", "--format", "ecs", "--output", "s.json"]
    for bad in (".git/p.json", "no/such/dir/p.json", "s.json"):
        code, _, err = secretsync(project, *base, "--policy-file", bad)
        assert code == 2, bad
        assert not (project / "s.json").exists(), bad
    code, _, err = secretsync(project, "export", "--format", "external-secrets", "--store", "AWS")
    assert code == 2 and "is not a Kubernetes object name" in err


def test_a_policy_for_many_parameters_grants_the_path(
    project: Path, moto_server: MotoServer
) -> None:
    write_config(project, "parameter_store")
    Remote("parameter_store", moto_server.url).seed({f"KEY_{i:03}": "v" for i in range(120)})
    code, _, err = secretsync(project, "export", "--format", "ecs", "--with-policy")
    assert code == 0, err
    policy = json.loads(err.split("policy:\n", 1)[1].split("\nsecretsync:", 1)[0])
    (statement,) = policy["Statement"]
    assert statement["Resource"].endswith(":parameter/myapp/production/*")
    assert len(json.dumps(policy, separators=(",", ":"))) <= 6144
    assert "120 parameter ARNs would make the policy longer than IAM's 6144 characters" in err


def test_a_policy_with_no_key_is_refused(project: Path, moto_server: MotoServer) -> None:
    write_config(project, "parameter_store")
    Remote("parameter_store", moto_server.url).seed({"PATH": "/bin"})
    code, _, err = secretsync(project, "export", "--format", "ecs", "--with-policy")
    assert code == 2 and "no key to reference, so no policy" in err


@pytest.mark.parametrize("kind", BACKENDS)
def test_a_key_named_by_its_alias_is_granted_by_its_own_arn(
    project: Path, moto_server: MotoServer, kind: str
) -> None:
    write_config(project, kind)
    kms = client("kms", moto_server.url)
    key = kms.create_key()["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/app", TargetKeyId=key)
    if kind == "secrets_manager":
        client("secretsmanager", moto_server.url).create_secret(
            Name=SECRET, SecretString=json.dumps(VALUES), KmsKeyId="alias/app"
        )
    else:
        client("ssm", moto_server.url).put_parameter(
            Name=PATH + "API_TOKEN", Value="Tk4Mm8Qq2Zz", Type="SecureString", KeyId="alias/app"
        )
    code, _, err = secretsync(project, "export", "--format", "ecs", "--with-policy")
    assert code == 0, err
    statements = json.loads(err.split("policy:\n", 1)[1])["Statement"]
    assert statements[-1] == {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": [key]}


def test_the_root_path_policy(project: Path, moto_server: MotoServer) -> None:
    config = write_config(project, "parameter_store")
    config.write_text(config.read_text().replace(f'path = "{PATH}"', 'path = "/"'))
    client("ssm", moto_server.url).put_parameter(Name="/ROOTKEY", Value="v", Type="SecureString")
    code, out, err = secretsync(project, "export", "--format", "ecs", "--with-policy")
    assert code == 0, err
    assert json.loads(out)[0]["valueFrom"].endswith(":parameter/ROOTKEY")
