"""Ingest goals (issue 14): a real ``twistd -n kismet`` replaying at full speed, seen from outside.

Every scenario runs a fresh server on a free loopback port and adds the capture
with ``add_source.cmd`` (``realtime=false``); a replay is timed from that
command to the server's "finished replaying" log line, so the figure is the
whole server's rate from start to the last frame counted. The baseline beside
each figure is a bare ``next_batch`` read loop over the same file in this
process (the capture library alone).

Each of the first two is replayed :data:`REPLAYS` times, on a fresh server each
time; the median is the figure, and every replay's rate is printed beside it.

1. The 200k-frame mix (``gen_synthetic_capture.py 2000 200 200000``) with full
   tracking, channels, alerts and one pcapng stream client reading at full
   speed, while ``/system/timestamp.json`` and ``/datasource/all_sources.json``
   are each polled every 20 ms: frames/s, frames counted by the server and by
   the stream (drops), and the polls' p99.
2. The 100k-device mix (``100000 1000 300000``): frames/s and the server's RSS.
3. With those 100k devices held: a ``regex`` ``last-time`` query, an ekjson
   download of six fields per device (about 22 MB; the issue asks for 10 MB or
   more) and a ``summary`` page sorted over every device (each fetched
   by curl, in its own process), each while
   ``/system/timestamp.json`` is probed every 10 ms: the probe's p99 and max
   beside its p99 with the server idle (a request that held the reactor for
   N ms shows as a probe of about N ms).
4. A stalled pcapng client (reads the response head, then never reads again)
   over the 300k-frame replay: the server's RSS growth over that replay less its
   growth over the same replay without the client, beside the stream's backlog.

The 100-pollers + 20-streams load goal is ``bench_load``'s.
"""

from __future__ import annotations

import asyncio
import os
import socket
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson

from bench.bench_load import Connection, StreamReaders, add_source, percentile, request
from bench.bench_pipeline import bare_read
from bench.gen_synthetic_capture import main as generate
from bench.report import best_of, rate, row
from bench.server import Server
from kismet_tx.streams.producer import DEFAULT_BACKLOG

MIX = (2000, 200, 200_000)
BIG = (100_000, 1000, 300_000)
#: Replays behind each of the first two rows (a fresh server each): the machine's
#: speed drifts from minute to minute, so the median is the figure, with each beside it.
REPLAYS = 3
POLL_INTERVAL = 0.020
PROBE_INTERVAL = 0.010
POLLED = ("/system/timestamp.json", "/datasource/all_sources.json")
#: The stream backlog limit (``httpd_stream_backlog``'s default, bytes).
BACKLOG = DEFAULT_BACKLOG


@dataclass
class Replay:
    """One timed replay."""

    seconds: float
    counted: int
    latencies: dict[str, list[float]] = field(default_factory=dict)
    streamed: int = 0
    stream_drops: int = 0
    rss_kib: int = 0


async def _poll(port: int, path: str, stop: asyncio.Event, interval: float,
                latencies: list[float]) -> None:
    connection = await Connection(port).open()
    try:
        while not stop.is_set():
            started = time.perf_counter()
            answer = await connection.request("GET", path)
            latencies.append(time.perf_counter() - started)
            if answer.status != 200:
                raise RuntimeError(f"{path}: {answer.status}")
            await asyncio.sleep(max(0.0, interval - (time.perf_counter() - started)))
    finally:
        connection.close()


async def _counted(server: Server) -> int:
    listing = await request(server.port, "GET", "/datasource/all_sources.json",
                            {"Authorization": server.authorization})
    return sum(int(s["kismet.datasource.num_packets"]) for s in orjson.loads(listing.body))


async def replay(server: Server, capture: Path, *, streams: int = 0,
                 polled: tuple[str, ...] = ()) -> Replay:
    """Replay ``capture`` at full speed, polling ``polled`` every 20 ms meanwhile."""
    readers = StreamReaders(server, streams) if streams else None
    try:
        if readers is not None:
            await readers.ready()
        stop = asyncio.Event()
        latencies: dict[str, list[float]] = {path: [] for path in polled}
        tasks = [asyncio.create_task(_poll(server.port, path, stop, POLL_INTERVAL, found))
                 for path, found in latencies.items()]
        mark = server.mark()
        started = time.perf_counter()
        await add_source(server, capture, "bench")
        await asyncio.to_thread(server.wait_for, "finished replaying", mark)
        seconds = time.perf_counter() - started
        stop.set()
        await asyncio.gather(*tasks)
        result = Replay(seconds, await _counted(server), latencies, rss_kib=server.rss_kib())
        if readers is not None:
            listing = orjson.loads((await request(server.port, "GET",
                                                  "/streams/all_streams.json")).body)
            for stream_id, record in listing.items():
                if record["kismet.stream.path"] == "httpd":
                    result.stream_drops += record["kismet.stream.dropped_packets"]
                    await request(server.port, "GET",
                                  f"/streams/by-id/{stream_id}/close_stream.cmd",
                                  {"Authorization": server.authorization})
            result.streamed = sum(check.packets for check in await readers.results())
        return result
    finally:
        if readers is not None:
            readers.stop()


async def _probe_during(server: Server, work: Any) -> list[float]:
    """``/system/timestamp.json`` latencies, probed every 10 ms while ``work`` runs."""
    stop = asyncio.Event()
    latencies: list[float] = []
    probe = asyncio.create_task(_poll(server.port, "/system/timestamp.json", stop,
                                      PROBE_INTERVAL, latencies))
    try:
        await work
    finally:
        stop.set()
        await probe
    return latencies


async def _curl(server: Server, path: str, form: str) -> int:
    """Bytes of one long request's answer, fetched by curl (its own process, so the
    download never competes with the probe in this one)."""
    process = await asyncio.create_subprocess_exec(
        "curl", "-s", "-f", "-o", "/dev/null", "-w", "%{size_download}",
        "--data-binary", form, "-H", "Content-Type: application/x-www-form-urlencoded",
        f"{server.url}{path}", stdout=asyncio.subprocess.PIPE)
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"curl {path}: exit {process.returncode}")
    return int(out)


def _json(command: dict[str, Any]) -> str:
    return "json=" + quote(orjson.dumps(command).decode())


#: Issue 14's long requests over 100k devices: ``(path, form body)``.
LONG_REQUESTS = {
    "regex last-time over all devices": ("/devices/last-time/0/devices.json", _json(
        {"fields": ["kismet.device.base.macaddr"],
         "regex": [["kismet.device.base.macaddr", "^([0-9A-F]{2}:){5}[0-9A-F]*7$"]]})),
    "6-field ekjson download": ("/devices/last-time/0/devices.ekjson", _json(
        {"fields": ["kismet.device.base.macaddr", "kismet.device.base.name",
                    "kismet.device.base.type", "kismet.device.base.channel",
                    "kismet.device.base.packets.total", "kismet.device.base.last_time"]})),
    "summary page sorted by packets": ("/devices/summary/devices.json", _json(
        {"fields": ["kismet.device.base.macaddr", "kismet.device.base.packets.total"],
         "colmap": {"1": ["kismet.device.base.packets.total"]}, "datatable": True})
        + "&draw=1&start=0&length=50&" + quote("order[0][column]") + "=1&"
        + quote("order[0][dir]") + "=desc"),
}


async def long_requests(server: Server) -> dict[str, tuple[list[float], int]]:
    """Probe latencies (and answer sizes) during each long request, and idle."""
    found: dict[str, tuple[list[float], int]] = {
        "idle": (await _probe_during(server, asyncio.sleep(2.0)), 0)}
    for label, (path, form) in LONG_REQUESTS.items():
        size = 0

        async def work(path: str = path, form: str = form) -> None:
            nonlocal size
            size = await _curl(server, path, form)

        found[label] = (await _probe_during(server, work()), size)
    return found


async def rss_growth(server: Server, capture: Path, stalled: bool) -> int:
    """RSS growth (KiB) over a replay of ``capture``, with a stalled pcapng client
    held over it (it reads the response head, then never reads again) or without."""
    sock = None
    if stalled:
        sock = socket.create_connection(("127.0.0.1", server.port))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(b"GET /pcap/all_packets.pcapng HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Authorization: " + server.authorization.encode() + b"\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(1)
    try:
        before = server.rss_kib()
        await replay(server, capture)
        return server.rss_kib() - before
    finally:
        if sock is not None:
            sock.close()


def _ms(values: list[float], fraction: float) -> str:
    return f"{1000 * percentile(values, fraction):.1f} ms"


def _median(replays: list[Replay]) -> Replay:
    """The replay of median duration (of an odd number)."""
    return sorted(replays, key=lambda r: r.seconds)[len(replays) // 2]


def _each(frames: int, replays: list[Replay]) -> str:
    """Every replay's rate, thousands/s, in the order they ran."""
    return " ".join(f"{frames / r.seconds / 1000:.0f}k" for r in replays)


def run() -> None:
    with tempfile.TemporaryDirectory() as tmpdir:
        where = Path(tmpdir)
        mix = where / "mix.pcap"
        big = where / "big.pcap"
        generate(str(mix), *MIX)
        generate(str(big), *BIG)
        bare_mix = best_of(3, lambda: bare_read(str(mix)))
        bare_big = best_of(3, lambda: bare_read(str(big)))

        def fresh(conf: str = "") -> Server:
            return Server(Path(tempfile.mkdtemp(dir=where)), conf)

        mixes: list[Replay] = []
        for _ in range(REPLAYS):
            server = fresh()
            try:
                mixes.append(asyncio.run(replay(server, mix, streams=1, polled=POLLED)))
            finally:
                server.terminate()
        bigs: list[Replay] = []
        for index in range(REPLAYS):
            server = fresh()
            try:
                bigs.append(asyncio.run(replay(server, big)))
                if index == REPLAYS - 1:
                    heavy = asyncio.run(long_requests(server))
            finally:
                server.terminate()
        growth = {}
        for stalled in (False, True):
            server = fresh()
            try:
                growth[stalled] = asyncio.run(rss_growth(server, big, stalled))
            finally:
                server.terminate()

    frames = MIX[2]
    first = _median(mixes)
    row(f"twistd replay, full chain + 1 stream + polls (median of {REPLAYS})",
        rate(frames, first.seconds), "bare next_batch read", rate(frames, bare_mix),
        ">= 250,000/s")
    row("  each replay", _each(frames, mixes), "", "")
    row("  frames counted / streamed (every replay)",
        f"{min(r.counted for r in mixes):,} / {min(r.streamed for r in mixes):,}",
        "stream drops", f"{sum(r.stream_drops for r in mixes):,}", f"{frames:,}, 0 dropped")
    for path in POLLED:
        latencies = [x for r in mixes for x in r.latencies[path]]
        row(f"  {path} p99 ({len(latencies)} polls)", _ms(latencies, 0.99), "p50",
            _ms(latencies, 0.50), "p99 < 50 ms")
    hundred_k = _median(bigs)
    row(f"twistd replay, 100k devices (median of {REPLAYS})", rate(BIG[2], hundred_k.seconds),
        "bare next_batch read", rate(BIG[2], bare_big), ">= 150,000/s")
    row("  each replay", _each(BIG[2], bigs), "", "")
    row("  server RSS after it (largest)", f"{max(r.rss_kib for r in bigs) / 1024:,.0f} MB",
        "frames counted (every replay)", f"{min(r.counted for r in bigs):,}", "< 300 MB")
    idle = heavy.pop("idle")[0]
    for label, (latencies, size) in heavy.items():
        row(f"  probe during {label}", f"max {1000 * max(latencies):.1f} ms",
            f"p99 ({size / 1e6:.1f} MB answer); idle p99", f"{_ms(latencies, 0.99)}; "
            f"{_ms(idle, 0.99)}", "max < 50 ms")
    row("stalled pcapng client over 300k frames: RSS growth",
        f"{(growth[True] - growth[False]) / 1024:+,.1f} MB", "backlog limit",
        f"{BACKLOG / 2**20:.1f} MB", "< backlog + 5 MB")
    row("  (growth over the replay with it / without it)", f"{growth[True] / 1024:,.1f} MB",
        "without", f"{growth[False] / 1024:,.1f} MB")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    run()
