"""The serial driver on a real pseudo-terminal: NMEA in, fix out, unplug and replug."""

from __future__ import annotations

import os
import select
import termios
from collections.abc import Iterator

import pytest

from kismet_tx.gps.location import FIX_3D
from kismet_tx.gps.serial import SerialGps

from .conftest import Bench, gga, gsa, make_bench, rmc


class Pty:
    """A pseudo-terminal whose far end the GPS opens by name."""

    def __init__(self) -> None:
        self.master, slave = os.openpty()
        self.path = os.ttyname(slave)
        os.close(slave)

    def write(self, *lines: str) -> None:
        os.write(self.master, "".join(f"{line}\r\n" for line in lines).encode())

    def close(self) -> None:
        if self.master >= 0:
            os.close(self.master)
            self.master = -1


@pytest.fixture
def pty() -> Iterator[Pty]:
    made = Pty()
    yield made
    made.close()


@pytest.fixture
def bench() -> Bench:
    made = make_bench()
    made.tracker.startService()
    return made


def readers(bench: Bench) -> list:
    return list(bench.reactor.readers)


def pump(bench: Bench) -> None:
    """Let the GPS read whatever has arrived (waiting on readiness, not time)."""
    for reader in readers(bench):
        ready, _, _ = select.select([reader.fileno()], [], [], 5)
        assert ready, "the device never became readable"
        reader.doRead()


def test_nmea_from_the_device_gives_a_fix(bench: Bench, pty: Pty) -> None:
    gps = bench.tracker.add(f"serial:device={pty.path},baud=9600,name=usb")
    assert isinstance(gps, SerialGps)
    assert gps.connected
    attrs = termios.tcgetattr(readers(bench)[0].fileno())
    assert attrs[4] == termios.B9600
    pty.write(gsa(3), gga(), rmc())
    pump(bench)
    best = bench.tracker.best()
    assert best.fix == FIX_3D
    assert (round(best.lat, 4), round(best.lon, 4), best.alt) == (48.1173, 11.5167, 545.4)
    assert best.heading == 84.4
    assert gps.record()["kismet.gps.description"] == f"NMEA on {pty.path} at 9600 baud"


def test_a_line_split_across_reads_is_joined(bench: Bench, pty: Pty) -> None:
    bench.tracker.add(f"serial:device={pty.path}")
    sentence = gga()
    os.write(pty.master, sentence[:20].encode())
    pump(bench)
    assert bench.tracker.best() is None
    os.write(pty.master, (sentence[20:] + "\r\n").encode())
    pump(bench)
    assert bench.tracker.best() is not None


def test_unplugging_loses_the_fix(bench: Bench, pty: Pty) -> None:
    gps = bench.tracker.add(f"serial:device={pty.path}")
    pty.write(gga())
    pump(bench)
    assert bench.tracker.best() is not None
    pty.close()
    pump(bench)
    assert bench.tracker.best() is None
    assert not gps.connected
    assert readers(bench) == []
    assert any(t.startswith(f"GPS 'serial': lost its fix: lost {pty.path}")
               for t in bench.texts())
    assert any("retrying with backoff" in t for t in bench.texts())


def test_a_device_that_ends_is_reopened_at_the_same_path(bench: Bench, tmp_path) -> None:
    path = tmp_path / "gps.fifo"
    os.mkfifo(path)
    gps = bench.tracker.add(f"serial:device={path}")
    writer = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    os.write(writer, (gga() + "\n").encode())
    pump(bench)
    assert bench.tracker.best() is not None
    os.close(writer)
    pump(bench)
    assert bench.tracker.best() is None
    assert any("lost its fix: lost" in t and "(end of file)" in t for t in bench.texts())
    bench.advance(1)
    assert gps.connected
    writer = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    try:
        os.write(writer, (gga() + "\n").encode())
        pump(bench)
        assert bench.tracker.best() is not None
    finally:
        os.close(writer)


def test_a_missing_device_is_retried_with_backoff(bench: Bench, tmp_path) -> None:
    path = tmp_path / "gps.fifo"
    gps = bench.tracker.add(f"serial:device={path}")
    assert not gps.connected
    assert any("cannot open" in t and "No such file or directory" in t for t in bench.texts())
    os.mkfifo(path)
    writer_fd = None
    try:
        bench.advance(1)
        assert gps.connected
        writer_fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        os.write(writer_fd, (gga() + "\n").encode())
        pump(bench)
        assert bench.tracker.best() is not None
    finally:
        if writer_fd is not None:
            os.close(writer_fd)


def test_stopping_closes_the_device(bench: Bench, pty: Pty) -> None:
    bench.tracker.add(f"serial:device={pty.path}")
    fd = readers(bench)[0].fileno()
    bench.tracker.stopService()
    assert readers(bench) == []
    with pytest.raises(OSError):
        os.fstat(fd)
