"""``export --format ecs | external-secrets | cloudformation``: references to the values for a
deployment target, written where asked; they hold no value, so a terminal is fine."""

from __future__ import annotations

import json
import sys
from typing import Any, NamedTuple

import click

from secretsync_hooks import text
from secretsync_hooks.cli.context import Options
from secretsync_hooks.errors import EnvFileError, SecretSyncError


class Asked(NamedTuple):
    """What ``export`` was given that concerns references."""

    output: str | None
    keys: str | None
    strict: bool
    allow_env: tuple[str, ...]
    store: str | None
    store_kind: str | None
    name: str | None
    api_version: str | None
    with_policy: bool
    policy_file: str | None


MANIFEST_OPTIONS = ("--store", "--store-kind", "--name", "--api-version")


def check_options(fmt: str, asked: Asked) -> None:
    """Refuse options that do not go with ``fmt`` (before anything is read)."""
    manifest = [
        flag
        for flag, value in zip(
            MANIFEST_OPTIONS,
            (asked.store, asked.store_kind, asked.name, asked.api_version),
            strict=True,
        )
        if value is not None
    ]
    if manifest and fmt != "external-secrets":
        raise click.UsageError(f"{', '.join(manifest)}: only with --format external-secrets")
    if fmt == "external-secrets" and asked.store is None:
        raise click.UsageError(
            "--format external-secrets needs --store NAME: the SecretStore (or, with "
            "--store-kind ClusterSecretStore, the ClusterSecretStore) that reads AWS"
        )
    if (asked.with_policy or asked.policy_file) and fmt != "ecs":
        raise click.UsageError("--with-policy and --policy-file: only with --format ecs")


def export_references(opts: Options, fmt: str, asked: Asked) -> int:
    from secretsync_hooks.use.deploy import Request, refer
    from secretsync_hooks.use.references import Manifest

    check_options(fmt, asked)
    if (opts.source or "remote") != "remote":
        raise SecretSyncError(
            f"--format {fmt} writes references that point to AWS, so its keys are the "
            f"remote's: --source {opts.source} does not apply",
            hint="Leave --source out; `secretsync diff` shows keys the remote lacks.",
        )
    config = opts.load_config()
    from secretsync_hooks.sync.destination import Destination
    from secretsync_hooks.use.references import check_manifest

    # Every place is checked before anything is read or written.
    target = policy_target = None
    if asked.output is not None:
        target = Destination(config, asked.output, "--output", fmt)
        target.check()
    if asked.policy_file is not None:
        policy_target = Destination(config, asked.policy_file, "--policy-file", fmt)
        policy_target.check()
        _exists_folder(policy_target.path, asked.policy_file)
        if target is not None and policy_target.path == target.path:
            raise click.UsageError("--policy-file and --output name the same file")
    if target is not None:
        _exists_folder(target.path, asked.output or "")
    manifest = None
    if fmt == "external-secrets":
        kind, version = asked.store_kind or "SecretStore", asked.api_version or "v1"
        manifest = Manifest(str(asked.store), kind, asked.name, version)
        check_manifest(manifest)
    wanted = None
    if asked.keys is not None:
        wanted = [k.strip() for k in asked.keys.split(",") if k.strip()]
        if not wanted:
            raise SecretSyncError("--keys names no key")
    request = Request(
        fmt,
        wanted,
        asked.allow_env,
        manifest,
        bool(asked.with_policy or asked.policy_file),
        asked.strict,
    )
    made = refer(config, opts.redactor, request, deadline=opts.timeout)
    for warning in made.warnings:
        click.echo(text.clean(f"secretsync: warning: {warning}"), err=True)
    _write(target, made.text)
    if made.policy is not None:
        _write_policy(policy_target, asked.policy_file, made.policy)
    if target is not None:
        count = text.count(len(made.keys), "reference")
        click.echo(
            f"secretsync: wrote {count} to {text.shown(asked.output or '')} ({fmt})", err=True
        )
    return 0


def _write(target: Any, content: str) -> None:
    from secretsync_hooks.local.fs import FileProblem, write_atomic

    if target is None:
        sys.stdout.write(content)
        return
    try:
        write_atomic(
            target.path,
            content.encode("utf-8"),
            mode=0o644,  # references, no value: meant to be committed
            follow_symlinks=False,
            check=lambda _path: target.check(),
        )
    except FileProblem as exc:
        raise EnvFileError(f"{target.path}: {exc}; nothing was written") from None


def _write_policy(target: Any, path: str | None, policy: dict[str, Any]) -> None:
    document = json.dumps(policy, indent=2) + "\n"
    if target is None:
        click.echo("secretsync: the task execution role needs this policy:", err=True)
        click.echo(document, err=True, nl=False)
        return
    _write(target, document)
    click.echo(
        f"secretsync: wrote the execution role's policy to {text.shown(path or '')}", err=True
    )


def _exists_folder(path: Any, named: str) -> None:
    if not path.parent.is_dir():
        raise SecretSyncError(
            f"{text.shown(named)}: no such folder {text.shown(str(path.parent))}; nothing was "
            "written"
        )
