"""``compare`` and ``promote`` through the CLI against a moto server, both backends, two
environments with overlapping keys; the prompt through the installed program in a terminal."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tests.helpers import Remote, in_a_terminal, program, run_in_process, write_config
from tests.json_contract import validated
from tests.moto_server import MotoServer
from tests.test_canary import leaks

STAGING = {"SHARED": "Sv1Qm8Xz4Lp", "API_TOKEN": "Tk7Wq2Hn5Rb", "NEW_FLAG": "Nf9Jd3Ks6Vc"}
PROD = {"SHARED": "Sv1Qm8Xz4Lp", "API_TOKEN": "Pt4Yx8Gm1Zw", "OLD_KEY": "Ok2Bv7Ct9Eh"}
ENVIRONMENTS = """
[environments.staging.secrets_manager]
secret_name = "myapp/staging"
[environments.staging.parameter_store]
path = "/myapp/staging/"
[environments.prod.secrets_manager]
secret_name = "myapp/prod"
[environments.prod.parameter_store]
path = "/myapp/prod/"
"""
NAMES = {
    "secrets_manager": {"staging": "myapp/staging", "prod": "myapp/prod"},
    "parameter_store": {"staging": "/myapp/staging/", "prod": "/myapp/prod/"},
}


class EnvRemote(Remote):
    """A Remote on another secret name or parameter path than the default one."""

    def __init__(self, kind: str, url: str, name: str) -> None:
        super().__init__(kind, url)
        self.name = name

    def values(self) -> dict[str, str]:
        if self.kind == "secrets_manager":
            try:
                response = self.client.get_secret_value(
                    SecretId=self.name, VersionStage="AWSCURRENT"
                )
            except self.client.exceptions.ResourceNotFoundException:
                return {}
            return dict(json.loads(response["SecretString"]))
        pages = self.client.get_paginator("get_parameters_by_path").paginate(
            Path=self.name, WithDecryption=True
        )
        return {
            p["Name"][len(self.name) :]: p["Value"] for page in pages for p in page["Parameters"]
        }

    def seed(self, values: dict[str, str]) -> None:
        if self.kind == "secrets_manager":
            self.client.create_secret(Name=self.name, SecretString=json.dumps(values))
        else:
            for key, value in values.items():
                self.client.put_parameter(Name=self.name + key, Value=value, Type="SecureString")


@pytest.fixture(params=["secrets_manager", "parameter_store"])
def remotes(
    request: pytest.FixtureRequest, project: Path, moto_server: MotoServer
) -> dict[str, EnvRemote]:
    kind = str(request.param)
    config = write_config(project, kind)
    config.write_text(config.read_text() + ENVIRONMENTS)
    found = {env: EnvRemote(kind, moto_server.url, name) for env, name in NAMES[kind].items()}
    found["staging"].seed(STAGING)
    found["prod"].seed(PROD)
    return found


def secretsync(project: Path, *args: str) -> tuple[int, str, str]:
    result = run_in_process(project, *args)
    return result.returncode, result.stdout, result.stderr


CANARIES = set(STAGING.values()) | set(PROD.values())


def test_compare_lists_keys_by_where_they_are_and_never_a_value(
    remotes: dict[str, EnvRemote], project: Path
) -> None:
    code, out, err = secretsync(project, "compare", "staging", "prod")
    assert code == 1, err
    assert re.search(r"^  NEW_FLAG +only in staging$", out, re.M)
    assert re.search(r"^  OLD_KEY +only in prod$", out, re.M)
    assert re.search(r"^  API_TOKEN +values differ$", out, re.M)
    assert "SHARED" not in out  # the same value: not listed
    assert "Key sets differ: 1 only in staging, 1 only in prod; 2 keys in both" in out
    assert leaks(out + err, CANARIES) == set()
    code, out, err = secretsync(project, "compare", "staging", "prod", "--format", "json")
    document = validated(out)
    assert (document["only_a"], document["only_b"]) == (["NEW_FLAG"], ["OLD_KEY"])
    assert (document["same"], document["different"]) == (["SHARED"], ["API_TOKEN"])
    assert document["key_sets_match"] is False and document["a"]["environment"] == "staging"
    assert leaks(out + err, CANARIES) == set()


def test_compare_exit_code_is_about_key_sets_unless_values(
    remotes: dict[str, EnvRemote], project: Path
) -> None:
    code, out, err = secretsync(
        project, "promote", "--from", "staging", "--to", "prod", "--missing"
    )
    assert code == 0, err
    remotes_prod = remotes["prod"].values()
    assert set(remotes_prod) >= set(STAGING)
    # OLD_KEY is only in prod: still drift
    assert secretsync(project, "compare", "staging", "prod")[0] == 1
    code, out, err = secretsync(project, "promote", "--from", "prod", "--to", "staging", "OLD_KEY")
    assert code == 0, err
    code, out, err = secretsync(project, "compare", "staging", "prod")
    assert code == 0, out  # the key sets match; API_TOKEN still differs
    assert "Key sets match" in out
    code, out, err = secretsync(project, "compare", "staging", "prod", "--values")
    assert code == 1 and "Values differ" in out
    assert leaks(out + err, CANARIES) == set()


def test_promote_named_keys_needs_force_to_overwrite(
    remotes: dict[str, EnvRemote], project: Path
) -> None:
    before = remotes["prod"].values()
    code, out, err = secretsync(
        project, "promote", "--from", "staging", "--to", "prod", "NEW_FLAG", "API_TOKEN"
    )
    assert code == 1
    assert "refused: promote would overwrite API_TOKEN in prod" in err
    assert (
        "`secretsync promote --from staging --to prod NEW_FLAG API_TOKEN --force` overwrites it"
    ) in err
    assert remotes["prod"].values() == before  # nothing was changed, not even NEW_FLAG
    code, out, err = secretsync(
        project, "promote", "--from", "staging", "--to", "prod", "NEW_FLAG", "API_TOKEN", "--force"
    )
    assert code == 0, err
    assert remotes["prod"].values() == {
        **PROD,
        "NEW_FLAG": STAGING["NEW_FLAG"],
        "API_TOKEN": STAGING["API_TOKEN"],
    }
    assert leaks(out + err, CANARIES) == set()


def test_promote_missing_adds_only_what_the_target_lacks(
    remotes: dict[str, EnvRemote], project: Path
) -> None:
    code, out, err = secretsync(
        project, "promote", "--from", "staging", "--to", "prod", "--missing", "--dry-run"
    )
    assert code == 0, err
    assert "Would promote" in out and "add        NEW_FLAG" in out
    assert remotes["prod"].values() == PROD
    code, out, err = secretsync(
        project, "promote", "--from", "staging", "--to", "prod", "--missing"
    )
    assert code == 0, err
    assert remotes["prod"].values() == {**PROD, "NEW_FLAG": STAGING["NEW_FLAG"]}
    code, out, err = secretsync(
        project, "promote", "--from", "staging", "--to", "prod", "--missing"
    )
    assert code == 0 and "nothing to promote" in out


def test_promote_into_a_new_environment_and_bad_requests(
    remotes: dict[str, EnvRemote], project: Path, moto_server: MotoServer
) -> None:
    kind = remotes["prod"].kind
    config = project / ".secretsync.toml"
    name = "myapp/qa" if kind == "secrets_manager" else "/myapp/qa/"
    table = "secrets_manager" if kind == "secrets_manager" else "parameter_store"
    field = "secret_name" if kind == "secrets_manager" else "path"
    config.write_text(config.read_text() + f'[environments.qa.{table}]\n{field} = "{name}"\n')
    state = sorted(Path(os.environ["XDG_STATE_HOME"]).rglob("*"))
    code, _, err = secretsync(project, "promote", "--from", "staging", "--to", "qa", "--missing")
    assert code == 0, err
    assert EnvRemote(kind, moto_server.url, name).values() == STAGING
    assert sorted(Path(os.environ["XDG_STATE_HOME"]).rglob("*")) == state  # no record touched
    assert not (project / ".env").exists()
    code, _, err = secretsync(project, "promote", "--from", "staging", "--to", "prod", "NOPE")
    assert code == 2 and "not in the source environment: NOPE" in err
    code, _, err = secretsync(project, "promote", "--from", "staging", "--to", "prod")
    assert code == 2 and "name the keys to promote, or pass --missing" in err
    code, _, err = secretsync(project, "compare", "staging", "nowhere")
    assert code == 2 and "no environment named 'nowhere'" in err


def test_compare_with_the_top_level_by_name(remotes: dict[str, EnvRemote], project: Path) -> None:
    code, _, err = secretsync(project, "compare", "default", "staging")
    assert code == 2  # the top-level remote does not exist yet
    assert "default: " in err and "does not exist" in err


def test_after_a_promote_the_targets_diff_shows_the_keys_as_added_in_aws(
    remotes: dict[str, EnvRemote], project: Path
) -> None:
    assert secretsync(project, "--env", "prod", "pull", "--force", "-q")[0] == 0
    code, _, err = secretsync(project, "promote", "--from", "staging", "--to", "prod", "--missing")
    assert code == 0, err
    code, out, _ = secretsync(project, "--env", "prod", "diff")
    assert code == 1
    assert re.search(r"NEW_FLAG +remote-added", out)


@pytest.mark.usefixtures("processes")
def test_promote_asks_at_a_terminal_before_overwriting(
    remotes: dict[str, EnvRemote], project: Path
) -> None:
    argv = [program(), "promote", "--from", "staging", "--to", "prod", "API_TOKEN"]
    code, output = in_a_terminal(project, argv, b"n\n", after=b"Overwrite")
    assert code == 1 and remotes["prod"].values() == PROD
    code, output = in_a_terminal(project, argv, b"y\n", after=b"Overwrite")
    assert code == 0, output
    assert remotes["prod"].values()["API_TOKEN"] == STAGING["API_TOKEN"]
    assert leaks(output, CANARIES) == set()
