"""Typed bodies of single information elements: rates, TIM, country, HT and VHT.

Each ``parse_*`` takes one IE body and returns its object or raises
:class:`MalformedFrame`.  :class:`~kismet_tx.dot11.ies.IESet` calls them lazily.
"""

from __future__ import annotations

import struct
from typing import Final

from .errors import MalformedFrame
from .text import munge_to_printable

__all__ = [
    "TIM",
    "Country",
    "HTCapabilities",
    "HTOperation",
    "VHTCapabilities",
    "VHTOperation",
    "parse_tim",
    "parse_country",
    "parse_ht_capabilities",
    "parse_ht_operation",
    "parse_vht_capabilities",
    "parse_vht_operation",
    "parse_rates",
]

_HT_CAP: Final = struct.Struct("<HB16sHIB")
_VHT_CAP: Final = struct.Struct("<IHHHH")


def parse_rates(body: bytes) -> list[float]:
    """Rates in Mbit/s from a (extended) supported-rates body, selectors dropped."""
    return [(b & 0x7F) / 2 for b in body if not (b & 0x80 and (b & 0x7F) >= 0x7A)]


class TIM:
    """Traffic indication map: ``dtim_count``, ``dtim_period``, ``bitmap_control``,
    ``bitmap`` (partial virtual bitmap)."""

    __slots__ = ("dtim_count", "dtim_period", "bitmap_control", "bitmap")

    def __init__(self, count: int, period: int, control: int, bitmap: bytes) -> None:
        self.dtim_count = count
        self.dtim_period = period
        self.bitmap_control = control
        self.bitmap = bitmap

    @property
    def multicast(self) -> bool:
        """Group-addressed traffic buffered (bitmap control bit 0)."""
        return bool(self.bitmap_control & 0x01)


def parse_tim(body: bytes) -> TIM:
    """Decode a TIM element body (IE 5)."""
    if len(body) < 3:
        raise MalformedFrame("TIM element shorter than 3 bytes")
    return TIM(body[0], body[1], body[2], bytes(body[3:]))


class Country:
    """802.11d country: ``code`` (printable), ``environment`` byte and
    ``triplets`` of ``(first_channel, channels, max_tx_dbm)``."""

    __slots__ = ("code", "environment", "triplets")

    def __init__(self, code: str, environment: int | None, triplets: list[tuple[int, int, int]]):
        self.code = code
        self.environment = environment
        self.triplets = triplets

    def __repr__(self) -> str:
        return f"Country({self.code!r}, triplets={self.triplets})"


def parse_country(body: bytes) -> Country:
    """Decode a country element body (IE 7)."""
    if len(body) < 2:
        raise MalformedFrame("country element shorter than 2 bytes")
    code = munge_to_printable(bytes(body[:2]))
    env = body[2] if len(body) >= 3 else None
    triplets = []
    off = 3
    while off + 3 <= len(body):
        first, num, power = body[off], body[off + 1], body[off + 2]
        if first < 201:
            triplets.append((first, num, power))
        off += 3
    return Country(code, env, triplets)


class HTCapabilities:
    """HT capabilities (IE 45): ``info`` bits, ``ampdu_params``, ``rx_mcs`` bitmask
    (16 bytes), ``ext_info``, ``txbf``, ``asel``."""

    __slots__ = ("info", "ampdu_params", "rx_mcs", "ext_info", "txbf", "asel")

    info: int
    ampdu_params: int
    rx_mcs: bytes
    ext_info: int
    txbf: int
    asel: int

    def __init__(self, values: tuple[int, int, bytes, int, int, int]) -> None:
        self.info, self.ampdu_params, self.rx_mcs, self.ext_info, self.txbf, self.asel = values

    @property
    def width_40(self) -> bool:
        """Supports 40 MHz channels."""
        return bool(self.info & 0x0002)

    @property
    def short_gi_20(self) -> bool:
        """Short guard interval at 20 MHz."""
        return bool(self.info & 0x0020)

    @property
    def short_gi_40(self) -> bool:
        """Short guard interval at 40 MHz."""
        return bool(self.info & 0x0040)

    @property
    def spatial_streams(self) -> int:
        """Receive spatial streams (non-empty MCS bitmask bytes of the first four)."""
        return sum(1 for b in self.rx_mcs[:4] if b)


def parse_ht_capabilities(body: bytes) -> HTCapabilities:
    """Decode an HT capabilities element body (IE 45, 26 bytes)."""
    if len(body) < 26:
        raise MalformedFrame("HT capabilities element shorter than 26 bytes")
    return HTCapabilities(_HT_CAP.unpack_from(body, 0))


class HTOperation:
    """HT operation (IE 61): ``primary_channel``, ``secondary_offset`` (0 none,
    1 above, 3 below), ``sta_width`` (any width allowed), raw ``info`` bytes."""

    __slots__ = ("primary_channel", "secondary_offset", "sta_width", "info")

    def __init__(self, primary: int, info: bytes) -> None:
        self.primary_channel = primary
        self.info = info
        self.secondary_offset = info[0] & 0x03
        self.sta_width = bool(info[0] & 0x04)

    @property
    def ht_mode(self) -> str:
        """``"HT20"``, ``"HT40+"`` or ``"HT40-"``."""
        if self.sta_width and self.secondary_offset == 1:
            return "HT40+"
        if self.sta_width and self.secondary_offset == 3:
            return "HT40-"
        return "HT20"


def parse_ht_operation(body: bytes) -> HTOperation:
    """Decode an HT operation element body (IE 61)."""
    if len(body) < 2:
        raise MalformedFrame("HT operation element shorter than 2 bytes")
    return HTOperation(body[0], bytes(body[1:]))


class VHTCapabilities:
    """VHT capabilities (IE 191): ``info`` bits and rx/tx MCS maps and highest rates."""

    __slots__ = ("info", "rx_mcs_map", "rx_highest", "tx_mcs_map", "tx_highest")

    info: int
    rx_mcs_map: int
    rx_highest: int
    tx_mcs_map: int
    tx_highest: int

    def __init__(self, values: tuple[int, int, int, int, int]) -> None:
        self.info, self.rx_mcs_map, self.rx_highest, self.tx_mcs_map, self.tx_highest = values

    @property
    def width_160(self) -> bool:
        """Supports 160 MHz (or 80+80)."""
        return bool(self.info & 0x0C)

    @property
    def spatial_streams(self) -> int:
        """Receive spatial streams (MCS-map entries not marked unsupported)."""
        return sum(1 for i in range(8) if (self.rx_mcs_map >> (2 * i)) & 3 != 3)


def parse_vht_capabilities(body: bytes) -> VHTCapabilities:
    """Decode a VHT capabilities element body (IE 191, 12 bytes)."""
    if len(body) < 12:
        raise MalformedFrame("VHT capabilities element shorter than 12 bytes")
    return VHTCapabilities(_VHT_CAP.unpack_from(body, 0))


class VHTOperation:
    """VHT operation (IE 192): ``width`` code, centre segments ``ccfs0``/``ccfs1``."""

    __slots__ = ("width", "ccfs0", "ccfs1")

    def __init__(self, width: int, ccfs0: int, ccfs1: int) -> None:
        self.width = width
        self.ccfs0 = ccfs0
        self.ccfs1 = ccfs1

    @property
    def vht_mode(self) -> str | None:
        """``"VHT80"``, ``"VHT160"``, ``"VHT80+80"``; ``None`` for 20/40 MHz."""
        w = self.width
        if w == 1:
            if self.ccfs1:
                return "VHT160" if abs(self.ccfs1 - self.ccfs0) == 8 else "VHT80+80"
            return "VHT80"
        if w == 2:
            return "VHT160"
        if w == 3:
            return "VHT80+80"
        return None


def parse_vht_operation(body: bytes) -> VHTOperation:
    """Decode a VHT operation element body (IE 192)."""
    if len(body) < 3:
        raise MalformedFrame("VHT operation element shorter than 3 bytes")
    return VHTOperation(body[0], body[1], body[2])
