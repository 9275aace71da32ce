"""Checking several targets at once (``--env`` repeated, ``--all-envs``, ``--recursive``):
each in its own thread, with its own AWS session, within one overall deadline that includes
resolving credentials.  The core of ``secretsync diff``/``status`` with those options and of
the check hooks: fronts render what comes back.

One target is checked in the calling thread, where the deadline's alarm works.  Several: the
credentials of each profile are resolved first, once, in the calling thread (one MFA code
serves every target; a profile that cannot be resolved is reported for its targets, not
tried again by each thread), then the threads run with what is left of the deadline.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import NamedTuple

from secretsync_hooks.config.settings import Config, Overrides, load_config
from secretsync_hooks.errors import AwsUnavailableError, SecretSyncError
from secretsync_hooks.redact import Redactor
from secretsync_hooks.sync.differ import Comparison
from secretsync_hooks.sync.targets import Target
from secretsync_hooks.sync.workspace import Workspace

# Threads have no alarm: a target still waiting at the deadline is reported as late, after
# this much more for one that is just finishing.
GRACE = 0.1


class Checked(NamedTuple):
    """One target's check: its config (when it could be read), its two sides and their
    comparison, or the error that stopped it (for the front to report)."""

    target: Target
    config: Config | None = None
    workspace: Workspace | None = None
    comparison: Comparison | None = None
    error: Exception | None = None


def check_targets(
    found: Sequence[Target],
    overrides: Callable[[Target], Overrides],
    redactor: Redactor,
    *,
    keys_only: bool = False,
    seconds: float,
) -> list[Checked]:
    """Check every target of ``found`` (``overrides`` gives each its settings), all within
    ``seconds``; the results in ``found``'s order."""
    if len(found) == 1:
        return [_check(found[0], overrides, redactor, keys_only, seconds)]
    from secretsync_hooks.remote.aws import forget_shared_credentials

    until = time.monotonic() + seconds
    # Every config is read here, in the main thread: a [keys] pattern is checked against
    # its example under an alarm only the main thread has.
    configs = [_load(overrides, target) for target in found]
    try:
        failed = _share_credentials(configs, seconds)
        return _at_once(found, configs, redactor, keys_only, seconds, until, failed)
    finally:
        forget_shared_credentials()


def _load(overrides: Callable[[Target], Overrides], target: Target) -> Config | Exception:
    try:
        return load_config(overrides(target))
    except Exception as exc:  # reported by the front, in the target's order
        return exc


def _check(
    target: Target,
    loaded: Config | Exception | Callable[[Target], Overrides],
    redactor: Redactor,
    keys_only: bool,
    seconds: float,
) -> Checked:
    from secretsync_hooks.sync.engine import check

    config = None
    try:
        if isinstance(loaded, Exception):
            raise loaded
        config = loaded if isinstance(loaded, Config) else load_config(loaded(target))
        redactor.lower_min_length(config.scan_min_length)
        workspace, comparison = check(config, redactor, keys_only=keys_only, deadline=seconds)
    except Exception as exc:  # reported by the front, in the target's order
        return Checked(target, config, error=exc)
    return Checked(target, config, workspace, comparison)


def _share_credentials(
    configs: Sequence[Config | Exception], seconds: float
) -> dict[int, SecretSyncError]:
    """Resolve each profile's credentials once, before the threads start; the targets whose
    profile could not be resolved, with why."""
    from secretsync_hooks.remote.aws import share_credentials

    profiles: dict[str | None, str | None] = {}
    of_target: dict[int, str | None] = {}
    for index, config in enumerate(configs):
        if isinstance(config, Exception):
            continue  # the target's own check reports it
        profiles.setdefault(config.profile, config.region)
        of_target[index] = config.profile
    failed = share_credentials(profiles, seconds)
    return {index: failed[profile] for index, profile in of_target.items() if profile in failed}


def _at_once(
    found: Sequence[Target],
    configs: Sequence[Config | Exception],
    redactor: Redactor,
    keys_only: bool,
    seconds: float,
    until: float,
    failed: dict[int, SecretSyncError],
) -> list[Checked]:
    results: dict[int, Checked] = {}
    left = max(until - time.monotonic(), 0.1)  # what the credentials left of the deadline

    def work(index: int, target: Target) -> None:
        results[index] = _check(target, configs[index], redactor, keys_only, left)

    threads = [
        threading.Thread(target=work, args=(index, target), daemon=True)
        for index, target in enumerate(found)
        if index not in failed
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, until + GRACE - time.monotonic()))
    out = []
    for index, target in enumerate(found):
        if index in failed:
            out.append(Checked(target, error=failed[index]))
        elif index in results:
            out.append(results[index])
        else:
            late = AwsUnavailableError(
                f"AWS did not answer within {seconds:g} s",
                hint="Check your network, VPN or AWS_ENDPOINT_URL; for a slow connection raise "
                "SECRETSYNC_TIMEOUT (seconds).",
            )
            out.append(Checked(target, error=late))
    return out
