"""Remote capture and the AMQP exporter: ingest rates beside a local pcapfile source.

Each scenario runs a fresh ``twistd -n kismet``; a synthetic capture of
:data:`FRAMES` frames is ingested and timed until the server logs its
"finished replaying" line (for a sensor: the line it forwards after its last
packet, so every packet before it has been through the server's chain; the
clock starts when the first sensor has connected, so Python's start-up of the
sensor processes is not counted, though with 10 of them it still competes):

- local: ``add_source.cmd`` of the capture (the baseline);
- remote: one ``kismet_tx-capture`` over TCP (v3 framing) with the capture;
- 10 sensors: ten ``kismet_tx-capture`` at once, each with the whole capture
  (different UUIDs), :data:`SENSORS` times the frames in all;
- exporter: the local scenario with the AMQP exporter publishing to a private
  rabbitmq-server (device scans every :data:`SCAN_INTERVAL` s, alerts, messages), beside the
  local run without it (target: at least 85 % of its rate), over
  :data:`EXPORT_FRAMES` frames so that several scans of every device fall inside.

Each timed pair runs :data:`ROUNDS` times alternately and the fastest counts,
so a busy machine skews both alike. Kept short: the machine is shared.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pika
import requests

from bench.report import rate, row
from bench.server import REPO, Server

FRAMES = 40_000
SENSORS = 10
ROUNDS = 2
#: Frames of the exporter pair: an ingest long enough for several device scans (the
#: compiled ingest replays about 200,000 frames a second).
EXPORT_FRAMES = 1_000_000
#: Device scan interval of the exporter run, seconds (5 times the default rate).
SCAN_INTERVAL = 1
_REMOTE = re.compile(r"Remote capture listening on tcp://127\.0\.0\.1:(\d+)")


def _local(where: Path, capture: Path, conf: str = "") -> float:
    server = Server(where, conf + "remote_capture_enabled=false\n")
    try:
        mark = len(server.lines)
        started = time.monotonic()
        requests.post(f"{server.url}/datasource/add_source.cmd", auth=server.auth,
                      data={"json": f'{{"definition": "{capture}:name=bench"}}'},
                      timeout=30).raise_for_status()
        server.wait_for("finished replaying", mark)
        return time.monotonic() - started
    finally:
        server.terminate()


def _remote(where: Path, captures: list[Path]) -> float:
    server = Server(where, "remote_capture_port=0\n")
    sensors: list[subprocess.Popen[bytes]] = []
    try:
        port = _REMOTE.search(server.wait_for(_REMOTE.pattern)).group(1)  # type: ignore[union-attr]
        env = dict(os.environ, PYTHONPATH=str(REPO))
        mark = len(server.lines)
        for index, capture in enumerate(captures):
            sensors.append(subprocess.Popen(
                [sys.executable, "-m", "kismet_tx.capture.sensor", "--connect",
                 f"127.0.0.1:{port}", "--tcp", f"--source={capture}:name=s{index}"],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        # The clock starts when the first sensor has connected (not at its process start).
        server.wait_for(r"Remote capture 127\.0\.0\.1: new source", mark)
        started = time.monotonic()
        for index in range(len(captures)):
            server.wait_for(rf"Remote capture .*\(tcp, s{index}\): .*finished replaying", mark)
        return time.monotonic() - started
    finally:
        for sensor in sensors:
            sensor.terminate()
            sensor.wait()
        server.terminate()


def _capture(path: Path, frames: int) -> Path:
    """A synthetic capture of ``frames`` frames (1000 clients, 100 APs)."""
    subprocess.run([sys.executable, str(REPO / "bench" / "gen_synthetic_capture.py"),
                    str(path), "1000", "100", str(frames)], check=True)
    return path


def run() -> None:
    sys.path.insert(0, str(REPO))
    from tests.e2e.rabbit import Broker

    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        capture = _capture(tmp / "all.pcap", FRAMES)
        parts = [capture.with_name(f"copy{i}.pcap") for i in range(SENSORS)]
        for part in parts:
            part.write_bytes(capture.read_bytes())
        local, remote, many = [], [], []
        for _ in range(ROUNDS):
            local.append(_local(Path(tempfile.mkdtemp(dir=tmp)), capture))
            remote.append(_remote(Path(tempfile.mkdtemp(dir=tmp)), [capture]))
            many.append(_remote(Path(tempfile.mkdtemp(dir=tmp)), parts))
        big = _capture(tmp / "big.pcap", EXPORT_FRAMES)
        broker = Broker(tmp / "rabbit")
        broker.start()
        try:
            conf = (f"amqp_url={broker.url}\namqp_device_interval={SCAN_INTERVAL}\n"
                    "server_name=bench\n")
            connection = pika.BlockingConnection(pika.URLParameters(broker.url))
            channel = connection.channel()
            channel.exchange_declare("kismet", exchange_type="topic", durable=True)
            channel.queue_declare("bench-devices")
            channel.queue_bind("bench-devices", "kismet", routing_key="kismet.bench.device.#")
            plain, exported, counts = [], [], []
            for _ in range(ROUNDS):
                plain.append(_local(Path(tempfile.mkdtemp(dir=tmp)), big))
                exported.append(_local(Path(tempfile.mkdtemp(dir=tmp)), big, conf))
                held = channel.queue_declare("bench-devices", passive=True)
                counts.append(held.method.message_count)
                channel.queue_purge("bench-devices")
            connection.close()
            published = counts[exported.index(min(exported))]
        finally:
            broker.stop()
    base = min(local)
    row(f"local pcapfile source ({FRAMES:,} frames)", rate(FRAMES, base), "", "")
    row("remote capture, 1 sensor over TCP (v3)", rate(FRAMES, min(remote)),
        "local pcapfile source", rate(FRAMES, base))
    row(f"remote capture, {SENSORS} sensors at once (total)", rate(FRAMES * SENSORS, min(many)),
        "local pcapfile source", rate(FRAMES, base))
    share = 100 * min(plain) / min(exported)
    print(f"   (exporter: {published:,} device records reached the broker in the fastest run)")
    row(f"ingest with the AMQP exporter ({EXPORT_FRAMES:,} frames)",
        rate(EXPORT_FRAMES, min(exported)), "without it", rate(EXPORT_FRAMES, min(plain)),
        ">= 85 %")
    row("  exporter ingest / ingest without it", f"{share:.0f} %", "", "", ">= 85 %")
