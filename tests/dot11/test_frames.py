"""802.11 MAC header decoding and management fixed fields."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kismet_tx.dot11 import MalformedFrame, decode_frame, mac_str, parse_fixed, subtype_name
from kismet_tx.dot11.frames import TYPE_CTRL, TYPE_DATA, TYPE_EXT, TYPE_MGMT

from .builders import AP, BCAST, OTHER, STA, beacon_body, ctrl, data, fc, mgmt


def test_mac_str():
    assert mac_str(bytes.fromhex("00c0ca0a0b0c")) == "00:C0:CA:0A:0B:0C"
    assert mac_str(None) == ""


def test_management_header_and_flags():
    f = decode_frame(mgmt(8, beacon_body(b""), flags=0x08, seq=0xABC, frag=3))
    assert (f.type, f.subtype) == (TYPE_MGMT, 8)
    assert f.type_name == "mgmt" and f.subtype_name == "beacon"
    assert f.addr1 == BCAST and f.addr2 == AP and f.addr3 == AP and f.addr4 is None
    assert f.dest == BCAST and f.source == AP and f.bssid == AP
    assert f.transmitter == AP and f.receiver == BCAST
    assert f.seq == 0xABC and f.frag == 3
    assert f.retry and not f.protected and not f.tods and not f.fromds and f.ds == 0
    assert f.duration == 0 and f.qos is None and f.ht_control is None
    assert f.body_offset == 24 and f.length == 36 and f.body_len == 12
    assert "beacon" in repr(f)


#: Addresses that share a slot of the decoder's recent-address memo (its index
#: mixes the two halves of the address symmetrically), beside ones that do not.
_SHARING_A_SLOT = [bytes.fromhex("001122334455"), bytes.fromhex("334455001122"),
                   bytes.fromhex("00c0ca112233"), bytes.fromhex("11223300c0ca"),
                   bytes.fromhex("0011dd3344aa")]
_POOL = [*_SHARING_A_SLOT, AP, STA, BCAST, OTHER, bytes(6)]


@given(st.lists(st.tuples(*[st.sampled_from(_POOL)] * 3), min_size=1, max_size=40))
def test_every_frame_gets_its_own_addresses_whatever_came_before(
        frames: list[tuple[bytes, bytes, bytes]]) -> None:
    # The decoder hands out a recent address's bytes again rather than slicing
    # new ones: a frame must still get exactly the addresses it carries, when
    # another address took the memo's slot in between.
    for a1, a2, a3 in frames:
        for frame in (data(0, a1=a1, a2=a2, a3=a3), mgmt(4, a1=a1, a2=a2, a3=a3)):
            f = decode_frame(frame)
            assert (f.addr1, f.addr2, f.addr3) == (a1, a2, a3)


@pytest.mark.parametrize(
    ("flags", "bssid", "source", "dest"),
    [
        (0x00, BCAST, STA, AP),  # IBSS: a1=DA a2=SA a3=BSSID
        (0x01, AP, STA, BCAST),  # to DS: a1=BSSID a2=SA a3=DA
        (0x02, STA, BCAST, AP),  # from DS: a1=DA a2=BSSID a3=SA
    ],
)
def test_data_address_roles(flags, bssid, source, dest):
    f = decode_frame(data(0, flags=flags, a1=AP, a2=STA, a3=BCAST, body=b"\xaa\xaa\x03"))
    assert f.type == TYPE_DATA and f.ds == flags
    assert (f.bssid, f.source, f.dest) == (bssid, source, dest)
    assert f.transmitter == STA and f.receiver == AP
    assert f.body_offset == 24


def test_wds_four_address_qos_htc():
    raw = data(8, flags=0x83, a1=AP, a2=STA, a3=BCAST, a4=OTHER, qos=0x0005, htc=0xDEADBEEF,
               body=b"xyz")  # fmt: skip
    f = decode_frame(raw)
    assert f.ds == 3 and f.tods and f.fromds and f.order
    assert f.addr4 == OTHER and f.source == OTHER and f.dest == BCAST and f.bssid is None
    assert f.receiver == AP and f.transmitter == STA
    assert f.qos == 5 and f.tid == 5 and f.ht_control == 0xDEADBEEF
    assert f.body_offset == 36 and f.body == b"xyz"


def test_qos_without_htc_and_null_function():
    f = decode_frame(data(8, qos=0x0106, body=b"\x01"))
    assert f.qos == 0x0106 and f.tid == 6 and f.ht_control is None and f.body_offset == 26
    f = decode_frame(data(4))
    assert f.subtype_name == "null" and f.body_len == 0


def test_mgmt_htc():
    raw = mgmt(13, struct.pack("<I", 0x11223344) + b"\x04\x00", flags=0x80)
    f = decode_frame(raw)
    assert f.ht_control == 0x11223344 and f.body_offset == 28


@pytest.mark.parametrize(
    ("sub", "has_ta", "name"),
    [(13, False, "ack"), (12, False, "cts"), (11, True, "rts"), (10, True, "ps_poll"),
     (8, True, "block_ack_req"), (9, True, "block_ack"), (14, True, "cf_end"),
     (5, True, "ndp_announce"), (7, False, "ctrl_wrapper")],
)  # fmt: skip
def test_control_frames(sub, has_ta, name):
    raw = ctrl(sub, AP, STA if has_ta else None, rest=b"\x00" * 4)
    f = decode_frame(raw)
    assert f.type == TYPE_CTRL and f.subtype_name == name
    assert f.receiver == AP and f.dest == AP and f.seq is None and f.addr3 is None
    if has_ta:
        assert f.transmitter == STA and f.source == STA
    else:
        assert f.transmitter is None and f.source is None
    if name == "ps_poll":
        assert f.bssid == AP
    elif name == "cf_end":
        assert f.bssid == STA
    else:
        assert f.bssid is None


def test_extension_frame_minimal():
    f = decode_frame(fc(3, 0) + b"\x00\x00" + AP + b"\x00" * 10)
    assert f.type == TYPE_EXT and f.type_name == "ext" and f.addr1 == AP


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        fc(0, 8) + b"\x00" * 7,  # under 10 bytes
        fc(0, 8, version=1) + b"\x00" * 40,  # protocol version 1
        fc(2, 0) + b"\x00" * 20,  # data shorter than 24
        data(0, flags=3)[:28],  # WDS without addr4
        data(8)[:25],  # QoS without QoS control
        data(8, flags=0x80, qos=0)[:28],  # +HTC without HT control
        fc(1, 11) + b"\x00" * 10,  # RTS without TA
        mgmt(8, b"\x00" * 11),  # beacon without its 12 fixed bytes
        mgmt(11, b"\x00" * 5),  # auth without its 6 fixed bytes
        mgmt(12, b"\x00"),  # deauth without reason
        mgmt(0, b"\x00" * 3),  # assoc req without cap+listen
        mgmt(8, b"", flags=0x80)[:26],  # +HTC mgmt without HT control
    ],
)
def test_malformed_headers(raw):
    with pytest.raises(MalformedFrame):
        decode_frame(raw)


def test_decode_frame_bounds_and_memoryview():
    raw = b"PAD" + mgmt(4, b"\x00\x00")
    f = decode_frame(memoryview(raw), start=3)
    assert f.start == 0 and f.subtype_name == "probe_req" and f.body_offset == 24
    assert decode_frame(raw, 3, len(raw) - 1).body == b"\x00"
    with pytest.raises(MalformedFrame):
        decode_frame(raw, start=5, end=2)
    with pytest.raises(MalformedFrame):
        decode_frame(raw, end=len(raw) + 1)


def test_protected_mgmt_skips_fixed_length_check():
    # A protected (802.11w) deauth carries an encrypted body; its length is not checked.
    f = decode_frame(mgmt(12, b"", flags=0x40))
    assert f.protected


def test_crypt_guess_from_iv():
    wep = decode_frame(data(0, flags=0x41, body=bytes([1, 2, 3, 0x40]) + b"x" * 8))
    assert wep.crypt_guess == "WEP" and wep.key_id == 1
    tkip_iv = bytes([0x12, (0x12 | 0x20) & 0x7F, 0x33, 0x20, 0, 0, 0, 0])
    tkip = decode_frame(data(0, flags=0x41, body=tkip_iv + b"x" * 12))
    assert tkip.crypt_guess == "TKIP" and tkip.key_id == 0
    ccmp = decode_frame(data(8, flags=0x41, qos=0, body=bytes([5, 0, 0, 0xA0, 0, 0, 0, 0])))
    assert ccmp.crypt_guess == "CCMP" and ccmp.key_id == 2
    assert decode_frame(data(0, body=b"abcd")).crypt_guess is None
    assert decode_frame(data(0, flags=0x41, body=b"ab")).crypt_guess is None
    assert decode_frame(data(0, flags=0x41, body=b"\x00\x00\x00\x20")).crypt_guess is None


def test_subtype_names():
    assert subtype_name(0, 4) == "probe_req"
    assert subtype_name(1, 13) == "ack"
    assert subtype_name(2, 8) == "qos_data"
    assert subtype_name(0, 15) == "reserved_15"


def test_fixed_fields_per_subtype():
    b = parse_fixed(8, beacon_body(b"", capability=0x0431, interval=102, timestamp=99))
    assert (b.timestamp, b.beacon_interval, b.capability) == (99, 102, 0x0431)
    assert b.privacy and b.ess and not b.ibss
    a = parse_fixed(0, struct.pack("<HH", 0x0011, 10))
    assert a.capability == 0x11 and a.listen_interval == 10 and a.privacy
    r = parse_fixed(2, struct.pack("<HH", 1, 3) + AP)
    assert r.current_ap == AP and r.listen_interval == 3
    resp = parse_fixed(1, struct.pack("<HHH", 0x0401, 0, 0xC005))
    assert resp.status == 0 and resp.aid == 5
    auth = parse_fixed(11, struct.pack("<HHH", 3, 1, 0))
    assert (auth.auth_algorithm, auth.auth_seq, auth.status) == (3, 1, 0)
    assert parse_fixed(12, struct.pack("<H", 7)).reason == 7
    assert parse_fixed(10, struct.pack("<H", 8)).reason == 8
    act = parse_fixed(13, b"\x04\x01")
    assert act.category == 4 and act.action == 1
    assert parse_fixed(13, b"\x07").action is None
    assert parse_fixed(4, b"").capability is None
    assert "reason=7" in repr(parse_fixed(12, struct.pack("<H", 7)))
    with pytest.raises(MalformedFrame):
        parse_fixed(8, b"\x00" * 11)
    with pytest.raises(MalformedFrame):
        parse_fixed(11, b"\x00" * 6, off=2)
