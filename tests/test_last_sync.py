"""Where and how the base (the record of the last sync) is stored."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from secretsync_hooks.cli.main import cli
from secretsync_hooks.config.settings import Overrides, load_config
from secretsync_hooks.errors import LastSyncError
from secretsync_hooks.sync.last_sync import LastSyncStore, git_dir, state_dir
from tests.helpers import Remote, key_file, write_config
from tests.json_contract import validated

CANARY = "Zq9Xw8Cv7Bn6Ml5Kj4Hg"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def synced(project: Path, aws: None) -> Path:
    write_config(project, "secrets_manager")
    (project / ".env").write_text(f"TOKEN={CANARY}\nA=1\n")
    assert run("push").exit_code == 0
    return project


def bases(project: Path) -> list[Path]:
    return sorted((project / ".git" / "secretsync").glob("base-*.json"))


def test_push_records_a_base_in_the_git_dir_with_mode_0600(synced: Path) -> None:
    [base] = bases(synced)
    key = key_file()
    assert stat.S_IMODE(base.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(base.parent.stat().st_mode) == 0o700
    document = json.loads(base.read_text())
    assert set(document["keys"]) == {"TOKEN", "A"}
    assert document["remote_version"]
    assert not any(p.name.startswith("base") for p in synced.iterdir())  # not in the work tree


def test_the_base_holds_no_value_and_no_plain_hash(synced: Path) -> None:
    text = bases(synced)[0].read_text()
    assert CANARY not in text
    for algorithm in ("md5", "sha1", "sha256", "sha512"):
        for data in (CANARY, f"TOKEN={CANARY}", f"TOKEN\0{CANARY}"):
            assert hashlib.new(algorithm, data.encode()).hexdigest() not in text


def test_fingerprints_are_keyed_per_user_and_the_key_is_never_in_git(
    synced: Path, tmp_path: Path
) -> None:
    config = load_config(environ={})
    mine = LastSyncStore(config, environ={"XDG_STATE_HOME": str(tmp_path / "me")})
    theirs = LastSyncStore(config, environ={"XDG_STATE_HOME": str(tmp_path / "them")})
    assert mine.fingerprint("K", "v") != theirs.fingerprint("K", "v")
    assert mine.fingerprint("K", "v") == mine.fingerprint("K", "v")
    assert mine.fingerprint("K", "v") != mine.fingerprint("J", "v")
    assert [p.name for p in (synced / ".git" / "secretsync").iterdir() if "key" in p.name] == []


def test_a_copied_git_directory_carries_records_nobody_else_can_use(
    synced: Path, tmp_path: Path
) -> None:
    # Someone with a copy of .git (a Docker build context, an exposed /.git) has the records
    # but not the key: their fingerprints cannot be tested against guesses, and secretsync
    # itself, under another key, sees records made under another key.
    stranger = LastSyncStore(
        load_config(environ={}), environ={"XDG_STATE_HOME": str(tmp_path / "x")}
    )
    with pytest.raises(LastSyncError, match="recorded with another fingerprint key"):
        stranger.load()


def test_separate_bases_per_environment(project: Path, aws: None) -> None:
    write_config(project, "secrets_manager")
    with (project / ".secretsync.toml").open("a") as fh:
        fh.write('[environments.staging.secrets_manager]\nsecret_name = "myapp/staging"\n')
    (project / ".env").write_text("A=1\n")
    assert run("push").exit_code == 0
    assert run("push", "--env", "staging").exit_code == 0
    names = [p.name for p in bases(project)]
    assert len(names) == 2
    assert any(n.startswith("base-default-") for n in names)
    assert any(n.startswith("base-staging-") for n in names)


def test_a_crash_while_writing_the_base_leaves_the_old_one(
    synced: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    [base] = bases(synced)
    before = base.read_bytes()
    Path(".env").write_text(f"TOKEN={CANARY}\nA=2\n")

    def crash(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    result = run("push")
    assert result.exit_code == 0  # the sync itself succeeded
    assert "could not record the last sync" in result.stderr
    assert base.read_bytes() == before
    assert [p.name for p in base.parent.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize(
    "damage",
    [
        b"{not json",
        b'{"format": 99}',
        b'{"format": 1, "backend": "secrets_manager", '
        b'"target": "myapp/production", "recorded_at": "2026-01-01T00:00:00+00:00", '
        b'"keys": {"A": {"fingerprint": "nothex"}}}',
        b"\xff\xfe",
    ],
)
def test_a_corrupt_base_is_reported_once_and_ignored(synced: Path, damage: bytes) -> None:
    [base] = bases(synced)
    base.write_bytes(damage)
    Remote("secrets_manager").set("A", "changed in aws")
    result = run("diff", "--format", "json")
    assert result.exit_code == 1
    assert result.stderr.count("ignoring the record of the last sync") == 1
    document = validated(result.stdout)
    assert document["base"] is None
    assert document["three_way"] is False
    states = {e["key"]: e["state"] for e in document["entries"]}
    assert states["A"] == "changed"  # two-way


def test_a_missing_key_makes_the_base_unusable(synced: Path) -> None:
    key_file().unlink()
    store = LastSyncStore(load_config(environ={}))
    with pytest.raises(LastSyncError, match="recorded with another fingerprint key"):
        store.load()


def test_a_base_for_another_remote_is_not_trusted(synced: Path) -> None:
    [base] = bases(synced)
    document = json.loads(base.read_text())
    document["target"] = "someone/else"
    base.write_text(json.dumps(document))
    with pytest.raises(LastSyncError, match="another pairing"):
        LastSyncStore(load_config(environ={})).load()


def test_outside_git_the_base_goes_to_the_state_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "plain"
    project.mkdir()
    write_config(project, "secrets_manager")
    config = load_config(Overrides(config=project / ".secretsync.toml"), environ={})
    assert state_dir(config, {"XDG_STATE_HOME": str(tmp_path / "state")}) == (
        tmp_path / "state" / "secretsync"
    )
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert state_dir(config, {}) == tmp_path / "home" / ".local" / "state" / "secretsync"


def test_git_dir_follows_a_gitdir_file(tmp_path: Path) -> None:
    real = tmp_path / "repo.git" / "worktrees" / "wt"
    real.mkdir(parents=True)
    (real / "HEAD").write_text("ref: refs/heads/wt\n")  # what git writes for a worktree
    (real / "commondir").write_text("../..\n")
    tree = tmp_path / "wt"
    (tree / "sub").mkdir(parents=True)
    (tree / ".git").write_text(f"gitdir: {os.path.relpath(real, tree)}\n")
    assert git_dir(tree / "sub") == real.resolve()
    outside = tmp_path / "plain" / "dir"  # the system's temporary directory: no .git above
    outside.mkdir(parents=True)
    assert git_dir(outside) is None


def test_diff_in_sync_records_a_base(project: Path, aws: None) -> None:
    write_config(project, "secrets_manager")
    (project / ".env").write_text("A=1\n")
    Remote("secrets_manager").seed({"A": "1"})
    assert run("diff", "--keys-only").exit_code == 0
    assert not (project / ".git" / "secretsync").exists()  # key names only: not agreement
    assert run("diff").exit_code == 0
    assert len(bases(project)) == 1


def test_the_key_file_is_whole_or_absent_even_when_interrupted(project: Path) -> None:
    write_config(project, "secrets_manager")
    store = LastSyncStore(load_config(environ={}))

    def killed(*args: object) -> None:
        raise KeyboardInterrupt

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "link", killed)
        with pytest.raises(KeyboardInterrupt):
            store.fingerprint("K", "v")
    directory = key_file().parent
    assert sorted(p.name for p in directory.iterdir()) == []  # no key, no temporary file
    fingerprint = store.fingerprint("K", "v")
    key = key_file().read_text()
    assert len(bytes.fromhex(key.strip())) == 32
    assert LastSyncStore(load_config(environ={})).fingerprint("K", "v") == fingerprint
