"""Packet logs on disk: Kismet's ``log_types=pcapng`` with its log naming template.

The settings and file names come from :mod:`kismet_tx.streams.lognaming`.

A log is a stream like any HTTP client's: it is in the stream registry (type
``pcapng``, path = the file), it shares the all-packets
:class:`~kismet_tx.streams.feed.EncodedFeed` with the HTTP clients of
``/pcap/all_packets.pcapng``, ``close_stream.cmd`` closes it, and the service
closes it, flushed, when the server stops. Writing is buffered and flushed
every :data:`FLUSH_INTERVAL` seconds. When the file cannot be opened or
written (disk full, permission, I/O error) the log stops: the file is cut
back to its last whole block (so what it holds is valid pcapng that every
reader takes), an ERROR message goes on the bus, every failure listener is
called, and the server carries on.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from twisted.application.service import Service
from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

from kismet_tx.messagebus import ERROR, INFO, MessageBus
from kismet_tx.streams.feed import ALL_PACKETS, EncodedBatch, EncodedFeed
from kismet_tx.streams.lognaming import (
    SEPARATE_LOG_TYPES,
    SUPPORTED_LOG_TYPES,
    LogSettings,
    LogTemplateError,
    expand_log_template,
)
from kismet_tx.streams.registry import StreamRegistry

_log = Logger(namespace="kismet_tx.streams")

#: Seconds between flushes of a log's write buffer to the file.
FLUSH_INTERVAL = 1.0
#: Bytes buffered in memory before a write reaches the file.
WRITE_BUFFER = 256 * 1024

#: ``listener(path, reason)``: a log stopped because its file failed.
FailureListener = Callable[[str, str], None]


class PcapngLogfile:
    """One pcapng log file: a feed member that writes every batch it is handed.

    ``on_close`` is called once when the log ends for any reason;
    ``on_failure(reason)`` once if it ends because the file failed;
    ``before_close`` when the server closes it, so its feed can hand over
    what it still holds.
    """

    def __init__(self, path: str, clock: IReactorTime, *,
                 on_close: Callable[[], None] | None = None,
                 on_failure: Callable[[str], None] | None = None,
                 before_close: Callable[[], None] | None = None,
                 flush_interval: float = FLUSH_INTERVAL,
                 buffer_size: int = WRITE_BUFFER) -> None:
        self.path = path
        self._clock = clock
        self._on_close = on_close
        self._on_failure = on_failure
        self._before_close = before_close
        self._flush_interval = flush_interval
        self._buffer_size = buffer_size
        self._file: BinaryIO | None = None
        self._flusher: LoopingCall | None = None
        self._closed = False
        #: Packets written to the log.
        self.packets = 0
        #: Bytes written to the log.
        self.size = 0
        #: A log never drops packets while it is open.
        self.dropped_packets = 0
        #: Why the log stopped, if its file failed.
        self.failure: str | None = None
        #: ``(file offset, packets)`` after each write that may not be on disk yet:
        #: where the file can be cut back to a whole block if writing fails.
        self._boundaries: deque[tuple[int, int]] = deque()

    @property
    def paused(self) -> bool:
        """Logs are never paused."""
        return False

    @property
    def closed(self) -> bool:
        """Whether the log has ended."""
        return self._closed

    def open(self, preamble: bytes) -> None:
        """Create the file and write ``preamble`` (a feed's SHB and IDBs); raises ``OSError``."""
        handle = open(self.path, "wb", buffering=self._buffer_size)  # noqa: SIM115
        try:
            handle.write(preamble)
        except OSError:
            handle.close()
            raise
        self._file = handle
        self.size = len(preamble)
        self._boundaries.append((self.size, 0))
        self._flusher = LoopingCall(self.flush)
        self._flusher.clock = self._clock
        self._flusher.start(self._flush_interval, now=False)

    def deliver(self, batch: EncodedBatch) -> None:
        """Append a feed's batch; a failing file ends the log."""
        handle = self._file
        if handle is None:
            return
        try:
            handle.write(batch.data)
        except OSError as exc:
            self._fail(exc)
            return
        self.packets += batch.packets
        self.size += len(batch.data)
        boundaries = self._boundaries
        boundaries.append((self.size, self.packets))
        # Only the last buffer's worth can still be unwritten; keep one boundary below it.
        while len(boundaries) > 1 and boundaries[1][0] <= self.size - self._buffer_size:
            boundaries.popleft()

    def flush(self) -> None:
        """Hand buffered bytes to the file; a failing file ends the log."""
        if self._file is None:
            return
        try:
            self._file.flush()
        except OSError as exc:
            self._fail(exc)

    def close(self) -> None:
        """Flush and close the file (server stop, ``close_stream.cmd``)."""
        if self._closed:
            return
        before, self._before_close = self._before_close, None
        if before is not None:
            before()
        if self._closed:
            return
        handle = self._end()
        if handle is not None:
            try:
                handle.close()
            except OSError as exc:
                self._report(exc)
        self._finished()

    def _fail(self, exc: OSError) -> None:
        if self._closed:
            return
        handle = self._end()
        if handle is not None:
            try:
                handle.close()
            except OSError:
                pass
            self._cut_to_whole_blocks()
        self._report(exc)
        self._finished()

    def _cut_to_whole_blocks(self) -> None:
        """After a failed write, drop a block cut short at the end of the file."""
        try:
            if not os.path.isfile(self.path):
                return
            on_disk = os.path.getsize(self.path)
            whole = [mark for mark in self._boundaries if mark[0] <= on_disk]
            if not whole:
                return
            size, packets = whole[-1]
            if size < on_disk:
                os.truncate(self.path, size)
        except OSError:
            return
        self.size, self.packets = size, packets

    def _report(self, exc: OSError) -> None:
        reason = exc.strerror or str(exc)
        self.failure = reason
        callback, self._on_failure = self._on_failure, None
        if callback is not None:
            try:
                callback(reason)
            except Exception:
                _log.failure("log failure callback failed")

    def _end(self) -> BinaryIO | None:
        self._closed = True
        if self._flusher is not None and self._flusher.running:
            self._flusher.stop()
        self._flusher = None
        handle, self._file = self._file, None
        return handle

    def _finished(self) -> None:
        callback, self._on_close = self._on_close, None
        if callback is not None:
            try:
                callback()
            except Exception:
                _log.failure("log close callback failed")


class PacketLogService(Service):
    """Opens the configured logs at start; at stop flushes and closes them.

    The other streams (HTTP clients) are the registry's to end when it stops.
    """

    def __init__(self, settings: LogSettings, registry: StreamRegistry, bus: MessageBus,
                 clock: IReactorTime, *, home: str | None = None,
                 flush_interval: float = FLUSH_INTERVAL) -> None:
        self.setName("logs")
        self.settings = settings
        self._registry = registry
        self._bus = bus
        self._clock = clock
        self._home = home if home is not None else str(Path.home())
        self._flush_interval = flush_interval
        self._listeners: list[FailureListener] = []
        self.logs: list[PcapngLogfile] = []

    def subscribe_failures(self, listener: FailureListener) -> None:
        """Call ``listener(path, reason)`` whenever a log stops because its file failed."""
        self._listeners.append(listener)

    def startService(self) -> None:
        Service.startService(self)
        settings = self.settings
        if not settings.enabled:
            if settings.types:
                self._bus.post("Logging disabled (enable_logging=false); no log opened", INFO)
            return
        start = self._clock.seconds()
        for log_type in settings.types:
            if log_type not in SUPPORTED_LOG_TYPES:
                self._bus.post(f"Log type '{log_type}' is not supported by this server; "
                               f"supported: {', '.join(SUPPORTED_LOG_TYPES)}", ERROR)
                continue
            if log_type in SEPARATE_LOG_TYPES:
                continue
            self.open_log(log_type, start)

    def open_log(self, log_type: str, start_time: float) -> PcapngLogfile | None:
        """Open one log named by the template; None (and an ERROR message) on failure."""
        settings = self.settings
        try:
            path = expand_log_template(settings.template, prefix=settings.prefix,
                                       title=settings.title, log_type=log_type,
                                       start_time=start_time, home=self._home)
        except LogTemplateError as exc:
            self._bus.post(f"Failed to open {log_type} log: {exc}", ERROR)
            return None
        feed = self._registry.feed_for(ALL_PACKETS, None)
        stream_id = 0

        def closed() -> None:
            feed.leave(log)
            self._registry.remove(stream_id)
            if log in self.logs:
                self.logs.remove(log)

        def failed(reason: str) -> None:
            self._failed(log, reason)

        log = PcapngLogfile(path, self._clock, on_close=closed, on_failure=failed,
                            before_close=feed.flush, flush_interval=self._flush_interval)
        if not self._open(log, feed):
            return None
        self.logs.append(log)
        stream_id = self._registry.register(log, os.path.basename(path), log_type, path,
                                            f"{log_type} log of all packets", fanout=False)
        self._bus.post(f"Opened {log_type} log file '{path}'", INFO)
        return log

    def _open(self, log: PcapngLogfile, feed: EncodedFeed) -> bool:
        """Join the feed and open the file; on failure leave it again and report."""
        preamble = feed.join(log)
        try:
            log.open(preamble)
        except OSError as exc:
            feed.leave(log)
            self._failed(log, exc.strerror or str(exc), opening=True)
            return False
        return True

    def _failed(self, log: PcapngLogfile, reason: str, opening: bool = False) -> None:
        if opening:
            text = f"Failed to open pcapng log '{log.path}': {reason}"
        else:
            text = (f"pcapng log '{log.path}' stopped after {log.packets} packets: {reason}; "
                    "packets are no longer logged to it")
        self._bus.post(text, ERROR)
        for listener in list(self._listeners):
            try:
                listener(log.path, reason)
            except Exception:
                _log.failure("log failure listener failed")

    def stopService(self) -> Any:
        for log in list(self.logs):
            log.close()
        return Service.stopService(self)
