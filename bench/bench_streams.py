"""pcapng streams under load: stalled and fast clients during a 200,000-frame realtime=false replay.

Each scenario runs a fresh ``twistd -n kismet`` on a free loopback port, opens
its HTTP streams (each client has received its section header, so it is
registered), then adds the synthetic capture with ``add_source.cmd`` and times
the replay until the server logs "finished replaying":

- no streams: the ingest baseline;
- 10 fast clients: ingest rate with streams open;
- 1 stalled client (tiny receive window, never reads past the header) plus 1
  fast client: server RSS growth, and whether the fast client gets everything.

RSS growth is compared with the no-stream run's, so the replay's own memory
(chain, trackers) is not charged to the streams. The two ingest scenarios run
alternately :data:`ROUNDS` times each and the fastest run of each counts, so
a busy machine skews both alike.
"""

from __future__ import annotations

import base64
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bench.report import rate, row
from bench.server import REPO, TIMEOUT, Server
from kismet_tx.streams.producer import DEFAULT_BACKLOG

FRAMES = 200_000
#: Runs of each ingest scenario (alternating); the fastest counts.
ROUNDS = 3
_HEAD = struct.Struct("<II")
_EPB = 6


def _request(server: Server) -> bytes:
    token = base64.b64encode(":".join(server.auth).encode()).decode()
    return (f"GET /pcap/all_packets.pcapng HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Basic {token}\r\n\r\n").encode()


def _connect(server: Server, rcvbuf: int | None = None) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.connect((host, int(port)))
    sock.sendall(_request(server))
    return sock


def _read_headers(sock: socket.socket) -> bytes:
    """Read up to the end of the response headers; returns what came after them."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise RuntimeError("stream closed before its headers")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(head.decode("latin-1"))
    return rest


@dataclass
class FastClient:
    """Reads a chunked pcapng stream as fast as it comes and counts its packets."""

    sock: socket.socket
    ready: threading.Event = field(default_factory=threading.Event)
    packets: int = 0
    payload_bytes: int = 0
    clean_end: bool = False
    #: ``time.monotonic()`` when the last packet arrived.
    last_packet: float = 0.0

    def run(self) -> None:
        raw = bytearray(_read_headers(self.sock))
        read = 0                      # chunked-encoding parse position in ``raw``
        body = bytearray()            # de-chunked payload
        counted = 0                   # pcapng parse position in ``body``
        while True:
            while True:
                line_end = raw.find(b"\r\n", read)
                if line_end < 0:
                    break
                size = int(raw[read:line_end].split(b";")[0], 16)
                if size == 0:
                    self.clean_end = True
                    self._count(body, counted)
                    return
                if len(raw) < line_end + 2 + size + 2:
                    break
                body += raw[line_end + 2:line_end + 2 + size]
                read = line_end + 2 + size + 2
            counted = self._count(body, counted)
            del body[:counted]
            counted = 0
            del raw[:read]
            read = 0
            if self.payload_bytes and not self.ready.is_set():
                self.ready.set()
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                return
            raw += chunk

    def _count(self, body: bytearray, offset: int) -> int:
        while len(body) - offset >= 8:
            block_type, total = _HEAD.unpack_from(body, offset)
            if len(body) - offset < total:
                break
            if block_type == _EPB:
                self.packets += 1
                self.last_packet = time.monotonic()
            self.payload_bytes += total
            offset += total
        return offset


@dataclass
class Outcome:
    started: float
    seconds: float
    rss_growth_kib: int
    streams: dict[str, dict[str, int]]
    clients: list[FastClient]


def _scenario(tmp: Path, capture: Path, fast: int, stalled: int) -> Outcome:
    home = Path(tempfile.mkdtemp(dir=tmp)) / "home"
    server = Server(home.parent)
    try:
        clients = [FastClient(_connect(server)) for _ in range(fast)]
        threads = [threading.Thread(target=client.run, daemon=True) for client in clients]
        for thread in threads:
            thread.start()
        for client in clients:
            if not client.ready.wait(TIMEOUT):
                raise RuntimeError("a fast client never got its stream")
        stalled_socks = []
        for _ in range(stalled):
            sock = _connect(server, rcvbuf=4096)
            _read_headers(sock)           # registered; it never reads again
            stalled_socks.append(sock)
        rss_before = server.rss_kib()
        mark = len(server.lines)
        started = time.monotonic()
        reply = requests.post(f"{server.url}/datasource/add_source.cmd", auth=server.auth,
                              data={"json": f'{{"definition": "{capture}:name=bench"}}'},
                              timeout=30)
        reply.raise_for_status()
        server.wait_for("finished replaying", mark)
        seconds = time.monotonic() - started
        rss_growth = server.rss_kib() - rss_before
        streams = server.streams()
        for stream_id in streams:
            requests.get(f"{server.url}/streams/by-id/{stream_id}/close_stream.cmd",
                         auth=server.auth, timeout=30).raise_for_status()
        for thread in threads:
            thread.join(TIMEOUT)
        for sock in stalled_socks:
            sock.close()
        return Outcome(started, seconds, rss_growth, streams, clients)
    finally:
        server.terminate()


def run() -> None:
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        capture = tmp / "synthetic.pcap"
        subprocess.run([sys.executable, str(REPO / "bench" / "gen_synthetic_capture.py"),
                        str(capture), "2000", "200", str(FRAMES)], check=True)
        bases: list[Outcome] = []
        tens: list[Outcome] = []
        for _ in range(ROUNDS):
            bases.append(_scenario(tmp, capture, fast=0, stalled=0))
            tens.append(_scenario(tmp, capture, fast=10, stalled=0))
        mixed = _scenario(tmp, capture, fast=1, stalled=1)
    base = min(bases, key=lambda outcome: outcome.seconds)
    ten = min(tens, key=lambda outcome: outcome.seconds)

    base_rate = FRAMES / base.seconds
    row(f"ingest, no streams ({FRAMES:,} frames)", rate(FRAMES, base.seconds),
        f"best of {ROUNDS}; slowest", rate(FRAMES, max(o.seconds for o in bases)))
    slower = 100 * (1 - (FRAMES / ten.seconds) / base_rate)
    row("ingest, 10 fast streaming clients", rate(FRAMES, ten.seconds),
        "slower than no streams", f"{slower:.1f} %", "< 15 %")
    ten_drops_all = [sum(s["kismet.stream.dropped_packets"] for s in o.streams.values())
                     for o in tens]
    row("  slowest of the 10-client runs", rate(FRAMES, max(o.seconds for o in tens)),
        "drops in each run", ", ".join(f"{d:,}" for d in ten_drops_all))
    ten_drops = sum(s["kismet.stream.dropped_packets"] for s in ten.streams.values())
    ten_got = [c.packets for c in ten.clients]
    row("  packets each client received (min..max)", f"{min(ten_got):,}..{max(ten_got):,}",
        "dropped, all 10 streams", f"{ten_drops:,}")

    fast_client = mixed.clients[0]
    by_drops = sorted(mixed.streams.values(), key=lambda s: s["kismet.stream.dropped_packets"])
    fast_stream, stalled_stream = by_drops[0], by_drops[-1]
    stream_growth = (mixed.rss_growth_kib - base.rss_growth_kib) / 1024
    row("RSS growth, stalled + fast vs no streams", f"{stream_growth:+.1f} MiB",
        "backlog bound (httpd_stream_backlog)", f"{DEFAULT_BACKLOG / 1048576:.1f} MiB",
        "< bound + 5 MiB")
    row("  RSS growth during replay, no streams", f"{base.rss_growth_kib / 1024:+.1f} MiB",
        "stalled + fast", f"{mixed.rss_growth_kib / 1024:+.1f} MiB")
    row("stalled client: packets dropped", f"{stalled_stream['kismet.stream.dropped_packets']:,}",
        "of packets offered", f"{stalled_stream['kismet.stream.packets']:,}")
    receiving = max(fast_client.last_packet - mixed.started, 1e-9)
    row("fast client throughput (beside a stalled one)", rate(fast_client.packets, receiving),
        "ingest rate of that run", rate(FRAMES, mixed.seconds), ">= ingest")
    row("  fast client received / dropped",
        f"{fast_client.packets:,} / {fast_stream['kismet.stream.dropped_packets']:,}",
        "MB/s received", f"{fast_client.payload_bytes / receiving / 1e6:.1f}",
        f"{FRAMES:,} / 0")
    if not fast_client.clean_end:
        print("   WARNING: the fast client's stream did not end with a clean end of file")
