"""End to end: a real twistd replaying captures; kismet_rest drives the sources."""

from __future__ import annotations

import signal
import struct
import time
from pathlib import Path

import kismet_rest
import pytest
import requests
from kismet_rest.exceptions import KismetLoginException, KismetRequestException

from tests.e2e.conftest import REPO, RunningServer, start_server, stop_server

SAMPLE = REPO / "kismet_tx" / "data" / "sample.pcapng"


def write_pcap(path: Path, frames: int) -> None:
    """A radiotap capture of ``frames`` beacons on channels 1, 6 and 11."""
    header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 127)
    present = (1 << 1) | (1 << 3) | (1 << 5)
    records = []
    for index in range(frames):
        freq = (2412, 2437, 2462)[index % 3]
        radiotap = struct.pack("<BBHIBxHHbx", 0, 0, 16, present, 0, freq, 0xA0, -40)
        bssid = bytes([2, 0, 0, 0, (index >> 8) & 0x0F, index & 0xFF])
        body = struct.pack("<QHH", 0, 100, 0x0401) + b"\x00\x04test\x03\x01\x06"
        frame = radiotap + b"\x80\x00\x00\x00" + b"\xff" * 6 + bssid + bssid + b"\x00\x00" + body
        records.append(
            struct.pack(
                "<IIII", 1_600_000_000 + index // 1000, index % 1000, len(frame), len(frame)
            )
            + frame
        )
    path.write_bytes(header + b"".join(records))


def _auth(server: RunningServer) -> tuple[str, str]:
    return server.username, server.password


def test_sample_replay_and_kismet_rest_control(tmp_path: Path) -> None:
    server = start_server(tmp_path, "-c", f"{SAMPLE}:name=sample,realtime=true,loop=true")
    try:
        server.read_log_until(r"Data source 'sample' .*opened \(pcapfile")
        client = kismet_rest.Datasources(
            host_uri=server.url,
            username=server.username,
            password=server.password,
            sessioncache_path=str(tmp_path / "session"),
        )
        sources = list(client.all())
        assert [s["kismet.datasource.name"] for s in sources] == ["sample"]
        uuid = sources[0]["kismet.datasource.uuid"]
        assert sources[0]["kismet.datasource.running"] == 1
        assert sources[0]["kismet.datasource.replay.realtime"] == 1
        assert client.pause(uuid) is True
        paused = requests.get(f"{server.url}/datasource/by-uuid/{uuid}/source.json").json()
        assert paused["kismet.datasource.paused"] == 1
        with pytest.raises(KismetRequestException, match="409"):
            client.pause(uuid)
        assert client.resume(uuid) is True
        # Kismet answers 500 when the channel cannot be set (kismet_rest raises its
        # login exception for any 500).
        with pytest.raises(KismetLoginException, match="cannot change channels"):
            client.set_channel(uuid, "6")
        channels = requests.get(f"{server.url}/channels/channels.json").json()
        assert "2412000" in channels["kismet.channeltracker.frequency_map"]
        with pytest.raises(KismetRequestException, match="cannot read capture file"):
            client.add("/nonexistent/file.pcap")
        interfaces = requests.get(
            f"{server.url}/datasource/list_interfaces.json", auth=_auth(server)
        )
        assert interfaces.status_code == 200
        assert all(i["kismet.datasource.probed.interface"] != "lo" for i in interfaces.json())
        assert "Server Shut Down" not in "".join(server.log)
    finally:
        assert stop_server(server) in (0, -signal.SIGTERM)


def test_http_answers_while_a_full_speed_replay_runs(tmp_path: Path) -> None:
    capture = tmp_path / "big.pcap"
    write_pcap(capture, 60_000)
    server = start_server(tmp_path, "-c", f"{capture}:name=big,loop=true")
    try:
        server.read_log_until(r"Data source 'big' .*opened \(pcapfile")
        url = f"{server.url}/datasource/all_sources.json"
        seen = []
        latencies = []
        for _ in range(20):
            started = time.monotonic()
            reply = requests.get(url, timeout=10)
            latencies.append(time.monotonic() - started)
            assert reply.status_code == 200
            record = reply.json()[0]
            assert record["kismet.datasource.running"] == 1
            seen.append(record["kismet.datasource.num_packets"])
            status = requests.get(f"{server.url}/system/status.json", timeout=10)
            assert status.status_code == 200
        # Every answer came while the replay kept going: the count kept rising.
        assert seen == sorted(seen) and seen[-1] > seen[0] > 0
        assert max(latencies) < 2.0, latencies
    finally:
        assert stop_server(server) in (0, -signal.SIGTERM)


def test_bad_source_definitions_are_reported_at_start(tmp_path: Path) -> None:
    conf = "source=wlan0:channel=250\nchannel_hop_speed=3/sec\n"
    server = start_server(tmp_path, "-c", "/nonexistent/x.pcap", conf=conf)
    try:
        server.read_log_until(r"Data source '/nonexistent/x.pcap' rejected: cannot read")
        server.read_log_until(r"Data source 'wlan0:channel=250' rejected: unknown channel")
        defaults = requests.get(f"{server.url}/datasource/defaults.json").json()
        assert defaults["kismet.datasourcetracker.default.hop_rate"] == 3.0
        assert requests.get(f"{server.url}/datasource/all_sources.json").json() == []
    finally:
        assert stop_server(server) in (0, -signal.SIGTERM)
