"""The stream registry: every open packet stream and log, as ``kismet.stream.*`` records.

Field names follow Kismet's ``streaming_info_record`` (``streamtracker.h``);
``kismet.stream.dropped_packets`` is this server's addition. The chain calls
:meth:`StreamRegistry.feed` once per packet, which costs nothing while no
stream is open and otherwise hands the packet to :meth:`StreamRegistry.fanout`.
The registry is a service: when it stops, it ends every stream cleanly.
Fan-out reaches each stream registered with ``fanout=True`` (its ``offer``)
and each shared :class:`~kismet_tx.streams.feed.EncodedFeed` (see
:meth:`StreamRegistry.feed_for`), which encodes a packet once for all the
streams that use the same filter. Nothing there blocks, so one slow client
cannot slow another.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any, Protocol, cast

from twisted.application.service import Service
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from kismet_tx.fields import FieldDef
from kismet_tx.streams.feed import EncodedFeed, PacketFilter
from kismet_tx.streams.packet import StreamPacket

_log = Logger(namespace="kismet_tx.streams")

STREAM_FIELDS = (
    FieldDef("kismet.stream.stream_id", "double", "Stream ID"),
    FieldDef("kismet.stream.time", "uint64", "Start time of stream (second since epoch)"),
    FieldDef("kismet.stream.name", "string", "Stream / Log name"),
    FieldDef("kismet.stream.type", "string", "Stream / Log type"),
    FieldDef("kismet.stream.path", "string", "Log path or stream remote client"),
    FieldDef("kismet.stream.description", "string", "Stream / Log description"),
    FieldDef("kismet.stream.packets", "uint64",
             "Number of packets (if known), dropped packets included"),
    FieldDef("kismet.stream.size", "uint64", "Size of log, if known, in bytes"),
    FieldDef("kismet.stream.max_packets", "uint64", "Maximum number of packets"),
    FieldDef("kismet.stream.max_size", "uint64", "Maximum allowed size (bytes)"),
    FieldDef("kismet.stream.paused", "uint8", "Stream processing paused"),
    FieldDef("kismet.stream.dropped_packets", "uint64",
             "Packets dropped because the client could not keep up"),
)


class StreamAgent(Protocol):
    """A registered stream: a client's producer or a log file."""

    @property
    def packets(self) -> int:
        """Packets the stream has taken, dropped ones included."""

    @property
    def size(self) -> int:
        """Bytes written so far."""

    @property
    def dropped_packets(self) -> int:
        """Packets dropped because the stream could not keep up."""

    @property
    def paused(self) -> bool:
        """Whether the stream is currently paused."""

    def close(self) -> None:
        """End the stream from the server side."""


class PacketSink(Protocol):
    """What fan-out hands packets to: a stream registered with ``fanout=True``, or a feed."""

    def offer(self, packet: StreamPacket) -> None:
        """Take one packet; must not block."""


class _Entry:
    __slots__ = ("agent", "description", "fanout", "name", "path", "stream_id", "stream_type",
                 "time")

    def __init__(self, stream_id: int, agent: StreamAgent, name: str, stream_type: str,
                 path: str, description: str, time: float, fanout: bool) -> None:
        self.stream_id = stream_id
        self.agent = agent
        self.fanout = fanout
        self.name = name
        self.stream_type = stream_type
        self.path = path
        self.description = description
        self.time = time

    def record(self) -> dict[str, Any]:
        agent = self.agent
        return {
            "kismet.stream.stream_id": self.stream_id,
            "kismet.stream.time": int(self.time),
            "kismet.stream.name": self.name,
            "kismet.stream.type": self.stream_type,
            "kismet.stream.path": self.path,
            "kismet.stream.description": self.description,
            "kismet.stream.packets": agent.packets,
            "kismet.stream.size": agent.size,
            "kismet.stream.max_packets": 0,
            "kismet.stream.max_size": 0,
            "kismet.stream.paused": 1 if agent.paused else 0,
            "kismet.stream.dropped_packets": agent.dropped_packets,
        }


class StreamRegistry(Service):
    """Open streams by numeric id (1, 2, ...; never reused); a service that ends them
    all, cleanly, when it stops."""

    def __init__(self, clock: IReactorTime,
                 packet_options: Callable[[Any], bytes] | None = None) -> None:
        self.setName("streams")
        self._clock = clock
        self._packet_options = packet_options
        self._entries: dict[int, _Entry] = {}
        self._feeds: dict[Hashable, EncodedFeed] = {}
        self._targets: tuple[tuple[int, PacketSink], ...] = ()
        #: Called with :attr:`active` each time it changes (the chain switches the
        #: streams stage off while nothing takes packets).
        self.listeners: list[Callable[[bool], None]] = []
        self._next_id = 1

    def register(self, agent: StreamAgent, name: str, stream_type: str, path: str,
                 description: str, *, fanout: bool = True) -> int:
        """Add a stream; returns its id. The agent's close path should call :meth:`remove`.

        With ``fanout`` the agent's ``offer`` gets every packet; without, it is
        only listed and closable (a feed member gets its packets from its feed).
        """
        stream_id = self._next_id
        self._next_id += 1
        self._entries[stream_id] = _Entry(stream_id, agent, name, stream_type, path,
                                          description, self._clock.seconds(), fanout)
        self._refresh()
        return stream_id

    def feed_for(self, key: Hashable, packet_filter: PacketFilter | None) -> EncodedFeed:
        """The shared encoding for ``key`` (``packet_filter`` decides what it takes; None: all).

        Created on first use and dropped when its last member leaves; streams
        with the same key must mean the same filter.
        """
        feed = self._feeds.get(key)
        if feed is None:
            feed = EncodedFeed(key, packet_filter, self._clock, on_empty=self._drop_feed,
                               packet_options=self._packet_options)
            self._feeds[key] = feed
            self._refresh()
        return feed

    def _drop_feed(self, feed: EncodedFeed) -> None:
        if self._feeds.get(feed.key) is feed:
            del self._feeds[feed.key]
            self._refresh()

    def remove(self, stream_id: int) -> bool:
        """Forget a stream (it has ended); False if it was not registered."""
        if self._entries.pop(stream_id, None) is None:
            return False
        self._refresh()
        return True

    def close(self, stream_id: int) -> bool:
        """End a stream cleanly and forget it; False if there is no such stream."""
        entry = self._entries.get(stream_id)
        if entry is None:
            return False
        try:
            entry.agent.close()
        finally:
            self.remove(stream_id)
        return True

    def close_all(self) -> None:
        """End every stream (server shutdown)."""
        for stream_id in list(self._entries):
            try:
                self.close(stream_id)
            except Exception:
                _log.failure("error closing stream {stream_id}", stream_id=stream_id)

    def stopService(self) -> None:
        """Server stop: every client's response is ended, every log flushed and closed."""
        Service.stopService(self)
        self.close_all()

    def get(self, stream_id: int) -> dict[str, Any] | None:
        """The ``kismet.stream.*`` record of one stream."""
        entry = self._entries.get(stream_id)
        return None if entry is None else entry.record()

    def agent(self, stream_id: int) -> StreamAgent | None:
        """The object behind a stream id."""
        entry = self._entries.get(stream_id)
        return None if entry is None else entry.agent

    def all_streams(self) -> dict[str, dict[str, Any]]:
        """Every record, keyed by the id as a string (Kismet's double map)."""
        return {str(stream_id): entry.record() for stream_id, entry in self._entries.items()}

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, stream_id: object) -> bool:
        return stream_id in self._entries

    @property
    def active(self) -> bool:
        """Whether any stream or feed takes packets."""
        return bool(self._targets)

    def feed(self, packet: StreamPacket) -> None:
        """Fan one packet out, from the chain or not (see :meth:`feed_batch`)."""
        self.feed_batch((packet,))

    def feed_batch(self, packets: Sequence[StreamPacket]) -> None:
        """The packet chain's batch subscriber: offer a batch's packets, in order, to
        every fan-out stream and feed; a failing one is closed.

        A chain packet is a :class:`StreamPacket` as it is (its decoded frame is
        ``decoded``); a feed encodes a whole batch in one loop.
        """
        for stream_id, sink in self._targets:
            try:
                if type(sink) is EncodedFeed:
                    sink.offer_many(packets)
                else:
                    for packet in packets:
                        sink.offer(packet)
            except Exception:
                _log.failure("stream {stream_id} failed; closing it", stream_id=stream_id)
                self._abort(stream_id, sink)

    def _abort(self, stream_id: int, sink: PacketSink) -> None:
        if isinstance(sink, EncodedFeed):
            for member in sink.members:
                self._close_member(member)
            return
        self.remove(stream_id)
        try:
            cast(StreamAgent, sink).close()
        except Exception:
            _log.failure("error closing stream {stream_id}", stream_id=stream_id)

    def _close_member(self, member: object) -> None:
        for stream_id, entry in list(self._entries.items()):
            if entry.agent is member:
                try:
                    self.close(stream_id)
                except Exception:
                    _log.failure("error closing stream {stream_id}", stream_id=stream_id)

    def _refresh(self) -> None:
        """Fan-out targets: streams that take ``offer`` (by id), then feeds (id 0)."""
        targets: list[tuple[int, PacketSink]] = [
            (stream_id, cast(PacketSink, entry.agent))
            for stream_id, entry in self._entries.items() if entry.fanout]
        targets.extend((0, feed) for feed in self._feeds.values())
        was_active = bool(self._targets)
        self._targets = tuple(targets)
        if was_active != bool(targets):
            for listener in list(self.listeners):
                listener(bool(targets))
