"""Device keys and MAC addresses in Kismet's formats (Part B, 2.1); used by every floor.

A device key is ``<spkey>_<dkey>``: ``spkey`` is the byte-swapped 32-bit phy
hash (Kismet's own Adler-32 variant of the phy name) printed as ``%02X`` of a
64-bit value, ``dkey`` the byte-swapped MAC printed ``%X``, so its bytes appear
reversed with leading zeros dropped. ``68:B9:D3:13:C4:4D`` on ``IEEE802.11``
is ``4202770D00000000_4DC413D3B968``. Keys parse case-insensitively.
"""

from __future__ import annotations

import re
import struct
from typing import Final

__all__ = [
    "MacError",
    "adler32_kismet",
    "device_key",
    "mac_str",
    "parse_key",
    "parse_mac",
    "parse_mac_mask",
    "phy_hash",
    "spkey_text",
]

_WORD: Final = struct.Struct("<4B")
_HEX_KEY: Final = re.compile(r"^([0-9A-Fa-f]{1,16})_([0-9A-Fa-f]{1,16})$")
_MAC_SEP: Final = re.compile(r"[:\-.]")


class MacError(ValueError):
    """A MAC address or MAC/mask that cannot be parsed."""


def adler32_kismet(data: bytes) -> int:
    """Kismet's Adler-32 variant: no modulus, words of 4 while more than 4 bytes remain."""
    if len(data) < 4:
        return 0
    s1 = s2 = 0
    pos = 0
    size = len(data)
    while size - pos > 4:
        w0, w1, w2, w3 = _WORD.unpack_from(data, pos)
        s2 += 4 * (s1 + w0) + 3 * w1 + 2 * w2 + w3
        s1 += w0 + w1 + w2 + w3
        pos += 4
    for byte in data[pos:]:
        s1 += byte
        s2 += s1
    return ((s1 & 0xFFFF) + (s2 << 16)) & 0xFFFFFFFF


def phy_hash(phyname: str) -> int:
    """The 32-bit phy hash of a phy name (``IEEE802.11`` -> ``0x0D770242``)."""
    return adler32_kismet(phyname.encode("utf-8"))


def spkey_text(phash: int) -> str:
    """The key's first half: the phy hash in a uint64, byte-swapped, ``%02X``."""
    return f"{int.from_bytes(phash.to_bytes(8, 'little'), 'big'):02X}"


def device_key(spkey: str, mac: bytes) -> str:
    """``<spkey>_<dkey>`` for a 6-byte MAC (``spkey`` from :func:`spkey_text`)."""
    return f"{spkey}_{int.from_bytes(mac, 'little'):X}"


def parse_key(key: str) -> tuple[int, bytes] | None:
    """``(phy hash, 6-byte MAC)`` of a key, or None when it is not a current-format key."""
    match = _HEX_KEY.match(key)
    if match is None:
        return None
    spkey = int(match.group(1), 16)
    dkey = int(match.group(2), 16)
    if dkey >= 1 << 48:
        return None
    phash = int.from_bytes(spkey.to_bytes(8, "big"), "little")
    if phash >= 1 << 32:
        return None
    return phash, dkey.to_bytes(6, "little")


def mac_str(mac: bytes) -> str:
    """``"AA:BB:CC:DD:EE:FF"``."""
    return mac.hex(":").upper()


def parse_mac(text: str) -> bytes:
    """A 6-byte MAC from ``AA:BB:CC:DD:EE:FF`` (``-``, ``.`` or no separators too)."""
    digits = _MAC_SEP.sub("", text.strip())
    if len(digits) != 12:
        raise MacError(f"invalid MAC address {text!r}")
    try:
        return bytes.fromhex(digits)
    except ValueError:
        raise MacError(f"invalid MAC address {text!r}") from None


def parse_mac_mask(text: str) -> tuple[bytes, bytes]:
    """``(mac, mask)`` from ``MAC`` or ``MAC/MASK`` (a MAC-form mask or a bit count).

    The MAC is returned already masked, so a device matches when
    ``device_mac & mask == mac``.
    """
    address, sep, mask_text = text.partition("/")
    mac = parse_mac(address)
    if not sep:
        return mac, b"\xff" * 6
    mask_text = mask_text.strip()
    if mask_text.isdigit():
        bits = int(mask_text)
        if not 0 <= bits <= 48:
            raise MacError(f"invalid MAC mask {mask_text!r}")
        mask = (((1 << bits) - 1) << (48 - bits)).to_bytes(6, "big")
    else:
        try:
            mask = parse_mac(mask_text)
        except MacError:
            raise MacError(f"invalid MAC mask {mask_text!r}") from None
    masked = bytes(a & b for a, b in zip(mac, mask, strict=True))
    return masked, mask
