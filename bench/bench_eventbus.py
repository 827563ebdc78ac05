"""Eventbus websocket under load: 100 clients plus a stalled one during a realtime=false replay.

Each scenario runs a fresh ``twistd -n kismet``, connects its websocket clients
(each subscribed to every topic, ``*``: NEW_DEVICE and SSID events carry whole
device records), then adds the synthetic capture with ``add_source.cmd`` and
times the replay until the server logs "finished replaying":

- no websocket clients: the ingest and RSS baseline;
- 100 reading clients (every event, simplified to one field) and 1 stalled
  client (every event whole, a tiny receive window, never reads): ingest rate,
  server CPU, RSS growth over the baseline's, events each reading client got,
  and the stalled client's drops (from the server log when it leaves).

Measured on the 2-core development machine (shared): 91,240 frames/s without
websockets, 13,545/s with 100 clients each sent every one of 4,430 events
(443,000 messages: server CPU 3.15 s against 0.63 s, about 6 us a message);
RSS grew 25.1 MB against 15.2 MB; the stalled client dropped 4,040 of 4,373
events and its backlog stayed within 512 KiB.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import requests
from websockets.sync.client import ClientConnection, connect

from bench.report import rate, row
from bench.server import REPO, TIMEOUT, Server

FRAMES = 60_000
CLIENTS = 100


@dataclass
class Reader:
    """A websocket client reading every event in a thread."""

    ws: ClientConnection
    events: int = 0
    done: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        try:
            for _ in self.ws:
                self.events += 1
        except Exception:
            pass
        self.done.set()


def _ws_url(server: Server) -> str:
    user, password = server.auth
    return (server.url.replace("http://", "ws://")
            + f"/eventbus/events.ws?user={quote(user)}&password={quote(password)}")


def _stalled(server: Server) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, int(port)))
    user, password = server.auth
    sock.sendall((f"GET /eventbus/events.ws?user={quote(user)}&password={quote(password)} "
                  f"HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    frame = json.dumps({"SUBSCRIBE": "*"}).encode()
    sock.sendall(bytes([0x81, 0x80 | len(frame)]) + b"\0\0\0\0" + frame)
    return sock


@dataclass
class Outcome:
    seconds: float
    rss_growth_kib: int
    events: list[int] = field(default_factory=list)
    dropped: str = "-"
    readers_dropping: int = 0
    cpu: float = 0.0


def scenario(tmp: Path, capture: Path, clients: int) -> Outcome:
    server = Server(tmp / f"run{clients}")
    readers: list[Reader] = []
    stalled = None
    try:
        for _ in range(clients):
            ws = connect(_ws_url(server), open_timeout=30, max_size=None)
            # Every event, simplified to one field: what a dashboard asks for.
            ws.send(json.dumps({"SUBSCRIBE": "*", "fields": ["kismet.device.base.key"]}))
            reader = Reader(ws)
            threading.Thread(target=reader.run, daemon=True).start()
            readers.append(reader)
        if clients:
            stalled = _stalled(server)
        before = server.rss_kib()
        cpu_before = server.cpu_seconds()[0]
        mark = server.mark()
        started = time.perf_counter()
        reply = requests.post(f"{server.url}/datasource/add_source.cmd", auth=server.auth,
                              data={"json": json.dumps({"definition": f"{capture}:name=bench"})},
                              timeout=TIMEOUT)
        reply.raise_for_status()
        server.wait_for("finished replaying", mark)
        seconds = time.perf_counter() - started
        cpu = server.cpu_seconds()[0] - cpu_before
        growth = server.rss_kib() - before
        mark = server.mark()
        for reader in readers:
            reader.ws.close()
        for reader in readers:
            reader.done.wait(30)
        outcome = Outcome(seconds, growth, [r.events for r in readers], cpu=cpu)
        if stalled is not None:
            # Closed last: once its line is logged, the readers' are too.
            stalled_mark = server.mark()
            stalled.close()
            line = server.wait_for(r"left having dropped", stalled_mark, timeout=30)
            outcome.dropped = line.split("dropped ", 1)[1].split(" (")[0]
            outcome.readers_dropping = sum(
                "left having dropped" in text for text in server.lines[mark:]) - 1
        return outcome
    finally:
        server.terminate()


def run() -> None:
    with tempfile.TemporaryDirectory() as where:
        tmp = Path(where)
        capture = tmp / "synthetic.pcap"
        subprocess.run([sys.executable, str(REPO / "bench" / "gen_synthetic_capture.py"),
                        str(capture), "2000", "200", str(FRAMES)], check=True)
        base = scenario(tmp, capture, 0)
        busy = scenario(tmp, capture, CLIENTS)
    row(f"ingest, no websocket ({FRAMES:,} frames)", rate(FRAMES, base.seconds), "", "")
    row(f"ingest, {CLIENTS} clients on * + 1 stalled", rate(FRAMES, busy.seconds),
        "no websocket", rate(FRAMES, base.seconds))
    row("server CPU during the replay", f"{busy.cpu:.2f} s", "no websocket",
        f"{base.cpu:.2f} s")
    row("RSS growth during the replay", f"{busy.rss_growth_kib:,} KiB",
        "no websocket", f"{base.rss_growth_kib:,} KiB")
    row("events per reading client (min/max)", f"{min(busy.events):,}/{max(busy.events):,}",
        "", "")
    row("reading clients that dropped events", f"{busy.readers_dropping}/{CLIENTS}", "", "")
    row("stalled client: dropped of total", busy.dropped, "", "")
