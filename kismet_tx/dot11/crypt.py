"""Kismet's encryption bitsets built from RSN/WPA elements, and their crypt strings.

Kismet (2023+) keeps a 64-bit ``dot11_crypt_*`` set per SSID (bits in
:mod:`.cryptbits`), built from the privacy bit and the RSN / WPA elements, and
renders it with ``crypt_to_string`` ("WPA2 WPA2-PSK AES-CCMP", "Open", "WEP",
...).  The older ``crypt_*`` set (still used by the web UI and exports) is
available via :func:`crypt_to_legacy`.
"""

from __future__ import annotations

from typing import Final

from .cryptbits import (
    CRYPT_AES_CCM,
    CRYPT_AES_OCB,
    CRYPT_EAP,
    CRYPT_LEAP,
    CRYPT_NONE,
    CRYPT_PEAP,
    CRYPT_PSK,
    CRYPT_SAE,
    CRYPT_TKIP,
    CRYPT_TLS,
    CRYPT_TTLS,
    CRYPT_VERSION_WPA,
    CRYPT_VERSION_WPA2,
    CRYPT_VERSION_WPA3,
    CRYPT_WEP,
    CRYPT_WEP40,
    CRYPT_WEP104,
    CRYPT_WPA,
    CRYPT_WPA_OWE,
    DOT11_CRYPT_AKM_1X,
    DOT11_CRYPT_AKM_1X_FT,
    DOT11_CRYPT_AKM_1X_FT_SHA384,
    DOT11_CRYPT_AKM_1X_SHA256,
    DOT11_CRYPT_AKM_1X_SUITEB_SHA256,
    DOT11_CRYPT_AKM_1X_SUITEB_SHA384,
    DOT11_CRYPT_AKM_AP_PEER,
    DOT11_CRYPT_AKM_FILS_SHA256,
    DOT11_CRYPT_AKM_FILS_SHA256_FT,
    DOT11_CRYPT_AKM_FILS_SHA384,
    DOT11_CRYPT_AKM_FILS_SHA384_FT,
    DOT11_CRYPT_AKM_OWE,
    DOT11_CRYPT_AKM_PSK,
    DOT11_CRYPT_AKM_PSK_FT,
    DOT11_CRYPT_AKM_PSK_SHA256,
    DOT11_CRYPT_AKM_PSK_SHA384,
    DOT11_CRYPT_AKM_PSK_SHA384_FT,
    DOT11_CRYPT_AKM_SAE,
    DOT11_CRYPT_AKM_SAE_FT,
    DOT11_CRYPT_AKM_TDLS,
    DOT11_CRYPT_EAP_LEAP,
    DOT11_CRYPT_EAP_PEAP,
    DOT11_CRYPT_EAP_TLS,
    DOT11_CRYPT_EAP_TTLS,
    DOT11_CRYPT_GENERAL_OPEN,
    DOT11_CRYPT_GENERAL_WEP,
    DOT11_CRYPT_GENERAL_WPA,
    DOT11_CRYPT_GENERAL_WPA1,
    DOT11_CRYPT_GENERAL_WPA2,
    DOT11_CRYPT_GENERAL_WPA3,
    DOT11_CRYPT_GROUP_BIP_CMAC128,
    DOT11_CRYPT_GROUP_BIP_CMAC256,
    DOT11_CRYPT_GROUP_BIP_GMAC128,
    DOT11_CRYPT_GROUP_BIP_GMAC256,
    DOT11_CRYPT_GROUP_CCMP128,
    DOT11_CRYPT_GROUP_CCMP256,
    DOT11_CRYPT_GROUP_GCMP128,
    DOT11_CRYPT_GROUP_GCMP256,
    DOT11_CRYPT_GROUP_OCB,
    DOT11_CRYPT_GROUP_TKIP,
    DOT11_CRYPT_GROUP_WEP40,
    DOT11_CRYPT_GROUP_WEP104,
    DOT11_CRYPT_PAIRWISE_BIP_CMAC128,
    DOT11_CRYPT_PAIRWISE_BIP_CMAC256,
    DOT11_CRYPT_PAIRWISE_BIP_GMAC128,
    DOT11_CRYPT_PAIRWISE_BIP_GMAC256,
    DOT11_CRYPT_PAIRWISE_CCMP128,
    DOT11_CRYPT_PAIRWISE_CCMP256,
    DOT11_CRYPT_PAIRWISE_GCMP128,
    DOT11_CRYPT_PAIRWISE_GCMP256,
    DOT11_CRYPT_PAIRWISE_OCB,
    DOT11_CRYPT_PAIRWISE_TKIP,
    DOT11_CRYPT_PAIRWISE_WEP40,
    DOT11_CRYPT_PAIRWISE_WEP104,
)
from .rsn import RSN_OUI, WPA_OUI, SecurityInfo

_G, _W, _W2, _W3, _WEP = (
    DOT11_CRYPT_GENERAL_WPA,
    DOT11_CRYPT_GENERAL_WPA,
    DOT11_CRYPT_GENERAL_WPA2,
    DOT11_CRYPT_GENERAL_WPA3,
    DOT11_CRYPT_GENERAL_WEP,
)

# RSN cipher type -> bits, as Kismet's wpa_rsn_pairwise_conv / wpa_rsn_group_conv.
_RSN_PAIRWISE: Final = {
    1: _WEP | DOT11_CRYPT_PAIRWISE_WEP40,
    2: _W | DOT11_CRYPT_PAIRWISE_TKIP,
    3: _W2 | DOT11_CRYPT_PAIRWISE_OCB,
    4: _W2 | DOT11_CRYPT_PAIRWISE_CCMP128,
    5: _WEP | DOT11_CRYPT_PAIRWISE_WEP104,
    6: _W3 | DOT11_CRYPT_PAIRWISE_BIP_CMAC128,
    8: _W2 | DOT11_CRYPT_PAIRWISE_GCMP128,
    9: _W2 | DOT11_CRYPT_PAIRWISE_GCMP256,
    10: _W2 | DOT11_CRYPT_PAIRWISE_CCMP256,
    11: _W3 | DOT11_CRYPT_PAIRWISE_BIP_GMAC128,
    12: _W3 | DOT11_CRYPT_PAIRWISE_BIP_GMAC256,
    13: _W3 | DOT11_CRYPT_PAIRWISE_BIP_CMAC256,
}
_RSN_GROUP: Final = {
    1: _WEP | DOT11_CRYPT_GROUP_WEP40,
    2: _G | DOT11_CRYPT_GROUP_TKIP,
    3: _G | DOT11_CRYPT_GROUP_OCB,
    4: _G | DOT11_CRYPT_GROUP_CCMP128,
    5: _WEP | DOT11_CRYPT_GROUP_WEP104,
    6: _G | DOT11_CRYPT_GROUP_BIP_CMAC128,
    8: _G | DOT11_CRYPT_GROUP_GCMP128,
    9: _G | DOT11_CRYPT_GROUP_GCMP256,
    10: _G | DOT11_CRYPT_GROUP_CCMP256,
    11: _G | DOT11_CRYPT_GROUP_BIP_GMAC128,
    12: _G | DOT11_CRYPT_GROUP_BIP_GMAC256,
    13: _G | DOT11_CRYPT_GROUP_BIP_CMAC256,
}
_RSN_AKM: Final = {
    1: _G | DOT11_CRYPT_AKM_1X,
    2: _G | DOT11_CRYPT_AKM_PSK,
    3: _G | DOT11_CRYPT_AKM_1X_FT,
    4: _G | DOT11_CRYPT_AKM_PSK_FT,
    5: _G | DOT11_CRYPT_AKM_1X_SHA256,
    6: _G | DOT11_CRYPT_AKM_PSK_SHA256,
    7: _G | DOT11_CRYPT_AKM_TDLS,
    8: _G | _W3 | DOT11_CRYPT_AKM_SAE,
    9: _G | _W3 | DOT11_CRYPT_AKM_SAE_FT,
    10: _G | _W3 | DOT11_CRYPT_AKM_AP_PEER,
    11: _G | _W3 | DOT11_CRYPT_AKM_1X_SUITEB_SHA256,
    12: _G | _W3 | DOT11_CRYPT_AKM_1X_SUITEB_SHA384,
    13: _G | _W3 | DOT11_CRYPT_AKM_1X_FT_SHA384,
    14: _G | _W3 | DOT11_CRYPT_AKM_FILS_SHA256,
    15: _G | _W3 | DOT11_CRYPT_AKM_FILS_SHA384,
    16: _G | _W3 | DOT11_CRYPT_AKM_FILS_SHA256_FT,
    17: _G | _W3 | DOT11_CRYPT_AKM_FILS_SHA384_FT,
    18: _G | _W3 | DOT11_CRYPT_AKM_OWE,
    19: _G | _W3 | DOT11_CRYPT_AKM_PSK_SHA384_FT,
    20: _G | _W3 | DOT11_CRYPT_AKM_PSK_SHA384,
    24: _G | _W3 | DOT11_CRYPT_AKM_SAE,
    25: _G | _W3 | DOT11_CRYPT_AKM_SAE_FT,
}
# WPA (vendor) cipher type -> bits, as Kismet's wfa_pairwise_conv / wfa_group_conv.
_WPA_PAIRWISE: Final = {
    1: _WEP | DOT11_CRYPT_PAIRWISE_WEP40,
    2: _W | DOT11_CRYPT_PAIRWISE_TKIP,
    3: _W | DOT11_CRYPT_PAIRWISE_OCB,
    4: _W | DOT11_CRYPT_PAIRWISE_CCMP128,
    5: _WEP | DOT11_CRYPT_PAIRWISE_WEP104,
}
_WPA_GROUP: Final = {
    1: _WEP | DOT11_CRYPT_GROUP_WEP40,
    2: _G | DOT11_CRYPT_GROUP_TKIP,
    3: _G | DOT11_CRYPT_GROUP_OCB,
    4: _G | DOT11_CRYPT_GROUP_CCMP128,
    5: _WEP | DOT11_CRYPT_GROUP_WEP104,
}
_WPA_AKM: Final = {
    1: DOT11_CRYPT_AKM_1X,
    2: DOT11_CRYPT_AKM_PSK,
    3: DOT11_CRYPT_AKM_1X_FT,
    4: DOT11_CRYPT_AKM_PSK_FT,
    5: DOT11_CRYPT_AKM_1X_SHA256,
    6: DOT11_CRYPT_AKM_PSK_SHA256,
    7: DOT11_CRYPT_AKM_TDLS,
}
_WPA_VERSION: Final = {1: DOT11_CRYPT_GENERAL_WPA1, 2: _W2, 3: _W3}


def rsn_bits(rsn: SecurityInfo) -> int:
    """Crypt bits contributed by an RSN element (Kismet's RSN IE handling)."""
    bits = 0
    g = rsn.group_cipher
    if g is not None and g >> 8 == RSN_OUI:
        bits |= _RSN_GROUP.get(g & 0xFF, 0)
    for s in rsn.pairwise_ciphers:
        if s >> 8 == RSN_OUI:
            bits |= _RSN_PAIRWISE.get(s & 0xFF, 0)
    for s in rsn.akms:
        bits |= _G
        if s >> 8 == RSN_OUI:
            bits |= _RSN_AKM.get(s & 0xFF, 0)
    return bits


def wpa_bits(wpa: SecurityInfo) -> int:
    """Crypt bits contributed by a WPA vendor element (Kismet's WFA WPA handling)."""
    bits = 0
    g = wpa.group_cipher
    if g is not None and g >> 8 == WPA_OUI:
        bits |= _WPA_GROUP.get(g & 0xFF, 0)
    for s in wpa.pairwise_ciphers:
        if s >> 8 == WPA_OUI:
            bits |= _WPA_PAIRWISE.get(s & 0xFF, 0)
    for s in wpa.akms:
        bits |= _G
        if s >> 8 == WPA_OUI:
            bits |= _WPA_AKM.get(s & 0xFF, 0)
    return bits | _WPA_VERSION.get(wpa.version, 0)


def crypt_set(privacy: bool, rsn: SecurityInfo | None, wpa: SecurityInfo | None) -> int:
    """The ``dot11_crypt_*`` set for an advertisement: RSN and WPA elements, else
    WEP when only the privacy bit is set, else open (0)."""
    bits = 0
    if rsn is not None:
        bits |= rsn_bits(rsn)
    if wpa is not None:
        bits |= wpa_bits(wpa)
    if bits == 0 and privacy and rsn is None and wpa is None:
        bits = DOT11_CRYPT_GENERAL_WEP
    return bits


def _wep_string(cs: int) -> str:
    if cs & (DOT11_CRYPT_PAIRWISE_WEP40 | DOT11_CRYPT_GROUP_WEP40):
        return "WEP40"
    if cs & (DOT11_CRYPT_PAIRWISE_WEP104 | DOT11_CRYPT_GROUP_WEP104):
        return "WEP104"
    return "WEP"


_AKM_WORDS: Final = (
    (DOT11_CRYPT_AKM_PSK, "-PSK"),
    (DOT11_CRYPT_AKM_PSK_FT, "-PSK-FT"),
    (DOT11_CRYPT_AKM_PSK_SHA256, "-PSK-SHA256"),
    (DOT11_CRYPT_AKM_PSK_SHA384, "-PSK-SHA384"),
    (DOT11_CRYPT_AKM_PSK_SHA384_FT, "-PSK-SHA384-FT"),
    (DOT11_CRYPT_AKM_SAE, "-SAE"),
    (DOT11_CRYPT_AKM_SAE_FT, "-SAE-FT"),
    (DOT11_CRYPT_AKM_TDLS, "-TDLS"),
    (DOT11_CRYPT_AKM_AP_PEER, "-AP-PEER"),
    (DOT11_CRYPT_AKM_FILS_SHA256, "-FILS-SHA256"),
    (DOT11_CRYPT_AKM_FILS_SHA256_FT, "-FILS-SHA256-FT"),
    (DOT11_CRYPT_AKM_FILS_SHA384, "-FILS-SHA384"),
    (DOT11_CRYPT_AKM_FILS_SHA384_FT, "-FILS-SHA384-FT"),
    (DOT11_CRYPT_AKM_1X, "-EAP"),
    (DOT11_CRYPT_AKM_1X_FT, "-EAP-FT"),
    (DOT11_CRYPT_AKM_1X_SUITEB_SHA256, "-EAP-SUITEB-SHA256"),
    (DOT11_CRYPT_AKM_1X_SUITEB_SHA384, "-EAP-SUITEB-SHA384"),
    (DOT11_CRYPT_AKM_OWE, "-OWE"),
    (DOT11_CRYPT_EAP_PEAP, "-PEAP"),
    (DOT11_CRYPT_EAP_LEAP, "-LEAP"),
    (DOT11_CRYPT_EAP_TTLS, "-TTLS"),
    (DOT11_CRYPT_EAP_TLS, "-TLS"),
)
_SIMPLE_AKM: Final = {
    "-PSK-FT": "-PSK",
    "-PSK-SHA256": "-PSK",
    "-PSK-SHA384": "-PSK",
    "-PSK-SHA384-FT": "-PSK",
    "-SAE-FT": "-SAE",
    "-FILS-SHA256": "-FILS",
    "-FILS-SHA256-FT": "-FILS",
    "-FILS-SHA384": "-FILS",
    "-FILS-SHA384-FT": "-FILS",
}
_CIPHER_WORDS: Final = (
    (DOT11_CRYPT_PAIRWISE_TKIP | DOT11_CRYPT_GROUP_TKIP, "TKIP"),
    (DOT11_CRYPT_PAIRWISE_OCB | DOT11_CRYPT_GROUP_OCB, "AES-OCB"),
    (DOT11_CRYPT_PAIRWISE_CCMP128 | DOT11_CRYPT_GROUP_CCMP128, "AES-CCMP"),
    (DOT11_CRYPT_PAIRWISE_BIP_CMAC128 | DOT11_CRYPT_GROUP_BIP_CMAC128, "AES-BIP-CMAC128"),
    (DOT11_CRYPT_PAIRWISE_GCMP128 | DOT11_CRYPT_GROUP_GCMP128, "AES-GCMP128"),
    (DOT11_CRYPT_PAIRWISE_GCMP256 | DOT11_CRYPT_GROUP_GCMP256, "AES-GCMP256"),
    (DOT11_CRYPT_PAIRWISE_CCMP256 | DOT11_CRYPT_GROUP_CCMP256, "AES-CCMP256"),
    (DOT11_CRYPT_PAIRWISE_BIP_GMAC128 | DOT11_CRYPT_GROUP_BIP_GMAC128, "AES-BIP-GMAC128"),
    (DOT11_CRYPT_PAIRWISE_BIP_GMAC256 | DOT11_CRYPT_GROUP_BIP_GMAC256, "AES-BIP-GMAC256"),
    (DOT11_CRYPT_PAIRWISE_BIP_CMAC256 | DOT11_CRYPT_GROUP_BIP_CMAC256, "AES-BIP-CMAC256"),
)


def _wpa_version(cs: int) -> str:
    if cs & DOT11_CRYPT_GENERAL_WPA3:
        return "WPA3"
    if cs & DOT11_CRYPT_GENERAL_WPA2:
        return "WPA2"
    if cs & DOT11_CRYPT_GENERAL_WPA1:
        return "WPA1"
    return "WPA"


def _render(cs: int, simple: bool) -> str:
    if cs == DOT11_CRYPT_GENERAL_OPEN:
        return "Open"
    if cs & DOT11_CRYPT_GENERAL_WEP:
        return _wep_string(cs)
    ver = _wpa_version(cs)
    words = [ver] if cs & DOT11_CRYPT_GENERAL_WPA else []
    for bit, word in _AKM_WORDS:
        if cs & bit:
            if simple:
                word = _SIMPLE_AKM.get(word, word)
            w = ver + word
            if not (simple and w in words):
                words.append(w)
    for bits, word in _CIPHER_WORDS:
        if cs & bits:
            words.append(word)
    return " ".join(words)


_STRINGS: Final[dict[tuple[int, bool], str]] = {}


def _rendered(cs: int, simple: bool) -> str:
    key = (cs, simple)
    s = _STRINGS.get(key)
    if s is None:
        s = _render(cs, simple)
        if len(_STRINGS) >= 1024:
            _STRINGS.clear()
        _STRINGS[key] = s
    return s


def crypt_to_string(cs: int) -> str:
    """Kismet's ``crypt_to_string``: e.g. ``"WPA2 WPA2-PSK TKIP AES-CCMP"``, ``"Open"``.

    The OWE AKM renders as ``-OWE`` (Kismet prints ``-SAE`` there).
    """
    return _rendered(cs, False)


def crypt_to_simple_string(cs: int) -> str:
    """Kismet's ``crypt_to_simple_string`` (the device ``crypt`` field): AKM variants
    folded, e.g. ``-PSK-SHA256`` -> ``-PSK``."""
    return _rendered(cs, True)


def crypt_to_legacy(cs: int) -> int:
    """Kismet's ``crypt_to_legacy_bitset``: the old ``crypt_*`` set used by the web UI."""
    if cs == DOT11_CRYPT_GENERAL_OPEN:
        return CRYPT_NONE
    if cs & DOT11_CRYPT_GENERAL_WEP:
        if cs & (DOT11_CRYPT_PAIRWISE_WEP40 | DOT11_CRYPT_GROUP_WEP40):
            return CRYPT_WEP | CRYPT_WEP40
        if cs & (DOT11_CRYPT_PAIRWISE_WEP104 | DOT11_CRYPT_GROUP_WEP104):
            return CRYPT_WEP | CRYPT_WEP104
        return CRYPT_WEP
    ret = 0
    if cs & DOT11_CRYPT_GENERAL_WPA1:
        ret |= CRYPT_WPA | CRYPT_VERSION_WPA
    if cs & DOT11_CRYPT_GENERAL_WPA2:
        ret |= CRYPT_WPA | CRYPT_VERSION_WPA2
    if cs & DOT11_CRYPT_GENERAL_WPA3:
        ret |= CRYPT_WPA | CRYPT_VERSION_WPA3
    if cs & (
        DOT11_CRYPT_AKM_PSK
        | DOT11_CRYPT_AKM_PSK_FT
        | DOT11_CRYPT_AKM_PSK_SHA256
        | DOT11_CRYPT_AKM_PSK_SHA384
        | DOT11_CRYPT_AKM_PSK_SHA384_FT
    ):
        ret |= CRYPT_PSK
    if cs & (DOT11_CRYPT_AKM_SAE | DOT11_CRYPT_AKM_SAE_FT):
        ret |= CRYPT_SAE
    if cs & (
        DOT11_CRYPT_AKM_1X
        | DOT11_CRYPT_AKM_1X_FT
        | DOT11_CRYPT_AKM_1X_SUITEB_SHA256
        | DOT11_CRYPT_AKM_1X_SUITEB_SHA384
    ):
        ret |= CRYPT_EAP
    if cs & DOT11_CRYPT_AKM_OWE:
        ret |= CRYPT_WPA_OWE
    for bit, legacy in (
        (DOT11_CRYPT_EAP_PEAP, CRYPT_PEAP),
        (DOT11_CRYPT_EAP_LEAP, CRYPT_LEAP),
        (DOT11_CRYPT_EAP_TTLS, CRYPT_TTLS),
        (DOT11_CRYPT_EAP_TLS, CRYPT_TLS),
    ):
        if cs & bit:
            ret |= legacy
    if cs & (DOT11_CRYPT_PAIRWISE_TKIP | DOT11_CRYPT_GROUP_TKIP):
        ret |= CRYPT_TKIP
    if cs & (DOT11_CRYPT_PAIRWISE_OCB | DOT11_CRYPT_GROUP_OCB):
        ret |= CRYPT_AES_OCB
    if cs & (
        DOT11_CRYPT_PAIRWISE_CCMP128
        | DOT11_CRYPT_GROUP_CCMP128
        | DOT11_CRYPT_PAIRWISE_CCMP256
        | DOT11_CRYPT_GROUP_CCMP256
    ):
        ret |= CRYPT_AES_CCM
    return ret


def crypt_from_flags(
    privacy: bool, rsn: SecurityInfo | None, wpa: SecurityInfo | None
) -> tuple[int, str]:
    """Convenience: ``(dot11_crypt set, Kismet crypt string)``."""
    cs = crypt_set(privacy, rsn, wpa)
    return cs, crypt_to_string(cs)
