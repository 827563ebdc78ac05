"""Work cut into slices of time, so that no request holds the reactor.

A filter or sort over every device runs as a generator that yields ``None``
whenever its slice of time (:data:`SLICE_SECONDS`) is spent; a cooperator
drives it and other work runs between slices. Slices are measured in
wall-clock time by an injected timer (``time.perf_counter`` by default; tests
give one that counts calls), not by a count of items, because one item may
cost a microsecond or a millisecond. Pure: no Twisted.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Generator, Iterable
from typing import Any, TypeVar

__all__ = ["SLICE_SECONDS", "Slicer", "sliced_filter", "sliced_sort"]

T = TypeVar("T")
Steps = Generator[None, None, T]

#: Longest slice of work, seconds. The cooperator runs slices for up to 10 ms per
#: reactor turn, so a turn stays under about 20 ms (plus one item).
SLICE_SECONDS = 0.005
#: Items sorted in one go before the sorted runs are merged in slices.
SORT_RUN = 2048


class Slicer:
    """Tells a loop when its slice is spent; the next slice starts when it resumes."""

    __slots__ = ("_budget", "_ends", "_timer")

    def __init__(self, timer: Callable[[], float] = time.perf_counter,
                 budget: float = SLICE_SECONDS) -> None:
        self._timer = timer
        self._budget = budget
        self._ends: float | None = None

    def due(self) -> bool:
        """True once the current slice is spent (the caller then yields)."""
        now = self._timer()
        if self._ends is None:
            self._ends = now + self._budget
            return False
        if now >= self._ends:
            self._ends = None
            return True
        return False


def sliced_filter(items: Iterable[T], keep: Callable[[T], bool], slicer: Slicer) -> Steps[list[T]]:
    """``[item for item in items if keep(item)]``, yielding whenever the slice is spent."""
    kept: list[T] = []
    for item in items:
        if keep(item):
            kept.append(item)
        if slicer.due():
            yield None
    return kept


def sliced_sort(items: list[T], key: Callable[[T], Any], reverse: bool,
                slicer: Slicer, limit: int | None = None) -> Steps[list[T]]:
    """``sorted(items, key=key, reverse=reverse)`` (stable), in slices; with ``limit``,
    only its first ``limit`` items (a page needs no more).

    Runs of :data:`SORT_RUN` items are sorted one at a time, then merged
    item by item, yielding whenever the slice is spent. With a ``limit``
    below the item count, each run only narrows the best ``limit`` so far.
    """
    if limit is not None and limit < len(items):
        return (yield from _sliced_best(items, key, reverse, slicer, max(limit, 0)))
    if len(items) <= SORT_RUN:
        return sorted(items, key=key, reverse=reverse)
    runs: list[list[T]] = []
    for start in range(0, len(items), SORT_RUN):
        runs.append(sorted(items[start:start + SORT_RUN], key=key, reverse=reverse))
        if slicer.due():
            yield None
    merged: list[T] = []
    for item in heapq.merge(*runs, key=key, reverse=reverse):
        merged.append(item)
        if slicer.due():
            yield None
    return merged


def _sliced_best(items: list[T], key: Callable[[T], Any], reverse: bool, slicer: Slicer,
                 limit: int) -> Steps[list[T]]:
    """``sorted(items, key=key, reverse=reverse)[:limit]`` in slices (``heapq.nsmallest``
    and ``nlargest`` are that, stable, and earlier items go first)."""
    best_of = heapq.nlargest if reverse else heapq.nsmallest
    best: list[T] = []
    for start in range(0, len(items), SORT_RUN):
        best = best_of(limit, best + items[start:start + SORT_RUN], key=key)
        if slicer.due():
            yield None
    return best
