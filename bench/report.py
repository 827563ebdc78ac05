"""Printing figures side by side with their baseline."""

from __future__ import annotations

import time
from collections.abc import Callable


def rate(count: int, seconds: float) -> str:
    """``N/s`` with thousands separators."""
    return f"{count / seconds:,.0f}/s" if seconds > 0 else "inf"


def best_of(runs: int, fn: Callable[[], object]) -> float:
    """The fastest of ``runs`` timings of ``fn``, seconds."""
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def row(label: str, value: str, baseline_label: str, baseline: str, target: str = "") -> None:
    """One figure beside its baseline (and target, if any)."""
    tail = f"   target: {target}" if target else ""
    print(f"   {label:<44} {value:>14}   | {baseline_label:<30} {baseline:>14}{tail}")
