"""Rate strings, alert= lines, and the throttle/burst algorithm (Part B 7.1) on task.Clock."""

from __future__ import annotations

import pytest
from twisted.internet import task

from kismet_tx.alerts.alert import AlertThrottled
from kismet_tx.alerts.alerttracker import AlertTracker
from kismet_tx.alerts.rates import RateLimit, TimeUnit, parse_alert_line, parse_rate
from kismet_tx.messagebus import MessageBus


@pytest.mark.parametrize(("text", "expected"), [
    ("10/min", (10, TimeUnit.MIN)),
    ("10/minute", (10, TimeUnit.MIN)),
    ("1/sec", (1, TimeUnit.SEC)),
    ("2/second", (2, TimeUnit.SEC)),
    ("3/hr", (3, TimeUnit.HOUR)),
    ("3/hour", (3, TimeUnit.HOUR)),
    ("4/day", (4, TimeUnit.DAY)),
    ("7", (7, TimeUnit.MIN)),  # minute is the default unit
    (" 5 / SEC ", (5, TimeUnit.SEC)),
    ("0/min", (0, TimeUnit.MIN)),
])  # fmt: skip
def test_parse_rate(text: str, expected: tuple[int, TimeUnit]) -> None:
    assert parse_rate(text) == expected


@pytest.mark.parametrize("text", ["", "ten/min", "1/fortnight", "-1/sec", "1.5/sec", "/min"])
def test_parse_rate_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rate(text)


def test_parse_alert_line() -> None:
    assert parse_alert_line("deauthflood, 5/min, 2/sec") == (
        "DEAUTHFLOOD", RateLimit(5, TimeUnit.MIN, 2, TimeUnit.SEC))
    assert str(parse_alert_line("X,0/min,0/sec")[1]) == "0/min,0/sec"
    for bad in ("X,5/min", "X,5/min,1/sec,2", ",1/min,1/sec", "X,1/sec,1/min"):
        with pytest.raises(ValueError):
            parse_alert_line(bad)


class Bench:
    """One alert kind on a clock."""

    def __init__(self, limit: RateLimit) -> None:
        self.clock = task.Clock()
        self.clock.advance(1_000_000)
        self.tracker = AlertTracker(self.clock, MessageBus(self.clock))
        self.tracker.define("TEST", "a test alert", limit=limit)

    def fire(self) -> bool:
        """Try to raise the alert now; True if it was raised."""
        try:
            self.tracker.raise_alert("TEST", "text")
        except AlertThrottled:
            return False
        return True


def test_burst_caps_alerts_back_to_back() -> None:
    bench = Bench(RateLimit(10, TimeUnit.MIN, 2, TimeUnit.SEC))
    assert [bench.fire() for _ in range(3)] == [True, True, False]
    bench.clock.advance(0.5)
    assert bench.fire() is False  # still inside the burst second
    bench.clock.advance(0.6)
    assert [bench.fire(), bench.fire(), bench.fire()] == [True, True, False]


def test_throttle_caps_the_total_in_a_window_from_the_last_alert() -> None:
    bench = Bench(RateLimit(3, TimeUnit.MIN, 1, TimeUnit.SEC))
    raised = []
    for _ in range(10):
        raised.append(bench.fire())
        bench.clock.advance(2)
    assert raised == [True, True, True] + [False] * 7
    # The window counts from the last alert raised (t=4): it ends 60 s later.
    record = bench.tracker.definition("TEST").record()
    assert record["kismet.alert.definition.time_last"] == 1_000_004
    bench.clock.advance(1_000_064 - bench.clock.seconds())
    assert bench.fire() is False
    bench.clock.advance(0.5)
    assert bench.fire() is True


def test_windows_reset_after_they_pass() -> None:
    bench = Bench(RateLimit(2, TimeUnit.HOUR, 1, TimeUnit.MIN))
    assert bench.fire() is True
    bench.clock.advance(30)
    assert bench.fire() is False  # burst: 1 per minute
    bench.clock.advance(31)
    assert bench.fire() is True
    bench.clock.advance(61)
    assert bench.fire() is False  # throttle: 2 per hour
    bench.clock.advance(3600)
    assert bench.fire() is True
    record = bench.tracker.definition("TEST").record()
    assert record["kismet.alert.definition.total_sent"] == 1
    assert record["kismet.alert.definition.burst_sent"] == 1


def test_rate_zero_disables_the_alert() -> None:
    bench = Bench(RateLimit(0, TimeUnit.MIN, 0, TimeUnit.SEC))
    with pytest.raises(AlertThrottled, match="disabled"):
        bench.tracker.raise_alert("TEST", "text")
    bench.clock.advance(100_000)
    assert bench.fire() is False
    assert bench.tracker.potential("TEST") is False
    assert bench.tracker.alerts() == []


def test_refused_alerts_do_not_move_the_window() -> None:
    bench = Bench(RateLimit(1, TimeUnit.MIN, 1, TimeUnit.SEC))
    assert bench.fire() is True
    for _ in range(59):
        bench.clock.advance(1)
        assert bench.fire() is False
    bench.clock.advance(1.5)
    assert bench.fire() is True
