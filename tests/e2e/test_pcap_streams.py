"""End to end: pcapng streams read by ``curl | tshark -r -``, handshake pcaps read by
aircrack-ng, a stalled client beside a fast one, and pcapng logs on disk.

Every stream is attached before the packets it must carry flow: a stream
counts as attached once its client has received the section header (the
server writes it when it registers the stream), and only then is a capture
added (``add_source.cmd``) or replayed again (``open_source.cmd``). Replays
are waited for on the server's "finished replaying" log line.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import re
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import (
    REPO,
    START_TIMEOUT,
    RunningServer,
    _wait_for_line,
    start_server,
    stop_server,
)
from tests.streams.helpers import (
    AIRCRACK,
    DATA,
    INDUCTION,
    PRISM,
    TSHARK,
    decode_chunked,
    needs_aircrack,
    needs_tshark,
    parse_pcapng,
    read_pcap_frames,
)

pytestmark = needs_tshark

COHERER = "00:0C:41:82:B2:55"
INDUCTION_CLIENT = "00:0D:93:82:36:3A"
INDUCTION_UUID = "5FE308BD-0000-0000-0000-0000000000A1"
RAW_FRAMES = ["-T", "json", "-x", "-J", "frame"]
_HEAD = struct.Struct("<II")


# -- helpers ------------------------------------------------------------------------------


def wait_new_line(server: RunningServer, pattern: str, mark: int) -> str:
    """The first log line after ``server.log[mark]`` matching ``pattern``."""
    tail = server.log[mark:]
    line = _wait_for_line(server.process, re.compile(pattern), tail, START_TIMEOUT)
    server.log[mark:] = tail
    return line


def get(server: RunningServer, path: str, auth: bool = True, **kwargs: Any) -> requests.Response:
    credentials = (server.username, server.password) if auth else None
    return requests.get(server.url + path, auth=credentials, timeout=30, **kwargs)


def streams(server: RunningServer) -> dict[str, dict[str, Any]]:
    reply = get(server, "/streams/all_streams.json", auth=False)
    assert reply.status_code == 200
    return reply.json()


def close_stream(server: RunningServer, stream_id: str | int) -> None:
    done = subprocess.run(["curl", "-sS", "-u", f"{server.username}:{server.password}",
                           f"{server.url}/streams/by-id/{stream_id}/close_stream.cmd"],
                          capture_output=True, timeout=30, check=True)
    assert done.stdout == b"OK\n"


def add_source(server: RunningServer, definition: str) -> dict[str, Any]:
    reply = requests.post(f"{server.url}/datasource/add_source.cmd",
                          auth=(server.username, server.password),
                          data={"json": json.dumps({"definition": definition})}, timeout=30)
    assert reply.status_code == 200, reply.text
    return reply.json()


def source_frames(path: Path) -> list[tuple[str, bytes]]:
    """``(epoch with microseconds, bytes)`` of every frame of a capture file."""
    return [(f"{sec}.{usec:06d}", data) for sec, usec, data, _ in read_pcap_frames(path)[1]]


def tshark_frames(json_file: Path) -> list[tuple[str, bytes]]:
    """The same, from ``tshark -T json -x -J frame`` output."""
    frames = []
    for item in json.loads(json_file.read_text() or "[]"):
        layers = item["_source"]["layers"]
        epoch = layers["frame"]["frame.time_epoch"]
        seconds, _, fraction = epoch.partition(".")
        frames.append((f"{seconds}.{fraction[:6]:0<6}", bytes.fromhex(layers["frame_raw"][0])))
    return frames


def expected_count(capture: Path, display_filter: str) -> int:
    """Frames of ``capture`` that tshark matches, leaving out bad-FCS and malformed ones."""
    assert TSHARK is not None
    done = subprocess.run(
        [TSHARK, "-o", "wlan.check_checksum:TRUE", "-r", str(capture), "-Y",
         f"({display_filter}) && !_ws.malformed && !(wlan.fcs.status == 0)",
         "-T", "fields", "-e", "frame.number"],
        capture_output=True, timeout=120, check=True)
    return len(done.stdout.split())


class PipedStream:
    """``curl -N URL | tshark -r - ARGS``, the bytes relayed as they arrive.

    The constructor returns once the section header is through: the server
    has registered the stream, and every later packet goes to it.
    """

    def __init__(self, server: RunningServer, path: str, out: Path,
                 tshark_args: list[str] = RAW_FRAMES) -> None:
        assert TSHARK is not None
        self.out = out
        self.curl = subprocess.Popen(
            ["curl", "-sS", "-N", "--fail", "-D", str(out) + ".headers",
             "-u", f"{server.username}:{server.password}", server.url + path],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._sink = out.open("wb")
        self.tshark = subprocess.Popen([TSHARK, "-r", "-", *tshark_args],
                                       stdin=subprocess.PIPE, stdout=self._sink,
                                       stderr=subprocess.PIPE)
        assert self.curl.stdout is not None and self.tshark.stdin is not None
        self._fd = self.curl.stdout.fileno()
        self.received = bytearray(self._read(_HEAD.size))
        self.received += self._read(_HEAD.unpack_from(self.received)[1] - _HEAD.size)
        self.tshark.stdin.write(bytes(self.received))
        self.tshark.stdin.flush()
        self._relay = threading.Thread(target=self._copy, daemon=True)
        self._relay.start()

    def _read(self, count: int) -> bytes:
        data = b""
        while len(data) < count:
            chunk = os.read(self._fd, count - len(data))
            if not chunk:
                self.curl.wait(30)
                raise AssertionError(f"stream ended early: curl {self.curl.returncode}, "
                                     f"{self.curl.stderr.read()!r}")  # type: ignore[union-attr]
            data += chunk
        return data

    def _copy(self) -> None:
        # A fast client: curl's output is read as it comes and queued for tshark, so
        # tshark's own speed never holds the socket back (that is the stalled client's part).
        queued: queue.SimpleQueue[bytes] = queue.SimpleQueue()
        feeder = threading.Thread(target=self._feed, args=(queued,), daemon=True)
        feeder.start()
        try:
            while chunk := os.read(self._fd, 1 << 16):
                self.received += chunk
                queued.put(chunk)
        finally:
            queued.put(b"")
            feeder.join()

    def _feed(self, queued: queue.SimpleQueue[bytes]) -> None:
        assert self.tshark.stdin is not None
        try:
            while chunk := queued.get():
                self.tshark.stdin.write(chunk)
        finally:
            self.tshark.stdin.close()

    def headers(self) -> dict[str, str]:
        lines = Path(str(self.out) + ".headers").read_text().splitlines()
        return dict(line.split(": ", 1) for line in lines[1:] if ": " in line)

    def finish(self) -> str:
        """Wait for the end of the stream (curl and tshark must both succeed); tshark's output."""
        assert self.curl.wait(60) == 0, self.curl.stderr.read()  # type: ignore[union-attr]
        self._relay.join(60)
        assert self.tshark.wait(120) == 0, self.tshark.stderr.read()  # type: ignore[union-attr]
        self._sink.close()
        return self.out.read_text()

    def frames(self) -> list[tuple[str, bytes]]:
        """:meth:`finish`, then the frames tshark read (``RAW_FRAMES`` output)."""
        self.finish()
        return tshark_frames(self.out)

    def kill(self) -> None:
        for process in (self.curl, self.tshark):
            if process.poll() is None:
                process.kill()
                process.wait()
        self._sink.close()


@pytest.fixture
def pipes() -> Iterator[list[PipedStream]]:
    """Pipes a test opened; any left running at the end are killed."""
    opened: list[PipedStream] = []
    yield opened
    for pipe in opened:
        pipe.kill()


def _by_name(server: RunningServer) -> dict[str, dict[str, Any]]:
    return {record["kismet.stream.name"]: record for record in streams(server).values()}


# -- streams ------------------------------------------------------------------------------


def test_all_packets_through_curl_and_tshark(tmp_path: Path, pipes: list[PipedStream]) -> None:
    server = start_server(tmp_path)
    try:
        pipe = PipedStream(server, "/pcap/all_packets.pcapng", tmp_path / "all.json")
        pipes.append(pipe)
        headers = pipe.headers()
        assert headers["Content-Type"] == "application/vnd.tcpdump.pcap"
        assert headers["Content-Disposition"] == 'attachment; filename="kismet-all-packets.pcapng"'
        [stream_id] = streams(server)
        mark = len(server.log)
        add_source(server, f"{INDUCTION}:name=induction")
        wait_new_line(server, "finished replaying", mark)
        record = streams(server)[stream_id]
        expected = source_frames(INDUCTION)
        assert record["kismet.stream.packets"] == len(expected) == 1093
        assert record["kismet.stream.dropped_packets"] == 0
        close_stream(server, stream_id)
        assert pipe.frames() == expected          # count, bytes and microsecond times
        assert streams(server) == {}
    finally:
        assert stop_server(server) == 0


def test_per_source_streams(tmp_path: Path, pipes: list[PipedStream]) -> None:
    server = start_server(tmp_path, "-c", f"{INDUCTION}:name=induction,uuid={INDUCTION_UUID}",
                          "-c", f"{PRISM}:name=prism")
    try:
        for name in ("Induction", "prism"):
            server.read_log_until(f"finished replaying .*{name}")
        prism_uuid = next(s["kismet.datasource.uuid"] for s in
                          get(server, "/datasource/all_sources.json").json()
                          if s["kismet.datasource.name"] == "prism")
        unknown = get(server, "/datasource/pcap/by-uuid/5FE308BD-0000-0000-0000-0000000000FF/"
                              "packets.pcapng")
        assert unknown.status_code == 404
        induction = PipedStream(server, f"/datasource/pcap/by-uuid/{INDUCTION_UUID}/"
                                        f"{INDUCTION_UUID}.pcapng", tmp_path / "induction.json")
        prism = PipedStream(server, f"/datasource/pcap/by-uuid/{prism_uuid}/packets.pcapng",
                            tmp_path / "prism.json")
        pipes.extend([induction, prism])
        assert induction.headers()["Content-Disposition"] == (
            f'attachment; filename="kismet-datasource-induction-{INDUCTION_UUID}.pcapng"')
        mark = len(server.log)
        for uuid in (INDUCTION_UUID, prism_uuid):
            assert get(server, f"/datasource/by-uuid/{uuid}/open_source.cmd").status_code == 200
        wait_new_line(server, "finished replaying .*Induction", mark)
        wait_new_line(server, "finished replaying .*prism", mark)
        for stream_id in streams(server):
            close_stream(server, stream_id)
        assert induction.frames() == source_frames(INDUCTION)
        assert prism.frames() == source_frames(PRISM)
    finally:
        assert stop_server(server) == 0


def test_device_and_bssid_streams(tmp_path: Path, pipes: list[PipedStream]) -> None:
    server = start_server(tmp_path, "-c", f"{INDUCTION}:name=induction,uuid={INDUCTION_UUID}")
    try:
        server.read_log_until("finished replaying")
        [client] = get(server, f"/devices/by-mac/{INDUCTION_CLIENT}/devices.json").json()
        key = client["kismet.device.base.key"]
        assert get(server, "/devices/pcap/by-key/4202770D00000000_FFFFFFFFFFFF/"
                           "packets.pcapng").status_code == 404
        opened = {
            "device-old": f"/devices/by-key/{key}/pcap/{key}.pcapng",
            "device": f"/devices/pcap/by-key/{key}/packets.pcapng",
            "bssid-old": f"/phy/phy80211/by-bssid/{COHERER}/pcap/{COHERER}.pcapng",
            "bssid": f"/phy/phy80211/pcap/by-bssid/{COHERER}/packets.pcapng",
        }
        found = {name: PipedStream(server, path, tmp_path / f"{name}.json")
                 for name, path in opened.items()}
        pipes.extend(found.values())
        mark = len(server.log)
        get(server, f"/datasource/by-uuid/{INDUCTION_UUID}/open_source.cmd")
        wait_new_line(server, "finished replaying", mark)
        for stream_id in streams(server):
            close_stream(server, stream_id)
        frames = {name: pipe.frames() for name, pipe in found.items()}
        sent = expected_count(INDUCTION, f"wlan.sa == {INDUCTION_CLIENT} || "
                                         f"(wlan.fc.type == 1 && wlan.ta == {INDUCTION_CLIENT})")
        in_bss = expected_count(INDUCTION, f"wlan.bssid == {COHERER}")
        assert (sent, in_bss) == (189, 712)
        assert len(frames["device"]) == sent and frames["device-old"] == frames["device"]
        assert len(frames["bssid"]) == in_bss and frames["bssid-old"] == frames["bssid"]
        every = dict(source_frames(INDUCTION))
        assert all(every[ts] == data for ts, data in frames["bssid"] + frames["device"])
    finally:
        assert stop_server(server) == 0


HANDSHAKES = [
    ("john-samples_wpa-Induction.pcapng", COHERER, "Coherer"),
    ("aircrack-ng_wpa-prism.cap", "00:0D:93:EB:B0:8C", "test"),
    ("aircrack-ng_n-02.cap", "B0:B9:8A:56:8D:EA", "Neheb"),
    ("aircrack-ng_capture_wds-01.cap", "00:11:22:00:00:00", "test1"),
    ("fragattacks_eapol-inject-fromclient.pcapng", "BC:AE:C5:88:8C:20", "testnetwork"),
]


def _aircrack(path: Path) -> str:
    assert AIRCRACK is not None
    done = subprocess.run([AIRCRACK, str(path)], stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=120, check=False)
    return done.stdout.decode("utf-8", "replace")


@needs_aircrack
@pytest.mark.parametrize(("capture", "bssid", "essid"), HANDSHAKES)
def test_handshake_pcap_cracks_with_aircrack(tmp_path: Path, capture: str, bssid: str,
                                             essid: str) -> None:
    server = start_server(tmp_path, "-c", f"{DATA / capture}:name=cap")
    try:
        server.read_log_until("finished replaying")
        reply = get(server, f"/phy/phy80211/by-bssid/{bssid}/pcap/{bssid}-handshake.pcap")
        assert reply.status_code == 200
        assert reply.headers["Content-Type"] == "application/vnd.tcpdump.pcap"
        served = tmp_path / "handshake.pcap"
        served.write_bytes(reply.content)
        report = _aircrack(served)
        assert re.search(rf"{bssid}\s+{re.escape(essid)}\s+WPA \(1 handshake", report), report
    finally:
        assert stop_server(server) == 0


@needs_aircrack
def test_client_handshake_pcap_and_an_empty_one(tmp_path: Path) -> None:
    server = start_server(tmp_path, "-c", f"{INDUCTION}:name=induction")
    try:
        server.read_log_until("finished replaying")
        [ap] = get(server, f"/devices/by-mac/{COHERER}/devices.json").json()
        key = ap["kismet.device.base.key"]
        one = get(server, f"/phy/phy80211/by-key/{key}/device/{INDUCTION_CLIENT}/pcap/"
                          "handshake.pcap")
        (tmp_path / "one.pcap").write_bytes(one.content)
        assert re.search(rf"{COHERER}\s+Coherer\s+WPA \(1 handshake",
                         _aircrack(tmp_path / "one.pcap"))
        none = get(server, f"/phy/phy80211/by-key/{key}/device/02:00:00:00:00:01/pcap/"
                           "handshake.pcap")
        (tmp_path / "none.pcap").write_bytes(none.content)
        assert read_pcap_frames(tmp_path / "none.pcap") == (105, [])
    finally:
        assert stop_server(server) == 0


# -- a stalled client beside a fast one ----------------------------------------------------


def _stalled_client(server: RunningServer) -> tuple[socket.socket, bytes]:
    """Ask for all packets with a tiny receive window; read the headers and SHB only."""
    host, port = server.url.removeprefix("http://").split(":")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, int(port)))
    token = base64.b64encode(f"{server.username}:{server.password}".encode()).decode()
    sock.sendall(f"GET /pcap/all_packets.pcapng HTTP/1.1\r\nHost: {host}\r\n"
                 f"Authorization: Basic {token}\r\n\r\n".encode())
    data = b""
    while True:
        head, _, body = data.partition(b"\r\n\r\n")
        if _ and b"\r\n" in body:
            size = int(body.split(b"\r\n", 1)[0], 16)
            if len(body) >= body.index(b"\r\n") + 2 + size:
                break
        chunk = sock.recv(4096)
        assert chunk, "the stream ended before its section header"
        data += chunk
    assert head.startswith(b"HTTP/1.1 200")
    return sock, body


def _read_to_end(sock: socket.socket, body: bytes) -> tuple[bytes, bool]:
    """Read a chunked body to its terminating chunk (or EOF): ``(payload, ended)``."""
    data = bytearray(body)
    while True:
        if data.endswith(b"0\r\n\r\n"):
            payload, ended = decode_chunked(bytes(data))
            if ended:
                return payload, ended
        chunk = sock.recv(1 << 20)
        if not chunk:
            return decode_chunked(bytes(data))
        data += chunk


def test_stalled_client_is_bounded_and_a_fast_one_gets_everything(
        tmp_path: Path, pipes: list[PipedStream]) -> None:
    frames = 60_000
    capture = tmp_path / "synthetic.pcap"
    subprocess.run([sys.executable, str(REPO / "bench" / "gen_synthetic_capture.py"),
                    str(capture), "500", "50", str(frames)], check=True, timeout=120)
    server = start_server(tmp_path)
    try:
        stalled, first_body = _stalled_client(server)
        fast = PipedStream(server, "/pcap/all_packets.pcapng", tmp_path / "fast.txt",
                           ["-T", "fields", "-e", "frame.number"])
        pipes.append(fast)
        mark = len(server.log)
        add_source(server, f"{capture}:name=synthetic")
        wait_new_line(server, "finished replaying", mark)
        records = streams(server)
        stalled_record, fast_record = records["1"], records["2"]
        assert stalled_record["kismet.stream.packets"] == frames
        assert fast_record["kismet.stream.packets"] == frames
        assert fast_record["kismet.stream.dropped_packets"] == 0
        dropped = stalled_record["kismet.stream.dropped_packets"]
        assert dropped > 0
        assert stalled_record["kismet.stream.paused"] == 1
        written = stalled_record["kismet.stream.size"]  # bytes handed to the connection
        close_stream(server, 2)
        assert len(fast.finish().split()) == frames
        close_stream(server, 1)
        payload, ended = _read_to_end(stalled, first_body)
        stalled.close()
        assert ended, "the stalled client too gets a clean end once it reads"
        held_back = len(payload) - written
        assert 0 <= held_back <= 512 * 1024 + 64, "the backlog stayed within its bound"
        assert len(parse_pcapng(payload).packets) == frames - dropped
        assert get(server, "/system/status.json").status_code == 200
    finally:
        assert stop_server(server) == 0


# -- pcapng logs ------------------------------------------------------------------------------


def test_pcapng_log_is_readable_after_sigterm(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    conf = f"log_types=pcapng\nlog_prefix={logs}\nlog_title=Survey\n"
    server = start_server(tmp_path, "-c", f"{INDUCTION}:name=induction", conf=conf)
    try:
        server.read_log_until("finished replaying")
        # Anonymous callers see no local path (issue 16); the log's path needs a login.
        [anonymous] = streams(server).values()
        assert anonymous["kismet.stream.path"] == "[hidden]"
        [record] = get(server, "/streams/all_streams.json").json().values()
        path = Path(record["kismet.stream.path"])
        assert path.parent == logs
        assert re.fullmatch(r"Survey-\d{8}-\d\d-\d\d-\d\d-1\.pcapng", path.name)
        assert record["kismet.stream.packets"] == 1093
    finally:
        assert stop_server(server) == 0
    assert TSHARK is not None
    out = tmp_path / "log.json"
    with out.open("wb") as sink:
        subprocess.run([TSHARK, "-r", str(path), *RAW_FRAMES], stdout=sink, check=True,
                       timeout=120)
    assert tshark_frames(out) == source_frames(INDUCTION)


def _tmpfs(where: Path, size: str) -> bool:
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True, check=False)
    return done.returncode == 0


@pytest.mark.parametrize("disk", ["/dev/full", "tmpfs"])
def test_full_disk_stops_the_log_and_the_server_carries_on(tmp_path: Path, disk: str) -> None:
    if disk == "tmpfs":
        tiny = tmp_path / "tiny"
        if not _tmpfs(tiny, "64k"):
            pytest.skip("cannot mount a tmpfs here (needs root)")
        template = f"{tiny}/%n-%i.%l"
    else:
        if not os.path.exists("/dev/full"):
            pytest.skip("no /dev/full")
        template = "/dev/full"
    conf = f"log_types=pcapng\nlog_template={template}\n"
    server = start_server(tmp_path, conf=conf)
    try:
        assert len(streams(server)) == 1
        add_source(server, f"{INDUCTION}:name=induction")
        line = server.read_log_until("pcapng log .* stopped after")
        assert "No space left on device" in line
        assert streams(server) == {}
        messages = get(server, "/messagebus/last-time/0/messages.json").json()
        errors = [m for m in messages["kismet.messagebus.list"]
                  if "stopped after" in m["kismet.messagebus.message_string"]]
        assert [m["kismet.messagebus.message_flags"] for m in errors] == [4]
        server.read_log_until("finished replaying")
        status = get(server, "/system/status.json")
        assert status.status_code == 200
        assert get(server, "/datasource/all_sources.json").json()[0][
            "kismet.datasource.num_packets"] == 1093
    finally:
        assert stop_server(server) == 0
        if disk == "tmpfs":
            subprocess.run(["umount", str(tmp_path / "tiny")], check=False)
