"""``secretsync init``: a project set up in one step.  The config written (never over one), the
``.env`` files ignored by git and ``.env.example`` kept tracked, the hooks added to the
pre-commit config, an existing ``.env`` made private, then the remote read once to say
what to do next.  Every choice is checked before the first file is written."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import NamedTuple

from secretsync_hooks import text
from secretsync_hooks.config.settings import BACKEND_TYPES, Config, Overrides, load_config
from secretsync_hooks.errors import ConfigError, SecretSyncError
from secretsync_hooks.local.exposure import work_tree_of
from secretsync_hooks.redact import Redactor
from secretsync_hooks.setup import files
from secretsync_hooks.setup.gitignore import Ignored, ignore_env_files
from secretsync_hooks.setup.precommit import FILE, Hooked, add_hooks

CONFIG = ".secretsync.toml"


class Choices(NamedTuple):
    backend: str  # secrets_manager or parameter_store
    name: str  # the secret's name, or the parameter path
    region: str
    env_file: str = ".env"
    profile: str | None = None


class Done(NamedTuple):
    config: Config
    ignored: Ignored | None  # None outside a git work tree
    hooked: Hooked | None  # None with --no-hooks or outside a work tree
    private: bool  # the .env's mode was made 0600
    notes: list[str]


def config_text(choices: Choices) -> str:
    """The config as written: the documented shape, strings quoted as TOML basic strings."""

    def quoted(value: str) -> str:
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string

    lines = ["[backend]", f"type = {quoted(choices.backend)}", f"region = {quoted(choices.region)}"]
    if choices.profile:
        lines.append(f"profile = {quoted(choices.profile)}")
    table, setting = (
        ("secrets_manager", "secret_name")
        if choices.backend == "secrets_manager"
        else ("parameter_store", "path")
    )
    lines += [f"[{table}]", f"{setting} = {quoted(choices.name)}"]
    if choices.env_file != ".env":
        lines.insert(0, f"env_file = {quoted(choices.env_file)}")
    return "\n".join(lines) + "\n"


def check_choices(folder: Path, choices: Choices) -> Config:
    """The config ``choices`` make, loaded and checked as secretsync will load it (names AWS
    would reject included), from a copy outside the project: nothing is written here."""
    env_file = Path(choices.env_file)
    if not choices.env_file or env_file.is_absolute() or ".." in env_file.parts:
        raise ConfigError(
            f"--env-file {text.shown(choices.env_file)!r}: init names a file in this folder "
            "(or below it), like .env or app/.env; nothing was written",
            hint="For a file elsewhere, leave --env-file out and pass --env-file PATH to each "
            "command instead.",
        )
    if choices.backend not in BACKEND_TYPES:
        raise ConfigError(
            f"unknown backend {text.shown(choices.backend)!r}",
            hint=f"Choose one of: {', '.join(BACKEND_TYPES)}.",
        )
    with tempfile.TemporaryDirectory(prefix="secretsync-init-") as scratch:
        draft = Path(scratch) / CONFIG
        draft.write_text(config_text(choices), encoding="utf-8")
        try:
            config = load_config(Overrides(config=draft), environ={})
            from secretsync_hooks.remote.backends import AwsSession, get_backend

            get_backend(config, AwsSession(config.region, None))  # checks the name
        except ConfigError as exc:
            exc.message = exc.message.replace(str(draft), f"--{_flag(choices)}")
            exc.message = exc.message.replace(scratch, "this folder")
            raise
        except SecretSyncError as exc:
            raise ConfigError(f"--{_flag(choices)}: {exc.message}", hint=exc.hint) from None
    return config


def _flag(choices: Choices) -> str:
    return "name" if choices.backend == "secrets_manager" else "path"


def initialise(folder: Path, choices: Choices, *, hooks: bool, rev: str | None) -> Done:
    """Set the project up around the config, then write the config (see the module).  The
    config comes last: a run stopped half-way (Ctrl-C) can simply be run again, since every
    other step only adds what is missing."""
    path = folder / CONFIG
    if ".git" in folder.resolve().parts:
        raise ConfigError(
            f"{folder} is inside a .git folder, git's own files; nothing was written",
            hint="Run init in the work tree.",
        )
    if path.exists() or path.is_symlink():
        raise ConfigError(
            f"{path} exists already; init never overwrites it; nothing was written",
            hint="`secretsync config` shows what it says; edit it, or remove it to start over.",
        )
    check_choices(folder, choices)
    tree = work_tree_of(folder.resolve())
    # Every place is checked before the first file is written.
    files.check_place(path, tree or folder)
    if tree is not None:
        files.check_place(folder / ".gitignore", tree)
        if hooks:
            files.check_place(tree / FILE, tree)
    notes: list[str] = []
    ignored = hooked = None
    if tree is None:
        notes.append(f"{folder} is not in a git work tree: no .gitignore, no hooks")
    else:
        ignored = ignore_env_files(folder, tree, choices.env_file)
        if hooks and rev is None:
            notes.append(
                "this secretsync is a development version, with no release tag to pin the "
                "hooks at: add them by hand with a commit SHA as `rev:` (see the hooks guide)"
            )
        elif hooks and rev is not None:
            hooked = add_hooks(tree, rev, hook_args(folder.resolve(), tree))
    env_file = folder / choices.env_file
    private = files.make_private(env_file)
    notes += _tracked(env_file)
    files.write(path, config_text(choices), mode=0o644)
    # Read where the user just said: an ambient AWS_REGION is said (config.warnings), not
    # obeyed, on this first read.
    config = load_config(Overrides(config=path, region=choices.region))
    notes += list(load_config(Overrides(config=path)).warnings)
    return Done(config, ignored, hooked, private, notes)


def hook_args(folder: Path, tree: Path) -> list[str]:
    """The hooks' ``--config`` when the config is not at the root of the work tree."""
    if folder == tree:
        return []
    return ["--config", (folder.relative_to(tree) / CONFIG).as_posix()]


def _tracked(env_file: Path) -> list[str]:
    """A .env git tracks already: no ignore rule stops the next commit of it."""
    from secretsync_hooks.local.exposure import tracked

    if not env_file.exists() or not tracked(env_file):
        return []
    return [
        f"{env_file.name} is tracked by git, which no .gitignore rule changes: `git rm --cached "
        f"{text.shown(env_file.name)}` stops tracking it, and the secrets already committed are "
        "in the history: rotate them"
    ]


class RemoteState(NamedTuple):
    exists: bool
    keys: int


def read_state(config: Config, redactor: Redactor, deadline: float | None) -> RemoteState:
    """The remote, read once: whether it exists and how many keys it holds."""
    from secretsync_hooks.remote.read import read_remote

    _, snapshot, _, _ = read_remote(config, redactor, deadline)
    return RemoteState(snapshot.exists, len(snapshot.values))
