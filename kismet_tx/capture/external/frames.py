"""Frames of the external helper protocol: one stream decoder, one encoder per framing.

A :class:`FrameDecoder` takes bytes as they arrive (TCP segments or websocket
messages: the stream is the same) and returns whole :class:`Message` objects.
Anything that is not a well-formed frame raises :class:`ProtocolError` with
the reason: a wrong signature, a length over the limit, a bad checksum, a
payload that does not parse. The decoder keeps at most one frame's bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

import msgpack

#: Start of every frame.
SIGNATURE = 0xDECAFBAD
V2_SENTINEL = 0xABCD
V3_SENTINEL = 0xA9A9
V0_HEADER = struct.Struct("!III")
V2_HEADER = struct.Struct("!IHHI32sI")
V3_HEADER = struct.Struct("!IHHIHHI")
#: Largest payload accepted by default (a frame carries one packet).
MAX_FRAME = 1 << 20
#: Framings by number.
V0, V2, V3 = 0, 2, 3


class ProtocolError(ValueError):
    """The peer sent something that is not a valid frame or message."""


@dataclass(slots=True)
class Message:
    """One protocol message, whatever framing carried it.

    ``kind`` is one of the names of :data:`V3_TYPES`; ``code`` is 0 for
    success; ``body`` holds the fields by the names of :data:`V3_FIELDS`.
    """

    kind: str
    body: dict[str, Any] = field(default_factory=dict)
    seqno: int = 0
    code: int = 0


#: v3 packet types (``KIS_EXTERNAL_V3_*``).
V3_TYPES = {
    "REGISTER": 1, "PING": 2, "PONG": 3, "SHUTDOWN": 4, "MESSAGE": 5, "ERROR": 6,
    "PROBEREQ": 10, "PROBEREPORT": 11, "OPENREQ": 12, "OPENREPORT": 13,
    "LISTREQ": 14, "LISTREPORT": 15, "PACKET": 16, "CONFIGREQ": 17,
    "CONFIGREPORT": 18, "NEWSOURCE": 19, "WARNING": -1,
}
V3_KINDS = {number: kind for kind, number in V3_TYPES.items() if number > 0}
#: Reports whose v3 header code is a success flag (non-zero: success), as Kismet's
#: capture tools send it and its server reads it; :class:`Message` codes are 0 for success.
V3_FLAG_KINDS = frozenset({"PROBEREPORT", "OPENREPORT", "LISTREPORT", "CONFIGREPORT"})

HOP_BLOCK = {1: "rate", 2: "shuffle", 3: "skip", 4: "offset", 5: "channels", 6: "enabled"}
GPS_BLOCK = {1: "lat", 2: "lon", 3: "alt", 4: "fix", 5: "speed", 6: "heading",
             7: "precision", 8: "ts_s", 9: "ts_us", 10: "type", 11: "name", 12: "uuid"}
SIGNAL_BLOCK = {1: "signal_dbm", 2: "noise_dbm", 3: "signal_rssi", 4: "noise_rssi",
                5: "freq_khz", 6: "datarate", 7: "channel"}
PACKET_BLOCK = {1: "dlt", 2: "ts_s", 3: "ts_us", 4: "length", 6: "content"}
JSON_BLOCK = {1: "type", 2: "ts_s", 3: "ts_us", 4: "json"}

#: Field numbers of each v3 message; a tuple names a sub-block and its table.
V3_FIELDS: dict[str, dict[int, Any]] = {
    "REGISTER": {1: "subsystem"},
    "PING": {}, "PONG": {},
    "SHUTDOWN": {1: "reason"},
    "MESSAGE": {1: "type", 2: "text"},
    "ERROR": {1: "text"},
    "PROBEREQ": {1: "definition"},
    "PROBEREPORT": {1: "seqno", 3: "msg"},
    "OPENREQ": {1: "definition"},
    "OPENREPORT": {1: "seqno", 2: "dlt", 3: "capif", 4: "channels", 5: "channel",
                   6: ("hop", HOP_BLOCK), 7: "hardware", 8: "uuid", 9: "msg", 10: "version"},
    "LISTREQ": {},
    "LISTREPORT": {1: "seqno", 3: "msg", 4: "version"},
    "PACKET": {1: ("gps", GPS_BLOCK), 2: ("signal", SIGNAL_BLOCK),
               4: ("packet", PACKET_BLOCK), 5: ("json", JSON_BLOCK)},
    "CONFIGREQ": {1: "channel", 2: ("hop", HOP_BLOCK)},
    "CONFIGREPORT": {1: "seqno", 2: "channel", 3: ("hop", HOP_BLOCK), 4: "msg"},
    "NEWSOURCE": {1: "definition", 2: "sourcetype", 3: "uuid"},
}
_V3_NUMBERS = {
    kind: {(spec[0] if isinstance(spec, tuple) else spec): (number, spec)
           for number, spec in table.items()}
    for kind, table in V3_FIELDS.items()
}


def kismet_adler32(data: bytes) -> int:
    """Kismet's checksum of a v0 payload (an Adler-32 variant without the modulus)."""
    if len(data) < 4:
        return 0
    s1 = sum(data)
    s2 = sum(accumulate(data))
    return ((s1 & 0xFFFF) + ((s2 & 0xFFFF) << 16)) & 0xFFFFFFFF


def _from_table(table: dict[int, Any], raw: Any, what: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ProtocolError(f"{what} is not a msgpack map")
    body: dict[str, Any] = {}
    for number, value in raw.items():
        spec = table.get(number)
        if spec is None:
            continue
        if isinstance(spec, tuple):
            body[spec[0]] = _from_table(spec[1], value, f"{what} field {number}")
        else:
            body[spec] = value
    return body


def _to_table(kind: str, numbers: dict[str, Any], body: dict[str, Any]) -> dict[int, Any]:
    packed: dict[int, Any] = {}
    for name, value in body.items():
        if value is None:
            continue
        entry = numbers.get(name)
        if entry is None:
            continue  # a field of the protobuf framings that v3 does not carry
        number, spec = entry
        if isinstance(spec, tuple):
            sub = {sub_name: (n, sub_name) for n, sub_name in spec[1].items()}
            packed[number] = _to_table(kind, sub, value)
        else:
            packed[number] = value
    return packed


def decode_v3(pkt_type: int, code: int, seqno: int, payload: bytes) -> Message:
    """A v3 message from its header fields and msgpack payload."""
    kind = V3_KINDS.get(pkt_type)
    if kind is None:
        raise ProtocolError(f"unknown v3 packet type {pkt_type}")
    try:
        raw = msgpack.unpackb(payload, strict_map_key=False) if payload else {}
    except (ValueError, TypeError) as exc:
        raise ProtocolError(f"v3 {kind} payload is not msgpack: {exc}") from None
    if kind in V3_FLAG_KINDS:
        code = 0 if code else 1
    return Message(kind, _from_table(V3_FIELDS[kind], raw, f"v3 {kind}"), seqno, code)


def encode_v3(message: Message) -> bytes:
    """One v3 frame."""
    number = V3_TYPES[message.kind]
    if number < 0:
        raise ValueError(f"v3 has no {message.kind} message")
    payload = msgpack.packb(_to_table(message.kind, _V3_NUMBERS[message.kind], message.body),
                            use_bin_type=True)
    code = message.code
    if message.kind in V3_FLAG_KINDS:
        code = 0 if code else 1
    header = V3_HEADER.pack(SIGNATURE, V3_SENTINEL, 3, len(payload), number,
                            code & 0xFFFF, message.seqno & 0xFFFFFFFF)
    return header + payload


def encode(message: Message, version: int) -> bytes:
    """One frame in framing ``version`` (0, 2 or 3)."""
    if version == V3:
        return encode_v3(message)
    from kismet_tx.capture.external import protobuf

    name, payload = protobuf.encode(message)
    if version == V2:
        header = V2_HEADER.pack(SIGNATURE, V2_SENTINEL, 2, len(payload),
                                name.encode("ascii"), message.seqno & 0xFFFFFFFF)
        return header + payload
    command = protobuf.command(name, message.seqno, payload)
    return V0_HEADER.pack(SIGNATURE, kismet_adler32(command), len(command)) + command


class FrameDecoder:
    """Bytes in, messages out; remembers which framing the peer speaks."""

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        self.max_frame = max_frame
        self.version: int | None = None
        self._buffer = bytearray()

    @property
    def pending(self) -> int:
        """Bytes of an incomplete frame held."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[Message]:
        """Every whole message completed by ``data``; raises :class:`ProtocolError`."""
        buf = self._buffer
        buf += data
        out: list[Message] = []
        start = 0
        try:
            while True:
                taken = self._one(buf, start, out)
                if not taken:
                    break
                start += taken
        finally:
            del buf[:start]
        return out

    def _length(self, length: int) -> None:
        if length > self.max_frame:
            raise ProtocolError(
                f"frame announces {length} bytes, over the limit of {self.max_frame}")

    def _one(self, buf: bytearray, start: int, out: list[Message]) -> int:
        have = len(buf) - start
        if have < V0_HEADER.size:
            return 0
        size: int  # bytes of this frame, header included
        signature, word, length = V0_HEADER.unpack_from(buf, start)
        if signature != SIGNATURE:
            raise ProtocolError(f"bad frame signature 0x{signature:08X} (expected 0xDECAFBAD)")
        self._length(length)
        sentinel, version = word >> 16, word & 0xFFFF
        if sentinel == V3_SENTINEL and version == 3:
            size = V3_HEADER.size + length
            if have < size:
                return 0
            _, _, _, _, pkt_type, code, seqno = V3_HEADER.unpack_from(buf, start)
            payload = bytes(buf[start + V3_HEADER.size : start + size])
            out.append(decode_v3(pkt_type, code, seqno, payload))
            self.version = V3
            return size
        from kismet_tx.capture.external import protobuf

        if sentinel == V2_SENTINEL and version == 2:
            size = V2_HEADER.size + length
            if have < size:
                return 0
            _, _, _, _, raw_name, seqno = V2_HEADER.unpack_from(buf, start)
            name = raw_name.rstrip(b"\0").decode("ascii", "replace")
            payload = bytes(buf[start + V2_HEADER.size : start + size])
            out.append(protobuf.decode(name, seqno, payload))
            self.version = V2
            return size
        size = V0_HEADER.size + length
        if have < size:
            return 0
        payload = bytes(buf[start + V0_HEADER.size : start + size])
        if kismet_adler32(payload) != word:
            raise ProtocolError("bad frame checksum (a v0 frame whose payload does not match)")
        name, seqno, inner = protobuf.uncommand(payload)
        out.append(protobuf.decode(name, seqno, inner))
        self.version = V0
        return size
