"""Garbage-collector pauses the reactor can live with, at any number of devices.

CPython's full (oldest-generation) collection walks every tracked object: at
100,000 devices that is about 800,000 objects and a 300–400 ms stop of the
reactor, whatever the request in hand. :class:`CollectorSteward` (a Service
``twistd kismet`` runs) takes the oldest generation over:

- at start the heap built so far (OUI table, field registry, config) is
  collected once and frozen out of collection;
- young collections run every ``young`` allocations, as usual; Python's own
  middle and full collections are off;
- after every ``middle`` young collections, on the next reactor turn, one
  collection walks only what survived since the last step (at most
  ``young * middle`` allocations' worth: 10 ms or so), and the survivors are
  frozen. Devices, which live long,
  are walked a few times and then never again;
- frozen objects are still freed by reference counting; only cyclic garbage
  that lived past a step (a closed connection's transport and protocol, say)
  waits for the next thaw: everything is thawed, collected once and frozen
  again. A thaw is one full collection, as CPython would take anyway (about
  5 ms per 1,000 devices), but an hour apart at first instead of each time the
  heap has grown by a quarter; a thaw that finds less than
  :data:`THAW_GARBAGE_SHARE` of the heap to be garbage doubles the wait for
  the next (up to :data:`MAX_THAW_INTERVAL`), one that finds more halves it
  (down to :data:`MIN_THAW_INTERVAL`).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

from twisted.application.service import Service
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger

_log = Logger(namespace="kismet_tx.gc")

#: Allocations between young collections (Python's default is 700).
YOUNG_THRESHOLD = 10_000
#: Young collections between two steps.
MIDDLE_THRESHOLD = 5
#: The older generations' threshold: never reached, the steward collects them.
NEVER = 2**31 - 1
#: Seconds to the first thaw (a full collection of the whole heap).
THAW_INTERVAL = 3600.0
#: The bounds of the wait between thaws, seconds.
MIN_THAW_INTERVAL = 600.0
MAX_THAW_INTERVAL = 86400.0
#: Garbage (as a share of the frozen heap) below which a thaw doubles the next wait.
THAW_GARBAGE_SHARE = 0.01


class CollectorSteward(Service):
    """Bounds collector pauses: see the module docstring.

    ``collector`` is the :mod:`gc` module (tests may pass a stand-in) and
    ``timer`` the clock pauses are measured with.
    """

    name = "gc-steward"

    def __init__(self, clock: IReactorTime, *, young: int = YOUNG_THRESHOLD,
                 middle: int = MIDDLE_THRESHOLD, thaw_interval: float = THAW_INTERVAL,
                 collector: Any = gc, timer: Callable[[], float] = time.perf_counter) -> None:
        self._clock = clock
        self._young = young
        self._middle = middle
        self._thaw_interval = thaw_interval
        self._gc = collector
        self._timer = timer
        self._thresholds: tuple[int, ...] | None = None
        self._call: IDelayedCall | None = None
        self._young_runs = 0
        self._thawed_at = 0.0
        #: Steps taken (a full collection of the unfrozen heap, then a freeze).
        self.steps = 0
        #: Thaws taken (everything collected once).
        self.thaws = 0
        #: Objects the steps and thaws found to be garbage.
        self.collected = 0
        #: The longest step or thaw, seconds.
        self.longest = 0.0

    def startService(self) -> None:
        Service.startService(self)
        collector = self._gc
        self._thresholds = tuple(collector.get_threshold())
        collector.collect()
        collector.freeze()
        self._thawed_at = self._clock.seconds()
        collector.set_threshold(self._young, NEVER, NEVER)
        collector.callbacks.append(self._collected)

    def stopService(self) -> None:
        Service.stopService(self)
        collector = self._gc
        if self._collected in collector.callbacks:
            collector.callbacks.remove(self._collected)
        call, self._call = self._call, None
        if call is not None and call.active():
            call.cancel()
        if self._thresholds is not None:
            collector.set_threshold(*self._thresholds)
            self._thresholds = None
        collector.unfreeze()

    def _collected(self, phase: str, info: dict[str, int]) -> None:
        # Runs inside a collection, where no collection can start: the step waits
        # for the next reactor turn.
        if phase != "stop" or info["generation"] != 0:
            return
        self._young_runs += 1
        if self._young_runs >= self._middle and self._call is None:
            self._call = self._clock.callLater(0, self.step)

    def step(self) -> None:
        """Collect what is not frozen, freeze the survivors; thaw if it is time."""
        self._call = None
        self._young_runs = 0
        collector = self._gc
        started = self._timer()
        self.collected += collector.collect()
        collector.freeze()
        self.steps += 1
        if self._clock.seconds() - self._thawed_at >= self._thaw_interval:
            self._thaw()
        self.longest = max(self.longest, self._timer() - started)

    @property
    def thaw_interval(self) -> float:
        """Seconds from the last thaw to the next."""
        return self._thaw_interval

    def _thaw(self) -> None:
        collector = self._gc
        collector.unfreeze()
        found = collector.collect()
        collector.freeze()
        self.collected += found
        self.thaws += 1
        self._thawed_at = self._clock.seconds()
        if found < THAW_GARBAGE_SHARE * collector.get_freeze_count():
            self._thaw_interval = min(self._thaw_interval * 2, MAX_THAW_INTERVAL)
        else:
            self._thaw_interval = max(self._thaw_interval / 2, MIN_THAW_INTERVAL)
        _log.debug("collector thaw: {found} garbage objects, {frozen} frozen",
                   found=found, frozen=collector.get_freeze_count())
