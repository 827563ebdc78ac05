"""End to end: alerts through a real twistd, the official kismet_rest client and curl."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import kismet_rest
import pytest
import requests
from kismet_rest.exceptions import KismetRequestException

from tests.e2e.conftest import REPO, RunningServer, start_server, stop_server

FLOOD = REPO / "tests" / "data" / "aircrack-ng_pmkid-not-recognized.cap"
WML = "8C:DE:F9:D0:B4:61"


def _client(cls: type, server: RunningServer, tmp_path: Path):  # type: ignore[no-untyped-def]
    return cls(host_uri=server.url, username=server.username, password=server.password,
               sessioncache_path=str(tmp_path / "kismet_session"))


def test_kismet_rest_alerts_define_raise_all(server: RunningServer, tmp_path: Path) -> None:
    alerts = _client(kismet_rest.Alerts, server, tmp_path)
    assert alerts.define("JSONALERT", "Dynamic alert added at runtime") is True
    with pytest.raises(KismetRequestException, match="409"):
        alerts.define("JSONALERT", "the same name again")
    with pytest.raises(KismetRequestException, match="400"):
        alerts.define("OTHERPHY", "no such phy", phyname="Zigbee")
    assert alerts.raise_alert("JSONALERT", "Something happened", bssid="00:c0:ca:11:22:33",
                              source="a4:b1:c1:d1:e1:f1", channel="6") is True
    with pytest.raises(KismetRequestException, match="400"):
        alerts.raise_alert("NOSUCHALERT", "x")
    with pytest.raises(KismetRequestException, match="400"):
        alerts.raise_alert("JSONALERT", "too soon")  # burst 1/sec
    [wrapper] = list(alerts.all())
    [alert] = wrapper["kismet.alert.list"]
    assert alert["kismet.alert.header"] == "JSONALERT"
    assert alert["kismet.alert.text"] == "Something happened"
    assert alert["kismet.alert.transmitter_mac"] == "00:C0:CA:11:22:33"
    assert alert["kismet.alert.source_mac"] == "A4:B1:C1:D1:E1:F1"
    assert alert["kismet.alert.channel"] == "6"
    raised_at = alert["kismet.alert.timestamp"]
    assert wrapper["kismet.alert.timestamp"] >= raised_at
    assert list(alerts.all(ts_sec=int(raised_at) + 1))[0]["kismet.alert.list"] == []
    assert list(alerts.all(ts_sec=int(raised_at) - 1))[0]["kismet.alert.list"] == [alert]
    # Every endpoint serves it.
    by_id = requests.get(f"{server.url}/alerts/by-id/{alert['kismet.alert.hash']}/alert.json",
                         timeout=30).json()
    assert by_id == alert
    backlog = requests.get(f"{server.url}/alerts/all_alerts.json", timeout=30).json()
    assert backlog == [alert]
    definitions = requests.get(f"{server.url}/alerts/definitions.json", timeout=30).json()
    mine = [d for d in definitions if d["kismet.alert.definition.header"] == "JSONALERT"]
    assert mine[0]["kismet.alert.definition.total_sent"] == 1
    wrapped = requests.get(f"{server.url}/alerts/wrapped/last-time/-3600/alerts.itjson",
                           timeout=30)
    assert json.loads(wrapped.text)["kismet.alert.list"] == [alert]
    messages = requests.get(f"{server.url}/messagebus/all_messages.json", timeout=30).json()
    assert {"JSONALERT Something happened"} <= {
        m["kismet.messagebus.message_string"] for m in messages
        if m["kismet.messagebus.message_flags"] & 8}


def test_legacy_connector_and_curl(server: RunningServer, tmp_path: Path) -> None:
    legacy = _client(kismet_rest.KismetConnector, server, tmp_path)
    assert legacy.define_alert("LEGACYALERT", "defined by the old connector",
                               rate="5/min", burst="5/sec") is True
    assert legacy.raise_alert("LEGACYALERT", "first", other="02:00:00:00:00:01") is True
    assert legacy.raise_alert("LEGACYALERT", "second") is True
    wrapper = legacy.alerts()
    assert [a["kismet.alert.text"] for a in wrapper["kismet.alert.list"]] == ["first", "second"]
    assert wrapper["kismet.alert.list"][0]["kismet.alert.other_mac"] == "02:00:00:00:00:01"
    # The documented curl call, and the current route name raise_alerts.
    done = subprocess.run(
        ["curl", "-s", "-w", "\n%{http_code}", "-u", f"{server.username}:{server.password}",
         "-d", 'json={"name": "CURLALERT", "description": "Dynamic alert added at runtime", '
               '"throttle": "10/min", "burst": "1/sec"}',
         f"{server.url}/alerts/definitions/define_alert.cmd"],
        capture_output=True, text=True, timeout=30, check=True)
    assert done.stdout.rsplit("\n", 1)[1] == "200"
    raised = requests.post(f"{server.url}/alerts/raise_alerts.cmd",
                           json={"name": "CURLALERT", "text": "raw JSON body"},
                           auth=(server.username, server.password), timeout=30)
    assert (raised.status_code, raised.text) == (200, "Alert raised\n")
    anonymous = requests.post(f"{server.url}/alerts/raise_alerts.cmd",
                              json={"name": "CURLALERT", "text": "x"}, timeout=30)
    assert anonymous.status_code == 401


def test_replayed_deauth_flood_raises_alerts(tmp_path: Path) -> None:
    conf = f"devicefound={WML}\n"
    server = start_server(tmp_path, "-c", f"{FLOOD}:name=flood", conf=conf)
    try:
        server.read_log_until(r"ALERT: DEAUTHFLOOD Deauth/Disassociate flood on " + WML)
        server.read_log_until(r"ALERT: SOURCEERROR Data source 'flood'")
        backlog = requests.get(f"{server.url}/alerts/all_alerts.json", timeout=30).json()
        headers = {a["kismet.alert.header"] for a in backlog}
        assert {"DEAUTHFLOOD", "DEVICEFOUND", "SOURCEERROR"} <= headers
        flood = [a for a in backlog if a["kismet.alert.header"] == "DEAUTHFLOOD"]
        assert flood[0]["kismet.alert.transmitter_mac"] == WML
        assert flood[0]["kismet.alert.device_key"].startswith("4202770D00000000_")
        found = [a for a in backlog if a["kismet.alert.header"] == "DEVICEFOUND"]
        assert found[0]["kismet.alert.source_mac"] == WML
        devices = requests.post(f"{server.url}/devices/by-mac/{WML}/devices.json",
                                data={"json": json.dumps(
                                    {"fields": ["kismet.device.base.num_alerts"]})},
                                timeout=30).json()
        assert devices[0]["kismet.device.base.num_alerts"] >= len(flood)
    finally:
        assert stop_server(server) in (0, -signal.SIGTERM)
