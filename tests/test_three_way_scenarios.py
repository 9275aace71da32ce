"""Every pair of (local change) x (remote change) since the last sync, on both backends,
through the CLI against a real moto server: the state shown, what push and pull do without
and with --force, and that nothing either side changed is lost."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from secretsync_hooks.cli.main import cli
from secretsync_hooks.local.env_file import EnvFile
from tests.helpers import BACKENDS, Remote, write_config
from tests.json_contract import validated
from tests.moto_server import MotoServer

CHANGES = ("none", "modified", "added", "deleted")
START = {"K": "base", "KEEP": "keep"}

# (local change, remote change) -> {key: (state, detail)} for the keys that differ.
EXPECTED: dict[tuple[str, str], dict[str, tuple[str, str | None]]] = {
    ("none", "none"): {},
    ("none", "modified"): {"K": ("remote_modified", None)},
    ("none", "added"): {"N": ("remote_added", None)},
    ("none", "deleted"): {"K": ("remote_deleted", None)},
    ("modified", "none"): {"K": ("local_modified", None)},
    ("modified", "modified"): {"K": ("conflict", "both_modified")},
    ("modified", "added"): {"K": ("local_modified", None), "N": ("remote_added", None)},
    ("modified", "deleted"): {"K": ("conflict", "local_modified_remote_deleted")},
    ("added", "none"): {"N": ("local_added", None)},
    ("added", "modified"): {"N": ("local_added", None), "K": ("remote_modified", None)},
    ("added", "added"): {"N": ("conflict", "both_added")},
    ("added", "deleted"): {"N": ("local_added", None), "K": ("remote_deleted", None)},
    ("deleted", "none"): {"K": ("local_deleted", None)},
    ("deleted", "modified"): {"K": ("conflict", "local_deleted_remote_modified")},
    ("deleted", "added"): {"K": ("local_deleted", None), "N": ("remote_added", None)},
    ("deleted", "deleted"): {},
}


def change(values: dict[str, str], how: str, side: str) -> dict[str, str]:
    out = dict(values)
    if how == "modified":
        out["K"] = f"{side}-value"
    elif how == "added":
        out["N"] = f"{side}-new"
    elif how == "deleted":
        del out["K"]
    return out


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


class Scenario:
    def __init__(self, kind: str, project: Path, server: MotoServer, local: str, remote: str):
        self.remote = Remote(kind, server.url)
        self.env = project / ".env"
        write_config(project, kind)
        self.env.write_text("".join(f"{k}={v}\n" for k, v in START.items()))
        assert run("push").exit_code == 0  # the first sync records the base
        self.local_values = change(START, local, "local")
        self.remote_values = change(START, remote, "remote")
        self.env.write_text("".join(f"{k}={v}\n" for k, v in self.local_values.items()))
        if remote == "modified":
            self.remote.set("K", "remote-value")
        elif remote == "added":
            self.remote.set("N", "remote-new")
        elif remote == "deleted":
            self.remote.delete("K")
        assert self.remote.values() == self.remote_values
        self.conflicts = {k for k, (s, _) in EXPECTED[(local, remote)].items() if s == "conflict"}
        # What both sides hold once everything is synced: every one-sided change kept.
        self.merged = dict(START)
        for key in set(START) | set(self.local_values) | set(self.remote_values):
            if key in self.conflicts:
                continue
            base = START.get(key)
            mine, theirs = self.local_values.get(key), self.remote_values.get(key)
            final = mine if mine != base else theirs
            if final is None:
                self.merged.pop(key, None)
            else:
                self.merged[key] = final

    def local(self) -> dict[str, str]:
        return EnvFile.load(self.env).values()

    def unchanged(self) -> None:
        assert self.local() == self.local_values
        assert self.remote.values() == self.remote_values


PAIRS = list(itertools.product(CHANGES, CHANGES))


@pytest.mark.parametrize("kind", BACKENDS)
@pytest.mark.parametrize(("local", "remote"), PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_scenario(
    kind: str, local: str, remote: str, project: Path, moto_server: MotoServer
) -> None:
    scenario = Scenario(kind, project, moto_server, local, remote)
    expected = EXPECTED[(local, remote)]

    diff = run("diff", "--format", "json")
    document = validated(diff.stdout)
    assert document["three_way"] is True
    assert document["base"] is not None
    shown = {
        e["key"]: (e["state"], e.get("detail"))
        for e in document["entries"]
        if e["state"] != "unchanged"
    }
    assert shown == expected
    assert diff.exit_code == (1 if expected else 0)

    if scenario.conflicts:
        for command in ("push", "pull"):
            refused = run(command, "--prune")
            assert refused.exit_code == 1
            assert "conflict" in refused.stderr
            assert sorted(scenario.conflicts)[0] in refused.stderr
            scenario.unchanged()
        return

    pushed = run("push", "--prune")
    assert pushed.exit_code == 0, pushed.stderr
    assert scenario.local() == scenario.local_values  # push never touches the file
    pulled = run("pull")
    assert pulled.exit_code == 0, pulled.stderr
    assert scenario.local() == scenario.merged
    assert scenario.remote.values() == scenario.merged
    assert run("diff").exit_code == 0


CONFLICTS = [pair for pair in PAIRS if any(s == "conflict" for s, _ in EXPECTED[pair].values())]


@pytest.mark.parametrize("kind", BACKENDS)
@pytest.mark.parametrize("direction", ["push", "pull"])
@pytest.mark.parametrize(("local", "remote"), CONFLICTS, ids=[f"{a}-{b}" for a, b in CONFLICTS])
def test_force_resolves_conflicts_in_the_commands_direction(
    kind: str, direction: str, local: str, remote: str, project: Path, moto_server: MotoServer
) -> None:
    scenario = Scenario(kind, project, moto_server, local, remote)
    winner = scenario.local_values if direction == "push" else scenario.remote_values
    dry = run(direction, "--force", "--prune", "--dry-run")
    assert dry.exit_code == 0
    scenario.unchanged()
    forced = run(direction, "--force", "--prune")
    assert forced.exit_code == 0, forced.stderr
    for key in scenario.conflicts:
        assert scenario.local().get(key) == winner.get(key)
        assert scenario.remote.values().get(key) == winner.get(key)
    # The other direction then completes the sync without --force, losing nothing else.
    other = "pull" if direction == "push" else "push"
    assert run(other, "--prune").exit_code == 0
    assert scenario.local() == scenario.remote.values()
    for key, value in scenario.merged.items():
        if key not in scenario.conflicts:
            assert scenario.local()[key] == value
    assert run("diff").exit_code == 0
