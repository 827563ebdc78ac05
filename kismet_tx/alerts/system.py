"""System alerts: watched devices found and lost (DEVICEFOUND, DEVICELOST) and
datasources that fail (SOURCEERROR).

:class:`DeviceWatch` is a packet-chain subscriber: a watched MAC that transmits
is *found* the first time, and again after being silent for
``devicefound_timeout`` seconds; it is *lost* once it has been silent for
``devicelost_timeout`` seconds. Times are the injected clock's, so a replayed
capture behaves like live traffic arriving now. :class:`SystemAlerts` is the
service that checks for lost devices and failed sources once a second.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, Final, Protocol

from twisted.application.service import Service
from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

from kismet_tx.alerts.alert import AlertThrottled, Severity
from kismet_tx.alerts.alerttracker import AlertTracker
from kismet_tx.alerts.builtin import BuiltinAlert, define_builtins
from kismet_tx.alerts.config import DEFAULT_IDLE_TIMEOUT
from kismet_tx.alerts.macs import MacMatch
from kismet_tx.chain import PacketChain

__all__ = [
    "CHECK_INTERVAL",
    "SYSTEM_ALERTS",
    "WATCH_KINDS",
    "DeviceWatch",
    "SourceWatch",
    "SystemAlerts",
]

_log: Final = Logger(namespace="kismet_tx.alerts")

#: Seconds between checks for lost devices and failed sources.
CHECK_INTERVAL: Final = 1.0
#: Concrete MACs whose presence is remembered (masks can match many).
WATCH_CAPACITY: Final = 4096
#: The watch lists ``/devices/alerts/mac/<kind>/...`` takes.
WATCH_KINDS: Final = ("found", "lost", "both")

SYSTEM_ALERTS: Final = (
    BuiltinAlert("SOURCEERROR", "SYSTEM", Severity.HIGH,
                 "A capture source failed (its device went away, the driver reported an "
                 "error, or a capture file could not be read to its end)."),
    BuiltinAlert("DEVICEFOUND", "SYSTEM", Severity.LOW,
                 "A device on the devicefound watch list transmitted for the first time, "
                 "or again after being silent for devicefound_timeout seconds."),
    BuiltinAlert("DEVICELOST", "SYSTEM", Severity.LOW,
                 "A device on the devicelost watch list has been silent for "
                 "devicelost_timeout seconds."),
)


class _Seen:
    """What is known of one watched MAC."""

    __slots__ = ("last_seen", "announced", "lost_reported")

    def __init__(self, now: float) -> None:
        self.last_seen = now
        self.announced = False
        self.lost_reported = False


class _WatchList:
    """Exact MACs in a set, masks in a short list."""

    __slots__ = ("exact", "masks")

    def __init__(self) -> None:
        self.exact: dict[int, MacMatch] = {}
        self.masks: dict[str, MacMatch] = {}

    def add(self, entry: MacMatch) -> None:
        if entry.exact:
            self.exact[entry.value] = entry
        else:
            self.masks[entry.text] = entry

    def remove(self, entry: MacMatch) -> bool:
        if entry.exact:
            return self.exact.pop(entry.value, None) is not None
        return self.masks.pop(entry.text, None) is not None

    def matches(self, mac: int) -> bool:
        if mac in self.exact:
            return True
        return any(mask.matches(mac) for mask in self.masks.values())

    def __bool__(self) -> bool:
        return bool(self.exact or self.masks)

    def texts(self) -> list[str]:
        return [e.text for e in self.exact.values()] + [m.text for m in self.masks.values()]


def _mac_text(mac: int) -> str:
    return mac.to_bytes(6, "big").hex(":").upper()


class DeviceWatch:
    """DEVICEFOUND / DEVICELOST for the MACs (or MAC/MASK ranges) on the watch lists."""

    def __init__(self, alerts: AlertTracker, clock: IReactorTime, *,
                 found: Iterable[MacMatch] = (), lost: Iterable[MacMatch] = (),
                 found_timeout: float = DEFAULT_IDLE_TIMEOUT,
                 lost_timeout: float = DEFAULT_IDLE_TIMEOUT,
                 capacity: int = WATCH_CAPACITY) -> None:
        self._alerts = alerts
        self._clock = clock
        self._capacity = capacity
        self._found = _WatchList()
        self._lost = _WatchList()
        self._seen: OrderedDict[int, _Seen] = OrderedDict()
        self._exact: frozenset[int] = frozenset()
        self._masks: tuple[MacMatch, ...] = ()
        self._active = False
        #: Called with True when the first MAC is watched, False when the last goes.
        self.listeners: list[Callable[[bool], None]] = []
        self._configured: tuple[frozenset[MacMatch], frozenset[MacMatch]] = (
            frozenset(), frozenset())
        define_builtins(alerts, SYSTEM_ALERTS)
        self.configure(found, lost, found_timeout, lost_timeout)

    def configure(self, found: Iterable[MacMatch], lost: Iterable[MacMatch],
                  found_timeout: float, lost_timeout: float) -> None:
        """Set the config's watch lists and timeouts; entries added over HTTP stay."""
        new = (frozenset(found), frozenset(lost))
        for watch, old, wanted in zip((self._found, self._lost), self._configured, new,
                                      strict=True):
            for entry in old - wanted:
                watch.remove(entry)
            for entry in wanted:
                watch.add(entry)
        self._configured = new
        self.found_timeout = found_timeout
        self.lost_timeout = lost_timeout
        self._index()
        self._forget_unwatched()

    def _forget_unwatched(self) -> None:
        for mac in [m for m in self._seen if not self._watched(m)]:
            del self._seen[mac]

    def _index(self) -> None:
        """Merge both lists for the per-packet membership test."""
        self._exact = frozenset(self._found.exact) | frozenset(self._lost.exact)
        masks = dict(self._found.masks)
        masks.update(self._lost.masks)
        self._masks = tuple(masks.values())
        active = bool(self._exact or self._masks)
        if active != self._active:
            self._active = active
            for listener in list(self.listeners):
                listener(active)

    # -- the lists ----------------------------------------------------------------

    def _lists(self, kind: str) -> tuple[_WatchList, ...]:
        if kind == "found":
            return (self._found,)
        if kind == "lost":
            return (self._lost,)
        if kind == "both":
            return (self._found, self._lost)
        raise ValueError(f"unknown watch list '{kind}': expected found, lost or both")

    def add(self, kind: str, macs: Iterable[str]) -> list[str]:
        """Watch ``macs`` (``MAC`` or ``MAC/MASK``) on ``kind``; ValueError on a bad one
        (and then nothing is added). Returns the normalised entries."""
        lists = self._lists(kind)
        entries = [MacMatch(mac) for mac in macs]
        for watch in lists:
            for entry in entries:
                watch.add(entry)
        self._index()
        return [entry.text for entry in entries]

    def remove(self, kind: str, macs: Iterable[str]) -> list[str]:
        """Stop watching ``macs`` on ``kind``; returns the entries that were removed."""
        lists = self._lists(kind)
        entries = [MacMatch(mac) for mac in macs]
        removed = []
        for entry in entries:
            hit = False
            for watch in lists:
                hit = watch.remove(entry) or hit
            if hit:
                removed.append(entry.text)
        self._index()
        self._forget_unwatched()
        return removed

    def macs(self, kind: str) -> list[str]:
        """The entries of ``kind`` (``both``: every entry of either list, once)."""
        out: list[str] = []
        for watch in self._lists(kind):
            out.extend(text for text in watch.texts() if text not in out)
        return out

    def attach(self, chain: PacketChain, name: str, priority: int) -> None:
        """Subscribe to ``chain``, switched off while no MAC is watched."""
        chain.subscribe(self, name, priority=priority)
        chain.set_enabled(name, self._active)
        self.listeners.append(lambda active: chain.set_enabled(name, active))

    def _watched(self, mac: int) -> bool:
        return mac in self._exact or any(mask.matches(mac) for mask in self._masks)

    # -- presence -------------------------------------------------------------------

    def __call__(self, packet: Any) -> None:
        """Packet-chain subscriber: the transmitter and source of a frame are present."""
        if not self._active:
            return
        decoded = packet.decoded
        if decoded is None or packet.error:
            return
        transmitter = decoded.transmitter
        if transmitter is not None:
            self.observe(transmitter)
        source = decoded.source
        if source is not None and source != transmitter:
            self.observe(source)

    def observe(self, mac: bytes) -> None:
        """``mac`` (6 bytes) was heard now."""
        if not self._active:
            return
        value = int.from_bytes(mac, "big")
        if not self._watched(value):
            return
        now = self._clock.seconds()
        seen = self._seen.get(value)
        if seen is None:
            seen = self._seen[value] = _Seen(now)
            if len(self._seen) > self._capacity:
                self._seen.popitem(last=False)
        else:
            self._seen.move_to_end(value)
            if now - seen.last_seen > self.found_timeout:
                seen.announced = False
        seen.last_seen = now
        seen.lost_reported = False
        if not seen.announced and self._found.matches(value) \
                and self._alerts.potential("DEVICEFOUND"):
            text = _mac_text(value)
            self._alerts.raise_alert("DEVICEFOUND", f"Watched device {text} has been found",
                                     source=text)
            seen.announced = True

    def check(self) -> None:
        """Raise DEVICELOST for watched devices silent longer than the lost timeout."""
        if not self._lost:
            return
        now = self._clock.seconds()
        for value, seen in self._seen.items():
            if seen.lost_reported or now - seen.last_seen <= self.lost_timeout:
                continue
            if not self._lost.matches(value):
                continue
            text = _mac_text(value)
            try:
                self._alerts.raise_alert(
                    "DEVICELOST", f"Watched device {text} has not been seen for "
                    f"{now - seen.last_seen:.0f} seconds", source=text)
            except AlertThrottled:
                return
            seen.lost_reported = True


class SourceLike(Protocol):
    """What the source watch reads of a datasource."""

    uuid: str
    source_name: str
    interface: str
    error: bool
    error_reason: str


class SourceWatch:
    """SOURCEERROR once each time a datasource enters its error state."""

    def __init__(self, alerts: AlertTracker,
                 sources: Callable[[], Iterable[SourceLike]]) -> None:
        self._alerts = alerts
        self._sources = sources
        self._failed: dict[str, str] = {}
        define_builtins(alerts, SYSTEM_ALERTS)

    def check(self) -> None:
        """Compare every source's state with the last check."""
        present = set()
        for source in self._sources():
            present.add(source.uuid)
            if not source.error:
                self._failed.pop(source.uuid, None)
                continue
            reason = source.error_reason or "unknown error"
            if self._failed.get(source.uuid) == reason:
                continue
            self._failed[source.uuid] = reason
            self._alerts.raise_one_shot(
                "SOURCEERROR", f"Data source '{source.source_name}' ({source.interface}) "
                f"failed: {reason}")
        for uuid in [u for u in self._failed if u not in present]:
            del self._failed[uuid]


class SystemAlerts(Service):
    """Runs the lost-device and failed-source checks on the injected clock."""

    name = "alerts"

    def __init__(self, clock: IReactorTime, devices: DeviceWatch,
                 sources: SourceWatch | None = None,
                 interval: float = CHECK_INTERVAL) -> None:
        self.devices = devices
        self.sources = sources
        self._interval = interval
        self._loop = LoopingCall(self.check)
        self._loop.clock = clock

    def check(self) -> None:
        """One round of checks; a failure is logged and the next round still runs."""
        try:
            self.devices.check()
            if self.sources is not None:
                self.sources.check()
        except Exception:
            _log.failure("system alert check failed")

    def startService(self) -> None:
        Service.startService(self)
        self._loop.start(self._interval, now=False)

    def stopService(self) -> Any:
        if self._loop.running:
            self._loop.stop()
        return Service.stopService(self)
