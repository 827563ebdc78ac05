"""Classic libpcap files (handshake pcaps): a global header, then one record per frame."""

from __future__ import annotations

import struct
from collections.abc import Iterable

from kismet_tx.streams.pcapng import DEFAULT_SNAPLEN, timestamp_us

PCAP_MAGIC = 0xA1B2C3D4
#: magic, version major/minor, thiszone, sigfigs, snaplen, network (DLT).
PCAP_HEADER = struct.Struct("<IHHiIII")
#: ts_sec, ts_usec, incl_len, orig_len.
PCAP_RECORD = struct.Struct("<IIII")


def pcap_header(dlt: int, snaplen: int = DEFAULT_SNAPLEN) -> bytes:
    """The 24-byte global header of a microsecond pcap file."""
    return PCAP_HEADER.pack(PCAP_MAGIC, 2, 4, 0, 0, snaplen, dlt)


def pcap_record(ts: float, data: bytes, orig_len: int | None = None) -> bytes:
    """One record; ``orig_len`` defaults to, and is never below, ``len(data)``."""
    seconds, micros = divmod(timestamp_us(ts), 1_000_000)
    original = len(data) if orig_len is None else max(len(data), orig_len)
    return PCAP_RECORD.pack(seconds & 0xFFFFFFFF, micros, len(data), original) + data


def pcap_file(dlt: int, frames: Iterable[tuple[float, bytes, int]],
              snaplen: int = DEFAULT_SNAPLEN) -> bytes:
    """A whole file from ``(ts, data, orig_len)`` frames; just the header when there are none."""
    return pcap_header(dlt, snaplen) + b"".join(
        pcap_record(ts, data, orig_len) for ts, data, orig_len in frames)
