"""Device tracker at scale: 100,000 clients and 1,000 APs; memory, ingest, queries, streaming.

A synthetic radiotap capture (bench/gen_synthetic_capture.py, 1,000,000 frames:
beacons, probe requests and to-DS data) is written to a temporary directory.

- In this process: the packet chain with the tracker, against a bare decode
  loop (the same chain whose only subscriber reads the decoded packet), both fed
  the same batches straight from pcapy, with the server's collector settings
  (``gcsteward.CollectorSteward``, as ``twistd kismet`` runs); RSS growth per device.
- A real ``twistd -n kismet`` replays the capture (``realtime=false``); then:
  its RSS (whole server, every subscriber), its replay rate, and timings of
  ``/devices/last-time/0/devices.json`` with 5 fields, a 50-row view page
  sorted by last_time, and the peak extra RSS while ``all_devices.ekjson``
  streams every device.
"""

from __future__ import annotations

import gc
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import orjson
import pcapy
import requests
from twisted.internet import task

from bench.report import best_of, rate, row
from kismet_tx.chain import PacketChain
from kismet_tx.gcsteward import CollectorSteward
from kismet_tx.sysmon import read_rss_kb
from kismet_tx.tracker import build_tracking
from kismet_tx.tracker.oui import ManufDb

CLIENTS = 100_000
APS = 1_000
FRAMES = 1_000_000
REPO = Path(__file__).resolve().parent.parent
TWISTD = [sys.executable, "-c",
          "import sys; sys.argv[0] = 'twistd'; from twisted.scripts.twistd import run; run()"]
_LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)/")
TIMEOUT = 600.0
_PAGE = os.sysconf("SC_PAGE_SIZE")
FIVE_FIELDS = ["kismet.device.base.macaddr", "kismet.device.base.type",
               "kismet.device.base.last_time", "kismet.device.base.channel",
               "kismet.device.base.signal/kismet.common.signal.last_signal"]


class _Source:
    uuid = "BE4C0000-0000-4000-8000-000000000001"
    source_name = "bench"


def _batches(path: Path):  # type: ignore[no-untyped-def]
    reader = pcapy.open_offline(str(path))
    dlt = reader.datalink()
    while True:
        batch = reader.next_batch(4096)
        if not batch or not batch[1]:
            return
        yield dlt, batch


def _ingest(path: Path, subscriber: object, turns: task.Clock) -> float:
    """Seconds to feed ``path`` to ``subscriber``; ``turns`` runs its calls between batches
    (the collector steward's steps), as the reactor would."""
    clock = task.Clock()
    clock.advance(time.time())
    chain = PacketChain(clock)
    chain.subscribe(subscriber, "bench")  # type: ignore[arg-type]
    source = _Source()
    started = time.perf_counter()
    for dlt, batch in _batches(path):
        chain.process(source, dlt, batch)
        turns.advance(0)
    return time.perf_counter() - started


class _Pauses:
    """The longest collector pause while installed (a ``gc.callbacks`` entry)."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.longest = max(self.longest, time.perf_counter() - self._started)

    def __enter__(self) -> _Pauses:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


def _in_process(path: Path) -> None:
    # Baseline: CPython's own collector settings, the same ingest.
    with _Pauses() as default_pauses:
        _ingest(path, build_tracking(task.Clock(), ManufDb.load()).dot11.handle, task.Clock())
    gc.collect()
    tracking = build_tracking(task.Clock(), ManufDb.load())
    clock = task.Clock()
    steward = CollectorSteward(clock)
    steward.startService()
    try:
        bare = _ingest(path, lambda packet: packet.decoded, clock)
        gc.collect()
        before = read_rss_kb()
        with _Pauses() as pauses:
            tracked = _ingest(path, tracking.dot11.handle, clock)
        thaw = time.perf_counter()
        steward.step()
        gc.unfreeze()
        gc.collect()
        thaw = time.perf_counter() - thaw
        gc.freeze()
        grown = (read_rss_kb() - before) * 1024
    finally:
        steward.stopService()
    devices = len(tracking.device_tracker)
    row("ingest with tracking (chain + 802.11 phy)", rate(FRAMES, tracked),
        "bare decode loop, same chain", rate(FRAMES, bare), "250,000/s")
    row(f"devices tracked ({CLIENTS:,} clients, {APS:,} APs)", f"{devices:,}",
        "RSS growth per device", f"{grown / devices:,.0f} B")
    row("longest collector pause in that ingest", f"{pauses.longest * 1000:.1f} ms",
        "CPython's default collector", f"{default_pauses.longest * 1000:.1f} ms", "< 50 ms")
    row("  a thaw (whole heap, hourly at first) at the end", f"{thaw * 1000:.0f} ms",
        "steward steps", f"{steward.steps:,}", "")


class _Server:
    """A replaying server whose log is read by a thread."""

    def __init__(self, home: Path, capture: Path) -> None:
        env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            [*TWISTD, "-n", "--pidfile=", "kismet", "--port", "0", "--bind", "127.0.0.1",
             "--homedir", str(home), "-c", f"{capture}:name=bench,realtime=false,batch=4096"],
            cwd=home.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines: list[tuple[float, str]] = []
        self._changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        self.url = _LISTENING.search(self.wait_for(_LISTENING.pattern)[1]).group(1)  # type: ignore[union-attr]

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            with self._changed:
                self.lines.append((time.monotonic(), raw.decode("utf-8", "replace")))
                self._changed.notify_all()

    def wait_for(self, pattern: str) -> tuple[float, str]:
        compiled = re.compile(pattern)
        deadline = time.monotonic() + TIMEOUT
        with self._changed:
            while True:
                for when, line in self.lines:
                    if compiled.search(line):
                        return when, line
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("no log line " + pattern + ":\n"
                                       + "".join(line for _, line in self.lines[-20:]))
                self._changed.wait(1.0)

    def rss(self) -> int:
        with open(f"/proc/{self.process.pid}/statm") as statm:
            return int(statm.read().split()[1]) * _PAGE

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _peak_while(server: _Server, work) -> int:  # type: ignore[no-untyped-def]
    """Peak RSS of the server while ``work()`` runs (sampled every 2 ms)."""
    peak = server.rss()
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, server.rss())
            time.sleep(0.002)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        work()
    finally:
        done.set()
        sampler.join()
    return peak


def _server(tmp: Path, capture: Path) -> None:
    server = _Server(tmp / "home", capture)
    try:
        opened, _ = server.wait_for(r"Data source 'bench' .*opened \(pcapfile")
        finished, _ = server.wait_for(r"Data source 'bench' .*finished replaying")
        gc.collect()
        rss = server.rss()
        url = server.url
        status = requests.get(f"{url}/system/status.json", timeout=60).json()
        devices = status["kismet.system.devices.count"]
        row("server replay rate (all subscribers)", rate(FRAMES, finished - opened),
            "frames", f"{FRAMES:,}")
        row("whole server RSS", f"{rss / 2**20:,.0f} MB", "devices", f"{devices:,}",
            "< 400 MB at 100,000")
        row("whole server RSS per device", f"{rss / devices:,.0f} B", "", "")
        body = {"json": orjson.dumps({"fields": FIVE_FIELDS}).decode()}
        count: list[int] = []

        def last_time() -> None:
            reply = requests.post(f"{url}/devices/last-time/0/devices.json", data=body,
                                  timeout=120)
            count.append(len(reply.json()))

        took = best_of(3, last_time)
        row("/devices/last-time/0 5 fields", f"{took:.2f} s", "devices returned",
            f"{count[-1]:,}", "< 1.5 s")
        page = (f"{url}/devices/views/all/devices.json?page=0&length=50"
                "&sort=kismet.device.base.last_time")
        took = best_of(5, lambda: requests.get(page, timeout=60).json())
        row("view page of 50 sorted by last_time", f"{took * 1000:.0f} ms", "", "", "< 100 ms")
        received: list[int] = []

        def stream() -> None:
            with requests.get(f"{url}/devices/all_devices.ekjson", stream=True,
                              timeout=300) as reply:
                received.append(sum(chunk.count(b"\n")
                                    for chunk in reply.iter_content(1 << 16)))

        gc.collect()
        before = server.rss()
        started = time.perf_counter()
        peak = _peak_while(server, stream)
        took = time.perf_counter() - started
        row("all_devices.ekjson peak extra RSS", f"{(peak - before) / 2**20:,.1f} MB",
            f"{received[-1]:,} devices in", f"{took:.1f} s", "< 50 MB")
    finally:
        server.stop()


def run() -> None:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        capture = tmp / "synthetic.pcap"
        subprocess.run([sys.executable, str(REPO / "bench" / "gen_synthetic_capture.py"),
                        str(capture), str(CLIENTS), str(APS), str(FRAMES)], check=True)
        _in_process(capture)
        _server(tmp, capture)
