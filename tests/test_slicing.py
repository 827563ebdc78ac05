"""Sorting in slices: the same order as ``sorted``, whole or its first items."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from kismet_tx import slicing
from kismet_tx.slicing import Slicer, sliced_sort


def _run(steps: Any) -> Any:
    """Drive a generator of steps to its result, counting the yields."""
    yields = 0
    while True:
        try:
            next(steps)
            yields += 1
        except StopIteration as done:
            return done.value, yields


def _slicer() -> Slicer:
    ticks = itertools.count()
    return Slicer(timer=lambda: next(ticks) / 1000, budget=0.005)


pairs = st.lists(st.tuples(st.integers(0, 20), st.integers()), max_size=300)


@given(pairs, st.booleans(), st.none() | st.integers(0, 320))
def test_a_sliced_sort_is_sorted_and_stable(items: list[tuple[int, int]], reverse: bool,
                                            limit: int | None) -> None:
    original = slicing.SORT_RUN
    slicing.SORT_RUN = 16  # several runs even for small lists
    try:
        got, _ = _run(sliced_sort(items, lambda item: item[0], reverse, _slicer(), limit))
    finally:
        slicing.SORT_RUN = original
    want = sorted(items, key=lambda item: item[0], reverse=reverse)
    assert got == (want if limit is None else want[:limit])


def test_a_page_of_a_big_sort_still_yields_to_the_reactor() -> None:
    items = list(range(100_000, 0, -1))
    got, yields = _run(sliced_sort(items, lambda item: item, False, _slicer(), 50))
    assert got == list(range(1, 51)) and yields > 0
