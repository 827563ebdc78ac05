"""The packet chain: order, isolation of failures, decode-once, error packets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.internet import task

from kismet_tx.capture.system import META, pack_batch
from kismet_tx.chain import (
    BAD_FCS,
    MALFORMED,
    OK,
    STAGES,
    UNSUPPORTED,
    Packet,
    PacketChain,
    UnknownStage,
    stage_position,
)
from kismet_tx.dot11.errors import MalformedFrame, UnsupportedLinkType


class Source:
    uuid = "5FE308BD-0000-0000-0000-000000000001"
    source_name = "test"


class Decoded:
    def __init__(self, bad_fcs: bool = False) -> None:
        self.bad_fcs = bad_fcs


class CountingDecoder:
    """Decodes b"ok", b"bad" (bad FCS), b"junk" (malformed) and DLT 1 (unsupported)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, dlt: int, data: bytes) -> Any:
        self.calls += 1
        if dlt == 1:
            raise UnsupportedLinkType("no decoder for DLT 1")
        if data == b"junk":
            raise MalformedFrame("junk")
        return Decoded(bad_fcs=data == b"bad")


def batch(*payloads: bytes, start: float = 1000.0) -> tuple[bytes, bytes]:
    return pack_batch((start + i * 0.25, p) for i, p in enumerate(payloads))


@pytest.fixture
def decoder() -> CountingDecoder:
    return CountingDecoder()


@pytest.fixture
def chain(decoder: CountingDecoder) -> PacketChain:
    return PacketChain(task.Clock(), decoder)


def test_subscribers_run_in_priority_order(chain: PacketChain) -> None:
    order: list[str] = []
    chain.subscribe(lambda p: order.append("late"), "late", priority=90)
    chain.subscribe(lambda p: order.append("early"), "early", priority=-5)
    chain.subscribe(lambda p: order.append("mid-a"), "mid-a", priority=10)
    chain.subscribe(lambda p: order.append("mid-b"), "mid-b", priority=10)
    chain.process(Source(), 127, batch(b"ok"))
    assert order == ["early", "mid-a", "mid-b", "late"]
    with pytest.raises(ValueError, match="already subscribed"):
        chain.subscribe(lambda p: None, "late")
    chain.unsubscribe("late")
    assert [s.name for s in chain.subscribers()] == ["early", "mid-a", "mid-b"]


def test_a_switched_off_subscriber_is_skipped_but_stays_subscribed(chain: PacketChain) -> None:
    order: list[str] = []
    chain.subscribe(lambda p: order.append("a"), "a", priority=1)
    chain.subscribe(lambda p: order.append("b"), "b", priority=2)
    chain.set_enabled("a", False)
    chain.process(Source(), 127, batch(b"ok"))
    assert order == ["b"]
    assert [s.name for s in chain.subscribers()] == ["a", "b"]
    assert not chain.is_enabled("a") and chain.is_enabled("b") and not chain.is_enabled("c")
    chain.set_enabled("a", True)
    chain.process(Source(), 127, batch(b"ok"))
    assert order == ["b", "a", "b"]


def test_a_failing_subscriber_never_stops_the_others(chain: PacketChain) -> None:
    seen: list[float] = []

    def broken(packet: Packet) -> None:
        raise RuntimeError("boom")

    chain.subscribe(broken, "broken", priority=0)
    chain.subscribe(lambda p: seen.append(p.ts), "after", priority=1)
    errors = chain.process(Source(), 127, batch(b"ok", b"ok", b"ok"))
    assert errors == 0
    assert seen == [1000.0, 1000.25, 1000.5]
    assert chain.failures == {"broken": 3, "after": 0}
    assert chain.stats()["subscriber_failures"]["broken"] == 3


def test_a_batch_subscriber_gets_each_batch_after_the_packet_subscribers(
        chain: PacketChain) -> None:
    order: list[Any] = []
    chain.subscribe(lambda packets: order.append([p.ts for p in packets]), "batch",
                    priority=-10, batch=True)
    chain.subscribe(lambda p: order.append(p.ts), "each", priority=0)
    chain.process(Source(), 127, batch(b"ok", b"junk", b"ok"))
    assert order == [1000.0, 1000.25, 1000.5, [1000.0, 1000.25, 1000.5]]
    chain.inject(chain.make_packet(Source(), 7.0, 127, b"ok"))
    assert order[-2:] == [7.0, [7.0]]
    chain.set_enabled("batch", False)
    chain.process(Source(), 127, batch(b"ok"))
    assert order[-1] == 1000.0


def test_a_failing_batch_subscriber_is_counted_and_the_packets_still_counted(
        chain: PacketChain) -> None:
    def broken(packets: list[Packet]) -> None:
        raise RuntimeError("boom")

    chain.subscribe(broken, "broken", batch=True)
    chain.process(Source(), 127, batch(b"ok", b"ok"))
    assert chain.failures == {"broken": 1} and chain.packets == 2


def test_decoding_happens_once_per_packet_even_with_no_reader(
    chain: PacketChain, decoder: CountingDecoder
) -> None:
    decoded: list[Any] = []
    chain.subscribe(lambda p: decoded.append(p.decoded), "a")
    chain.subscribe(lambda p: decoded.append((p.decoded, p.error)), "b")
    chain.process(Source(), 127, batch(b"ok", b"ok"))
    assert decoder.calls == 2
    assert decoded[0] is decoded[1][0]
    chain.unsubscribe("a")
    chain.unsubscribe("b")
    chain.process(Source(), 127, batch(b"ok"))
    assert decoder.calls == 3, "the chain classifies packets nobody looked at"


def test_error_packets_are_flagged_counted_and_still_delivered(chain: PacketChain) -> None:
    statuses: list[tuple[int, bool, bool]] = []
    chain.subscribe(lambda p: statuses.append((p.status, p.error, p.decoded is None)), "s")
    errors = chain.process(Source(), 127, batch(b"ok", b"bad", b"junk", b"bad"))
    assert errors == 3
    assert statuses == [
        (OK, False, False),
        (BAD_FCS, True, False),
        (MALFORMED, True, True),
        (BAD_FCS, True, False),
    ]
    assert chain.stats() == {
        "packets": 4,
        "errors": 3,
        "malformed": 1,
        "bad_fcs": 2,
        "unsupported": 0,
        "subscriber_failures": {"s": 0},
    }


def test_unsupported_link_type_is_not_an_error(chain: PacketChain) -> None:
    packets: list[Packet] = []
    chain.subscribe(packets.append, "keep")
    assert chain.process(Source(), 1, batch(b"\x00" * 20)) == 0
    assert packets[0].status == UNSUPPORTED and not packets[0].error
    assert chain.unsupported == 1


def test_packet_fields(chain: PacketChain) -> None:
    packets: list[Packet] = []
    chain.subscribe(packets.append, "keep")
    source = Source()
    chain.process(source, 105, batch(b"ok", b"ok2", start=1_600_000_000.5))
    first, second = packets
    assert first.source is source and first.dlt == 105
    assert first.ts == pytest.approx(1_600_000_000.5) and second.ts == pytest.approx(
        1_600_000_000.75
    )
    assert first.data == b"ok" and first.length == 2 and second.length == 3
    assert "pending" not in repr(first)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 999_999),
                          st.binary(min_size=1, max_size=40)), max_size=8))
def test_every_record_of_a_batch_reaches_the_subscribers_as_captured(
        records: list[tuple[int, int, bytes]]) -> None:
    """Seconds and microseconds over their whole range, any frame sizes: each
    packet has its own time and bytes."""
    chain = PacketChain(task.Clock(), CountingDecoder())
    packets: list[Packet] = []
    chain.subscribe(packets.append, "keep")
    meta = b"".join(META.pack(sec, usec, sum(len(d) for _, _, d in records[:i]), len(data))
                    for i, (sec, usec, data) in enumerate(records))
    chain.process(Source(), 105, (b"".join(d for _, _, d in records), meta))
    assert [(p.ts, p.data, p.length) for p in packets] == [
        (sec + usec * 1e-6, data, len(data)) for sec, usec, data in records]


def test_a_batch_with_a_partial_meta_record_is_refused(chain: PacketChain) -> None:
    buffer, meta = batch(b"ok")
    with pytest.raises(ValueError, match="not whole records"):
        chain.process(Source(), 105, (buffer, meta + b"\x00"))
    assert chain.packets == 0


def test_inject_and_make_packet(chain: PacketChain) -> None:
    seen: list[Packet] = []
    chain.subscribe(seen.append, "keep")
    assert chain.inject(chain.make_packet(Source(), 5.0, 127, b"bad")) is True
    assert chain.inject(chain.make_packet(Source(), 6.0, 127, b"ok")) is False
    assert len(seen) == 2 and chain.packets == 2 and chain.errors == 1


def test_real_decoder_is_the_default() -> None:
    from tests.capture.conftest import radiotap_beacon

    chain = PacketChain(task.Clock())
    packets: list[Packet] = []
    chain.subscribe(packets.append, "keep")
    chain.process(Source(), 127, batch(radiotap_beacon(freq=2462), b"\x00\x00"))
    good, short = packets
    assert good.decoded.freq_mhz == 2462 and not good.error
    assert short.status == MALFORMED


# -- the stage table ---------------------------------------------------------------


def test_register_places_a_stage_at_its_position_and_refuses_unknown_ones(
        chain: PacketChain) -> None:
    chain.register("streams", lambda p: None)
    chain.register("devices", lambda p: None)
    assert [(s.name, s.priority) for s in chain.subscribers()] == [
        ("devices", stage_position("devices")), ("streams", stage_position("streams"))]
    with pytest.raises(UnknownStage):
        chain.register("nosuchstage", lambda p: None)


def test_the_running_server_fills_the_chain_in_table_order(tmp_path: Path) -> None:
    from twisted.internet.testing import MemoryReactorClock

    from kismet_tx.capture.memory import MemoryCaptureSystem
    from kismet_tx.config import Config
    from kismet_tx.service import KNOWN_KEYS, build_service

    config = Config.from_text(f"log_types=kismet,pcapng\nlog_prefix={tmp_path}\n",
                              name="<test>", home=str(tmp_path), known_keys=KNOWN_KEYS)
    service = build_service(config, tmp_path, MemoryReactorClock(),
                            capture_system=MemoryCaptureSystem())
    service.startService()
    try:
        names = [s.name for s in service.chain.subscribers()]
        table = [stage.name for stage in STAGES]
        assert names == [name for name in table if name in names]
        assert {"sensorgps", "gps", "devices", "channels", "alerts", "devicewatch",
                "streams", "kismetdb"} <= set(names)
        # The pcapng log is a stream: the streams stage is on.
        assert service.chain.is_enabled("streams")
    finally:
        service.stopService()
