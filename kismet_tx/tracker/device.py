"""One device of any phy: the phy-generic record the tracker keeps per MAC.

Records are ``__slots__`` objects holding compact native values (MACs as
6-byte ``bytes``, times as int seconds, interned strings); nothing here keeps
per-packet history. Kismet's dotted-name dictionaries are built only when a
request reads a device, through the lazy Mapping of
:mod:`kismet_tx.tracker.records`.
"""

from __future__ import annotations

import struct
from typing import Any, Final, Protocol

from kismet_tx.keys import device_key, mac_str
from kismet_tx.rrd import Rrd

# Kismet's basic type bits (``kismet.device.base.basic_type_set``).
BASICTYPE_DEVICE: Final = 0
BASICTYPE_AP: Final = 1
BASICTYPE_CLIENT: Final = 2
BASICTYPE_WIRED: Final = 4
BASICTYPE_PEER: Final = 8

# Kismet's basic crypt bits (``kismet.device.base.basic_crypt_set``).
BASICCRYPT_NONE: Final = 0
BASICCRYPT_ENCRYPTED: Final = 2
BASICCRYPT_L2: Final = 4
BASICCRYPT_L3: Final = 8
BASICCRYPT_WEAKCRYPT: Final = 16
BASICCRYPT_DECRYPTED: Final = 32

#: Seconds of traffic a device keeps as a flat history before its RRDs are built
#: (two RRDs cost about 2.6 KB; most devices of a survey are seen in a few seconds).
SPARSE_RRD_SECONDS: Final = 16
#: One second of a device's packed history: second, packets, data bytes.
SECOND: Final = struct.Struct("<qqq")
_pack_second: Final = SECOND.pack
_SPARSE_BYTES: Final = SECOND.size * SPARSE_RRD_SECONDS


class Source(Protocol):
    """What the tracker needs of the datasource that saw a packet (read only)."""

    @property
    def uuid(self) -> str: ...

    @property
    def source_name(self) -> str: ...


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
        "rate_sec", "rate_packets", "rate_bytes", "rrds", "version", "mac_text",
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
        #: Packets and data bytes of second ``rate_sec`` not yet in ``rrds``: a
        #: history of its first seconds, packed (``SECOND``: sec, packets, bytes; no
        #: int objects, and bytes are nothing for the collector to walk), then the
        #: (packets, datasize) RRD pair
        #: (``kismet.device.base.packets.rrd`` / ``datasize.rrd``, made on first use).
        self.rate_sec = sec
        self.rate_packets = 0
        self.rate_bytes = 0
        self.rrds: bytes | tuple[Rrd, Rrd] | None = None
        #: Bumped by every change of the device (a frame naming it, a command):
        #: encoded rows of its ``DeviceRecord.VERSIONED`` fields are reused while it stands.
        self.version = 0
        #: ``macaddr``, formatted on first use (every row of a device list has it).
        self.mac_text: str | None = None

    def count_rate(self, sec: int, size: int, keep_history: bool) -> None:
        """One packet of ``size`` data bytes at ``sec``; the phys call this per packet,
        with their tracker's ``track_rrds`` as ``keep_history``."""
        if sec != self.rate_sec:
            if keep_history:
                self._store_rate()
            else:
                self.rate_packets = self.rate_bytes = 0
            self.rate_sec = sec
        self.rate_packets += 1
        self.rate_bytes += size

    def _store_rate(self) -> None:
        """Move the pending second into the device's RRD history."""
        if not self.rate_packets:
            return
        history = self.rrds
        if history is None:
            self.rrds = _pack_second(self.rate_sec, self.rate_packets, self.rate_bytes)
        elif isinstance(history, bytes):
            history += _pack_second(self.rate_sec, self.rate_packets, self.rate_bytes)
            self.rrds = _dense(history) if len(history) > _SPARSE_BYTES else history
        else:
            packets, datasize = history
            packets.add_second(self.rate_sec, self.rate_packets)
            datasize.add_second(self.rate_sec, self.rate_bytes)
        self.rate_packets = self.rate_bytes = 0

    def flush_rate(self) -> tuple[Rrd, Rrd]:
        """The (packets, datasize) RRDs, the pending second in them.

        A device seen in few seconds keeps those seconds as a flat list (most
        devices of a busy survey): its RRDs are built from it for each read.
        """
        self._store_rate()
        history = self.rrds
        if isinstance(history, tuple):
            return history
        return _dense(history or b"")

    @property
    def key(self) -> str:
        """The Kismet device key (``4202770D00000000_...``)."""
        return device_key(self.phy.spkey, self.mac)

    @property
    def macaddr(self) -> str:
        """``AA:BB:CC:DD:EE:FF``."""
        text = self.mac_text
        if text is None:
            text = self.mac_text = mac_str(self.mac)
        return text

    @property
    def commonname(self) -> str:
        """Username, else name, else the MAC."""
        return self.username or self.name or self.macaddr

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
        self.version += 1
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
    device_tracker: Any

    def forget(self, device: Any) -> None:
        """Drop a device from the phy's own indexes (expiry)."""


def _dense(history: bytes) -> tuple[Rrd, Rrd]:
    """The (packets, datasize) RRDs of a packed history of seconds."""
    packets, datasize = Rrd(aggregate_sum=True), Rrd(aggregate_sum=True)
    for sec, count, size in SECOND.iter_unpack(history):
        packets.add_second(sec, count)
        datasize.add_second(sec, size)
    return packets, datasize
