"""RSN (IE 48) and WPA (vendor 00:50:F2 type 1) security element decoding.

Cipher and AKM suites are kept as integers ``(OUI << 8) | type`` so that
vendor suites survive; :func:`suite_name` gives readable names for the
standard ones.
"""

from __future__ import annotations

import struct
from typing import Final

from .errors import MalformedFrame

__all__ = [
    "RSN_OUI",
    "WPA_OUI",
    "SecurityInfo",
    "parse_rsn",
    "parse_wpa",
    "suite_name",
    "CIPHER_NAMES",
    "AKM_NAMES",
]

RSN_OUI: Final = 0x000FAC
WPA_OUI: Final = 0x0050F2

CIPHER_NAMES: Final[dict[int, str]] = {
    0: "GROUP", 1: "WEP40", 2: "TKIP", 4: "CCMP", 5: "WEP104", 6: "BIP-CMAC128",
    7: "NO-GROUP", 8: "GCMP128", 9: "GCMP256", 10: "CCMP256", 11: "BIP-GMAC128",
    12: "BIP-GMAC256", 13: "BIP-CMAC256",
}  # fmt: skip
AKM_NAMES: Final[dict[int, str]] = {
    1: "802.1X", 2: "PSK", 3: "FT-802.1X", 4: "FT-PSK", 5: "802.1X-SHA256", 6: "PSK-SHA256",
    7: "TDLS", 8: "SAE", 9: "FT-SAE", 10: "AP-PEERKEY", 11: "802.1X-SUITEB",
    12: "802.1X-SUITEB-192", 13: "FT-802.1X-SHA384", 14: "FILS-SHA256", 15: "FILS-SHA384",
    16: "FT-FILS-SHA256", 17: "FT-FILS-SHA384", 18: "OWE", 19: "FT-PSK-SHA384",
    20: "PSK-SHA384", 21: "PASN", 24: "SAE-EXT-KEY", 25: "FT-SAE-EXT-KEY",
}  # fmt: skip

_U16: Final = struct.Struct("<H")
_SUITE: Final = struct.Struct(">I")


def suite_name(suite: int, akm: bool = False) -> str:
    """``"CCMP"``, ``"PSK"`` etc. for standard RSN/WPA suites, else ``"OUI:type"``."""
    oui, kind = suite >> 8, suite & 0xFF
    if oui in (RSN_OUI, WPA_OUI):
        name = (AKM_NAMES if akm else CIPHER_NAMES).get(kind)
        if name is not None:
            return name
    return f"{oui:06X}:{kind}"


class SecurityInfo:
    """A decoded RSN or WPA element.

    ``kind`` is ``"RSN"`` or ``"WPA"``; ``group_cipher``, ``pairwise_ciphers``,
    ``akms`` are suite integers; ``capabilities`` the RSN capability field;
    ``pmkids`` the listed PMKIDs; ``group_mgmt_cipher`` the BIP suite.
    Absent optional fields are ``None`` / empty.
    """

    __slots__ = (
        "kind",
        "version",
        "group_cipher",
        "pairwise_ciphers",
        "akms",
        "capabilities",
        "pmkids",
        "group_mgmt_cipher",
    )

    def __init__(self, kind: str, version: int) -> None:
        self.kind = kind
        self.version = version
        self.group_cipher: int | None = None
        self.pairwise_ciphers: tuple[int, ...] = ()
        self.akms: tuple[int, ...] = ()
        self.capabilities: int | None = None
        self.pmkids: tuple[bytes, ...] = ()
        self.group_mgmt_cipher: int | None = None

    @property
    def oui(self) -> int:
        """The standard OUI of this element's suites (00:0F:AC or 00:50:F2)."""
        return RSN_OUI if self.kind == "RSN" else WPA_OUI

    @property
    def pmkid_count(self) -> int:
        """Number of PMKIDs listed."""
        return len(self.pmkids)

    @property
    def mfpc(self) -> bool:
        """Management frame protection capable (RSN capabilities bit 7)."""
        return bool(self.capabilities and self.capabilities & 0x0080)

    @property
    def mfpr(self) -> bool:
        """Management frame protection required (RSN capabilities bit 6)."""
        return bool(self.capabilities and self.capabilities & 0x0040)

    @property
    def preauth(self) -> bool:
        """RSN pre-authentication capable (capabilities bit 0)."""
        return bool(self.capabilities and self.capabilities & 0x0001)

    def _std(self, suites: tuple[int, ...]) -> set[int]:
        oui = self.oui
        return {s & 0xFF for s in suites if s >> 8 == oui}

    @property
    def pairwise_types(self) -> set[int]:
        """Type numbers of the standard-OUI pairwise ciphers."""
        return self._std(self.pairwise_ciphers)

    @property
    def akm_types(self) -> set[int]:
        """Type numbers of the standard-OUI AKMs."""
        return self._std(self.akms)

    @property
    def cipher_names(self) -> list[str]:
        """Readable pairwise cipher names."""
        return [suite_name(s) for s in self.pairwise_ciphers]

    @property
    def akm_names(self) -> list[str]:
        """Readable AKM names."""
        return [suite_name(s, akm=True) for s in self.akms]

    def __repr__(self) -> str:
        group = suite_name(self.group_cipher) if self.group_cipher is not None else None
        return (
            f"SecurityInfo({self.kind} v{self.version} group={group} "
            f"pairwise={self.cipher_names} akm={self.akm_names} caps={self.capabilities})"
        )


def _suite_list(data: bytes, off: int, end: int) -> tuple[tuple[int, ...], int]:
    count = _U16.unpack_from(data, off)[0]
    off += 2
    if off + 4 * count > end:
        raise MalformedFrame("security element suite count runs past the element")
    return tuple(_SUITE.unpack_from(data, off + 4 * i)[0] for i in range(count)), off + 4 * count


def _parse(kind: str, data: bytes, off: int, end: int) -> SecurityInfo:
    if off < 0 or end > len(data) or off > end:
        raise MalformedFrame(f"{kind} element bounds outside the data")
    if end - off < 2:
        raise MalformedFrame(f"{kind} element shorter than its version")
    info = SecurityInfo(kind, _U16.unpack_from(data, off)[0])
    off += 2
    left = end - off
    if left == 0:
        return info
    if left < 4:
        raise MalformedFrame(f"{kind} group cipher truncated")
    info.group_cipher = _SUITE.unpack_from(data, off)[0]
    off += 4
    if off == end:
        return info
    if end - off < 2:
        raise MalformedFrame(f"{kind} pairwise count truncated")
    info.pairwise_ciphers, off = _suite_list(data, off, end)
    if off == end:
        return info
    if end - off < 2:
        raise MalformedFrame(f"{kind} AKM count truncated")
    info.akms, off = _suite_list(data, off, end)
    if off == end:
        return info
    if end - off < 2:
        raise MalformedFrame(f"{kind} capabilities truncated")
    info.capabilities = _U16.unpack_from(data, off)[0]
    off += 2
    if kind != "RSN" or off == end:
        return info
    if end - off < 2:
        raise MalformedFrame("RSN PMKID count truncated")
    count = _U16.unpack_from(data, off)[0]
    off += 2
    if off + 16 * count > end:
        raise MalformedFrame("RSN PMKID list runs past the element")
    info.pmkids = tuple(bytes(data[off + 16 * i : off + 16 * i + 16]) for i in range(count))
    off += 16 * count
    if end - off >= 4:
        info.group_mgmt_cipher = _SUITE.unpack_from(data, off)[0]
    return info


def parse_rsn(data: bytes, off: int = 0, end: int | None = None) -> SecurityInfo:
    """Decode an RSN element body (IE 48, without tag and length)."""
    if end is None:
        end = len(data)
    return _parse("RSN", data, off, end)


def parse_wpa(data: bytes, off: int = 0, end: int | None = None) -> SecurityInfo:
    """Decode a WPA element body after its ``00:50:F2:01`` OUI and type."""
    if end is None:
        end = len(data)
    return _parse("WPA", data, off, end)
