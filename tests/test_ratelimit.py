"""The adaptive pace for Parameter Store writes, on a fake clock."""

from __future__ import annotations

import itertools

import pytest

from secretsync_hooks.remote.ratelimit import AdaptivePace


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_sends_are_spaced_at_the_pace(clock: Clock) -> None:
    pace = AdaptivePace(10.0, clock=clock, sleep=clock.sleep)
    sent = []
    for _ in range(5):
        pace.wait()
        sent.append(clock.now)
    gaps = [round(b - a, 6) for a, b in itertools.pairwise(sent)]
    assert gaps == [0.1, 0.1, 0.1, 0.1]


def test_grows_until_the_first_throttle(clock: Clock) -> None:
    pace = AdaptivePace(10.0, clock=clock, sleep=clock.sleep)
    for _ in range(20):
        pace.wait()
        pace.success()
    assert pace.rate > 12


def test_far_fewer_passing_than_sent_cuts_to_what_passed(clock: Clock) -> None:
    pace = AdaptivePace(40.0, clock=clock, sleep=clock.sleep)
    for _ in range(10):  # the service lets 3 a second through
        clock.now += 1 / 3
        pace.success()
    sent = pace.rate
    pace.throttled()
    assert pace.rate == pytest.approx(sent / 2)  # never more than half at once
    assert pace.known == pytest.approx(sent * 0.8)
    clock.now += 1
    pace.throttled()
    assert pace.rate == pytest.approx(sent / 4)
    for _ in range(5):
        clock.now += 1
        pace.throttled()
    assert 3.0 <= pace.rate <= 4.0  # down to about what passed
    assert pace.known is not None


def test_a_throttle_near_the_limit_only_trims(clock: Clock) -> None:
    pace = AdaptivePace(40.0, clock=clock, sleep=clock.sleep)
    for _ in range(10):
        clock.now += 1 / 39
        pace.success()
    before = pace.rate
    pace.throttled()
    assert pace.rate == pytest.approx(before * 0.9)


def test_one_burst_of_throttles_is_one_cut(clock: Clock) -> None:
    pace = AdaptivePace(40.0, clock=clock, sleep=clock.sleep)
    pace.throttled()
    after_first = pace.rate
    pace.throttled()
    pace.throttled()
    assert pace.rate == after_first


def test_recovers_quickly_to_the_known_capacity(clock: Clock) -> None:
    pace = AdaptivePace(50.0, clock=clock, sleep=clock.sleep)
    pace.throttled()  # ends probing: 25/s
    clock.now += 1
    pace.rate = 50.0
    for _ in range(10):
        clock.now += 1 / 25
        pace.success()
    pace.rate = 50.0
    pace.throttled()  # passed 25/s of 50/s sent: well over the limit
    assert pace.rate == pytest.approx(25.0, rel=0.05)
    assert pace.known == pytest.approx(40.0)
    for _ in range(40):
        clock.now += 0.06
        pace.success()
    assert pace.rate >= 39.0


def test_the_pace_has_a_floor(clock: Clock) -> None:
    pace = AdaptivePace(2.0, clock=clock, sleep=clock.sleep)
    for _ in range(10):
        clock.now += 1
        pace.throttled()
    assert pace.rate == 1.0


def test_checked_writes_keep_the_slots_spacing_whatever_each_check_takes(clock: Clock) -> None:
    from secretsync_hooks.remote.ratelimit import MAX_OFFSET, CheckedSend

    pace = AdaptivePace(40.0, clock=clock, sleep=clock.sleep)
    checked = CheckedSend(clock=clock, sleep=clock.sleep)
    sent = []
    for took in (0.020, 0.031, 0.022, 0.018, 0.029, 0.021):
        slot = pace.wait()
        clock.now += took  # the re-check's round trip, varying
        checked.send_after(slot)
        sent.append(clock.now)
        clock.now = slot  # the next writer takes the next slot (writers overlap)
    gaps = [round(b - a, 6) for a, b in itertools.pairwise(sent)]
    # Once the slowest check (31 ms) has been seen, every write leaves at its slot + 31 ms:
    # 25 ms apart, as the slots are.  Before it, the offset only grew (never a tighter gap).
    assert all(gap >= 0.025 for gap in gaps)
    assert gaps[2:] == [0.025] * 3
    # One check slowed by retries does not hold every later write back by as much.
    slot = pace.wait()
    clock.now += 3.0
    checked.send_after(slot)
    later = pace.wait()
    checked.send_after(later)
    assert clock.now - later <= MAX_OFFSET
