"""A live capture handle on the reactor: one bounded batch per readable event.

Modelled on ``twisted.pair.tuntap``: the handle's descriptor is added to the
reactor as an ``IReadDescriptor``; ``doRead`` takes one ``next_batch`` of at
most ``batch_size`` frames, so a busy interface never starves the rest of the
server (level-triggered polling calls again while frames wait).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twisted.internet.interfaces import IReactorFDSet, IReadDescriptor
from twisted.python.failure import Failure
from zope.interface import implementer

from kismet_tx.capture.system import CaptureError, CaptureHandle, FrameBatch

#: Frames taken per readable event.
DEFAULT_BATCH = 512


@implementer(IReadDescriptor)
class CaptureReader:
    """Feeds ``on_frames`` from a non-blocking handle; ``on_error`` once on failure."""

    def __init__(
        self,
        reactor: IReactorFDSet,
        handle: CaptureHandle,
        name: str,
        on_frames: Callable[[FrameBatch], Any],
        on_error: Callable[[str], Any],
        batch_size: int = DEFAULT_BATCH,
    ) -> None:
        self._reactor = reactor
        self._handle = handle
        self._name = name
        self._on_frames = on_frames
        self._on_error = on_error
        self._batch = batch_size
        handle.setnonblock(True)
        self._fd = handle.getfd()
        self.reading = False

    def start(self) -> None:
        """Begin watching the descriptor."""
        if not self.reading:
            self.reading = True
            self._reactor.addReader(self)

    def stop(self) -> None:
        """Stop watching the descriptor (the handle stays open)."""
        if self.reading:
            self.reading = False
            self._reactor.removeReader(self)

    def fileno(self) -> int:
        return self._fd

    def logPrefix(self) -> str:
        return f"CaptureReader({self._name})"

    def doRead(self) -> None:
        try:
            batch = self._handle.next_batch(self._batch)
        except CaptureError as exc:
            self._fail(str(exc))
            return None
        if batch[1]:
            self._on_frames(batch)
        return None

    def connectionLost(self, reason: Failure) -> None:
        """The poller saw an error or hang-up: ask pcap what happened, then fail."""
        text = f"{self._name}: capture descriptor lost: {reason.getErrorMessage()}"
        try:
            self._handle.next_batch(1)
        except CaptureError as exc:
            text = str(exc)
        self._fail(text)

    def _fail(self, reason: str) -> None:
        if self.reading:
            self.stop()
            self._on_error(reason)
