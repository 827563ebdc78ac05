"""The in-memory twin of the capture system, for tests and demos.

It keeps the contract of :class:`~kismet_tx.capture.system.CaptureSystem` and
the quirks datasources must survive: a file whose last record is cut short
makes ``next_batch`` raise and lose the batch it was filling, exactly as
pcapy-ng 2.1.0 does, while ``next`` still returns every complete record first.
Live handles have a real descriptor (a pipe) that becomes readable when a
frame waits, so the reactor reader works on the twin unchanged. Interfaces can
be paired like a veth pair: ``sendpacket`` on one arrives on the other.
"""

from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass, field

from kismet_tx.capture.system import (
    EMPTY_BATCH,
    CaptureError,
    CaptureFileInfo,
    CaptureHandle,
    FrameBatch,
    InterfaceInfo,
    InterfaceNotFound,
    NotSupported,
    WirelessInfo,
    pack_batch,
)

Frame = tuple[float, bytes]


@dataclass
class MemoryFile:
    """A capture file: its link type, complete records and the error after them."""

    dlt: int
    frames: list[Frame]
    trailing_error: str | None = None


@dataclass
class MemoryInterface:
    """A network interface; ``radio`` set means wireless."""

    name: str
    index: int
    mac: str
    dlt: int
    up: bool = True
    radio: WirelessInfo | None = None
    peer: str | None = None
    channel: tuple[int, str] | None = None
    handles: list[MemoryLiveHandle] = field(default_factory=list)


class _MemoryHandleBase:
    def __init__(self, name: str, dlt: int) -> None:
        self._name = name
        self._dlt = dlt
        self.closed = False

    def _check(self) -> None:
        if self.closed:
            raise CaptureError(f"{self._name}: handle is closed")

    def datalink(self) -> int:
        self._check()
        return self._dlt


class MemoryFileHandle(_MemoryHandleBase):
    """An offline handle over a :class:`MemoryFile`."""

    def __init__(self, name: str, source: MemoryFile) -> None:
        super().__init__(name, source.dlt)
        self._file = source
        self._position = 0

    def next_batch(self, max_frames: int) -> FrameBatch:
        self._check()
        frames = self._file.frames
        end = self._position + max_frames
        if end > len(frames) and self._file.trailing_error is not None:
            self._position = len(frames)
            raise CaptureError(f"{self._name}: {self._file.trailing_error}")
        batch = frames[self._position : end]
        self._position += len(batch)
        return pack_batch(batch) if batch else EMPTY_BATCH

    def next(self) -> Frame | None:
        self._check()
        frames = self._file.frames
        if self._position < len(frames):
            self._position += 1
            return frames[self._position - 1]
        if self._file.trailing_error is not None:
            raise CaptureError(f"{self._name}: {self._file.trailing_error}")
        return None

    def setnonblock(self, enabled: bool) -> None:
        self._check()

    def getfd(self) -> int:
        raise CaptureError(f"{self._name}: a capture file has no selectable descriptor")

    def sendpacket(self, data: bytes) -> None:
        raise CaptureError(f"{self._name}: cannot send on a capture file")

    def close(self) -> None:
        self.closed = True


class MemoryLiveHandle(_MemoryHandleBase):
    """A live handle: frames queue up and a pipe byte marks each one readable."""

    def __init__(self, system: MemoryCaptureSystem, interface: MemoryInterface) -> None:
        super().__init__(interface.name, interface.dlt)
        self._system = system
        self._interface = interface
        self._queue: deque[Frame] = deque()
        self._read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._read_fd, False)
        self._failure: str | None = None

    def receive(self, frame: Frame) -> None:
        """Queue a frame (called by the system)."""
        if not self.closed:
            self._queue.append(frame)
            os.write(self._write_fd, b"\0")

    def fail(self, reason: str) -> None:
        """Make the next read raise (the interface vanished or broke)."""
        if not self.closed:
            self._failure = reason
            os.write(self._write_fd, b"\0")

    def _drain(self, count: int) -> None:
        try:
            os.read(self._read_fd, max(count, 1))
        except BlockingIOError:
            pass

    def next_batch(self, max_frames: int) -> FrameBatch:
        self._check()
        if self._failure is not None:
            raise CaptureError(f"{self._name}: {self._failure}")
        taken = [self._queue.popleft() for _ in range(min(max_frames, len(self._queue)))]
        self._drain(len(taken))
        return pack_batch(taken) if taken else EMPTY_BATCH

    def next(self) -> Frame | None:
        self._check()
        if self._failure is not None:
            raise CaptureError(f"{self._name}: {self._failure}")
        if not self._queue:
            return None
        self._drain(1)
        return self._queue.popleft()

    def setnonblock(self, enabled: bool) -> None:
        self._check()

    def getfd(self) -> int:
        self._check()
        return self._read_fd

    def sendpacket(self, data: bytes) -> None:
        self._check()
        if self._failure is not None:
            raise CaptureError(f"{self._name}: {self._failure}")
        self._system.transmit(self._interface.name, data)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            if self in self._interface.handles:
                self._interface.handles.remove(self)
            os.close(self._read_fd)
            os.close(self._write_fd)


class MemoryCaptureSystem:
    """A :class:`~kismet_tx.capture.system.CaptureSystem` held in memory.

    ``now`` stamps transmitted frames (a callable, so tests can pass a clock).
    ``calls`` records every nl80211 operation, for assertions.
    """

    def __init__(self, now: object = None) -> None:
        self.files: dict[str, MemoryFile] = {}
        self.links: dict[str, MemoryInterface] = {}
        self.calls: list[tuple[str, ...]] = []
        self._now = now if callable(now) else (lambda: 0.0)
        self._next_index = 1

    # -- set-up --------------------------------------------------------------

    def add_file(
        self, path: str, dlt: int, frames: list[Frame], trailing_error: str | None = None
    ) -> MemoryFile:
        """Make ``path`` openable with these records."""
        self.files[path] = MemoryFile(dlt, list(frames), trailing_error)
        return self.files[path]

    def add_interface(
        self,
        name: str,
        *,
        dlt: int = 1,
        mac: str | None = None,
        radio: WirelessInfo | None = None,
        up: bool = True,
    ) -> MemoryInterface:
        """Add an interface; give ``radio`` to make it wireless."""
        index = self._next_index
        self._next_index += 1
        link = MemoryInterface(name, index, mac or f"02:00:00:00:00:{index:02X}", dlt, up, radio)
        self.links[name] = link
        return link

    def add_pair(self, first: str, second: str, dlt: int = 1) -> None:
        """Two linked interfaces: what one sends, the other receives."""
        self.add_interface(first, dlt=dlt).peer = second
        self.add_interface(second, dlt=dlt).peer = first

    def remove_interface(self, name: str) -> None:
        """The interface vanishes: its open handles fail on their next read."""
        link = self.links.pop(name, None)
        if link is not None:
            for handle in list(link.handles):
                handle.fail("The interface disappeared")

    def inject(self, name: str, data: bytes, ts: float | None = None) -> None:
        """A frame arrives on ``name`` (as if received from the air)."""
        link = self._link(name)
        frame = (self._now() if ts is None else ts, data)
        for handle in list(link.handles):
            handle.receive(frame)

    def transmit(self, name: str, data: bytes) -> None:
        """A frame sent on ``name`` arrives on its peer, if any."""
        link = self._link(name)
        if link.peer is not None and link.peer in self.links:
            self.inject(link.peer, data)

    def _link(self, name: str) -> MemoryInterface:
        link = self.links.get(name)
        if link is None:
            raise InterfaceNotFound(f"no interface {name!r}")
        return link

    # -- CaptureSystem -------------------------------------------------------

    def file_info(self, path: str) -> CaptureFileInfo:
        source = self.files.get(path)
        if source is None:
            raise CaptureError(f"{path}: No such file or directory")
        size = 24 + sum(16 + len(data) for _, data in source.frames)
        return CaptureFileInfo(size + (100 if source.trailing_error else 0), "pcap")

    def open_offline(self, path: str) -> CaptureHandle:
        source = self.files.get(path)
        if source is None:
            raise CaptureError(f"{path}: No such file or directory")
        return MemoryFileHandle(path, source)

    def open_live(
        self,
        interface: str,
        *,
        snaplen: int = 65535,
        promisc: bool = True,
        timeout_ms: int = 50,
        rfmon: bool = False,
    ) -> CaptureHandle:
        link = self._link(interface)
        if not link.up:
            raise CaptureError(f"{interface}: That device is not up")
        if rfmon and (link.radio is None or not link.radio.can_monitor):
            raise CaptureError(f"{interface}: That device doesn't support monitor mode")
        handle = MemoryLiveHandle(self, link)
        link.handles.append(handle)
        return handle

    def interfaces(self) -> list[InterfaceInfo]:
        return [
            InterfaceInfo(
                link.name,
                link.index,
                link.mac.upper(),
                link.up,
                link.radio is not None,
                link.radio.hardware if link.radio else "",
            )
            for link in self.links.values()
        ]

    def wireless_info(self, interface: str) -> WirelessInfo | None:
        link = self.links.get(interface)
        return None if link is None else link.radio

    def create_monitor_vif(self, interface: str, vif_name: str) -> str:
        self.calls.append(("create_monitor_vif", interface, vif_name))
        link = self._link(interface)
        if link.radio is None:
            raise NotSupported(f"{interface} is not an nl80211 wireless interface")
        if not link.radio.can_monitor:
            raise CaptureError(f"{interface}: the radio cannot create monitor interfaces")
        if vif_name in self.links:
            existing = self.links[vif_name].radio
            if existing is not None and existing.monitor:
                return vif_name
            raise CaptureError(f"an interface named {vif_name} already exists")
        radio = WirelessInfo(
            vif_name,
            link.radio.phy,
            "monitor",
            link.radio.frequencies,
            link.radio.hardware,
            link.radio.iftypes,
        )
        self.add_interface(vif_name, dlt=127, radio=radio)
        return vif_name

    def set_channel(self, interface: str, freq_mhz: int, mode: str = "") -> None:
        self.calls.append(("set_channel", interface, str(freq_mhz), mode))
        link = self._link(interface)
        if link.radio is None:
            raise NotSupported(f"{interface} is not an nl80211 wireless interface")
        if freq_mhz not in link.radio.frequencies:
            raise CaptureError(f"cannot tune {interface} to {freq_mhz} MHz: Invalid argument")
        link.channel = (freq_mhz, mode)
