"""PacketStreamProducer against fake consumers and a real twisted.web request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from twisted.internet import task
from twisted.internet.address import IPv4Address
from twisted.internet.error import ConnectionDone
from twisted.internet.interfaces import IPushProducer
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure
from twisted.web import resource, server

from kismet_tx.streams.packet import Packet
from kismet_tx.streams.pcapng import PcapngEncoder, enhanced_packet, interface_description
from kismet_tx.streams.producer import DEFAULT_BACKLOG, PacketStreamProducer
from tests.streams.helpers import EPB, IDB, SHB, FakeConsumer, decode_chunked, parse_pcapng


def _packet(index: int, uuid: str = "a", name: str = "alpha", dlt: int = 127,
            size: int = 100) -> Packet:
    """A packet whose payload starts with its index, so order is checkable."""
    body = index.to_bytes(4, "little") + bytes(size - 4)
    return Packet(uuid, name, dlt, 1_700_000_000 + index / 1000, body, size)


def _index(data: bytes) -> int:
    return int.from_bytes(data[:4], "little")


class Closed:
    """Counts on_close calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1


def _producer(consumer: Any, limit: int = DEFAULT_BACKLOG,
              packet_filter: Callable[[Any], bool] | None = None,
              clock: task.Clock | None = None) -> tuple[PacketStreamProducer, Closed]:
    closed = Closed()
    kwargs: dict[str, Any] = {"backlog_limit_bytes": limit, "on_close": closed, "clock": clock}
    if packet_filter is not None:
        kwargs["packet_filter"] = packet_filter
    producer = PacketStreamProducer(consumer, PcapngEncoder(), **kwargs)
    producer.start()
    return producer, closed


def test_start_registers_a_streaming_producer_and_sends_the_header() -> None:
    consumer = FakeConsumer()
    clock = task.Clock()
    clock.advance(1234.5)
    producer, _ = _producer(consumer, clock=clock)
    assert IPushProducer.providedBy(producer)
    assert consumer.producer is producer and consumer.streaming is True
    parsed = parse_pcapng(bytes(consumer.written))
    assert parsed.block_types == [SHB]
    assert parsed.shb_options[4].startswith(b"kismet_tx ")
    assert producer.start_time == 1234.5
    assert producer.bytes_written == len(consumer.written)


def test_packets_are_written_at_once_while_not_paused() -> None:
    consumer = FakeConsumer()
    producer, _ = _producer(consumer)
    for index in range(5):
        producer.offer(_packet(index))
        assert len(parse_pcapng(bytes(consumer.written)).packets) == index + 1
    assert (producer.packets, producer.packets_written, producer.dropped_packets) == (5, 5, 0)
    assert producer.size == producer.bytes_written == len(consumer.written)
    assert producer.backlog_bytes == 0


def test_filter_and_linkless_packets() -> None:
    consumer = FakeConsumer()
    producer, _ = _producer(consumer, packet_filter=lambda p: p.source_uuid == "a")
    producer.offer(_packet(0, uuid="b"))
    producer.offer(_packet(1))
    producer.offer(Packet("a", "alpha", 0, 1.0, b"data", 4))
    producer.offer(Packet("a", "alpha", 127, 1.0, b"", 0))
    parsed = parse_pcapng(bytes(consumer.written))
    assert [_index(p.data) for p in parsed.packets] == [1]
    assert producer.packets == 1


def test_offer_before_start_is_ignored() -> None:
    consumer = FakeConsumer()
    producer = PacketStreamProducer(consumer, PcapngEncoder())
    producer.offer(_packet(0))
    assert consumer.written == b"" and producer.packets == 0


def test_paused_backlog_stays_within_bound_and_drops_whole_packets() -> None:
    consumer = FakeConsumer()
    limit = 10_000
    producer, _ = _producer(consumer, limit=limit)
    consumer.pause()
    header_bytes = len(consumer.written)
    epb = len(enhanced_packet(0, 0.0, bytes(100), 100))
    first = len(interface_description(127, "alpha")) + epb
    for index in range(500):
        producer.offer(_packet(index))
        assert producer.backlog_bytes <= limit
    assert len(consumer.written) == header_bytes, "nothing written while paused"
    assert producer.packets == 500
    kept = 500 - producer.dropped_packets
    assert producer.backlog_bytes + epb > limit, "the backlog was filled before dropping"
    assert kept == 1 + (limit - first) // epb
    consumer.resume()
    parsed = parse_pcapng(bytes(consumer.written))
    assert [_index(p.data) for p in parsed.packets] == list(range(kept))
    assert producer.packets_written == kept
    assert producer.backlog_bytes == 0
    # Once drained, new packets go straight through again.
    producer.offer(_packet(999))
    assert _index(parse_pcapng(bytes(consumer.written)).packets[-1].data) == 999


def test_an_idb_that_came_with_a_dropped_packet_is_sent_with_the_next_accepted_one() -> None:
    consumer = FakeConsumer()
    epb = len(enhanced_packet(0, 0.0, bytes(100), 100))
    producer, _ = _producer(consumer, limit=3 * epb + 100)
    producer.offer(_packet(0))                       # alpha's IDB (id 0) goes out
    consumer.pause()
    for index in range(1, 4):
        producer.offer(_packet(index))               # fills the backlog
    producer.offer(_packet(4, "b", "beta"))          # needs beta's IDB: dropped
    producer.offer(_packet(5, "c", "gamma", 105, size=8))  # gamma fits: id 1
    assert producer.dropped_packets == 1
    consumer.resume()
    producer.offer(_packet(6, "b", "beta"))          # beta's IDB now: id 2
    producer.offer(_packet(7, "c", "gamma", 105, size=8))
    parsed = parse_pcapng(bytes(consumer.written))
    assert [(i.name, i.linktype) for i in parsed.interfaces] == [
        ("alpha", 127), ("gamma", 105), ("beta", 127)]
    names = [parsed.interfaces[p.interface_id].name for p in parsed.packets]
    assert [_index(p.data) for p in parsed.packets] == [0, 1, 2, 3, 5, 6, 7]
    assert names == ["alpha"] * 4 + ["gamma", "beta", "gamma"]
    # Each IDB precedes the first EPB that uses it.
    assert parsed.block_types == [SHB, IDB, EPB, EPB, EPB, EPB, IDB, EPB, IDB, EPB, EPB]


def test_dropped_first_packet_of_an_interface_while_the_backlog_is_empty() -> None:
    consumer = FakeConsumer()
    producer, _ = _producer(consumer, limit=50)
    consumer.pause()
    producer.offer(_packet(0))                       # IDB + 100-byte EPB > 50: dropped
    producer.offer(_packet(1, size=4))               # IDB + small EPB still too big
    assert producer.dropped_packets == 2
    consumer.resume()
    producer.offer(_packet(2))
    parsed = parse_pcapng(bytes(consumer.written))
    assert [i.name for i in parsed.interfaces] == ["alpha"]
    assert [_index(p.data) for p in parsed.packets] == [2]


def test_header_is_queued_even_beyond_the_bound_when_paused_at_start() -> None:
    class PausingConsumer(FakeConsumer):
        def registerProducer(self, producer: Any, streaming: bool) -> None:
            super().registerProducer(producer, streaming)
            self.pause()

    consumer = PausingConsumer()
    producer, _ = _producer(consumer, limit=0)
    assert consumer.written == b""
    producer.offer(_packet(0))
    assert producer.dropped_packets == 1
    consumer.resume()
    assert parse_pcapng(bytes(consumer.written)).block_types == [SHB]


def test_resume_drains_in_order_across_repeated_pauses() -> None:
    """A transport that pauses again mid-drain (re-entrant pause) loses nothing."""
    consumer = FakeConsumer(high_water=1_000)
    producer, _ = _producer(consumer, limit=100_000)
    for index in range(300):
        producer.offer(_packet(index))
    assert producer.dropped_packets == 0 and producer.paused
    rounds = 0
    while producer.backlog_bytes:
        before = producer.backlog_bytes
        consumer.send()
        assert producer.backlog_bytes < before
        assert consumer.unsent <= 1_000 + 200, "drain stops as soon as the transport pauses"
        rounds += 1
    assert rounds > 10
    parsed = parse_pcapng(bytes(consumer.written))
    assert [_index(p.data) for p in parsed.packets] == list(range(300))


def test_pause_and_resume_from_inside_write_do_not_recurse_or_reorder() -> None:
    class Flapping(FakeConsumer):
        flap = False
        depth = deepest = 0

        def write(self, data: bytes) -> None:
            self.depth += 1
            self.deepest = max(self.deepest, self.depth)
            super().write(data)
            if self.flap:
                self.producer.pauseProducing()
                self.producer.resumeProducing()
            self.depth -= 1

    consumer = Flapping()
    producer, _ = _producer(consumer)
    consumer.pause()
    for index in range(3000):
        producer.offer(_packet(index, size=8))
    assert producer.dropped_packets == 0
    consumer.flap = True
    consumer.resume()
    for index in range(3000, 3010):
        producer.offer(_packet(index, size=8))
    parsed = parse_pcapng(bytes(consumer.written))
    assert [_index(p.data) for p in parsed.packets] == list(range(3010))
    assert consumer.deepest == 1, "writes never nest"
    assert not producer.paused and producer.backlog_bytes == 0


def test_packets_offered_during_a_drain_are_queued_behind_the_backlog() -> None:
    consumer = FakeConsumer()
    producer, _ = _producer(consumer)
    consumer.pause()
    for index in range(5):
        producer.offer(_packet(index))
    late = iter(range(100, 103))

    original_write = consumer.write

    def write_and_offer(data: bytes) -> None:
        original_write(data)
        index = next(late, None)
        if index is not None:
            producer.offer(_packet(index))

    consumer.write = write_and_offer  # type: ignore[method-assign]
    consumer.resume()
    parsed = parse_pcapng(bytes(consumer.written))
    assert [_index(p.data) for p in parsed.packets] == [0, 1, 2, 3, 4, 100, 101, 102]


def test_stop_producing_frees_the_backlog_and_closes_once() -> None:
    consumer = FakeConsumer()
    producer, closed = _producer(consumer)
    consumer.pause()
    for index in range(20):
        producer.offer(_packet(index))
    assert producer.backlog_bytes > 0
    written = bytes(consumer.written)
    producer.stopProducing()
    assert producer.closed and producer.backlog_bytes == 0 and closed.calls == 1
    producer.stopProducing()
    producer.close()
    producer.resumeProducing()
    producer.offer(_packet(99))
    assert closed.calls == 1
    assert bytes(consumer.written) == written, "nothing is written for a client that left"
    assert not consumer.finished, "a lost connection is not finished"


def test_close_sends_the_backlog_and_finishes_the_response() -> None:
    consumer = FakeConsumer()
    producer, closed = _producer(consumer)
    producer.offer(_packet(0))
    consumer.pause()
    producer.offer(_packet(1))
    producer.close()
    assert consumer.finished and consumer.unregistered and consumer.producer is None
    assert closed.calls == 1
    parsed = parse_pcapng(bytes(consumer.written))
    assert [_index(p.data) for p in parsed.packets] == [0, 1]
    assert producer.packets_written == 2
    producer.close()
    producer.stopProducing()
    producer.offer(_packet(2))
    assert closed.calls == 1


def test_a_failing_consumer_ends_the_stream_without_raising_into_the_chain() -> None:
    class Broken(FakeConsumer):
        fail = False

        def write(self, data: bytes) -> None:
            if self.fail:
                raise RuntimeError("connection gone")
            super().write(data)

    consumer = Broken()
    producer, closed = _producer(consumer)
    consumer.fail = True
    producer.offer(_packet(0))
    assert producer.closed and closed.calls == 1
    producer.offer(_packet(1))
    assert closed.calls == 1


def test_a_failing_close_callback_is_contained() -> None:
    def explode() -> None:
        raise RuntimeError("callback failed")

    consumer = FakeConsumer()
    producer = PacketStreamProducer(consumer, PcapngEncoder(), on_close=explode)
    producer.start()
    producer.close()
    assert producer.closed and consumer.finished


# A real twisted.web request on an in-memory transport.


class _StreamResource(resource.Resource):
    isLeaf = True

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.producer: PacketStreamProducer | None = None
        self.closed = Closed()

    def render_GET(self, request: server.Request) -> Any:
        request.setHeader(b"Content-Type", b"application/vnd.tcpdump.pcap")
        self.producer = PacketStreamProducer(request, PcapngEncoder(),
                                             backlog_limit_bytes=self.limit,
                                             on_close=self.closed)
        self.producer.start()
        return server.NOT_DONE_YET


def _http(limit: int = DEFAULT_BACKLOG) -> tuple[_StreamResource, Any, StringTransport]:
    clock = task.Clock()
    stream = _StreamResource(limit)
    site = server.Site(stream, reactor=clock)
    channel = site.buildProtocol(IPv4Address("TCP", "127.0.0.1", 2501))
    channel.callLater = clock.callLater
    transport = StringTransport()
    channel.makeConnection(transport)
    channel.dataReceived(b"GET /pcap/all_packets.pcapng HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert stream.producer is not None
    return stream, channel, transport


def _body(transport: StringTransport) -> tuple[bytes, bool]:
    head, _, body = transport.value().partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"Transfer-Encoding: chunked" in head
    return decode_chunked(body)


def test_http_request_streams_pauses_drops_and_closes_cleanly() -> None:
    stream, channel, transport = _http(limit=5_000)
    producer = stream.producer
    assert producer is not None
    for index in range(10):
        producer.offer(_packet(index))
    transport.producer.pauseProducing()           # what the transport does when its buffer fills
    for index in range(10, 200):
        producer.offer(_packet(index))
    assert producer.paused and producer.backlog_bytes <= 5_000
    dropped = producer.dropped_packets
    assert dropped > 0
    transport.producer.resumeProducing()
    producer.offer(_packet(500))
    producer.close()
    payload, ended = _body(transport)
    assert ended, "the response ends with the zero-length chunk"
    parsed = parse_pcapng(payload)
    indices = [_index(p.data) for p in parsed.packets]
    assert indices == list(range(200 - dropped)) + [500]
    assert stream.closed.calls == 1


def test_http_client_disconnect_stops_the_stream_at_once() -> None:
    stream, channel, transport = _http()
    producer = stream.producer
    assert producer is not None
    transport.producer.pauseProducing()
    for index in range(50):
        producer.offer(_packet(index))
    assert producer.backlog_bytes > 0
    channel.connectionLost(Failure(ConnectionDone()))
    assert producer.closed and producer.backlog_bytes == 0
    assert stream.closed.calls == 1
    producer.offer(_packet(99))
    producer.close()
    assert stream.closed.calls == 1


@pytest.mark.parametrize("via", ["channel.stopProducing", "notifyFinish"])
def test_http_disconnect_paths_each_close_once(via: str) -> None:
    stream, channel, transport = _http()
    if via == "channel.stopProducing":
        transport.producer.stopProducing()
    channel.connectionLost(Failure(ConnectionDone()))
    assert stream.producer is not None and stream.producer.closed
    assert stream.closed.calls == 1
