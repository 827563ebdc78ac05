"""Streams carry Kismet's GPS option on packets captured with a fix."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path
from types import SimpleNamespace

from twisted.internet import task

from kismet_tx.builders.tracking import gps_epb_options
from kismet_tx.chain import Packet as ChainPacket
from kismet_tx.chain import classify, default_decoder
from kismet_tx.gps.location import FIX_3D, NO_FIX, Location
from kismet_tx.gps.pcapng import KISMET_PEN, OPT_CUSTOM_BINARY, parse_gps_option
from kismet_tx.streams.feed import EncodedFeed

FRAME = bytes.fromhex("80000000ffffffffffff0011223344550011223344550000") + bytes(12)


class Collector:
    def __init__(self) -> None:
        self.data = b""

    def deliver(self, batch: object) -> None:
        self.data += batch.data  # type: ignore[attr-defined]


def _chain_packet(ts: float, location: Location | None) -> ChainPacket:
    source = SimpleNamespace(uuid="5FE308BD-0000-0000-0000-000000000001", source_name="gps-test")
    packet = ChainPacket(source, ts, 105, FRAME, len(FRAME),  # type: ignore[arg-type]
                         *classify(default_decoder(), 105, FRAME))
    packet.location = location
    return packet


def _epb_options(stream: bytes) -> list[bytes]:
    """The raw option area of every Enhanced Packet Block."""
    out, pos = [], 0
    while pos + 8 <= len(stream):
        block_type, total = struct.unpack_from("<II", stream, pos)
        if block_type == 6:
            caplen = struct.unpack_from("<I", stream, pos + 20)[0]
            start = pos + 28 + caplen + (-caplen & 3)
            out.append(stream[start:pos + total - 4])
        pos += total
    return out


def test_packets_with_a_fix_carry_the_gps_option(tmp_path: Path) -> None:
    clock = task.Clock()
    feed = EncodedFeed("all", None, clock, packet_options=gps_epb_options)
    member = Collector()
    stream = feed.join(member)
    here = Location(lat=51.5007, lon=-0.1246, alt=35.0, fix=FIX_3D)
    for ts, location in ((1.0, here), (2.0, None), (3.0, Location(0.0, 0.0, fix=NO_FIX))):
        feed.offer(_chain_packet(ts, location))
    feed.flush()
    stream += member.data
    options = _epb_options(stream)
    assert len(options) == 3
    assert options[1] == options[2] == b""
    code, length = struct.unpack_from("<HH", options[0])
    assert code == OPT_CUSTOM_BINARY
    assert struct.unpack_from("<I", options[0], 4)[0] == KISMET_PEN
    lat, lon, alt = parse_gps_option(options[0][4:4 + length])
    assert (round(lat, 4), round(lon, 4), round(alt or 0, 1)) == (51.5007, -0.1246, 35.0)
    path = tmp_path / "gps.pcapng"
    path.write_bytes(stream)
    done = subprocess.run(["tshark", "-r", str(path), "-T", "fields", "-e", "frame.number"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "2", "3"]
