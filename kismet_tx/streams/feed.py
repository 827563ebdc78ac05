"""Shared encoding: the packets one filter accepts, encoded once for every stream using it.

Ten clients of ``/pcap/all_packets.pcapng`` (and the pcapng log) see the same
bytes, so they share one :class:`EncodedFeed`: each packet is filtered and
encoded once, whatever the number of clients, and the encoded blocks are
handed to every member as one :class:`EncodedBatch` per reactor turn (or per
:data:`FLUSH_BYTES`, whichever comes first). A member costs one write per
batch, not one per packet.

A member that joins gets a preamble first: the section header and every
interface description the feed has emitted so far, so the interface ids of
the shared enhanced packet blocks mean the same to it as to everyone else.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from librt.strings import BytesWriter
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger

from kismet_tx.chain import Packet as ChainPacket
from kismet_tx.streams.packet import StreamPacket
from kismet_tx.streams.pcapng import (
    BLOCK_HEAD,
    EPB_TYPE,
    USERAPPL,
    interface_description,
    section_header,
    write_enhanced_packet,
)

_log: Final = Logger(namespace="kismet_tx.streams")

#: The feed key of "every packet" (the all-packets HTTP streams and the pcapng log).
ALL_PACKETS: Final = ("all",)
#: Encoded bytes a feed collects before it hands them out without waiting for the turn's end.
FLUSH_BYTES: Final = 64 * 1024

PacketFilter = Callable[[StreamPacket], bool]


def block_layout(data: bytes) -> Iterator[tuple[int, int, bool]]:
    """``(start, end, is_packet)`` of each block of ``data``, which holds whole blocks."""
    offset = 0
    size = len(data)
    while offset < size:
        block_type, total = BLOCK_HEAD.unpack_from(data, offset)
        if total < BLOCK_HEAD.size or offset + total > size:
            raise ValueError(f"broken pcapng block at offset {offset}")
        yield offset, offset + total, block_type == EPB_TYPE
        offset += total


@dataclass(slots=True)
class EncodedBatch:
    """Whole pcapng blocks (interface descriptions and enhanced packets), in order."""

    data: bytes
    #: Enhanced packet blocks in ``data``.
    packets: int
    _layout: tuple[list[int], list[int], list[tuple[int, int, int]]] | None = None

    def fitting(self, room: int) -> tuple[bytes, int]:
        """What a backlog with ``room`` bytes left keeps: ``(bytes, packets)``.

        The longest run of whole blocks from the start that fits, then every
        interface description after it (those are never dropped, so later
        packets still refer to known interfaces). Work is O(log n) per call
        once the batch's layout is known; it is worked out once, for all the
        streams sharing the batch.
        """
        if len(self.data) <= room:
            return self.data, self.packets
        ends, packets_through, interfaces = self._blocks()
        fit = bisect_right(ends, room) if room > 0 else 0
        cut = ends[fit - 1] if fit else 0
        kept = packets_through[fit - 1] if fit else 0
        later = [self.data[start:end] for start, end, index in interfaces if index >= fit]
        if not later:
            return self.data[:cut], kept
        return self.data[:cut] + b"".join(later), kept

    def _blocks(self) -> tuple[list[int], list[int], list[tuple[int, int, int]]]:
        if self._layout is None:
            ends: list[int] = []
            packets_through: list[int] = []
            interfaces: list[tuple[int, int, int]] = []
            count = 0
            for index, (start, end, is_packet) in enumerate(block_layout(self.data)):
                if is_packet:
                    count += 1
                else:
                    interfaces.append((start, end, index))
                ends.append(end)
                packets_through.append(count)
            self._layout = (ends, packets_through, interfaces)
        return self._layout


class FeedMember(Protocol):
    """A stream fed by an :class:`EncodedFeed`: a client's producer or a log."""

    def deliver(self, batch: EncodedBatch) -> None:
        """Take one batch; must not block."""


class EncodedFeed:
    """Encodes the packets ``packet_filter`` accepts (all, with None) for its members.

    ``packet_options(packet)`` gives each packet's encoded EPB options (the GPS
    option where there is a fix); the service injects it, so streams know no GPS.

    ``on_empty(feed)`` is called when the last member leaves.
    """

    def __init__(self, key: Hashable, packet_filter: PacketFilter | None, clock: IReactorTime,
                 *, on_empty: Callable[[EncodedFeed], None] | None = None,
                 flush_bytes: int = FLUSH_BYTES, userappl: str = USERAPPL,
                 packet_options: Callable[[StreamPacket], bytes] | None = None) -> None:
        self.key = key
        self._packet_options = packet_options
        self._filter = packet_filter
        self._clock = clock
        self._on_empty = on_empty
        self._flush_bytes = flush_bytes
        self._header = section_header(userappl)
        self._interfaces: dict[tuple[str, int], int] = {}
        self._idbs: list[bytes] = []
        #: The batch being written: whole blocks, handed out by :meth:`flush`.
        self._out = BytesWriter()
        self._pending_bytes = 0
        self._pending_packets = 0
        self._members: tuple[FeedMember, ...] = ()
        self._call: IDelayedCall | None = None
        #: Packets the filter accepted while the feed had members.
        self.packets = 0

    @property
    def members(self) -> tuple[FeedMember, ...]:
        """The streams this feed serves."""
        return self._members

    @property
    def interfaces(self) -> dict[tuple[str, int], int]:
        """``(source_uuid, dlt) -> interface id`` for every IDB emitted."""
        return dict(self._interfaces)

    def join(self, member: FeedMember) -> bytes:
        """Add ``member``; returns what it must send first (SHB and every IDB so far).

        Packets taken before the join are handed out first, so the member's
        stream starts with the next packet.
        """
        self.flush()
        self._members += (member,)
        return self._header + b"".join(self._idbs)

    def leave(self, member: FeedMember) -> None:
        """Remove ``member`` (it has ended); the last one to leave empties the feed."""
        if member not in self._members:
            return
        self._members = tuple(m for m in self._members if m is not member)
        if self._members:
            return
        self._cancel()
        self._out.truncate(0)
        self._pending_bytes = 0
        self._pending_packets = 0
        callback, self._on_empty = self._on_empty, None
        if callback is not None:
            callback(self)

    def offer(self, packet: StreamPacket) -> None:
        """Filter and encode one packet; never blocks."""
        self.offer_many((packet,))

    def offer_many(self, packets: Sequence[StreamPacket]) -> None:
        """Filter and encode packets, in order (the chain hands over a batch); never blocks."""
        if not self._members:
            return
        accept = self._filter
        options_of = self._packet_options
        interfaces = self._interfaces
        flush_bytes = self._flush_bytes
        out = self._out
        pending = self._pending_bytes
        count = 0
        # The interface is looked up again only when the source (the datasource
        # object of a chain packet, else the UUID) or the link type changes.
        last_source: object = None
        last_dlt = -1
        interface_id = 0
        source: object
        ts: float
        original: int
        for packet in packets:
            if type(packet) is ChainPacket:
                # A chain packet's fields, read natively in compiled code; one
                # with no location has no options to ask for.
                chain_packet: ChainPacket = packet
                dlt = chain_packet.dlt
                data = chain_packet.data
                source = chain_packet.source
                ts = chain_packet.ts
                original = chain_packet.length
                located = chain_packet.location is not None
            else:
                dlt = packet.dlt
                data = packet.data
                source = packet.source_uuid
                ts = packet.ts
                original = packet.original_length
                located = True
            if dlt == 0 or len(data) == 0 or (accept is not None and not accept(packet)):
                continue
            if source is not last_source or dlt != last_dlt:
                last_source, last_dlt = source, dlt
                key = (packet.source_uuid, dlt)
                found = interfaces.get(key)
                if found is None:
                    found = interfaces[key] = len(interfaces)
                    idb = interface_description(dlt, packet.source_name)
                    self._idbs.append(idb)
                    out.write(idb)
                    pending += len(idb)
                interface_id = found
            pending += write_enhanced_packet(
                out, interface_id, ts, data, original,
                options_of(packet) if located and options_of is not None else b"")
            count += 1
            if pending >= flush_bytes:
                self._pending_bytes = pending
                self._pending_packets += count
                self.packets += count
                count = 0
                self.flush()
                out = self._out
                pending = 0
        self._pending_bytes = pending
        if count:
            self._pending_packets += count
            self.packets += count
        if pending and self._call is None:
            self._call = self._clock.callLater(0, self.flush)

    def flush(self) -> None:
        """Hand what is pending to every member now."""
        self._cancel()
        if not self._pending_bytes:
            return
        batch = EncodedBatch(self._out.getvalue(), self._pending_packets)
        # The writer is kept, with its buffer: the next batch does not grow one again.
        self._out.truncate(0)
        self._pending_bytes = 0
        self._pending_packets = 0
        for member in self._members:
            try:
                member.deliver(batch)
            except Exception:
                _log.failure("stream member failed to take a batch")

    def _cancel(self) -> None:
        call, self._call = self._call, None
        if call is not None and call.active():
            call.cancel()
