"""Test helpers: real capture loading, an independent pcapng parser, fake consumers, tshark."""

from __future__ import annotations

import shutil
import struct
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pcapy
import pytest
from twisted.internet.interfaces import IConsumer
from zope.interface import implementer

from kismet_tx.streams.packet import Packet

DATA = Path(__file__).resolve().parent.parent / "data"
INDUCTION = DATA / "john-samples_wpa-Induction.pcapng"
PRISM = DATA / "aircrack-ng_wpa-prism.cap"
N02 = DATA / "aircrack-ng_n-02.cap"

TSHARK = shutil.which("tshark")
AIRCRACK = shutil.which("aircrack-ng")
needs_tshark = pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")
needs_aircrack = pytest.mark.skipif(AIRCRACK is None, reason="aircrack-ng is not installed")

# The parser below spells its own formats rather than reusing the encoder's.
_U32 = struct.Struct("<I")
_HEAD = struct.Struct("<II")
_OPT = struct.Struct("<HH")
SHB, IDB, EPB = 0x0A0D0D0A, 1, 6


def load_packets(path: Path, source_uuid: str, source_name: str) -> list[Packet]:
    """Every frame of a capture file, read with pcapy ``next()``."""
    reader = pcapy.open_offline(str(path))
    dlt = reader.datalink()
    packets = []
    while True:
        header, data = reader.next()
        if header is None:
            return packets
        sec, usec = header.getts()
        packets.append(Packet(source_uuid, source_name, dlt, sec + usec / 1_000_000,
                              bytes(data), header.getlen()))


def read_pcap_frames(path: Path) -> tuple[int, list[tuple[int, int, bytes, int]]]:
    """``(dlt, [(sec, usec, data, orig_len)])`` of a classic pcap, via pcapy."""
    reader = pcapy.open_offline(str(path))
    frames = []
    while True:
        header, data = reader.next()
        if header is None:
            return reader.datalink(), frames
        sec, usec = header.getts()
        frames.append((sec, usec, bytes(data), header.getlen()))


@dataclass
class Interface:
    linktype: int
    snaplen: int
    options: dict[int, bytes]

    @property
    def name(self) -> str:
        return self.options[2].decode()


@dataclass
class EnhancedPacket:
    interface_id: int
    timestamp_us: int
    data: bytes
    original_length: int


@dataclass
class ParsedStream:
    """A pcapng byte string, checked block by block."""

    shb_options: dict[int, bytes] = field(default_factory=dict)
    interfaces: list[Interface] = field(default_factory=list)
    packets: list[EnhancedPacket] = field(default_factory=list)
    block_types: list[int] = field(default_factory=list)
    consumed: int = 0


def parse_options(body: bytes) -> dict[int, bytes]:
    """Options up to end-of-options, which must end the body exactly."""
    options: dict[int, bytes] = {}
    offset = 0
    while True:
        code, length = _OPT.unpack_from(body, offset)
        offset += _OPT.size
        if code == 0:
            assert length == 0
            assert offset == len(body), "bytes after end-of-options"
            return options
        value = body[offset:offset + length]
        assert len(value) == length
        padded = (length + 3) & ~3
        assert body[offset + length:offset + padded] == b"\0" * (padded - length)
        options[code] = value
        offset += padded


def parse_pcapng(data: bytes, *, allow_partial: bool = False) -> ParsedStream:
    """Walk blocks, checking lengths, padding, options and interface references."""
    parsed = ParsedStream()
    offset = 0
    while offset < len(data):
        if len(data) - offset < _HEAD.size:
            break
        block_type, total = _HEAD.unpack_from(data, offset)
        assert total % 4 == 0 and total >= 12, f"bad block length {total}"
        if offset + total > len(data):
            break
        assert _U32.unpack_from(data, offset + total - 4)[0] == total, "trailing length"
        body = data[offset + 8:offset + total - 4]
        if not parsed.block_types:
            assert block_type == SHB, "stream must start with a section header"
        parsed.block_types.append(block_type)
        if block_type == SHB:
            magic, major, minor, section_length = struct.unpack_from("<IHHq", body)
            assert (magic, major, minor, section_length) == (0x1A2B3C4D, 1, 0, -1)
            parsed.shb_options = parse_options(body[16:])
        elif block_type == IDB:
            linktype, reserved, snaplen = struct.unpack_from("<HHI", body)
            assert reserved == 0
            parsed.interfaces.append(Interface(linktype, snaplen, parse_options(body[8:])))
        elif block_type == EPB:
            ifid, high, low, caplen, origlen = struct.unpack_from("<5I", body)
            assert ifid < len(parsed.interfaces), "EPB before its IDB"
            padded = (caplen + 3) & ~3
            assert len(body) == 20 + padded, "EPB with options or a wrong length"
            assert body[20 + caplen:] == b"\0" * (padded - caplen)
            assert origlen >= caplen
            parsed.packets.append(EnhancedPacket(ifid, (high << 32) | low,
                                                 body[20:20 + caplen], origlen))
        else:
            raise AssertionError(f"unexpected block type {block_type:#x}")
        offset += total
    parsed.consumed = offset
    if not allow_partial:
        assert offset == len(data), f"{len(data) - offset} trailing bytes"
    return parsed


@implementer(IConsumer)
class FakeConsumer:
    """A consumer that behaves like a transport with a send buffer.

    ``write`` adds to the unsent bytes; beyond ``high_water`` it pauses the
    producer (as a Twisted transport does). :meth:`send` empties the buffer and
    resumes the producer, which may pause it again while draining.
    """

    def __init__(self, high_water: int | None = None) -> None:
        self.high_water = high_water
        self.producer: Any = None
        self.streaming: bool | None = None
        self.written = bytearray()
        self.unsent = 0
        self.producer_paused = False
        self.finished = False
        self.unregistered = False
        self.writes = 0

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        assert self.producer is None
        self.producer = producer
        self.streaming = streaming

    def unregisterProducer(self) -> None:
        self.producer = None
        self.unregistered = True

    def write(self, data: bytes) -> None:
        assert not self.finished, "write after finish"
        self.written += data
        self.unsent += len(data)
        self.writes += 1
        if (self.high_water is not None and self.unsent > self.high_water
                and not self.producer_paused and self.producer is not None):
            self.pause()

    def finish(self) -> None:
        assert not self.finished, "finished twice"
        self.finished = True

    def pause(self) -> None:
        self.producer_paused = True
        self.producer.pauseProducing()

    def resume(self) -> None:
        self.producer_paused = False
        self.producer.resumeProducing()

    def send(self) -> None:
        """The client read everything; resume the producer if it was paused."""
        self.unsent = 0
        if self.producer_paused:
            self.resume()


Completed = subprocess.CompletedProcess[bytes]


def run_tshark(args: Sequence[str], stdin: bytes | None = None) -> Completed:
    """Run tshark with a deadline; output is bytes."""
    assert TSHARK is not None
    return subprocess.run([TSHARK, *args], input=stdin, capture_output=True, timeout=120,
                          check=False)


def tshark_fields(path_or_dash: str, fields: Sequence[str], stdin: bytes | None = None,
                  extra: Sequence[str] = ()) -> tuple[list[list[str]], Completed]:
    """Rows of ``-T fields`` output for ``fields``."""
    args = ["-r", path_or_dash, *extra, "-T", "fields", "-E", "separator=\t"]
    for name in fields:
        args += ["-e", name]
    done = run_tshark(args, stdin)
    rows = [line.split("\t") for line in done.stdout.decode().splitlines()]
    return rows, done


def decode_chunked(body: bytes) -> tuple[bytes, bool]:
    """An HTTP/1.1 chunked body: ``(payload, ended with the zero-length chunk)``."""
    payload = bytearray()
    offset = 0
    while True:
        line_end = body.find(b"\r\n", offset)
        if line_end < 0:
            return bytes(payload), False
        size = int(body[offset:line_end].split(b";")[0], 16)
        offset = line_end + 2
        if size == 0:
            return bytes(payload), body[offset:offset + 2] == b"\r\n"
        payload += body[offset:offset + size]
        assert body[offset + size:offset + size + 2] == b"\r\n"
        offset += size + 2
