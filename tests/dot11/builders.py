"""Frame builders shared by the dot11 tests (pure bytes, no I/O)."""

from __future__ import annotations

import struct
import zlib

AP = bytes.fromhex("00c0ca112233")
STA = bytes.fromhex("a4b1c1d1e1f1")
BCAST = b"\xff" * 6
OTHER = bytes.fromhex("020000000099")


def fc(ftype: int, subtype: int, flags: int = 0, version: int = 0) -> bytes:
    """Frame control bytes."""
    return bytes([(subtype << 4) | (ftype << 2) | version, flags])


def mgmt(subtype: int, body: bytes = b"", a1: bytes = BCAST, a2: bytes = AP, a3: bytes = AP,
         flags: int = 0, seq: int = 0x123, frag: int = 0) -> bytes:  # fmt: skip
    """A management frame (24-byte header)."""
    return (fc(0, subtype, flags) + b"\x00\x00" + a1 + a2 + a3
            + struct.pack("<H", (seq << 4) | frag) + body)  # fmt: skip


def data(subtype: int = 0, flags: int = 0, a1: bytes = AP, a2: bytes = STA, a3: bytes = BCAST,
         a4: bytes | None = None, qos: int | None = None, htc: int | None = None,
         body: bytes = b"", seq: int = 7) -> bytes:  # fmt: skip
    """A data frame; ``a4`` for WDS, ``qos``/``htc`` appended after the addresses."""
    out = fc(2, subtype, flags) + b"\x2c\x00" + a1 + a2 + a3 + struct.pack("<H", seq << 4)
    if a4 is not None:
        out += a4
    if qos is not None:
        out += struct.pack("<H", qos)
    if htc is not None:
        out += struct.pack("<I", htc)
    return out + body


def ctrl(subtype: int, a1: bytes = AP, a2: bytes | None = None, rest: bytes = b"") -> bytes:
    """A control frame with RA and optional TA."""
    return fc(1, subtype) + b"\x00\x00" + a1 + (a2 or b"") + rest


def ie(tag: int, body: bytes) -> bytes:
    """One tagged element."""
    return bytes([tag, len(body)]) + body


def beacon_body(ies: bytes, capability: int = 0x0411, interval: int = 100,
                timestamp: int = 123456789) -> bytes:  # fmt: skip
    """Beacon/probe-response fixed fields plus IEs."""
    return struct.pack("<QHH", timestamp, interval, capability) + ies


def rsn_ie(group: int = 4, pairwise: tuple[int, ...] = (4,), akms: tuple[int, ...] = (2,),
           caps: int | None = 0, pmkids: tuple[bytes, ...] | None = None,
           group_mgmt: int | None = None, oui: bytes = b"\x00\x0f\xac") -> bytes:  # fmt: skip
    """RSN element (tag 48) from cipher/AKM type numbers."""
    body = struct.pack("<H", 1) + oui + bytes([group])
    body += struct.pack("<H", len(pairwise)) + b"".join(oui + bytes([p]) for p in pairwise)
    body += struct.pack("<H", len(akms)) + b"".join(oui + bytes([a]) for a in akms)
    if caps is not None:
        body += struct.pack("<H", caps)
        if pmkids is not None:
            body += struct.pack("<H", len(pmkids)) + b"".join(pmkids)
            if group_mgmt is not None:
                body += oui + bytes([group_mgmt])
    return ie(48, body)


def wpa_ie(group: int = 2, pairwise: tuple[int, ...] = (2,), akms: tuple[int, ...] = (2,),
           version: int = 1) -> bytes:  # fmt: skip
    """WPA vendor element (00:50:F2 type 1)."""
    oui = b"\x00\x50\xf2"
    body = oui + b"\x01" + struct.pack("<H", version) + oui + bytes([group])
    body += struct.pack("<H", len(pairwise)) + b"".join(oui + bytes([p]) for p in pairwise)
    body += struct.pack("<H", len(akms)) + b"".join(oui + bytes([a]) for a in akms)
    return ie(221, body)


def with_fcs(frame: bytes, good: bool = True) -> bytes:
    """Append the CRC-32 FCS (deliberately wrong when ``good`` is false)."""
    crc = zlib.crc32(frame)
    if not good:
        crc ^= 0xDEADBEEF
    return frame + struct.pack("<I", crc)


def radiotap(fields: list[tuple[int, bytes, int]], extra_words: tuple[int, ...] = (),
             tail: bytes = b"") -> bytes:  # fmt: skip
    """A radiotap header from ``(bit, value bytes, alignment)`` in bit order (one namespace).

    ``extra_words`` are appended present words (the first word gets the ext bit);
    ``tail`` is raw data appended after the aligned fields.
    """
    present = 0
    for bit, _v, _a in fields:
        present |= 1 << bit
    words = [present | (0x80000000 if extra_words else 0), *extra_words]
    hdr_len = 4 + 4 * len(words)
    out = bytearray()
    for _bit, value, align in fields:
        pos = hdr_len + len(out)
        out += b"\x00" * (-pos % align)
        out += value
    out += tail
    total = hdr_len + len(out)
    return struct.pack("<BBH", 0, 0, total) + b"".join(struct.pack("<I", w) for w in words) + out


def rt_basic(freq: int = 2437, signal: int = -42, flags: int = 0, rate: int = 2) -> bytes:
    """Radiotap with flags, rate, channel and dBm signal."""
    return radiotap(
        [
            (1, bytes([flags]), 1),
            (2, bytes([rate]), 1),
            (3, struct.pack("<HH", freq, 0x00A0), 2),
            (5, struct.pack("<b", signal), 1),
        ]
    )
