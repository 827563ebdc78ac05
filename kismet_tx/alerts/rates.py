"""Alert rate limits: ``rate/unit`` parsing and Kismet's throttle and burst algorithm.

A limit is two rates. ``limit`` caps how many alerts of one kind are raised
inside a window of its unit, measured from the last alert; ``burst`` caps how
many fire back to back inside its (shorter or equal) unit. A limit rate of 0
squelches the alert. The algorithm (Kismet's ``check_times``) runs on the time
it is given, so callers pass the injected clock's ``seconds()``.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

__all__ = [
    "DEFAULT_LIMIT",
    "DISABLED",
    "RateLimit",
    "Throttle",
    "TimeUnit",
    "parse_alert_line",
    "parse_rate",
]


class TimeUnit(enum.IntEnum):
    """Kismet's ``alert_time_unit`` (the numbers appear in definition records)."""

    SEC = 0
    MIN = 1
    HOUR = 2
    DAY = 3

    @property
    def seconds(self) -> int:
        """Length of the unit in seconds."""
        return _UNIT_SECONDS[self]

    @property
    def word(self) -> str:
        """The unit as written in a rate (``sec``, ``min``, ``hour``, ``day``)."""
        return _UNIT_WORDS[self]


_UNIT_SECONDS = {TimeUnit.SEC: 1, TimeUnit.MIN: 60, TimeUnit.HOUR: 3600, TimeUnit.DAY: 86400}
_UNIT_WORDS = {TimeUnit.SEC: "sec", TimeUnit.MIN: "min", TimeUnit.HOUR: "hour",
               TimeUnit.DAY: "day"}
_UNIT_NAMES = {
    "sec": TimeUnit.SEC, "second": TimeUnit.SEC,
    "min": TimeUnit.MIN, "minute": TimeUnit.MIN,
    "hr": TimeUnit.HOUR, "hour": TimeUnit.HOUR,
    "day": TimeUnit.DAY,
}  # fmt: skip
_NUMBER = re.compile(r"\s*([0-9]+)\s*")


def parse_rate(text: str) -> tuple[int, TimeUnit]:
    """Parse ``"10/min"`` (units sec/second, min/minute, hr/hour, day; minute by default).

    Raises ValueError naming what is wrong.
    """
    number, slash, unit = str(text).strip().partition("/")
    match = _NUMBER.fullmatch(number)
    if match is None:
        raise ValueError(f"invalid alert rate {text!r}: expected a whole number, "
                         "optionally followed by /sec, /min, /hour or /day")
    if not slash:
        return int(match.group(1)), TimeUnit.MIN
    parsed = _UNIT_NAMES.get(unit.strip().lower())
    if parsed is None:
        raise ValueError(f"invalid time unit {unit.strip()!r} in alert rate {text!r}: "
                         "expected sec, min, hour or day")
    return int(match.group(1)), parsed


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A throttle rate and a burst rate, each with its unit."""

    limit_rate: int
    limit_unit: TimeUnit
    burst_rate: int
    burst_unit: TimeUnit

    def __post_init__(self) -> None:
        if self.limit_rate < 0 or self.burst_rate < 0:
            raise ValueError("alert rates cannot be negative")
        if self.burst_unit > self.limit_unit:
            raise ValueError(
                f"the burst unit ({self.burst_unit.word}) must not be longer than the "
                f"throttle unit ({self.limit_unit.word})")

    @classmethod
    def parse(cls, throttle: str, burst: str) -> RateLimit:
        """From two rate strings such as ``"10/min"`` and ``"1/sec"``."""
        limit_rate, limit_unit = parse_rate(throttle)
        burst_rate, burst_unit = parse_rate(burst)
        return cls(limit_rate, limit_unit, burst_rate, burst_unit)

    @property
    def disabled(self) -> bool:
        """A limit rate of 0 squelches the alert."""
        return self.limit_rate == 0

    def __str__(self) -> str:
        return (f"{self.limit_rate}/{self.limit_unit.word},"
                f"{self.burst_rate}/{self.burst_unit.word}")


#: With no ``alert=`` line and no built-in rate: 10 per minute, 1 per second.
DEFAULT_LIMIT = RateLimit(10, TimeUnit.MIN, 1, TimeUnit.SEC)
#: A squelched alert.
DISABLED = RateLimit(0, TimeUnit.MIN, 0, TimeUnit.SEC)


def parse_alert_line(line: str) -> tuple[str, RateLimit]:
    """Parse an ``alert=NAME,rate[/unit],burst[/unit]`` value; the name is upper-cased."""
    parts = [part.strip() for part in line.split(",")]
    if len(parts) != 3 or not parts[0]:
        raise ValueError(f"malformed alert limits {line!r}: expected NAME,rate/unit,burst/unit")
    try:
        limit = RateLimit.parse(parts[1], parts[2])
    except ValueError as exc:
        raise ValueError(f"malformed alert limits {line!r}: {exc}") from None
    return parts[0].upper(), limit


class Throttle:
    """The counters of one alert and Kismet's ``check_times`` on them."""

    __slots__ = ("limit", "total_sent", "burst_sent", "time_last")

    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self.total_sent = 0
        self.burst_sent = 0
        self.time_last = 0.0

    def allows(self, now: float) -> bool:
        """Whether an alert may be raised at ``now`` (windows that have passed reset)."""
        limit = self.limit
        if limit.limit_rate == 0:
            return False
        if self.time_last < now - limit.limit_unit.seconds:
            self.total_sent = 0
            self.burst_sent = 0
            return True
        if self.time_last < now - limit.burst_unit.seconds:
            self.burst_sent = 0
        return self.burst_sent < limit.burst_rate and self.total_sent < limit.limit_rate

    def refusal(self, now: float) -> str | None:
        """Why an alert may not be raised at ``now``, or None if it may."""
        if self.limit.limit_rate == 0:
            return "alert is disabled (rate 0)"
        if self.allows(now):
            return None
        return "alert throttle reached, alert not raised."

    def sent(self, now: float) -> None:
        """Count one raised alert."""
        self.burst_sent += 1
        self.total_sent += 1
        self.time_last = now
