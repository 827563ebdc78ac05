"""One behaviour suite for the capture system, run on the real one and on its twin.

The real system runs live on a veth pair inside a network namespace the test
creates (frames injected with ``sendpacket`` on the peer); the twin runs the
same assertions in memory. Waiting is on the handle's own descriptor.
"""

from __future__ import annotations

import select
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from kismet_tx.capture.linux import LinuxCaptureSystem
from kismet_tx.capture.memory import MemoryCaptureSystem
from kismet_tx.capture.system import (
    DLT_EN10MB,
    DLT_IEEE802_11,
    CaptureError,
    CaptureHandle,
    CaptureSystem,
    batch_len,
    iter_batch,
)
from tests.capture.conftest import DATA, beacon, delete_link, ether_frame, marked

WAIT = 10.0
COMPLETE = DATA / "aircrack-ng_n-02.cap"
TRUNCATED = DATA / "aircrack-ng_pmkid-not-recognized.cap"
TRUNCATED_RECORDS = 20056


@dataclass
class Env:
    """A capture system and the names its behaviour is checked against."""

    system: CaptureSystem
    capture: str
    inject: str
    complete_file: str
    complete_frames: int
    complete_dlt: int
    truncated_file: str
    truncated_frames: int
    vanish: Callable[[], None]


def wait_readable(fd: int) -> None:
    readable, _, _ = select.select([fd], [], [], WAIT)
    assert readable, "the capture descriptor never became readable"


def collect(handle: CaptureHandle, wanted: int) -> list[int]:
    """Marked frames from a live handle, waiting on its descriptor for each batch."""
    seen: list[int] = []
    while len(seen) < wanted:
        batch = handle.next_batch(64)
        if not batch[1]:
            wait_readable(handle.getfd())
            continue
        seen.extend(marked(batch))
    return seen


class CaptureSystemBehaviour:
    """What datasources rely on, whatever system is underneath."""

    @pytest.fixture
    def env(self) -> Iterator[Env]:
        raise NotImplementedError

    def test_offline_reads_every_record(self, env: Env) -> None:
        handle = env.system.open_offline(env.complete_file)
        assert handle.datalink() == env.complete_dlt
        total = 0
        while batch_len(batch := handle.next_batch(50)):
            total += batch_len(batch)
            assert all(data for _, data in iter_batch(batch))
        assert total == env.complete_frames
        assert handle.next() is None
        handle.close()
        with pytest.raises(CaptureError):
            handle.next_batch(1)

    def test_file_info(self, env: Env) -> None:
        info = env.system.file_info(env.complete_file)
        assert info.size > env.complete_frames * 16
        assert info.format == "pcap"
        with pytest.raises(CaptureError):
            env.system.file_info("/nonexistent/capture.pcap")

    def test_truncated_file_loses_the_batch_but_next_recovers(self, env: Env) -> None:
        # The pitfall the pcapfile reader works around: the batch that meets the
        # cut-short record raises and its frames are gone...
        handle = env.system.open_offline(env.truncated_file)
        read = 0
        with pytest.raises(CaptureError, match="truncated|cut short"):
            while batch_len(batch := handle.next_batch(4096)):
                read += batch_len(batch)
        assert read < env.truncated_frames
        handle.close()
        # ...while next() hands over every complete record before raising.
        handle = env.system.open_offline(env.truncated_file)
        count = 0
        with pytest.raises(CaptureError):
            while handle.next() is not None:
                count += 1
        assert count == env.truncated_frames

    def test_missing_file_and_interface_raise(self, env: Env) -> None:
        with pytest.raises(CaptureError):
            env.system.open_offline("/nonexistent/capture.pcap")
        with pytest.raises(CaptureError):
            env.system.open_live("kxnosuchif0")

    def test_interfaces_lists_capture_interface(self, env: Env) -> None:
        found = {i.name: i for i in env.system.interfaces()}
        assert env.capture in found and env.inject in found
        assert not found[env.capture].wireless
        assert found[env.capture].up
        assert env.system.wireless_info(env.capture) is None

    def test_live_frames_arrive_on_the_descriptor(self, env: Env) -> None:
        capture = env.system.open_live(env.capture)
        capture.setnonblock(True)
        assert capture.datalink() == DLT_EN10MB
        assert marked(capture.next_batch(64)) == []
        sender = env.system.open_live(env.inject)
        for index in range(20):
            sender.sendpacket(ether_frame(index))
        assert sorted(collect(capture, 20)) == list(range(20))
        single = None
        sender.sendpacket(ether_frame(99))
        while single is None:
            wait_readable(capture.getfd())
            frame = capture.next()
            if frame is not None and frame[1][12:14] == b"\x88\xb5":
                single = frame
        assert single[1] == ether_frame(99)
        capture.close()
        sender.close()

    def test_vanishing_interface_fails_the_read(self, env: Env) -> None:
        capture = env.system.open_live(env.capture)
        capture.setnonblock(True)
        env.vanish()
        wait_readable(capture.getfd())
        with pytest.raises(CaptureError):
            for _ in range(100):
                capture.next_batch(64)
        capture.close()


class TestMemoryCaptureSystem(CaptureSystemBehaviour):
    """The in-memory twin."""

    @pytest.fixture
    def env(self) -> Iterator[Env]:
        system = MemoryCaptureSystem()
        system.add_pair("kxcap", "kxinj")
        frames = [(1_500_000_000 + i / 10, beacon(channel=6)) for i in range(218)]
        system.add_file("/captures/complete.pcap", DLT_IEEE802_11, frames)
        cut = [(1_600_000_000 + i / 100, beacon(channel=10)) for i in range(TRUNCATED_RECORDS)]
        system.add_file(
            "/captures/truncated.pcap",
            DLT_IEEE802_11,
            cut,
            trailing_error="truncated dump file; tried to read 411 captured bytes, only got 179",
        )
        yield Env(
            system,
            "kxcap",
            "kxinj",
            "/captures/complete.pcap",
            218,
            DLT_IEEE802_11,
            "/captures/truncated.pcap",
            TRUNCATED_RECORDS,
            lambda: system.remove_interface("kxcap"),
        )


class TestLinuxCaptureSystem(CaptureSystemBehaviour):
    """pcapy-ng and pyroute2 on a veth pair in a namespace of the test's own."""

    @pytest.fixture
    def env(self, veth_netns: str) -> Iterator[Env]:
        system = LinuxCaptureSystem(netns=veth_netns)
        yield Env(
            system,
            "kxcap",
            "kxinj",
            str(COMPLETE),
            218,
            DLT_IEEE802_11,
            str(TRUNCATED),
            TRUNCATED_RECORDS,
            lambda: delete_link(veth_netns, "kxcap"),
        )
