"""The hardware behind one small interface: pcap handles, interfaces, nl80211.

Datasources talk only to a :class:`CaptureSystem`. The real one
(:mod:`kismet_tx.capture.linux`) uses pcapy-ng and pyroute2; the in-memory twin
(:mod:`kismet_tx.capture.memory`) behaves the same way for tests, including the
nl80211 parts this machine cannot exercise for real.

Frames travel as a :data:`FrameBatch`, pcapy-ng's own ``next_batch`` layout, so
nothing is copied or converted between the capture library and the packet
chain: ``(buffer, meta)`` where ``meta`` holds one 16-byte record per frame,
four native-endian uint32 ``(sec, usec, offset, caplen)``, and each frame is
``buffer[offset:offset + caplen]``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

#: One batch of frames: ``(buffer, meta)``; see the module docstring.
FrameBatch = tuple[bytes, bytes]
#: One meta record: ``(sec, usec, offset, caplen)``.
META = struct.Struct("=4I")
META_SIZE = META.size
EMPTY_BATCH: FrameBatch = (b"", b"")

#: Link types (DLT) a capture may report.
DLT_EN10MB = 1
DLT_IEEE802_11 = 105
DLT_PRISM = 119
DLT_RADIOTAP = 127
DLT_AVS = 163
DLT_PPI = 192


class CaptureError(Exception):
    """A capture handle or the interface system failed; the message says why."""


class InterfaceNotFound(CaptureError):
    """The named network interface does not exist."""


class NotSupported(CaptureError):
    """The operation needs support this system or interface lacks (e.g. nl80211)."""


def batch_len(batch: FrameBatch) -> int:
    """Number of frames in a batch."""
    return len(batch[1]) // META_SIZE


def iter_batch(batch: FrameBatch) -> Iterator[tuple[float, bytes]]:
    """Yield ``(timestamp, frame bytes)`` for each frame of a batch."""
    buffer, meta = batch
    for sec, usec, offset, caplen in META.iter_unpack(meta):
        yield sec + usec / 1_000_000, buffer[offset : offset + caplen]


def pack_batch(frames: Iterable[tuple[float, bytes]]) -> FrameBatch:
    """Build a batch from ``(timestamp, frame bytes)`` pairs."""
    parts: list[bytes] = []
    meta = bytearray()
    offset = 0
    for ts, data in frames:
        sec = int(ts)
        usec = min(999_999, int(round((ts - sec) * 1_000_000)))
        meta += META.pack(sec, usec, offset, len(data))
        parts.append(data)
        offset += len(data)
    return b"".join(parts), bytes(meta)


def slice_batch(batch: FrameBatch, start: int, stop: int) -> FrameBatch:
    """Frames ``start`` to ``stop`` of a batch (the buffer is shared, not copied)."""
    return batch[0], batch[1][start * META_SIZE : stop * META_SIZE]


class CaptureHandle(Protocol):
    """An open pcap handle: a capture file or a live interface."""

    def datalink(self) -> int:
        """The handle's link type (DLT)."""

    def next_batch(self, max_frames: int) -> FrameBatch:
        """Up to ``max_frames`` frames; an empty batch at end of file or when none wait.

        Raises :class:`CaptureError` on a read error. As with pcapy-ng, the frames
        of the batch being filled when the error struck are lost.
        """

    def next(self) -> tuple[float, bytes] | None:
        """One frame as ``(timestamp, bytes)``, or None at end of file / none waiting."""

    def setnonblock(self, enabled: bool) -> None:
        """Make reads return at once when no frame waits."""

    def getfd(self) -> int:
        """A descriptor that becomes readable when frames wait (live handles)."""

    def sendpacket(self, data: bytes) -> None:
        """Transmit one raw frame on a live interface."""

    def close(self) -> None:
        """Release the handle; further use raises :class:`CaptureError`."""


@dataclass(frozen=True, slots=True)
class InterfaceInfo:
    """A network interface as the system sees it."""

    name: str
    index: int
    mac: str
    up: bool
    wireless: bool
    driver: str = ""


@dataclass(frozen=True, slots=True)
class WirelessInfo:
    """nl80211 facts about one wireless interface."""

    interface: str
    phy: str
    iftype: str
    #: Supported centre frequencies, MHz, in the order the hardware lists them.
    frequencies: tuple[int, ...] = ()
    hardware: str = ""
    #: Interface types the radio can create, e.g. ``("managed", "monitor")``.
    iftypes: tuple[str, ...] = field(default=("managed", "monitor"))

    @property
    def monitor(self) -> bool:
        """The interface is already in monitor mode."""
        return self.iftype == "monitor"

    @property
    def can_monitor(self) -> bool:
        """The radio supports monitor interfaces."""
        return "monitor" in self.iftypes


@dataclass(frozen=True, slots=True)
class CaptureFileInfo:
    """Size and format of a capture file."""

    size: int
    #: ``"pcap"`` or ``"pcapng"``.
    format: str


class CaptureSystem(Protocol):
    """Everything the capture layer asks of the machine."""

    def file_info(self, path: str) -> CaptureFileInfo:
        """Size and format of a capture file; :class:`CaptureError` if unreadable."""

    def open_offline(self, path: str) -> CaptureHandle:
        """Open a pcap or pcapng file."""

    def open_live(
        self,
        interface: str,
        *,
        snaplen: int = 65535,
        promisc: bool = True,
        timeout_ms: int = 50,
        rfmon: bool = False,
    ) -> CaptureHandle:
        """Open a live interface (``create``/``set_rfmon``/``activate`` when ``rfmon``)."""

    def interfaces(self) -> list[InterfaceInfo]:
        """Every network interface, wireless ones flagged."""

    def wireless_info(self, interface: str) -> WirelessInfo | None:
        """nl80211 facts about ``interface``; None when it is not wireless."""

    def create_monitor_vif(self, interface: str, vif_name: str) -> str:
        """Create and bring up a monitor-mode interface on ``interface``'s radio."""

    def set_channel(self, interface: str, freq_mhz: int, mode: str = "") -> None:
        """Tune ``interface``; ``mode`` is ``""``, ``HT20``, ``HT40+``, ``HT40-``,
        ``VHT80`` or ``VHT160``."""
