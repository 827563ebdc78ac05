"""A Kismet-style round-robin record: last minute by second, hour by minute, day by hour.

Pure: the caller passes the time of every sample, so tests drive it directly.
"""

from __future__ import annotations

from typing import Any, Final

from librt.vecs import vec
from mypy_extensions import i64

from kismet_tx.fields import FieldDef

RRD_FIELDS: Final = (
    FieldDef("kismet.common.rrd.last_time", "uint64", "time of the last sample"),
    FieldDef("kismet.common.rrd.serial_time", "uint64", "time the record was serialized"),
    FieldDef("kismet.common.rrd.last_value", "double", "last sampled value"),
    FieldDef("kismet.common.rrd.minute_vec", "vector[double]", "past minute, per second"),
    FieldDef("kismet.common.rrd.hour_vec", "vector[double]", "past hour, per minute"),
    FieldDef("kismet.common.rrd.day_vec", "vector[double]", "past day, per hour"),
    FieldDef("kismet.common.rrd.blank_val", "double", "value of a slot with no sample"),
    FieldDef("kismet.common.rrd.aggregator", "string", "how samples combine in a slot"),
)


class Rrd:
    """Keeps per-second, per-minute and per-hour slots; ``peak`` or ``sum`` aggregation.

    Samples are counts (packets, bytes, kB, devices): ints, as Kismet's int64
    records serialize them. The vectors are ``librt.vecs.vec[i64]`` (mypyc's
    runtime library): compiled code reads and stores their slots as C integers,
    with no int object per slot.
    """

    __slots__ = ("_last", "_value", "_minute", "_hour", "_day", "_sum", "_mtotal", "_htotal")

    def __init__(self, aggregate_sum: bool = False) -> None:
        self._last = 0
        #: The last sample (a float until the first, as Kismet's double reads 0.0).
        self._value: int | float = 0.0
        self._minute: vec[i64] = vec[i64]([0] * 60)
        self._hour: vec[i64] = vec[i64]([0] * 60)
        self._day: vec[i64] = vec[i64]([0] * 24)
        self._sum = aggregate_sum
        #: Running totals of the minute and hour vectors (sum aggregation), so an
        #: add costs the same however full the vectors are.
        self._mtotal: i64 = 0
        self._htotal: i64 = 0

    def add(self, now: float, value: int) -> None:
        """Record ``value`` at time ``now`` (seconds)."""
        self.add_second(int(now), value)

    def add_second(self, sec: int, value: int) -> None:
        """Record ``value`` in second ``sec`` (what :meth:`add` does with a whole
        second: no conversion from float, for callers that keep seconds as ints)."""
        last = self._last
        if last and sec > last:
            self._clear_between(last, sec)
        sample: i64 = value
        idx: i64 = sec % 60
        minute = self._minute
        if self._sum:
            mtotal = self._mtotal
            if sec != last:
                mtotal -= minute[idx]
                minute[idx] = sample
            else:
                minute[idx] += sample
            mtotal += sample
            self._mtotal = mtotal
            hour = self._hour
            hidx: i64 = (sec // 60) % 60
            htotal = self._htotal + mtotal - hour[hidx]
            self._htotal = htotal
            hour[hidx] = mtotal
            self._day[(sec // 3600) % 24] = htotal
        else:
            if sec != last or sample > minute[idx]:
                minute[idx] = sample
            self._hour[(sec // 60) % 60] = _peak(minute)
            self._day[(sec // 3600) % 24] = _peak(self._hour)
        self._last = sec
        self._value = value

    def _clear_between(self, last: int, now: int) -> None:
        minute, hour, summed = self._minute, self._hour, self._sum
        if now - last > 60:
            _clear(minute)
            self._mtotal = 0
        else:
            for sec in range(last + 1, now):
                if summed:
                    self._mtotal -= minute[sec % 60]
                minute[sec % 60] = 0
        if now // 60 != last // 60:
            if now // 60 - last // 60 > 60:
                _clear(hour)
                self._htotal = 0
            else:
                for index in range(last // 60 + 1, now // 60 + 1):
                    if summed:
                        self._htotal -= hour[index % 60]
                    hour[index % 60] = 0
        if now // 3600 != last // 3600:
            for index in range(last // 3600 + 1, min(now // 3600, last // 3600 + 25) + 1):
                self._day[index % 24] = 0

    def record(self, now: float | None = None) -> dict[str, Any]:
        """The ``kismet.common.rrd.*`` record, laid out as Kismet serializes it.

        Each vector is indexed by time, as Kismet keeps it: second ``t`` is
        ``minute_vec[t % 60]``, minute ``m`` is ``hour_vec[m % 60]``, hour ``h``
        is ``day_vec[h % 24]``. ``serial_time`` is ``now`` (the time of this
        report; ``last_time`` when not given): with it a client ages the slots
        that had no sample since ``last_time``, as Kismet's web UI does.
        """
        sec = self._last
        return {
            "kismet.common.rrd.last_time": sec,
            "kismet.common.rrd.serial_time": int(now) if now is not None else sec,
            "kismet.common.rrd.last_value": self._value,
            "kismet.common.rrd.minute_vec": list(self._minute),
            "kismet.common.rrd.hour_vec": list(self._hour),
            "kismet.common.rrd.day_vec": list(self._day),
            "kismet.common.rrd.blank_val": 0,
            "kismet.common.rrd.aggregator": "sum" if self._sum else "peak",
        }


def _clear(slots: vec[i64]) -> None:
    """Every slot to 0."""
    for index in range(len(slots)):
        slots[index] = 0


def _peak(slots: vec[i64]) -> i64:
    """The largest slot."""
    best = slots[0]
    for index in range(1, len(slots)):
        value = slots[index]
        if value > best:
            best = value
    return best


def oldest_first(slots: list[Any], newest_index: int) -> list[Any]:
    """A time-indexed vector rotated so that its slot ``newest_index`` comes last."""
    start = (newest_index + 1) % len(slots)
    return slots[start:] + slots[:start]
