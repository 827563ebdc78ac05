"""pcapng block encoders and the per-stream :class:`PcapngEncoder` (pure, no Twisted).

Blocks are written little-endian, as Kismet writes them in host order on the
machines it runs on:

- Section Header Block: byte-order magic, version 1.0, section length -1,
  ``shb_userappl`` (plus optional ``shb_hardware`` and ``shb_os``);
- Interface Description Block: the packet's DLT passed through as linktype,
  ``if_name`` = source name, ``if_tsresol`` = 6 (microseconds),
  optional ``if_description``;
- Enhanced Packet Block: interface id, 64-bit microsecond timestamp split
  high/low, captured and original length, data padded to 4 bytes.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Iterable
from typing import Final

from librt.strings import BytesWriter, write_i32_le
from mypy_extensions import i32

from kismet_tx import __version__
from kismet_tx.streams.packet import StreamPacket

SHB_TYPE: Final = 0x0A0D0D0A
IDB_TYPE: Final = 0x00000001
EPB_TYPE: Final = 0x00000006
BYTE_ORDER_MAGIC: Final = 0x1A2B3C4D

OPT_ENDOFOPT: Final = 0
OPT_COMMENT: Final = 1
SHB_HARDWARE: Final = 2
SHB_OS: Final = 3
SHB_USERAPPL: Final = 4
IF_NAME: Final = 2
IF_DESCRIPTION: Final = 3
IF_TSRESOL: Final = 9

#: ``if_tsresol`` value: 10^-6 seconds.
TSRESOL_MICROSECONDS: Final = 6
#: Kismet's IDB snap length.
DEFAULT_SNAPLEN: Final = 65535
#: The ``shb_userappl`` this server writes.
USERAPPL: Final = f"kismet_tx {__version__}"

#: Block type and total length (the start of every block).
BLOCK_HEAD: Final = struct.Struct("<II")
#: The trailing copy of the total length.
BLOCK_TAIL: Final = struct.Struct("<I")
#: SHB body: byte-order magic, major, minor, section length.
SHB_BODY: Final = struct.Struct("<IHHq")
#: IDB body: linktype, reserved, snaplen.
IDB_BODY: Final = struct.Struct("<HHI")
#: A whole EPB header: type, total length, interface id, ts high, ts low, caplen, origlen.
EPB_HEAD: Final = struct.Struct("<IIIIIII")
#: Option code and value length.
OPTION_HEAD: Final = struct.Struct("<HH")

_END_OF_OPTIONS: Final = OPTION_HEAD.pack(OPT_ENDOFOPT, 0)
#: Indexed by ``length & 3``. Typed as a variable-length tuple, so compiled code keeps one
#: tuple object: a fixed-shape ``Final`` tuple is stored unboxed and boxed anew at each
#: indexed use.
_PADDING: Final[tuple[bytes, ...]] = (b"", b"\0\0\0", b"\0\0", b"\0")
_MAX_OPTION_VALUE: Final = 0xFFFF


def padding(length: int) -> bytes:
    """The zero bytes that pad ``length`` up to a multiple of 4."""
    return _PADDING[length & 3]


def timestamp_us(ts: float) -> int:
    """Seconds since the epoch as whole microseconds (never negative)."""
    return max(0, round_half_even(ts * 1_000_000))


def round_half_even(x: float) -> int:
    """``round(x)``, with ``math.floor`` (a C call in compiled code; ``round`` is a
    builtin looked up and called through Python)."""
    whole = math.floor(x)
    rest = x - whole  # exact: a double minus its floor
    if rest > 0.5 or (rest == 0.5 and whole & 1):
        whole += 1
    return whole


def encode_option(code: int, value: bytes) -> bytes:
    """One option: code, length, value padded to 4 bytes."""
    if len(value) > _MAX_OPTION_VALUE:
        raise ValueError(f"option {code} value is {len(value)} bytes, at most 65535 fit")
    return OPTION_HEAD.pack(code, len(value)) + value + padding(len(value))


def encode_options(options: Iterable[tuple[int, bytes]]) -> bytes:
    """Options followed by end-of-options; empty when there are none."""
    body = b"".join(encode_option(code, value) for code, value in options)
    return body + _END_OF_OPTIONS if body else b""


def _block(block_type: int, body: bytes) -> bytes:
    total = BLOCK_HEAD.size + len(body) + BLOCK_TAIL.size
    return BLOCK_HEAD.pack(block_type, total) + body + BLOCK_TAIL.pack(total)


def _text(value: str) -> bytes:
    return value.encode("utf-8", "replace")


def section_header(userappl: str = USERAPPL, hardware: str | None = None,
                   os: str | None = None) -> bytes:
    """A Section Header Block of unknown section length."""
    options = [(SHB_USERAPPL, _text(userappl))]
    if hardware:
        options.append((SHB_HARDWARE, _text(hardware)))
    if os:
        options.append((SHB_OS, _text(os)))
    return _block(SHB_TYPE, SHB_BODY.pack(BYTE_ORDER_MAGIC, 1, 0, -1) + encode_options(options))


def interface_description(linktype: int, name: str, description: str | None = None,
                          snaplen: int = DEFAULT_SNAPLEN) -> bytes:
    """An Interface Description Block with microsecond timestamps."""
    options = [(IF_NAME, _text(name))]
    if description:
        options.append((IF_DESCRIPTION, _text(description)))
    options.append((IF_TSRESOL, bytes((TSRESOL_MICROSECONDS,))))
    return _block(IDB_TYPE, IDB_BODY.pack(linktype & 0xFFFF, 0, snaplen) + encode_options(options))


#: An Enhanced Packet Block's bytes besides its data, padding and options.
_EPB_FIXED: Final = EPB_HEAD.size + BLOCK_TAIL.size


def epb_size(caplen: int) -> int:
    """Bytes of an Enhanced Packet Block carrying ``caplen`` bytes of data."""
    return _EPB_FIXED + caplen + (-caplen & 3)


def enhanced_packet(interface_id: int, ts: float, data: bytes, original_length: int) -> bytes:
    """An Enhanced Packet Block; ``original_length`` is raised to ``len(data)`` if smaller."""
    out = BytesWriter()
    write_enhanced_packet(out, interface_id, ts, data, original_length)
    return out.getvalue()


def write_enhanced_packet(out: BytesWriter, interface_id: int, ts: float, data: bytes,
                          original_length: int, options: bytes = b"") -> int:
    """Write an Enhanced Packet Block to ``out``; returns its size.

    The one EPB encoder (:func:`enhanced_packet` takes its bytes). A feed writes
    a whole batch into one writer. Compiled, the header's words are stored as
    C integers (no struct call, no int objects). ``options`` is an already
    encoded option list (:func:`encode_options`), e.g. GPS.
    """
    # timestamp_us() and epb_size(), inlined: this runs per packet of every open feed.
    # Compiled, every branch below stays on C integers: no int objects.
    stamp = round_half_even(ts * 1_000_000)
    if stamp < 0:
        stamp = 0
    caplen = len(data)
    pad = -caplen & 3
    option_size = len(options)
    total = _EPB_FIXED + caplen + pad + option_size
    write_i32_le(out, EPB_TYPE)
    write_i32_le(out, total)
    write_i32_le(out, _word(interface_id))
    write_i32_le(out, _word(stamp >> 32))
    write_i32_le(out, _word(stamp))
    write_i32_le(out, caplen)
    if original_length > caplen:
        write_i32_le(out, _word(original_length))
    else:
        write_i32_le(out, caplen)
    out.write(data)
    if pad:
        out.write(padding(caplen))
    if option_size:
        out.write(options)
    write_i32_le(out, total)
    return total


def _word(value: int) -> i32:
    """The low 32 bits of ``value`` as the signed int with the same bytes (what
    ``write_i32_le`` takes: librt has no unsigned writer)."""
    low = value & 0xFFFFFFFF
    return low - 0x100000000 if low & 0x80000000 else low


class PcapngEncoder:
    """One pcapng section: the SHB once, an IDB per (source, DLT) on first use, then EPBs.

    Interface ids are assigned 0, 1, ... in the order their IDBs are emitted.
    An IDB (or the SHB) that is part of a refused encoding (over ``budget``) is
    not recorded as emitted, so it comes again with the next packet that needs it.
    """

    def __init__(self, *, userappl: str = USERAPPL, hardware: str | None = None,
                 os: str | None = None, snaplen: int = DEFAULT_SNAPLEN,
                 describe: Callable[[StreamPacket], str | None] | None = None) -> None:
        self._userappl = userappl
        self._hardware = hardware
        self._os = os
        self._snaplen = snaplen
        self._describe = describe
        self._header_emitted = False
        self._interfaces: dict[tuple[str, int], int] = {}

    @property
    def header_emitted(self) -> bool:
        """Whether the SHB has been handed out."""
        return self._header_emitted

    @property
    def interfaces(self) -> dict[tuple[str, int], int]:
        """``(source_uuid, dlt) -> interface id`` for every IDB handed out."""
        return dict(self._interfaces)

    def header(self) -> bytes:
        """The SHB the first time; ``b""`` afterwards."""
        if self._header_emitted:
            return b""
        self._header_emitted = True
        return section_header(self._userappl, self._hardware, self._os)

    def encode(self, packet: StreamPacket, budget: int | None = None) -> bytes | None:
        """The blocks that put ``packet`` in the stream: any SHB/IDB it still needs, then its EPB.

        With ``budget`` set, returns None, and records nothing, when the
        blocks would take more than ``budget`` bytes.
        """
        if budget is not None and epb_size(len(packet.data)) > budget:
            return None
        parts: list[bytes] = []
        if not self._header_emitted:
            parts.append(section_header(self._userappl, self._hardware, self._os))
        key = (packet.source_uuid, packet.dlt)
        interface_id = self._interfaces.get(key)
        if interface_id is None:
            interface_id = len(self._interfaces)
            description = self._describe(packet) if self._describe is not None else None
            parts.append(interface_description(packet.dlt, packet.source_name, description,
                                               self._snaplen))
        parts.append(enhanced_packet(interface_id, packet.ts, packet.data,
                                     packet.original_length))
        encoded = parts[0] if len(parts) == 1 else b"".join(parts)
        if budget is not None and len(encoded) > budget:
            return None
        self._header_emitted = True
        self._interfaces.setdefault(key, interface_id)
        return encoded

    def encode_all(self, packets: Iterable[StreamPacket]) -> bytes:
        """A whole file: the SHB (if not yet emitted) and every packet."""
        return self.header() + b"".join(self.encode(packet) or b"" for packet in packets)
