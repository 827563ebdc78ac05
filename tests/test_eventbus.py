"""The event bus and its once-a-second publisher, on a task.Clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from twisted.internet import task

from kismet_tx.chain import PacketChain
from kismet_tx.eventbus import ALL, Event, EventBus
from kismet_tx.eventsources import EventPublisher
from kismet_tx.messagebus import MessageBus
from kismet_tx.packetstats import PacketStats
from kismet_tx.sysmon import SystemMonitor
from kismet_tx.tracker.dot11state import ProbedSsid
from kismet_tx.trackerevents import TrackerEvents


def test_listeners_get_their_topic_aliases_and_star() -> None:
    bus = EventBus(task.Clock())
    got: dict[str, list[str]] = {"ALERT": [], "SSID": [], "*": []}
    bus.subscribe("ALERT", lambda e: got["ALERT"].append(e.topic))
    bus.subscribe("DOT11_NEW_SSID_BASEDEV", lambda e: got["SSID"].append(e.topic))
    bus.subscribe(ALL, lambda e: got["*"].append(e.topic))
    bus.publish("ALERT", {"ALERT": {}})
    bus.publish("DOT11_PROBED_SSID", {"DOT11_PROBED_SSID": {}})
    bus.publish("TIMESTAMP", {"TIMESTAMP": {}})
    assert got == {"ALERT": ["ALERT"], "SSID": ["DOT11_PROBED_SSID"],
                   "*": ["ALERT", "DOT11_PROBED_SSID", "TIMESTAMP"]}


def test_content_is_built_only_when_someone_listens() -> None:
    bus = EventBus(task.Clock())
    built: list[int] = []

    def content() -> dict[str, Any]:
        built.append(1)
        return {"NEW_DEVICE": {}}

    assert bus.publish("NEW_DEVICE", content) is None
    assert built == [] and bus.published["NEW_DEVICE"] == 1

    def listener(event: Event) -> None:
        pass

    bus.subscribe("NEW_DEVICE", listener)
    assert bus.publish("NEW_DEVICE", content) is not None
    assert built == [1]
    bus.unsubscribe("NEW_DEVICE", listener)
    assert not bus.listened("NEW_DEVICE")


def test_tracker_hooks_count_every_event_and_build_records_only_for_listeners() -> None:
    bus = EventBus(task.Clock())
    recorded: list[str] = []

    def record(device: str) -> dict[str, str]:
        recorded.append(device)
        return {"kismet.device.base.key": device}

    hooks = TrackerEvents(bus, record)
    probed = ProbedSsid(b"home", "home", 100)
    hooks.new_device("dev-1")
    hooks.ssid("probed", "dev-1", probed, b"home")
    assert recorded == []
    assert bus.published == {"NEW_DEVICE": 1, "DOT11_PROBED_SSID": 1}
    events: list[Event] = []
    bus.subscribe("NEW_DEVICE", events.append)
    bus.subscribe("DOT11_NEW_SSID_BASEDEV", events.append)
    hooks.new_device("dev-2")
    hooks.ssid("probed", "dev-2", probed, b"home")
    assert recorded == ["dev-2", "dev-2"]
    assert [event.topic for event in events] == ["NEW_DEVICE", "DOT11_PROBED_SSID"]
    assert events[0].content == {"NEW_DEVICE": {"kismet.device.base.key": "dev-2"}}
    ssid_event = events[1].content
    assert ssid_event["DOT11_NEW_SSID_BASEDEV"] == {"kismet.device.base.key": "dev-2"}
    assert ssid_event["DOT11_PROBED_SSID"]["dot11.probedssid.ssid"] == "home"
    assert bus.published == {"NEW_DEVICE": 2, "DOT11_PROBED_SSID": 2}


def test_one_encoding_per_format_is_shared() -> None:
    bus = EventBus(task.Clock())
    encodings: list[int] = []
    out: list[bytes] = []

    def encode(event: Event) -> bytes:
        encodings.append(1)
        return b"x"

    for _ in range(3):
        bus.subscribe("ALERT", lambda e: out.append(e.encoded(("json", b"[]"), encode)))
    bus.publish("ALERT", {"ALERT": {}})
    assert out == [b"x"] * 3 and encodings == [1]


def test_a_failing_listener_does_not_stop_the_others() -> None:
    bus = EventBus(task.Clock())
    got: list[str] = []

    def broken(event: Event) -> None:
        raise RuntimeError("boom")

    bus.subscribe("ALERT", broken)
    bus.subscribe("ALERT", lambda e: got.append(e.topic))
    bus.publish("ALERT", {"ALERT": {}})
    assert got == ["ALERT"]


def test_publisher_ticks_every_second_with_kismets_shapes(tmp_path: Path) -> None:
    clock = task.Clock()
    clock.advance(1_700_000_000.5)
    bus = EventBus(clock)
    chain = PacketChain(clock)
    monitor = SystemMonitor(clock, server_name="k", server_description="", server_location="",
                            device_count=lambda: 4, num_fields=lambda: 10,
                            num_connections=lambda: 2, num_components=lambda: 3,
                            battery_root=tmp_path / "none")
    publisher = EventPublisher(clock, bus, PacketStats(chain), monitor=monitor,
                               location=lambda: {"kismet.common.location.fix": 0})
    messages = MessageBus(clock)
    publisher.attach_messages(messages)
    seen: list[Event] = []
    bus.subscribe(ALL, seen.append)
    publisher.startService()
    chain.packets += 7
    clock.advance(1)
    topics = {e.topic: e.content[e.topic] for e in seen}
    assert set(topics) == {"TIMESTAMP", "BATTERY", "STATISTICS", "PACKETCHAIN_STATS",
                           "GPS_LOCATION"}
    assert topics["TIMESTAMP"]["kismet.system.timestamp.sec"] == 1_700_000_001
    assert topics["BATTERY"]["kismet.system.battery.charging"] == "unknown"
    assert topics["STATISTICS"]["kismet.system.devices.count"] == 4
    rate = topics["PACKETCHAIN_STATS"]["kismet.packetchain.packets_rrd"]
    assert rate["kismet.common.rrd.minute_vec"][1_700_000_001 % 60] == 7
    assert rate["kismet.common.rrd.serial_time"] == 1_700_000_001
    seen.clear()
    messages.post("hello")
    assert [e.content["MESSAGE"]["kismet.messagebus.message_string"] for e in seen] == ["hello"]
    publisher.stopService()
    assert clock.getDelayedCalls() == []


class _Source:
    uuid = "5FE308BD-0000-0000-0000-00000000CAFE"

    def record(self) -> dict[str, Any]:
        return {"kismet.datasource.uuid": self.uuid, "kismet.datasource.name": "radio"}


class _Sources:
    def __init__(self) -> None:
        self.state_listeners: list[Any] = []


def test_datasource_events_carry_the_record_then_the_uuid(tmp_path: Path) -> None:
    clock = task.Clock()
    bus = EventBus(clock)
    publisher = EventPublisher(clock, bus, PacketStats(PacketChain(clock)), monitor=None,
                               location=dict)
    sources = _Sources()
    publisher.attach_datasources(sources)
    seen: list[Event] = []
    bus.subscribe(ALL, seen.append)
    source = _Source()
    for state in ("new", "opened", "error", "closed"):
        for listener in sources.state_listeners:
            listener(source, state)
    assert [e.topic for e in seen] == ["NEW_DATASOURCE", "DATASOURCE_OPENED",
                                       "DATASOURCE_ERROR", "DATASOURCE_CLOSED"]
    assert seen[0].content["NEW_DATASOURCE"]["kismet.datasource.name"] == "radio"
    assert [e.content[e.topic] for e in seen[1:]] == [source.uuid] * 3
