"""Faults on a real ``twistd -n kismet``: each gives its documented error state and message,
everything else keeps working, and device data and written log data stay.

Already covered elsewhere and not repeated here: a vanished interface's
backoff and recovery on the in-memory twin and a veth in a namespace
(tests/capture/test_linuxwifi.py), a full log disk with the server carrying
on (tests/e2e/test_pcap_streams.py), gpsd killed and restarted
(tests/e2e/test_gps.py). These tests add the faults *during* other work and
check what survives. Readiness is always a server log line or a stream's
own bytes; nothing sleeps.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from bench.bench_load import StreamCheck, check_stream, write_capture
from bench.server import Server
from tests.capture.conftest import ether_frame
from tests.e2e.test_gps import GpsFake, free_port, write_nmea_log
from tests.streams.helpers import TSHARK, needs_tshark

ERROR = 4


def get(server: Server, path: str, auth: bool = False) -> Any:
    reply = requests.get(server.url + path, auth=server.auth if auth else None, timeout=30)
    assert reply.status_code == 200, (path, reply.status_code, reply.text[:300])
    return reply.json()


def sources(server: Server) -> dict[str, dict[str, Any]]:
    return {s["kismet.datasource.name"]: s for s in get(server, "/datasource/all_sources.json")}


def error_messages(server: Server) -> list[str]:
    listed = get(server, "/messagebus/last-time/0/messages.json")["kismet.messagebus.list"]
    return [m["kismet.messagebus.message_string"] for m in listed
            if m["kismet.messagebus.message_flags"] & ERROR]


def device_count(server: Server) -> int:
    return len(get(server, "/devices/views/all/devices.json"))


def test_capture_files_deleted_replaced_or_cut_mid_run(tmp_path: Path) -> None:
    """Three looping replays lose their file in three ways while a fourth keeps going."""
    names = ("deleted", "replaced", "cut", "healthy")
    paths = {name: tmp_path / f"{name}.pcap" for name in names}
    for name in names:
        devices = write_capture(paths[name], 2_000, aps=20, clients=100)
    args = [arg for name in names for arg in ("-c", f"{paths[name]}:name={name},loop=true")]
    server = Server(tmp_path, "", *args)
    try:
        for name in names:
            server.wait_for(rf"Data source '{name}' .*reached the end of .*; looping")
        assert device_count(server) == devices
        mark = server.mark()
        paths["deleted"].unlink()
        garbage = tmp_path / "garbage"
        garbage.write_bytes(b"this is no longer a capture file\n" * 10)
        os.replace(garbage, paths["replaced"])
        with paths["cut"].open("r+b") as handle:
            handle.truncate(10)
        reasons = {"deleted": "No such file or directory", "replaced": "unknown file format",
                   "cut": "truncated dump file"}
        for name, reason in reasons.items():
            server.wait_for(rf"Data source '{name}' .*error: .*{re.escape(reason)}.*"
                            "not configured to re-try", mark)
        before = sources(server)
        after = sources(server)
        for name, reason in reasons.items():
            record = after[name]
            assert record["kismet.datasource.error"] == 1
            assert record["kismet.datasource.running"] == 0
            assert reason in record["kismet.datasource.error_reason"]
            assert record["kismet.datasource.num_packets"] >= 2_000
            assert any(f"Data source '{name}'" in text and reason in text
                       for text in error_messages(server))
        healthy = after["healthy"]
        assert healthy["kismet.datasource.running"] == 1
        assert healthy["kismet.datasource.error"] == 0
        assert (healthy["kismet.datasource.num_packets"]
                > before["healthy"]["kismet.datasource.num_packets"])
        assert device_count(server) == devices
    finally:
        assert server.terminate() == 0


@pytest.fixture
def veth() -> Iterator[tuple[str, str]]:
    """A veth pair in the host namespace (the server captures on one end)."""
    if os.geteuid() != 0:
        pytest.skip("creating a veth pair needs root")
    base = f"kxh{os.getpid() % 100_000}"
    capture, inject = base + "c", base + "i"
    subprocess.run(["ip", "link", "add", capture, "type", "veth", "peer", "name", inject],
                   check=True, capture_output=True, timeout=30)
    try:
        for name in (capture, inject):
            subprocess.run(["sysctl", "-qw", f"net.ipv6.conf.{name}.disable_ipv6=1"],
                           capture_output=True, timeout=30)
            subprocess.run(["ip", "link", "set", name, "up"], check=True, capture_output=True,
                           timeout=30)
        yield capture, inject
    finally:
        subprocess.run(["ip", "link", "del", capture], capture_output=True, timeout=30)


def test_live_interface_deleted_while_capturing(tmp_path: Path, veth: tuple[str, str]) -> None:
    """The veth a live source captures on is deleted: that source errors and backs off,
    keeping its packets; the replay beside it, the devices and HTTP are untouched."""
    capture_if, inject_if = veth
    replay = tmp_path / "replay.pcap"
    devices = write_capture(replay, 3_000, aps=30, clients=200)
    server = Server(tmp_path, "", "-c", f"{capture_if}:name=live", "-c",
                    f"{replay}:name=replay")
    stream = None
    try:
        server.wait_for(r"Data source 'live' .*opened")
        server.wait_for(r"Data source 'replay' .*finished replaying")
        uuid = sources(server)["live"]["kismet.datasource.uuid"]
        stream = requests.get(f"{server.url}/datasource/pcap/by-uuid/{uuid}/packets.pcapng",
                              auth=server.auth, stream=True, timeout=30)
        assert stream.status_code == 200
        chunks = stream.iter_content(65536)
        check = StreamCheck()
        while not check.sections:
            check.feed(next(chunks))
        with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as sender:
            sender.bind((inject_if, 0))
            for index in range(10):
                sender.send(ether_frame(index))
        while check.packets < 10:
            check.feed(next(chunks))
        assert check.problem is None

        mark = server.mark()
        subprocess.run(["ip", "link", "del", capture_if], check=True, capture_output=True,
                       timeout=30)
        line = server.wait_for(r"Data source 'live' .*error: .*will try to re-open in 5 seconds",
                               mark)
        assert "went down" in line or "disappeared" in line or "no interface" in line
        listed = sources(server)
        live = listed["live"]
        assert live["kismet.datasource.error"] == 1 and live["kismet.datasource.running"] == 0
        assert live["kismet.datasource.retry_attempts"] >= 1
        assert live["kismet.datasource.num_packets"] >= 10
        assert any("Data source 'live'" in text for text in error_messages(server))
        assert listed["replay"]["kismet.datasource.error"] == 0
        assert listed["replay"]["kismet.datasource.num_packets"] == 3_000
        assert device_count(server) == devices
        assert get(server, "/system/status.json")["kismet.system.devices.count"] == devices
    finally:
        if stream is not None:
            stream.close()
        assert server.terminate() == 0


@needs_tshark
def test_full_log_disk_keeps_devices_and_the_log_written_so_far(tmp_path: Path) -> None:
    """The pcapng log's disk fills mid-replay: the log stops with an error, the replay
    and its devices are complete, and what the log holds is readable pcapng."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(tiny)], check=True,
                   capture_output=True, timeout=30)
    try:
        capture = tmp_path / "big.pcap"
        devices = write_capture(capture, 30_000, aps=100, clients=1_000)
        conf = f"log_types=pcapng\nlog_prefix={tiny}/\nlog_title=full\n"
        server = Server(tmp_path, conf, "-c", f"{capture}:name=replay")
        try:
            line = server.wait_for(r"pcapng log .* stopped after \d+ packets")
            assert "No space left on device" in line
            server.wait_for(r"Data source 'replay' .*finished replaying")
            assert sources(server)["replay"]["kismet.datasource.num_packets"] == 30_000
            assert device_count(server) == devices
            assert any("stopped after" in text for text in error_messages(server))
            assert all(r["kismet.stream.path"] == "httpd" or "full" not in r["kismet.stream.path"]
                       for r in get(server, "/streams/all_streams.json").values())
            logged = int(re.search(r"stopped after (\d+) packets", line).group(1))  # type: ignore[union-attr]
        finally:
            assert server.terminate() == 0
        (log,) = tiny.glob("full-*.pcapng")
        written = check_stream(log, True, None)
        assert written.problem is None, written
        assert written.packets == logged > 0
        assert TSHARK is not None
        done = subprocess.run([TSHARK, "-r", str(log), "-T", "fields", "-e", "frame.number"],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and "cut short" not in done.stderr, done.stderr
        assert len(done.stdout.split()) == logged
    finally:
        subprocess.run(["umount", str(tiny)], capture_output=True, timeout=30)


def test_gpsd_killed_while_capturing(tmp_path: Path) -> None:
    """gpsd dies during a replay: the GPS loses its fix with a message; capture, the log
    and the devices' locations gathered so far carry on."""
    nmea = tmp_path / "drive.nmea"
    write_nmea_log(nmea)
    fake = GpsFake(nmea, free_port(), tmp_path / "gpsfake.out")
    fake.start()
    capture = tmp_path / "replay.pcap"
    write_capture(capture, 3_000, aps=30, clients=100)
    logs = tmp_path / "logs"
    logs.mkdir()
    conf = (f"gps=gpsd:host=127.0.0.1,port={fake.port},name=car\n"
            f"log_types=pcapng\nlog_prefix={logs}/\nlog_title=gps\n")
    server: Server | None = None
    try:
        server = Server(tmp_path, conf)
        server.wait_for(r"GPS 'car': acquired a 3D fix")
        reply = requests.post(f"{server.url}/datasource/add_source.cmd", auth=server.auth,
                              json={"definition": f"{capture}:name=replay,loop=true"},
                              timeout=30)
        assert reply.status_code == 200, reply.text
        server.wait_for(r"Data source 'replay' .*reached the end of .*; looping")
        located = located_devices(server)
        assert located > 0

        mark = server.mark()
        fake.kill_gpsd()
        server.wait_for(r"GPS 'car': lost its fix: connection to gpsd", mark)
        assert get(server, "/gps/location.json")["kismet.common.location.fix"] == 0
        assert any("GPS 'car': lost its fix" in text for text in error_messages(server)
                   + [m["kismet.messagebus.message_string"]
                      for m in get(server, "/messagebus/all_messages.json")])
        first = sources(server)["replay"]
        logged = log_packets(server)
        second = sources(server)["replay"]
        assert second["kismet.datasource.running"] == 1
        assert second["kismet.datasource.num_packets"] > first["kismet.datasource.num_packets"]
        assert log_packets(server) > logged
        assert located_devices(server) >= located
    finally:
        if server is not None:
            assert server.terminate() == 0
        fake.stop()


def located_devices(server: Server) -> int:
    """Devices whose location aggregate holds a fix."""
    fields = ["kismet.device.base.macaddr",
              ["kismet.device.base.location/kismet.common.location.loc_fix", "fix"]]
    reply = requests.post(f"{server.url}/devices/views/all/devices.json",
                          json={"fields": fields}, timeout=30)
    assert reply.status_code == 200
    return sum(1 for d in reply.json() if d["fix"] >= 2)


def log_packets(server: Server) -> int:
    return max(r["kismet.stream.packets"] for r in get(server, "/streams/all_streams.json").values()
               if r["kismet.stream.path"] != "httpd")
