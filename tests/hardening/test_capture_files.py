"""Capture files the test writes, replayed through the whole server (real pcapy reader).

tests/dot11/test_fuzz.py already runs every frame decoder over arbitrary bytes;
tests/capture/test_pcapfile.py replays the real captures, one truncated. Here
the files themselves are bad: zero-length, cut short anywhere, of a link type
no decoder reads, pcapng with unknown (or malformed) block types, and
Hypothesis-built pcap and pcapng files with wrong lengths, flipped bytes and
odd blocks. A source either finishes its replay or ends in the error state
with a reason and an ERROR message on the bus; the server logs no traceback
and keeps answering.
"""

from __future__ import annotations

import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kismet_tx.capture.datasource import Datasource
from kismet_tx.messagebus import ERROR
from tests.capture.conftest import beacon, radiotap_beacon
from tests.hardening.rig import LogCapture, Rig, basic, build_rig

FUZZ = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
PCAP_MAGICS = (0xA1B2C3D4, 0xA1B23C4D)
SHB, IDB, EPB, SPB, OPB = 0x0A0D0D0A, 1, 6, 3, 2


def pcap(dlt: int, frames: list[bytes], magic: int = 0xA1B2C3D4, snaplen: int = 65535,
         endian: str = "<") -> bytes:
    """A classic pcap file."""
    out = struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, snaplen, dlt)
    for index, frame in enumerate(frames):
        out += struct.pack(endian + "IIII", 1_600_000_000, index, len(frame), len(frame))
        out += frame
    return out


def block(kind: int, body: bytes, endian: str = "<") -> bytes:
    """One pcapng block, padded, with both length fields."""
    body += b"\0" * (-len(body) % 4)
    size = len(body) + 12
    return struct.pack(endian + "II", kind, size) + body + struct.pack(endian + "I", size)


def shb(endian: str = "<") -> bytes:
    return block(SHB, struct.pack(endian + "IHHq", 0x1A2B3C4D, 1, 0, -1), endian)


def idb(dlt: int, endian: str = "<") -> bytes:
    return block(IDB, struct.pack(endian + "HHI", dlt, 0, 65535), endian)


def epb(frame: bytes, index: int = 0, interface: int = 0, endian: str = "<") -> bytes:
    head = struct.pack(endian + "IIIII", interface, 0, index, len(frame), len(frame))
    return block(EPB, head + frame, endian)


def pcapng(dlt: int, frames: list[bytes], between: bytes = b"") -> bytes:
    """A pcapng file: section header, one interface, ``between``, then the packets."""
    return shb() + idb(dlt) + between + b"".join(epb(f, i) for i, f in enumerate(frames))


@dataclass
class Outcome:
    """What replaying one file did."""

    source: Datasource | None
    refused: str | None
    errors: list[str]


def replay(rig: Rig, path: Path) -> Outcome:
    """Add ``path`` as a source and run the server until it has nothing left to do."""
    mark = len(rig.service.bus.messages())
    try:
        source = rig.service.datasources.add(str(path))
    except ValueError as exc:  # SourceDefinitionError: the file cannot even be read
        return Outcome(None, str(exc), [])
    rig.run()
    errors = [m.text for m in rig.service.bus.messages()[mark:] if m.flags & ERROR]
    return Outcome(source, None, errors)


def assert_handled(outcome: Outcome, logs: LogCapture) -> None:
    """Finished cleanly, or in the error state with a reason and an ERROR message."""
    assert not [line for line in logs.lines if "Traceback" in line], logs.lines[-5:]
    if outcome.refused is not None:
        assert outcome.refused
        return
    source = outcome.source
    assert source is not None and not source.capturing
    if source.error:
        assert source.error_reason
        assert any(source.error_reason in text for text in outcome.errors), outcome.errors
    else:
        assert source.finished and not outcome.errors


CUT = pcap(127, [radiotap_beacon()] * 3)
CASES = {
    "zero-length": (b"", "truncated dump file", 0),
    "header cut short": (CUT[:10], "truncated dump file", 0),
    "last record cut short": (CUT[:-5], "truncated dump file", 2),
    "record header cut short": (CUT[:24 + 16 + len(radiotap_beacon()) + 7],
                                "truncated dump file", 1),
    "not a capture": (b"this is not a capture file at all", "unknown file format", 0),
    "unknown DLT": (pcap(999, [b"\x01\x02\x03"] * 3), "unsupported link type DLT 999", 0),
    "Ethernet DLT": (pcap(1, [b"\xff" * 14 + b"data"] * 3), "unsupported link type DLT 1", 0),
    "capture length over snaplen": (
        pcap(105, []) + struct.pack("<IIII", 1, 0, 0x7FFFFFFF, 10) + b"x" * 10,
        "bigger than snaplen", 0),
    "pcapng cut short": (pcapng(105, [beacon()] * 3)[:-7], "truncated pcapng", 2),
    "pcapng unknown DLT": (pcapng(4242, [beacon()]), "unsupported link type DLT 4242", 0),
    "pcapng block length below 12": (
        pcapng(105, [beacon()], struct.pack("<II", 0x0BADBEEF, 7) + b"abc"), "length of 7", 0),
    "pcapng block length huge": (
        pcapng(105, [beacon()], struct.pack("<II", 0x0BADBEEF, 0xFFFFFFF0) + b"abc"),
        "block size", 0),
    "pcapng packet on a missing interface": (
        shb() + idb(105) + epb(beacon(), 0, interface=3), "interface", 0),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_capture_files_end_in_the_error_state(rig: Rig, tmp_path: Path, name: str,
                                                  logs: LogCapture) -> None:
    data, reason, frames = CASES[name]
    path = tmp_path / f"{name.replace(' ', '-')}.pcap"
    path.write_bytes(data)
    outcome = replay(rig, path)
    assert_handled(outcome, logs)
    source = outcome.source
    assert source is not None and source.error, name
    assert reason in source.error_reason
    assert source.num_packets == frames
    record = rig.get(f"/datasource/by-uuid/{source.uuid}/source.json")
    assert record.code == 200 and b'"kismet.datasource.error":1' in record.body
    assert rig.get("/devices/views/all/devices.json").code == 200


def test_pcapng_unknown_block_types_are_skipped(rig: Rig, tmp_path: Path,
                                                logs: LogCapture) -> None:
    """Blocks of a type the reader does not know are legal pcapng: skipped, not fatal."""
    odd = (block(0x0BADBEEF, b"custom") + block(0x00000BAD, b"") + block(0x80000001, b"x" * 9)
           + block(5, b"\0" * 20))  # 5: an Interface Statistics Block
    path = tmp_path / "unknown-blocks.pcapng"
    path.write_bytes(pcapng(105, [beacon(), beacon(ssid=b"two")], odd)
                     + block(0x40000123, b"trailing"))
    outcome = replay(rig, path)
    assert_handled(outcome, logs)
    assert outcome.source is not None and not outcome.source.error
    assert outcome.source.num_packets == 2


@pytest.mark.parametrize("target, reason, status", [
    ("missing.pcap", "cannot read capture file: {}: No such file or directory", 400),
    ("", "cannot read capture file: {}: Is a directory", 400),
    # A file that is there but cannot be opened as a capture: Kismet's 500.
    ("empty.pcap", "could not open source: {}: truncated dump file", 500),
])
def test_add_source_refuses_what_it_cannot_replay(rig: Rig, tmp_path: Path, target: str,
                                                  reason: str, status: int) -> None:
    """add_source.cmd: 400 or 500 with the reason, and no source is left behind."""
    (tmp_path / "empty.pcap").write_bytes(b"")
    path = str(tmp_path / target) if target else str(tmp_path)
    reply = rig.post("/datasource/add_source.cmd",
                     headers={**basic(), "Content-Type": "application/json"},
                     body=f'{{"definition": "{path}/" }}'.encode() if not target else
                     f'{{"definition": "{path}"}}'.encode())
    assert reply.code == status
    assert reason.format(path.rstrip("/")) in reply.text
    assert len(rig.service.datasources.sources()) == 1


# -- Hypothesis: files built from parts, then damaged ------------------------------------

frames = st.lists(st.one_of(st.binary(max_size=120), st.just(radiotap_beacon()),
                            st.just(beacon())), max_size=6)
dlts = st.one_of(st.sampled_from([105, 119, 127, 163, 192]), st.integers(0, 0xFFFF))


@st.composite
def pcap_files(draw: st.DrawFn) -> bytes:
    endian = draw(st.sampled_from("<>"))
    out = struct.pack(endian + "IHHiII", draw(st.sampled_from(PCAP_MAGICS)),
                      draw(st.sampled_from([2, 2, 1, 3])), 4, 0, 0,
                      draw(st.sampled_from([65535, 262144, 0, 10, 0xFFFFFFFF])))
    out += struct.pack(endian + "I", draw(dlts))
    for index, frame in enumerate(draw(frames)):
        caplen = draw(st.one_of(st.just(len(frame)), st.integers(0, 0xFFFFFFFF)))
        out += struct.pack(endian + "IIII", 1_600_000_000 + index, draw(st.integers(0, 2**32 - 1)),
                           caplen, draw(st.integers(0, 0xFFFFFFFF))) + frame
    return out


@st.composite
def pcapng_files(draw: st.DrawFn) -> bytes:
    endian = draw(st.sampled_from("<>"))
    out = shb(endian)
    interfaces = draw(st.integers(0, 3))
    for _ in range(interfaces):
        out += idb(draw(dlts), endian)
    for index in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from([EPB, EPB, EPB, SPB, OPB, IDB, 5, 0x0BADBEEF, SHB,
                                     0x80000001]))
        if kind == EPB:
            out += epb(draw(st.binary(max_size=100)), index, draw(st.integers(0, 4)), endian)
        elif kind == IDB:
            out += idb(draw(dlts), endian)
        elif kind == SHB:
            out += shb(endian)
        else:
            out += block(kind, draw(st.binary(max_size=40)), endian)
    return out


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    data = draw(st.one_of(pcap_files(), pcapng_files()))
    action = draw(st.sampled_from(["none", "cut", "flip", "splice"]))
    if action == "cut" and data:
        data = data[:draw(st.integers(0, len(data) - 1))]
    elif action == "flip" and data:
        raw = bytearray(data)
        for _ in range(draw(st.integers(1, 8))):
            raw[draw(st.integers(0, len(raw) - 1))] = draw(st.integers(0, 255))
        data = bytes(raw)
    elif action == "splice":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=64)) + data[at:]
    return data


@FUZZ
@given(data=damaged())
def test_any_capture_file_is_replayed_or_refused(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as where, LogCapture() as logs:
        rig = build_rig(Path(where))
        try:
            path = Path(where) / "fuzzed.pcap"
            path.write_bytes(data)
            assert_handled(replay(rig, path), logs)
            assert rig.get("/datasource/all_sources.json").code == 200
        finally:
            rig.stop()
