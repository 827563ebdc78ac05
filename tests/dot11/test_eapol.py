"""LLC/SNAP and EAPOL decoding, including Kismet's 4-way message numbering."""

from __future__ import annotations

import struct

import pytest

from kismet_tx.dot11 import MalformedFrame, parse_eapol, parse_llc

SNAP_EAPOL = b"\xaa\xaa\x03\x00\x00\x00\x88\x8e"
PMKID = bytes(range(0x10, 0x20))


def eapol_key(key_info: int, nonce: bytes = b"\x11" * 32, mic: bytes = b"\x00" * 16,
              key_data: bytes = b"", replay: int = 1, desc: int = 2) -> bytes:  # fmt: skip
    """An EAPOL-Key frame (802.1X header + key body)."""
    body = struct.pack(">BHHQ32s16s8s8x16sH", desc, key_info, 16, replay, nonce, b"\x00" * 16,
                       b"\x00" * 8, mic, len(key_data)) + key_data  # fmt: skip
    return struct.pack(">BBH", 2, 3, len(body)) + body


M1 = 0x008A  # pairwise, ack, HMAC-SHA1
M2 = 0x010A  # pairwise, mic
M3 = 0x13CA  # pairwise, install, ack, mic, secure, encrypted key data
M4 = 0x030A  # pairwise, mic, secure


def test_llc_snap_and_plain():
    h = parse_llc(SNAP_EAPOL + b"rest")
    assert h.is_snap and h.ethertype == 0x888E and h.oui == b"\x00\x00\x00"
    assert h.payload_offset == 8 and "0x888e" in repr(h)
    p = parse_llc(b"\x42\x42\x03\x00")
    assert not p.is_snap and p.ethertype is None and p.payload_offset == 3
    for bad in (b"\xaa\xaa", b"\xaa\xaa\x03\x00\x00"):
        with pytest.raises(MalformedFrame):
            parse_llc(bad)


@pytest.mark.parametrize(
    ("info", "key_data", "msg"),
    [(M1, b"", 1), (M2, b"\x30\x14" + b"\x00" * 20, 2), (M3, b"\x00" * 56, 3), (M4, b"", 4),
     (0x000A, b"", 0), (0x00CA, b"", 0)],
)  # fmt: skip
def test_four_way_message_numbers(info, key_data, msg):
    e = parse_eapol(eapol_key(info, key_data=key_data))
    assert e.is_key and e.message == msg
    assert e.descriptor_type == 2 and e.descriptor_version == 2 and e.pairwise
    assert e.replay_counter == 1 and e.key_length == 16


def test_key_info_bits_and_mic():
    e = parse_eapol(eapol_key(M3, mic=b"\x01" * 16, key_data=b"\x00" * 8))
    assert e.install and e.ack and e.mic_flag and e.secure and e.encrypted_key_data
    assert not e.error and not e.request
    assert e.mic_present and not e.nonce_zero
    z = parse_eapol(eapol_key(M4, nonce=b"\x00" * 32))
    assert z.nonce_zero and not z.mic_present and "msg=4" in repr(z)


def test_pmkid_kde_in_message_one():
    kde = b"\xdd\x14\x00\x0f\xac\x04" + PMKID
    e = parse_eapol(eapol_key(M1, key_data=b"\xdd\x05\x00\x0f\xac\x01\x00" + kde))
    assert e.message == 1 and e.pmkid == PMKID
    assert parse_eapol(eapol_key(M1, key_data=b"\xdd\x30\x00")).pmkid is None
    # Encrypted key data is never scanned for a PMKID.
    assert parse_eapol(eapol_key(M1 | 0x1000, key_data=kde)).pmkid is None


def test_non_key_eapol_types():
    start = parse_eapol(b"\x01\x01\x00\x00")
    assert start.type == 1 and not start.is_key and start.message == 0
    assert "type=1" in repr(start)
    eap = parse_eapol(b"\x01\x00\x00\x05" + b"\x02\x01\x00\x05\x01")
    assert eap.eap_code == 2 and eap.eap_id == 1 and eap.eap_type == 1
    assert parse_eapol(b"\x01\x00\x00\x04" + b"\x03\x01\x00\x04").eap_type is None


@pytest.mark.parametrize(
    "raw",
    [b"\x02\x03\x00", b"\x02\x03\x00\x5f" + b"\x00" * 20,
     eapol_key(M2, key_data=b"\x00" * 10)[:-3]],
)  # fmt: skip
def test_malformed_eapol(raw):
    with pytest.raises(MalformedFrame):
        parse_eapol(raw)


def test_offsets():
    raw = SNAP_EAPOL + eapol_key(M1)
    h = parse_llc(raw)
    assert parse_eapol(raw, h.payload_offset).message == 1
    with pytest.raises(MalformedFrame):
        parse_eapol(raw, 0, len(raw) + 5)
