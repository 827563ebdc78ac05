"""Top-level decoding: capture header + 802.11 header, bodies on demand.

:func:`decode_packet` always decodes the capture header and the MAC header.
Management fixed fields, IEs (shared through the IE cache), LLC and EAPOL are
decoded the first time their attribute is read.  The FCS, when the capture
header says it is present, is excluded from the frame and checked on demand.
"""

from __future__ import annotations

import struct
import zlib

from . import crypt
from .eapol import EAPOL, ETHERTYPE_EAPOL, LLC, parse_eapol, parse_llc
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
    Dot11Frame,
)
from .ies import IESet, ies_for
from .linklayer import (
    DLT_IEEE802_11,
    DLT_RADIOTAP,
    RADIOTAP_LAYOUTS,
    decode_link,
    radiotap_fast,
)
from .mgmt import IE_OFFSETS, MgmtFixed, parse_fixed
from .radio import RADIO_FIELDS, RadioInfo, freq_to_channel

__all__ = ["Dot11Packet", "decode_packet", "decode_frame"]

_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
# Bits of Dot11Packet._lazy: which lazily computed slots are filled.
_L_RADIO, _L_FCS, _L_FIXED, _L_IES, _L_LLC, _L_EAPOL, _L_LEVELS = 1, 2, 4, 8, 16, 32, 64
_new = object.__new__
_FLAGS = RADIO_FIELDS.index("flags")
_SIGNAL = RADIO_FIELDS.index("signal_dbm")
_NOISE = RADIO_FIELDS.index("noise_dbm")
_FREQ = RADIO_FIELDS.index("freq_mhz")
_HDR_CHAN = RADIO_FIELDS.index("header_channel")
_NO_LEVELS: tuple[None, None, None] = (None, None, None)
_U16 = struct.Struct("<H")
_H24 = struct.Struct("<xB2x6s6s6sH")
_H16 = struct.Struct("<xB2x6s6s")
_H10 = struct.Struct("<xB2x6s")
# Minimum management fixed-field bytes, by subtype.
_FIXED_LEN = tuple(MGMT_FIXED_LEN.get(i, 0) for i in range(16))
# Control subtypes whose header carries a transmitter address (addr2).
_CTRL_HAS_TA = frozenset({ST_TRIGGER, 3, ST_BF_POLL, ST_NDPA, ST_BAR, ST_BA, ST_PSPOLL,
                          ST_RTS, ST_CFEND, ST_CFEND_ACK})  # fmt: skip
# Offset of the capability field in the body, per management subtype (-1: none).
_CAP_OFFSET = (0, 0, 0, 0, -1, 10, -1, -1, 10) + (-1,) * 7


class Dot11Packet(Dot11Frame):
    """One decoded capture record: :class:`Dot11Frame` plus radio, FCS and bodies.

    ``dlt``, ``radio`` (:class:`RadioInfo` or ``None``), ``fcs_present``,
    ``caplen``; lazily: ``fcs_ok``/``bad_fcs``, ``fixed`` (:class:`MgmtFixed`),
    ``ies`` (:class:`IESet`), ``llc``, ``is_eapol``, ``eapol``; conveniences:
    ``ssid``, ``capability``, ``privacy``, ``beacon_interval``, ``reason_code``,
    ``advertised_channel``, ``crypt_set``, ``crypt_string``, ``signal_dbm``,
    ``noise_dbm``, ``freq_mhz``, ``radio_channel``, :meth:`radio_levels`.
    """

    __slots__ = (
        "dlt",
        "fcs_present",
        "_rv",
        "_rm",
        "_lazy",
        "_radio",
        "_fcs_ok",
        "_fixed",
        "_ies",
        "_llc",
        "_eapol",
        "_levels",
    )

    dlt: int
    fcs_present: bool

    @property
    def radio(self) -> RadioInfo | None:
        """Radio metadata from the capture header (``None`` for plain 802.11)."""
        if self._lazy & _L_RADIO:
            return self._radio
        v = self._rv
        r = None
        if v is not None:
            r = _new(RadioInfo)
            r._v = v
            r._m = self._rm
        self._radio = r
        self._lazy |= _L_RADIO
        return r

    @property
    def fcs_ok(self) -> bool | None:
        """FCS verdict: ``True``/``False``; ``None`` when no FCS was captured.

        ``False`` also when the capture header flags the FCS as bad.
        """
        if self._lazy & _L_FCS:
            return self._fcs_ok
        fl = self._radio_value(_FLAGS)
        if fl and fl & 0x40:
            ok: bool | None = False
        elif self.fcs_present:
            raw = self.raw
            crc = zlib.crc32(memoryview(raw)[self.start : self.end])
            ok = crc == _U32.unpack_from(raw, self.end)[0]
        else:
            ok = None
        self._fcs_ok = ok
        self._lazy |= _L_FCS
        return ok

    @property
    def caplen(self) -> int:
        """Captured record length in bytes (capture header and FCS included)."""
        return len(self.raw)

    @property
    def bad_fcs(self) -> bool:
        """The FCS is known to be wrong (Kismet counts such frames as errors)."""
        if self._lazy & _L_FCS:
            return self._fcs_ok is False
        return self.fcs_ok is False

    @property
    def fixed(self) -> MgmtFixed | None:
        """Management fixed fields (``None`` for other types and protected frames)."""
        if self._lazy & _L_FIXED:
            return self._fixed
        m = None
        if self.type == TYPE_MGMT and not self.flags & 0x40:
            try:
                m = parse_fixed(self.subtype, self.raw, self.body_offset, self.end)
            except MalformedFrame:
                m = None
        self._fixed = m
        self._lazy |= _L_FIXED
        return m

    @property
    def ies(self) -> IESet | None:
        """Tagged IEs of beacons, probes and (re)association frames (shared, cached)."""
        if self._lazy & _L_IES:
            return self._ies
        s = None
        if self.type == TYPE_MGMT and not self.flags & 0x40:
            rel = IE_OFFSETS.get(self.subtype)
            if rel is not None:
                start = self.body_offset + rel
                if start <= self.end:
                    s = ies_for(self.raw[start : self.end])
        self._ies = s
        self._lazy |= _L_IES
        return s

    @property
    def llc(self) -> LLC | None:
        """LLC/SNAP header of an unprotected data frame that carries data."""
        if self._lazy & _L_LLC:
            return self._llc
        h = None
        if self.type == TYPE_DATA and not self.flags & 0x40 and not self.subtype & 0x04:
            try:
                h = parse_llc(self.raw, self.body_offset, self.end)
            except MalformedFrame:
                h = None
        self._llc = h
        self._lazy |= _L_LLC
        return h

    @property
    def is_eapol(self) -> bool:
        """The data payload is 802.1X (ethertype 0x888E)."""
        h = self.llc
        return h is not None and h.ethertype == ETHERTYPE_EAPOL

    @property
    def eapol(self) -> EAPOL | None:
        """Decoded 802.1X / EAPOL-Key payload (``None`` if absent or malformed)."""
        if self._lazy & _L_EAPOL:
            return self._eapol
        e = None
        h = self.llc
        if h is not None and h.ethertype == ETHERTYPE_EAPOL:
            try:
                e = parse_eapol(self.raw, h.payload_offset, self.end)
            except MalformedFrame:
                e = None
        self._eapol = e
        self._lazy |= _L_EAPOL
        return e

    # -- conveniences for trackers -------------------------------------------------

    @property
    def ssid(self) -> bytes | None:
        """Raw SSID of a beacon/probe/association frame."""
        s = self.ies
        return None if s is None else s.ssid

    @property
    def capability(self) -> int | None:
        """Capability information of beacons, probe responses and (re)association frames."""
        if self.type != TYPE_MGMT or self.flags & 0x40:
            return None
        rel = _CAP_OFFSET[self.subtype]
        return None if rel < 0 else _U16.unpack_from(self.raw, self.body_offset + rel)[0]

    @property
    def privacy(self) -> bool | None:
        """Capability privacy bit of frames that carry capabilities."""
        cap = self.capability
        return None if cap is None else bool(cap & 0x10)

    @property
    def beacon_interval(self) -> int | None:
        """Beacon interval (TU) of beacons and probe responses."""
        if self.type != TYPE_MGMT or self.flags & 0x40 or self.subtype not in (5, 8):
            return None
        return _U16.unpack_from(self.raw, self.body_offset + 8)[0]

    @property
    def reason_code(self) -> int | None:
        """Reason code of deauthentication / disassociation frames."""
        m = self.fixed
        return None if m is None else m.reason

    @property
    def advertised_channel(self) -> int | None:
        """Channel from the DS parameter set or HT operation IE."""
        s = self.ies
        return None if s is None else s.channel

    @property
    def crypt_set(self) -> int:
        """Kismet ``dot11_crypt_*`` bits: from IEs for management frames, from the IV
        for protected data frames (WEP vs. generic WPA, as Kismet does)."""
        if self.type == TYPE_MGMT:
            s = self.ies
            if s is None:
                return 0
            return s.crypt_set(bool(self.privacy))
        if self.type == TYPE_DATA and self.flags & 0x40:
            g = self.crypt_guess
            if g == "WEP":
                return crypt.DOT11_CRYPT_GENERAL_WEP
            if g is not None:
                return crypt.DOT11_CRYPT_GENERAL_WPA
        return 0

    @property
    def crypt_string(self) -> str:
        """Kismet crypt string for :attr:`crypt_set`."""
        return crypt.crypt_to_string(self.crypt_set)

    def _radio_value(self, pos: int) -> int | None:
        v = self._rv
        if v is None:
            return None
        i = self._rm[pos]
        return v[i] if i >= 0 else None

    def radio_levels(self) -> tuple[int | None, int | None, int | None]:
        """``(freq_mhz, signal_dbm, noise_dbm)`` from the capture header, in one call."""
        if self._lazy & _L_LEVELS:
            return self._levels
        v = self._rv
        if v is None:
            levels = _NO_LEVELS
        else:
            m = self._rm
            i = m[_FREQ]
            j = m[_SIGNAL]
            k = m[_NOISE]
            levels = (v[i] if i >= 0 else None, v[j] if j >= 0 else None,
                      v[k] if k >= 0 else None)
        self._levels = levels
        self._lazy |= _L_LEVELS
        return levels

    @property
    def signal_dbm(self) -> int | None:
        """Signal in dBm from the capture header."""
        v = self._rv
        if v is None:
            return None
        i = self._rm[_SIGNAL]
        return v[i] if i >= 0 else None

    @property
    def noise_dbm(self) -> int | None:
        """Noise in dBm from the capture header."""
        return self._radio_value(_NOISE)

    @property
    def freq_mhz(self) -> int | None:
        """Frequency in MHz from the capture header."""
        return self._radio_value(_FREQ)

    @property
    def radio_channel(self) -> int | None:
        """Channel from the capture header (its own, else derived from the frequency)."""
        ch = self._radio_value(_HDR_CHAN)
        return ch if ch is not None else freq_to_channel(self._radio_value(_FREQ))


def decode_packet(dlt: int, data: bytes | bytearray | memoryview) -> Dot11Packet:
    """Decode one capture record of link type ``dlt``.

    Raises :class:`MalformedFrame` (or its subclass ``UnsupportedLinkType``)
    when the capture header cannot be decoded, for 802.11 protocol version != 0,
    or when the frame is too short for its MAC header (management frames: for
    their fixed fields too).
    """
    if type(data) is not bytes:
        data = bytes(data)
    fl = None
    if dlt == DLT_RADIOTAP:
        # Fast path: cached layout for a single-bitmap radiotap header.
        try:
            key = _U64.unpack_from(data, 0)[0]
        except struct.error:
            raise MalformedFrame("radiotap header shorter than 8 bytes") from None
        layout = RADIOTAP_LAYOUTS.get(key)
        start = (key >> 16) & 0xFFFF
        if layout is None or start > len(data):
            radio, start, fl = radiotap_fast(data)
            rv, rm = radio._v, radio._m
        else:
            st, rm, fpos = layout
            if st is None:
                rv = ()
            else:
                rv = st.unpack_from(data, 0)
                if fpos >= 0:
                    fl = rv[fpos]
    elif dlt == DLT_IEEE802_11:
        rv = rm = None
        start = 0
    else:
        radio, start = decode_link(dlt, data)
        if radio is None:
            rv = rm = None
        else:
            rv, rm = radio._v, radio._m
            fl = radio.flags
    end = len(data)
    fcs = False
    pad = False
    if fl:
        if fl & 0x10:
            fcs = True
            end -= 4
        pad = fl & 0x20
    f = _new(Dot11Packet)
    f.dlt = dlt
    f._rv = rv
    f._rm = rm
    f.fcs_present = fcs
    # The FCS verdict is known now unless a CRC has to be computed.
    if fl and fl & 0x40:
        f._fcs_ok = False
        f._lazy = _L_FCS
    elif not fcs:
        f._fcs_ok = None
        f._lazy = _L_FCS
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
        fl, a1, a2, a3, sc = _H24.unpack_from(data, start)
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
        fl, a1, a2 = _H16.unpack_from(data, start)
        f.addr2 = a2
        f.source = a2
        hdr = 16
        if sub == ST_PSPOLL:
            f.bssid = a1
        elif sub == ST_CFEND or sub == ST_CFEND_ACK:
            f.bssid = a2
    else:
        fl, a1 = _H10.unpack_from(data, start)
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
    if start or end != len(data):
        data = data[start:end]
    return decode_packet(DLT_IEEE802_11, data)
