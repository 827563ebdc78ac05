"""The decoded capture record: :class:`Dot11Packet`, its radio, FCS and bodies on demand.

:func:`~kismet_tx.dot11.decode.decode_packet` fills the capture header and the
MAC header.  Management fixed fields, IEs (shared through the IE cache), LLC
and EAPOL are decoded the first time their attribute is read.  The FCS, when
the capture header says it is present, is excluded from the frame and checked
on demand.
"""

from __future__ import annotations

import struct
import zlib
from typing import Any, Final

from . import crypt
from .cryptbits import DOT11_CRYPT_GENERAL_WEP, DOT11_CRYPT_GENERAL_WPA
from .eapol import EAPOL, ETHERTYPE_EAPOL, LLC, parse_eapol, parse_llc
from .errors import MalformedFrame
from .frames import TYPE_DATA, TYPE_MGMT, Dot11Frame
from .ies import IESet, ies_for
from .mgmt import IE_OFFSETS, MgmtFixed, parse_fixed
from .radio import RADIO_FIELDS, IndexMap, RadioInfo, freq_to_channel
from .radiotap import LevelOffsets

__all__ = ["Dot11Packet"]

_U16: Final = struct.Struct("<H")
_U32: Final = struct.Struct("<I")
# Bits of Dot11Packet._lazy: which lazily computed slots are filled.  The decoder
# sets LAZY_FCS when the FCS verdict is known without a CRC.
# (Each its own Final: compiled code inlines them; a tuple-unpacked name is a
# module-dictionary lookup at every use.)
LAZY_RADIO: Final = 1
LAZY_FCS: Final = 2
LAZY_FIXED: Final = 4
LAZY_IES: Final = 8
LAZY_LLC: Final = 16
LAZY_EAPOL: Final = 32
LAZY_LEVELS: Final = 64
#: The index map of a packet without radio values (never read).
NO_INDEX_MAP: Final[IndexMap] = ()
_new: Final = object.__new__
_FLAGS: Final = RADIO_FIELDS.index("flags")
_SIGNAL: Final = RADIO_FIELDS.index("signal_dbm")
_NOISE: Final = RADIO_FIELDS.index("noise_dbm")
_FREQ: Final = RADIO_FIELDS.index("freq_mhz")
_HDR_CHAN: Final = RADIO_FIELDS.index("header_channel")
#: A header byte read as a signed dBm value, as shared int objects (typed optional,
#: so that compiled code hands the objects on, with no new int per packet).
_SIGNED_BYTE: Final[tuple[int | None, ...]] = tuple((b ^ 0x80) - 0x80 for b in range(256))
#: Per-packet consumers keep per-frequency tables as lists indexed by MHz below
#: this (every 2.4, 5 and 6 GHz channel), which cost less than int-keyed dicts.
MHZ_SLOTS: Final = 8192
_NO_LEVELS: Final[tuple[None, None, None]] = (None, None, None)
# Where the tagged IEs start after the body offset, by management subtype (-1: none).
_IE_OFFSET_BY_SUBTYPE: Final[tuple[int, ...]] = tuple(IE_OFFSETS.get(i, -1) for i in range(16))
# Offset of the capability field in the body, per management subtype (-1: none).
_CAP_OFFSET: Final[tuple[int, ...]] = (0, 0, 0, 0, -1, 10, -1, -1, 10) + (-1,) * 7


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
        "_rs",
        "_rq",
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
    # Radio values and their index map (NO_INDEX_MAP when ``_rv`` is None).
    _rv: tuple[Any, ...] | None
    _rm: IndexMap
    # The struct whose unpacking gives ``_rv``, until something asks for it
    # (``_rv`` is None meanwhile), and the byte offsets of the flags and levels.
    _rs: struct.Struct | None
    _rq: LevelOffsets
    _lazy: int
    _radio: RadioInfo | None
    _fcs_ok: bool | None
    _fixed: MgmtFixed | None
    _ies: IESet | None
    _llc: LLC | None
    _eapol: EAPOL | None
    _levels: tuple[int | None, int | None, int | None]

    @property
    def radio(self) -> RadioInfo | None:
        """Radio metadata from the capture header (``None`` for plain 802.11)."""
        if self._lazy & LAZY_RADIO:
            return self._radio
        v = self._values()
        r = None
        if v is not None:
            r = _new(RadioInfo)
            r._v = v
            r._m = self._rm
        self._radio = r
        self._lazy |= LAZY_RADIO
        return r

    @property
    def fcs_ok(self) -> bool | None:
        """FCS verdict: ``True``/``False``; ``None`` when no FCS was captured.

        ``False`` also when the capture header flags the FCS as bad.
        """
        if self._lazy & LAZY_FCS:
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
        self._lazy |= LAZY_FCS
        return ok

    @property
    def caplen(self) -> int:
        """Captured record length in bytes (capture header and FCS included)."""
        return len(self.raw)

    @property
    def bad_fcs(self) -> bool:
        """The FCS is known to be wrong (Kismet counts such frames as errors)."""
        if self._lazy & LAZY_FCS:
            return self._fcs_ok is False
        return self.fcs_ok is False

    @property
    def fixed(self) -> MgmtFixed | None:
        """Management fixed fields (``None`` for other types and protected frames)."""
        if self._lazy & LAZY_FIXED:
            return self._fixed
        m = None
        if self.type == TYPE_MGMT and not self.flags & 0x40:
            try:
                m = parse_fixed(self.subtype, self.raw, self.body_offset, self.end)
            except MalformedFrame:
                m = None
        self._fixed = m
        self._lazy |= LAZY_FIXED
        return m

    @property
    def ies(self) -> IESet | None:
        """Tagged IEs of beacons, probes and (re)association frames (shared, cached)."""
        if self._lazy & LAZY_IES:
            return self._ies
        s = None
        if self.type == TYPE_MGMT and not self.flags & 0x40:
            rel = _IE_OFFSET_BY_SUBTYPE[self.subtype]
            if rel >= 0:
                start = self.body_offset + rel
                if start <= self.end:
                    s = ies_for(self.raw[start : self.end])
        self._ies = s
        self._lazy |= LAZY_IES
        return s

    @property
    def llc(self) -> LLC | None:
        """LLC/SNAP header of an unprotected data frame that carries data."""
        if self._lazy & LAZY_LLC:
            return self._llc
        h = None
        if self.type == TYPE_DATA and not self.flags & 0x40 and not self.subtype & 0x04:
            try:
                h = parse_llc(self.raw, self.body_offset, self.end)
            except MalformedFrame:
                h = None
        self._llc = h
        self._lazy |= LAZY_LLC
        return h

    @property
    def is_eapol(self) -> bool:
        """The data payload is 802.1X (ethertype 0x888E)."""
        h = self.llc
        return h is not None and h.ethertype == ETHERTYPE_EAPOL

    @property
    def eapol(self) -> EAPOL | None:
        """Decoded 802.1X / EAPOL-Key payload (``None`` if absent or malformed)."""
        if self._lazy & LAZY_EAPOL:
            return self._eapol
        e = None
        h = self.llc
        if h is not None and h.ethertype == ETHERTYPE_EAPOL:
            try:
                e = parse_eapol(self.raw, h.payload_offset, self.end)
            except MalformedFrame:
                e = None
        self._eapol = e
        self._lazy |= LAZY_EAPOL
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
        if rel < 0:
            return None
        cap: int = _U16.unpack_from(self.raw, self.body_offset + rel)[0]
        return cap

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
        interval: int = _U16.unpack_from(self.raw, self.body_offset + 8)[0]
        return interval

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
                return DOT11_CRYPT_GENERAL_WEP
            if g is not None:
                return DOT11_CRYPT_GENERAL_WPA
        return 0

    @property
    def crypt_string(self) -> str:
        """Kismet crypt string for :attr:`crypt_set`."""
        return crypt.crypt_to_string(self.crypt_set)

    def _values(self) -> tuple[Any, ...] | None:
        """The radio values, unpacked now if the decoder left them pending."""
        st = self._rs
        if st is not None:
            self._rv = st.unpack_from(self.raw, 0)
            self._rs = None
        return self._rv

    def _radio_value(self, pos: int) -> int | None:
        v = self._values()
        if v is None:
            return None
        i = self._rm[pos]
        value: int | None = v[i] if i >= 0 else None
        return value

    def radio_levels(self) -> tuple[int | None, int | None, int | None]:
        """``(freq_mhz, signal_dbm, noise_dbm)`` from the capture header, in one call."""
        if self._lazy & LAZY_LEVELS:
            return self._levels
        levels: tuple[int | None, int | None, int | None]
        if self._rs is not None:
            # Read by offset: little-endian uint16 MHz, signed dBm bytes.
            raw = self.raw
            _flags, fo, so, no = self._rq
            self._levels = levels = (
                raw[fo] | raw[fo + 1] << 8 if fo >= 0 else None,
                _SIGNED_BYTE[raw[so]] if so >= 0 else None,
                _SIGNED_BYTE[raw[no]] if no >= 0 else None)
            self._lazy |= LAZY_LEVELS
            return levels
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
        self._lazy |= LAZY_LEVELS
        return levels

    @property
    def signal_dbm(self) -> int | None:
        """Signal in dBm from the capture header (one read path: :meth:`radio_levels`)."""
        return self.radio_levels()[1]

    @property
    def noise_dbm(self) -> int | None:
        """Noise in dBm from the capture header."""
        return self.radio_levels()[2]

    @property
    def freq_mhz(self) -> int | None:
        """Frequency in MHz from the capture header."""
        return self.radio_levels()[0]

    @property
    def radio_channel(self) -> int | None:
        """Channel from the capture header (its own, else derived from the frequency)."""
        ch = self._radio_value(_HDR_CHAN)
        return ch if ch is not None else freq_to_channel(self.radio_levels()[0])
