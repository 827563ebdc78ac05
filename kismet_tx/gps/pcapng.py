"""Kismet's pcapng GPS option: where a packet was captured, inside its Enhanced Packet Block.

A custom binary option (code 2989) under Kismet's IANA PEN 55922, as Kismet
writes it: the PEN, then a chunk ``magic 0x47, version 1, length (u16),
fields-present bitmask (u32)`` followed by longitude and latitude as PPI
``fixed3_7`` and, for a 3D fix with a non-zero altitude, the altitude as
``fixed6_4`` (all little-endian). Written only when the fix is 2D or better.
"""

from __future__ import annotations

import struct

from kismet_tx.gps.location import FIX_2D, FIX_3D, Location

#: pcapng custom binary option, copied on edit.
OPT_CUSTOM_BINARY = 2989
#: Kismet's IANA private enterprise number.
KISMET_PEN = 55922
GPS_MAGIC = 0x47
GPS_VERSION = 1
FLAG_LON = 0x2
FLAG_LAT = 0x4
FLAG_ALT = 0x8

_HEAD = struct.Struct("<IBBHI")
_U32 = struct.Struct("<I")


def fixed3_7(value: float) -> int:
    """A coordinate as PPI fixed3_7: (value + 180) * 10^7."""
    return int(round((value + 180.0) * 10_000_000)) & 0xFFFFFFFF


def fixed6_4(value: float) -> int:
    """An altitude as PPI fixed6_4: (value + 180000) * 10^4."""
    return int(round((value + 180_000.0) * 10_000)) & 0xFFFFFFFF


def gps_option(location: Location | None) -> tuple[int, bytes] | None:
    """``(code, value)`` of the GPS option for a packet, or None without a fix.

    ``value`` is the option body without padding, as ``encode_option`` takes it.
    """
    if location is None or location.fix < FIX_2D:
        return None
    fields = FLAG_LON | FLAG_LAT
    data = _U32.pack(fixed3_7(location.lon)) + _U32.pack(fixed3_7(location.lat))
    if location.fix >= FIX_3D and location.alt != 0:
        fields |= FLAG_ALT
        data += _U32.pack(fixed6_4(location.alt))
    return OPT_CUSTOM_BINARY, _HEAD.pack(KISMET_PEN, GPS_MAGIC, GPS_VERSION, len(data),
                                         fields) + data


def parse_gps_option(value: bytes) -> tuple[float, float, float | None]:
    """``(lat, lon, alt)`` from an option body; ValueError if it is not Kismet's GPS."""
    if len(value) < _HEAD.size:
        raise ValueError("GPS option too short")
    pen, magic, version, length, fields = _HEAD.unpack_from(value)
    if pen != KISMET_PEN or magic != GPS_MAGIC or version != GPS_VERSION:
        raise ValueError("not a Kismet GPS option")
    data = value[_HEAD.size:_HEAD.size + length]
    values = [v for (v,) in _U32.iter_unpack(data[: len(data) // 4 * 4])]
    if not fields & FLAG_LON or not fields & FLAG_LAT or len(values) < 2:
        raise ValueError("GPS option without longitude and latitude")
    lon = values[0] / 10_000_000 - 180.0
    lat = values[1] / 10_000_000 - 180.0
    alt = values[2] / 10_000 - 180_000.0 if fields & FLAG_ALT and len(values) > 2 else None
    return lat, lon, alt
