"""The channel tracker on synthetic packets and on a real capture."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.internet import task

from kismet_tx.capture.datasourcetracker import DatasourceTracker
from kismet_tx.capture.linux import LinuxCaptureSystem
from kismet_tx.capture.system import pack_batch
from kismet_tx.chain import PacketChain
from kismet_tx.channels import ChannelRecord, ChannelTracker
from kismet_tx.messagebus import MessageBus
from tests.capture.conftest import beacon, radiotap_beacon

DATA = Path(__file__).resolve().parent / "data"


class Source:
    uuid = "5FE308BD-0000-0000-0000-000000000001"
    source_name = "test"


def feed(frames: list[tuple[float, bytes]], dlt: int = 127) -> ChannelTracker:
    chain = PacketChain(task.Clock())
    channels = ChannelTracker()
    chain.subscribe(channels, "channels")
    chain.process(Source(), dlt, pack_batch(frames))
    return channels


def mac(n: int) -> bytes:
    return bytes([0, 0x11, 0x22, 0, 0, n])


def test_counts_per_frequency_and_channel() -> None:
    frames = [
        (100.0 + i * 0.1, radiotap_beacon(freq=2437, signal=-40 - i, bssid=mac(i % 3)))
        for i in range(10)
    ]
    frames += [(101.5, radiotap_beacon(freq=2412, signal=-70, bssid=mac(9)))]
    record = feed(frames).record()
    by_freq = record["kismet.channeltracker.frequency_map"]
    by_chan = record["kismet.channeltracker.channel_map"]
    assert list(by_freq) == ["2412000", "2437000"]
    assert list(by_chan) == ["1", "6"]
    six = by_chan["6"]
    assert six["kismet.channelrec.channel"] == "6"
    assert six["kismet.channelrec.frequency"] == 2437000
    assert six["kismet.channelrec.total_packets"] == 10
    assert six["kismet.channelrec.device_count"] == 3
    assert six["kismet.channelrec.packets_rrd"]["kismet.common.rrd.last_time"] == 100
    assert sum(six["kismet.channelrec.packets_rrd"]["kismet.common.rrd.minute_vec"]) == 10
    assert six["kismet.channelrec.device_rrd"]["kismet.common.rrd.last_value"] == 3
    signal = six["kismet.channelrec.signal"]
    assert signal["kismet.common.signal.type"] == "dbm"
    assert signal["kismet.common.signal.last_signal"] == -49
    assert signal["kismet.common.signal.max_signal"] == -40
    assert signal["kismet.common.signal.min_signal"] == -49
    assert by_freq["2437000"]["kismet.channelrec.total_packets"] == 10
    assert by_freq["2412000"]["kismet.channelrec.signal"]["kismet.common.signal.last_signal"] == -70


def test_device_rrd_forgets_quiet_transmitters() -> None:
    frames = [
        (1000.0, radiotap_beacon(bssid=mac(1))),
        (1000.5, radiotap_beacon(bssid=mac(2))),
        (1040.0, radiotap_beacon(bssid=mac(2))),
    ]
    channel = feed(frames).record()["kismet.channeltracker.channel_map"]["6"]
    assert channel["kismet.channelrec.device_rrd"]["kismet.common.rrd.last_value"] == 1
    assert channel["kismet.channelrec.device_count"] == 2


def test_device_rrd_counts_like_a_full_recount_when_time_jumps_back() -> None:
    # Out-of-order seconds, a jump back past the last 30 s window, repeats.
    seconds = [1000, 1001, 1001, 1005, 1040, 1002, 1041, 1100, 1070, 1071, 1101, 1000, 1102]
    frames = [(float(sec), radiotap_beacon(bssid=mac(i % 5))) for i, sec in enumerate(seconds)]
    channels = ChannelTracker()
    chain = PacketChain(task.Clock())
    chain.subscribe(channels, "channels")
    seen: dict[bytes, int] = {}
    for index, frame in enumerate(frames):
        chain.process(Source(), 127, pack_batch([frame]))
        seen[mac(index % 5)] = seconds[index]
        record = channels.frequencies[2437]
        record.flush()
        expected = sum(1 for last in seen.values() if last > seconds[index] - 30)
        assert record.device_rrd.record()["kismet.common.rrd.last_value"] == expected
        assert record.parent is not None
        assert record.parent.active_devices(seconds[index]) == expected


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(1000, 1080), st.booleans()),
                min_size=1, max_size=40),
       st.booleans())
def test_active_transmitters_match_a_recount_for_any_order_of_seconds(
        sightings: list[tuple[int, int, bool]], radio_header: bool) -> None:
    # Several packets per second, seconds out of order, counts asked for or not
    # between packets: the incremental count always equals a full recount. With a
    # radio header the frequency record counts (the chain's inlined path); without
    # one, the advertised channel's record does (ChannelRecord.count).
    channels = ChannelTracker()
    chain = PacketChain(task.Clock())
    chain.subscribe(channels, "channels")
    seen: dict[bytes, int] = {}

    def counted() -> ChannelRecord:
        return channels.frequencies[2437] if radio_header else channels.channels["6"]

    for who, sec, ask in sightings:
        frame = radiotap_beacon(bssid=mac(who)) if radio_header else beacon(
            channel=6, bssid=mac(who))
        chain.process(Source(), 127 if radio_header else 105, pack_batch([(float(sec), frame)]))
        seen[mac(who)] = sec
        if ask:
            expected = sum(1 for last in seen.values() if last > sec - 30)
            assert counted().active_devices(sec) == expected
    record = counted()
    record.flush()
    last_sec = sightings[-1][1]
    expected = sum(1 for last in seen.values() if last > last_sec - 30)
    assert record.device_rrd.record()["kismet.common.rrd.last_value"] == expected
    assert record.device_count() == len(seen)


def test_captures_without_radio_headers_use_the_advertised_channel() -> None:
    frames = [(10.0, beacon(channel=11)), (10.5, beacon(channel=11, bssid=mac(4)))]
    record = feed(frames, dlt=105).record()
    assert record["kismet.channeltracker.frequency_map"] == {}
    eleven = record["kismet.channeltracker.channel_map"]["11"]
    assert eleven["kismet.channelrec.total_packets"] == 2
    assert eleven["kismet.channelrec.frequency"] == 0
    assert eleven["kismet.channelrec.signal"]["kismet.common.signal.type"] == "none"


def replayed(name: str) -> dict:
    clock = task.Clock()
    chain = PacketChain(clock)
    channels = ChannelTracker()
    chain.subscribe(channels, "channels")
    tracker = DatasourceTracker(
        clock=clock,
        reactor=None,
        bus=MessageBus(clock),
        sink=chain.sink,
        system=LinuxCaptureSystem(),
    )
    tracker.startService()
    source = tracker.add(str(DATA / name))
    while source.capturing:
        clock.advance(0)
    return channels.record()


def test_real_capture_fragattacks_three_channels() -> None:
    # truth.json: radio channels 5, 6, 7 at 2432, 2437, 2442 MHz; 152 frames, of which
    # the 22 injected ones have a radiotap header without a channel field (tshark:
    # radiotap.present.channel == 0), so 130 are placed on a frequency.
    record = replayed("fragattacks_eapol-inject-fromclient.pcapng")
    freqs = record["kismet.channeltracker.frequency_map"]
    assert list(freqs) == ["2432000", "2437000", "2442000"]
    assert list(record["kismet.channeltracker.channel_map"]) == ["5", "6", "7"]
    assert sum(r["kismet.channelrec.total_packets"] for r in freqs.values()) == 130
    assert all(
        r["kismet.channelrec.signal"]["kismet.common.signal.type"] == "dbm" for r in freqs.values()
    )


def test_real_capture_with_bad_fcs_counts_frequencies_not_channels() -> None:
    # Every one of the 2,223 frames has a bad FCS: they count on their frequency
    # (1, 6 and 11), but no channel or device is credited from them.
    record = replayed("probingpatterns_iPhoneXR-L_anonymized.pcap")
    freqs = record["kismet.channeltracker.frequency_map"]
    assert list(freqs) == ["2412000", "2437000", "2462000"]
    assert sum(r["kismet.channelrec.total_packets"] for r in freqs.values()) == 2223
    assert all(r["kismet.channelrec.device_count"] == 0 for r in freqs.values())
    assert record["kismet.channeltracker.channel_map"] == {}


def test_real_capture_induction_channel_one() -> None:
    record = replayed("john-samples_wpa-Induction.pcapng")
    one = record["kismet.channeltracker.channel_map"]["1"]
    freq = record["kismet.channeltracker.frequency_map"]["2412000"]
    # 1,093 frames: 13 are error packets (3 bad FCS, 10 corrupt); the 10 corrupt ones
    # have no decodable header at all, so the frequency sees 1,083 and the channel 1,080.
    assert freq["kismet.channelrec.total_packets"] == 1093 - 10
    assert one["kismet.channelrec.total_packets"] == 1093 - 13
    # Transmitter addresses of sound frames: the AP and its clients (tshark's six
    # "transmitters" also count source addresses relayed from the wired side).
    assert 3 <= one["kismet.channelrec.device_count"] <= 6
    assert one["kismet.channelrec.total_data"] > 0
