"""The ``serial`` driver: NMEA from a tty (or a pty or FIFO), read through the reactor.

``gps=serial:device=/dev/ttyUSB0,baud=4800``. The device is opened
non-blocking, put in raw mode at ``baud`` when it is a terminal, and added to
the reactor as an ``IReadDescriptor``; each readable event takes what is
there and feeds whole lines to :class:`~kismet_tx.gps.nmea.NmeaReader`. When
the device goes away (unplugged, EOF, read error) the fix is lost at once and,
with ``reconnect`` (the default), opening is retried with backoff.
"""

from __future__ import annotations

import errno
import os
import termios
import tty
from typing import Any

from twisted.internet.interfaces import IDelayedCall, IReactorFDSet, IReactorTime, IReadDescriptor
from twisted.python.failure import Failure
from zope.interface import implementer

from kismet_tx.gps.base import Gps, GpsDefinition, GpsDefinitionError, GpsDriverInfo
from kismet_tx.gps.nmea import NmeaReader
from kismet_tx.messagebus import ERROR, MessageBus

DEFAULT_BAUD = 4800
#: Longest NMEA line kept; longer ones are garbage and dropped.
MAX_LINE = 1024
#: Reopen backoff: first delay, growth factor and cap, seconds.
RETRY_INITIAL = 1.0
RETRY_FACTOR = 2.0
RETRY_MAX = 30.0


def baud_constant(baud: int) -> int:
    """The termios speed constant for ``baud``; GpsDefinitionError if there is none."""
    value = getattr(termios, f"B{baud}", None)
    if value is None:
        raise GpsDefinitionError(f"option baud={baud} is not a serial speed")
    return int(value)


def open_device(path: str, baud: int) -> int:
    """Open ``path`` non-blocking; a terminal is set raw at ``baud``."""
    fd = os.open(path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    try:
        if os.isatty(fd):
            tty.setraw(fd, termios.TCSANOW)
            attrs = termios.tcgetattr(fd)
            speed = baud_constant(baud)
            attrs[4] = attrs[5] = speed
            attrs[2] |= termios.CLOCAL | termios.CREAD
            termios.tcsetattr(fd, termios.TCSANOW, attrs)
    except BaseException:
        os.close(fd)
        raise
    return fd


@implementer(IReadDescriptor)
class _DeviceReader:
    """Reads whatever the device has, one readable event at a time."""

    def __init__(self, gps: SerialGps, fd: int) -> None:
        self._gps = gps
        self._fd = fd
        self._pending = b""

    def fileno(self) -> int:
        return self._fd

    def logPrefix(self) -> str:
        return f"SerialGps({self._gps.device})"

    def doRead(self) -> None:
        try:
            data = os.read(self._fd, 4096)
        except BlockingIOError:
            return None
        except OSError as exc:
            self._gps.device_lost(os.strerror(exc.errno or errno.EIO))
            return None
        if not data:
            self._gps.device_lost("end of file")
            return None
        lines = (self._pending + data).split(b"\n")
        self._pending = lines.pop()
        if len(self._pending) > MAX_LINE:
            self._pending = b""
        for raw in lines:
            self._gps.line(raw.decode("ascii", "replace"))
        return None

    def connectionLost(self, reason: Failure) -> None:
        self._gps.device_lost(reason.getErrorMessage())


class SerialGps(Gps):
    """A GPS on a serial port speaking NMEA."""

    info = GpsDriverInfo("serial", "serial-attached NMEA GPS (includes USB GPS)", -1000,
                         "serial", False)
    options = frozenset({"device", "baud"})

    def __init__(self, definition: GpsDefinition, *, uuid: str, name: str, clock: IReactorTime,
                 bus: MessageBus, reactor: IReactorFDSet) -> None:
        super().__init__(definition, uuid=uuid, name=name, clock=clock, bus=bus)
        device = definition.text_option("device")
        if device is None:
            raise GpsDefinitionError("a serial GPS needs device=")
        self.device = device
        self.baud = definition.integer("baud", DEFAULT_BAUD)
        baud_constant(self.baud)
        self._reactor = reactor
        self._reader: _DeviceReader | None = None
        self._fd: int | None = None
        self._retry: IDelayedCall | None = None
        self._delay = RETRY_INITIAL
        self._failing = False
        self.nmea = NmeaReader()

    def description(self) -> str:
        return f"NMEA on {self.device} at {self.baud} baud"

    def startService(self) -> None:
        super().startService()
        self._open()

    def stopService(self) -> Any:
        self._cancel_retry()
        self._close()
        return super().stopService()

    def _open(self) -> None:
        self._retry = None
        try:
            fd = open_device(self.device, self.baud)
        except (OSError, termios.error) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self._failed(f"cannot open {self.device}: {reason}")
            return
        self._fd = fd
        self._reader = _DeviceReader(self, fd)
        self._reactor.addReader(self._reader)
        self._failing = False
        self._delay = RETRY_INITIAL
        self.nmea = NmeaReader()
        self.set_connected(True)
        self.post(f"reading NMEA from {self.device}")

    def _close(self) -> None:
        if self._reader is not None:
            self._reactor.removeReader(self._reader)
            self._reader = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self.set_connected(False)

    def line(self, text: str) -> None:
        """One line from the device."""
        reading = self.nmea.feed(text)
        if reading is not None:
            self.report(reading)

    def device_lost(self, reason: str) -> None:
        """The device went away: lose the fix and try again later."""
        if self._reader is None:
            return
        self._close()
        text = f"lost {self.device} ({reason})"
        if self.fixed:
            self.lose_fix(text)
        self._failed(text)

    def _failed(self, text: str) -> None:
        if not self.running:
            return
        if not self._failing:
            self._failing = True
            retry = "retrying with backoff" if self.reconnect else "not reconnecting"
            self.post(f"{text}; {retry}", ERROR)
        if self.reconnect:
            self._retry = self.clock.callLater(self._delay, self._open)
            self._delay = min(self._delay * RETRY_FACTOR, RETRY_MAX)

    def _cancel_retry(self) -> None:
        if self._retry is not None and self._retry.active():
            self._retry.cancel()
        self._retry = None
