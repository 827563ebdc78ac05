"""The round-robin record: minute/hour/day slots driven by explicit times."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kismet_tx.rrd import Rrd, oldest_first

T0 = 1_700_000_000 - 1_700_000_000 % 86400  # midnight: slot arithmetic is easy to read
MINUTE = "kismet.common.rrd.minute_vec"
HOUR = "kismet.common.rrd.hour_vec"
DAY = "kismet.common.rrd.day_vec"


def rec(rrd: Rrd) -> dict[str, Any]:
    """The record with its vectors turned oldest first (the newest slot last)."""
    r = dict(rrd.record())
    sec = r["kismet.common.rrd.last_time"]
    r[MINUTE] = oldest_first(r[MINUTE], sec % 60)
    r[HOUR] = oldest_first(r[HOUR], (sec // 60) % 60)
    r[DAY] = oldest_first(r[DAY], (sec // 3600) % 24)
    return r


def test_vectors_are_indexed_by_time_as_kismet_serializes_them() -> None:
    rrd = Rrd()
    rrd.add(T0 + 3725.6, 42)  # 01:02:05.6: second 5, minute 2, hour 1
    r = rrd.record(now=T0 + 3730.2)
    assert r[MINUTE][5] == 42 and sum(r[MINUTE]) == 42
    assert r[HOUR][2] == 42 and sum(r[HOUR]) == 42
    assert r[DAY][1] == 42 and sum(r[DAY]) == 42
    # Kismet's web UI ages the slots between last_time and serial_time itself.
    assert r["kismet.common.rrd.serial_time"] == T0 + 3730
    assert rrd.record()["kismet.common.rrd.serial_time"] == T0 + 3725


def test_fresh_record_is_blank() -> None:
    r = rec(Rrd())
    assert r["kismet.common.rrd.last_time"] == 0
    assert r[MINUTE] == [0] * 60 and r[HOUR] == [0] * 60 and r[DAY] == [0] * 24
    assert r["kismet.common.rrd.blank_val"] == 0
    assert r["kismet.common.rrd.aggregator"] == "peak"


def test_one_sample_is_the_newest_slot_everywhere() -> None:
    rrd = Rrd()
    rrd.add(T0 + 3725.6, 42)  # 01:02:05.6
    r = rec(rrd)
    assert r["kismet.common.rrd.last_time"] == T0 + 3725
    assert r["kismet.common.rrd.last_value"] == 42
    # Slots are oldest first: the newest is always the last one.
    assert r[MINUTE] == [0] * 59 + [42]
    assert r[HOUR] == [0] * 59 + [42]
    assert r[DAY] == [0] * 23 + [42]


def test_seconds_fill_the_minute_in_order() -> None:
    rrd = Rrd()
    for i in range(5):
        rrd.add(T0 + 10 + i, i + 1)
    assert rec(rrd)[MINUTE][-5:] == [1, 2, 3, 4, 5]
    assert rec(rrd)[MINUTE][:55] == [0] * 55


def test_peak_within_one_second() -> None:
    rrd = Rrd()
    rrd.add(T0 + 1.1, 5)
    rrd.add(T0 + 1.5, 9)
    rrd.add(T0 + 1.9, 7)
    r = rec(rrd)
    assert r[MINUTE][-1] == 9
    assert r["kismet.common.rrd.last_value"] == 7


def test_sum_within_one_second_and_minute() -> None:
    rrd = Rrd(aggregate_sum=True)
    rrd.add(T0 + 1.1, 5)
    rrd.add(T0 + 1.5, 9)
    rrd.add(T0 + 2, 1)
    r = rec(rrd)
    assert r[MINUTE][-2:] == [14, 1]
    assert r[HOUR][-1] == 15
    assert r["kismet.common.rrd.aggregator"] == "sum"


def test_minute_rotation_clears_skipped_seconds() -> None:
    rrd = Rrd()
    for i in range(60):
        rrd.add(T0 + i, 1)
    rrd.add(T0 + 70, 8)  # 10 s later: seconds 60..69 had no sample
    minute = rec(rrd)[MINUTE]
    assert minute[-1] == 8
    assert minute[-11:-1] == [0] * 10
    assert minute[:-11] == [1] * 49


def test_gap_of_a_minute_or_more_clears_the_minute() -> None:
    rrd = Rrd()
    for i in range(60):
        rrd.add(T0 + i, 3)
    rrd.add(T0 + 60 + 75, 2)
    assert rec(rrd)[MINUTE] == [0] * 59 + [2]


def test_hour_rotation_by_minute() -> None:
    rrd = Rrd()
    for minute in range(3):
        rrd.add(T0 + minute * 60 + 30, 10 * (minute + 1))
    hour = rec(rrd)[HOUR]
    assert hour[-3:] == [10, 20, 30]
    rrd.add(T0 + 10 * 60 + 30, 5)  # minutes 3..9 skipped
    hour = rec(rrd)[HOUR]
    assert hour[-1] == 5
    assert hour[-8:-1] == [0] * 7
    assert hour[-11:-8] == [10, 20, 30]


def test_day_rotation_by_hour() -> None:
    rrd = Rrd()
    for hour in range(3):
        rrd.add(T0 + hour * 3600, 100 + hour)
    day = rec(rrd)[DAY]
    assert day[-3:] == [100, 101, 102]
    rrd.add(T0 + 6 * 3600, 7)
    day = rec(rrd)[DAY]
    assert day[-1] == 7
    assert day[-4:-1] == [0] * 3
    assert day[-7:-4] == [100, 101, 102]


def test_a_day_without_samples_clears_everything() -> None:
    rrd = Rrd()
    for i in range(0, 86400, 600):
        rrd.add(T0 + i, 50)
    rrd.add(T0 + 3 * 86400 + 5, 1)
    r = rec(rrd)
    assert r[MINUTE] == [0] * 59 + [1]
    assert r[HOUR] == [0] * 59 + [1]
    assert r[DAY] == [0] * 23 + [1]


def test_sampling_every_second_for_an_hour() -> None:
    rrd = Rrd(aggregate_sum=True)
    for i in range(3600):
        rrd.add(T0 + i, 1)
    r = rec(rrd)
    assert r[MINUTE] == [1] * 60
    assert all(slot == 60 for slot in r[HOUR])
    assert r[DAY][-1] == 3600


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4000), st.integers(0, 50)), min_size=1, max_size=80))
def test_sum_slots_follow_their_vectors_after_any_adds(steps: list[tuple[int, int]]) -> None:
    """The running totals a sum RRD keeps equal the sums of its vectors, gaps or not."""
    rrd = Rrd(aggregate_sum=True)
    now = T0
    for gap, value in steps:
        now += gap
        rrd.add(now, value)
        raw = rrd.record()
        assert raw[HOUR][(now // 60) % 60] == sum(raw[MINUTE])
        assert raw[DAY][(now // 3600) % 24] == sum(raw[HOUR])


@settings(max_examples=200, deadline=None)
@given(st.booleans(),
       st.lists(st.tuples(st.integers(-90, 4000), st.floats(0, 0.999), st.integers(0, 50)),
                min_size=1, max_size=80))
def test_whole_seconds_record_what_times_within_them_record(
        summed: bool, steps: list[tuple[int, float, int]]) -> None:
    """``add_second`` (the device and channel trackers' whole seconds) keeps exactly
    what ``add`` keeps for any time within that second, out-of-order times included."""
    by_time, by_second = Rrd(aggregate_sum=summed), Rrd(aggregate_sum=summed)
    sec = T0
    for step, fraction, value in steps:
        sec += step
        by_time.add(sec + fraction, value)
        by_second.add_second(sec, value)
        assert by_second.record() == by_time.record()


@settings(max_examples=200, deadline=None)
@given(st.booleans(),
       st.lists(st.tuples(st.integers(0, 90), st.booleans(), st.integers(0, 50)),
                min_size=1, max_size=120))
def test_the_minute_holds_each_of_the_last_60_seconds(
        summed: bool, steps: list[tuple[int, bool, int]]) -> None:
    """Whichever way samples come in (whole seconds or times within them), the minute
    vector's slot of each of the last 60 seconds holds that second's sum (or peak),
    and every other slot is 0."""
    rrd = Rrd(aggregate_sum=summed)
    seen: dict[int, int] = {}
    sec = T0
    for gap, whole, value in steps:
        sec += gap
        if whole:
            rrd.add_second(sec, value)
        else:
            rrd.add(sec + 0.5, value)
        seen[sec] = seen.get(sec, 0) + value if summed else max(seen.get(sec, 0), value)
    expected = [0] * 60
    for second, total in seen.items():
        if sec - 60 < second <= sec:
            expected[second % 60] = total
    assert rrd.record()[MINUTE] == expected
