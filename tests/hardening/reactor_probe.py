"""The whole server on the real reactor, probed for how long any reactor turn lasts.

Run as ``python -m tests.hardening.reactor_probe HOME DEVICES``; prints one JSON
object. The server (``build_service``, as ``twistd kismet`` builds it) gets
DEVICES probing clients through its packet chain, then hostile regex requests
arrive over real TCP from treq in the same process while a ``LoopingCall``
probe runs every 2 ms and records the longest gap between two of its runs,
both in wall time and in the main thread's CPU time (the latter is what the
reactor spent working, and is not inflated when the OS runs other processes).
The garbage collector's own pauses are taken out of the CPU gap and reported
apart (``max_gc_pause``): a full collection walks the whole heap, whatever the
request, so it measures the heap's size (issue 14), not the slicing of a
request's work.
A client that sends a costly regex and leaves is then timed: the server's
slice timer must stop being read soon after it has gone.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from pathlib import Path
from typing import Any

import treq
from twisted.internet import defer, reactor, task
from twisted.internet.protocol import ClientFactory, Protocol

from kismet_tx.capture.memory import MemoryCaptureSystem
from kismet_tx.capture.system import pack_batch
from kismet_tx.config import Config
from kismet_tx.gcsteward import CollectorSteward
from kismet_tx.service import KNOWN_KEYS, build_service
from tests.tracker.frames import DLT_RADIOTAP, probe_req, radio
from tests.tracker.replay import SOURCE

USER = "admin"
PASSWORD = "probe-Secret-1"
MAC = "kismet.device.base.macaddr"
PROBED = "dot11.device/dot11.device.probed_ssid_map/dot11.probedssid.ssid"
#: The issue's pattern, the same without its verb, and one that reaches PCRE2's
#: match limit on every value it is tried on.
CATASTROPHIC = "(*NO_START_OPT)(.+)+Q"
ATTACKS = [
    ("/devices/last-time/0/devices.json", [[MAC, CATASTROPHIC]]),
    ("/devices/summary/devices.json", [[MAC, CATASTROPHIC]]),
    ("/devices/views/all/devices.json", [[MAC, CATASTROPHIC]]),
    ("/devices/last-time/0/devices.json", [[MAC, "(.+)+Q"]]),
    ("/devices/last-time/0/devices.json", [[MAC, "(.+)+[QR]"], [PROBED, "(.+)+[QR]"]]),
    ("/devices/summary/devices.json", [[MAC, "(.+)+[QR]"], [PROBED, "(.+)+[QR]"]]),
    ("/devices/views/all/devices.json", [[MAC, "(.+)+[QR]"], [PROBED, "(.+)+[QR]"]]),
    ("/devices/views/all/last-time/0/devices.json", [[MAC, "(.+)+[QR]"]]),
]


class Probe:
    """Records the longest gap between two runs of a 2 ms LoopingCall."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0
        self.runs = 0
        self.gc_pause = 0.0
        self._gc_in_gap = 0.0
        self._gc_started = 0.0
        self._last: tuple[float, float] | None = None
        self._loop = task.LoopingCall(self._tick)
        gc.callbacks.append(self._collecting)

    def _collecting(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_started = time.thread_time()
            return
        pause = time.thread_time() - self._gc_started
        self._gc_in_gap += pause
        self.gc_pause = max(self.gc_pause, pause)

    def _tick(self) -> None:
        now = (time.perf_counter(), time.thread_time())
        if self._last is not None:
            self.wall = max(self.wall, now[0] - self._last[0])
            self.cpu = max(self.cpu, now[1] - self._last[1] - self._gc_in_gap)
        self._gc_in_gap = 0.0
        self._last = now
        self.runs += 1

    def start(self) -> None:
        self._loop.start(0.002)

    def reset(self) -> None:
        self.wall = self.cpu = self.gc_pause = 0.0
        self._gc_in_gap = 0.0
        self._last = None


def feed_devices(service: Any, count: int) -> None:
    frames = [(1_700_000_000 + i * 0.001,
               radio(probe_req(bytes([0x02, 0, i >> 16 & 255, i >> 8 & 255, i & 255, 1]),
                               ssid=b"net-%d" % i)))
              for i in range(count)]
    for start in range(0, count, 1000):
        service.chain.process(SOURCE, DLT_RADIOTAP, pack_batch(frames[start:start + 1000]))


class Leaver(Protocol):
    """Sends one request, then leaves after ``delay`` seconds without reading."""

    def __init__(self, request: bytes, delay: float, left: defer.Deferred[float]) -> None:
        self.request = request
        self.delay = delay
        self.left = left

    def connectionMade(self) -> None:
        self.transport.write(self.request)
        reactor.callLater(self.delay, self._leave)

    def _leave(self) -> None:
        self.transport.abortConnection()
        self.left.callback(time.perf_counter())


async def scenario(service: Any, url: str, probe: Probe, port: int) -> dict[str, Any]:
    auth = (USER, PASSWORD)
    results: dict[str, Any] = {"attacks": [], "pages": []}
    probe.start()
    await task.deferLater(reactor, 0.05, lambda: None)
    probe.reset()
    for path, regex in ATTACKS:
        body = json.dumps({"regex": regex})
        started = time.perf_counter()
        attack = treq.post(url + path, data={"json": body}, auth=auth)
        # A small request made while the attack runs.
        small = await treq.get(url + "/system/timestamp.json")
        small_code = small.code
        await treq.content(small)
        response = await attack
        text = (await treq.content(response)).decode("utf-8", "replace")
        results["attacks"].append({"path": path, "regex": regex, "code": response.code,
                                   "body": text[:120], "seconds": time.perf_counter() - started,
                                   "small_code": small_code})
    # Whole pages of full records, and a caller's wrapper: streamed, not built whole.
    for path, body in (("/devices/views/all/devices.json?page=0&length=100000", {}),
                       ("/devices/summary/devices.json", {"wrapper": "devices"})):
        started = time.perf_counter()
        response = await treq.post(url + path, data={"json": json.dumps(body)})
        received: list[int] = []
        # Counted as it arrives (joining 50 MB here would be the probe's own stall).
        await treq.collect(response, lambda data, into=received: into.append(len(data)))
        size = sum(received)
        results["pages"].append({"path": path, "code": response.code, "bytes": size,
                                 "seconds": time.perf_counter() - started})
    results["max_gap_wall"] = probe.wall
    results["max_gap_cpu"] = probe.cpu
    results["max_gc_pause"] = probe.gc_pause
    results["probe_runs"] = probe.runs

    # A client that sends a costly regex and goes away: the work must stop.
    reads: list[float] = []
    timer = service.ctx.timer

    def counted() -> float:
        now = timer()
        reads.append(now)
        return now

    service.ctx.timer = counted
    command = json.dumps({"regex": [[MAC, "(.+)+[QR]"], [PROBED, "(.+)+[QR]"]]}).encode()
    request = (b"POST /devices/last-time/0/devices.json HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               b"Authorization: Basic YWRtaW46cHJvYmUtU2VjcmV0LTE=\r\n"
               b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
               % (len(command), command))
    left: defer.Deferred[float] = defer.Deferred()
    factory = ClientFactory.forProtocol(lambda: Leaver(request, 0.05, left))
    reactor.connectTCP("127.0.0.1", port, factory)
    left_at = await left
    await task.deferLater(reactor, 0.5, lambda: None)
    service.ctx.timer = timer
    results["reads_before_leaving"] = len([r for r in reads if r <= left_at])
    results["last_read_after_leaving"] = (max(reads) - left_at) if reads else None
    return results


def main(home: str, devices: int) -> None:
    where = Path(home)
    where.mkdir(parents=True, exist_ok=True)
    config = Config.from_text(
        f"httpd_username={USER}\nhttpd_password={PASSWORD}\nhttpd_port=0\n",
        name="<probe>", home=str(where), known_keys=KNOWN_KEYS)
    service = build_service(config, where, reactor, capture_system=MemoryCaptureSystem())
    feed_devices(service, devices)
    CollectorSteward(reactor).setServiceParent(service)  # as twistd kismet does
    service.startService()
    port = service.http.address().port
    probe = Probe()
    outcome: dict[str, Any] = {"devices": len(service.tracking.device_tracker)}

    def done(result: Any) -> None:
        if isinstance(result, dict):
            outcome.update(result)
        else:
            outcome["error"] = result.getTraceback()
        defer.maybeDeferred(service.stopService).addBoth(lambda _: reactor.stop())

    url = f"http://127.0.0.1:{port}"
    reactor.callWhenRunning(
        lambda: defer.ensureDeferred(scenario(service, url, probe, port)).addBoth(done))
    reactor.run()
    print(json.dumps(outcome))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
