"""System alerts on task.Clock: DEVICEFOUND, DEVICELOST and SOURCEERROR."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from twisted.internet import task

from kismet_tx.alerts.alertsystem import build_alerts
from kismet_tx.chain import PacketChain
from kismet_tx.config import Config
from kismet_tx.messagebus import ALERT, MessageBus
from tests.alerts.helpers import (
    AP,
    AP2,
    DLT_80211,
    STA,
    Wids,
    beacon,
    mac,
    probe_request,
)

WATCH = f"devicefound={mac(STA)}\ndevicelost={mac(STA)}\n"


def tick(wids: Wids, seconds: float) -> None:
    """Let ``seconds`` pass, running the once-a-second checks."""
    service = wids.system.service
    if not service.running:
        service.startService()
    for _ in range(int(seconds)):
        wids.clock.advance(1)


def test_devicefound_when_a_watched_mac_first_transmits() -> None:
    wids = Wids.build(WATCH)
    wids.send(beacon(bssid=AP))
    assert wids.alerts == []
    wids.send(probe_request(b"lab", source=STA))
    wids.send(probe_request(b"lab", source=STA))
    [alert] = wids.alerts
    assert alert.header == "DEVICEFOUND" and alert.source_mac == mac(STA)
    assert alert.klass == "SYSTEM"
    assert wids.bus.messages()[-1].flags == ALERT


def test_devicelost_after_the_timeout_and_found_again_after_idling() -> None:
    wids = Wids.build(WATCH + "devicelost_timeout=30\ndevicefound_timeout=60\n")
    wids.send(probe_request(b"lab", source=STA))
    tick(wids, 30)
    assert wids.headers() == ["DEVICEFOUND"]
    tick(wids, 2)
    assert wids.headers() == ["DEVICEFOUND", "DEVICELOST"]
    lost = wids.alerts[-1]
    assert lost.source_mac == mac(STA) and "not been seen for 31 seconds" in lost.text
    tick(wids, 100)
    assert wids.headers() == ["DEVICEFOUND", "DEVICELOST"]  # lost once
    wids.send(probe_request(b"lab", source=STA))
    assert wids.headers() == ["DEVICEFOUND", "DEVICELOST", "DEVICEFOUND"]


def test_seen_within_the_found_timeout_is_not_found_again() -> None:
    wids = Wids.build(f"devicefound={mac(STA)}\n")
    for _ in range(5):
        wids.send(probe_request(b"lab", source=STA))
        tick(wids, 50)
    assert wids.headers() == ["DEVICEFOUND"]
    tick(wids, 61)
    wids.send(probe_request(b"lab", source=STA))
    assert wids.headers() == ["DEVICEFOUND", "DEVICEFOUND"]


def test_masks_and_the_both_list() -> None:
    wids = Wids.build()
    devices = wids.system.device_watch
    assert devices.add("both", ["00:c0:ca:00:00:00/ff:ff:ff:00:00:00"]) == [
        "00:C0:CA:00:00:00/FF:FF:FF:00:00:00"]
    assert devices.macs("found") == devices.macs("lost") == devices.macs("both") == [
        "00:C0:CA:00:00:00/FF:FF:FF:00:00:00"]
    wids.send(beacon(bssid=AP))
    wids.clock.advance(2)
    wids.send(beacon(bssid=AP2))
    wids.send(probe_request(b"lab", source=STA))
    assert [a.source_mac for a in wids.alerts] == [mac(AP), mac(AP2)]
    assert devices.remove("found", ["00:C0:CA:00:00:00/FF:FF:FF:00:00:00"]) == [
        "00:C0:CA:00:00:00/FF:FF:FF:00:00:00"]
    assert devices.macs("found") == []
    tick(wids, 62)
    assert sorted(a.source_mac for a in wids.of("DEVICELOST")) == [mac(AP), mac(AP2)]


def test_attached_device_watch_runs_only_while_a_mac_is_watched() -> None:
    wids = Wids.build()
    chain = PacketChain(wids.clock)
    devices = wids.system.device_watch
    devices.attach(chain, "devicewatch", priority=61)
    assert not chain.is_enabled("devicewatch")
    devices.add("found", [mac(STA)])
    assert chain.is_enabled("devicewatch")
    chain.inject(chain.make_packet(FakeSource("5FE308BD-0000-0000-0000-000000000009", "s", "s"),
                                   wids.clock.seconds(), DLT_80211,
                                   probe_request(b"lab", source=STA)))
    assert wids.headers() == ["DEVICEFOUND"]
    devices.remove("found", [mac(STA)])
    assert not chain.is_enabled("devicewatch")


def test_watch_list_errors() -> None:
    wids = Wids.build()
    with pytest.raises(ValueError, match="unknown watch list"):
        wids.system.device_watch.add("sideways", [mac(STA)])
    with pytest.raises(ValueError, match="invalid MAC"):
        wids.system.device_watch.add("found", [mac(STA), "12:34"])
    assert wids.system.device_watch.macs("both") == []


@dataclass
class FakeSource:
    uuid: str
    source_name: str
    interface: str
    error: bool = False
    error_reason: str = ""


def test_sourceerror_once_per_failure() -> None:
    clock = task.Clock()
    bus = MessageBus(clock)
    radio = FakeSource("A", "wifi", "wlan0")
    replay = FakeSource("B", "file", "/tmp/x.pcap")
    sources = [radio, replay]
    system = build_alerts(Config.from_text(""), clock, bus, sources=lambda: sources)
    system.service.startService()
    clock.advance(1)
    assert system.alert_tracker.alerts() == []
    radio.error, radio.error_reason = True, "interface went down"
    for _ in range(5):
        clock.advance(1)
    [alert] = system.alert_tracker.alerts()
    assert alert.header == "SOURCEERROR"
    assert alert.text == "Data source 'wifi' (wlan0) failed: interface went down"
    replay.error, replay.error_reason = True, "truncated record"
    radio.error_reason = "no such device"
    clock.advance(1)  # both in one check: SOURCEERROR skips the 1/sec burst
    assert [a.text.split(":")[-1].strip() for a in system.alert_tracker.alerts()[1:]] == [
        "no such device", "truncated record"]
    radio.error = False
    clock.advance(1)
    radio.error, radio.error_reason = True, "no such device"
    clock.advance(1)
    assert len(system.alert_tracker.alerts()) == 4
    system.service.stopService()
    assert clock.getDelayedCalls() == []
