"""The external protocol's framings: round trips, split reads, and garbage."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kismet_tx.capture.external.frames import (
    V0,
    V2,
    V3,
    FrameDecoder,
    Message,
    ProtocolError,
    encode,
    kismet_adler32,
)
from kismet_tx.capture.sensor import packet_frame

MESSAGES = [
    Message("NEWSOURCE", {"definition": "wlan0:name=a", "sourcetype": "linuxwifi",
                          "uuid": "5EC0A1E5-0000-0000-0000-000000000001"}, 1),
    Message("OPENREQ", {"definition": "wlan0:name=a"}, 2),
    Message("OPENREPORT", {"seqno": 2, "dlt": 127, "capif": "wlan0mon",
                           "channels": ["1", "6"], "hardware": "ath9k",
                           "hop": {"channels": ["1", "6"], "rate": 5.0, "shuffle": True}}, 3),
    Message("CONFIGREQ", {"channel": "6"}, 4),
    Message("CONFIGREPORT", {"seqno": 4, "channel": "6", "msg": "ok"}, 5),
    Message("PACKET", {"packet": {"dlt": 127, "ts_s": 1_600_000_000, "ts_us": 5,
                                  "length": 3, "content": b"\x00\x01\x02"}}, 6),
    Message("MESSAGE", {"type": 4, "text": "radio gone"}, 7),
    Message("PING", {}, 8),
]


def _same(sent: Message, got: Message) -> None:
    assert (got.kind, got.seqno, got.code) == (sent.kind, sent.seqno, sent.code)
    for key, value in sent.body.items():
        if isinstance(value, dict):
            for sub_key, sub_value in value.items():
                assert got.body[key][sub_key] == sub_value, (key, sub_key)
        else:
            assert got.body[key] == value, key


@pytest.mark.parametrize("version", [V0, V2, V3])
def test_every_message_survives_each_framing_read_byte_by_byte(version: int) -> None:
    stream = b"".join(encode(m, version) for m in MESSAGES)
    decoder = FrameDecoder()
    got = [m for index in range(len(stream)) for m in decoder.feed(stream[index:index + 1])]
    assert len(got) == len(MESSAGES) and decoder.version == version and decoder.pending == 0
    for sent, received in zip(MESSAGES, got, strict=True):
        _same(sent, received)


def test_a_failed_open_carries_its_code_and_reason() -> None:
    failed = Message("OPENREPORT", {"seqno": 2, "msg": "no such interface"}, 3, code=1)
    for version in (V0, V2, V3):
        (got,) = FrameDecoder().feed(encode(failed, version))
        assert got.code == 1 and got.body["msg"] == "no such interface"


def test_the_sensor_fast_packet_frame_is_a_v3_packet() -> None:
    (got,) = FrameDecoder().feed(packet_frame(127, 10, 20, b"abc", 9, {1: 48.1, 2: 11.5}))
    assert got.kind == "PACKET" and got.seqno == 9
    assert got.body["packet"] == {"dlt": 127, "ts_s": 10, "ts_us": 20, "length": 3,
                                  "content": b"abc"}
    assert got.body["gps"] == {"lat": 48.1, "lon": 11.5}


def test_kismet_checksum_is_the_modulus_free_adler_variant() -> None:
    data = bytes(range(256)) * 3
    s1 = s2 = 0
    for byte in data:  # the byte-wise definition kismetexternal spells out
        s1 += byte
        s2 += s1
    assert kismet_adler32(data) == ((s1 & 0xFFFF) + (s2 << 16)) & 0xFFFFFFFF
    assert kismet_adler32(b"abc") == 0


@pytest.mark.parametrize(("stream", "reason"), [
    (b"\x00" * 12, "bad frame signature"),
    (struct.pack("!IHHI", 0xDECAFBAD, 0xA9A9, 3, 1 << 30), "over the limit"),
    (struct.pack("!IHHIHHI", 0xDECAFBAD, 0xA9A9, 3, 0, 999, 0, 0), "unknown v3 packet type"),
    (struct.pack("!IHHIHHI", 0xDECAFBAD, 0xA9A9, 3, 1, 2, 0, 0) + b"\x01", "not a msgpack map"),
    (struct.pack("!IHHI32sI", 0xDECAFBAD, 0xABCD, 2, 0, b"NOSUCH", 0), "unknown command"),
    (struct.pack("!IHHI32sI", 0xDECAFBAD, 0xABCD, 2, 2, b"KDSNEWSOURCE", 0) + b"\xff\xff",
     "not a valid protobuf"),
])
def test_malformed_frames_name_the_problem(stream: bytes, reason: str) -> None:
    with pytest.raises(ProtocolError, match=reason):
        FrameDecoder().feed(stream)


@given(st.binary(max_size=300))
def test_any_bytes_decode_or_raise_a_protocol_error(data: bytes) -> None:
    for prefix in (b"", struct.pack("!IHHI", 0xDECAFBAD, 0xA9A9, 3, len(data)),
                   struct.pack("!IHHI", 0xDECAFBAD, 0xABCD, 2, len(data)) + b"KDSDATAREPORT"):
        try:
            FrameDecoder(max_frame=4096).feed(prefix + data)
        except ProtocolError:
            pass


def test_v3_reports_carry_kismets_success_flag() -> None:
    ok = encode(Message("OPENREPORT", {"seqno": 2}, 3), V3)
    failed = encode(Message("OPENREPORT", {"seqno": 2}, 3, code=1), V3)
    # Kismet's capture tools send success as a non-zero header code, and its server reads it so.
    assert struct.unpack_from("!H", ok, 14) == (1,)
    assert struct.unpack_from("!H", failed, 14) == (0,)
    assert FrameDecoder().feed(ok)[0].code == 0
    assert FrameDecoder().feed(failed)[0].code == 1
