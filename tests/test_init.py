"""``secretsync init`` in a fresh git repository against a moto server: the config written
(never over one), git ignoring the .env files and keeping .env.example, the hooks added to the
pre-commit config by appending only, the .env made private, the remote read once; refusals
leave nothing behind; a second run changes nothing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from secretsync_hooks import release
from secretsync_hooks.config.settings import Overrides, load_config
from tests.helpers import Remote, in_a_terminal, program, run_in_process
from tests.moto_server import MotoServer

FLAGS = ["--backend", "secrets_manager", "--name", "myapp/production", "--region", "us-east-1"]


def git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)


@pytest.fixture
def repo(tmp_path: Path, moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "shop"
    root.mkdir()
    git(root, "init", "-q")
    monkeypatch.chdir(root)
    monkeypatch.setattr(release, "release_tag", lambda version=None: "v1.2.3")
    return root


def init(cwd: Path, *args: str) -> tuple[int, str, str]:
    result = run_in_process(cwd, "init", *args)
    return result.returncode, result.stdout, result.stderr


def ignored(cwd: Path, name: str) -> bool:
    return git(cwd, "check-ignore", "-q", "--no-index", name).returncode == 0


def test_init_sets_a_fresh_repository_up(repo: Path, moto_server: MotoServer) -> None:
    (repo / ".env").write_text("API_TOKEN=Tk2Lq7Zx9Wm\n")
    (repo / ".env").chmod(0o644)
    moto_server.injector.calls.clear()
    code, out, err = init(repo, *FLAGS)
    assert code == 0, err
    assert out.splitlines() == [
        "Wrote .secretsync.toml: secret myapp/production in us-east-1.",
        ".gitignore: added .env, .env.*, !.env.example.",
        ".pre-commit-config.yaml: written with secretsync's hooks; run `pre-commit install`.",
        ".env: mode 0600 (it was readable by others).",
        "secret myapp/production does not exist in us-east-1 yet.",
        "Next: `secretsync push` creates it from your .env.",
    ]
    calls = moto_server.injector.calls
    assert calls["GetSecretValue"] == 1 and set(calls) <= {"GetSecretValue", "DescribeSecret"}
    config = load_config(Overrides(config=repo / ".secretsync.toml"), environ={})
    assert (config.backend, config.target, config.region) == (
        "secrets_manager",
        "myapp/production",
        "us-east-1",
    )
    assert (repo / ".secretsync.toml").read_text() == (
        '[backend]\ntype = "secrets_manager"\nregion = "us-east-1"\n'
        '[secrets_manager]\nsecret_name = "myapp/production"\n'
    )
    for name in (".env", ".env.local", ".env.production"):
        assert ignored(repo, name), name
    assert not ignored(repo, ".env.example")
    hooks = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())
    (entry,) = hooks["repos"]
    assert entry["repo"] == "https://github.com/secretsync/secretsync-hooks"
    assert entry["rev"] == "v1.2.3"
    assert [hook["id"] for hook in entry["hooks"]] == [
        "secretsync-check",
        "secretsync-forbid-env",
        "secretsync-scan",
    ]
    # A new project or a fresh clone has no value to look for yet: the scan passes then.
    assert entry["hooks"][2]["args"] == ["--allow-empty"]
    assert (repo / ".env").stat().st_mode & 0o777 == 0o600
    assert "Tk2Lq7Zx9Wm" not in out + err


def test_a_second_run_changes_nothing_it_did(repo: Path, moto_server: MotoServer) -> None:
    Remote("secrets_manager", moto_server.url).seed({"A": "1", "B": "2"})
    assert init(repo, *FLAGS)[0] == 0
    before = {
        name: (repo / name).read_bytes() for name in (".gitignore", ".pre-commit-config.yaml")
    }
    (repo / ".secretsync.toml").unlink()
    code, out, err = init(repo, *FLAGS)
    assert code == 0, err
    assert ".gitignore: git already ignores the .env files and keeps .env.example." in out
    assert ".pre-commit-config.yaml: secretsync's hooks are there already." in out
    assert "secret myapp/production exists in us-east-1, with 2 keys." in out
    assert "Next: `secretsync pull` writes them into .env." in out
    assert {name: (repo / name).read_bytes() for name in before} == before


def test_existing_files_keep_every_byte(repo: Path) -> None:
    gitignore = "node_modules/\n.env\n*.log"  # no final line break; .env already ignored
    hooks = (
        "# our hooks\ndefault_stages: [pre-commit]\nrepos:\n"
        "-   repo: https://github.com/pre-commit/pre-commit-hooks\n"
        "    rev: v4.6.0\n    hooks:\n    -   id: trailing-whitespace\n"
    )
    (repo / ".gitignore").write_text(gitignore)
    (repo / ".pre-commit-config.yaml").write_text(hooks)
    code, out, err = init(repo, *FLAGS)
    assert code == 0, err
    new_ignore = (repo / ".gitignore").read_text()
    assert new_ignore.startswith(gitignore + "\n")
    assert ".gitignore: added .env.*, !.env.example." in out  # .env was there already
    new_hooks = (repo / ".pre-commit-config.yaml").read_text()
    assert new_hooks.startswith(hooks)
    assert ".pre-commit-config.yaml: extended with secretsync's hooks" in out
    repos = yaml.safe_load(new_hooks)["repos"]
    assert [entry["repo"].rsplit("/", 1)[1] for entry in repos] == [
        "pre-commit-hooks",
        "secretsync-hooks",
    ]
    assert "\n- repo: https://github.com/secretsync/secretsync-hooks\n" in new_hooks  # lined up


@pytest.mark.parametrize(
    "hooks",
    [
        "repos: []\n",
        "repos:\n- repo: local\n  hooks: []\nci:\n  autofix_prs: false\n",
        "repos:\n- repo: https://github.com/secretsync/secretsync-hooks\n  rev: v1\n  hooks:\n"
        "  - id: secretsync-check\n",
    ],
)
def test_a_pre_commit_config_it_cannot_extend_safely_is_left_as_it_is(
    repo: Path, hooks: str
) -> None:
    (repo / ".pre-commit-config.yaml").write_text(hooks)
    code, _out, err = init(repo, *FLAGS)
    assert code == 0, err
    assert (repo / ".pre-commit-config.yaml").read_text() == hooks
    assert ".pre-commit-config.yaml was left as it is: " in err
    assert "- repo: https://github.com/secretsync/secretsync-hooks" in err  # what to add


def test_missing_options_without_a_terminal_write_nothing(repo: Path) -> None:
    code, _out, err = init(repo, "--backend", "parameter_store")
    assert code == 2
    assert "init needs --path and --region, and there is no terminal to ask on" in err
    assert sorted(path.name for path in repo.iterdir()) == [".git"]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--backend", "parameter_store", "--path", "myapp/prod", "--region", "us-east-1"], "/"),
        (["--name", "bad name!", "--region", "us-east-1"], "not one AWS accepts"),
        (["--name", "a", "--path", "/a/", "--region", "us-east-1"], "two places"),
        (["--backend", "parameter_store", "--name", "a", "--region", "us-east-1"], "--name"),
        ([*FLAGS, "--env-file", "../outside.env"], "--env-file"),
    ],
)
def test_a_bad_choice_is_refused_before_anything_is_written(
    repo: Path, args: list[str], said: str
) -> None:
    code, out, err = init(repo, *args)
    assert code == 2, out
    assert said in err and "Traceback" not in err
    assert sorted(path.name for path in repo.iterdir()) == [".git"]


def test_an_existing_config_is_never_overwritten(repo: Path) -> None:
    (repo / ".secretsync.toml").write_text("# ours\n")
    code, _, err = init(repo, *FLAGS)
    assert code == 2 and "exists already; init never overwrites it" in err
    assert (repo / ".secretsync.toml").read_text() == "# ours\n"
    assert not (repo / ".gitignore").exists()


def test_a_linked_gitignore_is_refused_before_anything_is_written(
    repo: Path, tmp_path: Path
) -> None:
    theirs = tmp_path / "theirs"
    theirs.write_text("x\n")
    (repo / ".gitignore").symlink_to(theirs)
    code, _, err = init(repo, *FLAGS)
    assert code == 2 and "is a symbolic link; init never writes through one" in err
    assert theirs.read_text() == "x\n"
    assert not (repo / ".secretsync.toml").exists()


def test_in_a_sub_folder_the_hooks_name_its_config(repo: Path) -> None:
    app = repo / "services" / "api"
    app.mkdir(parents=True)
    code, _, err = init(app, *FLAGS, "--no-hooks")
    assert code == 0, err
    assert not (repo / ".pre-commit-config.yaml").exists()
    assert ignored(app, ".env") and not ignored(app, ".env.example")
    code, _out, err = init(
        repo, "--backend", "parameter_store", "--path", "/shop/", "--region", "eu-west-1"
    )
    assert code == 0, err
    (app / ".secretsync.toml").unlink()
    (repo / ".pre-commit-config.yaml").unlink()
    assert init(app, *FLAGS)[0] == 0
    (entry,) = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())["repos"]
    assert entry["hooks"][0]["args"] == ["--config", "services/api/.secretsync.toml"]
    assert entry["hooks"][2]["args"] == [
        "--config",
        "services/api/.secretsync.toml",
        "--allow-empty",
    ]
    # A second config of the monorepo gets its own entry; the first one's stays.
    other = repo / "services" / "web"
    other.mkdir()
    code, out, err = init(other, "--name", "web/prod", "--region", "us-east-1")
    assert code == 0, err
    assert ".pre-commit-config.yaml: extended with secretsync's hooks" in out
    repos = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())["repos"]
    assert [entry["hooks"][0]["args"][1] for entry in repos] == [
        "services/api/.secretsync.toml",
        "services/web/.secretsync.toml",
    ]


def test_a_development_version_says_how_to_pin_the_hooks(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(release, "release_tag", lambda version=None: None)
    code, _, err = init(repo, *FLAGS)
    assert code == 0
    assert "a development version, with no release tag to pin the hooks at" in err
    assert not (repo / ".pre-commit-config.yaml").exists()


def test_on_a_terminal_init_asks_for_what_is_missing(
    tmp_path: Path, moto_server: MotoServer, processes: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "shop"
    root.mkdir()
    git(root, "init", "-q")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    # Enter at each prompt: every default taken.
    code, output = in_a_terminal(
        root, [program(), "init", "--no-hooks"], b"\r", after=b"]: ", times=3
    )
    assert code == 0, output
    assert "Backend (secrets_manager, parameter_store) [secrets_manager]: " in output
    assert "Secret name [shop/production]: " in output
    assert "AWS region [eu-west-1]: " in output
    config = load_config(Overrides(config=root / ".secretsync.toml"), environ={})
    assert (config.target, config.region) == ("shop/production", "eu-west-1")


def test_a_commented_out_block_is_no_hook(repo: Path) -> None:
    hooks = (
        "repos:\n- repo: local\n  hooks: []\n"
        "# - repo: https://github.com/secretsync/secretsync-hooks\n"
        "#   hooks:\n#     - id: secretsync-check\n#     - id: secretsync-forbid-env\n"
        "#     - id: secretsync-scan\n"
    )
    (repo / ".pre-commit-config.yaml").write_text(hooks)
    code, out, err = init(repo, *FLAGS)
    assert code == 0, err
    assert "extended with secretsync's hooks" in out
    repos = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())["repos"]
    assert repos[-1]["repo"] == "https://github.com/secretsync/secretsync-hooks"


def test_the_region_given_is_the_one_read_and_an_ambient_one_is_said(
    repo: Path, moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    Remote("secrets_manager", moto_server.url, region="eu-west-1").seed({"A": "1"})
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    code, out, err = init(repo, "--name", SECRET_EU, "--region", "eu-west-1")
    assert code == 0, err
    assert f"Wrote .secretsync.toml: secret {SECRET_EU} in eu-west-1." in out
    assert f"secret {SECRET_EU} exists in eu-west-1, with 1 key." in out
    assert "AWS_REGION=us-east-1 overrides region eu-west-1" in err


SECRET_EU = "myapp/production"


def test_a_tracked_env_is_named_with_what_to_do(repo: Path) -> None:
    (repo / ".env").write_text("A=1\n")
    git(repo, "add", ".env")
    code, _, err = init(repo, *FLAGS)
    assert code == 0
    assert ".env is tracked by git, which no .gitignore rule changes: `git rm --cached .env`" in err
    assert "rotate them" in err


@pytest.mark.parametrize("env_file", ["../x.env", "/tmp/abs.env", ""])
def test_an_env_file_outside_the_folder_is_refused_in_its_own_words(
    repo: Path, env_file: str
) -> None:
    code, _, err = init(repo, *FLAGS, "--env-file", env_file)
    assert code == 2
    assert f"--env-file '{env_file}': init names a file in this folder" in err
    assert "secretsync-init-" not in err
    assert sorted(path.name for path in repo.iterdir()) == [".git"]


def test_init_never_writes_into_git(repo: Path) -> None:
    code, _, err = init(repo / ".git", *FLAGS)
    assert code == 2 and "inside a .git folder" in err
    assert not (repo / ".git" / ".secretsync.toml").exists()


def test_without_a_config_every_command_points_at_init(project: Path) -> None:
    result = run_in_process(project, "status")
    assert result.returncode == 2
    assert "`secretsync init` makes one" in result.stderr


def test_outside_a_work_tree_only_the_config_is_written(
    tmp_path: Path, moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(release, "release_tag", lambda version=None: "v1.2.3")
    folder = tmp_path / "plain"
    folder.mkdir()
    code, _, err = init(folder, *FLAGS)
    assert code == 0, err
    assert "is not in a git work tree: no .gitignore, no hooks" in err
    assert sorted(path.name for path in folder.iterdir()) == [".secretsync.toml"]


def test_when_aws_cannot_be_asked_the_files_stay_and_a_warning_says_so(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    code, out, err = init(repo, *FLAGS)
    assert code == 0
    assert "secretsync: warning: AWS could not be asked: cannot reach http://127.0.0.1:9/" in err
    assert "Next: `secretsync status` once AWS can be asked." in out
    assert (repo / ".secretsync.toml").exists() and (repo / ".gitignore").exists()


def test_a_folder_name_yaml_would_split_stays_one_argument(repo: Path) -> None:
    app = repo / "svc: a, b[1]"
    app.mkdir()
    code, _, err = init(app, *FLAGS)
    assert code == 0, err
    (entry,) = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())["repos"]
    assert entry["hooks"][0]["args"] == ["--config", "svc: a, b[1]/.secretsync.toml"]


def test_a_second_run_after_an_interrupted_one_finishes_the_job(repo: Path) -> None:
    # The config is written last: a run stopped before it leaves nothing that refuses a rerun.
    (repo / ".gitignore").write_text(".env\n.env.*\n!.env.example\n")
    code, out, err = init(repo, *FLAGS)
    assert code == 0, err
    assert ".gitignore: git already ignores the .env files and keeps .env.example." in out
