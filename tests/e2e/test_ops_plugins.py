"""Plugins on a real twistd: discovery, a failing plugin, and the probestats example."""

from __future__ import annotations

import struct
from pathlib import Path

import requests

from tests.e2e.test_ops import finish, start_journal_server, wait_for

HELLO = '''
from zope.interface import implementer
from kismet_tx.plugins.api import IKismetPlugin


@implementer(IKismetPlugin)
class Hello:
    name = "hello"
    description = "says hello"
    version = "1.0"
    author = "e2e"

    def setup(self, api):
        api.add_route("ping", lambda request: {"pong": api.now() > 0})


hello = Hello()
'''


def write_probes(path: Path, clients: int) -> None:
    """Probe requests for 'cafe' from ``clients`` clients, plus one wildcard probe."""
    header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 127)
    records = []
    for index in range(clients + 1):
        ssid = b"cafe" if index < clients else b""
        radiotap = struct.pack("<BBHIb", 0, 0, 9, 1 << 5, -45)
        source = bytes([2, 0, 0, 0, 1, index])
        frame = (radiotap + b"\x40\x00\x00\x00" + b"\xff" * 6 + source + b"\xff" * 6
                 + b"\x00\x00" + bytes([0, len(ssid)]) + ssid + b"\x01\x01\x02")
        records.append(struct.pack("<IIII", 1_600_000_000, index, len(frame), len(frame))
                       + frame)
    path.write_bytes(header + b"".join(records))


def test_plugins_load_fail_and_serve(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    dropins = lib / "twisted" / "plugins"
    dropins.mkdir(parents=True)
    (dropins / "hello_kismet.py").write_text(HELLO)
    (dropins / "broken_kismet.py").write_text("raise RuntimeError('half-installed plugin')\n")
    write_probes(tmp_path / "probes.pcap", 12)
    conf = (f"plugin=kismet_tx.plugins.probestats\nplugin=missing_plugin_module\n"
            f"source={tmp_path}/probes.pcap:name=probes\n")
    server = start_journal_server(tmp_path, conf, pythonpath=(lib,))
    try:
        wait_for(server, r"Data source 'probes' .*finished replaying")
        listed = requests.get(f"{server.url}/plugins/all_plugins.json", timeout=30).json()
        origins = {p["kismet.plugin.name"]: p["kismet.plugin.origin"] for p in listed}
        assert origins == {"hello": "twisted.plugin", "probestats": "config"}
        messages = [m["kismet.messagebus.message_string"] for m in requests.get(
            f"{server.url}/messagebus/all_messages.json", timeout=30).json()]
        assert any(m.startswith("Plugin twisted.plugin module could not be imported: "
                                "RuntimeError: half-installed plugin") for m in messages)
        assert any(m.startswith("Plugin config missing_plugin_module could not be loaded: "
                                "ModuleNotFoundError") for m in messages)

        assert requests.get(f"{server.url}/plugin/hello/ping.json",
                            timeout=30).json() == {"pong": True}
        ssids = requests.get(f"{server.url}/plugin/probestats/ssids.json", timeout=30).json()
        assert [(s["probestats.ssid.ssid"], s["probestats.ssid.probes"],
                 s["probestats.ssid.clients"]) for s in ssids] == [("cafe", 12, 12), ("", 1, 1)]
        page = requests.get(f"{server.url}/plugin/probestats/", timeout=30)
        assert page.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "ssids.json" in page.text
        alerts = requests.get(f"{server.url}/alerts/all_alerts.json", timeout=30).json()
        assert any(a["kismet.alert.header"] == "PROBESTATS_POPULAR" for a in alerts)
        fields = requests.get(f"{server.url}/system/tracked_fields.html", timeout=30).text
        assert "probestats.ssid.clients" in fields
        assert requests.post(f"{server.url}/plugin/probestats/reset.cmd",
                             timeout=30).status_code == 401
        reset = requests.post(f"{server.url}/plugin/probestats/reset.cmd", timeout=30,
                              auth=(server.username, server.password))
        assert reset.text == "Cleared 2 SSIDs\n"
    finally:
        assert finish(server) == 0
    assert "Plugin 'probestats': counted 0 probe requests for 0 SSIDs" in "".join(server.log)
