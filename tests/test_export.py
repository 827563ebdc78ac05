"""The exporter's feed and the AMQP publisher's buffer, on a Clock and a recording publisher."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from twisted.internet import task

from kismet_tx.config import Config
from kismet_tx.configfile import ConfigError
from kismet_tx.export.aggregate import AggregateStore
from kismet_tx.export.amqp import AmqpPublisher
from kismet_tx.export.feed import SCAN_SLICE, Exporter, FanOut, word
from kismet_tx.export.mqtt import parse_mqtt_url
from kismet_tx.export.wiring import build_aggregate, build_export
from kismet_tx.messagebus import ALERT, ERROR, MessageBus


@dataclass
class Recorder:
    sent: list[tuple[str, bytes, dict[str, Any]]] = field(default_factory=list)

    def publish(self, key: str, body: bytes, headers: dict[str, Any]) -> bool:
        self.sent.append((key, body, headers))
        return True

    def kinds(self, kind: str) -> list[tuple[str, Any]]:
        return [(key, orjson.loads(body)) for key, body, headers in self.sent
                if headers["kind"] == kind]


@dataclass
class Phy:
    name: str = "IEEE802.11"


@dataclass
class Device:
    key: str
    mod_time: int
    phy: Phy = field(default_factory=Phy)


@dataclass
class Alert:
    header: str

    def record(self) -> dict[str, Any]:
        return {"kismet.alert.header": self.header}


class Turns:
    """A cooperator scheduler run by hand: one slice of work per :meth:`turn`."""

    def __init__(self) -> None:
        self.pending: list[Any] = []

    def __call__(self, work: Any) -> Any:
        self.pending.append(work)
        return self

    def cancel(self) -> None:
        self.pending.clear()

    def turn(self) -> None:
        work, self.pending = self.pending, []
        for call in work:
            call()


def make(devices: list[Device], clock: task.Clock,
         turns: Turns | None = None) -> tuple[Exporter, Recorder, MessageBus, list[Any]]:
    bus = MessageBus(clock)
    cooperator = task.Cooperator(terminationPredicateFactory=lambda: lambda: True,
                                 scheduler=turns or Turns())
    listeners: list[Any] = []
    recorder = Recorder()
    exporter = Exporter(
        publisher=recorder, server_name="mast 1.a", clock=clock, devices=lambda: devices,
        record=lambda d: {"kismet.device.base.key": d.key}, encode=orjson.dumps, bus=bus,
        alert_listeners=listeners, interval=5.0, cooperator=cooperator)
    exporter.startService()
    return exporter, recorder, bus, listeners


def test_each_changed_device_goes_out_once_per_interval_in_slices() -> None:
    clock = task.Clock()
    clock.advance(1000)
    devices = [Device(f"K{i}", 1000) for i in range(SCAN_SLICE * 2 + 7)]
    turns = Turns()
    exporter, recorder, _, _ = make(devices, clock, turns)
    clock.advance(5)  # the first scan starts: one slice per reactor turn
    turns.turn()
    assert len(recorder.kinds("device")) == SCAN_SLICE
    turns.turn()
    assert len(recorder.kinds("device")) == 2 * SCAN_SLICE
    turns.turn()
    turns.turn()
    sent = recorder.kinds("device")
    assert sorted(r["kismet.device.base.key"] for _, r in sent) == sorted(d.key for d in devices)
    assert {key for key, _ in sent} == {"kismet.mast_1_a.device.IEEE802_11"}
    recorder.sent.clear()
    devices[3].mod_time = int(clock.seconds()) + 2
    clock.advance(5)
    for _ in range(4):
        turns.turn()
    assert [r["kismet.device.base.key"] for _, r in recorder.kinds("device")] == ["K3"]
    recorder.sent.clear()
    clock.advance(5)
    for _ in range(4):
        turns.turn()
    assert recorder.kinds("device") == []  # nothing changed since
    assert exporter.scans == 3
    status = exporter.status()
    assert status["kismet.export.devices"] == len(devices) + 1
    assert status["kismet.export.scans"] == 3 and status["kismet.export.publishers"] == []


def test_alerts_and_messages_go_out_as_they_happen() -> None:
    clock = task.Clock()
    exporter, recorder, bus, listeners = make([], clock)
    for listener in listeners:
        listener(Alert("DEAUTHFLOOD"))
    bus.post("radio gone", ERROR)
    bus.post("ALERT: x", ALERT)
    assert recorder.kinds("alert") == [("kismet.mast_1_a.alert.DEAUTHFLOOD",
                                        {"kismet.alert.header": "DEAUTHFLOOD"})]
    keys = [key for key, _ in recorder.kinds("message")]
    assert keys == ["kismet.mast_1_a.message.error", "kismet.mast_1_a.message.alert"]
    assert all(h["kismet.server.name"] == "mast 1.a" for _, _, h in recorder.sent)
    exporter.stopService()
    bus.post("after the stop")
    assert len(recorder.kinds("message")) == 2 and listeners == []


def test_a_fan_out_hands_each_message_to_every_publisher() -> None:
    first, second = Recorder(), Recorder()
    fan = FanOut([first, second])
    assert fan.publish("k", b"x", {"kind": "device"})
    assert first.sent == second.sent == [("k", b"x", {"kind": "device"})]


def test_routing_words_are_safe() -> None:
    assert word("IEEE802.11") == "IEEE802_11"
    assert word("north #1/*") == "north_1"
    assert word("...") == "_"


def test_the_publisher_buffers_to_its_limit_and_counts_drops_while_away() -> None:
    clock = task.Clock()
    publisher = AmqpPublisher(url="amqp://guest:guest@127.0.0.1:1/%2F", exchange="kismet",
                              reactor=clock, bus=MessageBus(clock), limit=3)
    results = [publisher.publish(f"k.{i}", b"x", {}) for i in range(5)]
    assert results == [True, True, True, False, False]
    assert publisher.stats()["queued"] == 3 and publisher.dropped == 2
    assert [key for key, _, _ in publisher.queue] == ["k.0", "k.1", "k.2"]


def test_bus_settings_are_checked() -> None:
    def conf(text: str) -> Config:
        return Config.from_text(text, name="<test>", home="/tmp")

    clock = task.Clock()
    common: dict[str, Any] = dict(reactor=clock, bus=MessageBus(clock), server_name="s",
                                  devices=list, record=dict, encode=orjson.dumps,
                                  alert_listeners=[], chain=None)
    assert build_export(conf(""), **common) is None
    assert isinstance(build_export(conf("amqp_url=amqp://h/\n"), **common), Exporter)
    for bad, key in (("amqp_url=http://h/\n", "amqp_url"),
                     ("amqp_url=amqp://h/\namqp_device_interval=-1\n", "amqp_device_interval"),
                     ("amqp_url=amqp://h/\namqp_queue_limit=0\n", "amqp_queue_limit")):
        with pytest.raises(ConfigError, match=key):
            build_export(conf(bad), **common)
    with pytest.raises(ConfigError, match="mqtt_url"):
        build_export(conf("mqtt_url=tcp://h/\n"), **common)
    both = build_export(conf("amqp_url=amqp://h/\nmqtt_url=mqtt://u:p%20w@h:1884\n"), **common)
    assert isinstance(both, Exporter) and isinstance(both.publisher, FanOut)
    assert [type(p).__name__ for p in both.publisher.publishers] == ["AmqpPublisher",
                                                                     "MqttPublisher"]
    assert parse_mqtt_url("mqtt://u:p%20w@h:1884") == ("h", 1884, "u", "p w")
    assert parse_mqtt_url("mqtt://broker") == ("broker", 1883, None, None)
    store, consumer = build_aggregate(conf(""), reactor=clock, bus=common["bus"])
    assert consumer is None and len(store) == 0
    with pytest.raises(ConfigError, match="aggregate_enabled"):
        build_aggregate(conf("aggregate_enabled=true\n"), reactor=clock, bus=common["bus"])


def test_the_aggregate_store_tags_bounds_and_refuses_garbage() -> None:
    store = AggregateStore(max_devices=2)
    assert store.add("north", orjson.dumps({"kismet.device.base.key": "A", "n": 1}), 10)
    assert store.add("north", orjson.dumps({"kismet.device.base.key": "A", "n": 2}), 11)
    assert store.add("south", orjson.dumps({"kismet.device.base.key": "A"}), 12)
    assert not store.add("south", orjson.dumps({"kismet.device.base.key": "B"}), 13)
    assert not store.add("south", b"{not json", 14)
    assert not store.add("south", b"[1, 2]", 15)
    assert store.refused == 3
    assert store.records() == [
        {"kismet.device.base.key": "A", "n": 2, "kismet.server.name": "north"},
        {"kismet.device.base.key": "A", "kismet.server.name": "south"}]
    (north, south) = store.servers()
    assert north["kismet.aggregate.updates"] == 2 and north["kismet.aggregate.last_time"] == 11
    assert south["kismet.aggregate.devices"] == 1


def test_packets_go_out_only_when_asked_and_last_in_the_chain() -> None:
    from kismet_tx.capture.system import pack_batch
    from kismet_tx.chain import PacketChain

    clock = task.Clock()
    for packets in (False, True):
        chain = PacketChain(clock)
        recorder = Recorder()
        exporter = Exporter(publisher=recorder, server_name="s", clock=clock, devices=list,
                            record=dict, encode=orjson.dumps, bus=MessageBus(clock),
                            alert_listeners=[], chain=chain, packets=packets)
        exporter.startService()
        source = type("Source", (), {"uuid": "5EC0A1E5-0000-0000-0000-000000000001"})()
        chain.sink(source, 105, pack_batch([(1_600_000_000.5, b"\x80\x00" + bytes(22))]))
        sent = [(key, body, headers) for key, body, headers in recorder.sent
                if headers["kind"] == "packet"]
        if not packets:
            assert sent == [] and "export" not in [s.name for s in chain.subscribers()]
            continue
        ((key, body, headers),) = sent
        assert key == "kismet.s.packet.105" and body == b"\x80\x00" + bytes(22)
        assert headers["dlt"] == 105 and headers["ts"] == 1_600_000_000.5
        assert headers["source"] == source.uuid
        assert chain.subscribers()[-1].name == "export"
