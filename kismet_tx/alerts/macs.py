"""MAC addresses as the alert system takes them: text form, masks and device keys."""

from __future__ import annotations

from kismet_tx import keys

__all__ = [
    "BROADCAST_MAC",
    "DOT11_PHY",
    "EMPTY_MAC",
    "MacMatch",
    "device_key",
    "mac_text",
]

#: The MAC Kismet prints for an unset address.
EMPTY_MAC = "00:00:00:00:00:00"
BROADCAST_MAC = "FF:FF:FF:FF:FF:FF"
#: The 802.11 phy's name.
DOT11_PHY = "IEEE802.11"


def mac_text(text: str) -> str:
    """``"aa-bb-cc-dd-ee-ff"`` -> ``"AA:BB:CC:DD:EE:FF"``, the form alerts carry.

    Parsed by :func:`kismet_tx.keys.parse_mac`; raises its MacError (a ValueError).
    """
    return keys.mac_str(keys.parse_mac(text))


class MacMatch:
    """A MAC, or ``MAC/MASK`` matching every address that agrees under the mask."""

    __slots__ = ("text", "value", "mask")

    def __init__(self, text: str) -> None:
        mac, slash, mask = str(text).strip().partition("/")
        value = int.from_bytes(keys.parse_mac(mac), "big")
        self.mask = int.from_bytes(keys.parse_mac(mask), "big") if slash else 0xFFFFFFFFFFFF
        self.value = value & self.mask
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


def device_key(mac: str, phyname: str = DOT11_PHY) -> str:
    """The ``kismet.device.base.key`` of a device: ``4202770D00000000_4DC413D3B968``."""
    return keys.device_key(keys.spkey_text(keys.phy_hash(phyname)), keys.parse_mac(mac))
