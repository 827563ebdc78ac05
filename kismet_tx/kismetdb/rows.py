"""Rows of the kismetdb tables, from packets, device records, alerts and messages.

Everything here runs on the reactor and is kept to what a row needs: packet
rows are tuples of native values, MAC strings come from a bounded cache, and
JSON blobs come from the one serializer the REST API uses (``encode``, handed
in by the service), applied to the same records the API serves.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from typing import Any

from kismet_tx.messagebus import ALERT, DEBUG, ERROR, FATAL, INFO, Message

#: A value SQLite stores (``bytes`` and ``memoryview`` as BLOB).
SqlValue = int | float | str | bytes | memoryview | None
#: One table row, in the table's column order.
Row = tuple[SqlValue, ...]

EMPTY_MAC = "00:00:00:00:00:00"
DOT11 = "IEEE802.11"
NO_UUID = "00000000-0000-0000-0000-000000000000"
_B = "kismet.device.base."
_L = "kismet.common.location."
_CACHE_LIMIT = 1 << 16

#: ``encode(record) -> str``: the REST API's JSON for a record.
Encoder = Callable[[Any], str]


class MacStrings:
    """``AA:BB:..`` text of 6-byte MACs, cached (a capture repeats few addresses)."""

    def __init__(self) -> None:
        self._cache: dict[bytes | None, str] = {None: EMPTY_MAC}

    def __call__(self, mac: bytes | None) -> str:
        """The text of ``mac`` (``00:00:00:00:00:00`` for None)."""
        text = self._cache.get(mac)
        if text is None:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache = {None: EMPTY_MAC}
            text = self._cache[mac] = mac.hex(":").upper()  # type: ignore[union-attr]
        return text


def split_time(ts: float) -> tuple[int, int]:
    """``(seconds, microseconds)`` of a time."""
    sec, usec = divmod(int(round(ts * 1_000_000)), 1_000_000)
    return sec, usec


def location_columns(location: Any) -> tuple[float, float, float, float, float]:
    """``lat, lon, alt, speed, heading`` of a fix, zeros without one."""
    if location is None or not location.valid:
        return 0.0, 0.0, 0.0, 0.0, 0.0
    return location.lat, location.lon, location.alt, location.speed, location.heading


class PacketRows:
    """``packets`` rows of chain packets (version 6 or 10 columns)."""

    def __init__(self, version: int) -> None:
        self.full = version >= 10
        self.mac = MacStrings()
        self._packet_id = 0

    def row(self, packet: Any) -> Row:
        """The row of ``packet``: the short one (:data:`schema.LEAN_PACKET_VALUES`) for a
        decoded packet without a fix, else the full one."""
        decoded = packet.decoded
        location = packet.location
        if decoded is not None and location is None:
            # Memoized on the packet: the tracker has usually asked already.
            freq, signal, _ = decoded.radio_levels()
            data = packet.data
            row = (packet.ts, decoded.source, decoded.dest, decoded.addr2, freq, signal,
                   packet.source.uuid, packet.dlt, data, packet.error)
            if not self.full:
                return row
            self._packet_id += 1
            return row + (zlib.crc32(data), self._packet_id, packet.length)
        return self._full_row(packet, decoded, location)

    def _full_row(self, packet: Any, decoded: Any, location: Any) -> Row:
        sec, usec = split_time(packet.ts)
        if decoded is not None:
            phyname = DOT11
            source = self.mac(decoded.source)
            dest = self.mac(decoded.dest)
            trans = self.mac(decoded.addr2)
            freq, signal, _ = decoded.radio_levels()
        else:
            phyname = "Unknown"
            source = dest = trans = EMPTY_MAC
            freq = signal = None
        lat, lon, alt, speed, heading = location_columns(location)
        data = packet.data
        row = (sec, usec, phyname, source, dest, trans, freq * 1000.0 if freq else 0.0, "0",
               lat, lon, alt, speed, heading, len(data), signal or 0, packet.source.uuid,
               packet.dlt, data, 1 if packet.error else 0, "")
        if not self.full:
            return row
        self._packet_id += 1
        return row + (0.0, zlib.crc32(data), self._packet_id, packet.length)


def device_row(record: Mapping[str, Any], encode: Encoder) -> Row:
    """The ``devices`` row of a device record (the REST API's record)."""
    signal = record.get(_B + "signal") or {}
    location = record.get(_B + "location")
    if location and location.get(_L + "loc_fix", 0) >= 2:
        min_lon, min_lat = location[_L + "min_loc"][_L + "geopoint"]
        max_lon, max_lat = location[_L + "max_loc"][_L + "geopoint"]
        avg_lon, avg_lat = location[_L + "avg_loc"][_L + "geopoint"]
    else:
        min_lat = min_lon = max_lat = max_lon = avg_lat = avg_lon = 0.0
    return (record[_B + "first_time"], record[_B + "last_time"], record[_B + "key"],
            record[_B + "phyname"], record[_B + "macaddr"],
            signal.get("kismet.common.signal.max_signal", 0),
            min_lat, min_lon, max_lat, max_lon, avg_lat, avg_lon,
            record[_B + "datasize"], record[_B + "type"], encode(record))


def datasource_row(record: Mapping[str, Any], encode: Encoder) -> Row:
    """The ``datasources`` row of a datasource record."""
    driver = record.get("kismet.datasource.type_driver") or {}
    return (record["kismet.datasource.uuid"], driver.get("kismet.datasource.driver.type", ""),
            record.get("kismet.datasource.definition", ""),
            record.get("kismet.datasource.name", ""),
            record.get("kismet.datasource.interface", ""), encode(record))


def alert_row(alert: Any, phyname: str, location: Any, encode: Encoder) -> Row:
    """The ``alerts`` row of a raised alert."""
    sec, usec = split_time(alert.timestamp)
    lat, lon = location_columns(location)[:2]
    devmac = alert.source_mac if alert.source_mac != EMPTY_MAC else alert.transmitter_mac
    return (sec, usec, phyname, devmac, lat, lon, alert.header, encode(alert.record()))


def message_type(flags: int) -> str:
    """Kismet's ``msgtype`` text of message flags."""
    for bit, name in ((INFO, "INFO"), (ERROR, "ERROR"), (DEBUG, "DEBUG"), (FATAL, "FATAL"),
                      (ALERT, "ALERT")):
        if flags & bit:
            return name
    return ""


def message_row(message: Message, location: Any) -> Row:
    """The ``messages`` row of a bus message."""
    lat, lon = location_columns(location)[:2]
    return (int(message.time), lat, lon, message_type(message.flags), message.text)


def snapshot_row(ts: float, location: Any, snaptype: str, record: Any,
                 encode: Encoder) -> Row:
    """A ``snapshots`` row."""
    sec, usec = split_time(ts)
    lat, lon = location_columns(location)[:2]
    return (sec, usec, lat, lon, snaptype, encode(record))
