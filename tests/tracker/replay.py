"""Feeding frames and real captures through a packet chain into a tracker, for tests."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pcapy
from twisted.internet import task

from kismet_tx.capture.system import pack_batch
from kismet_tx.chain import PacketChain
from kismet_tx.tracker import Tracking, build_tracking
from kismet_tx.tracker.oui import ManufDb

DATA = Path(__file__).resolve().parents[1] / "data"
#: Server clock when a test tracker starts.
START = 1_700_000_000.0


@dataclass(frozen=True)
class FakeSource:
    """The datasource attributes the tracker reads."""

    uuid: str = "5FE308BD-0000-4000-8000-000000000001"
    source_name: str = "test-source"


SOURCE = FakeSource()
OTHER_SOURCE = FakeSource("5FE308BD-0000-4000-8000-000000000002", "other-source")


@cache
def manuf() -> ManufDb:
    """The bundled manufacturer table, loaded once per test run."""
    return ManufDb.load()


@cache
def read_capture(name: str) -> tuple[int, tuple[tuple[float, bytes], ...]]:
    """``(dlt, ((ts, frame), ...))`` of a capture in tests/data (stops at a cut record)."""
    reader = pcapy.open_offline(str(DATA / name))
    frames = []
    while True:
        try:
            header, data = reader.next()
        except pcapy.PcapError:
            break
        if header is None:
            break
        sec, usec = header.getts()
        frames.append((sec + usec / 1_000_000, data))
    return reader.datalink(), tuple(frames)


@dataclass
class Rig:
    """A tracker fed through a real packet chain on a Clock."""

    clock: task.Clock
    chain: PacketChain
    tracking: Tracking

    def feed(self, dlt: int, frames: Iterable[tuple[float, bytes]],
             source: FakeSource = SOURCE) -> int:
        """Run frames through the chain; returns the error-packet count."""
        return self.chain.process(source, dlt, pack_batch(frames))

    def replay(self, name: str, source: FakeSource = SOURCE) -> int:
        """Run a whole capture from tests/data through the chain."""
        dlt, frames = read_capture(name)
        return self.feed(dlt, frames, source)


def make_rig(**options: object) -> Rig:
    """A fresh tracker subscribed to a fresh chain."""
    clock = task.Clock()
    clock.advance(START)
    tracking = build_tracking(clock, manuf(), **options)  # type: ignore[arg-type]
    chain = PacketChain(clock)
    chain.subscribe(tracking.dot11.handle, "devices")
    return Rig(clock, chain, tracking)


#: Captures in tests/data where real Kismet finds devices (or we do).
CAPTURES_WITH_DEVICES = (
    "aircrack-ng_capture_wds-01.cap",
    "aircrack-ng_n-02.cap",
    "aircrack-ng_pmkid-not-recognized.cap",
    "aircrack-ng_wep_64_ptw_01.cap",
    "aircrack-ng_wpa-prism.cap",
    "fragattacks_eapol-inject-fromclient.pcapng",
    "john-samples_wpa-Induction.pcapng",
    "tcpdump_ieee802.11_exthdr.pcap",
    "wifite2_handshake_not_exists.cap",
)
