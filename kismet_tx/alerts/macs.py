"""MAC addresses as the alert system takes them: parsing, masks and device keys."""

from __future__ import annotations

import re

__all__ = [
    "BROADCAST_MAC",
    "DOT11_PHY",
    "EMPTY_MAC",
    "MacMatch",
    "device_key",
    "parse_mac",
    "phy_hash",
]

#: The MAC Kismet prints for an unset address.
EMPTY_MAC = "00:00:00:00:00:00"
BROADCAST_MAC = "FF:FF:FF:FF:FF:FF"
#: The 802.11 phy's name.
DOT11_PHY = "IEEE802.11"

_MAC = re.compile(r"[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}")


def parse_mac(text: str) -> str:
    """``"aa-bb-cc-dd-ee-ff"`` -> ``"AA:BB:CC:DD:EE:FF"``; ValueError if it is not a MAC."""
    value = str(text).strip()
    if not _MAC.fullmatch(value):
        raise ValueError(f"invalid MAC address {text!r}")
    return value.replace("-", ":").upper()


class MacMatch:
    """A MAC, or ``MAC/MASK`` matching every address that agrees under the mask."""

    __slots__ = ("text", "value", "mask")

    def __init__(self, text: str) -> None:
        mac, slash, mask = str(text).strip().partition("/")
        self.value = int(parse_mac(mac).replace(":", ""), 16)
        self.mask = int(parse_mac(mask).replace(":", ""), 16) if slash else 0xFFFFFFFFFFFF
        self.value &= self.mask
        self.text = _render(self.value) + ("" if not slash else "/" + _render(self.mask))

    @property
    def exact(self) -> bool:
        """Matches one address only."""
        return self.mask == 0xFFFFFFFFFFFF

    def matches(self, mac: int) -> bool:
        """Whether the 48-bit ``mac`` is covered."""
        return mac & self.mask == self.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MacMatch) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return f"MacMatch({self.text!r})"


def _render(value: int) -> str:
    return value.to_bytes(6, "big").hex(":").upper()


def phy_hash(name: str) -> int:
    """Kismet's 32-bit phy hash (its adler32 variant) used in device keys."""
    data = name.encode("utf-8")
    s1 = s2 = 0
    size = len(data)
    if size < 4:
        return 0
    pos = 0
    while size - pos > 4:
        w0, w1, w2, w3 = data[pos], data[pos + 1], data[pos + 2], data[pos + 3]
        s2 += 4 * (s1 + w0) + 3 * w1 + 2 * w2 + w3
        s1 += w0 + w1 + w2 + w3
        pos += 4
    for byte in data[pos:]:
        s1 += byte
        s2 += s1
    return ((s1 & 0xFFFF) + (s2 << 16)) & 0xFFFFFFFF


def device_key(mac: str, phyname: str = DOT11_PHY) -> str:
    """The ``kismet.device.base.key`` of a device: ``4202770D00000000_4DC413D3B968``."""
    spkey = int.from_bytes(phy_hash(phyname).to_bytes(8, "little"), "big")
    raw = bytes.fromhex(parse_mac(mac).replace(":", ""))
    dkey = int.from_bytes(raw[::-1], "big")
    return f"{spkey:016X}_{dkey:X}"
