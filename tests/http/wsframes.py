"""RFC 6455 framing for in-memory websocket tests: a client handshake, masked client
frames and a parser for the server's unmasked frames."""

from __future__ import annotations

import base64
import os
import struct
from dataclasses import dataclass

TEXT = 0x1
BINARY = 0x2
CLOSE = 0x8


def handshake(path: str, headers: dict[str, str] | None = None) -> bytes:
    """A client's opening handshake for ``path``."""
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1:2501", "Upgrade: websocket",
             "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def client_frame(payload: bytes | str, opcode: int = TEXT) -> bytes:
    """One masked, final client frame."""
    data = payload.encode() if isinstance(payload, str) else payload
    mask = os.urandom(4)
    head = bytes([0x80 | opcode])
    if len(data) < 126:
        head += bytes([0x80 | len(data)])
    elif len(data) < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", len(data))
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", len(data))
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


@dataclass
class Frame:
    opcode: int
    payload: bytes

    @property
    def text(self) -> str:
        return self.payload.decode()


def split_response(data: bytes) -> tuple[bytes, bytes]:
    """The HTTP head of an answer and the bytes after it."""
    head, sep, rest = data.partition(b"\r\n\r\n")
    assert sep, f"no complete HTTP head in {data[:200]!r}"
    return head, rest


def server_frames(data: bytes) -> list[Frame]:
    """Every complete frame in ``data`` (server frames are unmasked)."""
    frames = []
    while len(data) >= 2:
        opcode = data[0] & 0x0F
        length = data[1] & 0x7F
        offset = 2
        if length == 126:
            length = struct.unpack("!H", data[2:4])[0]
            offset = 4
        elif length == 127:
            length = struct.unpack("!Q", data[2:10])[0]
            offset = 10
        if len(data) < offset + length:
            break
        frames.append(Frame(opcode, data[offset:offset + length]))
        data = data[offset + length:]
    return frames
