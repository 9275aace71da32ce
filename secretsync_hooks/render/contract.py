"""The key contract for people: each side checked, and each key that breaks a rule with the
rule it breaks (never the value)."""

from __future__ import annotations

from secretsync_hooks import text
from secretsync_hooks.config.settings import Config
from secretsync_hooks.keys.check import Checked
from secretsync_hooks.render.output import Output


def render_check(
    output: Output, config: Config, sides: list[Checked], *, quiet: bool, note: bool = True
) -> None:
    if not config.contract and note:
        output.line(
            f"note: {config.path.name} has no key contract ([keys.NAME] rules or "
            "required_keys): nothing to check",
            err=True,
        )
    for side in sides:
        where = config.env_file.name if side.side == "local" else config.remote_name
        what = f"{text.shown(where)} ({side.side})"
        if not side.violations:
            if not quiet:
                output.line(f"{what}: {text.count(side.keys, 'key')}, every rule holds.")
            continue
        keys = len({violation.key for violation in side.violations})
        breaks = "breaks" if keys == 1 else "break"
        output.line(f"{what}: {text.count(keys, 'key')} {breaks} the key contract:")
        width = max(len(text.shown(v.key)) for v in side.violations)
        for violation in side.violations:
            output.line(f"  {text.shown(violation.key):<{width}}  {violation.rule}")
