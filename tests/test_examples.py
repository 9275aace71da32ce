from __future__ import annotations

from pathlib import Path

import pytest

from secretsync_hooks.config import Overrides, load_config

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.secretsync.toml"))


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 2


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_config_loads_cleanly(path: Path) -> None:
    config = load_config(Overrides(config=path), environ={})
    assert config.warnings == ()
    for name in config.environments:
        env_config = load_config(Overrides(config=path, environment=name), environ={})
        assert env_config.environment == name
