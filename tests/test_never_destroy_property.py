"""Property: whatever happens to either side, no push deletes or overwrites a remote value
unless it had --force, --prune (deletions), or the key was changed locally since the last
sync of that very pairing (.env file and region).

Random sequences of local edits, remote edits, a lost or emptied .env, switches of
``--env-file`` and ``--region`` and push / pull / diff run through the CLI against in-process
moto; an independent model of "what both sides last agreed on, per pairing" judges every
change the tool made to the remote.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from secretsync_hooks.cli.main import cli
from secretsync_hooks.local.env_file import EnvFile
from tests.helpers import BACKENDS, Remote, examples, write_config

KEYS = ("A", "B", "C", "D")
FILES = (".env", ".env.other")
REGIONS = ("us-east-1", "eu-west-1")
VALUE = st.sampled_from(("v1", "v2", "v3"))

Step = tuple[str, ...]
steps = st.one_of(
    st.tuples(st.just("local"), st.sampled_from(FILES), st.sampled_from(KEYS), VALUE),
    st.tuples(st.just("local_delete"), st.sampled_from(FILES), st.sampled_from(KEYS)),
    st.tuples(st.just("lose"), st.sampled_from(FILES), st.sampled_from(("delete", "empty"))),
    st.tuples(st.just("remote"), st.sampled_from(REGIONS), st.sampled_from(KEYS), VALUE),
    st.tuples(st.just("remote_delete"), st.sampled_from(REGIONS), st.sampled_from(KEYS)),
    st.tuples(
        st.just("run"),
        st.sampled_from(("push", "pull", "diff")),
        st.sampled_from(FILES),
        st.sampled_from(REGIONS),
        st.sampled_from(("", "--force", "--prune", "--prune --force")),
    ),
)


@dataclass
class World:
    root: Path
    kind: str
    remotes: dict[str, Remote]
    # (env file, region) -> key -> the value both sides last agreed on
    agreed: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)

    def local(self, name: str) -> dict[str, str] | None:
        path = self.root / name
        return EnvFile.load(path).values() if path.exists() else None

    def write_local(self, name: str, values: dict[str, str]) -> None:
        (self.root / name).write_text("".join(f"{k}={v}\n" for k, v in values.items()))


@contextlib.contextmanager
def world(kind: str) -> Iterator[World]:
    with tempfile.TemporaryDirectory() as tmp, mock_aws():
        root = Path(tmp)
        (root / ".git").mkdir()
        write_config(root, kind)
        old = Path.cwd()
        os.chdir(root)
        try:
            yield World(root, kind, {region: Remote(kind, region=region) for region in REGIONS})
        finally:
            os.chdir(old)


def apply_step(w: World, step: Step) -> None:
    what = step[0]
    if what == "local":
        _, name, key, value = step
        w.write_local(name, {**(w.local(name) or {}), key: value})
    elif what == "local_delete":
        _, name, key = step
        values = w.local(name) or {}
        values.pop(key, None)
        w.write_local(name, values)
    elif what == "lose":
        _, name, how = step
        path = w.root / name
        if how == "delete":
            path.unlink(missing_ok=True)
        else:
            path.write_text("")
    elif what == "remote":
        _, region, key, value = step
        remote = w.remotes[region]
        if remote.values() or w.kind == "parameter_store":
            remote.set(key, value)
        else:
            _create(remote, {key: value})
    elif what == "remote_delete":
        _, region, key = step
        remote = w.remotes[region]
        if key in remote.values():
            remote.delete(key)
    else:
        run(w, *step[1:])


def _create(remote: Remote, values: dict[str, str]) -> None:
    try:
        remote.seed(values)
    except remote.client.exceptions.ResourceExistsException:
        remote.set(*next(iter(values.items())))


def run(w: World, command: str, name: str, region: str, flags: str) -> None:
    options = flags.split()
    remote = w.remotes[region]
    before_remote = remote.values()
    before_local = w.local(name)
    args = [command, "--env-file", name, "--region", region, *options]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code in (0, 1, 2), result.output
    after_remote = remote.values()
    if command == "push":
        agreed = w.agreed.get((name, region), {})
        for key, value in before_remote.items():
            after = after_remote.get(key)
            if after == value:
                continue
            if after is None:
                assert "--prune" in options, f"{key} deleted without --prune: {args}"
                continue
            locally_changed = (
                before_local is not None
                and key in agreed
                and agreed[key] == value
                and before_local.get(key) not in (None, agreed[key])
            )
            assert "--force" in options or locally_changed, (
                f"{key} overwritten ({value!r} -> {after!r}) without --force and without a "
                f"local change since the last sync of {name} in {region}: {args}"
            )
    else:
        assert after_remote == before_remote, f"{command} changed the remote"
    if result.exit_code == 0 and command in ("push", "pull", "diff"):
        _record(w, name, region, w.local(name), after_remote)


def _record(
    w: World, name: str, region: str, local: dict[str, str] | None, remote: dict[str, str]
) -> None:
    """The model: per key, what both sides agree on now; a key gone from both is dropped."""
    if local is None:
        return
    agreed = w.agreed.setdefault((name, region), {})
    for key in set(local) | set(remote) | set(agreed):
        if key in local and local.get(key) == remote.get(key):
            agreed[key] = local[key]
        elif key not in local and key not in remote:
            agreed.pop(key, None)


@pytest.mark.parametrize("kind", BACKENDS)
@settings(
    max_examples=examples(30),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=st.lists(steps, min_size=4, max_size=14))
def test_no_remote_value_is_lost_without_consent(kind: str, sequence: list[Step]) -> None:
    with world(kind) as w:
        # Synced in us-east-1; a stale copy of the same values in eu-west-1; another file
        # (an example, a teammate's copy) with other values beside the .env.
        start = {"A": "v1", "B": "v1", "C": "v1"}
        w.write_local(".env", start)
        run(w, "push", ".env", "us-east-1", "")
        w.remotes["eu-west-1"].seed(start)
        w.write_local(".env.other", {"A": "v2", "B": "v3", "C": "v1"})
        for step in sequence:
            apply_step(w, step)
