"""Devices changed since a time, in cooperative slices on the clock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kismet_tx.tracker.changes import cooperator_on, scan_changed


@dataclass
class Dev:
    name: str
    mod_time: int


class TurnByTurn:
    """A clock whose ``callLater(0, f)`` calls wait until the test runs them, one a turn."""

    def __init__(self) -> None:
        self.pending: list[Any] = []

    def callLater(self, delay: float, work: Any) -> None:  # noqa: N802 (IReactorTime)
        self.pending.append(work)

    def advance(self, _: float) -> None:
        if self.pending:
            self.pending.pop(0)()


def test_a_scan_visits_changed_devices_in_slices() -> None:
    clock = TurnByTurn()
    devices = [Dev(f"d{i}", i % 10) for i in range(1000)]
    visited: list[str] = []
    done: list[int] = []
    scan = scan_changed(devices, 8, lambda d: visited.append(d.name),
                        cooperator=cooperator_on(clock), slice_size=100)  # type: ignore[arg-type]
    scan.addCallback(done.append)
    devices.clear()  # the scan works on its own snapshot
    steps = 0
    while not done:
        clock.advance(0)
        steps += 1
        assert len(visited) <= 20 * steps, "one slice of 100 devices per turn"
    assert steps >= 10
    assert done == [200]
    assert visited == [f"d{i}" for i in range(1000) if i % 10 >= 8]
