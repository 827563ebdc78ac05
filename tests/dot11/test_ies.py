"""Lazy IE container and typed IE decoders (SSID, rates, HT/VHT, RSN, WPA, WPS, ...)."""

from __future__ import annotations

import struct

import pytest

from kismet_tx.dot11 import IESet, MalformedFrame, ies_for, munge_to_printable, parse_rsn
from kismet_tx.dot11.elements import (
    parse_country,
    parse_ht_capabilities,
    parse_ht_operation,
    parse_rates,
    parse_tim,
    parse_vht_capabilities,
    parse_vht_operation,
)
from kismet_tx.dot11.ies import clear_ie_cache
from kismet_tx.dot11.rsn import parse_wpa, suite_name
from kismet_tx.dot11.vendor import parse_owe_transition, parse_wmm, parse_wps

from .builders import ie, rsn_ie, wpa_ie


def test_index_and_raw_access():
    raw = (
        ie(0, b"net")
        + ie(1, b"\x82\x84")
        + ie(221, b"\x00\x50\xf2\x02\x00\x01\x80")
        + ie(221, b"\x00\x10\x18\x02\x00")
    )
    s = IESet(raw)
    assert s.tag_numbers == [0, 1, 221, 221]
    assert 0 in s and 48 not in s
    assert s.get(0) == b"net" and s.get(48) is None
    assert len(s.get_all(221)) == 2
    assert s.vendor(b"\x00\x50\xf2", 2) == [b"\x00\x01\x80"]
    assert len(s.vendor(b"\x00\x10\x18")) == 1
    assert not s.truncated and not s.corrupt
    assert "IESet" in repr(s)


def test_memo_derives_once_per_set():
    s = IESet(ie(0, b"net"))
    calls: list[IESet] = []

    def derive(ies: IESet) -> bytes | None:
        calls.append(ies)
        return ies.ssid

    assert s.memo("test.ssid", derive) == b"net"
    assert s.memo("test.ssid", derive) == b"net"
    assert calls == [s]


def test_truncated_tail_is_flagged_not_fatal():
    s = IESet(ie(0, b"abc") + b"\x30\x40\x01")
    assert s.ssid == b"abc" and s.truncated and s.corrupt
    assert IESet(ie(0, b"abc") + b"\x05").truncated
    assert IESet(memoryview(ie(3, b"\x06"))).ds_channel == 6


@pytest.mark.parametrize(
    ("raw", "cloaked", "text"),
    [
        (ie(0, b"HOME-1102"), False, "HOME-1102"),
        (ie(0, b""), True, ""),
        (ie(0, b"\x00\x00\x00"), True, ""),
        (ie(0, b"ab\x00"), False, "ab\\u0000"),
        (ie(1, b"\x82"), True, ""),
        (ie(0, "Café ☕".encode()), False, "Café ☕"),
        (ie(0, b'say "hi"\\'), False, 'say \\"hi\\"\\\\'),
        (ie(0, b"tab\there"), False, "tab\\there"),
        (ie(0, b"\xff\xfeAB"), False, "\\xFF\\xFEAB"),
    ],
)
def test_ssid_variants(raw, cloaked, text):
    s = IESet(raw)
    assert s.ssid_cloaked is cloaked
    assert s.ssid_str == text


def test_munge_to_printable_direct():
    assert munge_to_printable(b"") == ""
    assert munge_to_printable(b"ok") == "ok"
    assert munge_to_printable(b"a\x01") == "a\\u0001"
    assert munge_to_printable(b"\x80\n") == "\\x80\\n"


def test_rates_and_max_rate():
    raw = ie(1, bytes([0x82, 0x84, 0x8B, 0x96, 0x24, 0x30, 0x48, 0x6C])) + ie(50, b"\x0c\x12\xff")
    s = IESet(raw)
    assert s.rates == [1.0, 2.0, 5.5, 11.0, 18.0, 24.0, 36.0, 54.0, 6.0, 9.0]
    assert s.basic_rates == [1.0, 2.0, 5.5, 11.0]
    assert s.max_rate == 54.0
    assert IESet(b"").max_rate is None
    assert parse_rates(b"\xfe\x7f") == [63.5]


def test_ds_tim_country():
    raw = ie(3, b"\x0b") + ie(5, b"\x00\x03\x01\x00") + ie(7, b"US\x20\x01\x0b\x1e\xc9\x01\x02")
    s = IESet(raw)
    assert s.ds_channel == 11 and s.channel == 11
    assert (s.tim.dtim_count, s.tim.dtim_period, s.tim.multicast) == (0, 3, True)
    assert s.country_code == "US" and s.country.triplets == [(1, 11, 30)]
    assert s.country.environment == 0x20 and "US" in repr(s.country)
    with pytest.raises(MalformedFrame):
        parse_tim(b"\x00\x01")
    with pytest.raises(MalformedFrame):
        parse_country(b"U")
    assert parse_country(b"DE").environment is None


def _ht_op(primary: int, info: int) -> bytes:
    return ie(61, bytes([primary, info]) + b"\x00" * 20)


@pytest.mark.parametrize(
    ("info", "mode"), [(0x00, "HT20"), (0x05, "HT40+"), (0x07, "HT40-"), (0x01, "HT20")]
)
def test_ht_operation_modes(info, mode):
    s = IESet(_ht_op(36, info))
    assert s.ht_op.primary_channel == 36 and s.ht_mode == mode
    assert s.channel == 36  # no DS IE: HT primary channel


@pytest.mark.parametrize(
    ("width", "c0", "c1", "mode"),
    [(0, 0, 0, "HT40+"), (1, 42, 0, "VHT80"), (1, 42, 50, "VHT160"), (1, 42, 155, "VHT80+80"),
     (2, 50, 0, "VHT160"), (3, 42, 155, "VHT80+80")],
)  # fmt: skip
def test_vht_operation_modes(width, c0, c1, mode):
    s = IESet(_ht_op(36, 0x05) + ie(192, bytes([width, c0, c1, 0xFF, 0xFC])))
    assert s.ht_mode == mode
    assert s.vht_op.ccfs0 == c0


def test_ht_and_vht_capabilities():
    ht = struct.pack("<HB16sHIB", 0x016E, 0x17, b"\xff\xff" + b"\x00" * 14, 0, 0, 0)
    vht = struct.pack("<IHHHH", 0x0000_0004, 0xFFFA, 0, 0xFFFA, 0)
    s = IESet(ie(45, ht) + ie(191, vht))
    assert s.ht_cap.width_40 and s.ht_cap.short_gi_20 and s.ht_cap.short_gi_40
    assert s.ht_cap.spatial_streams == 2
    assert s.vht_cap.width_160 and s.vht_cap.spatial_streams == 2
    with pytest.raises(MalformedFrame):
        parse_ht_capabilities(ht[:25])
    with pytest.raises(MalformedFrame):
        parse_vht_capabilities(vht[:11])
    with pytest.raises(MalformedFrame):
        parse_ht_operation(b"\x01")
    with pytest.raises(MalformedFrame):
        parse_vht_operation(b"\x01\x02")
    bad = IESet(ie(45, ht[:10]))
    assert bad.ht_cap is None and "ht_cap" in bad.errors


def test_ext_caps():
    s = IESet(ie(127, b"\x04\x00\x08"))
    assert s.ext_caps == b"\x04\x00\x08"
    assert s.ext_cap_bit(2) and s.ext_cap_bit(19) and not s.ext_cap_bit(0)
    assert not s.ext_cap_bit(100) and not IESet(b"").ext_cap_bit(1)


def test_rsn_full():
    pmk = bytes(range(16))
    s = IESet(rsn_ie(4, (4, 2), (2, 8), caps=0x00C0, pmkids=(pmk,), group_mgmt=6))
    r = s.rsn
    assert r.kind == "RSN" and r.version == 1
    assert suite_name(r.group_cipher) == "CCMP"
    assert r.cipher_names == ["CCMP", "TKIP"] and r.akm_names == ["PSK", "SAE"]
    assert r.pairwise_types == {2, 4} and r.akm_types == {2, 8}
    assert r.mfpc and r.mfpr and not r.preauth
    assert r.pmkid_count == 1 and r.pmkids == (pmk,)
    assert suite_name(r.group_mgmt_cipher) == "BIP-CMAC128"
    assert "RSN v1" in repr(r)


def test_rsn_optional_fields_and_vendor_suites():
    r = parse_rsn(struct.pack("<H", 1))
    assert r.group_cipher is None and r.pairwise_ciphers == () and r.capabilities is None
    r = parse_rsn(rsn_ie(4, (4,), (2,), caps=None)[2:])
    assert r.capabilities is None and r.akm_types == {2}
    r = parse_rsn(rsn_ie(4, (4,), (2,), oui=b"\x00\x10\x18")[2:])
    assert r.pairwise_types == set() and suite_name(r.pairwise_ciphers[0]) == "001018:4"
    assert suite_name((0x000FAC << 8) | 99, akm=True) == "000FAC:99"


@pytest.mark.parametrize(
    "body",
    [
        b"\x01",
        b"\x01\x00\x00\x0f",
        b"\x01\x00\x00\x0f\xac\x04\x01",
        b"\x01\x00\x00\x0f\xac\x04\x02\x00\x00\x0f\xac\x04",
        rsn_ie()[2:] + b"\x01",
        rsn_ie(caps=0)[2:] + b"\x01\x00" + b"\x00" * 8,
        rsn_ie(caps=0)[2:] + b"\x01",
    ],
)
def test_rsn_malformed(body):
    with pytest.raises(MalformedFrame):
        parse_rsn(body)
    s = IESet(ie(48, body))
    assert s.rsn is None and "rsn" in s.errors and s.corrupt


def test_rsn_bounds():
    with pytest.raises(MalformedFrame):
        parse_rsn(b"\x01\x00", 0, 10)


def test_wpa_ie():
    s = IESet(wpa_ie(2, (2, 4), (2,)))
    w = s.wpa
    assert w.kind == "WPA" and w.version == 1
    assert w.cipher_names == ["TKIP", "CCMP"] and w.akm_names == ["PSK"]
    assert parse_wpa(b"\x01\x00").group_cipher is None
    with pytest.raises(MalformedFrame):
        parse_wpa(b"\x01")


def _wps(*tlvs: tuple[int, bytes]) -> bytes:
    return b"".join(struct.pack(">HH", t, len(v)) + v for t, v in tlvs)


def test_wps_fragmented_and_fields():
    body = _wps(
        (0x104A, b"\x10"), (0x1044, b"\x02"), (0x1057, b"\x01"), (0x1041, b"\x01"),
        (0x1011, b"Router\x00"), (0x1021, b"ACME"), (0x1023, b"Model"), (0x1024, b"M1"),
        (0x1042, b"SN123"), (0x1047, bytes(range(16))), (0x1048, b"\x01" * 16),
        (0x1008, b"\x01\x08"), (0x1054, b"\x00\x06\x00\x50\xf2\x04\x00\x01"),
    )  # fmt: skip
    half = len(body) // 2
    raw = ie(221, b"\x00\x50\xf2\x04" + body[:half]) + ie(221, b"\x00\x50\xf2\x04" + body[half:])
    w = IESet(raw).wps
    assert w.version == 0x10 and w.state == 2 and w.ap_setup_locked and w.selected_registrar
    assert w.device_name == "Router" and w.manufacturer == "ACME"
    assert w.model_name == "Model" and w.model_number == "M1" and w.serial_number == "SN123"
    assert w.uuid_e == bytes(range(16)).hex() and w.uuid_r == "01" * 16
    assert w.config_methods == 0x0108 and w.primary_device_type is not None
    assert w.kismet_state == 0x01 | 0x04 and not w.truncated
    assert "Router" in repr(w)
    assert parse_wps(_wps((0x1044, b"\x01"))).kismet_state == 0x02
    assert parse_wps(_wps((0x1011, b"x")) + b"\x10\x11\x00\x09ab").truncated
    assert parse_wps(b"\x10").truncated
    assert parse_wps(b"").kismet_state == 0


def test_wmm():
    info = IESet(ie(221, b"\x00\x50\xf2\x02\x00\x01\x80")).wmm
    assert info.subtype == 0 and info.version == 1 and info.uapsd
    param = parse_wmm(b"\x01\x01\x00\x00" + b"\x03\xa4\x00\x00" * 4)
    assert param.subtype == 1 and len(param.ac_params) == 4 and param.ac_params[0][1] == 0xA4
    assert "WMMInfo" in repr(param)
    for bad in (b"\x00", b"\x00\x01", b"\x01\x01\x00\x00"):
        with pytest.raises(MalformedFrame):
            parse_wmm(bad)


def test_owe_transition():
    body = b"\x50\x6f\x9a\x1c" + bytes.fromhex("0200000000aa") + b"\x04open"
    assert IESet(ie(221, body)).owe_transition == (bytes.fromhex("0200000000aa"), b"open")
    with pytest.raises(MalformedFrame):
        parse_owe_transition(b"\x00" * 6)
    with pytest.raises(MalformedFrame):
        parse_owe_transition(b"\x00" * 6 + b"\x05ab")


def test_absent_accessors_are_none():
    s = IESet(b"")
    for name in ("ssid", "ds_channel", "tim", "country", "country_code", "ht_cap", "ht_op",
                 "vht_cap", "vht_op", "ht_mode", "channel", "ext_caps", "rsn", "wpa", "wps",
                 "wmm", "owe_transition", "max_rate"):  # fmt: skip
        assert getattr(s, name) is None, name
    assert s.rates == [] and s.ssid_cloaked and s.crypt_string(False) == "Open"


def test_ie_cache_shares_parsed_sets():
    clear_ie_cache()
    raw = ie(0, b"cached") + rsn_ie()
    a = ies_for(raw)
    b = ies_for(bytes(bytearray(raw)))
    assert a is b
    assert a.rsn is b.rsn
    assert ies_for(memoryview(raw)) is a
    assert ies_for(ie(0, b"other")) is not a
    clear_ie_cache()
    assert ies_for(raw) is not a


def test_ie_cache_is_bounded(monkeypatch):
    import kismet_tx.dot11.ies as ies_mod

    clear_ie_cache()
    monkeypatch.setattr(ies_mod, "_CACHE_MAX", 2)
    first = ies_for(ie(0, b"a"))
    ies_for(ie(0, b"b"))
    ies_for(ie(0, b"c"))  # evicts the oldest
    assert len(ies_mod._CACHE) == 2 and ies_for(ie(0, b"a")) is not first
    clear_ie_cache()
    s = IESet(ie(0, b"x"))
    assert s.truncated is False and s.index == {0: [(2, 1)]}
