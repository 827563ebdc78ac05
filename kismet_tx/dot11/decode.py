"""Decoding one capture record: capture header and 802.11 MAC header, bodies on demand.

:func:`decode_packet` always decodes the capture header and the MAC header
into a :class:`Dot11Packet`; everything else is read lazily from it.  This is
the per-frame hot path: the radiotap fast path and the MAC header are inline.
"""

from __future__ import annotations

import struct
from typing import Any, Final

from mypy_extensions import i64

from .errors import MalformedFrame
from .frames import (
    MGMT_FIXED_LEN,
    ST_BA,
    ST_BAR,
    ST_BF_POLL,
    ST_CFEND,
    ST_CFEND_ACK,
    ST_NDPA,
    ST_PSPOLL,
    ST_RTS,
    ST_TRIGGER,
    TYPE_CTRL,
    TYPE_DATA,
    TYPE_MGMT,
)
from .linklayer import DLT_IEEE802_11, DLT_RADIOTAP, decode_link
from .packet import LAZY_FCS, NO_INDEX_MAP, Dot11Packet
from .radio import IndexMap
from .radiotap import (
    NO_LEVEL_OFFSETS,
    RADIOTAP_LAYOUTS,
    LevelOffsets,
    RadiotapLayout,
    radiotap_fast,
)

__all__ = ["decode_packet", "decode_frame"]

# Minimum management fixed-field bytes, by subtype.
_FIXED_LEN: Final = tuple(MGMT_FIXED_LEN.get(i, 0) for i in range(16))
# Control subtypes whose header carries a transmitter address (addr2).
_CTRL_HAS_TA: Final = frozenset({ST_TRIGGER, 3, ST_BF_POLL, ST_NDPA, ST_BAR, ST_BA, ST_PSPOLL,
                                 ST_RTS, ST_CFEND, ST_CFEND_ACK})  # fmt: skip


class _LastLayout:
    """The radiotap layout of the previous frame, keyed by its header bytes 1 to 7 as an int.

    A source's frames mostly share one header layout: comparing ints read from
    the bytes skips the slice, hash and dict lookup of :data:`RADIOTAP_LAYOUTS`.
    """

    __slots__ = ("key", "layout")

    def __init__(self) -> None:
        self.key = -1
        self.layout: RadiotapLayout | None = None


_LAST_LAYOUT: Final = _LastLayout()

#: Slots of the recent-address memo (a power of two).
MAC_SLOTS: Final = 4096


#: Recent MAC addresses, direct-mapped by their 48-bit value. A frame's address
#: found here is the memo's bytes object, not a new slice: the trackers'
#: dictionaries, keyed by the object a device was made with, then find it by
#: identity with its hash already computed, instead of hashing a new object and
#: comparing bytes in every lookup. It changes no result, only which equal bytes
#: object a frame holds (as :data:`_LAST_LAYOUT` changes no result): a slot's
#: bytes are compared with the frame's before they are used.
_RECENT_MACS: Final = [b""] * MAC_SLOTS


def _mac(data: bytes, at: i64) -> bytes:
    """The 6-byte address at ``at`` (which the caller has bounds-checked)."""
    # Each byte into an i64 local first: compiled, the shifts and ors are then on
    # C integers; interpreted, there is no i64() call (a Python call per byte).
    b0: i64 = data[at]
    b1: i64 = data[at + 1]
    b2: i64 = data[at + 2]
    b3: i64 = data[at + 3]
    b4: i64 = data[at + 4]
    b5: i64 = data[at + 5]
    high = b0 << 16 | b1 << 8 | b2
    low = b3 << 16 | b4 << 8 | b5
    slot = (low ^ low >> 12 ^ high ^ high >> 12) & (MAC_SLOTS - 1)
    recent = _RECENT_MACS[slot]
    if (len(recent) == 6 and recent[5] == b5 and recent[4] == b4 and recent[3] == b3
            and recent[2] == b2 and recent[1] == b1 and recent[0] == b0):
        return recent
    mac = data[at : at + 6]
    _RECENT_MACS[slot] = mac
    return mac


def decode_packet(dlt: int, capture: bytes | bytearray | memoryview) -> Dot11Packet:
    """Decode one capture record of link type ``dlt``.

    Raises :class:`MalformedFrame` (or its subclass ``UnsupportedLinkType``)
    when the capture header cannot be decoded, for 802.11 protocol version != 0,
    or when the frame is too short for its MAC header (management frames: for
    their fixed fields too).
    """
    # Typed bytes, so that compiled code indexes and slices it in C.
    data: bytes = capture if type(capture) is bytes else bytes(capture)
    rv: tuple[Any, ...] | None
    rm: IndexMap
    # The capture header's flags byte (radiotap's, or mapped onto it), and the
    # MAC header's frame control flags: typed, so compiled code works on C ints.
    rflags: int | None = None
    # A cached radiotap layout's struct is unpacked only when a value beyond the
    # flags and levels is asked for (Dot11Packet reads those by offset).
    pending: struct.Struct | None = None
    levels: LevelOffsets = NO_LEVEL_OFFSETS
    fl: int
    a1: bytes
    a2: bytes
    a3: bytes
    sc: int
    if dlt == DLT_RADIOTAP:
        # Fast path: cached layout for a single-bitmap radiotap header.
        if len(data) < 8:
            raise MalformedFrame("radiotap header shorter than 8 bytes")
        start = data[2] | data[3] << 8
        # Pad byte, length and present word (version 0 only: others are never cached).
        key = (data[1] | start << 8 | data[4] << 24 | data[5] << 32 | data[6] << 40
               | data[7] << 48) if data[0] == 0 else -2
        last = _LAST_LAYOUT
        layout: RadiotapLayout | None
        if key == last.key:
            layout = last.layout
        else:
            layout = RADIOTAP_LAYOUTS.get(data[:8])
            if layout is not None:
                last.key = key
                last.layout = layout
        if layout is None or start > len(data):
            radio, start, rflags = radiotap_fast(data)
            rv, rm = radio._v, radio._m
        else:
            st, rm, _fpos, levels = layout
            if st is None:
                rv = ()
            else:
                rv = None
                pending = st
                if levels[0] >= 0:
                    rflags = data[levels[0]]
    elif dlt == DLT_IEEE802_11:
        rv = None
        rm = NO_INDEX_MAP
        start = 0
    else:
        link_radio, start = decode_link(dlt, data)
        if link_radio is None:
            rv = None
            rm = NO_INDEX_MAP
        else:
            rv, rm = link_radio._v, link_radio._m
            rflags = link_radio.flags
    end = len(data)
    fcs = False
    pad = 0
    if rflags:
        if rflags & 0x10:
            fcs = True
            end -= 4
        pad = rflags & 0x20
    f = Dot11Packet()
    f.dlt = dlt
    f._rv = rv
    f._rm = rm
    f._rs = pending
    f._rq = levels
    f.fcs_present = fcs
    # The FCS verdict is known now unless a CRC has to be computed.
    if rflags and rflags & 0x40:
        f._fcs_ok = False
        f._lazy = LAZY_FCS
    elif not fcs:
        f._fcs_ok = None
        f._lazy = LAZY_FCS
    else:
        f._lazy = 0
    # -- MAC header (kept inline: this is the per-frame hot path) --
    n = end - start
    if n < 10:
        raise MalformedFrame("802.11 frame shorter than 10 bytes")
    fc0 = data[start]
    if fc0 & 0x03:
        raise MalformedFrame(f"802.11 protocol version {fc0 & 3}")
    ftype = (fc0 >> 2) & 0x03
    sub = fc0 >> 4
    f.raw = data
    f.start = start
    f.end = end
    f.type = ftype
    f.subtype = sub
    if ftype == TYPE_DATA or ftype == TYPE_MGMT:
        if n < 24:
            raise MalformedFrame("802.11 frame shorter than its 24-byte header")
        # The MAC header by index, its addresses from the recent-address memo.
        fl = data[start + 1]
        a1 = _mac(data, start + 4)
        a2 = _mac(data, start + 10)
        a3 = _mac(data, start + 16)
        sc = data[start + 22] | data[start + 23] << 8
        f.flags = fl
        f.addr1 = a1
        f.addr2 = a2
        f.addr3 = a3
        f.seqctl = sc
        hdr = 24
        if ftype == TYPE_DATA:
            ds = fl & 0x03
            if ds == 0:
                f.dest = a1
                f.source = a2
                f.bssid = a3
            elif ds == 1:
                f.bssid = a1
                f.source = a2
                f.dest = a3
            elif ds == 2:
                f.dest = a1
                f.bssid = a2
                f.source = a3
            else:
                if n < 30:
                    raise MalformedFrame("4-address frame shorter than 30 bytes")
                f.bssid = None
                f.dest = a3
                f.source = data[start + 24 : start + 30]
                hdr = 30
            if sub & 0x08:
                hdr += 6 if fl & 0x80 else 2
                if n < hdr:
                    raise MalformedFrame("QoS data frame shorter than its QoS/HT control")
        else:
            f.dest = a1
            f.source = a2
            f.bssid = a3
            if fl & 0x80:
                hdr = 28
                if n < 28:
                    raise MalformedFrame("+HTC frame shorter than its HT control")
            if n - hdr < _FIXED_LEN[sub] and not fl & 0x40:
                raise MalformedFrame("management frame shorter than its fixed fields")
        if pad:
            hdr = (hdr + 3) & ~3
            if hdr > n:
                hdr = n
        f.body_offset = start + hdr
        return f
    # Control and extension frames: short headers, no sequence control.
    f.seqctl = None
    f.addr3 = None
    f.bssid = None
    if ftype == TYPE_CTRL and sub in _CTRL_HAS_TA:
        if n < 16:
            raise MalformedFrame("control frame shorter than 16 bytes")
        fl = data[start + 1]
        a1 = data[start + 4 : start + 10]
        a2 = data[start + 10 : start + 16]
        f.addr2 = a2
        f.source = a2
        hdr = 16
        if sub == ST_PSPOLL:
            f.bssid = a1
        elif sub == ST_CFEND or sub == ST_CFEND_ACK:
            f.bssid = a2
    else:
        fl = data[start + 1]
        a1 = data[start + 4 : start + 10]
        f.addr2 = None
        f.source = None
        hdr = 10
    f.flags = fl
    f.addr1 = a1
    f.dest = a1
    f.body_offset = start + hdr
    return f


def decode_frame(
    data: bytes | bytearray | memoryview, start: int = 0, end: int | None = None
) -> Dot11Packet:
    """Decode a bare 802.11 frame ``data[start:end]`` (no capture header, no FCS).

    The result's ``raw`` is the frame's own bytes (``start`` is 0 in it).
    """
    if end is None:
        end = len(data)
    if start < 0 or end > len(data) or start > end:
        raise MalformedFrame("frame bounds outside the data")
    if start or end != len(data) or type(data) is not bytes:
        data = bytes(data[start:end])
    return decode_packet(DLT_IEEE802_11, data)
