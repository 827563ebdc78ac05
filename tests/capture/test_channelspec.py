"""Channel strings and the nl80211 attributes they tune to."""

from __future__ import annotations

import pytest

from kismet_tx.capture.channelspec import (
    ChannelError,
    WifiChannel,
    channel_text_for,
    parse_channel,
    parse_channel_list,
)
from kismet_tx.capture.linux import LinuxCaptureSystem, channel_attrs
from kismet_tx.capture.system import CaptureError, NotSupported


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1", WifiChannel("1", 1, 2412)),
        ("14", WifiChannel("14", 14, 2484)),
        (" 6HT40+ ", WifiChannel("6HT40+", 6, 2437, "HT40+")),
        ("6ht40-", WifiChannel("6HT40-", 6, 2437, "HT40-")),
        ("36VHT80", WifiChannel("36VHT80", 36, 5180, "VHT80")),
        ("100VHT160", WifiChannel("100VHT160", 100, 5500, "VHT160")),
        ("11W10", WifiChannel("11W10", 11, 2462, "W10")),
        ("5955", WifiChannel("5955", 1, 5955)),
    ],
)
def test_parse_channel(text: str, expected: WifiChannel) -> None:
    assert parse_channel(text) == expected


@pytest.mark.parametrize(
    "text", ["", "0", "15", "250", "six", "6HT80", "6VHT80", "2413", 6, None, "1,6"]
)
def test_bad_channels(text: object) -> None:
    with pytest.raises(ChannelError):
        parse_channel(text)


def test_lists_and_texts() -> None:
    assert [c.text for c in parse_channel_list("1, 6,11")] == ["1", "6", "11"]
    assert [c.number for c in parse_channel_list(["36", "40"])] == [36, 40]
    with pytest.raises(ChannelError):
        parse_channel_list([])
    with pytest.raises(ChannelError):
        parse_channel_list(7)
    assert [channel_text_for(f) for f in (2412, 2484, 5180, 5955)] == ["1", "14", "36", "5955"]


@pytest.mark.parametrize(
    "freq, mode, width, centre",
    [
        (2437, "", 0, 2437),
        (2437, "HT20", 1, 2437),
        (2437, "HT40+", 2, 2447),
        (2437, "HT40-", 2, 2427),
        (5180, "VHT80", 3, 5210),
        (5260, "VHT80", 3, 5290),
        (5745, "VHT80", 3, 5775),
        (5500, "VHT160", 5, 5570),
        (2462, "W10", 7, 2462),
    ],
)
def test_nl80211_channel_attributes(freq: int, mode: str, width: int, centre: int) -> None:
    assert channel_attrs(freq, mode) == [
        ["NL80211_ATTR_WIPHY_FREQ", freq],
        ["NL80211_ATTR_CHANNEL_WIDTH", width],
        ["NL80211_ATTR_CENTER_FREQ1", centre],
    ]
    with pytest.raises(CaptureError):
        channel_attrs(2437, "HT80")


def test_real_system_without_a_radio(veth_netns: str) -> None:
    # No Wi-Fi here (and a veth never is): nl80211 parts answer "not wireless".
    system = LinuxCaptureSystem(netns=veth_netns)
    assert system.wireless_info("kxcap") is None
    with pytest.raises(NotSupported):
        system.create_monitor_vif("kxcap", "kxcapmon")
    with pytest.raises(CaptureError):
        system.set_channel("kxnosuchif0", 2412)
