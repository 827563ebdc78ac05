"""Radiotap (DLT 127) capture headers, decoded through compiled, cached layouts.

A radiotap layout depends only on the header length and the present bitmaps,
so a compiled layout (one :class:`struct.Struct` covering every known field,
alignment padding included) is cached per bitmap signature.
:func:`radiotap_fast` is the decoder's hot path; :func:`decode_radiotap` the
public entry.  Both raise :class:`MalformedFrame` for bytes they cannot decode.
"""

from __future__ import annotations

import struct
from typing import Final

from .errors import MalformedFrame
from .radio import IndexMap, RadioInfo, make_index_map

__all__ = ["RADIOTAP_LAYOUTS", "RadiotapLayout", "decode_radiotap", "radiotap_fast"]

_new: Final = object.__new__
_U32: Final = struct.Struct("<I")
_VENDOR_NS: Final = struct.Struct("<3sBH")

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
_CODE_SIZE: Final = {c: struct.calcsize("<" + c) for _, f in _RT_FIELDS.values() for c, _n in f}

_RT_NS_BIT: Final = 1 << 29
_VENDOR_NS_BIT: Final = 1 << 30
_EXT_BIT: Final = 1 << 31

#: Byte offsets in the header of the flags, frequency, dBm signal and dBm noise
#: values (-1: absent), for reads that skip unpacking the whole header.
LevelOffsets = tuple[int, int, int, int]
NO_LEVEL_OFFSETS: Final[LevelOffsets] = (-1, -1, -1, -1)
#: ``(struct or None, index map, position of the flags byte or -1, level offsets)``.
RadiotapLayout = tuple[struct.Struct | None, IndexMap, int, LevelOffsets]
#: Compiled layouts of validated single-bitmap radiotap headers, keyed by the first
#: 8 header bytes (version, pad, length, present word).
RADIOTAP_LAYOUTS: Final[dict[bytes, RadiotapLayout]] = {}
# Extended-bitmap headers, keyed by the length and bitmap bytes.
_RT_EXT: Final[dict[bytes, RadiotapLayout]] = {}
_RT_CACHE_MAX: Final = 512


def _compile_radiotap(data: bytes, it_len: int, n_words: int) -> tuple[RadiotapLayout, bool]:
    """Walk the present bitmaps once and build a layout; also say if it is cacheable.

    A layout is ``(struct or None, index map with the chains, position of flags or -1,
    byte offsets of flags, frequency, signal and noise)``.
    """
    off = 4 + 4 * n_words
    fmt = ["<", f"{off}x"]
    names: dict[str, int] = {}
    #: the byte offset of each value
    offsets: list[int] = []
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
                            offsets.append(off)
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
    imap = make_index_map(names, chains)
    levels = tuple(offsets[names[name]] if name in names else -1
                   for name in ("flags", "freq_mhz", "signal_dbm", "noise_dbm"))
    return (st, imap, names.get("flags", -1), (levels[0], levels[1], levels[2], levels[3])), \
        cacheable


def _radiotap_slow(data: bytes) -> tuple[RadiotapLayout, int]:
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
        key1 = data[:8]
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
    if len(data) < 8:
        raise MalformedFrame("radiotap header shorter than 8 bytes")
    layout = RADIOTAP_LAYOUTS.get(data[:8])
    it_len = data[2] | data[3] << 8
    if layout is None or it_len > len(data):
        layout, it_len = _radiotap_slow(data)
    st, imap, fpos, _levels = layout
    ri = _new(RadioInfo)
    ri._m = imap
    if st is None:
        ri._v = ()
        return ri, it_len, None
    values = st.unpack_from(data, 0)
    ri._v = values
    return ri, it_len, values[fpos] if fpos >= 0 else None


def decode_radiotap(data: bytes | bytearray | memoryview) -> tuple[RadioInfo, int]:
    """Decode a radiotap header (DLT 127); returns ``(radio, 802.11 offset)``."""
    if type(data) is not bytes:
        data = bytes(data)
    ri, off, _flags = radiotap_fast(data)
    return ri, off
