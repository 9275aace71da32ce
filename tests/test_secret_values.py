"""Where the values and the list of required keys come from."""

from __future__ import annotations

from pathlib import Path

import pytest

from secretsync_hooks.config.settings import Overrides, load_config
from secretsync_hooks.errors import ConfigError, SecretSyncError
from secretsync_hooks.sync.values import check_required, example_files, required_keys
from tests.helpers import write_config


def test_the_example_beside_the_env_file(tmp_path: Path) -> None:
    assert example_files(tmp_path / ".env") == [tmp_path / ".env.example"]
    assert example_files(tmp_path / "prod.env") == [
        tmp_path / "prod.env.example",
        tmp_path / ".env.example",
    ]


def test_required_keys_come_from_the_config_else_the_example(project: Path) -> None:
    write_config(project, "secrets_manager")
    with pytest.raises(ConfigError, match="--strict needs the list of required keys"):
        required_keys(load_config())
    (project / ".env.example").write_text("# keys\nA=\nB=placeholder\n")
    assert required_keys(load_config()) == (("A", "B"), str(project / ".env.example"))
    (project / "prod.env.example").write_text("P=\n")
    config = load_config(Overrides(env_file=Path("prod.env")))
    assert required_keys(config) == (("P",), str(project / "prod.env.example"))
    write_config(project, "secrets_manager", 'required_keys = ["X", "Y"]\n')
    keys, where = required_keys(load_config())
    assert keys == ("X", "Y") and where.startswith("required in ")


def test_required_keys_per_environment(project: Path) -> None:
    config = write_config(project, "secrets_manager", 'required_keys = ["TOP"]\n')
    config.write_text(
        config.read_text() + '[environments.prod]\nrequired_keys = ["PROD_ONLY"]\n'
        '[environments.prod.secrets_manager]\nsecret_name = "myapp/prod"\n'
    )
    assert required_keys(load_config(Overrides(environment="prod")))[0] == ("PROD_ONLY",)
    assert required_keys(load_config())[0] == ("TOP",)


def test_a_required_keys_typo_or_type_is_reported(project: Path) -> None:
    write_config(project, "secrets_manager", 'required_key = ["A"]\n')
    assert any("did you mean 'required_keys'" in w for w in load_config().warnings)
    write_config(project, "secrets_manager", 'required_keys = "A"\n')
    with pytest.raises(ConfigError, match="required_keys must be a list of strings"):
        load_config()


def test_missing_required_keys_are_named_not_their_values(project: Path) -> None:
    write_config(project, "secrets_manager", 'required_keys = ["A", "B", "C"]\n')
    with pytest.raises(SecretSyncError) as info:
        check_required(load_config(), {"A": "value-of-a"}, "nothing happened")
    assert str(info.value).startswith("2 required keys missing or empty (required in ")
    assert "B, C; nothing happened" in str(info.value)
    assert "value-of-a" not in str(info.value)
    check_required(load_config(), {"A": "1", "B": "2", "C": "3"}, "never raised")
