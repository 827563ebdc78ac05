"""The stream registry: kismet.stream.* records, closing, and per-packet fan-out."""

from __future__ import annotations

from typing import Any

import pytest
from twisted.internet import task

from kismet_tx.fields import FieldRegistry
from kismet_tx.streams.packet import Packet
from kismet_tx.streams.pcapng import PcapngEncoder
from kismet_tx.streams.producer import PacketStreamProducer
from kismet_tx.streams.registry import STREAM_FIELDS, StreamRegistry
from tests.streams.helpers import FakeConsumer, parse_pcapng

KISMET_FIELDS = [
    "kismet.stream.stream_id", "kismet.stream.time", "kismet.stream.name",
    "kismet.stream.type", "kismet.stream.path", "kismet.stream.description",
    "kismet.stream.packets", "kismet.stream.size", "kismet.stream.max_packets",
    "kismet.stream.max_size", "kismet.stream.paused",
]


@pytest.fixture()
def clock() -> task.Clock:
    clock = task.Clock()
    clock.advance(1_700_000_123.75)
    return clock


@pytest.fixture()
def registry(clock: task.Clock) -> StreamRegistry:
    return StreamRegistry(clock)


def _open(registry: StreamRegistry, consumer: FakeConsumer, limit: int = 512 * 1024,
          name: str = "kismet-all-packets.pcapng", **filters: Any) -> tuple[int, Any]:
    """What an HTTP handler does: build, register, start; on_close removes the entry."""
    stream_id = 0

    def closed() -> None:
        registry.remove(stream_id)

    producer = PacketStreamProducer(consumer, PcapngEncoder(), backlog_limit_bytes=limit,
                                    on_close=closed, **filters)
    stream_id = registry.register(producer, name, "pcapng", "httpd", "pcapng of all packets")
    producer.start()
    return stream_id, producer


def test_stream_fields_are_kismets_plus_dropped_packets() -> None:
    names = [f.name for f in STREAM_FIELDS]
    assert names == KISMET_FIELDS + ["kismet.stream.dropped_packets"]
    fields = FieldRegistry()
    fields.register(STREAM_FIELDS)
    assert fields.describe("kismet.stream.stream_id") == "double, Stream ID"


def test_record_has_exactly_the_registered_fields(registry: StreamRegistry) -> None:
    consumer = FakeConsumer()
    stream_id, producer = _open(registry, consumer)
    assert stream_id == 1
    record = registry.get(stream_id)
    assert record is not None
    assert list(record) == [f.name for f in STREAM_FIELDS]
    assert record == {
        "kismet.stream.stream_id": 1,
        "kismet.stream.time": 1_700_000_123,
        "kismet.stream.name": "kismet-all-packets.pcapng",
        "kismet.stream.type": "pcapng",
        "kismet.stream.path": "httpd",
        "kismet.stream.description": "pcapng of all packets",
        "kismet.stream.packets": 0,
        "kismet.stream.size": len(consumer.written),
        "kismet.stream.max_packets": 0,
        "kismet.stream.max_size": 0,
        "kismet.stream.paused": 0,
        "kismet.stream.dropped_packets": 0,
    }


def test_ids_count_up_and_are_never_reused(registry: StreamRegistry,
                                           clock: task.Clock) -> None:
    first, _ = _open(registry, FakeConsumer())
    clock.advance(10)
    second, _ = _open(registry, FakeConsumer(), name="kismet-device-x.pcapng")
    assert (first, second) == (1, 2)
    assert registry.close(first)
    third, _ = _open(registry, FakeConsumer())
    assert third == 3
    streams = registry.all_streams()
    assert list(streams) == ["2", "3"]
    assert streams["2"]["kismet.stream.name"] == "kismet-device-x.pcapng"
    assert streams["2"]["kismet.stream.time"] == 1_700_000_133


def test_unknown_ids(registry: StreamRegistry) -> None:
    assert registry.get(7) is None
    assert registry.agent(7) is None
    assert registry.close(7) is False
    assert registry.remove(7) is False
    assert registry.all_streams() == {}
    assert 7 not in registry and len(registry) == 0


def test_close_ends_the_response_and_forgets_the_stream(registry: StreamRegistry) -> None:
    consumer = FakeConsumer()
    stream_id, producer = _open(registry, consumer)
    registry.feed(Packet("u", "wlan0", 127, 1.0, b"abcd", 4))
    assert registry.agent(stream_id) is producer
    assert registry.close(stream_id) is True
    assert consumer.finished and producer.closed
    assert stream_id not in registry and registry.get(stream_id) is None
    assert len(parse_pcapng(bytes(consumer.written)).packets) == 1
    assert registry.close(stream_id) is False


def test_a_client_that_leaves_is_removed_at_once(registry: StreamRegistry) -> None:
    consumer = FakeConsumer()
    stream_id, producer = _open(registry, consumer)
    producer.stopProducing()
    assert stream_id not in registry and len(registry) == 0
    registry.feed(Packet("u", "wlan0", 127, 1.0, b"abcd", 4))
    assert producer.packets == 0


def test_close_all(registry: StreamRegistry) -> None:
    consumers = [FakeConsumer() for _ in range(3)]
    for consumer in consumers:
        _open(registry, consumer)
    registry.close_all()
    assert len(registry) == 0 and all(c.finished for c in consumers)


def test_a_slow_client_never_slows_a_fast_one(registry: StreamRegistry,
                                              induction: list[Packet]) -> None:
    slow, fast = FakeConsumer(), FakeConsumer(high_water=64 * 1024)
    limit = 20_000
    slow_id, slow_producer = _open(registry, slow, limit=limit)
    fast_id, fast_producer = _open(registry, fast)
    slow.pause()                                   # this client never reads again
    for packet in induction:
        registry.feed(packet)
        fast.send()                                # this one keeps up
        assert slow_producer.backlog_bytes <= limit
    fast_stream = parse_pcapng(bytes(fast.written))
    assert [p.data for p in fast_stream.packets] == [p.data for p in induction]
    fast_record = registry.get(fast_id)
    slow_record = registry.get(slow_id)
    assert fast_record is not None and slow_record is not None
    assert fast_record["kismet.stream.dropped_packets"] == 0
    assert fast_record["kismet.stream.packets"] == len(induction)
    assert fast_record["kismet.stream.size"] == len(fast.written)
    assert slow_record["kismet.stream.paused"] == 1
    assert slow_record["kismet.stream.packets"] == len(induction)
    dropped = slow_record["kismet.stream.dropped_packets"]
    assert 0 < dropped < len(induction)
    # Closing the slow stream delivers exactly what was not dropped.
    registry.close(slow_id)
    slow_stream = parse_pcapng(bytes(slow.written))
    assert len(slow_stream.packets) == len(induction) - dropped
    assert [p.data for p in slow_stream.packets] == [
        p.data for p in induction[:len(induction) - dropped]]


def test_filters_select_per_stream(registry: StreamRegistry) -> None:
    everything, one_source = FakeConsumer(), FakeConsumer()
    _open(registry, everything)
    _open(registry, one_source, packet_filter=lambda p: p.source_uuid == "b")
    for index in range(6):
        uuid = "ab"[index % 2]
        registry.feed(Packet(uuid, f"src-{uuid}", 127, float(index), bytes([index]) * 8, 8))
    assert len(parse_pcapng(bytes(everything.written)).packets) == 6
    picked = parse_pcapng(bytes(one_source.written))
    assert [p.data[0] for p in picked.packets] == [1, 3, 5]
    assert [i.name for i in picked.interfaces] == ["src-b"]


class _Broken:
    packets = size = dropped_packets = 0
    paused = False

    def __init__(self) -> None:
        self.closed = 0

    def offer(self, packet: Any) -> None:
        raise RuntimeError("broken stream")

    def close(self) -> None:
        self.closed += 1


def test_a_failing_stream_is_closed_and_does_not_break_the_others(
        registry: StreamRegistry) -> None:
    before = FakeConsumer()
    _open(registry, before)
    broken = _Broken()
    broken_id = registry.register(broken, "bad", "pcapng", "httpd", "broken")
    after = FakeConsumer()
    _open(registry, after)
    registry.feed(Packet("u", "wlan0", 127, 1.0, b"abcd", 4))
    registry.feed(Packet("u", "wlan0", 127, 2.0, b"efgh", 4))
    assert broken_id not in registry and broken.closed == 1
    assert len(parse_pcapng(bytes(before.written)).packets) == 2
    assert len(parse_pcapng(bytes(after.written)).packets) == 2


def test_closing_a_stream_during_fanout_is_safe(registry: StreamRegistry) -> None:
    consumers = [FakeConsumer() for _ in range(3)]
    ids = [_open(registry, consumer)[0] for consumer in consumers]
    original_write = consumers[0].write

    def write_then_close_others(data: bytes) -> None:
        original_write(data)
        for stream_id in ids[1:]:
            registry.close(stream_id)

    consumers[0].write = write_then_close_others  # type: ignore[method-assign]
    registry.feed(Packet("u", "wlan0", 127, 1.0, b"abcd", 4))
    assert list(registry.all_streams()) == [str(ids[0])]
    assert all(c.finished for c in consumers[1:])
