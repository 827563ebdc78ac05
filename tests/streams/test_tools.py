"""Encoded streams and pcaps read back by tshark and aircrack-ng."""

from __future__ import annotations

import json
import os
import select
import subprocess
import time
from pathlib import Path

import pytest

from kismet_tx.streams.packet import Packet
from kismet_tx.streams.pcap import pcap_file
from kismet_tx.streams.pcapng import PcapngEncoder
from tests.streams.helpers import (
    AIRCRACK,
    INDUCTION,
    PRISM,
    TSHARK,
    needs_aircrack,
    needs_tshark,
    parse_pcapng,
    read_pcap_frames,
    run_tshark,
    tshark_fields,
)

pytestmark = needs_tshark

FIELDS = ["frame.interface_id", "frame.interface_name", "frame.len", "frame.cap_len",
          "frame.time_epoch"]


def _mixed(induction: list[Packet], prism: list[Packet]) -> list[Packet]:
    """Radiotap packets with the 13 prism packets spread among them."""
    mixed: list[Packet] = []
    step = len(induction) // len(prism)
    for index, packet in enumerate(induction):
        mixed.append(packet)
        if index % step == step - 1 and index // step < len(prism):
            mixed.append(prism[index // step])
    assert len(mixed) == len(induction) + len(prism)
    return mixed


def _raw_frames(path_or_dash: str, stdin: bytes | None = None) -> list[bytes]:
    done = run_tshark(["-r", path_or_dash, "-T", "json", "-x", "-J", "frame"], stdin)
    assert done.returncode == 0, done.stderr
    return [bytes.fromhex(item["_source"]["layers"]["frame_raw"][0])
            for item in json.loads(done.stdout)]


def _original_rows(path: Path) -> list[list[str]]:
    rows, done = tshark_fields(str(path), ["frame.len", "frame.cap_len", "frame.time_epoch"])
    assert done.returncode == 0
    return rows


def test_mixed_sources_round_trip_through_tshark(tmp_path: Path, induction: list[Packet],
                                                 prism: list[Packet]) -> None:
    mixed = _mixed(induction, prism)
    path = tmp_path / "mixed.pcapng"
    path.write_bytes(PcapngEncoder().encode_all(mixed))

    rows, done = tshark_fields(str(path), FIELDS)
    assert done.returncode == 0, done.stderr
    assert len(rows) == len(mixed) == 1106
    expected_ids = ["0" if p.dlt == 127 else "1" for p in mixed]
    assert [row[0] for row in rows] == expected_ids
    assert [row[1] for row in rows] == [p.source_name for p in mixed]
    assert [int(row[2]) for row in rows] == [p.original_length for p in mixed]
    assert [int(row[3]) for row in rows] == [len(p.data) for p in mixed]

    # Lengths and microsecond times agree with tshark's reading of the originals.
    ours_radiotap = [row[2:] for row in rows if row[0] == "0"]
    ours_prism = [row[2:] for row in rows if row[0] == "1"]
    assert ours_radiotap == _original_rows(INDUCTION)
    assert ours_prism == _original_rows(PRISM)

    # Every byte of every frame.
    assert _raw_frames(str(path)) == [p.data for p in mixed]


def test_link_types_reported_per_interface(tmp_path: Path, induction: list[Packet],
                                           prism: list[Packet]) -> None:
    path = tmp_path / "two.pcapng"
    path.write_bytes(PcapngEncoder().encode_all([induction[0], prism[0]]))
    rows, done = tshark_fields(str(path), ["frame.interface_name", "frame.protocols"])
    assert done.returncode == 0
    assert rows[0][0] == "wlan0mon" and rows[0][1].startswith("radiotap:")
    assert rows[1][0] == "prism-source" and rows[1][1].startswith("prism:")


def test_tshark_reads_stdin_while_the_stream_is_still_written(induction: list[Packet],
                                                              prism: list[Packet]) -> None:
    """The first half is read and dissected before the rest is even written."""
    mixed = _mixed(induction, prism)
    half = len(mixed) // 2
    encoder = PcapngEncoder()
    first = encoder.header() + b"".join(encoder.encode(p) or b"" for p in mixed[:half])
    rest = b"".join(encoder.encode(p) or b"" for p in mixed[half:])
    assert TSHARK is not None
    proc = subprocess.Popen([TSHARK, "-r", "-", "-l", "-T", "fields", "-e", "frame.len"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(first)
        proc.stdin.flush()
        seen = b""
        deadline = time.monotonic() + 60
        while seen.count(b"\n") < half and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], deadline - time.monotonic())
            if not ready:
                break
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            seen += chunk
        assert proc.poll() is None, "tshark stopped before the stream ended"
        assert [int(n) for n in seen.decode().split()] == [
            p.original_length for p in mixed[:half]]
        proc.stdin.write(rest)
        proc.stdin.close()
        tail = proc.stdout.read()
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert len((seen + tail).split()) == len(mixed)


@pytest.mark.parametrize("cut", ["whole blocks", "mid block"])
def test_a_partly_written_file_is_readable(tmp_path: Path, induction: list[Packet],
                                           cut: str) -> None:
    encoder = PcapngEncoder()
    blocks = [encoder.header()] + [encoder.encode(p) or b"" for p in induction[:100]]
    prefix = b"".join(blocks[:51])
    if cut == "mid block":
        prefix += blocks[51][: len(blocks[51]) // 2]
    path = tmp_path / "partial.pcapng"
    path.write_bytes(prefix)
    rows, done = tshark_fields(str(path), ["frame.len"])
    # Every complete packet is read; a cut record may only add tshark's
    # "cut short in the middle of a packet" note.
    assert [int(row[0]) for row in rows] == [p.original_length for p in induction[:50]]
    if cut == "whole blocks":
        assert done.returncode == 0
    else:
        assert done.returncode in (0, 2)
        assert b"cut short" in done.stderr or done.returncode == 0
    assert len(parse_pcapng(prefix, allow_partial=True).packets) == 50


def test_classic_pcap_read_by_tshark(tmp_path: Path, prism: list[Packet]) -> None:
    path = tmp_path / "prism.pcap"
    path.write_bytes(pcap_file(119, [(p.ts, p.data, p.original_length) for p in prism]))
    rows, done = tshark_fields(str(path), ["frame.len", "frame.cap_len", "frame.time_epoch"])
    assert done.returncode == 0
    assert rows == _original_rows(PRISM)
    dlt, frames = read_pcap_frames(path)
    original_dlt, original = read_pcap_frames(PRISM)
    assert (dlt, frames) == (original_dlt, original)


def test_empty_pcap_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "empty.pcap"
    path.write_bytes(pcap_file(105, []))
    rows, done = tshark_fields(str(path), ["frame.len"])
    assert done.returncode == 0 and rows == []


_EAPOL_SNAP = b"\xaa\xaa\x03\x00\x00\x00\x88\x8e"


def _beacon_and_eapol(packets: list[Packet], bssid: bytes) -> list[Packet]:
    """The first beacon of ``bssid`` and every EAPOL data frame, by plain byte checks."""
    beacon = next(p for p in packets if p.data[0] == 0x80 and p.data[16:22] == bssid)
    eapol = [p for p in packets
             if p.data[0] & 0x0C == 0x08 and p.data.find(_EAPOL_SNAP, 24, 40) >= 0]
    return [beacon, *eapol]


def _aircrack(path: Path) -> str:
    assert AIRCRACK is not None
    done = subprocess.run([AIRCRACK, str(path)], stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=120, check=False)
    return done.stdout.decode(errors="replace")


@needs_aircrack
def test_aircrack_finds_the_handshake_in_a_written_pcap(tmp_path: Path,
                                                        n02: list[Packet]) -> None:
    frames = _beacon_and_eapol(n02, bytes.fromhex("b0b98a568dea"))
    assert len(frames) == 5
    path = tmp_path / "handshake.pcap"
    path.write_bytes(pcap_file(105, [(p.ts, p.data, p.original_length) for p in frames]))
    output = _aircrack(path)
    assert "Read 5 packets" in output
    line = next(line for line in output.splitlines() if "B0:B9:8A:56:8D:EA" in line)
    assert "Neheb" in line and "1 handshake" in line


@needs_aircrack
def test_aircrack_reads_a_prism_handshake_pcap(tmp_path: Path, prism: list[Packet]) -> None:
    path = tmp_path / "prism-handshake.pcap"
    path.write_bytes(pcap_file(119, [(p.ts, p.data, p.original_length) for p in prism]))
    line = next(line for line in _aircrack(path).splitlines() if "00:0D:93:EB:B0:8C" in line)
    assert "test" in line and "1 handshake" in line
