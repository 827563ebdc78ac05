"""The linuxwifi datasource: monitor vifs, channels and hopping on the twin; live on veth."""

from __future__ import annotations

import random
import time

import pytest

from kismet_tx.capture.linux import LinuxCaptureSystem
from kismet_tx.capture.linuxwifi import LinuxWifiSource
from kismet_tx.capture.memory import MemoryCaptureSystem
from kismet_tx.capture.sourcecommands import SourceCommandError, SourceStateError
from kismet_tx.capture.system import CaptureError, WirelessInfo
from kismet_tx.messagebus import ERROR
from tests.capture.conftest import (
    RADIO,
    FakeFDReactor,
    Rig,
    delete_link,
    ether_frame,
    make_rig,
    marked,
    radiotap_beacon,
)


def wifi_rig(iftype: str = "managed", **kwargs: object) -> tuple[Rig, FakeFDReactor]:
    reactor = FakeFDReactor()
    system = MemoryCaptureSystem()
    radio = WirelessInfo(
        "wlan0", RADIO.phy, iftype, RADIO.frequencies, RADIO.hardware, RADIO.iftypes
    )
    system.add_interface(
        "wlan0", dlt=127 if iftype == "monitor" else 1, mac="00:C0:CA:11:22:33", radio=radio
    )
    rig = make_rig(system=system, reactor=reactor, **kwargs)
    rig.tracker.startService()
    return rig, reactor


def tunes(rig: Rig) -> list[int]:
    return [int(call[2]) for call in rig.system.calls if call[0] == "set_channel"]


def test_managed_interface_gets_a_monitor_vif_and_hops_every_channel() -> None:
    rig, _ = wifi_rig()
    source = rig.tracker.add("wlan0:name=radio")
    assert isinstance(source, LinuxWifiSource)
    assert ("create_monitor_vif", "wlan0", "wlan0mon") in rig.system.calls
    record = source.record()
    assert record["kismet.datasource.capture_interface"] == "wlan0mon"
    assert record["kismet.datasource.interface"] == "wlan0"
    assert record["kismet.datasource.dlt"] == 127
    assert record["kismet.datasource.hardware"] == "ath9k_htc"
    assert record["kismet.datasource.channels"] == ["1", "6", "11", "36", "40"]
    assert record["kismet.datasource.hop_channels"] == ["1", "6", "11", "36", "40"]
    assert record["kismet.datasource.hopping"] == 1
    assert record["kismet.datasource.hop_rate"] == 5.0
    assert record["kismet.datasource.running"] == 1
    assert record["kismet.datasource.type_driver"]["kismet.datasource.driver.type"] == "linuxwifi"
    assert source.uuid.endswith("-00C0CA112233"), "live UUIDs come from the interface MAC"
    assert tunes(rig) == [2412]
    for _ in range(5):
        rig.clock.advance(0.2)
    assert tunes(rig) == [2412, 2437, 2462, 5180, 5200, 2412]
    assert any("created monitor interface wlan0mon" in t for t in rig.texts())


def test_monitor_interface_is_captured_directly() -> None:
    rig, _ = wifi_rig("monitor")
    source = rig.tracker.add("wlan0:channel=6")
    assert source.capture_interface == "wlan0"
    assert not [c for c in rig.system.calls if c[0] == "create_monitor_vif"]
    assert tunes(rig) == [2437]
    assert source.channel == "6" and not source.hopping
    rig.clock.advance(10)
    assert tunes(rig) == [2437]


def test_hop_rate_and_list_from_the_definition() -> None:
    rig, _ = wifi_rig()
    source = rig.tracker.add('wlan0:channels="1,11",hop_rate=2/sec')
    assert source.hop_channels == ["1", "11"]
    rig.clock.advance(0.5)
    rig.clock.advance(0.5)
    assert tunes(rig) == [2412, 2462, 2412]
    assert source.channel == "1"


def test_shuffle_hops_in_the_order_of_the_injected_rng() -> None:
    rig, _ = wifi_rig(rng=random.Random(7))
    rig.tracker.add("wlan0:shuffle=true,hop_rate=1/sec")
    for _ in range(4):
        rig.clock.advance(1)
    expected = [2412, 2437, 2462, 5180, 5200]
    random.Random(7).shuffle(expected)
    assert tunes(rig) == expected
    rig.clock.advance(1)
    assert tunes(rig)[-1] == expected[0]


def test_set_channel_locks_and_set_hop_resumes() -> None:
    rig, _ = wifi_rig()
    source = rig.tracker.add("wlan0")
    source.set_channel("11")
    assert source.channel == "11" and not source.hopping
    count = len(tunes(rig))
    rig.clock.advance(5)
    assert len(tunes(rig)) == count
    source.resume_hopping()
    assert source.hopping
    rig.clock.advance(0.2)
    assert len(tunes(rig)) == count + 2
    source.set_hopping(["36", "40"], 10.0, False)
    assert source.hop_channels == ["36", "40"] and source.hop_rate == 10.0
    rig.clock.advance(0.1)
    assert tunes(rig)[-2:] == [5180, 5200]
    source.set_hopping(None, 1.0, None)
    assert source.hop_channels == ["36", "40"] and source.hop_rate == 1.0
    assert any("locked to channel 11" in t for t in rig.texts())


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.set_channel("250"),
        lambda s: s.set_channel("13"),
        lambda s: s.set_channel("6VHT80"),
        lambda s: s.set_hopping(["1", "bogus"], None, None),
        lambda s: s.set_hopping(["1"], 0.0, None),
        lambda s: s.set_hopping(["1"], float("nan"), None),
        lambda s: s.set_hopping(["1"], 1e9, None),
        lambda s: s.set_hopping([], None, None),
    ],
)
def test_bad_channel_commands_change_nothing(call: object) -> None:
    rig, _ = wifi_rig()
    source = rig.tracker.add("wlan0")
    before = source.record()
    count = len(tunes(rig))
    with pytest.raises(SourceCommandError):
        call(source)  # type: ignore[operator]
    after = source.record()
    for key in ("channel", "hopping", "hop_rate", "hop_channels", "hop_shuffle"):
        assert after[f"kismet.datasource.{key}"] == before[f"kismet.datasource.{key}"]
    assert len(tunes(rig)) == count


def test_frames_flow_through_the_reader_and_pause_drops_them() -> None:
    rig, reactor = wifi_rig()
    source = rig.tracker.add("wlan0")
    for index in range(3):
        rig.system.inject("wlan0mon", radiotap_beacon(), ts=1_700_000_000 + index)
    assert reactor.poll() == 1
    assert len(rig.sink.frames()) == 3
    assert source.num_packets == 3
    source.pause()
    rig.system.inject("wlan0mon", radiotap_beacon())
    reactor.poll()
    assert len(rig.sink.frames()) == 3 and source.num_packets == 3
    source.resume()
    rig.system.inject("wlan0mon", radiotap_beacon())
    reactor.poll()
    assert len(rig.sink.frames()) == 4


def test_vanished_interface_errors_and_retries_on_a_backoff() -> None:
    rig, reactor = wifi_rig()
    source = rig.tracker.add("wlan0:name=radio")
    rig.system.remove_interface("wlan0mon")
    rig.system.remove_interface("wlan0")
    reactor.poll()
    record = source.record()
    assert record["kismet.datasource.error"] == 1
    assert record["kismet.datasource.running"] == 0
    assert "disappeared" in record["kismet.datasource.error_reason"]
    assert record["kismet.datasource.retry_attempts"] == 1
    assert reactor.readers == []
    errors = [m.text for m in rig.bus.messages() if m.flags & ERROR]
    assert "re-open in 5 seconds" in errors[-1]
    rig.clock.advance(5)
    assert source.retry_attempts == 2 and "re-open in 10 seconds" in rig.texts()[-1]
    rig.clock.advance(10)
    assert source.retry_attempts == 3 and "re-open in 20 seconds" in rig.texts()[-1]
    # The radio comes back: the next retry re-creates the monitor vif and reopens.
    rig.system.add_interface("wlan0", radio=RADIO)
    rig.clock.advance(20)
    assert source.capturing and not source.error and source.retry_attempts == 0
    assert source.total_retry_attempts == 3
    assert source.capture_interface == "wlan0mon"
    assert "opened" in rig.texts()[-1]
    assert source.hopping


def test_retry_false_stays_in_error() -> None:
    rig, reactor = wifi_rig()
    source = rig.tracker.add("wlan0:retry=false")
    rig.system.remove_interface("wlan0mon")
    reactor.poll()
    assert source.error and not source.retry_pending
    assert "will remain closed" in rig.texts()[-1]


def test_close_cancels_the_retry_and_open_reopens() -> None:
    rig, reactor = wifi_rig()
    source = rig.tracker.add("wlan0")
    rig.system.remove_interface("wlan0mon")
    reactor.poll()
    assert source.retry_pending
    source.close()
    assert not source.retry_pending
    rig.clock.advance(100)
    assert not source.capturing
    source.open()
    assert source.capturing


def test_tune_failure_becomes_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    rig, _ = wifi_rig()
    source = rig.tracker.add('wlan0:channels="1,6",hop_rate=1/sec')
    real = rig.system.set_channel

    def refuse_six(interface: str, freq: int, mode: str = "") -> None:
        if freq == 2437:
            raise CaptureError("Device or resource busy")
        real(interface, freq, mode)

    monkeypatch.setattr(rig.system, "set_channel", refuse_six)
    rig.clock.advance(1)
    assert "could not tune to channel 6" in source.warning and source.capturing
    assert source.channel == "1"
    rig.clock.advance(1)
    assert source.warning == "" and source.channel == "1"
    with pytest.raises(SourceCommandError, match="busy"):
        source.set_channel("6")


def test_not_a_wifi_interface_captures_without_channel_control() -> None:
    rig, reactor = wifi_rig()
    rig.system.add_pair("veth0", "veth1")
    source = rig.tracker.add("veth0")
    assert source.capturing and source.dlt == 1
    assert "not a Wi-Fi interface" in source.warning
    with pytest.raises(SourceCommandError):
        source.set_channel("6")
    rig.system.transmit("veth1", ether_frame(1))
    reactor.poll()
    assert marked(rig.sink.batches[0][2]) == [1]


def test_channel_commands_need_a_running_source() -> None:
    rig, _ = wifi_rig()
    source = rig.tracker.add("wlan0")
    source.close()
    with pytest.raises(SourceStateError):
        source.set_channel("6")


def test_live_capture_on_a_veth_pair_through_a_real_reactor(veth_netns: str) -> None:
    from twisted.internet.epollreactor import EPollReactor

    reactor = EPollReactor()
    system = LinuxCaptureSystem(netns=veth_netns)
    rig = make_rig(system=system, reactor=reactor)
    rig.tracker.startService()
    source = rig.tracker.add("kxcap:name=veth")
    try:
        assert source.capturing, source.error_reason
        assert source.dlt == 1 and "not a Wi-Fi interface" in source.warning
        sender = system.open_live("kxinj")
        for index in range(25):
            sender.sendpacket(ether_frame(index))
        deadline = time.monotonic() + 10
        seen: list[int] = []
        while len(seen) < 25 and time.monotonic() < deadline:
            reactor.iterate(0.5)
            seen = [i for _, _, batch in rig.sink.batches for i in marked(batch)]
        assert sorted(seen) == list(range(25))
        assert source.num_packets >= 25
        sender.close()
        delete_link(veth_netns, "kxcap")
        while not source.error and time.monotonic() < deadline:
            reactor.iterate(0.5)
        assert source.error and not source.capturing
        assert "went down" in source.error_reason or "disappeared" in source.error_reason
        assert source.retry_pending
        rig.clock.advance(5)
        assert source.error and source.retry_attempts == 2
        assert "no interface 'kxcap'" in source.error_reason
    finally:
        rig.tracker.stopService()
        reactor.removeAll()
