"""The endpoints and fields Kismet's web UI reads, on a real server (no browser needed).

``httpd_home`` (a web root of our own making, streamed with ranges), ``/dynamic.js``,
``alerts_view``, the SSID tracker, packet chain RRDs, the radiation and ADSB
answers, device RRDs and seen-by sources, last SSID records, indexed seen-by
views, battery fields, the full GPS location and the new datasource fields.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import REPO, RunningServer, start_server, stop_server

CAPTURE = REPO / "tests" / "data" / "john-samples_wpa-Induction.pcapng"
AP_KEY = "4202770D00000000_55B282410C00"
COHERER = "Coherer"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("httpd_home")
    (root / "index.html").write_text("<html><script>inline()</script></html>\n")
    (root / "js").mkdir()
    (root / "js" / "big.js").write_bytes(b"//" + os.urandom(3_000_000).hex().encode())
    return root


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, home: Path) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("webui"), "-c", f"{CAPTURE}:name=induction",
                           conf=f"httpd_home={home}\nhttpd_auth_all=true\n")
    running.read_log_until(r"finished replaying")
    yield running
    stop_server(running)


def get(server: RunningServer, path: str, **kwargs: Any) -> requests.Response:
    return requests.get(server.url + path, auth=(server.username, server.password), timeout=10,
                        **kwargs)


def post(server: RunningServer, path: str, form: dict[str, str]) -> requests.Response:
    return requests.post(server.url + path, auth=(server.username, server.password),
                         data=form, timeout=10)


def test_httpd_home_is_the_web_root_without_login(live: RunningServer, home: Path) -> None:
    index = requests.get(live.url + "/", timeout=10)
    assert index.status_code == 200
    assert index.content == (home / "index.html").read_bytes()
    # Another UI's pages carry inline scripts: no policy of ours on them.
    assert "Content-Security-Policy" not in index.headers
    big = requests.get(live.url + "/js/big.js", timeout=10)
    assert big.content == (home / "js" / "big.js").read_bytes()
    assert big.headers["Content-Type"].startswith("text/javascript")
    part = requests.get(live.url + "/js/big.js", headers={"Range": "bytes=2-9"}, timeout=10)
    assert part.status_code == 206 and part.content == big.content[2:10]
    head = requests.head(live.url + "/js/big.js", timeout=10)
    assert int(head.headers["Content-Length"]) == len(big.content) and head.content == b""
    assert requests.get(live.url + "/js/../../etc/passwd", timeout=10).status_code == 404
    assert requests.get(live.url + "/js/%2e%2e/%2e%2e/etc/passwd", timeout=10).status_code == 404
    # The API still needs a login (httpd_auth_all here).
    assert requests.get(live.url + "/system/status.json", timeout=10).status_code == 401


def test_dynamic_js_loads_the_registered_modules(live: RunningServer) -> None:
    reply = requests.get(live.url + "/dynamic.js", timeout=10)
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "application/javascript"
    text = reply.text
    assert text.startswith('var local_uri_prefix = "./";\n')
    assert "var kismet_ui_dot11;" in text and "var kismet_ui_datasources;" in text
    assert "async function load_dynamics() {" in text
    assert "kismet_ui_dot11 = await import(`${local_uri_prefix}js/kismet.ui.dot11.js`);" in text
    listed = requests.get(live.url + "/dynamic.json", timeout=10).json()["dynamicjs"]
    assert {"module": "kismet_ui_dot11", "js": "js/kismet.ui.dot11.js"} in listed


def test_alerts_view_pages_searches_and_sorts(live: RunningServer) -> None:
    assert post(live, "/alerts/definitions/define_alert.cmd", {"json": json.dumps(
        {"name": "VIEWTEST", "description": "x", "throttle": "100/min",
         "burst": "100/sec"})}).status_code == 200
    for text in ("alpha", "beta", "gamma"):
        assert post(live, "/alerts/raise_alert.cmd", {"json": json.dumps(
            {"name": "VIEWTEST", "text": text})}).status_code == 200
    fields = json.dumps({"fields": ["kismet.alert.header", "kismet.alert.text"]})
    page = post(live, "/alerts/alerts_view.json",
                {"json": fields, "page": "0", "length": "2"}).json()
    assert page["total_row"] >= 3 and page["last_row"] == page["total_row"]
    assert page["last_page"] == -(-page["total_row"] // 2) and len(page["data"]) == 2
    found = post(live, "/alerts/alerts_view.json",
                 {"json": fields, "page": "0", "length": "10", "search": "GAMM"}).json()
    assert [r["kismet.alert.text"] for r in found["data"]] == ["gamma"]
    ordered = post(live, "/alerts/alerts_view.json",
                   {"json": fields, "page": "0", "length": "10", "search": "VIEWTEST",
                    "sort": "kismet.alert.text", "sort_dir": "asc"}).json()
    assert [r["kismet.alert.text"] for r in ordered["data"]] == ["alpha", "beta", "gamma"]
    unpaged = post(live, "/alerts/alerts_view.json", {"json": fields}).json()
    assert isinstance(unpaged, list) and len(unpaged) == page["total_row"]
    assert post(live, "/alerts/alerts_view.json",
                {"json": fields, "page": "x"}).status_code == 400


def test_ssid_tracker(live: RunningServer) -> None:
    view = post(live, "/phy/phy80211/ssids/views/ssids.json",
                {"json": "{}", "page": "0", "length": "10"}).json()
    groups = {g["dot11.ssidgroup.ssid"]: g for g in view["data"]}
    coherer = groups[COHERER]
    assert coherer["dot11.ssidgroup.advertising_devices"] == [AP_KEY]
    assert coherer["dot11.ssidgroup.responding_devices_len"] == 1
    assert coherer["dot11.ssidgroup.crypt_string"].startswith("WPA2")
    assert 0 < coherer["dot11.ssidgroup.first_time"] <= coherer["dot11.ssidgroup.last_time"]
    assert groups["linksys"]["dot11.ssidgroup.probing_devices_len"] == 1
    # The group hash is the advertised SSID's hash: the UI joins them.
    device = get(live, f"/devices/by-key/{AP_KEY}/device.json").json()
    advertised = device["dot11.device"]["dot11.device.advertised_ssid_map"][0]
    assert advertised["dot11.advertisedssid.ssid_hash"] == coherer["dot11.ssidgroup.hash"]
    one = get(live, f"/phy/phy80211/ssids/by-hash/{coherer['dot11.ssidgroup.hash']}/ssid.json")
    assert one.json() == coherer
    assert get(live, "/phy/phy80211/ssids/by-hash/12345/ssid.json").status_code == 404
    assert get(live, "/phy/phy80211/ssids/by-hash/nope/ssid.json").status_code == 400


def test_packetchain_stats_and_rrd_serial_time(live: RunningServer) -> None:
    stats = get(live, "/packetchain/packet_stats.json").json()
    assert set(stats) == {f"kismet.packetchain.{n}" for n in (
        "peak_packets_rrd", "packets_rrd", "error_packets_rrd", "dupe_packets_rrd",
        "queued_packets_rrd", "dropped_packets_rrd", "processed_packets_rrd")}
    rate = stats["kismet.packetchain.packets_rrd"]
    assert rate["kismet.common.rrd.serial_time"] >= rate["kismet.common.rrd.last_time"] > 0
    assert get(live, "/packetchain/packet_rate.json").json().keys() == rate.keys()
    assert get(live, "/packetchain/packet_nope.json").status_code == 404
    status = get(live, "/system/status.json").json()
    assert status["kismet.system.memory.rrd"]["kismet.common.rrd.serial_time"] > 0
    assert status["kismet.system.battery.charging"] in (
        "charging", "discharging", "charged", "unknown")


def test_no_hardware_answers(live: RunningServer) -> None:
    assert get(live, "/radiation/sensors/all_sensors.json").json() == {}
    adsb = get(live, "/phy/ADSB/map_data.json").json()
    assert adsb["kismet.adsb.map.devices"] == [] and adsb["kismet.adsb.map.min_lat"] == 0


def test_device_detail_fields(live: RunningServer) -> None:
    device = get(live, f"/devices/by-key/{AP_KEY}/device.json").json()
    packets = device["kismet.device.base.packets.rrd"]
    assert sum(packets["kismet.common.rrd.minute_vec"]) > 0  # the replay's last minute
    assert "kismet.common.rrd.serial_time" in device["kismet.device.base.datasize.rrd"]
    seen = device["kismet.device.base.seenby"][0]
    assert seen["kismet.common.seenby.source"]["kismet.datasource.name"] == "induction"
    dot11 = device["dot11.device"]
    assert dot11["dot11.device.last_beaconed_ssid_record"]["dot11.advertisedssid.ssid"] == COHERER
    views = get(live, "/devices/views/all_views.json").json()
    seenby = [v for v in views if v["kismet.devices.view.id"].startswith("seenby-")]
    assert seenby and all(v["kismet.devices.view.indexed"] == 1 for v in seenby)


def test_location_and_datasource_fields(live: RunningServer) -> None:
    where = get(live, "/gps/location.json").json()
    for name in ("geopoint", "alt", "fix", "speed", "heading", "time_sec", "time_usec"):
        assert f"kismet.common.location.{name}" in where
    source = get(live, "/datasource/all_sources.json").json()[0]
    assert re.fullmatch(r"\d+\.\d+\.\d+", source["kismet.datasource.datasource_version"])
    assert source["kismet.datasource.ipc_pid"] == live.process.pid
    assert source["kismet.datasource.remote_ip"] == ""


def test_pmkid_packet_and_its_pcap(live: RunningServer) -> None:
    dot11 = get(live, f"/devices/by-key/{AP_KEY}/device.json").json()["dot11.device"]
    packet = dot11["dot11.device.pmkid_packet"]
    assert packet["kismet.packet.dlt"] == 127 and packet["kismet.packet.ts_sec"] > 0
    frame = bytes.fromhex(packet["kismet.packet.data"])
    reply = get(live, f"/phy/phy80211/by-key/{AP_KEY}/pcap/handshake-pmkid.pcap")
    assert reply.status_code == 200
    assert reply.headers["Content-Disposition"].endswith('-pmkid.pcap"')
    body = reply.content
    assert body[:4] == b"\xd4\xc3\xb2\xa1"  # pcap, little-endian
    records, offset = [], 24
    while offset < len(body):
        length = int.from_bytes(body[offset + 8:offset + 12], "little")
        records.append(body[offset + 16:offset + 16 + length])
        offset += 16 + length
    # The beacon snapshot, then the EAPOL frame that carried the PMKID.
    assert len(records) == 2 and records[1] == frame
    assert requests.get(live.url + f"/phy/phy80211/by-key/{AP_KEY}/pcap/handshake-pmkid.pcap",
                        timeout=10).status_code == 401
