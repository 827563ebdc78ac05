"""Load on a real ``twistd -n kismet`` over loopback; correctness only (``make bench`` times it).

The load machinery is ``bench/bench_load.py``'s: asyncio HTTP/1.1 pollers,
pcapng stream readers in a process of their own, a generated capture. Every
loop here ends by itself: pollers stop when the replay's "finished
replaying" line is logged (or after a bounded number of polls), streams end
when they are closed, idle connections when the server times them out.
Readiness is always a log line, a stream's section header or a socket event.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path

import orjson

from bench.bench_load import (
    Polls,
    StreamReaders,
    check_stream,
    idle_connections,
    poller,
    replay_under_load,
    request,
    write_capture,
)
from bench.server import TIMEOUT, Server
from tests.streams.helpers import TSHARK, needs_tshark

FRAMES = 30_000


def test_pollers_and_streams_during_a_full_speed_replay(tmp_path: Path) -> None:
    """100 back-to-back pollers and 20 pcapng streams while a capture replays at full
    speed: every answer right, every stream a complete pcapng of every packet offered."""
    capture = tmp_path / "load.pcap"
    devices = write_capture(capture, FRAMES, aps=200, clients=2000)
    server = Server(tmp_path)
    try:
        run = asyncio.run(replay_under_load(server, capture, FRAMES, pollers=100, streams=20,
                                            interval=None, max_polls=500))
        assert run.polls.bad == []
        assert len(run.polls.latencies) >= 100
        streams = [r for r in run.records.values() if r["kismet.stream.path"] == "httpd"]
        assert len(streams) == 20 == len(run.streams)
        assert all(r["kismet.stream.packets"] == FRAMES for r in streams)
        for check in run.streams:
            assert check.problem is None and check.clean_end, check
        delivered = sorted(r["kismet.stream.packets"] - r["kismet.stream.dropped_packets"]
                           for r in streams)
        assert sorted(c.packets for c in run.streams) == delivered
        listing = asyncio.run(request(server.port, "GET", "/devices/views/all/devices.json"))
        assert listing.status == 200 and len(orjson.loads(listing.body)) == devices
        status = asyncio.run(request(server.port, "GET", "/datasource/all_sources.json"))
        (source,) = orjson.loads(status.body)
        assert source["kismet.datasource.num_packets"] == FRAMES
    finally:
        assert server.terminate() == 0


def test_idle_connections_are_timed_out_and_others_answered(tmp_path: Path) -> None:
    """500 idle connections (half with part of a request line): a normal client is
    answered meanwhile, and the server closes every idle one after httpd_idle_timeout.
    They all come from 127.0.0.1, so the per-address cap is lifted here (the cap has
    its own test, tests/hardening/test_slowloris.py)."""
    server = Server(tmp_path, "httpd_idle_timeout=2\nhttpd_max_connections_per_address=0\n")
    try:
        run = asyncio.run(idle_connections(server, 500, 20, close_within=30))
        assert run.connections_seen >= 500
        assert run.answers_ok == 20
        assert run.closed == run.held == 500
        status = asyncio.run(request(server.port, "GET", "/system/status.json"))
        assert orjson.loads(status.body)["kismet.system.num_http_connections"] == 1
        assert "Timing out client" in "".join(server.lines)
    finally:
        assert server.terminate() == 0


@needs_tshark
def test_sigterm_under_load_leaves_a_complete_log(tmp_path: Path) -> None:
    """SIGTERM while a looping capture replays at full speed, 20 pollers poll and 5
    streams read: exit 0, every stream ends cleanly, and the pcapng log is whole."""
    capture = tmp_path / "loop.pcap"
    write_capture(capture, 5_000, aps=50, clients=500)
    logs = tmp_path / "logs"
    logs.mkdir()
    conf = f"log_types=pcapng\nlog_prefix={logs}/\nlog_title=underload\n"
    server = Server(tmp_path, conf, "-c", f"{capture}:name=loop,loop=true")

    async def scenario() -> tuple[Polls, int, list]:
        readers = StreamReaders(server, 5)
        try:
            await readers.ready()
            stop = asyncio.Event()
            polls = Polls()
            tasks = [asyncio.create_task(poller(server.port, stop, polls, None, 100_000,
                                                tolerate_close=True)) for _ in range(20)]
            await asyncio.to_thread(server.wait_for, r"reached the end of .*; looping")
            # The replay loops on; the SIGTERM comes once the pollers are being answered.
            await asyncio.wait_for(polls.answered.wait(), TIMEOUT)
            listing = await request(server.port, "GET", "/streams/all_streams.json")
            logged = max(r["kismet.stream.packets"] for r in orjson.loads(listing.body).values()
                         if r["kismet.stream.path"] != "httpd")
            server.process.send_signal(signal.SIGTERM)
            status = await asyncio.to_thread(server.process.wait, 30)
            stop.set()
            await asyncio.gather(*tasks)
            checks = await readers.results()
            assert status == 0, "".join(server.lines[-20:])
            return polls, logged, checks
        finally:
            readers.stop()

    try:
        polls, logged, checks = asyncio.run(scenario())
    finally:
        server.kill()
    assert polls.bad == [] and polls.latencies
    for check in checks:
        assert check.problem is None and check.clean_end, check
    (log,) = logs.glob("underload-*.pcapng")
    whole = check_stream(log, True, None)
    assert whole.problem is None, whole
    assert whole.packets >= logged >= 5_000
    assert TSHARK is not None
    done = subprocess.run([TSHARK, "-r", str(log), "-T", "fields", "-e", "frame.number"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "cut short" not in done.stderr and "damaged" not in done.stderr
    assert len(done.stdout.split()) == whole.packets
