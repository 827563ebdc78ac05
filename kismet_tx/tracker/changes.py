"""Devices changed since a time, visited in cooperative slices.

For everything that exports device changes (the kismetdb log, the AMQP and
MQTT exporters) without a hook in the per-packet path: every device carries
``mod_time``, the server second of its last change, so a periodic scan finds
what changed since the previous one. :func:`scan_changed` walks a snapshot of
the device list in slices of ``slice_size`` under a
:class:`twisted.internet.task.Cooperator`, so a scan of 100,000 devices never
holds the reactor for long, and hands each changed device to ``visit``.

``mod_time`` has one-second resolution: a scan from the second the previous
one started (``since = previous start``, compared with ``>=``) can visit a
device twice, never miss one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Final

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import Cooperator

#: Devices looked at between two yields to the reactor.
DEFAULT_SLICE: Final = 256


def changed_since(devices: Iterable[Any], since: int) -> Iterator[Any]:
    """The devices of ``devices`` whose ``mod_time`` is ``since`` or later."""
    return (device for device in devices if device.mod_time >= since)


def cooperator_on(clock: IReactorTime) -> Cooperator:
    """A cooperator that runs one slice per turn of ``clock`` (a reactor or a task.Clock)."""
    return Cooperator(terminationPredicateFactory=lambda: lambda: True,
                      scheduler=lambda work: clock.callLater(0.0, work), started=True)


def scan_changed(devices: Iterable[Any], since: int, visit: Callable[[Any], None], *,
                 cooperator: Cooperator, slice_size: int = DEFAULT_SLICE) -> Deferred[int]:
    """Visit every device changed since ``since``; fires with how many were visited.

    ``devices`` is copied into a list first, so devices created or removed
    during the scan do not disturb it.
    """
    snapshot = list(devices)
    visited = [0]

    def work() -> Iterator[None]:
        for start in range(0, len(snapshot), slice_size):
            for device in changed_since(snapshot[start:start + slice_size], since):
                visit(device)
                visited[0] += 1
            yield None

    done = cooperator.coiterate(work())
    return done.addCallback(lambda _: visited[0])
