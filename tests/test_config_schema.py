"""The JSON Schema of ``.secretsync.toml`` (``config/secretsync-config.schema.json`` in the package,
for editors and CI): valid, shipped, naming exactly the settings secretsync reads, agreeing
with secretsync on what it refuses, and every example config valid under it."""

from __future__ import annotations

import json
import sys
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from secretsync_hooks.config import contract, schema, settings
from secretsync_hooks.config.settings import Overrides, load_config
from secretsync_hooks.errors import ConfigError
from tests.helpers import CONFIG
from tests.test_contract import BAD_RULES, RULES
from tests.test_docs import page

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

ROOT = Path(__file__).resolve().parent.parent
SCHEMA: dict[str, Any] = json.loads(
    files("secretsync_hooks").joinpath("config/secretsync-config.schema.json").read_text()
)
VALIDATOR = Draft202012Validator(SCHEMA)
EXAMPLES = sorted((ROOT / "examples").glob("*.secretsync.toml"))


def errors(text: str) -> list[str]:
    return [error.message for error in VALIDATOR.iter_errors(tomllib.loads(text))]


def test_the_schema_is_valid_and_shipped_with_the_package_and_the_docs() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$id"].endswith("/secretsync_hooks/config/secretsync-config.schema.json")
    assert '"config/secretsync-config.schema.json"' in (ROOT / "pyproject.toml").read_text()
    published = ROOT / "docs" / "schemas" / "secretsync-config.schema.json"
    assert json.loads(published.read_text()) == SCHEMA  # the docs site serves the same file


def test_an_unknown_setting_or_a_wrong_backend_type_is_invalid() -> None:
    assert errors(CONFIG) == []
    assert errors(CONFIG.replace("secrets_manager", "vault", 1)) != []
    assert errors("colour = 1\n" + CONFIG) != []
    assert errors(CONFIG + "timeout = 3\n") != []  # under [parameter_store]
    assert errors('[environments.prod.backend]\nregoin = "x"\n' + CONFIG) != []


def test_the_schema_names_exactly_the_settings_secretsync_reads() -> None:
    top = SCHEMA["properties"]
    assert set(top) == {*schema.TOP_LEVEL, *schema.TABLES, "keys", "environments"}
    environment = SCHEMA["$defs"]["environment"]["properties"]
    assert set(environment) == set(top) - {"environments"}
    for table, known in schema.TABLES.items():
        assert set(SCHEMA["$defs"][table]["properties"]) == set(known), table
    rule = SCHEMA["$defs"]["rule"]["properties"]
    assert set(rule) == set(contract.FIELDS)
    assert tuple(rule["type"]["enum"]) == contract.TYPES
    assert rule["pattern"]["maxLength"] == contract.MAX_PATTERN
    assert tuple(SCHEMA["$defs"]["backend"]["properties"]["type"]["enum"]) == (
        settings.BACKEND_TYPES
    )
    parameter_store = SCHEMA["$defs"]["parameter_store"]["properties"]
    assert tuple(parameter_store["type"]["enum"]) == settings.PARAMETER_TYPES
    assert tuple(parameter_store["tier"]["enum"]) == settings.PARAMETER_TIERS
    scan = SCHEMA["$defs"]["scan"]["properties"]["min_length"]
    assert (scan["minimum"], scan["maximum"], scan["default"]) == (
        1,
        settings.MAX_SCAN_MIN_LENGTH,
        settings.DEFAULT_SCAN_MIN_LENGTH,
    )


def _described(node: Any, where: str = "") -> list[str]:
    """Every property of the schema that says nothing about itself."""
    found = []
    if isinstance(node, dict):
        for name, value in node.get("properties", {}).items():
            if "description" not in value and "$ref" not in value:
                found.append(f"{where}.{name}")
        for key, value in node.items():
            if key != "not":  # a rule's combinations, not settings
                found += _described(value, f"{where}.{key}")
    return found


def test_every_setting_is_described_in_the_schema_and_the_reference() -> None:
    assert _described(SCHEMA) == []
    reference = page("reference/configuration.md")
    for name in [*schema.TOP_LEVEL, *contract.FIELDS]:
        assert f"`{name}`" in reference, name
    assert "`[environments.NAME]`" in reference and "`[keys.NAME]`" in reference
    for table, known in schema.TABLES.items():
        assert f"[{table}]" in reference, table
        for name in known:
            assert f"`{name}`" in reference or f" {name}`" in reference, (table, name)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_config_is_valid_under_the_schema(path: Path) -> None:
    assert errors(path.read_text()) == []


def test_a_config_with_a_contract_is_valid_under_the_schema() -> None:
    assert errors(RULES + CONFIG) == []


# The refusals a schema can say (not a pattern's syntax, an example's fit, a glob's
# requiredness): secretsync and the schema agree on each.
EXPRESSIBLE = [
    (extra, said)
    for extra, said in BAD_RULES
    if "compile" not in said
    and "example" not in said
    and "glob" not in said
    and "required_keys" not in extra
    and "both local" not in said
] + [(extra, said) for extra, said in BAD_RULES if "not a key name" in said]


@pytest.mark.parametrize(("extra", "said"), EXPRESSIBLE)
def test_the_schema_refuses_what_secretsync_refuses(project: Path, extra: str, said: str) -> None:
    (project / ".secretsync.toml").write_text(extra + CONFIG)
    with pytest.raises(ConfigError):
        load_config(Overrides())
    assert errors(extra + CONFIG) != []


@pytest.mark.parametrize(
    "extra",
    [
        '[backend]\ntype = "vault"\n',
        "[scan]\nmin_length = 64\n",
        '[parameter_store]\npath = "myapp/"\n',
        '[parameter_store]\ntier = "Premium"\n',
        'plain_keys = "A"\n',
        "[secrets_manager]\ntags = { team = 1 }\n",
    ],
)
def test_the_schema_refuses_settings_secretsync_refuses(project: Path, extra: str) -> None:
    raw = tomllib.loads(CONFIG)
    raw.update(tomllib.loads(extra))  # the broken table in place of the good one
    if "parameter_store" in extra:  # checked where it is used
        raw["backend"]["type"] = "parameter_store"
    assert [e.message for e in VALIDATOR.iter_errors(raw)] != []
    text = "\n".join(
        f"[{table}]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in value.items())
        if isinstance(value, dict)
        else f"{table} = {json.dumps(value)}\n"
        for table, value in sorted(raw.items(), key=lambda item: isinstance(item[1], dict))
    )
    (project / ".secretsync.toml").write_text(text)
    with pytest.raises(ConfigError):
        load_config(Overrides()).remote_name  # noqa: B018 - the target is resolved lazily
