"""End to end: a real gpsd (run by gpsfake, replaying an NMEA log) drives a real twistd.

gpsfake runs gpsd on a free loopback port and feeds it the log through a
pseudo-terminal, looping. Readiness comes from the server's own log lines
("acquired a 3D fix", "lost its fix") and from process exits; nothing sleeps.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import kismet_rest
import pytest
import requests

from tests.e2e.conftest import START_TIMEOUT, RunningServer, start_server, stop_server
from tests.e2e.test_ops import wait_for

P = "kismet.common.location."


def nmea(body: str) -> str:
    value = 0
    for char in body.encode("ascii"):
        value ^= char
    return f"${body}*{value:02X}\r\n"


def write_nmea_log(path: Path) -> None:
    """Five one-second epochs of a receiver with a 3D fix near Munich, moving east."""
    lines = []
    for second in range(5):
        stamp = f"1200{second:02d}.00"
        lines.append(nmea(f"GPRMC,{stamp},A,4807.038,N,01131.000,E,022.4,084.4,230394,"
                          "003.1,W"))
        lines.append(nmea(f"GPGGA,{stamp},4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,"))
        lines.append(nmea("GPGSA,A,3,04,05,,09,12,,,24,,,,,2.5,1.3,2.1"))
    path.write_text("".join(lines))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class GpsFake:
    """``gpsfake`` (and the gpsd it runs) on one port, in its own process group."""

    def __init__(self, log: Path, port: int, output: Path) -> None:
        self.log = log
        self.port = port
        self.output = output
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.output, "ab") as out:
            self.process = subprocess.Popen(
                ["gpsfake", "-q", "-P", str(self.port), str(self.log)],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def gpsd_pid(self) -> int:
        """The gpsd that gpsfake started (its child)."""
        assert self.process is not None
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        for child in children:
            if Path(f"/proc/{child}/comm").read_text().strip() == "gpsd":
                return int(child)
        raise AssertionError(f"gpsfake {pid} has no gpsd child: {children}")

    def kill_gpsd(self) -> None:
        """Kill gpsd; gpsfake notices its daemon died and exits."""
        os.kill(self.gpsd_pid(), signal.SIGKILL)
        assert self.process is not None
        self.process.wait(timeout=START_TIMEOUT)

    def stop(self) -> None:
        """End gpsfake and its gpsd. gpsfake sometimes ignores SIGTERM while it
        reaps a gpsd that already died, so a SIGKILL of the group follows."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=START_TIMEOUT)


@pytest.fixture
def nmea_log(tmp_path: Path) -> Path:
    path = tmp_path / "drive.nmea"
    write_nmea_log(path)
    return path


@pytest.fixture
def gpsfake(tmp_path: Path, nmea_log: Path) -> Iterator[GpsFake]:
    fake = GpsFake(nmea_log, free_port(), tmp_path / "gpsfake.out")
    fake.start()
    yield fake
    fake.stop()


def location(server: RunningServer) -> dict:
    reply = requests.get(f"{server.url}/gps/location.json", timeout=10)
    assert reply.status_code == 200
    return reply.json()


def test_gpsd_drives_the_location_and_survives_a_gpsd_restart(
        tmp_path: Path, gpsfake: GpsFake) -> None:
    conf = f"gps=gpsd:host=127.0.0.1,port={gpsfake.port},name=car\n"
    server = start_server(tmp_path, conf=conf)
    try:
        mark = 0
        wait_for(server, r"GPS 'car': connected to gpsd 3\.", mark)
        wait_for(server, r"GPS 'car': acquired a 3D fix at 48\.117300, 11\.516667", mark)
        where = location(server)
        # Position and fix are in every TPV; altitude, speed and course arrive as gpsd
        # learns the cycle (merging is unit-tested), so only their presence is checked.
        assert where[P + "fix"] == 3
        assert where[P + "geopoint"] == [pytest.approx(11.516666667), pytest.approx(48.1173)]
        assert {P + "alt", P + "speed", P + "heading", P + "time_sec"} <= set(where)
        client = kismet_rest.GPS(host_uri=server.url,
                                 sessioncache_path=str(tmp_path / "session"))
        assert client.current_location()[P + "geopoint"] == where[P + "geopoint"]
        car = requests.get(f"{server.url}/gps/all_gps.json", timeout=10).json()[0]
        assert where[P + "gps_uuid"] == car["kismet.gps.uuid"]
        assert car["kismet.gps.connected"] == 1
        assert car["kismet.gps.description"].startswith("gpsd 3.")

        mark = len(server.log)
        gpsfake.kill_gpsd()
        lost = wait_for(server, r"GPS 'car': lost its fix: connection to gpsd", mark)
        assert f"127.0.0.1:{gpsfake.port}" in lost
        lost_fix = location(server)
        assert lost_fix[P + "fix"] == 0 and lost_fix[P + "geopoint"] == [0.0, 0.0]
        assert P + "gps_uuid" not in lost_fix
        messages = requests.get(f"{server.url}/messagebus/all_messages.json", timeout=10).json()
        assert any("GPS 'car': lost its fix" in m["kismet.messagebus.message_string"]
                   for m in messages)
        assert requests.get(f"{server.url}/gps/all_gps.json",
                            timeout=10).json()[0]["kismet.gps.connected"] == 0

        mark = len(server.log)
        gpsfake.start()
        wait_for(server, r"GPS 'car': acquired a 3D fix", mark)
        assert location(server)[P + "fix"] == 3
    finally:
        assert stop_server(server) == 0
