"""The example plugin, tested on its own with the plugin harness (no server, no network)."""

from __future__ import annotations

import struct

import pytest

from kismet_tx.gps.location import Location
from kismet_tx.plugins.api import PluginHttpError
from kismet_tx.plugins.probestats import ALERT, POPULAR_CLIENTS, ProbeStats
from kismet_tx.plugins.testing import PluginHarness

F = "probestats.ssid."


def probe(client: int, ssid: bytes, signal: int = -50) -> bytes:
    """A probe request behind a radiotap header carrying a dBm signal (DLT 127)."""
    radiotap = struct.pack("<BBHIb", 0, 0, 9, 1 << 5, signal)
    source = bytes([2, 0, 0, 0, client >> 8, client & 0xFF])
    header = b"\x40\x00\x00\x00" + b"\xff" * 6 + source + b"\xff" * 6 + b"\x10\x00"
    body = bytes([0, len(ssid)]) + ssid + b"\x01\x04\x02\x04\x0b\x16"
    return radiotap + header + body


def beacon() -> bytes:
    return (b"\x80\x00\x00\x00" + b"\xff" * 6 + b"\x02" * 6 + b"\x02" * 6 + b"\x00\x00"
            + struct.pack("<QHH", 0, 100, 0x0401) + b"\x00\x04home")


@pytest.fixture
def harness() -> PluginHarness:
    made = PluginHarness(ProbeStats())
    made.setup()
    return made


def test_probes_are_counted_per_ssid(harness: PluginHarness) -> None:
    harness.feed(probe(1, b"home"), dlt=127, ts=100.0)
    harness.feed(probe(1, b"home", signal=-40), dlt=127, ts=101.0)
    harness.feed(probe(2, b"home"), dlt=127, ts=102.0)
    harness.feed(probe(3, b""), dlt=127, ts=103.0)
    harness.feed(probe(4, b"caf\xc3\xa9"), dlt=127, ts=104.0)
    harness.feed(beacon(), ts=105.0)
    records = harness.call("ssids")
    assert [r[F + "ssid"] for r in records] == ["home", "", "café"]
    home = records[0]
    assert (home[F + "probes"], home[F + "clients"]) == (3, 2)
    assert (home[F + "first_time"], home[F + "last_time"]) == (100.0, 102.0)
    assert home[F + "last_client"] == "02:00:00:00:00:02"
    assert home[F + "last_signal"] == -50


def test_filters_limits_and_fields(harness: PluginHarness) -> None:
    for client in range(3):
        harness.feed(probe(client, b"a"), dlt=127)
    harness.feed(probe(9, b"b"), dlt=127)
    assert len(harness.call("ssids", query={"min_probes": "2"})) == 1
    assert len(harness.call("ssids", method="POST", command={"limit": 1})) == 1
    narrowed = harness.call("ssids", method="POST", command={"fields": [F + "ssid"]})
    assert narrowed == [{F + "ssid": "a"}, {F + "ssid": "b"}]
    with pytest.raises(PluginHttpError, match="limit must be a whole number"):
        harness.call("ssids", query={"limit": "-1"})
    with pytest.raises(PluginHttpError, match="fields must be a list"):
        harness.call("ssids", method="POST", command={"fields": "nope"})


def test_probes_remember_where_they_were_seen(harness: PluginHarness) -> None:
    harness.feed(probe(1, b"home"), dlt=127, location=Location(48.1, 11.5))
    harness.feed(probe(2, b"home"), dlt=127)
    assert harness.call("ssids")[0][F + "last_location"] == [11.5, 48.1]


def test_popular_ssids_raise_one_alert(harness: PluginHarness) -> None:
    for client in range(POPULAR_CLIENTS + 5):
        harness.feed(probe(client, b"FreeWifi"), dlt=127)
    [alert] = harness.raised_alerts()
    assert alert.header == ALERT
    assert alert.klass == "PROBE"
    assert alert.text == f"SSID 'FreeWifi' was probed for by {POPULAR_CLIENTS} distinct clients"


def test_reset_and_teardown(harness: PluginHarness) -> None:
    harness.feed(probe(1, b"x"), dlt=127)
    assert harness.api.routes["reset.cmd"].login
    assert harness.call("reset.cmd", method="POST", user="admin") == "Cleared 1 SSIDs\n"
    assert harness.call("ssids") == []
    harness.feed(probe(1, b"y"), dlt=127)
    harness.teardown()
    assert harness.messages()[-1] == "Plugin 'probestats': counted 1 probe requests for 1 SSIDs"
    assert harness.chain.subscribers() == []


def test_without_an_alert_tracker_it_still_counts() -> None:
    harness = PluginHarness(ProbeStats(), with_alerts=False)
    harness.setup()
    assert "alerts unavailable" in harness.messages()[0]
    for client in range(POPULAR_CLIENTS):
        harness.feed(probe(client, b"z"), dlt=127)
    assert harness.call("ssids")[0][F + "clients"] == POPULAR_CLIENTS


def test_fields_and_web_page_are_registered(harness: PluginHarness) -> None:
    assert harness.fields.get(F + "probes").type == "uint64"
    assert (harness.api.static_root / "index.html").read_text().startswith("<!DOCTYPE html>")
