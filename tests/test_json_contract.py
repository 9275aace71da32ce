"""The JSON contract: every kind of ``--format json`` document, produced through click's CliRunner
against in-process moto, validates against its published schema; the schemas are valid, shipped,
one per command, and strict enough that a document that strays fails."""

from __future__ import annotations

import copy
import datetime
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result
from jsonschema import Draft202012Validator, ValidationError  # type: ignore[import-untyped]

from secretsync_hooks.cli.main import cli
from secretsync_hooks.render.documents import COMMANDS, SCHEMAS
from tests.helpers import BACKENDS, Remote, write_config
from tests.json_contract import schema_of, schemas, validated, validator

ROOT = Path(__file__).resolve().parent.parent
ENV = "DB_URL=postgres://db/app\nTOKEN=Tk5Lq9Vz2Wd\nLOG_LEVEL=info\nPORT=5432\n"
VALUES = {
    "DB_URL": "postgres://db/app",
    "TOKEN": "Tk5Lq9Vz2Wd",
    "LOG_LEVEL": "info",
    "PORT": "5432",
}
PLAIN = 'plain_keys = ["LOG_LEVEL"]\n'
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


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def document(*args: str, code: int) -> dict[str, Any]:
    """``secretsync ARGS --format json``: its exit code checked, its one document validated."""
    result = run(*args, "--format", "json")
    assert result.exit_code == code, result.output
    return validated(result.stdout)


@pytest.fixture(params=BACKENDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def remote(kind: str, project: Path, aws: None) -> Iterator[Remote]:
    write_config(project, kind, extra=PLAIN)
    (project / ".env").write_text(ENV)
    yield Remote(kind)


# -- every kind of document -----------------------------------------------------------------------


def test_diff_and_status_two_way(remote: Remote) -> None:
    assert document("diff", code=1)["remote"]["exists"] is False  # nothing pushed yet
    remote.seed({**VALUES, "TOKEN": "Rm3Xc8Nb1Qs"})
    Path(".env").write_text(ENV.replace("LOG_LEVEL=info", "LOG_LEVEL=debug") + "NEW=1\n")
    drift = document("diff", code=1)
    entries = {entry["key"]: entry for entry in drift["entries"]}
    assert entries["TOKEN"] == {"key": "TOKEN", "state": "changed", "masked": True}
    assert entries["LOG_LEVEL"] == {  # plain_keys
        "key": "LOG_LEVEL",
        "state": "changed",
        "local": "debug",
        "remote": "info",
    }
    assert drift["summary"] == {"local_only": 1, "remote_only": 0, "changed": 2, "unchanged": 2}
    shown = document("diff", "--show-values", code=1)
    assert {"key": "NEW", "state": "local_only", "local": "1", "remote": None} in shown["entries"]
    assert document("diff", "--keys-only", code=1)["keys_only"] is True
    status = document("status", "--verbose", code=1)
    assert status["sources"]["region"] and status["ignored"] == []


def test_three_way_push_and_pull(remote: Remote) -> None:
    remote.seed(VALUES)
    assert run("push").exit_code == 0  # in sync: records the last sync
    remote.set("DB_URL", "postgres://db/other")
    remote.set("LOG_LEVEL", "warning")
    Path(".env").write_text(ENV.replace("Tk5Lq9Vz2Wd", "Tk6Mn2Hs8Ja").replace("info", "error"))
    diff = document("diff", code=1)
    assert diff["three_way"] is True and diff["base"]["recorded_at"]
    states = {entry["key"]: entry for entry in diff["entries"]}
    assert states["LOG_LEVEL"]["detail"] == "both_modified"
    assert states["TOKEN"] == {"key": "TOKEN", "state": "local_modified", "masked": True}
    assert document("status", code=1)["summary"]["conflict"] == 1
    planned = document("push", "--dry-run", code=0)
    assert planned["dry_run"] is True and planned["applied"] is None
    refused = document("push", code=1)  # the conflict needs --force: one document, no error's
    assert refused["refused"] is True and refused["plan"]["update"]
    assert refused["dry_run"] is False  # refused, not asked for a dry run
    assert "DB_URL" in document("pull", "--dry-run", code=0)["plan"]["update"]
    pushed = document("push", "--force", code=0)
    assert {"LOG_LEVEL", "TOKEN"} <= set(pushed["applied"]["update"])
    remote.set("PORT", "6543")
    pulled = document("pull", "--force", code=0)
    assert pulled["applied"]["update"] == ["PORT"] and pulled["command"] == "pull"
    assert document("diff", code=0)["in_sync"] is True


def test_several_targets_one_failing(remote: Remote, project: Path) -> None:
    remote.seed(VALUES)
    config = project / ".secretsync.toml"
    config.write_text(
        config.read_text()
        + '[environments.broken]\nenv_file = ".env.broken"\n'
        + '[environments.broken.secrets_manager]\nsecret_name = "myapp/broken"\n'
        + '[environments.broken.parameter_store]\npath = "/myapp/broken/"\n'
    )
    Path(".env.broken").write_text("A=1\nthis line is no setting\n")
    for command in ("diff", "status"):
        targets = document(command, "--all-envs", code=2)
        assert targets["schema"] == 1 and targets["command"] == command
        default, broken = targets["targets"]
        assert default["document"]["command"] == command and default["error"] is None
        assert broken["document"] is None and ".env.broken" in broken["error"]


def test_history_and_rollback(remote: Remote, kind: str) -> None:
    remote.seed(VALUES)
    time.sleep(0.05)
    moment = datetime.datetime.now(datetime.timezone.utc).isoformat()
    time.sleep(0.05)
    changed = {**VALUES, "TOKEN": "Rm3Xc8Nb1Qs", "LOG_LEVEL": "debug"}
    if kind == "secrets_manager":
        remote.put_document(changed)  # one new version
    else:
        remote.set("TOKEN", changed["TOKEN"])
        remote.set("LOG_LEVEL", changed["LOG_LEVEL"])
    history = document("history", code=0)
    assert history["key"] is None and history["revisions"]
    masked = document("history", "TOKEN", code=0)
    assert masked["key"] == "TOKEN"
    assert not any("TOKEN" in r.get("values", {}) for r in masked["revisions"])
    shown = document("history", "TOKEN", "--show-values", code=0)
    assert any(r.get("values", {}).get("TOKEN") == "Rm3Xc8Nb1Qs" for r in shown["revisions"])
    to = "AWSPREVIOUS" if kind == "secrets_manager" else moment
    dry = document("rollback", "--to", to, "--dry-run", code=0)
    assert dry["dry_run"] is True and sorted(dry["restored"]) == ["LOG_LEVEL", "TOKEN"]
    refused = document("rollback", "--to", to, code=1)  # no --force, no terminal
    assert refused["refused"] is True and refused["applied"] is False
    assert refused["dry_run"] is False
    done = document("rollback", "--to", to, "--force", code=0)
    assert done["applied"] is True and remote.values() == VALUES


def _seed(kind: str, name: str, values: dict[str, str]) -> None:
    remote = Remote(kind)
    if kind == "secrets_manager":
        remote.client.create_secret(Name=name, SecretString=json.dumps(values))
        return
    for key, value in values.items():
        remote.client.put_parameter(Name=name + key, Value=value, Type="SecureString")


def test_compare_and_promote(kind: str, project: Path, aws: None) -> None:
    config = write_config(project, kind)
    config.write_text(config.read_text() + ENVIRONMENTS)
    prefix = "myapp/" if kind == "secrets_manager" else "/myapp/"
    suffix = "" if kind == "secrets_manager" else "/"
    _seed(kind, f"{prefix}staging{suffix}", {"SHARED": "s", "API": "Ap1Zx9", "NEW": "n"})
    _seed(kind, f"{prefix}prod{suffix}", {"SHARED": "s", "API": "Pr7Qw3", "OLD": "o"})
    compared = document("compare", "staging", "prod", code=1)
    assert (compared["only_a"], compared["different"]) == (["NEW"], ["API"])
    assert compared["a"]["environment"] == "staging" and compared["b"]["exists"] is True
    assert document("compare", "staging", "staging", "--values", code=0)["in_parity"] is True
    dry = document("promote", "--from", "staging", "--to", "prod", "--missing", "--dry-run", code=0)
    assert dry["added"] == ["NEW"] and dry["version"] is None
    refused = document("promote", "--from", "staging", "--to", "prod", "API", code=1)
    assert refused["refused"] is True and refused["needs_force"] == ["API"]
    assert refused["dry_run"] is False
    done = document("promote", "--from", "staging", "--to", "prod", "--missing", code=0)
    assert done["added"] == ["NEW"] and done["dry_run"] is False


def test_scan_with_and_without_findings(project: Path, aws: None) -> None:
    write_config(project, "secrets_manager")
    Path(".env").write_text("TOKEN=Tk5Lq9Vz2Wd\n")
    Path("clean.txt").write_text("nothing here\n")
    Path("leak.py").write_text('token = "Tk5Lq9Vz2Wd"\n')
    clean = document("scan", "clean.txt", code=0)
    assert clean["findings"] == [] and clean["files"] == 1 and clean["values"] >= 1
    found = document("scan", "leak.py", "clean.txt", code=1)
    assert found["findings"] == [
        {"path": "leak.py", "line": 1, "key": "TOKEN", "form": "the value"}
    ]
    os.mkfifo("pipe")
    unreadable = document("scan", "pipe", code=2)  # a document still: what could not be read
    assert [problem["path"] for problem in unreadable["unreadable"]] == ["pipe"]


def test_config_and_forget(remote: Remote, project: Path) -> None:
    assert document("config", code=0)["keys"] == list(VALUES)
    Path(".env").unlink()
    assert document("config", code=0)["keys"] is None
    Path(".env").write_text(ENV)
    assert document("forget", code=0) == {
        "schema": 1,
        "command": "forget",
        "dropped": False,
        "all": False,
        "key_dropped": False,
    }
    remote.seed(VALUES)
    assert run("push").exit_code == 0
    assert document("forget", code=0)["dropped"] is True
    everything = document("forget", "--all", "--drop-fingerprint-key", code=0)
    assert everything["all"] is True and everything["key_dropped"] is True


# -- errors ---------------------------------------------------------------------------------------

ARGS = {
    "rollback": ["--to", "AWSPREVIOUS"],
    "compare": ["staging", "prod"],
    "promote": ["--from", "staging", "--to", "prod", "--missing"],
}


@pytest.mark.parametrize("command", COMMANDS)
def test_an_error_is_one_error_document_with_the_words_of_stderr(
    command: str, project: Path, aws: None
) -> None:
    Path(".secretsync.toml").write_text('[backend]\ntype = "nope"\n')
    result = run(command, *ARGS.get(command, []), "--format", "json")
    assert result.exit_code == 2
    error = validated(result.stdout)
    assert (error["command"], error["exit_code"]) == (command, 2)
    assert error["error"]["kind"] == "error"
    assert error["error"]["message"] in result.stderr
    assert error["error"]["hint"] is None or error["error"]["hint"] in result.stderr


def test_a_table_error_prints_nothing_on_stdout(project: Path, aws: None) -> None:
    Path(".secretsync.toml").write_text('[backend]\ntype = "nope"\n')
    result = run("diff")
    assert result.exit_code == 2 and result.stdout == ""


@pytest.mark.parametrize(
    ("raised", "code", "kind"),
    [
        (RuntimeError("boom Zq7Wk2Vn8Ls"), 2, "unexpected"),
        (KeyboardInterrupt(), 130, "interrupted"),
    ],
)
def test_an_unexpected_error_or_an_interrupt_is_a_document_without_foreign_words(
    raised: BaseException,
    code: int,
    kind: str,
    remote: Remote,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from secretsync_hooks.sync import runner

    def fail(*args: object, **kwargs: object) -> None:
        raise raised

    monkeypatch.setattr(runner, "check_targets", fail)
    result = run("diff", "--format", "json")
    assert result.exit_code == code
    error = validated(result.stdout)
    assert error["error"]["kind"] == kind and error["exit_code"] == code
    assert "Zq7Wk2Vn8Ls" not in result.stdout  # its text is not secretsync's own
    if kind == "unexpected":
        assert error["error"]["message"] == "unexpected error: RuntimeError"


@pytest.mark.parametrize(
    "args",
    [
        ["diff", "--format", "json", "--no-such-option"],  # a usage error: the command never ran
        ["export", "--format", "json", "--keys", "NOT_THERE"],  # the values, not a document
    ],
)
def test_no_error_document_where_there_is_no_document(remote: Remote, args: list[str]) -> None:
    remote.seed(VALUES)
    result = run(*args)
    assert result.exit_code == 2 and result.stdout == ""


# -- the schemas ----------------------------------------------------------------------------------


def _walk(schema: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every subschema under ``properties`` (with where it is), however deep."""
    if isinstance(schema, dict):
        for name, sub in schema.get("properties", {}).items():
            yield f"{path}/{name}", sub
        for key, sub in schema.items():
            yield from _walk(sub, f"{path}/{key}")
    elif isinstance(schema, list):
        for index, sub in enumerate(schema):
            yield from _walk(sub, f"{path}/{index}")


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_each_schema_is_valid_and_describes_every_property(name: str) -> None:
    schema = schemas()[name]
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(f"/secretsync_hooks/schemas/{name}.schema.json")
    assert schema["title"] and schema["description"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["schema"]["const"] == SCHEMAS[name]
    assert list(schema["properties"])[:2] == ["schema", "command"]
    undescribed = [
        where
        for where, sub in _walk(schema)
        if isinstance(sub, dict) and ("type" in sub or "enum" in sub or "const" in sub)
        if "description" not in sub and not re.search(r"/(if|then|else|oneOf)/", where)
    ]
    assert undescribed == []
    formats = {
        sub["format"] for _, sub in _walk(schema) if isinstance(sub, dict) and "format" in sub
    }
    assert formats <= {None, "date-time"}  # the one format tests/json_contract.py checks


def test_one_schema_file_per_document_and_nothing_else() -> None:
    folder = ROOT / "secretsync_hooks" / "schemas"
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{n}.schema.json" for n in SCHEMAS)
    assert set(schemas()) == set(SCHEMAS)


def _json_commands() -> set[str]:
    assert isinstance(cli, click.Group)
    context = click.Context(cli)
    found = set()
    for name in cli.list_commands(context):
        command = cli.get_command(context, name)
        assert command is not None
        for param in command.params:
            choices = getattr(param.type, "choices", ())
            if isinstance(param, click.Option) and "--format" in param.opts and "json" in choices:
                found.add(name)
    return found


def test_every_command_offering_json_has_a_schema() -> None:
    # export --format json writes the values themselves (a flat object), not a document.
    assert _json_commands() == {*COMMANDS, "export"}
    assert set(COMMANDS) | {"targets", "error"} == set(SCHEMAS)


def test_the_installed_package_holds_the_schemas() -> None:
    # As the program finds them installed (package data: `pip wheel . --no-deps` and
    # `unzip -l` show them in the wheel too).
    folder = files("secretsync_hooks") / "schemas"
    for name in SCHEMAS:
        assert json.loads((folder / f"{name}.schema.json").read_text())["title"]
    assert '"schemas/*.schema.json"' in (ROOT / "pyproject.toml").read_text()  # package data


def _shape(schema: Any) -> Any:
    """``schema`` without its words (title, descriptions, $id) or its command's name."""
    if isinstance(schema, dict):
        kept = {k: _shape(v) for k, v in schema.items() if k not in ("title", "description", "$id")}
        if kept.get("properties", {}).get("command", {}).get("const"):
            kept["properties"]["command"] = "COMMAND"
        return kept
    if isinstance(schema, list):
        return [_shape(item) for item in schema]
    return schema


def test_the_comparison_documents_share_one_shape() -> None:
    diff, status, push, pull = (_shape(schemas()[n]) for n in ("diff", "status", "push", "pull"))
    assert push == pull
    for wider in (status, push):
        for name, sub in diff["properties"].items():
            assert wider["properties"][name] == sub, name
        assert wider["$defs"] == diff["$defs"]
        assert wider["required"][: len(diff["required"])] == diff["required"]


def test_the_scan_forms_are_those_the_guard_looks_for() -> None:
    from secretsync_hooks.guard.needles import forms

    found = {form for form, _ in forms("line-one-Qx7Zp2\nline-two-Wy3Ft6", 1)}
    finding = schemas()["scan"]["properties"]["findings"]["items"]
    assert found == set(finding["properties"]["form"]["enum"])


def _diff() -> dict[str, Any]:
    return validated(_examples()["diff"])


STRAYS: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
    ("an extra property", lambda d: d.update(extra=1)),
    ("no schema", lambda d: d.pop("schema")),
    ("another schema number", lambda d: d.update(schema=3)),
    ("a wrong type", lambda d: d.update(in_sync="yes")),
    ("an unknown state", lambda d: d["entries"][0].update(state="gone")),
    ("values and masked at once", lambda d: d["entries"][0].update(local="x", remote="y")),
    ("a conflict without its detail", lambda d: d["entries"][1].pop("detail")),
    ("a detail without a conflict", lambda d: d["entries"][0].update(detail="both_added")),
    ("a two-way summary for a three-way comparison", lambda d: d.update(three_way=False)),
    ("a time that is no time", lambda d: d["remote"].update(last_changed="yesterday")),
    ("an extra field in the remote", lambda d: d["remote"].update(arn="x")),
]


@pytest.mark.parametrize(("what", "stray"), STRAYS, ids=[what for what, _ in STRAYS])
def test_a_document_that_strays_from_its_schema_fails(
    what: str, stray: Callable[[dict[str, Any]], None]
) -> None:
    wrong = copy.deepcopy(_diff())
    stray(wrong)
    with pytest.raises(ValidationError):
        validated(wrong)


def test_an_error_document_with_a_document_s_fields_fails() -> None:
    error = validated(_examples()["error"])
    with pytest.raises(ValidationError):
        validator("error").validate({**error, "in_sync": False})
    with pytest.raises(ValidationError):
        validator("error").validate({**error, "command": "export"})


# -- the docs -------------------------------------------------------------------------------------


def _examples() -> dict[str, dict[str, Any]]:
    """docs/reference/json.md's examples, by the schema each answers to."""
    page = (ROOT / "docs" / "reference" / "json.md").read_text()
    blocks = re.findall(r"^```json\n(.*?)^```", page, re.MULTILINE | re.DOTALL)
    found: dict[str, dict[str, Any]] = {}
    for block in blocks:
        example = json.loads(block)
        found.setdefault(schema_of(example), example)
    return found


def test_the_docs_show_a_valid_example_of_every_document() -> None:
    page = (ROOT / "docs" / "reference" / "json.md").read_text()
    blocks = re.findall(r"^```json\n(.*?)^```", page, re.MULTILINE | re.DOTALL)
    for block in blocks:
        validated(block)
    assert set(_examples()) == set(SCHEMAS)
    folder = "https://github.com/secretsync/secretsync-hooks/blob/main/secretsync_hooks/schemas/"
    for name in SCHEMAS:  # and its schema file, linked from the table
        assert f"{folder}{name}.schema.json" in page, name
