"""Shared pieces for the capture tests: frames, a recording sink, veth namespaces."""

from __future__ import annotations

import itertools
import os
import select
import shutil
import struct
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from twisted.internet import task

from kismet_tx.capture.datasourcetracker import DatasourceTracker
from kismet_tx.capture.memory import MemoryCaptureSystem
from kismet_tx.capture.sourcerecord import SourceDefaults
from kismet_tx.capture.system import FrameBatch, WirelessInfo, iter_batch
from kismet_tx.messagebus import MessageBus

DATA = Path(__file__).resolve().parents[1] / "data"
#: A local-experimental ethertype marking the frames the tests inject.
TEST_ETHERTYPE = b"\x88\xb5"
_NAMESPACES = itertools.count()

RADIO = WirelessInfo(
    "wlan0",
    "phy0",
    "managed",
    (2412, 2437, 2462, 5180, 5200),
    hardware="ath9k_htc",
    iftypes=("managed", "monitor"),
)


def ether_frame(index: int, size: int = 60) -> bytes:
    """A broadcast Ethernet frame tagged with :data:`TEST_ETHERTYPE` and ``index``."""
    head = b"\xff" * 6 + b"\x02\x00\x00\x00\x00\x01" + TEST_ETHERTYPE
    return head + struct.pack(">I", index) + bytes(max(0, size - len(head) - 4))


def marked(batch: FrameBatch) -> list[int]:
    """The indexes of the test frames in a batch (other traffic ignored)."""
    return [
        struct.unpack_from(">I", data, 14)[0]
        for _, data in iter_batch(batch)
        if data[12:14] == TEST_ETHERTYPE
    ]


def beacon(
    bssid: bytes = b"\x00\x11\x22\x33\x44\x55", channel: int = 6, ssid: bytes = b"test"
) -> bytes:
    """A plain 802.11 beacon (DLT 105) advertising ``channel``."""
    body = struct.pack("<QHH", 0, 100, 0x0401)
    body += bytes([0, len(ssid)]) + ssid + b"\x01\x02\x82\x84" + bytes([3, 1, channel])
    return b"\x80\x00\x00\x00" + b"\xff" * 6 + bssid + bssid + b"\x10\x00" + body


def radiotap_beacon(freq: int = 2437, signal: int = -50, **kwargs: Any) -> bytes:
    """A beacon behind a radiotap header with flags, rate, channel and dBm signal."""
    present = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 5)
    header = struct.pack("<BBHI", 0, 0, 16, present)
    header += struct.pack("<BBHHb", 0, 2, freq, 0x00A0, signal) + b"\x00"
    return header + beacon(**kwargs)


@dataclass
class Recorder:
    """A packet sink that keeps every batch it is handed."""

    batches: list[tuple[Any, int, FrameBatch]] = field(default_factory=list)
    errors_per_batch: int = 0

    def __call__(self, source: Any, dlt: int, batch: FrameBatch) -> int:
        self.batches.append((source, dlt, batch))
        return self.errors_per_batch

    def frames(self) -> list[tuple[float, bytes]]:
        return [frame for _, _, batch in self.batches for frame in iter_batch(batch)]


def step(clock: task.Clock) -> None:
    """Run the calls due now but not the ones they add, as a reactor iteration does.

    ``Clock.advance(0)`` would also run the zero-delay calls the due ones
    schedule, so a cooperative loop would finish inside a single advance.
    """
    now = clock.seconds()
    for call in [c for c in clock.getDelayedCalls() if c.getTime() <= now]:
        if call.active():
            clock.calls.remove(call)
            call.called = 1
            call.func(*call.args, **call.kw)


@dataclass
class Rig:
    """A datasource tracker on a Clock and the in-memory capture system."""

    clock: task.Clock
    bus: MessageBus
    system: MemoryCaptureSystem
    sink: Any
    tracker: DatasourceTracker

    def texts(self) -> list[str]:
        return [m.text for m in self.bus.messages()]

    def step(self) -> None:
        """Run the calls due now, not those they schedule (one reactor iteration)."""
        step(self.clock)

    def run_until_idle(self, limit: int = 1_000_000) -> None:
        """Run due calls (no time passes) until none is due."""
        for _ in range(limit):
            due = [c for c in self.clock.getDelayedCalls() if c.getTime() <= self.clock.seconds()]
            if not due:
                return
            self.clock.advance(0)
        raise AssertionError("calls kept coming")


def make_rig(
    sink: Any | None = None,
    system: Any | None = None,
    reactor: Any = None,
    defaults: SourceDefaults | None = None,
    **kwargs: Any,
) -> Rig:
    clock = task.Clock()
    clock.advance(1_700_000_000)
    bus = MessageBus(clock, backlog=500)
    memory = system if system is not None else MemoryCaptureSystem(clock.seconds)
    recorder = sink if sink is not None else Recorder()
    tracker = DatasourceTracker(
        clock=clock,
        reactor=reactor,
        bus=bus,
        sink=recorder,
        system=memory,
        defaults=defaults,
        **kwargs,
    )
    return Rig(clock, bus, memory, recorder, tracker)


@pytest.fixture
def rig() -> Rig:
    return make_rig()


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


@pytest.fixture
def veth_netns() -> Iterator[str]:
    """A fresh network namespace holding an up veth pair ``kxcap`` <-> ``kxinj``."""
    if os.geteuid() != 0:
        pytest.skip("needs root to create a network namespace and a veth pair")
    if shutil.which("ip") is None:
        pytest.fail("the ip command (iproute2) is needed for the live capture tests")
    name = f"kxtest{os.getpid()}n{next(_NAMESPACES)}"
    _ip("netns", "add", name)
    try:
        _ip("-n", name, "link", "add", "kxcap", "type", "veth", "peer", "name", "kxinj")
        subprocess.run(
            ["ip", "netns", "exec", name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"],
            capture_output=True,
            timeout=30,
        )
        _ip("-n", name, "link", "set", "kxcap", "up")
        _ip("-n", name, "link", "set", "kxinj", "up")
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=30)


def delete_link(netns: str, name: str) -> None:
    """Remove an interface from a namespace (it vanishes under any open capture)."""
    _ip("-n", netns, "link", "del", name)


class FakeFDReactor:
    """Just enough ``IReactorFDSet`` for the in-memory twin: poll readers on demand."""

    def __init__(self) -> None:
        self.readers: list[Any] = []

    def addReader(self, reader: Any) -> None:
        if reader not in self.readers:
            self.readers.append(reader)

    def removeReader(self, reader: Any) -> None:
        if reader in self.readers:
            self.readers.remove(reader)

    def poll(self) -> int:
        """Call ``doRead`` on every reader whose descriptor is readable now."""
        calls = 0
        for reader in list(self.readers):
            if reader in self.readers:
                ready, _, _ = select.select([reader.fileno()], [], [], 0)
                if ready:
                    reader.doRead()
                    calls += 1
        return calls
