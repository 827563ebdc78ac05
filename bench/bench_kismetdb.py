"""kismetdb log: ingest with and without the log, its size per 100k frames, kismet_log_to_pcap.

On the generated 100,000-frame mixed radiotap capture (as ``bench_pipeline``),
the real ``KismetService`` on a memory reactor replays the capture through its
own ``pcapfile`` source, first with no log and then with ``log_types=kismet``
(the writer thread running beside ingest). Runs alternate, five of each, and
the best (and the median) of each is printed side by side, with the CPU
time of the reactor thread (less sensitive to other processes on the machine); the writer
thread runs at a lower priority, so a replay at full speed leaves part of its
writing to the queue, hence also the rate until everything is on disk. Then:
how long the stop takes to write the devices and drain the writer, the size
of the ``.kismet`` file, and how long the official ``kismet_log_to_pcap``
takes to turn it into a pcap.
"""

from __future__ import annotations

import glob
import os
import statistics
import subprocess
import sys
import tempfile
import time

from bench.bench_pipeline import FRAMES, replay_in_server
from bench.gen_synthetic_capture import main as generate
from bench.report import rate, row

DROPPED: list[int] = []


CPU: dict[str, list[float]] = {"plain": [], "log": []}


def replay(path: str, home: str, conf: str) -> tuple[float, float]:
    """``(ingest seconds, stop seconds)`` of one replay of ``path`` with ``conf``."""
    ingest, cpu, service, reactor = replay_in_server(path, home, conf)
    CPU["log" if conf else "plain"].append(cpu)
    log = getattr(service, "kismetdb", None)
    started = time.perf_counter()
    stopped = service.stopService()
    done: list[object] = []
    stopped.addBoth(done.append)
    while not done:
        reactor.advance(0.01)
        time.sleep(0.005)
    if log is not None:
        DROPPED.append(log.dropped)
    return ingest, time.perf_counter() - started


def run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "mixed.pcap")
        generate(path, 2000, 200, FRAMES)
        plain: list[float] = []
        logged: list[float] = []
        stops: list[float] = []
        for attempt in range(5):
            home = os.path.join(tmp, f"plain{attempt}")
            os.mkdir(home)
            plain.append(replay(path, home, "")[0])
            home = os.path.join(tmp, f"log{attempt}")
            os.mkdir(home)
            ingest, stop = replay(path, home, f"log_types=kismet\nlog_prefix={home}\n")
            logged.append(ingest)
            stops.append(stop)
        [log] = glob.glob(os.path.join(tmp, "log0", "*.kismet"))
        size = os.path.getsize(log)
        script = os.path.join(os.path.dirname(sys.executable), "kismet_log_to_pcap")
        started = time.perf_counter()
        subprocess.run([script, "--in", log, "--out", os.path.join(tmp, "out.pcap"),
                        "--silent", "1"], check=True, capture_output=True)
        to_pcap = time.perf_counter() - started
        best_plain, best_logged = min(plain), min(logged)
        row("ingest with log_types=kismet", rate(FRAMES, best_logged), "without the log",
            rate(FRAMES, best_plain), ">= 90 % of without")
        row("  ratio (best of each)", f"{100 * best_plain / best_logged:.1f} %",
            "median of each", f"{100 * statistics.median(plain) / statistics.median(logged):.1f} %")
        cpu_plain, cpu_log = min(CPU["plain"]), min(CPU["log"])
        row("reactor-thread CPU per frame, with the log", f"{cpu_log / FRAMES * 1e6:.2f} us",
            "without", f"{cpu_plain / FRAMES * 1e6:.2f} us")
        row("  ratio", f"{100 * cpu_plain / cpu_log:.1f} %", "", "")
        on_disk = min(i + s for i, s in zip(logged, stops, strict=True))
        row("ingest until all is on disk (with the stop)", rate(FRAMES, on_disk),
            "without the log", rate(FRAMES, best_plain))
        row("stop: write devices, drain the writer", f"{min(stops):.2f} s",
            "rows dropped, worst run", f"{max(DROPPED):,}")
        row(".kismet size per 100k frames", f"{size / 1e6 * 100_000 / FRAMES:.1f} MB",
            "capture file", f"{os.path.getsize(path) / 1e6:.1f} MB")
        row("kismet_log_to_pcap on that log", f"{to_pcap:.2f} s", "frames",
            f"{FRAMES:,}")
