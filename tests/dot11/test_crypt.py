"""Kismet crypt bitsets and strings from privacy bit + RSN/WPA elements."""

from __future__ import annotations

import pytest

from kismet_tx.dot11 import (
    IESet,
    crypt_set,
    crypt_to_legacy,
    crypt_to_simple_string,
    crypt_to_string,
)
from kismet_tx.dot11 import cryptbits as c
from kismet_tx.dot11.crypt import crypt_from_flags

from .builders import rsn_ie, wpa_ie


def _cs(privacy: bool, raw: bytes) -> int:
    s = IESet(raw)
    return crypt_set(privacy, s.rsn, s.wpa)


@pytest.mark.parametrize(
    ("privacy", "raw", "full", "simple"),
    [
        (False, b"", "Open", "Open"),
        (True, b"", "WEP", "WEP"),
        (True, wpa_ie(2, (2,), (2,)), "WPA1 WPA1-PSK TKIP", "WPA1 WPA1-PSK TKIP"),
        (True, wpa_ie(2, (2,), (1,)), "WPA1 WPA1-EAP TKIP", "WPA1 WPA1-EAP TKIP"),
        (True, rsn_ie(4, (4,), (2,)), "WPA2 WPA2-PSK AES-CCMP", "WPA2 WPA2-PSK AES-CCMP"),
        (True, rsn_ie(4, (4,), (1,)), "WPA2 WPA2-EAP AES-CCMP", "WPA2 WPA2-EAP AES-CCMP"),
        (
            True,
            rsn_ie(2, (2, 4), (2,)) + wpa_ie(2, (2,), (2,)),
            "WPA2 WPA2-PSK TKIP AES-CCMP",
            "WPA2 WPA2-PSK TKIP AES-CCMP",
        ),
        (True, rsn_ie(4, (4,), (8,)), "WPA3 WPA3-SAE AES-CCMP", "WPA3 WPA3-SAE AES-CCMP"),
        (
            True,
            rsn_ie(4, (4,), (2, 8)),
            "WPA3 WPA3-PSK WPA3-SAE AES-CCMP",
            "WPA3 WPA3-PSK WPA3-SAE AES-CCMP",
        ),
        (
            True,
            rsn_ie(4, (4,), (6,)),
            "WPA2 WPA2-PSK-SHA256 AES-CCMP",
            "WPA2 WPA2-PSK AES-CCMP",
        ),
        (True, rsn_ie(4, (4,), (4, 2)), "WPA2 WPA2-PSK WPA2-PSK-FT AES-CCMP",
         "WPA2 WPA2-PSK AES-CCMP"),
        (True, rsn_ie(4, (4,), (18,)), "WPA3 WPA3-OWE AES-CCMP", "WPA3 WPA3-OWE AES-CCMP"),
        (True, rsn_ie(8, (8,), (12,)), "WPA3 WPA3-EAP-SUITEB-SHA384 AES-GCMP128",
         "WPA3 WPA3-EAP-SUITEB-SHA384 AES-GCMP128"),
        (True, rsn_ie(1, (1,), (2,)), "WEP40", "WEP40"),
        (True, rsn_ie(5, (5,), (2,)), "WEP104", "WEP104"),
    ],
)  # fmt: skip
def test_crypt_strings(privacy, raw, full, simple):
    cs = _cs(privacy, raw)
    assert crypt_to_string(cs) == full
    assert crypt_to_simple_string(cs) == simple
    assert IESet(raw).crypt_string(privacy) == full


def test_documented_bit_positions():
    # Values documented for Kismet's dot11_crypt_* set (WPA2-PSK/CCMP example sum).
    cs = _cs(True, rsn_ie(4, (4,), (2,)))
    assert cs == 2 + 8 + 1024 + 67108864 + 274877906944
    assert c.DOT11_CRYPT_GENERAL_WPA1 == 4 and c.DOT11_CRYPT_GROUP_TKIP == 512
    assert c.DOT11_CRYPT_PAIRWISE_TKIP == 33554432 and c.DOT11_CRYPT_AKM_1X == 137438953472


def test_wpa_versions_and_vendor_oui_ignored():
    assert _cs(True, wpa_ie(version=2)) & c.DOT11_CRYPT_GENERAL_WPA2
    assert _cs(True, wpa_ie(version=3)) & c.DOT11_CRYPT_GENERAL_WPA3
    cs = _cs(True, rsn_ie(4, (4,), (2,), oui=b"\x00\x10\x18"))
    assert cs == c.DOT11_CRYPT_GENERAL_WPA and crypt_to_string(cs) == "WPA"


def test_legacy_bits_and_ui_flags():
    leg = crypt_to_legacy(_cs(True, rsn_ie(2, (2, 4), (2,)) + wpa_ie()))
    for bit in (c.CRYPT_WPA, c.CRYPT_VERSION_WPA, c.CRYPT_VERSION_WPA2, c.CRYPT_PSK,
                c.CRYPT_TKIP, c.CRYPT_AES_CCM):  # fmt: skip
        assert leg & bit
    assert crypt_to_legacy(0) == c.CRYPT_NONE
    assert crypt_to_legacy(c.DOT11_CRYPT_GENERAL_WEP) == c.CRYPT_WEP
    assert crypt_to_legacy(_cs(True, rsn_ie(1, (1,), (2,)))) == c.CRYPT_WEP | c.CRYPT_WEP40
    assert crypt_to_legacy(_cs(True, rsn_ie(5, (5,), (2,)))) == c.CRYPT_WEP | c.CRYPT_WEP104
    sae = crypt_to_legacy(_cs(True, rsn_ie(4, (4,), (8,))))
    assert sae & c.CRYPT_SAE and sae & c.CRYPT_VERSION_WPA3
    eap = crypt_to_legacy(_cs(True, rsn_ie(4, (3,), (1,))) | c.DOT11_CRYPT_EAP_PEAP)
    assert eap & c.CRYPT_EAP and eap & c.CRYPT_PEAP and eap & c.CRYPT_AES_OCB
    assert crypt_to_legacy(_cs(True, rsn_ie(4, (4,), (18,)))) & c.CRYPT_WPA_OWE


def test_crypt_from_flags_and_eap_words():
    cs, text = crypt_from_flags(False, None, None)
    assert (cs, text) == (0, "Open")
    extra = c.DOT11_CRYPT_GENERAL_WPA | c.DOT11_CRYPT_GENERAL_WPA2 | c.DOT11_CRYPT_EAP_TTLS
    assert crypt_to_string(extra) == "WPA2 WPA2-TTLS"
