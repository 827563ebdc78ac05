"""End to end: sensors stream real captures to a real twistd over Kismet's remote capture.

The peers are real: PyPI's ``kismetexternal`` (Kismet's Python helper API, v0
framing) and our ``kismet_tx-capture`` (v3 and v2 framing, TCP and websocket).
Each device set is compared with that of the same capture read by a local
pcapfile source.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import msgpack
import pytest
import requests

from tests.e2e.conftest import REPO, RunningServer, start_server, stop_server

INDUCTION = REPO / "tests" / "data" / "john-samples_wpa-Induction.pcapng"
WDS = REPO / "tests" / "data" / "aircrack-ng_capture_wds-01.cap"
HELPER = Path(__file__).with_name("kismetexternal_helper.py")
UUID = "5EC0A1E5-0000-0000-0000-000000000001"
CONF = "remote_capture_port=0\n"
_REMOTE = re.compile(r"Remote capture listening on tcp://127\.0\.0\.1:(\d+)")


def remote_port(server: RunningServer) -> int:
    """The TCP port the server's remote capture listener was given."""
    return int(_REMOTE.search(server.read_log_until(_REMOTE.pattern)).group(1))  # type: ignore[union-attr]


def device_keys(server: RunningServer) -> set[str]:
    """Keys of every device the server tracks."""
    reply = requests.post(f"{server.url}/devices/views/all/devices.json",
                          json={"fields": ["kismet.device.base.key"]},
                          auth=(server.username, server.password), timeout=30)
    reply.raise_for_status()
    return {row["kismet.device.base.key"] for row in reply.json()}


def sources(server: RunningServer) -> list[dict]:
    """``/datasource/all_sources.json``."""
    return requests.get(f"{server.url}/datasource/all_sources.json", timeout=30).json()


@pytest.fixture(scope="module")
def local_devices(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, set[str]]:
    """The device sets of the captures read by a local pcapfile source."""
    found = {}
    for capture in (INDUCTION, WDS):
        where = tmp_path_factory.mktemp("local")
        server = start_server(where, "-c", f"{capture}:name=local")
        try:
            server.read_log_until(r"Data source 'local' .*finished replaying")
            found[capture] = device_keys(server)
        finally:
            stop_server(server)
    return found


@pytest.fixture
def remote_server(tmp_path: Path) -> Iterator[RunningServer]:
    """A server with the remote capture listener on a kernel-chosen port."""
    server = start_server(tmp_path, conf=CONF)
    yield server
    assert stop_server(server) == 0, "".join(server.log[-30:])


def sensor(server: RunningServer, *args: str, source: str) -> subprocess.Popen[bytes]:
    """Start ``kismet_tx-capture`` (from the source tree) against ``server``."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen([sys.executable, "-m", "kismet_tx.capture.sensor", *args,
                             f"--source={source}"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def finish(process: subprocess.Popen[bytes]) -> None:
    """Stop a helper process."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_kismetexternal_helper_streams_a_capture_like_a_local_source(
        remote_server: RunningServer, local_devices: dict[Path, set[str]]) -> None:
    port = remote_port(remote_server)
    env = dict(os.environ, PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION="python")
    helper = subprocess.Popen([sys.executable, str(HELPER), f"127.0.0.1:{port}",
                               str(INDUCTION), UUID], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    try:
        line = remote_server.read_log_until(r"kismetexternal replay done: \d+ frames")
        sent = int(re.search(r"done: (\d+) frames", line).group(1))  # type: ignore[union-attr]
        (source,) = sources(remote_server)
        assert source["kismet.datasource.uuid"] == UUID
        assert source["kismet.datasource.remote"] == 1
        assert source["kismet.datasource.remote_ip"] == "127.0.0.1"
        assert source["kismet.datasource.remote_protocol"] == 0
        assert source["kismet.datasource.running"] == 1
        assert source["kismet.datasource.hardware"] == "kismetexternal"
        assert source["kismet.datasource.num_packets"] == sent > 1000
        assert device_keys(remote_server) == local_devices[INDUCTION]
    finally:
        finish(helper)


@pytest.mark.parametrize("transport", ["tcp-v3", "tcp-v2", "websocket", "websocket-apikey"])
def test_kismet_tx_capture_streams_over_tcp_and_websocket(
        remote_server: RunningServer, local_devices: dict[Path, set[str]],
        transport: str) -> None:
    http_port = remote_server.url.rsplit(":", 1)[1]
    if transport == "websocket":
        args = ["--connect", f"ws://127.0.0.1:{http_port}", "--user", remote_server.username,
                "--password", remote_server.password]
    elif transport == "websocket-apikey":
        # ?KISMET= carries a session token today (and API keys once they exist).
        login = requests.get(f"{remote_server.url}/session/check_session",
                             auth=(remote_server.username, remote_server.password), timeout=30)
        args = ["--connect", f"127.0.0.1:{http_port}", "--apikey", login.cookies["KISMET"]]
    else:
        args = ["--connect", f"127.0.0.1:{remote_port(remote_server)}", "--tcp",
                "--protocol", transport[-1]]
    process = sensor(remote_server, *args, "--fixed-gps", "48.1,11.5",
                     source=f"{WDS}:name=mast1")
    try:
        line = remote_server.read_log_until(r"mast1\).*finished replaying .*: \d+ frames")
        frames = int(re.search(r": (\d+) frames", line).group(1))  # type: ignore[union-attr]
        (source,) = sources(remote_server)
        assert source["kismet.datasource.name"] == "mast1"
        assert source["kismet.datasource.remote"] == 1
        assert source["kismet.datasource.running"] == 1
        assert source["kismet.datasource.num_packets"] == frames
        expected = 3 if transport != "tcp-v2" else 2
        assert source["kismet.datasource.remote_protocol"] == expected
        assert device_keys(remote_server) == local_devices[WDS]
        # --fixed-gps: the devices are where the sensor is (the server has no GPS).
        rows = requests.post(f"{remote_server.url}/devices/views/all/devices.json",
                             json={"fields": ["kismet.device.base.location"]}, timeout=30).json()
        places = {tuple(row["kismet.device.base.location"]["kismet.common.location.last"][
            "kismet.common.location.geopoint"]) for row in rows}
        assert places == {(11.5, 48.1)}
    finally:
        finish(process)


def test_websocket_needs_a_login(remote_server: RunningServer) -> None:
    defaults = requests.get(f"{remote_server.url}/datasource/defaults.json", timeout=30).json()
    assert defaults["kismet.datasourcetracker.default.remote_cap_listen"] == "127.0.0.1"
    assert defaults["kismet.datasourcetracker.default.remote_cap_port"] == 0  # as configured
    http_port = remote_server.url.rsplit(":", 1)[1]
    with socket.create_connection(("127.0.0.1", int(http_port)), timeout=10) as sock:
        sock.sendall(b"GET /datasource/remote/remotesource.ws HTTP/1.1\r\nHost: x\r\n"
                     b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                     b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 401")


def _v3(pkt_type: int, body: dict, length: int | None = None) -> bytes:
    payload = msgpack.packb(body, use_bin_type=True)
    size = len(payload) if length is None else length
    return struct.pack("!IHHIHHI", 0xDECAFBAD, 0xA9A9, 3, size, pkt_type, 0, 1) + payload


def _drain(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


@pytest.mark.parametrize(("name", "payload", "reason"), [
    ("garbage", b"GET / HTTP/1.0\r\n\r\n" * 4, "bad frame signature"),
    ("lying length", _v3(19, {}, length=0x7FFFFFFF), "over the limit"),
    ("bad v0 checksum", struct.pack("!III", 0xDECAFBAD, 1234, 4) + b"abcd", "bad frame checksum"),
    ("not msgpack", _v3(19, {})[:-1] + b"\xc1", "not msgpack"),
    ("packets before open", _v3(16, {4: {1: 127, 2: 0, 3: 0, 6: b"x"}}), "before the source"),
    ("flood", _v3(2, {}) * 1000, "flooding"),
])
def test_bad_peers_get_an_error_and_are_dropped(remote_server: RunningServer, name: str,
                                                payload: bytes, reason: str) -> None:
    port = remote_port(remote_server)
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(payload)
        answer = _drain(sock)
    assert reason.encode() in answer  # the ERROR frame names the reason
    remote_server.read_log_until(rf"Remote capture 127\.0\.0\.1 .*{reason}.*connection dropped")
    # A truncated frame, then the peer leaves: nothing happens to the server.
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(_v3(19, {1: "x", 2: "pcapfile"})[:-3])
    assert requests.get(f"{remote_server.url}/system/status.json", timeout=10).ok
    assert sources(remote_server) == []


def test_a_killed_sensor_reconnects_to_its_source(tmp_path: Path,
                                                  remote_server: RunningServer) -> None:
    port = remote_port(remote_server)
    definition = f"{INDUCTION}:name=mast2,realtime=true,loop=true"
    args = ("--connect", f"127.0.0.1:{port}", "--tcp")
    first = sensor(remote_server, *args, source=definition)
    try:
        remote_server.read_log_until(r"new source 'mast2'")
        remote_server.read_log_until(r"mast2.*opened \(pcapfile")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    remote_server.read_log_until(r"'mast2'.*disconnected: .*waiting for the sensor")
    (gone,) = sources(remote_server)
    assert gone["kismet.datasource.running"] == 0
    assert gone["kismet.datasource.error"] == 1
    second = sensor(remote_server, *args, source=definition)
    try:
        remote_server.read_log_until(r"'mast2'.*sensor 127\.0\.0\.1 connected .*\(connection 2\)")
        (back,) = sources(remote_server)
        assert back["kismet.datasource.uuid"] == gone["kismet.datasource.uuid"]
        assert back["kismet.datasource.running"] == 1
        assert back["kismet.datasource.error"] == 0
        assert back["kismet.datasource.num_packets"] >= gone["kismet.datasource.num_packets"]
    finally:
        finish(second)


def test_rest_commands_reach_a_remote_source(remote_server: RunningServer) -> None:
    port = remote_port(remote_server)
    process = sensor(remote_server, "--connect", f"127.0.0.1:{port}", "--tcp",
                     source=f"{INDUCTION}:name=mast3,realtime=true,loop=true")
    auth = (remote_server.username, remote_server.password)
    try:
        remote_server.read_log_until(r"'mast3'.*opened \(pcapfile")
        (source,) = sources(remote_server)
        base = f"{remote_server.url}/datasource/by-uuid/{source['kismet.datasource.uuid']}"
        reply = requests.post(f"{base}/set_channel.cmd", json={"channel": "6"}, auth=auth,
                              timeout=30)
        # Kismet answers 500 "ERROR: ..." for a command a source cannot carry out.
        assert reply.status_code == 500 and "cannot change channels" in reply.text
        assert requests.get(f"{base}/pause_source.cmd", auth=auth, timeout=30).ok
        assert requests.get(f"{base}/source.json", timeout=30).json()[
            "kismet.datasource.paused"] == 1
        assert requests.get(f"{base}/resume_source.cmd", auth=auth, timeout=30).ok
        assert requests.get(f"{base}/close_source.cmd", auth=auth, timeout=30).ok
        assert process.wait(timeout=30) == 0  # the sensor was shut down by the server
        closed = requests.get(f"{base}/source.json", timeout=30).json()
        assert closed["kismet.datasource.running"] == 0
    finally:
        finish(process)


KISMET_CAP_PCAPFILE = os.environ.get("KISMET_CAP_PCAPFILE", "")


@pytest.mark.skipif(not os.access(KISMET_CAP_PCAPFILE or "/nonexistent", os.X_OK),
                    reason="Kismet's own capture tools are not packaged for Debian; build "
                           "kismet_cap_pcapfile from Kismet's source (./configure "
                           "--enable-capture-tools-only && make kismet_cap_pcapfile; "
                           "libwebsockets-dev for the websocket) and set KISMET_CAP_PCAPFILE "
                           "to run this test")
@pytest.mark.parametrize("transport", ["tcp", "websocket"])
def test_kismet_cap_pcapfile_streams_a_capture_like_a_local_source(
        remote_server: RunningServer, local_devices: dict[Path, set[str]],
        transport: str) -> None:
    if transport == "tcp":
        args = ["--connect", f"127.0.0.1:{remote_port(remote_server)}", "--tcp"]
    else:  # Kismet's default: the websocket on the HTTP port, with a login
        args = ["--connect", f"127.0.0.1:{remote_server.url.rsplit(':', 1)[1]}",
                "--user", remote_server.username, "--password", remote_server.password]
    process = subprocess.Popen([KISMET_CAP_PCAPFILE, *args, "--fixed-gps", "48.1,11.5,520",
                                f"--source={WDS}:name=kismetcap"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        remote_server.read_log_until(
            rf"'kismetcap'.*sensor 127\.0\.0\.1 connected over {transport}, v3 framing")
        line = remote_server.read_log_until(
            r"kismetcap\): Pcapfile .* closed: end of pcapfile reached")
        (source,) = sources(remote_server)
        assert source["kismet.datasource.remote_protocol"] == 3, line
        assert device_keys(remote_server) == local_devices[WDS]
        rows = requests.post(f"{remote_server.url}/devices/views/all/devices.json",
                             json={"fields": ["kismet.device.base.location"]}, timeout=30).json()
        assert {tuple(row["kismet.device.base.location"]["kismet.common.location.last"][
            "kismet.common.location.geopoint"]) for row in rows} == {(11.5, 48.1)}
    finally:
        finish(process)
