"""The device tracker: every device of every phy, its indexes, views and expiry.

Records are ``__slots__`` objects holding compact native values (MACs as
6-byte ``bytes``, times as int seconds, interned strings); nothing here keeps
per-packet history. Kismet's dotted-name dictionaries are built only when a
request reads a device, through the lazy Mapping of
:mod:`kismet_tx.tracker.records`.

The tracker is phy-generic: a phy handler (:class:`kismet_tx.tracker.dot11.Dot11Phy`)
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
from typing import Any, Protocol

from twisted.application.service import Service
from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

from kismet_tx.keys import MacError, device_key, mac_str, parse_key, parse_mac
from kismet_tx.rrd import Rrd
from kismet_tx.tracker.oui import ManufDb

_log = Logger(namespace="kismet_tx.tracker")

# Kismet's basic type bits (``kismet.device.base.basic_type_set``).
BASICTYPE_DEVICE = 0
BASICTYPE_AP = 1
BASICTYPE_CLIENT = 2
BASICTYPE_WIRED = 4
BASICTYPE_PEER = 8

# Kismet's basic crypt bits (``kismet.device.base.basic_crypt_set``).
BASICCRYPT_NONE = 0
BASICCRYPT_ENCRYPTED = 2
BASICCRYPT_L2 = 4
BASICCRYPT_L3 = 8
BASICCRYPT_WEAKCRYPT = 16
BASICCRYPT_DECRYPTED = 32

#: Seconds between two expiry passes.
EXPIRY_INTERVAL = 10.0


class Source(Protocol):
    """What the tracker needs of the datasource that saw a packet."""

    uuid: str
    source_name: str


class SeenBy:
    """One datasource's view of one device: first and last time, packets."""

    __slots__ = ("source", "first_time", "last_time", "packets")

    def __init__(self, source: Source, sec: int) -> None:
        self.source = source
        self.first_time = sec
        self.last_time = sec
        self.packets = 0


class Device:
    """Phy-independent device state (``kismet.device.base.*``).

    ``name`` is None until the phy names the device (an SSID); ``username``
    is set through ``set_name``. Signal fields are None until a packet with a
    signal arrives; ``freqs`` is a flat ``[kHz, count, kHz, count, ...]`` list.
    ``seenby`` is one :class:`SeenBy` or, with several sources, a list.
    """

    __slots__ = (
        "mac", "phy", "first_time", "last_time", "mod_time", "type_string", "basic_type_set",
        "crypt_string", "basic_crypt_set", "name", "username", "manuf", "packets", "tx_packets",
        "rx_packets", "llc_packets", "data_packets", "crypt_packets", "datasize", "channel",
        "frequency", "freqs", "sig_last", "sig_min", "sig_max", "noise_last", "noise_min",
        "noise_max", "seenby", "tags", "num_alerts", "related", "location",
        "rate_sec", "rate_packets", "rate_bytes", "rrds",
    )  # fmt: skip

    def __init__(self, mac: bytes, phy: Phy, sec: int, type_string: str, manuf: str) -> None:
        self.mac = mac
        self.phy = phy
        self.first_time = sec
        self.last_time = sec
        self.mod_time = sec
        self.type_string = type_string
        self.basic_type_set = 0
        self.crypt_string = ""
        self.basic_crypt_set = 0
        self.name: str | None = None
        self.username: str | None = None
        self.manuf = manuf
        self.packets = 0
        self.tx_packets = 0
        self.rx_packets = 0
        self.llc_packets = 0
        self.data_packets = 0
        self.crypt_packets = 0
        self.datasize = 0
        self.channel = ""
        self.frequency = 0
        self.freqs: list[int] | None = None
        self.sig_last: int | None = None
        self.sig_min: int | None = None
        self.sig_max: int | None = None
        self.noise_last: int | None = None
        self.noise_min: int | None = None
        self.noise_max: int | None = None
        self.seenby: SeenBy | list[SeenBy] | None = None
        self.tags: dict[str, str] | None = None
        self.num_alerts = 0
        self.related: dict[str, list[str]] | None = None
        #: A location aggregate (``add(location)``, ``record()``) once a packet
        #: from the device carried a GPS location.
        self.location: Any = None
        #: Packets and data bytes of second ``rate_sec`` not yet in ``rrds``
        #: (``kismet.device.base.packets.rrd`` / ``datasize.rrd``, made on first use).
        self.rate_sec = sec
        self.rate_packets = 0
        self.rate_bytes = 0
        self.rrds: tuple[Rrd, Rrd] | None = None

    def count_rate(self, sec: int, size: int) -> None:
        """One packet of ``size`` data bytes at ``sec``; the phys call this per packet."""
        if sec != self.rate_sec:
            if self.phy.tracker.track_rrds:
                self.flush_rate()
            else:
                self.rate_packets = self.rate_bytes = 0
            self.rate_sec = sec
        self.rate_packets += 1
        self.rate_bytes += size

    def flush_rate(self) -> tuple[Rrd, Rrd]:
        """Move the pending second into the RRDs; returns (packets, datasize)."""
        rrds = self.rrds
        if rrds is None:
            rrds = self.rrds = (Rrd(aggregate_sum=True), Rrd(aggregate_sum=True))
        if self.rate_packets:
            rrds[0].add(self.rate_sec, self.rate_packets)
            rrds[1].add(self.rate_sec, self.rate_bytes)
            self.rate_packets = self.rate_bytes = 0
        return rrds

    @property
    def key(self) -> str:
        """The Kismet device key (``4202770D00000000_...``)."""
        return device_key(self.phy.spkey, self.mac)

    @property
    def macaddr(self) -> str:
        """``AA:BB:CC:DD:EE:FF``."""
        return mac_str(self.mac)

    @property
    def commonname(self) -> str:
        """Username, else name, else the MAC."""
        return self.username or self.name or mac_str(self.mac)

    def seen_by(self) -> list[SeenBy]:
        """Every datasource that saw this device."""
        seen = self.seenby
        if seen is None:
            return []
        if type(seen) is SeenBy:
            return [seen]
        return list(seen)  # type: ignore[arg-type]

    def seen_by_source(self, uuid: str) -> bool:
        """Whether the datasource with this UUID saw the device."""
        return any(s.source.uuid == uuid for s in self.seen_by())

    def add_related(self, relation: str, key: str) -> None:
        """Record a related device key under a relationship name (no duplicates)."""
        related = self.related
        if related is None:
            related = self.related = {}
        keys = related.setdefault(relation, [])
        if key not in keys:
            keys.append(key)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {mac_str(self.mac)} {self.type_string}>"


class Phy(Protocol):
    """A phy handler as the tracker sees it."""

    name: str
    phy_id: int
    phash: int
    spkey: str
    packets: int
    devices: dict[bytes, Any]
    tracker: Any

    def forget(self, device: Any) -> None:
        """Drop a device from the phy's own indexes (expiry)."""


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
        super().startService()
        if self.device_timeout > 0 or self.max_devices > 0:
            self._loop = LoopingCall(self.expire)
            self._loop.clock = self._clock
            self._loop.start(EXPIRY_INTERVAL, now=False)

    def stopService(self) -> Any:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        return super().stopService()

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

