"""Byte-level checks of the pcapng and pcap encoders."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from librt.strings import BytesWriter

from kismet_tx import __version__
from kismet_tx.streams.packet import Packet
from kismet_tx.streams.pcap import pcap_file, pcap_header, pcap_record
from kismet_tx.streams.pcapng import (
    EPB_HEAD,
    EPB_TYPE,
    PcapngEncoder,
    encode_option,
    encode_options,
    enhanced_packet,
    epb_size,
    interface_description,
    section_header,
    timestamp_us,
    write_enhanced_packet,
)
from tests.streams.helpers import EPB, IDB, SHB, parse_options, parse_pcapng


def _packet(uuid: str = "u1", name: str = "wlan0", dlt: int = 127, ts: float = 1.5,
            data: bytes = b"\x01\x02\x03", original_length: int = 3) -> Packet:
    return Packet(uuid, name, dlt, ts, data, original_length)


def test_section_header_layout() -> None:
    block = section_header()
    block_type, total, magic, major, minor, section_length = struct.unpack_from("<IIIHHq", block)
    assert (block_type, magic, major, minor, section_length) == (SHB, 0x1A2B3C4D, 1, 0, -1)
    assert total == len(block) and total % 4 == 0
    assert struct.unpack_from("<I", block, total - 4)[0] == total
    options = parse_options(block[24:-4])
    assert options == {4: f"kismet_tx {__version__}".encode()}


def test_section_header_optional_hardware_and_os() -> None:
    block = section_header("app", hardware="x86_64", os="Linux 6.1")
    assert parse_options(block[24:-4]) == {4: b"app", 2: b"x86_64", 3: b"Linux 6.1"}
    assert len(block) % 4 == 0


@pytest.mark.parametrize("linktype", [127, 105, 119, 192, 163, 251])
def test_interface_description_passes_the_dlt_through(linktype: int) -> None:
    block = interface_description(linktype, "wlan0mon")
    block_type, total, dlt, reserved, snaplen = struct.unpack_from("<IIHHI", block)
    assert (block_type, total, dlt, reserved, snaplen) == (IDB, len(block), linktype, 0, 65535)
    assert parse_options(block[16:-4]) == {2: b"wlan0mon", 9: b"\x06"}


@pytest.mark.parametrize("name", ["a", "ab", "abc", "abcd", "abcde", "wlan0mon", "é-src"])
def test_option_values_are_padded_to_four_bytes(name: str) -> None:
    block = interface_description(127, name, description="capture interface for wlan0")
    assert len(block) % 4 == 0
    options = parse_options(block[16:-4])
    assert options[2] == name.encode()
    assert options[3] == b"capture interface for wlan0"


def test_option_encoding() -> None:
    assert encode_option(2, b"abcde") == b"\x02\x00\x05\x00abcde\0\0\0"
    assert encode_option(2, b"") == b"\x02\x00\x00\x00"
    assert encode_options([]) == b""
    assert encode_options([(1, b"x")]) == b"\x01\x00\x01\x00x\0\0\0" + b"\0" * 4
    with pytest.raises(ValueError):
        encode_option(1, b"x" * 65536)


@pytest.mark.parametrize("size", range(9))
def test_enhanced_packet_layout_and_padding(size: int) -> None:
    data = bytes(range(1, size + 1))
    block = enhanced_packet(3, 1_700_000_000.123456, data, size + 10)
    block_type, total, ifid, high, low, caplen, origlen = struct.unpack_from("<7I", block)
    assert (block_type, ifid, caplen, origlen) == (EPB, 3, size, size + 10)
    assert total == len(block) == 32 + ((size + 3) & ~3) == epb_size(size)
    assert (high << 32) | low == 1_700_000_000_123_456
    assert block[28:28 + size] == data
    assert block[28 + size:total - 4] == b"\0" * (total - 32 - size)
    assert struct.unpack_from("<I", block, total - 4)[0] == total


@pytest.mark.parametrize("size", range(9))
def test_enhanced_packet_options_follow_the_padded_data(size: int) -> None:
    data = bytes(range(1, size + 1))
    options = encode_options([(1, b"gps")])
    out = BytesWriter()
    write_enhanced_packet(out, 0, 2.0, data, size, options)
    block = out.getvalue()
    total = struct.unpack_from("<I", block, 4)[0]
    padded = (size + 3) & ~3
    assert total == len(block) == 32 + padded + len(options)
    assert block[28 + size:28 + padded] == b"\0" * (padded - size)
    assert parse_options(block[28 + padded:total - 4]) == {1: b"gps"}
    assert struct.unpack_from("<I", block, total - 4)[0] == total


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0, 2**44, allow_nan=False),
       st.integers(0, 2**32 - 1), st.binary(max_size=9))
def test_enhanced_packet_header_is_its_struct_layout(interface_id: int, ts: float,
                                                     original: int, data: bytes) -> None:
    """Every header word, stored as a signed 32-bit write, has the unsigned
    word's bytes: any interface id, any time (past 2**32 s too), any original length."""
    out = BytesWriter()
    out.write(b"x")  # blocks follow one another in a batch
    total = write_enhanced_packet(out, interface_id, ts, data, original)
    block = out.getvalue()[1:]
    stamp = timestamp_us(ts)
    assert block[:28] == EPB_HEAD.pack(EPB_TYPE, total, interface_id,
                                       (stamp >> 32) & 0xFFFFFFFF, stamp & 0xFFFFFFFF,
                                       len(data), max(original, len(data)))
    assert len(block) == total and block[28:28 + len(data)] == data
    assert block[-4:] == struct.pack("<I", total)


def test_enhanced_packet_original_length_never_below_captured() -> None:
    block = enhanced_packet(0, 0.0, b"abcdef", 2)
    assert struct.unpack_from("<5I", block, 8)[3:] == (6, 6)


def test_timestamps_are_whole_microseconds() -> None:
    assert timestamp_us(1115719266 + 609737 / 1_000_000) == 1115719266609737
    assert timestamp_us(1_700_000_000.000001) == 1_700_000_000_000_001
    assert timestamp_us(-5.0) == 0


def test_encoder_emits_shb_once_then_idbs_lazily_per_source_and_dlt() -> None:
    encoder = PcapngEncoder()
    stream = encoder.header()
    assert encoder.header() == b""
    sequence = [_packet("a", "alpha", 127), _packet("a", "alpha", 127),
                _packet("b", "beta", 105), _packet("a", "alpha", 119),
                _packet("b", "beta", 105), _packet("a", "alpha", 127)]
    for packet in sequence:
        stream += encoder.encode(packet) or b""
    parsed = parse_pcapng(stream)
    assert parsed.block_types == [SHB, IDB, EPB, EPB, IDB, EPB, IDB, EPB, EPB, EPB]
    assert [(i.name, i.linktype) for i in parsed.interfaces] == [
        ("alpha", 127), ("beta", 105), ("alpha", 119)]
    assert [p.interface_id for p in parsed.packets] == [0, 0, 1, 2, 1, 0]
    assert encoder.interfaces == {("a", 127): 0, ("b", 105): 1, ("a", 119): 2}


def test_encoder_without_header_call_puts_shb_before_first_packet() -> None:
    encoder = PcapngEncoder(userappl="test app")
    stream = encoder.encode_all([_packet(), _packet()])
    parsed = parse_pcapng(stream)
    assert parsed.shb_options[4] == b"test app"
    assert len(parsed.packets) == 2 and encoder.header() == b""


def test_refused_encoding_records_nothing() -> None:
    encoder = PcapngEncoder()
    encoder.header()
    big = _packet("a", "alpha", data=b"x" * 100)
    assert encoder.encode(big, budget=50) is None
    assert encoder.interfaces == {}
    small = _packet("b", "beta", data=b"y")
    first = encoder.encode(small, budget=200)
    assert first is not None
    again = encoder.encode(big, budget=10_000)
    assert again is not None
    parsed = parse_pcapng(section_header() + first + again)
    assert [i.name for i in parsed.interfaces] == ["beta", "alpha"]
    assert [p.interface_id for p in parsed.packets] == [0, 1]


def test_budget_counts_the_idb_and_shb_it_carries() -> None:
    encoder = PcapngEncoder()
    packet = _packet(data=b"z" * 8)
    epb_only = len(enhanced_packet(0, packet.ts, packet.data, packet.original_length))
    full = len(section_header()) + len(interface_description(127, "wlan0")) + epb_only
    assert encoder.encode(packet, budget=full - 1) is None
    assert not encoder.header_emitted
    assert encoder.encode(packet, budget=full) is not None
    assert encoder.encode(packet, budget=epb_only) is not None
    assert encoder.encode(packet, budget=epb_only - 1) is None


def test_describe_sets_if_description() -> None:
    encoder = PcapngEncoder(describe=lambda p: f"capture interface for {p.source_name}mon")
    parsed = parse_pcapng(encoder.encode_all([_packet(name="wlan0")]))
    assert parsed.interfaces[0].options[3] == b"capture interface for wlan0mon"


def test_pcap_header_and_records() -> None:
    header = pcap_header(105, 4096)
    assert struct.unpack("<IHHiIII", header) == (0xA1B2C3D4, 2, 4, 0, 0, 4096, 105)
    record = pcap_record(1115719266.609737, b"abc", 10)
    assert struct.unpack_from("<4I", record) == (1115719266, 609737, 3, 10)
    assert record[16:] == b"abc"
    assert struct.unpack_from("<4I", pcap_record(2.0, b"abcd"))[2:] == (4, 4)
    assert pcap_file(127, []) == pcap_header(127)
    assert len(pcap_file(127, [(1.0, b"a", 1), (2.0, b"bc", 2)])) == 24 + 17 + 18


def test_encoders_import_no_twisted() -> None:
    code = ("import sys, kismet_tx.streams.pcapng, kismet_tx.streams.pcap; "
            "sys.exit('twisted' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parents[2],
                          check=False)
    assert done.returncode == 0
