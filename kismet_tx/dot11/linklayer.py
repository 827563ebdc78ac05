"""Link-layer (capture header) decoders: radiotap, PPI, Prism, AVS and raw 802.11.

Each ``decode_*`` returns ``(radio, offset)``: a :class:`RadioInfo` (or
``None`` for plain 802.11) and the offset of the 802.11 frame in ``data``.
:func:`decode_link` dispatches on the DLT.  Every decoder raises
:class:`MalformedFrame` for bytes it cannot decode.

Radiotap layouts depend only on the header length and the present bitmaps, so
a compiled layout (one :class:`struct.Struct` covering every known field,
alignment padding included) is cached per bitmap signature.
"""

from __future__ import annotations

import struct
import zlib
from typing import Any

from .errors import MalformedFrame, UnsupportedLinkType
from .radio import RadioInfo, channel_to_freq, make_index_map

_new = object.__new__

__all__ = [
    "DLT_IEEE802_11",
    "DLT_PRISM",
    "DLT_RADIOTAP",
    "DLT_AVS",
    "DLT_PPI",
    "SUPPORTED_DLTS",
    "decode_link",
    "decode_radiotap",
    "decode_ppi",
    "decode_prism",
    "decode_avs",
]

DLT_IEEE802_11 = 105
DLT_PRISM = 119
DLT_RADIOTAP = 127
DLT_AVS = 163
DLT_PPI = 192
SUPPORTED_DLTS = frozenset({DLT_IEEE802_11, DLT_PRISM, DLT_RADIOTAP, DLT_AVS, DLT_PPI})

_U32 = struct.Struct("<I")
_VENDOR_NS = struct.Struct("<3sBH")

# Radiotap field table: bit -> (alignment, struct codes, value names).
# Codes are per value; "x" codes skip bytes nobody reads.  Names of None are
# skipped the same way.  Names with a "x_" prefix only fill in when the plain
# field is absent (XChannel stands in for Channel).
_RT_FIELDS: dict[int, tuple[int, tuple[tuple[str, str | None], ...]]] = {
    0: (8, (("Q", "tsft"),)),
    1: (1, (("B", "flags"),)),
    2: (1, (("B", "rate_500kbps"),)),
    3: (2, (("H", "freq_mhz"), ("H", "chan_flags"))),
    4: (2, (("2x", None),)),
    5: (1, (("b", "signal_dbm"),)),
    6: (1, (("b", "noise_dbm"),)),
    7: (2, (("2x", None),)),
    8: (2, (("2x", None),)),
    9: (2, (("2x", None),)),
    10: (1, (("x", None),)),
    11: (1, (("B", "antenna"),)),
    12: (1, (("B", "signal_rssi"),)),
    13: (1, (("B", "noise_rssi"),)),
    14: (2, (("2x", None),)),
    15: (2, (("2x", None),)),
    16: (1, (("x", None),)),
    17: (1, (("x", None),)),
    18: (4, (("I", "x_chan_flags"), ("H", "x_freq_mhz"), ("2x", None))),
    19: (1, (("B", "mcs_known"), ("B", "mcs_flags"), ("B", "mcs_index"))),
    20: (4, (("I", "ampdu_ref"), ("4x", None))),
    21: (
        2,
        (
            ("H", "vht_known"),
            ("B", "vht_flags"),
            ("B", "vht_bw"),
            ("4s", "vht_mcs_nss"),
            ("4x", None),
        ),
    ),
    22: (8, (("Q", "timestamp"), ("4x", None))),
    23: (2, (("12x", None),)),
    24: (2, (("12x", None),)),
    25: (2, (("6x", None),)),
    26: (1, (("x", None),)),
    27: (2, (("4x", None),)),
}
_CODE_SIZE = {c: struct.calcsize("<" + c) for _, f in _RT_FIELDS.values() for c, _n in f}

_RT_NS_BIT = 1 << 29
_VENDOR_NS_BIT = 1 << 30
_EXT_BIT = 1 << 31

_Layout = tuple[struct.Struct | None, tuple[Any, ...], int]
#: Compiled layouts of validated single-bitmap radiotap headers, keyed by the first
#: 8 header bytes (version, pad, length, present word) read as one little-endian int.
RADIOTAP_LAYOUTS: dict[int, _Layout] = {}
# Extended-bitmap headers, keyed by the length and bitmap bytes.
_RT_EXT: dict[bytes, _Layout] = {}
_RT_CACHE_MAX = 512
_RT_FIRST = struct.Struct("<Q")


def _compile_radiotap(data: bytes, it_len: int, n_words: int) -> tuple[_Layout, bool]:
    """Walk the present bitmaps once and build a layout; also say if it is cacheable.

    A layout is ``(struct or None, index map + (chains,), position of flags or -1)``.
    """
    off = 4 + 4 * n_words
    fmt = ["<", f"{off}x"]
    names: dict[str, int] = {}
    chains: list[tuple[int, int]] = []
    nvals = 0
    ns_rt = True  # in a radiotap namespace (vs. vendor)
    ns_index = 0  # radiotap namespaces seen before the current one
    base = 0
    cacheable = True
    vendor_skip = 0
    stop = False
    ns_fields: dict[str, int] = {}
    for w in range(n_words):
        word = _U32.unpack_from(data, 4 + 4 * w)[0]
        if ns_rt:
            bits = word & 0x1FFFFFFF
            b = 0
            while bits:
                if bits & 1:
                    spec = _RT_FIELDS.get(base + b)
                    if spec is None:
                        stop = True
                        break
                    align, codes = spec
                    pad = -off % align
                    size = sum(_CODE_SIZE[c] for c, _n in codes)
                    if off + pad + size > it_len:
                        raise MalformedFrame("radiotap field runs past the header")
                    if pad:
                        fmt.append(f"{pad}x")
                    off += pad
                    for code, name in codes:
                        fmt.append(code)
                        if name is not None:
                            if name not in names:
                                names[name] = nvals
                            ns_fields.setdefault(name, nvals)
                            nvals += 1
                        off += _CODE_SIZE[code]
                bits >>= 1
                b += 1
            if stop:
                break
        elif vendor_skip:
            # First word of a vendor namespace: its data is skip_length bytes.
            if off + vendor_skip > it_len:
                raise MalformedFrame("radiotap vendor namespace runs past the header")
            fmt.append(f"{vendor_skip}x")
            off += vendor_skip
            vendor_skip = 0
        if word & _VENDOR_NS_BIT and word & _RT_NS_BIT:
            break
        if word & (_VENDOR_NS_BIT | _RT_NS_BIT) and ns_rt and ns_index > 0:
            if "signal_dbm" in ns_fields:
                chains.append((ns_fields.get("antenna", -1), ns_fields["signal_dbm"]))
        if word & _VENDOR_NS_BIT:
            cacheable = False
            pad = -off % 2
            if off + pad + 6 > it_len:
                raise MalformedFrame("radiotap vendor namespace header runs past the header")
            off += pad
            if pad:
                fmt.append(f"{pad}x")
            vendor_skip = _VENDOR_NS.unpack_from(data, off)[2]
            fmt.append("6x")
            off += 6
            ns_rt = False
            base = 0
            ns_fields = {}
        elif word & _RT_NS_BIT:
            ns_rt = True
            ns_index += 1
            base = 0
            ns_fields = {}
        else:
            base += 32
        if not word & _EXT_BIT:
            break
    if ns_rt and ns_index > 0 and not stop and "signal_dbm" in ns_fields:
        chains.append((ns_fields.get("antenna", -1), ns_fields["signal_dbm"]))
    for alt in ("chan_flags", "freq_mhz"):
        if alt not in names and "x_" + alt in names:
            names[alt] = names["x_" + alt]
    st = struct.Struct("".join(fmt)) if nvals else None
    imap = make_index_map(names) + (tuple(chains),)
    return (st, imap, names.get("flags", -1)), cacheable


def _radiotap_slow(data: bytes) -> tuple[_Layout, int]:
    """Validate the header and find (or compile) its layout; returns it and the length."""
    n = len(data)
    if n < 8:
        raise MalformedFrame("radiotap header shorter than 8 bytes")
    version = data[0]
    it_len = data[2] | data[3] << 8
    if version != 0:
        raise MalformedFrame(f"radiotap version {version}")
    if it_len < 8 or it_len > n:
        raise MalformedFrame("radiotap length outside the captured data")
    end = 8
    while data[end - 1] & 0x80:
        end += 4
        if end > it_len:
            raise MalformedFrame("radiotap present bitmaps run past the header")
    if end == 8:
        key1 = _RT_FIRST.unpack_from(data, 0)[0]
        layout = RADIOTAP_LAYOUTS.get(key1)
        if layout is None:
            layout, _c = _compile_radiotap(data, it_len, 1)
            if len(RADIOTAP_LAYOUTS) >= _RT_CACHE_MAX:
                RADIOTAP_LAYOUTS.clear()
            RADIOTAP_LAYOUTS[key1] = layout
        return layout, it_len
    key = data[2:end]
    layout = _RT_EXT.get(key)
    if layout is None:
        layout, cacheable = _compile_radiotap(data, it_len, (end - 4) // 4)
        if cacheable:
            if len(_RT_EXT) >= _RT_CACHE_MAX:
                _RT_EXT.clear()
            _RT_EXT[key] = layout
    return layout, it_len


def radiotap_fast(data: bytes) -> tuple[RadioInfo, int, int | None]:
    """Decode radiotap from ``bytes``: ``(radio, 802.11 offset, flags byte or None)``."""
    try:
        key = _RT_FIRST.unpack_from(data, 0)[0]
    except struct.error:
        raise MalformedFrame("radiotap header shorter than 8 bytes") from None
    layout = RADIOTAP_LAYOUTS.get(key)
    it_len = (key >> 16) & 0xFFFF
    if layout is None or it_len > len(data):
        layout, it_len = _radiotap_slow(data)
    st, imap, fpos = layout
    ri = _new(RadioInfo)
    ri._m = imap
    if st is None:
        ri._v = ()
        return ri, it_len, None
    values = st.unpack_from(data, 0)
    ri._v = values
    return ri, it_len, values[fpos] if fpos >= 0 else None


def decode_radiotap(data: bytes) -> tuple[RadioInfo, int]:
    """Decode a radiotap header (DLT 127); returns ``(radio, 802.11 offset)``."""
    if type(data) is not bytes:
        data = bytes(data)
    ri, off, _flags = radiotap_fast(data)
    return ri, off


# PPI (DLT 192): 8-byte header, then type/length fields; type 2 = 802.11-common.
_PPI_HDR = struct.Struct("<BBHI")
_PPI_FIELD = struct.Struct("<HH")
_PPI_COMMON = struct.Struct("<QHHHHxxbb")
_PPI_MAP = make_index_map(
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
_PRISM_ITEM = struct.Struct("<IHHI")
_PRISM_HDR_LE = struct.Struct("<II")
_PRISM_MAP = make_index_map(
    {"tsft": 0, "flags": 1, "rate_500kbps": 2, "freq_mhz": 3, "signal_dbm": 4,
     "noise_dbm": 5, "signal_rssi": 6, "noise_rssi": 7, "header_channel": 8}
)  # fmt: skip
_AVS_MAGIC_MASK = 0xFFFFFFF0
_AVS_MAGIC = 0x80211000


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
_AVS = struct.Struct(">IIQQIIIIIIii")
_AVS_MAP = make_index_map(
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
