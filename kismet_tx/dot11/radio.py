"""Radio-layer facts about one captured frame, and frequency/channel helpers.

:class:`RadioInfo` is produced by the link-layer decoders (radiotap, PPI,
Prism, AVS).  It is lazy: it keeps the tuple the decoder unpacked plus a
shared index map, and each attribute is read out on access.  Every attribute
is ``None`` when the capture header did not carry it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "RadioInfo",
    "RADIO_FIELDS",
    "IndexMap",
    "make_index_map",
    "freq_to_channel",
    "channel_to_freq",
]

#: Value position of each RADIO_FIELDS entry (-1: absent), then per extra
#: radiotap namespace the positions of its antenna (-1: none) and signal.
IndexMap = tuple[int, ...]

#: Attribute names stored in a RadioInfo, in index-map order.
RADIO_FIELDS: tuple[str, ...] = (
    "tsft",
    "flags",
    "rate_500kbps",
    "freq_mhz",
    "chan_flags",
    "signal_dbm",
    "noise_dbm",
    "signal_rssi",
    "noise_rssi",
    "antenna",
    "mcs_known",
    "mcs_flags",
    "mcs_index",
    "ampdu_ref",
    "vht_known",
    "vht_flags",
    "vht_bw",
    "vht_mcs_nss",
    "timestamp",
    "header_channel",
)
_POS = {name: i for i, name in enumerate(RADIO_FIELDS)}
_FLAGS, _RATE, _FREQ = _POS["flags"], _POS["rate_500kbps"], _POS["freq_mhz"]
_MCS_KNOWN, _MCS_FLAGS = _POS["mcs_known"], _POS["mcs_flags"]
_VHT_BW, _VHT_MCS_NSS, _HDR_CHAN = _POS["vht_bw"], _POS["vht_mcs_nss"], _POS["header_channel"]
_CHAINS = len(RADIO_FIELDS)


def make_index_map(
    positions: dict[str, int], chains: Sequence[tuple[int, int]] = ()
) -> IndexMap:
    """Index map for RadioInfo: value position per field, -1 if absent, then the
    ``(antenna, signal)`` value positions of each chain."""
    return tuple(positions.get(name, -1) for name in RADIO_FIELDS) + tuple(
        pos for chain in chains for pos in chain
    )


_CHANNEL_MEMO: dict[int | None, int | None] = {None: None}


def freq_to_channel(freq_mhz: int | None) -> int | None:
    """IEEE channel number for a centre frequency in MHz, ``None`` if off-grid.

    Covers 2.4 GHz (incl. channel 14), 4.9 GHz public safety, 5 GHz, 6 GHz
    (5955-7115 MHz plus 5935 MHz = channel 2) and 60 GHz.
    """
    try:
        return _CHANNEL_MEMO[freq_mhz]
    except (KeyError, TypeError):
        pass
    ch = _freq_to_channel(freq_mhz)
    if len(_CHANNEL_MEMO) < 4096 and isinstance(freq_mhz, int):
        _CHANNEL_MEMO[freq_mhz] = ch
    return ch


def _freq_to_channel(freq_mhz: int | None) -> int | None:
    if not isinstance(freq_mhz, int):
        return None
    f = freq_mhz
    if f == 2484:
        return 14
    if 2412 <= f < 2484:
        return (f - 2407) // 5 if (f - 2407) % 5 == 0 else None
    if 4910 <= f <= 4980:
        return (f - 4000) // 5 if f % 5 == 0 else None
    if f == 5935:
        return 2
    if 5000 < f <= 5925:
        return (f - 5000) // 5 if f % 5 == 0 else None
    if 5950 < f <= 7125:
        return (f - 5950) // 5 if f % 5 == 0 else None
    if 58320 <= f <= 70200:
        return (f - 56160) // 2160 if (f - 56160) % 2160 == 0 else None
    return None


def channel_to_freq(channel: int | None, band_5ghz: bool = False) -> int | None:
    """Centre frequency (MHz) for a channel number; 1-14 are 2.4 GHz unless told."""
    if channel is None or channel <= 0:
        return None
    if not band_5ghz and channel <= 14:
        return 2484 if channel == 14 else 2407 + 5 * channel
    if channel <= 196:
        return 5000 + 5 * channel
    return None


def _getter(pos: int) -> property:
    def get(self: RadioInfo) -> Any:
        i = self._m[pos]
        return self._v[i] if i >= 0 else None

    return property(get)


class RadioInfo:
    """Per-frame radio metadata; ``None`` marks a field the header did not carry.

    Attributes: ``tsft``, ``flags`` (radiotap flags byte; PPI/Prism/AVS are
    mapped onto it: 0x10 FCS at end, 0x20 data pad, 0x40 bad FCS),
    ``rate_500kbps``, ``freq_mhz``, ``chan_flags``, ``signal_dbm``,
    ``noise_dbm``, ``signal_rssi``/``noise_rssi`` (unitless), ``antenna``,
    ``mcs_known``/``mcs_flags``/``mcs_index``, ``ampdu_ref``,
    ``vht_known``/``vht_flags``/``vht_bw``/``vht_mcs_nss``, ``timestamp``,
    plus derived ``channel``, ``fcs_present``, ``bad_fcs``, ``datapad``,
    ``rate_mbps``, ``mcs_bw``, ``vht_bw_mhz``, ``vht_mcs``, ``vht_nss`` and
    ``chain_signals`` (per-antenna ``(antenna, dBm)`` from extra radiotap
    namespaces).
    """

    __slots__ = ("_v", "_m")

    _v: tuple[Any, ...]
    _m: IndexMap
    # Stored fields, read through the index map by the properties set up below.
    tsft: int | None
    flags: int | None
    rate_500kbps: int | None
    freq_mhz: int | None
    chan_flags: int | None
    signal_dbm: int | None
    noise_dbm: int | None
    signal_rssi: int | None
    noise_rssi: int | None
    antenna: int | None
    mcs_known: int | None
    mcs_flags: int | None
    mcs_index: int | None
    ampdu_ref: int | None
    vht_known: int | None
    vht_flags: int | None
    vht_bw: int | None
    vht_mcs_nss: bytes | None
    timestamp: int | None
    header_channel: int | None

    def __init__(
        self,
        values: tuple[Any, ...],
        index_map: IndexMap,
        chains: Sequence[tuple[int, int]] = (),
    ) -> None:
        # ``index_map`` covers RADIO_FIELDS (absent: -1); the per-chain
        # (antenna, signal) value positions follow it.
        self._v = values
        self._m = index_map + tuple(pos for chain in chains for pos in chain)

    def _get(self, pos: int) -> Any:
        i = self._m[pos]
        return self._v[i] if i >= 0 else None

    @classmethod
    def build(cls, **fields: Any) -> RadioInfo:
        """A RadioInfo from keyword values (for tests and synthetic sources)."""
        unknown = set(fields) - set(RADIO_FIELDS)
        if unknown:
            raise TypeError(f"unknown radio fields: {sorted(unknown)}")
        names = list(fields)
        values = tuple(fields[n] for n in names)
        return cls(values, make_index_map({n: i for i, n in enumerate(names)}))

    @property
    def channel(self) -> int | None:
        """Channel number: the header's own (Prism/AVS) or derived from the frequency."""
        ch: int | None = self._get(_HDR_CHAN)
        if ch is not None:
            return ch
        return freq_to_channel(self._get(_FREQ))

    @property
    def fcs_present(self) -> bool:
        """The frame carries its 4-byte FCS at the end (flags bit 0x10)."""
        f = self._get(_FLAGS)
        return bool(f and f & 0x10)

    @property
    def bad_fcs(self) -> bool:
        """The capture header says the FCS failed (flags bit 0x40)."""
        f = self._get(_FLAGS)
        return bool(f and f & 0x40)

    @property
    def datapad(self) -> bool:
        """802.11 header padded to a 32-bit boundary (flags bit 0x20)."""
        f = self._get(_FLAGS)
        return bool(f and f & 0x20)

    @property
    def rate_mbps(self) -> float | None:
        """Legacy rate in Mbit/s."""
        r = self._get(_RATE)
        return None if r is None else r / 2

    @property
    def mcs_bw(self) -> int | None:
        """HT bandwidth in MHz from the radiotap MCS field (20 or 40), when known."""
        known = self._get(_MCS_KNOWN)
        if known is None or not known & 0x01:
            return None
        return 40 if (self._get(_MCS_FLAGS) or 0) & 0x03 == 1 else 20

    @property
    def vht_bw_mhz(self) -> int | None:
        """VHT bandwidth in MHz (20/40/80/160), when known."""
        b = self._get(_VHT_BW)
        if b is None:
            return None
        b &= 0x1F
        if b == 0:
            return 20
        if b <= 3:
            return 40
        if b <= 10:
            return 80
        if b <= 25:
            return 160
        return None

    @property
    def vht_mcs(self) -> int | None:
        """VHT MCS index of the first user, when present."""
        m = self._get(_VHT_MCS_NSS)
        return (m[0] >> 4) if m and m[0] & 0x0F else None

    @property
    def vht_nss(self) -> int | None:
        """VHT spatial streams of the first user, when present."""
        m = self._get(_VHT_MCS_NSS)
        return (m[0] & 0x0F) or None if m else None

    @property
    def chain_signals(self) -> list[tuple[int | None, int]]:
        """Per-chain ``(antenna, signal dBm)`` pairs from extra radiotap namespaces."""
        v = self._v
        m = self._m
        return [
            (v[m[k]] if m[k] >= 0 else None, v[m[k + 1]]) for k in range(_CHAINS, len(m), 2)
        ]

    def as_dict(self) -> dict[str, Any]:
        """Every stored field plus the derived channel (for logging and tests)."""
        d = {name: self._get(i) for i, name in enumerate(RADIO_FIELDS)}
        d["channel"] = self.channel
        return d

    def __repr__(self) -> str:
        return (
            f"RadioInfo(freq={self.freq_mhz}, chan={self.channel}, sig={self.signal_dbm}, "
            f"noise={self.noise_dbm}, rate={self.rate_500kbps}, flags={self.flags})"
        )


for _i, _name in enumerate(RADIO_FIELDS):
    setattr(RadioInfo, _name, _getter(_i))
del _i, _name
