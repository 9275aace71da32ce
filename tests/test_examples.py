from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from secretsync_hooks.config.settings import Overrides, load_config

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
CONFIGS = sorted(EXAMPLES.glob("*.secretsync.toml"))
POLICIES = sorted((EXAMPLES / "iam").glob("*.json"))
README = (ROOT / "README.md").read_text()
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
# Links from the docs to files outside docs/ are absolute: mkdocs cannot resolve them.
REPOSITORY = "https://github.com/secretsync/secretsync-hooks/"
MANIFEST = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())


def test_there_are_examples_for_each_backend_and_environments() -> None:
    names = {path.name for path in CONFIGS}
    assert {
        "secrets-manager.secretsync.toml",
        "parameter-store.secretsync.toml",
        "environments.secretsync.toml",
    } <= names


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_example_config_loads_cleanly_in_every_environment(path: Path) -> None:
    config = load_config(Overrides(config=path), environ={})
    assert config.warnings == ()
    for name in config.environments:
        env_config = load_config(Overrides(config=path, environment=name), environ={})
        assert env_config.environment == name
        assert env_config.warnings == ()


def test_manifest_is_valid_and_shaped_as_documented() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "validate-manifest",
            str(ROOT / ".pre-commit-hooks.yaml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    hooks = {hook["id"]: hook for hook in MANIFEST}
    assert set(hooks) == {
        "secretsync-check",
        "secretsync-check-push",
        "secretsync-forbid-env",
        "secretsync-scan",
        "secretsync-example",
    }
    for hook in MANIFEST:
        assert hook["language"] == "python"
        assert hook["minimum_pre_commit_version"] == "3.2.0"
        assert hook["description"]
    for hook_id in ("secretsync-check", "secretsync-check-push", "secretsync-example"):
        assert hooks[hook_id]["always_run"] is True
        assert hooks[hook_id]["pass_filenames"] is False
    for hook_id in ("secretsync-check", "secretsync-check-push"):
        assert hooks[hook_id]["pass_filenames"] is False
        assert hooks[hook_id]["require_serial"] is True
    assert hooks["secretsync-check"]["stages"] == ["pre-commit"]
    assert hooks["secretsync-check-push"]["stages"] == ["pre-push"]
    # the leak guard reads the staged files it is given; no AWS call, so no serial run needed
    scan = hooks["secretsync-scan"]
    assert scan["stages"] == ["pre-commit"]
    assert scan.get("pass_filenames", True) is True and not scan.get("require_serial")
    assert not scan.get("always_run")


def test_example_pre_commit_config_is_valid_and_uses_every_hook() -> None:
    path = EXAMPLES / ".pre-commit-config.yaml"
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    config = yaml.safe_load(path.read_text())
    assert config["default_install_hook_types"] == ["pre-commit", "pre-push"]
    used = {hook["id"] for repo in config["repos"] for hook in repo["hooks"]}
    assert used == {hook["id"] for hook in MANIFEST}
    assert any("args" in hook for repo in config["repos"] for hook in repo["hooks"])


@pytest.mark.parametrize("hook_id", [hook["id"] for hook in MANIFEST])
def test_every_hook_is_documented_in_the_readme_and_the_hooks_guide(hook_id: str) -> None:
    assert f"`{hook_id}`" in README
    assert f"`{hook_id}`" in (DOCS / "guide" / "hooks.md").read_text()


@pytest.mark.parametrize("name", ["github-actions-drift-check.yml", "github-actions-export.yml"])
def test_workflow_examples_pin_actions_and_use_oidc(name: str) -> None:
    text = (EXAMPLES / name).read_text()
    workflow = yaml.safe_load(text)
    uses = re.findall(r"uses:\s*(\S+)", text)
    assert "aws-actions/configure-aws-credentials" in " ".join(uses)
    assert "secretsync/secretsync-hooks" in " ".join(uses)  # the action at the top level
    for action in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", action), action
    assert workflow["permissions"] == {"contents": "read", "id-token": "write"}
    assert f"({REPOSITORY}blob/main/examples/{name})" in (DOCS / "guide" / "ci.md").read_text()


def test_drift_check_example_keeps_a_report() -> None:
    text = (EXAMPLES / "github-actions-drift-check.yml").read_text()
    assert "command: diff --keys-only --format json" in text
    assert "env-file: .env.example" in text
    assert "upload-artifact" in text


def test_the_action_inputs_are_documented() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    guide = (DOCS / "guide" / "ci.md").read_text()
    for name in action["inputs"]:
        assert f"{name}:" in guide, name
    assert "`exit-code`" in guide and set(action["outputs"]) == {"exit-code"}


def test_project_workflow_pins_actions_and_reads_only() -> None:
    text = (ROOT / ".github" / "workflows" / "ci.yml").read_text()
    for action in re.findall(r"uses:\s*(\S+)", text):
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", action), action
    assert yaml.safe_load(text)["permissions"] == {"contents": "read"}


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.name)
def test_iam_policies_are_valid_and_every_action_is_explained(path: Path) -> None:
    policy = json.loads(path.read_text())
    assert policy["Version"] == "2012-10-17"
    actions = [a for statement in policy["Statement"] for a in statement["Action"]]
    assert actions
    explained = (DOCS / "reference" / "iam.md").read_text()
    for action in actions:
        assert f"`{action}`" in explained, f"docs/reference/iam.md does not explain {action}"
    if path.name.endswith("-read.json"):
        assert not any(
            a.split(":")[1].startswith(("Put", "Create", "Delete", "Update")) for a in actions
        )


def test_no_example_suggests_showing_url_values() -> None:
    # URLs usually carry passwords: *_URL in plain_keys would print them.
    for path in [*CONFIGS, ROOT / "README.md", *PAGES]:
        assert '"*_URL"' not in path.read_text(), path


# The AWS actions secretsync calls, by backend and by what the policy is for (from the code:
# every `translate("ACTION", ...)`). A policy missing one breaks a command under it.
USED = {
    "secrets-manager": {
        "read": {
            "secretsmanager:GetSecretValue",
            "secretsmanager:DescribeSecret",
            "secretsmanager:ListSecretVersionIds",
        },
        "write": {
            "secretsmanager:GetSecretValue",
            "secretsmanager:DescribeSecret",
            "secretsmanager:PutSecretValue",
            "secretsmanager:UpdateSecretVersionStage",
            "secretsmanager:CreateSecret",
            "secretsmanager:TagResource",
            "secretsmanager:ListSecretVersionIds",
        },
    },
    "parameter-store": {
        "read": {"ssm:GetParametersByPath", "ssm:DescribeParameters", "ssm:GetParameterHistory"},
        "write": {
            "ssm:GetParametersByPath",
            "ssm:DescribeParameters",
            "ssm:GetParameters",
            "ssm:GetParameter",
            "ssm:PutParameter",
            "ssm:AddTagsToResource",
            "ssm:DeleteParameters",
            "ssm:GetParameterHistory",
        },
    },
}


def _grants(policy: dict[str, object]) -> dict[str, set[str]]:
    """action -> the resources it is granted on."""
    grants: dict[str, set[str]] = {}
    for statement in policy["Statement"]:  # type: ignore[attr-defined]
        resources = statement["Resource"]
        for action in statement["Action"]:
            grants.setdefault(action, set()).update(
                [resources] if isinstance(resources, str) else resources
            )
    return grants


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.name)
def test_iam_policies_grant_every_action_secretsync_calls(path: Path) -> None:
    backend, purpose = path.stem.rsplit("-", 1)
    grants = _grants(json.loads(path.read_text()))
    assert USED[backend][purpose] <= set(grants), USED[backend][purpose] - set(grants)


@pytest.mark.parametrize("purpose", ["read", "write"])
def test_secrets_manager_policies_cover_a_secret_that_does_not_exist_yet(purpose: str) -> None:
    # IAM evaluates the bare name (secret:NAME) for a secret that does not exist yet, and
    # NAME-?????? (the random suffix) once it does: the first read and the first push need
    # both, or AWS answers AccessDenied where it means "not found".
    grants = _grants(json.loads((EXAMPLES / "iam" / f"secrets-manager-{purpose}.json").read_text()))
    name = "arn:aws:secretsmanager:us-east-1:123456789012:secret:myapp/production"
    for action in ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"):
        assert {name, name + "-??????"} <= grants[action]
    if purpose == "write":
        assert name in grants["secretsmanager:CreateSecret"]
        assert name + "-??????" in grants["secretsmanager:PutSecretValue"]


def test_the_readme_and_the_docs_give_installs_and_versions_that_exist() -> None:
    from secretsync_hooks.render.documents import SCHEMAS

    assert "pip install secretsync-hooks" not in README  # not on PyPI
    assert "not on PyPI yet" in README
    json_page = (DOCS / "reference" / "json.md").read_text()
    example = json_page.split("```json\n", 1)[1].split("```", 1)[0]
    document = json.loads(example)
    assert document["schema"] == SCHEMAS[document["command"]]
    pages = [path.read_text() for path in PAGES]
    for text in (README, *pages, (EXAMPLES / ".pre-commit-config.yaml").read_text()):
        assert "rev: v0.1.0" not in text  # no such tag
        assert "v0.1.0" not in text
        assert "pip install secretsync-hooks" not in text
