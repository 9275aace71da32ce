"""How calls to SSM Parameter Store are retried: each runs in a slot of the adaptive pace, after
the check that must precede it (its reads share the account's quota and fail as any call can);
throttling slows the pace instead of failing, and other transient failures (``TooManyUpdates``,
which botocore never retries, 5xx and dropped connections) back off with jitter, a bounded
number of times.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TypeVar

from secretsync_hooks.remote.aws import error_code
from secretsync_hooks.remote.parameter_store.validation import ParameterStoreValidation

THROTTLED = {"ThrottlingException", "Throttling"}
# TooManyUpdates (a concurrent update of one parameter) is not retried by botocore at all.
BACKOFF = {"TooManyUpdates", "ServiceUnavailable", "InternalServerError", "InternalFailure"}
MAX_ATTEMPTS = 8  # for 5xx, TooManyUpdates and dropped connections
MAX_THROTTLED = 30  # throttling is expected under a low quota: the pace slows instead
FIRST_BACKOFF = 0.1  # seconds: the first back-off's bound, doubled after each failure ...
MAX_BACKOFF = 5.0  # ... up to this
T = TypeVar("T")


class ParameterStoreRetrying(ParameterStoreValidation):
    """What runs a call to SSM paced, and retries it while its failure is transient."""

    def _retrying(self, call: Callable[[], T], before: Callable[[], None] | None = None) -> T:
        """``call`` in a paced slot, after ``before`` (a check that raises to stop it);
        throttling slows the pace, other transient failures (TooManyUpdates, 5xx, dropped
        connections) back off with jitter."""
        from botocore.exceptions import ConnectionError as BotocoreConnectionError
        from botocore.exceptions import HTTPClientError  # dropped connections, read timeouts

        delay = FIRST_BACKOFF
        failures = throttles = 0
        while True:
            slot = self._pace.wait()
            try:
                if before is not None:
                    # The check's reads share one quota per account and region with every
                    # other application, and fail as any call can: its throttling and
                    # transient failures are handled as the write's (a conflict it finds is
                    # no AWS error, and stops the write).
                    before()
                    self._checked.send_after(slot)
                result = call()
            except Exception as exc:
                code = error_code(exc)
                if code in THROTTLED:
                    throttles += 1
                    if throttles >= MAX_THROTTLED:
                        raise
                    self._pace.throttled()
                    continue
                failures += 1
                transient = code in BACKOFF or isinstance(
                    exc, BotocoreConnectionError | HTTPClientError
                )
                if not transient or failures >= MAX_ATTEMPTS:
                    raise
                self._sleep(random.uniform(0, delay))  # noqa: S311 - jitter, not cryptography
                delay = min(delay * 2, MAX_BACKOFF)
                continue
            self._pace.success()
            return result
