"""``history`` through the CLI against a moto server, both backends."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import run_in_process, write_config
from tests.json_contract import validated
from tests.moto_server import MotoServer
from tests.test_canary import leaks

STEPS = [
    "API_TOKEN=Tk1Qx7Lm9Vb\nDB_PASSWORD=Db2Wy3Ft6Gj\n",
    "API_TOKEN=Tk1Qx7Lm9Vb\nDB_PASSWORD=Db2Wy3Ft6Gj\nNEW_FLAG=Nf3Jd8Ks5Vc\n",
    "API_TOKEN=Tk4Zp2Rn5Hd\nNEW_FLAG=Nf3Jd8Ks5Vc\n",
]
CANARIES = {"Tk1Qx7Lm9Vb", "Db2Wy3Ft6Gj", "Nf3Jd8Ks5Vc", "Tk4Zp2Rn5Hd"}


def secretsync(project: Path, *args: str) -> tuple[int, str]:
    result = run_in_process(project, *args)
    return result.returncode, result.stdout + result.stderr


@pytest.fixture(params=["secrets_manager", "parameter_store"])
def pushed(request: pytest.FixtureRequest, project: Path, moto_server: MotoServer) -> str:
    """Three pushes: create, add NEW_FLAG, change API_TOKEN and remove DB_PASSWORD."""
    kind = str(request.param)
    write_config(project, kind)
    for text in STEPS:
        (project / ".env").write_text(text)
        code, output = secretsync(project, "push", "--force", "--prune", "-q")
        assert code == 0, output
    return kind


def test_secret_versions_with_what_each_changed_masked(pushed: str, project: Path) -> None:
    if pushed != "secrets_manager":
        pytest.skip("versions of the whole secret belong to Secrets Manager")
    code, output = secretsync(project, "history")
    assert code == 0, output
    rows = [line.split(None, 4) for line in output.splitlines()[2:]]
    assert [row[3:] for row in rows] == [
        ["AWSCURRENT", "changed API_TOKEN; removed DB_PASSWORD"],
        ["AWSPREVIOUS", "added NEW_FLAG"],
        ["-", "added API_TOKEN, DB_PASSWORD"],
    ]
    assert leaks(output, CANARIES) == set()
    code, output = secretsync(project, "history", "API_TOKEN", "--limit", "2")
    assert code == 0
    assert "changed API_TOKEN" in output
    assert "(what it changed is not known: the version before it was not read" in output
    assert "added NEW_FLAG" not in output.split("not read")[0].splitlines()[-1]
    code, output = secretsync(project, "history", "--show-values")
    assert "API_TOKEN = Tk4Zp2Rn5Hd" in output


def test_history_json(pushed: str, project: Path) -> None:
    code, output = secretsync(project, "history", "--format", "json")
    assert code == 0, output
    document = validated(output)
    assert document["command"] == "history" and document["schema"] == 2
    assert leaks(output, CANARIES) == set()
    if pushed == "secrets_manager":
        newest = document["revisions"][0]
        assert (newest["changed"], newest["removed"]) == (["API_TOKEN"], ["DB_PASSWORD"])
        assert "values" not in newest
    else:
        by_key = {r["key"]: r["version"] for r in document["revisions"]}
        assert by_key == {"API_TOKEN": "2", "NEW_FLAG": "1"}  # DB_PASSWORD: deleted


def test_parameter_history(pushed: str, project: Path) -> None:
    if pushed != "parameter_store":
        pytest.skip("per-parameter history belongs to Parameter Store")
    code, output = secretsync(project, "history")
    assert code == 0, output
    assert output.splitlines()[0] == (
        "Last change of each parameter under parameter path /myapp/production/ (us-east-1), "
        "newest first:"
    )
    assert re.search(r"^  API_TOKEN +2 ", output, re.M)
    assert re.search(r"^  NEW_FLAG +1 ", output, re.M)
    code, output = secretsync(project, "history", "API_TOKEN")
    assert code == 0, output
    versions = re.findall(r"^  (\d) ", output, re.M)
    assert versions == ["2", "1"]
    assert leaks(output, CANARIES) == set()
    code, output = secretsync(project, "history", "API_TOKEN", "--show-values")
    assert "API_TOKEN = Tk4Zp2Rn5Hd" in output and "API_TOKEN = Tk1Qx7Lm9Vb" in output
    code, output = secretsync(project, "history", "DB_PASSWORD")
    assert code == 2
    assert "a deleted parameter keeps no history" in output
