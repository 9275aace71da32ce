"""The two renderings: a golden JSON document and the table at 80 columns without colour."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from secretsync_hooks.config.settings import load_config
from secretsync_hooks.masking import MASK, ValuePolicy
from secretsync_hooks.redact import Redactor
from secretsync_hooks.render import documents
from secretsync_hooks.render.output import Output
from secretsync_hooks.render.terminal import render_comparison
from secretsync_hooks.sync.workspace import open_workspace
from tests.helpers import Remote, write_config
from tests.json_contract import validated


@pytest.fixture
def workspace_files(project: Path, aws: None) -> Path:
    write_config(project, "secrets_manager", extra='plain_keys = ["LOG_*"]\n')
    (project / ".env").write_text(
        "A_VERY_LONG_KEY_NAME_THAT_KEEPS_GOING_AND_GOING=1\nLOG_LEVEL=debug\nSAME=s\nNEW=n\n"
        "SAME2=s\nSAME3=s\n"
    )
    Remote("secrets_manager").seed(
        {
            "A_VERY_LONG_KEY_NAME_THAT_KEEPS_GOING_AND_GOING": "2",
            "LOG_LEVEL": "info",
            "SAME": "s",
            "GONE": "g",
            "SAME2": "s",
            "SAME3": "s",
        }
    )
    return project


def test_golden_json_document(workspace_files: Path) -> None:
    workspace = open_workspace(load_config(environ={}), Redactor())
    comparison = workspace.compare()
    document = documents.comparison_document(
        workspace, "diff", comparison, ValuePolicy(plain_keys=("LOG_*",))
    )
    validated(documents.dumps(document))
    assert document["remote"].pop("version")
    assert document["remote"].pop("last_changed")
    assert document == {
        "schema": 2,
        "command": "diff",
        "environment": None,
        "backend": "secrets_manager",
        "target": "myapp/production",
        "region": "us-east-1",
        "region_source": ".secretsync.toml [backend.region]",
        "env_file": str(workspace_files / ".env"),
        "remote": {"exists": True, "no_value": False},
        "warnings": [],
        "base": None,
        "two_way_reason": None,
        "local_keys": [],
        "in_sync": False,
        "keys_only": False,
        "three_way": False,
        "entries": [
            {
                "key": "A_VERY_LONG_KEY_NAME_THAT_KEEPS_GOING_AND_GOING",
                "state": "changed",
                "masked": True,
            },
            {"key": "LOG_LEVEL", "state": "changed", "local": "debug", "remote": "info"},
            {"key": "SAME", "state": "unchanged", "masked": True},
            {"key": "NEW", "state": "local_only", "masked": True},
            {"key": "SAME2", "state": "unchanged", "masked": True},
            {"key": "SAME3", "state": "unchanged", "masked": True},
            {"key": "GONE", "state": "remote_only", "masked": True},
        ],
        "summary": {"local_only": 1, "remote_only": 1, "changed": 2, "unchanged": 3},
    }
    assert json.loads(documents.dumps(document)) == document


def test_table_at_80_columns_without_colour(workspace_files: Path) -> None:
    workspace = open_workspace(load_config(environ={}), Redactor())
    out_buffer, err_buffer = io.StringIO(), io.StringIO()
    output = Output("never", stdout=out_buffer, stderr=err_buffer, width=80)
    render_comparison(output, workspace, workspace.compare(), ValuePolicy(plain_keys=("LOG_*",)))
    text = out_buffer.getvalue()
    assert "\x1b" not in text
    assert all(len(line) <= 80 for line in text.splitlines())
    assert [line.rstrip() for line in text.splitlines()] == [
        ".env vs secret myapp/production (us-east-1)",
        "KEY                                              STATE        LOCAL     REMOTE",
        f"A_VERY_LONG_KEY_NAME_THAT_KEEPS_GOING_AND_GOING  changed      {MASK}  {MASK}",
        "LOG_LEVEL                                        changed      debug     info",
        f"NEW                                              local-only   {MASK}  -",
        f"GONE                                             remote-only  -         {MASK}",
        "Out of sync: 1 local-only, 1 remote-only, 2 changed; 3 unchanged.",
    ]
    assert "`secretsync push --force` keeps your local values" in err_buffer.getvalue()


def test_progress_bar_only_on_a_terminal_and_only_for_many_writes() -> None:
    from secretsync_hooks.render.output import progress_bar

    plain = Output("never", stderr=io.StringIO())
    with progress_bar(plain, 200, "pushing") as callback:
        assert callback is None
    buffer = io.StringIO()
    terminal = Output("always", stderr=buffer)
    with progress_bar(terminal, 3, "pushing") as callback:
        assert callback is None
    with progress_bar(terminal, 20, "pushing 20 keys") as callback:
        assert callback is not None
        for done in range(1, 21):
            callback(done, 20, f"K{done}")
    assert "pushing 20 keys" in buffer.getvalue()


@pytest.mark.usefixtures("processes")
def test_plain_output_does_not_import_rich() -> None:
    import subprocess
    import sys

    code = (
        "import io, sys\n"
        "from secretsync_hooks.render.output import Output\n"
        "o = Output('auto', stdout=io.StringIO(), stderr=io.StringIO())\n"
        "o.line('in sync'); o.line('warning', err=True)\n"
        "print(sorted(m for m in sys.modules if m.startswith('rich')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
