"""The collector steward: short collector pauses, and no garbage kept for good."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
from twisted.internet import task

from kismet_tx.gcsteward import NEVER, CollectorSteward


class Cycle:
    """Cyclic garbage once dropped: only the collector frees it."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def clock() -> task.Clock:
    return task.Clock()


@pytest.fixture
def steward(clock: task.Clock) -> Iterator[CollectorSteward]:
    before = gc.get_threshold()
    steward = CollectorSteward(clock, young=100, middle=2, thaw_interval=60.0)
    steward.startService()
    yield steward
    steward.stopService()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def _young_collections(count: int) -> None:
    """Run ``count`` young collections, as allocation would."""
    for _ in range(count):
        gc.collect(0)


def test_the_full_collections_are_the_stewards(steward: CollectorSteward) -> None:
    assert gc.get_threshold() == (100, NEVER, NEVER)
    # The heap at start is frozen out of collection.
    assert gc.get_freeze_count() > 0


def test_a_step_follows_young_collections_on_the_next_turn(
        steward: CollectorSteward, clock: task.Clock) -> None:
    _young_collections(2)
    assert steward.steps == 0, "a step never runs inside a collection"
    clock.advance(0)
    assert steward.steps == 1


def test_garbage_younger_than_a_step_is_collected_by_it(
        steward: CollectorSteward, clock: task.Clock) -> None:
    ref = weakref.ref(Cycle())
    assert ref() is not None
    _young_collections(2)
    clock.advance(0)
    assert ref() is None


def test_survivors_are_frozen_and_their_garbage_waits_for_a_thaw(
        steward: CollectorSteward, clock: task.Clock) -> None:
    survivor = Cycle()
    ref = weakref.ref(survivor)
    frozen = gc.get_freeze_count()
    _young_collections(2)
    clock.advance(0)
    assert gc.get_freeze_count() > frozen, "survivors are frozen"
    del survivor
    _young_collections(2)
    clock.advance(0)
    assert ref() is not None, "frozen garbage is not walked by steps"
    clock.advance(60)
    _young_collections(2)
    clock.advance(0)
    assert steward.thaws == 1
    assert ref() is None, "the thaw collected it"


def test_frozen_objects_without_cycles_are_still_freed(
        steward: CollectorSteward, clock: task.Clock) -> None:
    class Plain:
        pass

    plain = Plain()
    ref = weakref.ref(plain)
    _young_collections(2)
    clock.advance(0)
    del plain
    assert ref() is None


def test_stopping_cancels_a_pending_step(steward: CollectorSteward, clock: task.Clock) -> None:
    _young_collections(2)
    steward.stopService()
    assert clock.getDelayedCalls() == []
    assert gc.get_freeze_count() == 0
    steward.startService()  # for the fixture's own stop


def test_a_thaw_that_finds_little_waits_twice_as_long_next_time(
        steward: CollectorSteward, clock: task.Clock) -> None:
    clock.advance(60)
    _young_collections(2)
    clock.advance(0)
    assert steward.thaws == 1 and steward.thaw_interval == 120


def test_a_thaw_that_finds_much_comes_sooner_next_time(clock: task.Clock) -> None:
    steward = CollectorSteward(clock, young=100, middle=2, thaw_interval=2400.0)
    steward.startService()
    try:
        garbage = [Cycle() for _ in range(gc.get_freeze_count() // 20)]
        _young_collections(2)
        clock.advance(0)  # a step: the cycles are frozen
        del garbage
        clock.advance(2400)
        _young_collections(2)
        clock.advance(0)
        assert steward.thaws == 1 and steward.thaw_interval == 1200
    finally:
        steward.stopService()
