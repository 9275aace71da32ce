"""A client-side pace for Parameter Store writes that finds the account's limit by itself.

``PutParameter`` is throttled at a few calls a second by default (more with "higher
throughput"), and exponential backoff wastes most of that budget: every throttled call sleeps
for up to seconds while the quota refills unused.  Instead, every writer takes a slot from one
shared pace:

- until the first throttle, the pace grows quickly to find the limit;
- on a throttle, if the service let the last few calls through far slower than the pace, the
  pace drops to that rate (never by more than half at once), remembered as the known capacity;
  if they passed at about the pace, the throttle is jitter around the limit (a call sent a
  little late leaves the next one too early) and the pace is only trimmed;
- afterwards it climbs back quickly to the known capacity, then slowly beyond it, so a higher
  limit is found too.

Pacing under the limit wastes quota; pacing over it only costs a retried call, so the pace
errs upwards.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger("secretsync")

RECENT = 10  # the rate of the last this many successes measures the service's limit
CUT = 0.5  # a throttle never cuts the pace below this fraction at once
OVER = 0.6  # successes slower than this fraction of the pace: well over the limit
KNOWN = 0.8  # after a hard cut, recover quickly up to this fraction of the throttled pace
TRIM = 0.9  # otherwise a throttle only trims the pace (a throttled call wastes its slot)
PROBE = 1.0  # growth a second before the first throttle (doubling)
RECOVER = 1.0  # growth a second while below the known capacity
GROWTH = 0.05  # growth a second beyond it
COOLDOWN = 0.25  # one burst of throttles is one cut
MAX_OFFSET = 0.25  # seconds: the longest a checked write waits after its slot


class AdaptivePace:
    """Hands out send slots at ``rate`` per second, adapting ``rate`` to throttling."""

    def __init__(
        self,
        initial: float = 20.0,
        *,
        minimum: float = 1.0,
        maximum: float = 500.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = initial
        self.minimum = minimum
        self.maximum = maximum
        self.known: float | None = None  # the capacity measured at the last cut
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._last_send = -1e9
        self._successes: collections.deque[float] = collections.deque(maxlen=RECENT)
        self._last_cut = -1e9
        self._last_growth = clock()

    def wait(self) -> float:
        """Block until a send is due at the current pace; return the slot's time.

        Slots are not booked ahead: with several writers waiting, booked slots would keep the
        old spacing for a while after the pace drops, each one throttled.
        """
        while True:
            with self._lock:
                now = self._clock()
                due = self._last_send + 1.0 / self.rate
                if now >= due:
                    self._last_send = now
                    return now
            self._sleep(due - now)

    def success(self) -> None:
        with self._lock:
            now = self._clock()
            self._successes.append(now)
            elapsed = min(now - self._last_growth, 0.5)
            if elapsed < 0.05 or now - self._last_cut < COOLDOWN:
                return
            self._last_growth = now
            if self.known is None:
                growth = PROBE
            elif self.rate < self.known:
                growth = RECOVER
            else:
                growth = GROWTH
            grown = self.rate * (1.0 + growth * elapsed)
            if self.known is not None and self.rate < self.known:
                grown = min(grown, self.known)
            self.rate = min(self.maximum, grown)

    def throttled(self) -> None:
        with self._lock:
            now = self._clock()
            if now - self._last_cut < COOLDOWN:
                return
            self._last_cut = now
            self._last_growth = now
            measured = self._measured()
            if measured is None:
                target = self.rate * CUT
            elif measured < OVER * self.rate:
                # Throttled calls waste slots, so what passed underestimates the limit; the
                # pace that was throttled overestimates it.  Aim between the two.
                target = max(self.rate * CUT, measured)
                self.known = max(measured, KNOWN * self.rate)
            else:
                target = self.rate * TRIM
                self.known = target
            self.rate = max(self.minimum, min(self.rate, target))
            log.debug(
                "throttled: pace %.1f/s (measured %s, known %s)",
                self.rate,
                f"{measured:.1f}/s" if measured else "-",
                f"{self.known:.1f}/s" if self.known else "-",
            )
            # Let the service's bucket refill before the next send.
            self._last_send = max(self._last_send, now)

    def _measured(self) -> float | None:
        """Successes a second over the last ``RECENT`` successes, if there were enough."""
        if len(self._successes) < 3:
            return None
        span = self._successes[-1] - self._successes[0]
        return (len(self._successes) - 1) / span if span > 0 else None


class CheckedSend:
    """A check made in a send's own slot, then the send at a steady offset from the slot.

    A check right before each write (is the parameter still at the version read?) keeps the
    window for a lost update to one round trip, but its round trip varies: sent as soon as the
    check returns, the writes would leave their slots' even spacing, and a strict limit
    throttles a write that arrives a few milliseconds early.  So each write goes out at its
    slot's time plus the slowest of the recent checks (at most ``MAX_OFFSET``, so that one
    check slowed by retries does not hold every write back): as evenly spaced as the slots.
    """

    def __init__(
        self,
        recent: int = 20,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._took: collections.deque[float] = collections.deque(maxlen=recent)
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep

    def send_after(self, slot: float) -> None:
        """Called when the check of the slot at ``slot`` returned: wait until the send is due."""
        now = self._clock()
        with self._lock:
            self._took.append(now - slot)
            offset = min(max(self._took), MAX_OFFSET)
        if slot + offset > now:
            self._sleep(slot + offset - now)
