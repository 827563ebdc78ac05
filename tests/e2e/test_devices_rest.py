"""End to end: the official kismet_rest client against a live server replaying a real capture."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import kismet_rest
import pytest
import requests

from tests.e2e.conftest import REPO, RunningServer, start_server, stop_server

CAPTURE = REPO / "tests" / "data" / "john-samples_wpa-Induction.pcapng"
AP = "00:0C:41:82:B2:55"
AP_KEY = "4202770D00000000_55B282410C00"
CLIENT = "00:0D:93:82:36:3A"
BRIDGED = "00:0C:41:82:B2:53"
PROBER = "00:0F:66:16:94:73"
ALL = {AP, CLIENT, BRIDGED, PROBER}
MAC = "kismet.device.base.macaddr"
TYPE = "kismet.device.base.type"


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server that has finished replaying wpa-Induction at full speed."""
    tmp_path = tmp_path_factory.mktemp("devices")
    server = start_server(tmp_path, "-c", f"{CAPTURE}:name=induction,realtime=false")
    try:
        server.read_log_until(r"Data source 'induction' .*finished replaying")
        yield server
    finally:
        stop_server(server)


def _client(cls: type, server: RunningServer, tmp_path: Path) -> object:
    return cls(host_uri=server.url, username=server.username, password=server.password,
               sessioncache_path=str(tmp_path / "kismet_session"))


def test_devices_all_by_mac_and_by_key(replayed: RunningServer, tmp_path: Path) -> None:
    devices = _client(kismet_rest.Devices, replayed, tmp_path)
    everything = list(devices.all())  # type: ignore[attr-defined]
    assert {d[MAC] for d in everything} == ALL
    assert {d[MAC]: d[TYPE] for d in everything}[BRIDGED] == "Wi-Fi Bridged"
    by_mac = list(devices.by_mac(devices=[CLIENT, "00:0C:41:00:00:00/FF:FF:FF:00:00:00"],  # type: ignore[attr-defined]
                                 fields=[MAC, TYPE]))
    assert by_mac == [{MAC: CLIENT, TYPE: "Wi-Fi Client"}, {MAC: AP, TYPE: "Wi-Fi AP"},
                      {MAC: BRIDGED, TYPE: "Wi-Fi Bridged"}]
    record = devices.by_key(AP_KEY)  # type: ignore[attr-defined]
    assert record[MAC] == AP
    assert record["kismet.device.base.name"] == "Coherer"
    assert devices.by_key(AP_KEY, field=MAC) == AP  # type: ignore[attr-defined]
    assert devices.by_key(AP_KEY, field="dot11.device/dot11.device.typeset") == 257  # type: ignore[attr-defined]
    assert devices.by_key(AP_KEY, fields=[MAC, "kismet.device.base.channel"]) == {  # type: ignore[attr-defined]
        MAC: AP, "kismet.device.base.channel": "1"}


def test_devices_access_points_and_clients(replayed: RunningServer, tmp_path: Path) -> None:
    devices = _client(kismet_rest.Devices, replayed, tmp_path)
    aps = list(devices.dot11_access_points())  # type: ignore[attr-defined]
    assert [d[MAC] for d in aps] == [AP]
    crypt = list(devices.dot11_access_points(  # type: ignore[attr-defined]
        fields=[MAC, "kismet.device.base.crypt"], last_time=1167891000,
        regex=[["kismet.device.base.name", "^Coh"]]))
    assert crypt == [{MAC: AP, "kismet.device.base.crypt": "WPA2 WPA2-PSK TKIP AES-CCMP"}]
    assert list(devices.dot11_access_points(regex=[[MAC, "^FF"]])) == []  # type: ignore[attr-defined]
    clients = list(devices.dot11_clients_of(AP_KEY, fields=[MAC]))  # type: ignore[attr-defined]
    assert clients == [{MAC: CLIENT}, {MAC: BRIDGED}]
    full = list(devices.dot11_clients_of(AP_KEY))  # type: ignore[attr-defined]
    assert full[0]["dot11.device"]["dot11.device.last_bssid"] == AP


def test_legacy_connector(replayed: RunningServer, tmp_path: Path) -> None:
    legacy = _client(kismet_rest.KismetConnector, replayed, tmp_path)
    summary = legacy.device_summary_since(ts=0, fields=[MAC, TYPE])  # type: ignore[attr-defined]
    assert {d[MAC] for d in summary} == ALL
    smart = legacy.smart_device_list(  # type: ignore[attr-defined]
        ts=1167891000, fields=[MAC],
        regex=[["dot11.device/dot11.device.probed_ssid_map/dot11.probedssid.ssid", "linksys"]])
    assert smart == [{MAC: PROBER}]
    assert legacy.smart_device_list(ts=-1, fields=[MAC]) != []  # type: ignore[attr-defined]
    assert {d[MAC] for d in legacy.device_list()} == ALL  # type: ignore[attr-defined]
    assert legacy.device_by_key(AP_KEY, field=MAC) == AP  # type: ignore[attr-defined]
    assert legacy.device_by_key(AP_KEY, fields=[MAC]) == {MAC: AP}  # type: ignore[attr-defined]
    assert legacy.device_by_mac(CLIENT, fields=[MAC]) == [{MAC: CLIENT}]  # type: ignore[attr-defined]
    assert [d[MAC] for d in legacy.dot11_access_points()] == [AP]  # type: ignore[attr-defined]
    status = legacy.system_status()  # type: ignore[attr-defined]
    assert status["kismet.system.devices.count"] == 4


def test_status_views_and_errors_over_http(replayed: RunningServer) -> None:
    auth = (replayed.username, replayed.password)
    views = requests.get(f"{replayed.url}/devices/views/all_views.json", timeout=30).json()
    sizes = {v["kismet.devices.view.id"]: v["kismet.devices.view.size"] for v in views}
    assert sizes["all"] == 4 and sizes["phydot11_accesspoints"] == 1
    page = requests.get(f"{replayed.url}/devices/views/all/devices.json?page=0&length=2"
                        "&sort=kismet.device.base.last_time", timeout=30).json()
    assert len(page["data"]) == 2 and page["total_row"] == 4
    ekjson = requests.get(f"{replayed.url}/devices/all_devices.ekjson", timeout=30)
    assert ekjson.text.count("\n") == 4 and "kismet_device_base_macaddr" in ekjson.text
    unknown = requests.get(f"{replayed.url}/devices/by-key/4202770D00000000_FF/device.json",
                           timeout=30)
    assert unknown.status_code == 404
    named = requests.post(f"{replayed.url}/devices/by-key/{AP_KEY}/set_name.cmd",
                          data={"json": '{"username": "lab AP"}'}, auth=auth, timeout=30)
    assert named.status_code == 200
    record = requests.get(f"{replayed.url}/devices/by-key/{AP_KEY}/device.json", timeout=30)
    assert record.json()["kismet.device.base.commonname"] == "lab AP"
    tracked = requests.get(f"{replayed.url}/system/tracked_fields.html", auth=auth, timeout=30)
    assert "dot11.device.wpa_handshake_list" in tracked.text
    assert "kismet.device.base.packets.rx_total" in tracked.text
