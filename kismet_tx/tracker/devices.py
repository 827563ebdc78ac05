"""The device tracker: every device of every phy, its indexes, views and expiry.

Devices are :class:`kismet_tx.tracker.device.Device` records.

The tracker is phy-generic: a phy handler (:class:`kismet_tx.tracker.dot11phy.Dot11Phy`)
owns its devices by MAC and feeds them from the packet chain; the tracker
looks devices up by key or MAC, serves the views and expires devices.

Time: device times come from the packets (a replayed 2007 capture has 2007
devices). ``packet_time`` is the newest packet second seen; ``/last-time``
requests with a negative TS are relative to it. Expiry measures inactivity on
a packet clock that keeps ticking with the injected reactor clock after the
last packet (:meth:`DeviceTracker.packet_clock`), so a live capture expires
devices on wall time and a finished replay keeps its devices for the timeout
after it ends.
"""

from __future__ import annotations

import sys
import uuid as uuidlib
from collections.abc import Callable, Iterator
from typing import Any, Final

from twisted.application.service import Service
from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

from kismet_tx.keys import MacError, parse_key, parse_mac
from kismet_tx.tracker.device import Device, Phy, Source
from kismet_tx.tracker.oui import ManufDb

_log: Final = Logger(namespace="kismet_tx.tracker")


#: Seconds between two expiry passes.
EXPIRY_INTERVAL: Final = 10.0

class DeviceTracker(Service):
    """All devices, looked up by key or MAC; views; expiry; the ``add_alert`` hook.

    Other floors use: :meth:`get` (by key), :meth:`by_mac`, :meth:`lookup`
    (a key or a MAC), :meth:`add_alert`, and the phy's handshake frames
    (:meth:`handshake_frames`, :meth:`beacon_snapshot`).
    """

    name = "devicetracker"

    def __init__(self, clock: IReactorTime, manuf: ManufDb | None = None, *,
                 server_uuid: str | None = None, device_timeout: float = 0,
                 max_devices: int = 0,
                 location_factory: Callable[[], Any] | None = None,
                 track_rrds: bool = True) -> None:
        self._clock = clock
        #: Per-device packet and data RRDs (``track_device_rrds``; about 3 kB a device).
        self.track_rrds = track_rrds
        self.manuf = manuf if manuf is not None else ManufDb({})
        self.server_uuid = (server_uuid or str(uuidlib.uuid4())).upper()
        self.device_timeout = float(device_timeout)
        self.max_devices = int(max_devices)
        #: Makes a device's location aggregate; None leaves devices without locations.
        self.location_factory = location_factory
        self.phys: list[Phy] = []
        self._by_hash: dict[int, Phy] = {}
        #: Newest packet time, whole seconds (0 before the first packet).
        self.packet_time = 0
        self._packet_wall = clock.seconds()
        #: Datasource UUID -> number of devices it has seen (seenby views).
        self.seen_counts: dict[str, int] = {}
        self._sources: dict[str, Source] = {}
        self.new_device_hooks: list[Callable[[Device], None]] = []
        self.expired = 0
        self._loop: LoopingCall | None = None
        self._interned: dict[str, str] = {}

    # -- phys and clocks ----------------------------------------------------------

    def add_phy(self, phy: Phy) -> None:
        """Register a phy handler (its id is its position)."""
        self.phys.append(phy)
        self._by_hash[phy.phash] = phy

    def phy_named(self, name: str) -> Phy | None:
        """A phy by its name (``IEEE802.11``)."""
        return next((p for p in self.phys if p.name == name), None)

    def saw_packet(self, sec: int) -> None:
        """Advance the packet clock (phys call this once per new second)."""
        if sec > self.packet_time:
            self.packet_time = sec
            self._packet_wall = self._clock.seconds()

    def wall_seconds(self) -> float:
        """The injected clock's time."""
        return self._clock.seconds()

    def packet_clock(self) -> float:
        """Newest packet time plus the clock time elapsed since it was seen."""
        if not self.packet_time:
            return self._clock.seconds()
        return self.packet_time + max(0.0, self._clock.seconds() - self._packet_wall)

    def relative_time(self, ts: int) -> int:
        """A ``last-time`` TS: negative values count back from the newest packet."""
        if ts < 0:
            base = self.packet_time or int(self._clock.seconds())
            return base + ts
        return ts

    def intern(self, text: str) -> str:
        """One shared copy of a repeated string (SSIDs, channels)."""
        known = self._interned.get(text)
        if known is None:
            known = sys.intern(text) if len(self._interned) < 1 << 20 else text
            self._interned[known] = known
        return known

    # -- devices -----------------------------------------------------------------------

    def __len__(self) -> int:
        return sum(len(p.devices) for p in self.phys)

    def devices(self) -> Iterator[Device]:
        """Every device, phy by phy, in creation order."""
        for phy in self.phys:
            yield from phy.devices.values()

    def seen_after(self, since: int) -> list[Device]:
        """Devices whose last packet came after ``since``, phy by phy, in creation order."""
        found: list[Device] = []
        device: Device  # typed, so compiled code reads ``last_time`` natively
        for phy in self.phys:
            for device in phy.devices.values():
                if device.last_time > since:
                    found.append(device)
        return found

    def get(self, key: str) -> Device | None:
        """A device by key (case-insensitive); None if malformed or unknown."""
        parsed = parse_key(key)
        if parsed is None:
            return None
        phy = self._by_hash.get(parsed[0])
        return None if phy is None else phy.devices.get(parsed[1])

    def by_mac(self, mac: bytes) -> list[Device]:
        """Devices with this MAC on any phy."""
        found = []
        for phy in self.phys:
            device = phy.devices.get(mac)
            if device is not None:
                found.append(device)
        return found

    def by_mac_mask(self, mac: bytes, mask: bytes) -> list[Device]:
        """Devices whose MAC, masked, equals ``mac`` (already masked)."""
        if mask == b"\xff" * 6:
            return self.by_mac(mac)
        want = int.from_bytes(mac, "big")
        bits = int.from_bytes(mask, "big")
        return [d for d in self.devices() if int.from_bytes(d.mac, "big") & bits == want]

    def lookup(self, ident: str | bytes) -> Device | None:
        """A device by key, by MAC string or by 6-byte MAC (first phy that has it)."""
        if isinstance(ident, bytes):
            found = self.by_mac(ident)
            return found[0] if found else None
        device = self.get(ident)
        if device is not None:
            return device
        try:
            found = self.by_mac(parse_mac(ident))
        except MacError:
            return None
        return found[0] if found else None

    def created(self, device: Device) -> None:
        """Phys call this for every new device (runs the new-device hooks)."""
        for hook in self.new_device_hooks:
            try:
                hook(device)
            except Exception:
                _log.failure("new-device hook failed for {device}", device=device)

    def note_source(self, source: Source) -> None:
        """Phys call this when a device is seen by a source for the first time."""
        uuid = source.uuid
        self.seen_counts[uuid] = self.seen_counts.get(uuid, 0) + 1
        if uuid not in self._sources:
            self._sources[uuid] = source

    def sources(self) -> list[Source]:
        """Datasources that have seen at least one device."""
        return list(self._sources.values())

    # -- commands from the REST API and other floors ------------------------------------

    def add_alert(self, ident: str | bytes | Device) -> bool:
        """Count one alert against a device (key, MAC or device); False if unknown."""
        device = ident if isinstance(ident, Device) else self.lookup(ident)
        if device is None:
            return False
        device.num_alerts += 1
        self._touch(device)
        return True

    def set_username(self, device: Device, name: str) -> None:
        """``set_name``: the user's name for a device (empty clears it)."""
        device.username = name or None
        self._touch(device)

    def set_tag(self, device: Device, tag: str, value: str) -> None:
        """``set_tag``: set a tag (an empty value removes it)."""
        tags = device.tags
        if value:
            if tags is None:
                tags = device.tags = {}
            tags[tag] = value
        elif tags is not None:
            tags.pop(tag, None)
            if not tags:
                device.tags = None
        self._touch(device)

    def _touch(self, device: Device) -> None:
        device.mod_time = int(self._clock.seconds())
        device.version += 1

    def handshake_frames(self, ap: str | bytes | Device,
                         client: bytes | None = None) -> list[tuple[float, int, bytes]]:
        """The AP's beacon snapshot then its EAPOL key frames, oldest first.

        ``ap`` is a device key, a MAC or a device; ``client`` (6-byte MAC)
        keeps one client's frames. Each frame is ``(ts, dlt, data)`` as
        captured (capture header included). Empty when the AP is unknown or
        has no handshake.
        """
        device = ap if isinstance(ap, Device) else self.lookup(ap)
        frames = getattr(device, "handshake_frames", None)
        return [] if frames is None else frames(client)

    def beacon_snapshot(self, ap: str | bytes | Device) -> tuple[float, int, bytes] | None:
        """The AP's last beacon with new contents, ``(ts, dlt, data)``, or None."""
        device = ap if isinstance(ap, Device) else self.lookup(ap)
        snapshot = getattr(device, "beacon_snapshot", None)
        return None if snapshot is None else snapshot()

    # -- expiry ------------------------------------------------------------------------

    def startService(self) -> None:
        Service.startService(self)
        if self.device_timeout > 0 or self.max_devices > 0:
            self._loop = LoopingCall(self.expire)
            self._loop.clock = self._clock
            self._loop.start(EXPIRY_INTERVAL, now=False)

    def stopService(self) -> Any:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        return Service.stopService(self)

    def expire(self) -> int:
        """Drop idle devices (``tracker_device_timeout``) and the oldest ones over
        ``tracker_max_devices``; returns how many went."""
        doomed: list[Device] = []
        if self.device_timeout > 0:
            horizon = self.packet_clock() - self.device_timeout
            doomed.extend(d for d in self.devices() if d.last_time < horizon)
        if self.max_devices > 0:
            over = len(self) - len(doomed) - self.max_devices
            if over > 0:
                gone = {id(d) for d in doomed}
                alive = [d for d in self.devices() if id(d) not in gone]
                alive.sort(key=lambda d: d.last_time)
                doomed.extend(alive[:over])
        for device in doomed:
            self.remove(device)
        self.expired += len(doomed)
        return len(doomed)

    def remove(self, device: Device) -> None:
        """Forget one device everywhere the tracker indexes it."""
        phy = device.phy
        if phy.devices.get(device.mac) is not device:
            return
        del phy.devices[device.mac]
        phy.forget(device)
        for seen in device.seen_by():
            uuid = seen.source.uuid
            left = self.seen_counts.get(uuid, 0) - 1
            self.seen_counts[uuid] = max(left, 0)

