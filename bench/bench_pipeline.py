"""Capture pipeline: decode, chain + channels, the full server chain, and HTTP latency in a replay.

On a generated 100,000-frame mixed radiotap capture (beacons, probes, data):

- a bare ``next_batch`` read loop (the capture library alone);
- radiotap + 802.11 header decoding alone (``decode_packet`` over every frame);
- the full pipeline: a ``pcapfile`` source with ``realtime=false`` feeding the
  packet chain (decode once, error classification) and the channel tracker,
  driven by a Clock so only the pipeline is timed;
- the full server chain: the real ``KismetService`` (GPS tagging, device
  tracker, channels, alerts/WIDS, device watch, streams), started on a
  memory reactor with the server's collector settings (``gcsteward.CollectorSteward``),
  replaying the same capture through its own ``pcapfile`` source;
- the p99 latency of ``/system/status.json`` on a real ``twistd -n kismet``
  while it replays the same capture at full speed (``loop=true``).
"""

from __future__ import annotations

import gc
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
from twisted.internet import task
from twisted.internet.testing import MemoryReactorClock

from bench.gen_synthetic_capture import main as generate
from bench.report import best_of, rate, row
from kismet_tx.capture.datasourcetracker import DatasourceTracker
from kismet_tx.capture.linux import LinuxCaptureSystem
from kismet_tx.capture.system import META, batch_len
from kismet_tx.chain import PacketChain
from kismet_tx.channels import ChannelTracker
from kismet_tx.config import Config
from kismet_tx.dot11 import decode_packet
from kismet_tx.gcsteward import CollectorSteward
from kismet_tx.messagebus import MessageBus
from kismet_tx.service import KNOWN_KEYS, build_service

FRAMES = 100_000
REQUESTS = 300
REPO = Path(__file__).resolve().parent.parent
TWISTD = [
    sys.executable,
    "-c",
    "import sys; sys.argv[0] = 'twistd'; from twisted.scripts.twistd import run; run()",
]
_LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)/")


def bare_read(path: str) -> int:
    handle = LinuxCaptureSystem().open_offline(path)
    count = 0
    while batch_len(batch := handle.next_batch(4096)):
        count += batch_len(batch)
    handle.close()
    return count


def decode_only(path: str) -> None:
    handle = LinuxCaptureSystem().open_offline(path)
    buffer, meta = handle.next_batch(FRAMES)
    for _, _, offset, caplen in META.iter_unpack(meta):
        decode_packet(127, buffer[offset : offset + caplen])
    handle.close()


def pipeline(path: str) -> int:
    clock = task.Clock()
    chain = PacketChain(clock)
    chain.subscribe(ChannelTracker(), "channels", priority=50)
    tracker = DatasourceTracker(
        clock=clock,
        reactor=None,
        bus=MessageBus(clock),
        sink=chain.sink,
        system=LinuxCaptureSystem(),
    )
    tracker.startService()
    source = tracker.add(f"{path}:batch=4096")
    while source.capturing:
        clock.advance(0)
    assert chain.packets == FRAMES, chain.stats()
    return chain.packets


def replay_in_server(path: str, home: str,
                     conf: str = "") -> tuple[float, float, Any, Any]:
    """``(seconds, reactor-thread CPU seconds, service, reactor)``: the real server
    (config ``conf``) replays ``path``.

    The service is left running for the caller to stop.
    """
    reactor = MemoryReactorClock()
    reactor.advance(time.time())
    config = Config.from_text(conf, name="<bench>", home=home, known_keys=KNOWN_KEYS)
    service = build_service(config, Path(home), reactor, capture_system=LinuxCaptureSystem())
    service.startService()
    steward = CollectorSteward(reactor)
    steward.startService()
    try:
        started = time.perf_counter()
        cpu = time.thread_time()
        source = service.datasources.add(f"{path}:name=bench,batch=4096")
        while source.capturing:
            reactor.advance(0)
        took = time.perf_counter() - started
        cpu = time.thread_time() - cpu
    finally:
        steward.stopService()
        gc.unfreeze()
    assert service.chain.packets == FRAMES, service.chain.stats()
    return took, cpu, service, reactor


def server_chain(path: str) -> float:
    """Seconds the real server's chain, every subscriber on, takes to replay ``path``."""
    with tempfile.TemporaryDirectory() as home:
        took, _, service, _ = replay_in_server(path, home)
        service.stopService()
    return took


def pure_server_chain(path: str) -> float | None:
    """:func:`server_chain` on the pure-Python tree ``KISMET_TX_PURE_TREE`` (which
    ``make bench`` sets, running the benchmarks on the compiled copy), in a child."""
    tree = os.environ.get("KISMET_TX_PURE_TREE")
    if not tree:
        return None
    code = ("import sys; from bench.bench_pipeline import server_chain; "
            "from kismet_tx.hotpath import compiled_modules; "
            "assert not compiled_modules(); print(server_chain(sys.argv[1]))")
    done = subprocess.run([sys.executable, "-c", code, path], cwd=tree, capture_output=True,
                          text=True, env=dict(os.environ, PYTHONPATH=tree), check=True)
    return float(done.stdout.split()[-1])


def status_latency(path: str, home: Path) -> list[float]:
    """``/system/status.json`` round trips while the server replays ``path`` in a loop."""
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [
            *TWISTD,
            "-n",
            "--pidfile=",
            "kismet",
            "--port",
            "0",
            "--bind",
            "127.0.0.1",
            "--homedir",
            str(home),
            "-c",
            f"{path}:name=bench,loop=true",
        ],
        cwd=home.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = None
        for line in process.stdout:
            found = _LISTENING.search(line)
            url = url or (found.group(1) if found else None)
            if "Data source 'bench'" in line and "opened" in line:
                break
        assert url is not None, "the server did not start"
        session = requests.Session()
        latencies = []
        for _ in range(REQUESTS):
            started = time.perf_counter()
            reply = session.get(f"{url}/system/status.json", timeout=30)
            latencies.append(time.perf_counter() - started)
            assert reply.status_code == 200
        source = session.get(f"{url}/datasource/all_sources.json", timeout=30).json()[0]
        assert source["kismet.datasource.running"] == 1, "the replay stopped during the test"
        return sorted(latencies)
    finally:
        process.terminate()
        process.wait(timeout=60)


def run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "mixed.pcap")
        generate(path, 2000, 200, FRAMES)
        bare = best_of(3, lambda: bare_read(path))
        decode = best_of(3, lambda: decode_only(path))
        full = best_of(3, lambda: pipeline(path))
        server = min(server_chain(path) for _ in range(3))
        pure_runs = [pure_server_chain(path) for _ in range(3)]
        pure = min(run for run in pure_runs if run is not None) if pure_runs[0] else None
        row("bare next_batch read loop", rate(FRAMES, bare), "", "")
        row(
            "radiotap+802.11 decode alone",
            rate(FRAMES, decode),
            "bare read",
            rate(FRAMES, bare),
            ">= 1,000,000/s",
        )
        row(
            "full pipeline (decode, chain, channels)",
            rate(FRAMES, full),
            "bare read",
            rate(FRAMES, bare),
            ">= 300,000/s",
        )
        row(
            "full server chain (all subscribers)",
            rate(FRAMES, server),
            "radiotap+802.11 decode alone",
            rate(FRAMES, decode),
            ">= 300,000/s",
        )
        if pure is not None:
            row("full server chain, pure Python", rate(FRAMES, pure),
                "the same, compiled", rate(FRAMES, server))
        latencies = status_latency(path, Path(tmp) / "home")
        p99 = latencies[int(len(latencies) * 0.99) - 1]
        p50 = latencies[len(latencies) // 2]
        row(
            "/system/status.json p99 during replay",
            f"{p99 * 1000:.1f} ms",
            "p50",
            f"{p50 * 1000:.1f} ms",
            "< 50 ms",
        )
