"""Device keys and MACs in Kismet's formats (Part B, 2.1)."""

from __future__ import annotations

import pytest

from kismet_tx.keys import (
    MacError,
    adler32_kismet,
    device_key,
    parse_key,
    parse_mac,
    parse_mac_mask,
    phy_hash,
    spkey_text,
)


@pytest.mark.parametrize(("phy", "spkey"), [
    ("IEEE802.11", "4202770D00000000"),
    ("Bluetooth", "B603E01100000000"),
    ("BTLE", "2701E10200000000"),
    ("RTL433", "8C01F50500000000"),
    ("ADSB", "1A01B80200000000"),
])
def test_phy_key_halves_match_kismet(phy: str, spkey: str) -> None:
    assert spkey_text(phy_hash(phy)) == spkey


def test_short_names_hash_to_zero() -> None:
    assert adler32_kismet(b"abc") == 0


def test_device_key_example_from_part_b() -> None:
    mac = parse_mac("68:B9:D3:13:C4:4D")
    assert device_key(spkey_text(phy_hash("IEEE802.11")), mac) == "4202770D00000000_4DC413D3B968"
    assert device_key("X", parse_mac("AA:BB:CC:DD:EE:FF")) == "X_FFEEDDCCBBAA"


def test_leading_zeros_of_the_mac_half_vanish() -> None:
    key = device_key("4202770D00000000", parse_mac("00:11:22:00:00:00"))
    assert key == "4202770D00000000_221100"
    assert parse_key(key) == (phy_hash("IEEE802.11"), parse_mac("00:11:22:00:00:00"))


def test_keys_parse_case_insensitively() -> None:
    upper = parse_key("4202770D00000000_4DC413D3B968")
    assert upper == parse_key("4202770d00000000_4dc413d3b968")
    assert upper == (phy_hash("IEEE802.11"), parse_mac("68:B9:D3:13:C4:4D"))


@pytest.mark.parametrize("bad", ["", "nope", "4202770D00000000", "_4DC413D3B968",
                                 "4202770D00000000_4DC413D3B968ZZ",
                                 "4202770D00000000_1234567890ABCDEF"])
def test_malformed_keys(bad: str) -> None:
    assert parse_key(bad) is None


def test_mac_forms() -> None:
    mac = bytes.fromhex("aabbccddeeff")
    for text in ("AA:BB:CC:DD:EE:FF", "aa-bb-cc-dd-ee-ff", "aabb.ccdd.eeff", "aabbccddeeff"):
        assert parse_mac(text) == mac
    with pytest.raises(MacError):
        parse_mac("AA:BB:CC:DD:EE")
    with pytest.raises(MacError):
        parse_mac("GG:BB:CC:DD:EE:FF")


def test_mac_masks() -> None:
    assert parse_mac_mask("AA:BB:CC:DD:EE:FF") == (bytes.fromhex("aabbccddeeff"), b"\xff" * 6)
    assert parse_mac_mask("AA:BB:CC:DD:EE:FF/FF:FF:FF:00:00:00") == (
        bytes.fromhex("aabbcc000000"), bytes.fromhex("ffffff000000"))
    assert parse_mac_mask("AA:BB:CC:DD:EE:FF/24") == (
        bytes.fromhex("aabbcc000000"), bytes.fromhex("ffffff000000"))
    with pytest.raises(MacError):
        parse_mac_mask("AA:BB:CC:DD:EE:FF/49")
    with pytest.raises(MacError):
        parse_mac_mask("AA:BB:CC:DD:EE:FF/zz")
