"""Shared encoding: one EncodedFeed serves many streams, each a valid pcapng of its own."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.internet import task

from kismet_tx.chain import Packet as ChainPacket
from kismet_tx.chain import classify, default_decoder
from kismet_tx.streams.feed import FLUSH_BYTES, EncodedBatch, EncodedFeed, block_layout
from kismet_tx.streams.packet import Packet
from kismet_tx.streams.pcapng import enhanced_packet
from kismet_tx.streams.producer import PacketStreamProducer
from kismet_tx.streams.registry import StreamRegistry
from tests.streams.helpers import EPB, IDB, SHB, FakeConsumer, parse_pcapng


def _packet(index: int, uuid: str = "a", name: str = "alpha", dlt: int = 127,
            size: int = 100) -> Packet:
    body = index.to_bytes(4, "little") + bytes(max(0, size - 4))
    return Packet(uuid, name, dlt, 1_700_000_000 + index / 1000, body, size)


def _indices(data: bytes) -> list[int]:
    return [int.from_bytes(p.data[:4], "little") for p in parse_pcapng(data).packets]


class Collector:
    """A feed member that keeps every batch."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.batches: list[EncodedBatch] = []

    def deliver(self, batch: EncodedBatch) -> None:
        self.batches.append(batch)
        self.data += batch.data


@pytest.fixture()
def clock() -> task.Clock:
    return task.Clock()


@settings(max_examples=200, deadline=None)
@given(ts=st.floats(-10, 4e9, allow_nan=False), size=st.integers(1, 70),
       original=st.integers(0, 200), sources=st.integers(1, 3))
def test_each_packet_block_equals_enhanced_packet(ts: float, size: int, original: int,
                                                  sources: int) -> None:
    feed = EncodedFeed(("all",), None, task.Clock())
    member = Collector()
    feed.join(member)
    data = bytes(range(size))
    feed.offer_many([Packet(f"uuid-{n}", f"source-{n}", 127, ts, data, original)
                     for n in range(sources)])
    feed.flush()
    [batch] = member.batches
    blocks = [batch.data[start:end] for start, end, is_packet in block_layout(batch.data)
              if is_packet]
    # One interface per source, numbered in order; the block as enhanced_packet makes it.
    assert blocks == [enhanced_packet(n, ts, data, original) for n in range(sources)]


def test_members_share_one_encoding_and_each_reads_whole(clock: task.Clock) -> None:
    feed = EncodedFeed(("all",), None, clock)
    first, second = Collector(), Collector()
    first.data += feed.join(first)
    second.data += feed.join(second)
    for index in range(10):
        feed.offer(_packet(index))
    assert first.batches == []                      # handed out at the end of the turn
    clock.advance(0)
    assert bytes(first.data) == bytes(second.data)
    assert first.batches[0] is second.batches[0]    # the same bytes object for both
    assert _indices(bytes(first.data)) == list(range(10))
    assert first.batches[0].packets == 10


def test_a_late_member_gets_every_interface_so_far(clock: task.Clock) -> None:
    feed = EncodedFeed(("all",), None, clock)
    early, late = Collector(), Collector()
    early.data += feed.join(early)
    feed.offer(_packet(0, "a", "alpha", 127))
    feed.offer(_packet(1, "b", "beta", 105))
    late.data += feed.join(late)                    # joining hands out what is pending first
    assert _indices(bytes(early.data)) == [0, 1]
    feed.offer(_packet(2, "b", "beta", 105))
    feed.offer(_packet(3, "a", "alpha", 127))
    clock.advance(0)
    parsed = parse_pcapng(bytes(late.data))
    assert parsed.block_types[:3] == [SHB, IDB, IDB]
    assert [(i.name, i.linktype) for i in parsed.interfaces] == [("alpha", 127), ("beta", 105)]
    assert [(p.interface_id, int.from_bytes(p.data[:4], "little")) for p in parsed.packets] == [
        (1, 2), (0, 3)]


def test_filter_and_unusable_packets(clock: task.Clock) -> None:
    feed = EncodedFeed(("source", "b"), lambda p: p.source_uuid == "b", clock)
    member = Collector()
    member.data += feed.join(member)
    feed.offer(_packet(0, "a"))
    feed.offer(_packet(1, "b"))
    feed.offer(Packet("b", "beta", 0, 1.0, b"x", 1))        # DLT 0 is never streamed
    feed.offer(Packet("b", "beta", 127, 1.0, b"", 0))       # nor an empty frame
    clock.advance(0)
    assert _indices(bytes(member.data)) == [1]


def test_big_turns_are_handed_out_in_bounded_batches(clock: task.Clock) -> None:
    feed = EncodedFeed(("all",), None, clock)
    member = Collector()
    member.data += feed.join(member)
    for index in range(2_000):
        feed.offer(_packet(index, size=200))
    assert member.batches, "a batch goes out as soon as FLUSH_BYTES are pending"
    assert all(len(b.data) < FLUSH_BYTES + 300 for b in member.batches)
    clock.advance(0)
    assert _indices(bytes(member.data)) == list(range(2_000))


def test_last_member_leaving_empties_the_feed(clock: task.Clock) -> None:
    emptied: list[EncodedFeed] = []
    feed = EncodedFeed(("all",), None, clock, on_empty=emptied.append)
    one, two = Collector(), Collector()
    feed.join(one)
    feed.join(two)
    feed.offer(_packet(0))
    feed.leave(one)
    assert emptied == []
    feed.leave(two)
    assert emptied == [feed]
    assert clock.getDelayedCalls() == []
    feed.offer(_packet(1))                          # no members: nothing is encoded
    assert clock.getDelayedCalls() == []


# Paused streams fed by a feed


def _fed_producer(feed: EncodedFeed, consumer: FakeConsumer,
                  limit: int) -> PacketStreamProducer:
    producer = PacketStreamProducer(consumer, None, backlog_limit_bytes=limit,
                                    before_close=feed.flush)
    producer.start(feed.join(producer))
    return producer


def test_paused_member_keeps_within_its_backlog_while_another_gets_everything(
        clock: task.Clock) -> None:
    feed = EncodedFeed(("all",), None, clock)
    slow, fast = FakeConsumer(), FakeConsumer()
    slow_producer = _fed_producer(feed, slow, limit=5_000)
    fast_producer = _fed_producer(feed, fast, limit=5_000)
    slow.pause()
    for index in range(300):
        feed.offer(_packet(index))
        if index % 37 == 0:
            clock.advance(0)
        assert slow_producer.backlog_bytes <= 5_000
    clock.advance(0)
    assert slow_producer.dropped_packets > 0
    assert slow_producer.packets == fast_producer.packets == 300
    assert fast_producer.dropped_packets == 0
    assert _indices(bytes(fast.written)) == list(range(300))
    slow.resume()
    kept = _indices(bytes(slow.written))
    assert len(kept) == 300 - slow_producer.dropped_packets
    assert kept == sorted(kept)


def test_interfaces_survive_drops(clock: task.Clock) -> None:
    """A new source appears while a stream is paused and full: its IDB is kept."""
    feed = EncodedFeed(("all",), None, clock)
    consumer = FakeConsumer()
    producer = _fed_producer(feed, consumer, limit=1_000)
    consumer.pause()
    for index in range(20):
        feed.offer(_packet(index, "a", "alpha", 127))
    for index in range(20, 40):
        feed.offer(_packet(index, "b", "beta", 105))
    clock.advance(0)
    consumer.resume()
    feed.offer(_packet(40, "b", "beta", 105))
    clock.advance(0)
    parsed = parse_pcapng(bytes(consumer.written))
    assert [(i.name, i.linktype) for i in parsed.interfaces] == [("alpha", 127), ("beta", 105)]
    last = parsed.packets[-1]
    assert (last.interface_id, int.from_bytes(last.data[:4], "little")) == (1, 40)
    assert producer.dropped_packets == 41 - len(parsed.packets)


@settings(max_examples=200, deadline=None)
@given(sizes=st.lists(st.integers(1, 300), min_size=1, max_size=40),
       new_interface=st.lists(st.booleans(), min_size=40, max_size=40),
       room=st.integers(-50, 6_000))
def test_what_fits_is_whole_blocks_and_every_interface(sizes: list[int],
                                                       new_interface: list[bool],
                                                       room: int) -> None:
    clock = task.Clock()
    feed = EncodedFeed(("all",), None, clock)
    member = Collector()
    feed.join(member)
    source = 0
    for index, size in enumerate(sizes):
        if new_interface[index]:
            source += 1
        feed.offer(_packet(index, uuid=f"s{source}", name=f"s{source}", size=size))
    feed.flush()
    batch = member.batches[0]
    kept, packets = batch.fitting(room)
    blocks = [t for t in _block_types(kept)]
    interfaces = sum(1 for t in _block_types(batch.data) if t == IDB)
    assert blocks.count(IDB) == interfaces
    assert blocks.count(EPB) == packets
    kept_packets = [b for b in _blocks(kept) if int.from_bytes(b[:4], "little") == EPB]
    all_packets = [b for b in _blocks(batch.data) if int.from_bytes(b[:4], "little") == EPB]
    assert kept_packets == all_packets[:packets], "the packets kept are the first ones"
    assert sum(map(len, kept_packets)) <= max(room, 0) or packets == batch.packets


def _blocks(data: bytes) -> list[bytes]:
    out = []
    offset = 0
    while offset < len(data):
        total = int.from_bytes(data[offset + 4:offset + 8], "little")
        out.append(data[offset:offset + total])
        offset += total
    return out


def _block_types(data: bytes) -> list[int]:
    return [int.from_bytes(b[:4], "little") for b in _blocks(data)]


# The registry: the chain subscriber and its feeds


class _Source:
    uuid = "5FE308BD-0000-0000-0000-000000000001"
    source_name = "wlan0mon"


def _ChainPacket(index: int) -> ChainPacket:
    """What the packet chain hands its subscribers (a frame too short to decode)."""
    data = index.to_bytes(4, "little") + bytes(60)
    return ChainPacket(_Source(), 1_700_000_000.5 + index, 127,  # type: ignore[arg-type]
                       data, 80, *classify(default_decoder(), 127, data))


def test_registry_feeds_chain_packets_to_shared_streams(clock: task.Clock) -> None:
    registry = StreamRegistry(clock)
    feed = registry.feed_for(("all",), None)
    assert registry.feed_for(("all",), lambda p: False) is feed
    member = Collector()
    member.data += feed.join(member)
    for index in range(3):
        registry.feed(_ChainPacket(index))
    clock.advance(0)
    parsed = parse_pcapng(bytes(member.data))
    assert parsed.interfaces[0].name == "wlan0mon"
    assert [p.original_length for p in parsed.packets] == [80, 80, 80]
    assert [p.timestamp_us for p in parsed.packets] == [
        1_700_000_000_500_000 + i * 1_000_000 for i in range(3)]
    feed.leave(member)
    assert registry.feed_for(("all",), None) is not feed


def test_a_chain_packet_is_a_stream_packet_as_it_is() -> None:
    chain_packet = _ChainPacket(7)
    assert (chain_packet.source_uuid, chain_packet.source_name, chain_packet.dlt,
            chain_packet.original_length) == (_Source.uuid, "wlan0mon", 127, 80)


def test_a_failing_filter_closes_the_streams_of_its_feed(clock: task.Clock) -> None:
    registry = StreamRegistry(clock)

    def explode(packet: Any) -> bool:
        raise RuntimeError("filter bug")

    feed = registry.feed_for(("bad",), explode)
    consumer = FakeConsumer()
    stream_id = 0

    def closed() -> None:
        feed.leave(producer)
        registry.remove(stream_id)

    producer = PacketStreamProducer(consumer, None, on_close=closed, before_close=feed.flush)
    stream_id = registry.register(producer, "x.pcapng", "pcapng", "httpd", "x", fanout=False)
    producer.start(feed.join(producer))
    registry.feed(_ChainPacket(0))
    assert consumer.finished and producer.closed
    assert registry.all_streams() == {}


def test_the_registry_says_when_anything_takes_packets(clock: task.Clock) -> None:
    registry = StreamRegistry(clock)
    seen: list[bool] = []
    registry.listeners.append(seen.append)
    assert not registry.active
    feed = registry.feed_for(("all",), None)
    member = Collector()
    feed.join(member)
    assert registry.active and seen == [True]
    feed.leave(member)
    assert not registry.active and seen == [True, False]


def test_a_batch_is_encoded_as_its_packets_one_by_one(clock: task.Clock) -> None:
    one, many = StreamRegistry(clock), StreamRegistry(clock)
    members = []
    for registry in (one, many):
        member = Collector()
        member.data += registry.feed_for(("all",), None).join(member)
        members.append(member)
    packets = [_ChainPacket(index) for index in range(5)]
    for packet in packets:
        one.feed(packet)
    many.feed_batch(packets)
    clock.advance(0)
    assert members[0].data == members[1].data
    assert len(parse_pcapng(bytes(members[1].data)).packets) == 5
