"""Any interleaving of offers, pauses and resumes leaves a valid pcapng stream."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kismet_tx.streams.packet import Packet
from kismet_tx.streams.pcapng import PcapngEncoder, round_half_even
from kismet_tx.streams.producer import PacketStreamProducer
from tests.streams.helpers import FakeConsumer, parse_pcapng

#: (uuid, name, dlt): two sources, one of them with two link types.
SOURCES = [("a", "alpha", 127), ("b", "beta", 105), ("a", "alpha", 119)]

offer = st.tuples(st.just("offer"), st.integers(0, len(SOURCES) - 1), st.integers(1, 400))
operation = st.one_of(offer, st.just(("pause",)), st.just(("resume",)), st.just(("send",)))


@settings(max_examples=300, deadline=None)
@given(ops=st.lists(operation, max_size=80), limit=st.integers(0, 3_000),
       high_water=st.one_of(st.none(), st.integers(0, 2_000)), end_with_close=st.booleans())
def test_written_bytes_are_always_a_valid_pcapng_prefix(
        ops: list[tuple[Any, ...]], limit: int, high_water: int | None,
        end_with_close: bool) -> None:
    consumer = FakeConsumer(high_water=high_water)
    producer = PacketStreamProducer(consumer, PcapngEncoder(), backlog_limit_bytes=limit)
    producer.start()
    accepted: list[Packet] = []
    offered = 0
    for op in ops:
        if op[0] == "offer":
            uuid, name, dlt = SOURCES[op[1]]
            packet = Packet(uuid, name, dlt, 1_600_000_000 + offered / 7,
                            offered.to_bytes(4, "little") * (op[2] // 4 + 1), op[2] + 4)
            offered += 1
            dropped = producer.dropped_packets
            producer.offer(packet)
            if producer.dropped_packets == dropped:
                accepted.append(packet)
        elif op[0] == "pause":
            if not consumer.producer_paused:
                consumer.pause()
        elif op[0] == "resume":
            consumer.resume()
        else:
            consumer.send()
        assert producer.backlog_bytes <= limit
        parse_pcapng(bytes(consumer.written))      # whole, valid blocks at every step
    if end_with_close:
        producer.close()
        assert consumer.finished
    else:
        consumer.high_water = None
        consumer.resume()
    parsed = parse_pcapng(bytes(consumer.written))
    assert len(parsed.packets) == offered - producer.dropped_packets == len(accepted)
    assert producer.packets == offered and producer.packets_written == len(accepted)
    assert producer.bytes_written == len(consumer.written)
    assert [p.data for p in parsed.packets] == [p.data for p in accepted]
    for block, packet in zip(parsed.packets, accepted, strict=True):
        interface = parsed.interfaces[block.interface_id]
        assert (interface.name, interface.linktype) == (packet.source_name, packet.dlt)
        assert block.original_length == packet.original_length
    distinct = {(p.source_uuid, p.dlt) for p in accepted}
    assert len(parsed.interfaces) == len(distinct), "one IDB per (source, DLT), none lost"


@settings(max_examples=500, deadline=None)
@given(st.one_of(
    st.floats(min_value=-1e15, max_value=1e16, allow_nan=False),
    st.integers(-(10**15), 10**16).map(lambda n: n / 2),  # exact halves
    st.floats(min_value=0, max_value=2e9).map(lambda t: t * 1_000_000)))  # timestamps in µs
def test_epb_timestamps_round_as_python_does(x: float) -> None:
    """The EPB encoder rounds microseconds with ``math.floor`` (a C call when
    compiled), half to even, exactly as ``round`` does."""
    assert round_half_even(x) == round(x)
