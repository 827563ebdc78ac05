"""One HTTP client's pcapng stream: an ``IPushProducer`` with a bounded backlog.

Packets arrive one of two ways, and neither ever pauses or blocks the caller:

- :meth:`PacketStreamProducer.offer`: one packet, filtered and encoded by the
  producer's own :class:`PcapngEncoder`;
- :meth:`PacketStreamProducer.deliver`: a batch of blocks already encoded by
  an :class:`~kismet_tx.streams.feed.EncodedFeed` the stream shares with
  others (then there is no encoder, and :meth:`start` sends the feed's preamble).

While the client's transport has paused the producer, encoded packets wait in
a backlog of at most ``backlog_limit_bytes``; a packet that does not fit is
dropped whole and counted. The SHB and IDBs are never lost: with ``offer`` an
IDB that came with a dropped packet is emitted with the next packet of that
interface that is accepted (see :class:`PcapngEncoder`); with ``deliver``
interface descriptions are always kept.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from twisted.internet.interfaces import IPushProducer, IReactorTime
from twisted.logger import Logger
from zope.interface import implementer

from kismet_tx.streams.feed import EncodedBatch
from kismet_tx.streams.packet import StreamPacket
from kismet_tx.streams.pcapng import PcapngEncoder

#: Kismet's per-stream backlog (``httpd_stream_backlog``).
DEFAULT_BACKLOG = 512 * 1024

_log = Logger(namespace="kismet_tx.streams")


class StreamConsumer(Protocol):
    """What the producer writes to: a ``twisted.web`` request or any such consumer."""

    def registerProducer(self, producer: Any, streaming: bool) -> None: ...

    def unregisterProducer(self) -> None: ...

    def write(self, data: bytes) -> None: ...

    def finish(self) -> None: ...


def _accept_all(packet: StreamPacket) -> bool:
    return True


@implementer(IPushProducer)
class PacketStreamProducer:
    """Streams the packets that pass ``packet_filter`` to one consumer as pcapng.

    ``on_close`` is called exactly once, when the stream ends for any reason
    (client gone, :meth:`close`, or a failing consumer). ``before_close`` is
    called when the server ends the stream, before the backlog is written, so
    a feed can hand over what it still holds. With ``encoder`` None the stream
    takes only :meth:`deliver`.
    """

    def __init__(self, consumer: StreamConsumer, encoder: PcapngEncoder | None,
                 packet_filter: Callable[[StreamPacket], bool] = _accept_all,
                 backlog_limit_bytes: int = DEFAULT_BACKLOG,
                 on_close: Callable[[], None] | None = None, *,
                 clock: IReactorTime | None = None,
                 before_close: Callable[[], None] | None = None) -> None:
        self._consumer = consumer
        self._encoder = encoder
        self._filter = packet_filter
        self._limit = max(0, backlog_limit_bytes)
        self._on_close = on_close
        self._before_close = before_close
        self._clock = clock
        self._backlog: deque[tuple[bytes, int]] = deque()
        self._backlog_bytes = 0
        self._started = False
        self._paused = False
        self._draining = False
        self._closed = False
        #: Packets that passed the filter, dropped ones included (Kismet's count).
        self.packets = 0
        #: Packets handed to the consumer.
        self.packets_written = 0
        #: Bytes handed to the consumer.
        self.bytes_written = 0
        #: Packets dropped whole because the backlog was full.
        self.dropped_packets = 0
        #: When :meth:`start` ran (``clock.seconds()``), if a clock was given.
        self.start_time: float | None = None

    @property
    def paused(self) -> bool:
        """Whether the consumer has paused the stream."""
        return self._paused

    @property
    def closed(self) -> bool:
        """Whether the stream has ended."""
        return self._closed

    @property
    def size(self) -> int:
        """Bytes handed to the consumer (``kismet.stream.size``)."""
        return self.bytes_written

    @property
    def backlog_bytes(self) -> int:
        """Encoded bytes waiting for the consumer to resume."""
        return self._backlog_bytes

    @property
    def backlog_limit(self) -> int:
        """The most bytes the backlog holds for packets."""
        return self._limit

    def start(self, preamble: bytes | None = None) -> None:
        """Register with the consumer as a streaming producer and send the SHB.

        ``preamble`` (a feed's SHB and IDBs) is sent instead of the encoder's SHB.
        """
        if self._started or self._closed:
            return
        self._started = True
        if self._clock is not None:
            self.start_time = self._clock.seconds()
        self._consumer.registerProducer(self, True)
        notify = getattr(self._consumer, "notifyFinish", None)
        if notify is not None:
            notify().addErrback(self._connection_lost)
        if preamble is not None:
            header = preamble
        else:
            header = self._encoder.header() if self._encoder is not None else b""
        if header and not self._closed:
            if self._can_write_now():
                self._write(header, 0)
            else:
                self._enqueue(header, 0)

    def offer(self, packet: StreamPacket) -> None:
        """Take one packet from the chain; never blocks, never pauses the caller."""
        encoder = self._encoder
        if (encoder is None or not self._started or self._closed or packet.dlt == 0
                or not packet.data):
            return
        if not self._filter(packet):
            return
        self.packets += 1
        if self._can_write_now():
            encoded = encoder.encode(packet)
            if encoded is not None:
                self._write(encoded, 1)
            return
        encoded = encoder.encode(packet, self._limit - self._backlog_bytes)
        if encoded is None:
            self.dropped_packets += 1
        else:
            self._enqueue(encoded, 1)

    def deliver(self, batch: EncodedBatch) -> None:
        """Take a feed's batch: written at once, or kept as far as the backlog allows.

        While paused, the packets from the first one that does not fit to the
        end of the batch are dropped whole and counted; interface descriptions
        are always kept, so later packets still refer to them.
        """
        if not self._started or self._closed or not batch.data:
            return
        self.packets += batch.packets
        if self._can_write_now():
            self._write(batch.data, batch.packets)
            return
        kept, kept_packets = batch.fitting(self._limit - self._backlog_bytes)
        self.dropped_packets += batch.packets - kept_packets
        if kept:
            self._enqueue(kept, kept_packets)

    def pauseProducing(self) -> None:
        """The consumer's buffer is full: queue from now on."""
        if not self._closed:
            self._paused = True

    def resumeProducing(self) -> None:
        """Write the backlog in order until it is empty or the consumer pauses again."""
        if self._closed:
            return
        self._paused = False
        if self._draining:
            return
        self._draining = True
        try:
            while self._backlog and not self._paused and not self._closed:
                chunk, packets = self._backlog.popleft()
                self._backlog_bytes -= len(chunk)
                self._write(chunk, packets)
        finally:
            self._draining = False

    def stopProducing(self) -> None:
        """The client has gone: drop the backlog and end the stream at once."""
        if self._closed:
            return
        self._closed = True
        self._clear()
        self._finished()

    def close(self) -> None:
        """End the stream from the server side with a clean end of response.

        The backlog is handed to the consumer first, so the client receives
        every packet that was not dropped, then the response is finished.
        """
        if self._closed:
            return
        before, self._before_close = self._before_close, None
        if before is not None:
            try:
                before()
            except Exception:
                _log.failure("error before ending a packet stream")
        self._closed = True
        backlog = self._backlog
        self._backlog = deque()
        self._backlog_bytes = 0
        try:
            for chunk, packets in backlog:
                self._consumer.write(chunk)
                self.bytes_written += len(chunk)
                self.packets_written += packets
            if self._started:
                self._consumer.unregisterProducer()
            self._consumer.finish()
        except Exception:
            _log.failure("error ending a packet stream")
        finally:
            self._finished()

    def _can_write_now(self) -> bool:
        return not (self._paused or self._draining or self._backlog)

    def _enqueue(self, chunk: bytes, packets: int) -> None:
        self._backlog.append((chunk, packets))
        self._backlog_bytes += len(chunk)

    def _write(self, chunk: bytes, packets: int) -> None:
        try:
            self._consumer.write(chunk)
        except Exception:
            _log.failure("packet stream consumer failed; ending the stream")
            self.stopProducing()
            return
        self.bytes_written += len(chunk)
        self.packets_written += packets

    def _connection_lost(self, _: Any) -> None:
        self.stopProducing()

    def _clear(self) -> None:
        self._backlog.clear()
        self._backlog_bytes = 0

    def _finished(self) -> None:
        callback, self._on_close = self._on_close, None
        if callback is not None:
            try:
                callback()
            except Exception:
                _log.failure("packet stream close callback failed")
