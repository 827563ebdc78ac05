"""Capture-header decoders: PPI, Prism, AVS and raw 802.11, and the DLT dispatch.

Each ``decode_*`` returns ``(radio, offset)``: a :class:`RadioInfo` (or
``None`` for plain 802.11) and the offset of the 802.11 frame in ``data``.
:func:`decode_link` dispatches on the DLT (radiotap is in :mod:`.radiotap`).
Every decoder raises :class:`MalformedFrame` for bytes it cannot decode.
"""

from __future__ import annotations

import struct
import zlib
from typing import Final

from .errors import MalformedFrame, UnsupportedLinkType
from .radio import RadioInfo, channel_to_freq, make_index_map
from .radiotap import decode_radiotap

__all__ = [
    "DLT_IEEE802_11",
    "DLT_PRISM",
    "DLT_RADIOTAP",
    "DLT_AVS",
    "DLT_PPI",
    "SUPPORTED_DLTS",
    "decode_link",
    "decode_ppi",
    "decode_prism",
    "decode_avs",
]

DLT_IEEE802_11: Final = 105
DLT_PRISM: Final = 119
DLT_RADIOTAP: Final = 127
DLT_AVS: Final = 163
DLT_PPI: Final = 192
SUPPORTED_DLTS: Final = frozenset({DLT_IEEE802_11, DLT_PRISM, DLT_RADIOTAP, DLT_AVS, DLT_PPI})

_U32: Final = struct.Struct("<I")


# PPI (DLT 192): 8-byte header, then type/length fields; type 2 = 802.11-common.
_PPI_HDR: Final = struct.Struct("<BBHI")
_PPI_FIELD: Final = struct.Struct("<HH")
_PPI_COMMON: Final = struct.Struct("<QHHHHxxbb")
_PPI_MAP: Final = make_index_map(
    {"tsft": 0, "flags": 1, "rate_500kbps": 2, "freq_mhz": 3, "chan_flags": 4,
     "signal_dbm": 5, "noise_dbm": 6}
)  # fmt: skip


def decode_ppi(data: bytes) -> tuple[RadioInfo | None, int]:
    """Decode a PPI header (DLT 192) wrapping 802.11; radio from the 802.11-common field."""
    n = len(data)
    if n < 8:
        raise MalformedFrame("PPI header shorter than 8 bytes")
    version, pflags, plen, dlt = _PPI_HDR.unpack_from(data, 0)
    if version != 0:
        raise MalformedFrame(f"PPI version {version}")
    if plen < 8 or plen > n:
        raise MalformedFrame("PPI length outside the captured data")
    if dlt != DLT_IEEE802_11:
        raise UnsupportedLinkType(f"PPI wraps DLT {dlt}, not 802.11")
    off = 8
    radio = None
    while off + 4 <= plen:
        ftype, flen = _PPI_FIELD.unpack_from(data, off)
        off += 4
        if off + flen > plen:
            raise MalformedFrame("PPI field runs past the header")
        if ftype == 2 and flen >= 20 and radio is None:
            tsft, cflags, rate, freq, chflags, sig, noise = _PPI_COMMON.unpack_from(data, off)
            flags = (0x10 if cflags & 0x01 else 0) | (0x40 if cflags & 0x04 else 0)
            radio = RadioInfo(
                (tsft, flags, rate or None, freq or None, chflags, sig, noise), _PPI_MAP
            )
        off += flen
        if pflags & 0x01:
            off += -off % 4
    return radio, plen


# Prism (DLT 119): msgcode, msglen, devname[16], then 10 x (did, status, len, data).
_PRISM_ITEM: Final = struct.Struct("<IHHI")
_PRISM_HDR_LE: Final = struct.Struct("<II")
_PRISM_MAP: Final = make_index_map(
    {"tsft": 0, "flags": 1, "rate_500kbps": 2, "freq_mhz": 3, "signal_dbm": 4,
     "noise_dbm": 5, "signal_rssi": 6, "noise_rssi": 7, "header_channel": 8}
)  # fmt: skip
_AVS_MAGIC_MASK: Final = 0xFFFFFFF0
_AVS_MAGIC: Final = 0x80211000


def _trailing_fcs_flag(data: bytes, start: int) -> int:
    """0x10 if the last four bytes are a valid CRC-32 of the 802.11 frame, else 0."""
    n = len(data)
    if n - start < 14:
        return 0
    crc = zlib.crc32(memoryview(data)[start : n - 4])
    return 0x10 if crc == _U32.unpack_from(data, n - 4)[0] else 0


def _signed32(v: int) -> int:
    return v - 0x100000000 if v & 0x80000000 else v


def decode_prism(data: bytes) -> tuple[RadioInfo, int]:
    """Decode a Prism monitor header (DLT 119); AVS headers found there are handed on.

    Prism does not say whether the FCS is present; it is assumed present when the
    last four bytes are a valid CRC-32 of the frame (madwifi/hostap keep it).
    """
    n = len(data)
    if n >= 4 and (int.from_bytes(data[:4], "big") & _AVS_MAGIC_MASK) == _AVS_MAGIC:
        return decode_avs(data)
    if n < 24:
        raise MalformedFrame("Prism header shorter than 24 bytes")
    _msgcode, msglen = _PRISM_HDR_LE.unpack_from(data, 0)
    if msglen < 24 or msglen > n:
        raise MalformedFrame("Prism message length outside the captured data")
    items: dict[int, int] = {}
    off = 24
    while off + 12 <= msglen:
        did, status, _ilen, value = _PRISM_ITEM.unpack_from(data, off)
        off += 12
        if status != 0:
            continue
        if did & 0xFFFF == 0x0044:
            items.setdefault(did >> 16, value)
        elif did & 0x0FFF == 0x0041:
            items.setdefault((did >> 12) & 0xF, value)
    channel = items.get(3)
    if channel is not None and not 0 < channel < 200:
        channel = None
    rate = items.get(8)
    signal = items.get(6)
    noise = items.get(7)
    sig_dbm = _signed32(signal) if signal is not None and _signed32(signal) < 0 else None
    noise_dbm = _signed32(noise) if noise is not None and _signed32(noise) < 0 else None
    values = (
        items.get(2),
        _trailing_fcs_flag(data, msglen),
        rate or None,
        channel_to_freq(channel),
        sig_dbm,
        noise_dbm,
        signal if sig_dbm is None else None,
        noise if noise_dbm is None else None,
        channel,
    )
    return RadioInfo(values, _PRISM_MAP), msglen


# AVS (DLT 163), big-endian: version, length, mactime, hosttime, phytype, channel,
# datarate (100 kb/s), antenna, priority, ssi_type, ssi_signal, ssi_noise, ...
_AVS: Final = struct.Struct(">IIQQIIIIIIii")
_AVS_MAP: Final = make_index_map(
    {"tsft": 0, "flags": 1, "rate_500kbps": 2, "freq_mhz": 3, "signal_dbm": 4,
     "noise_dbm": 5, "signal_rssi": 6, "noise_rssi": 7, "antenna": 8, "header_channel": 9}
)  # fmt: skip


def decode_avs(data: bytes) -> tuple[RadioInfo, int]:
    """Decode an AVS capture header (DLT 163); FCS presence is detected as for Prism."""
    if len(data) < _AVS.size:
        raise MalformedFrame("AVS header shorter than 56 bytes")
    (version, hlen, mactime, _host, _phy, channel, rate100k, antenna, _prio, ssi_type,
     ssi_sig, ssi_noise) = _AVS.unpack_from(data, 0)  # fmt: skip
    if version & _AVS_MAGIC_MASK != _AVS_MAGIC:
        raise MalformedFrame("AVS header magic missing")
    if hlen < _AVS.size or hlen > len(data):
        raise MalformedFrame("AVS length outside the captured data")
    dbm = ssi_type == 2
    if not 0 < channel < 200:
        channel = None
    values = (
        mactime,
        _trailing_fcs_flag(data, hlen),
        (rate100k // 5) or None,
        channel_to_freq(channel),
        ssi_sig if dbm else None,
        ssi_noise if dbm else None,
        None if dbm or ssi_type == 0 else ssi_sig,
        None if dbm or ssi_type == 0 else ssi_noise,
        antenna,
        channel,
    )
    return RadioInfo(values, _AVS_MAP), hlen


def decode_link(dlt: int, data: bytes) -> tuple[RadioInfo | None, int]:
    """Decode the capture header for ``dlt``; returns ``(radio or None, 802.11 offset)``.

    Raises :class:`UnsupportedLinkType` for a DLT without a decoder.
    """
    if dlt == DLT_RADIOTAP:
        return decode_radiotap(data)
    if dlt == DLT_IEEE802_11:
        return None, 0
    if dlt == DLT_PPI:
        return decode_ppi(data)
    if dlt == DLT_PRISM:
        return decode_prism(data)
    if dlt == DLT_AVS:
        return decode_avs(data)
    raise UnsupportedLinkType(f"no decoder for DLT {dlt}")
