"""decode_packet: capture header + MAC header, FCS handling, lazy bodies, conveniences."""

from __future__ import annotations

import struct

import pytest

from kismet_tx.dot11 import MalformedFrame, UnsupportedLinkType, decode_packet
from kismet_tx.dot11 import cryptbits as c
from kismet_tx.dot11.packet import LAZY_LEVELS

from .builders import AP, BCAST, STA, beacon_body, ctrl, data, ie, mgmt, rsn_ie, rt_basic, with_fcs
from .test_eapol import M1, SNAP_EAPOL, eapol_key

BEACON_IES = ie(0, b"lab") + ie(1, b"\x82\x84\x0c") + ie(3, b"\x06") + rsn_ie(4, (4,), (2,))
BEACON = mgmt(8, beacon_body(BEACON_IES, capability=0x0411, interval=100))


def test_radiotap_beacon_with_good_fcs():
    p = decode_packet(127, rt_basic(freq=2437, signal=-40, flags=0x10) + with_fcs(BEACON))
    assert p.type == 0 and p.subtype == 8 and p.subtype_name == "beacon"
    assert p.fcs_present and p.fcs_ok is True and not p.bad_fcs
    assert p.length == len(BEACON) and p.end == len(p.raw) - 4
    assert p.signal_dbm == -40 and p.noise_dbm is None
    assert p.freq_mhz == 2437 and p.radio_channel == 6
    assert p.radio_levels() == (2437, -40, None) and p.radio_levels() == p.radio_levels()
    # Worked out once and kept (compiled code hands out an equal tuple, not the same one).
    assert p._lazy & LAZY_LEVELS
    assert p.radio.channel == 6 and p.radio is p.radio
    assert p.ssid == b"lab" and p.ies.ssid_str == "lab"
    assert p.advertised_channel == 6 and p.beacon_interval == 100
    assert p.capability == 0x0411 and p.privacy is True
    assert p.crypt_set & c.DOT11_CRYPT_AKM_PSK
    assert p.crypt_string == "WPA2 WPA2-PSK AES-CCMP"
    assert p.fixed.beacon_interval == 100 and p.fixed is p.fixed
    assert p.ies is p.ies and p.llc is None and p.eapol is None and not p.is_eapol
    assert p.reason_code is None and p.dlt == 127 and p.caplen == len(p.raw)


def test_bad_fcs_is_reported_not_raised():
    p = decode_packet(127, rt_basic(flags=0x10) + with_fcs(BEACON, good=False))
    assert p.fcs_present and p.fcs_ok is False and p.bad_fcs
    assert p.ssid == b"lab"  # the frame is still decoded
    flagged = decode_packet(127, rt_basic(flags=0x40) + BEACON)
    assert not flagged.fcs_present and flagged.fcs_ok is False and flagged.bad_fcs
    assert flagged.radio.bad_fcs


def test_no_fcs_and_plain_80211():
    p = decode_packet(105, BEACON)
    assert p.fcs_ok is None and not p.bad_fcs and p.radio is None
    assert p.signal_dbm is None and p.freq_mhz is None and p.radio_channel is None
    assert p.radio_levels() == (None, None, None)
    assert decode_packet(105, memoryview(BEACON)).ssid == b"lab"
    assert decode_packet(105, bytearray(BEACON)).bssid == AP


def test_fcs_frame_too_short_raises():
    with pytest.raises(MalformedFrame):
        decode_packet(127, rt_basic(flags=0x10) + ctrl(13, AP)[:10])


def test_datapad_via_radiotap():
    frame = data(8, qos=0, body=b"\x00\x00" + SNAP_EAPOL + eapol_key(M1))
    p = decode_packet(127, rt_basic(flags=0x20) + frame)
    assert p.body_offset - p.start == 28
    assert p.is_eapol and p.eapol.message == 1


def test_eapol_from_data_frame():
    p = decode_packet(105, data(8, flags=0x02, a1=STA, a2=AP, a3=AP, qos=0,
                                body=SNAP_EAPOL + eapol_key(M1)))  # fmt: skip
    assert p.llc.ethertype == 0x888E and p.is_eapol
    assert p.eapol.message == 1 and p.eapol is p.eapol
    assert p.bssid == AP and p.dest == STA and p.source == AP
    bad = decode_packet(105, data(0, body=SNAP_EAPOL + b"\x02\x03\x00"))
    assert bad.is_eapol and bad.eapol is None
    assert decode_packet(105, data(0, body=b"\xaa")).llc is None
    assert decode_packet(105, data(4)).llc is None  # null function: no payload


def test_protected_data_crypt():
    wep = decode_packet(105, data(0, flags=0x41, body=bytes([1, 2, 3, 0]) + b"x" * 10))
    assert wep.crypt_guess == "WEP" and wep.crypt_set == c.DOT11_CRYPT_GENERAL_WEP
    assert wep.crypt_string == "WEP" and wep.llc is None
    ccmp = decode_packet(105, data(0, flags=0x41, body=bytes([1, 0, 0, 0x20]) + b"x" * 12))
    assert ccmp.crypt_set == c.DOT11_CRYPT_GENERAL_WPA and ccmp.crypt_string == "WPA"
    assert decode_packet(105, data(0, body=b"abc")).crypt_set == 0
    short = decode_packet(105, data(0, flags=0x41, body=b"ab"))
    assert short.crypt_set == 0


def test_management_conveniences():
    deauth = decode_packet(105, mgmt(12, struct.pack("<H", 7), a1=STA))
    assert deauth.reason_code == 7 and deauth.ies is None and deauth.crypt_set == 0
    assert deauth.capability is None and deauth.privacy is None
    assert deauth.beacon_interval is None
    probe = decode_packet(105, mgmt(4, ie(0, b"") + ie(1, b"\x02"), a2=STA, a3=BCAST))
    assert probe.ssid == b"" and probe.ies.ssid_cloaked and probe.source == STA
    assert probe.crypt_string == "Open"
    assoc = decode_packet(105, mgmt(0, struct.pack("<HH", 0x0431, 10) + ie(0, b"lab")))
    assert assoc.ssid == b"lab" and assoc.privacy
    prot = decode_packet(105, mgmt(12, b"\x00" * 20, flags=0x40))
    assert prot.fixed is None and prot.reason_code is None and prot.ies is None
    assert prot.capability is None
    ack = decode_packet(105, ctrl(13, AP))
    assert ack.fixed is None and ack.ssid is None and ack.advertised_channel is None
    assert ack.crypt_set == 0 and ack.transmitter is None and ack.receiver == AP


def test_link_errors_surface_as_malformed():
    with pytest.raises(UnsupportedLinkType):
        decode_packet(1, BEACON)
    with pytest.raises(MalformedFrame):
        decode_packet(127, b"\x00\x00\x40\x00\x00\x00\x00\x00")
    with pytest.raises(MalformedFrame):
        decode_packet(127, b"\x00")
    with pytest.raises(MalformedFrame):
        decode_packet(105, b"\x81\x00" + b"\x00" * 30)


def test_other_link_types_feed_fcs_flags():
    ppi_common = struct.pack("<QHHHHBBbb", 1, 0x0001, 2, 2412, 0xA0, 0, 0, -50, -90)
    ppi = struct.pack("<BBHI", 0, 0, 32, 105) + struct.pack("<HH", 2, 20) + ppi_common
    p = decode_packet(192, ppi + with_fcs(BEACON))
    assert p.fcs_present and p.fcs_ok and p.signal_dbm == -50 and p.radio_channel == 1
    p = decode_packet(192, struct.pack("<BBHI", 0, 0, 8, 105) + BEACON)
    assert p.radio is None and p.fcs_ok is None


def test_radiotap_extended_header_packet():
    # Two present words (bits in the second word undefined): fields from word 0 only.
    w0 = (1 << 1) | (1 << 3) | (1 << 5) | (1 << 31)
    body = b"\x00\x00" + struct.pack("<HH", 2412, 0xA0) + b"\xea" + b"\x00" * 7
    hdr = struct.pack("<BBHII", 0, 0, 12 + len(body), w0, 0x107701F7) + body
    p = decode_packet(127, hdr + BEACON)
    assert p.start == len(hdr) and p.radio_channel == 1 and p.signal_dbm == -22
    assert p.ssid == b"lab"
    p2 = decode_packet(127, hdr + BEACON)
    assert p2.signal_dbm == -22


def test_repr_mentions_addresses():
    p = decode_packet(105, BEACON)
    assert "00:C0:CA:11:22:33" in repr(p)
