"""The remote capture server: sensors' sessions, their sources, and the TCP listener.

:class:`RemoteCapture` is what both entrances (the legacy TCP listener here,
the websocket route in ``http/remotecapture.py``) hand their connections to.
It turns an opened sensor into a :class:`~kismet_tx.capture.remote.RemoteSource`
in the datasource tracker, and gives a sensor that comes back (same UUID) its
old source again, with its counters and settings.

Config: ``remote_capture_enabled`` (default true), ``remote_capture_listen``
(127.0.0.1), ``remote_capture_port`` (3501; 0 picks a free one),
``remote_capture_max_frame`` (bytes, 1 MiB).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

from twisted.application import internet
from twisted.application.service import MultiService
from twisted.internet.error import CannotListenError
from twisted.internet.interfaces import IReactorTime
from twisted.internet.protocol import Factory, Protocol
from twisted.python.failure import Failure

from kismet_tx.capture.datasourcetracker import DatasourceTracker
from kismet_tx.capture.external.frames import MAX_FRAME
from kismet_tx.capture.remote import RemoteSession, RemoteSource
from kismet_tx.capture.sourcecommands import SourceOptions
from kismet_tx.config import Config
from kismet_tx.messagebus import ERROR, INFO, MessageBus
from kismet_tx.sourcedefinition import SourceDefinitionError, parse_source_definition

DEFAULT_PORT = 3501


class RemoteCapture:
    """Every sensor session, and the sources they feed."""

    def __init__(self, *, sources: DatasourceTracker, bus: MessageBus, clock: IReactorTime,
                 max_frame: int = MAX_FRAME) -> None:
        self._sources = sources
        self._bus = bus
        self._clock = clock
        self.max_frame = max_frame
        self.sessions: set[RemoteSession] = set()
        #: Connections dropped for a protocol error.
        self.dropped = 0
        #: Called with a remote source when its sensor first reports a position.
        self.gps_listeners: list[Callable[[RemoteSource], None]] = []

    def session(self, peer: str, send: Any, drop: Any, transport: str) -> RemoteSession:
        """A new session for a connection from ``peer``."""
        session = RemoteSession(capture=self, clock=self._clock, peer=peer, send=send,
                                drop=drop, max_frame=self.max_frame, transport=transport)
        self.sessions.add(session)
        return session

    def post(self, session: RemoteSession, text: str, flags: int = INFO) -> None:
        """A message about a sensor on the bus."""
        if flags == ERROR and text.endswith("connection dropped"):
            self.dropped += 1
        name = session.source.source_name if session.source is not None else "new source"
        self._bus.post(f"Remote capture {session.peer} ({session.transport}, {name}): {text}",
                       flags)

    def forget(self, session: RemoteSession) -> None:
        """A session has ended."""
        self.sessions.discard(session)

    def check_new(self, uuid: str, sourcetype: str, session: RemoteSession) -> str | None:
        """Why a ``NEWSOURCE`` cannot be accepted, or None."""
        if uuid:
            existing = self._sources.get(uuid)
            if existing is not None and not isinstance(existing, RemoteSource):
                return f"UUID {uuid} belongs to a local source ({existing.definition!r})"
        if any(ord(ch) < 0x20 for ch in sourcetype):
            return "source type contains control characters"
        return None

    def attach(self, session: RemoteSession, announced: dict[str, str],
               report: dict[str, Any]) -> RemoteSource:
        """The sensor opened its source: find or make the source and start it."""
        uuid = announced["uuid"] or (
            f"{zlib.adler32(announced['sourcetype'].encode()) & 0xFFFFFFFF:08X}-0000-0000-0000-"
            f"{zlib.adler32(announced['definition'].encode()) & 0xFFFFFFFF:012X}")
        source = self._sources.get(uuid)
        if not isinstance(source, RemoteSource):
            source = self._sources.adopt(lambda number: self._build(number, uuid, announced))
            self._bus.post(f"Remote capture {session.peer}: new source "
                           f"'{source.source_name}' ({announced['sourcetype']}, UUID {uuid})",
                           INFO)
        source.attach(session, report)
        return source

    def _build(self, number: int, uuid: str, announced: dict[str, str]) -> RemoteSource:
        definition = announced["definition"]
        try:
            interface, raw = parse_source_definition(definition)
        except SourceDefinitionError:
            interface, raw = definition, {}
        options = SourceOptions(raw)
        return RemoteSource(
            sourcetype=announced["sourcetype"], interface=interface, options=options,
            definition=definition, uuid=uuid, number=number, clock=self._clock,
            bus=self._bus, sink=self._sources.sink, defaults=self._sources.defaults,
            gps_listeners=self.gps_listeners)

    def stop(self) -> None:
        """Drop every sensor (server stop)."""
        for session in list(self.sessions):
            session.drop("server stopping")


class RemoteCaptureProtocol(Protocol):
    """One legacy TCP sensor connection."""

    session: RemoteSession | None = None

    def __init__(self, capture: RemoteCapture) -> None:
        self._capture = capture

    def connectionMade(self) -> None:
        transport = self.transport
        assert transport is not None, "connectionMade without a transport"
        peer = transport.getPeer()
        self.session = self._capture.session(
            getattr(peer, "host", str(peer)), transport.write, transport.loseConnection, "tcp")

    def dataReceived(self, data: bytes) -> None:
        if self.session is not None:
            self.session.data_received(data)

    def connectionLost(self, reason: Failure | None = None) -> None:
        if self.session is not None:
            self.session.connection_lost("connection closed")


class RemoteCaptureFactory(Factory):
    """Builds a protocol per sensor."""

    def __init__(self, capture: RemoteCapture) -> None:
        self.capture = capture

    def buildProtocol(self, addr: Any) -> RemoteCaptureProtocol:
        return RemoteCaptureProtocol(self.capture)


class RemoteCaptureService(MultiService):
    """The remote capture server and (when enabled) its TCP listener."""

    def __init__(self, config: Config, sources: DatasourceTracker, bus: MessageBus,
                 reactor: Any) -> None:
        MultiService.__init__(self)
        self.setName("remote_capture")
        self._bus = bus
        self.capture = RemoteCapture(
            sources=sources, bus=bus, clock=reactor,
            max_frame=config.get_int("remote_capture_max_frame", MAX_FRAME))
        self.listener: internet.TCPServer | None = None
        self._listen_error: CannotListenError | None = None
        if config.get_bool("remote_capture_enabled", True):
            self.listener = internet.TCPServer(
                config.get_int("remote_capture_port", DEFAULT_PORT),
                RemoteCaptureFactory(self.capture),
                interface=config.get("remote_capture_listen", "127.0.0.1") or "127.0.0.1",
                reactor=reactor)
            self.listener.setServiceParent(self)

    def privilegedStartService(self) -> None:
        # twistd binds ports here; a port in use must not stop the whole server.
        try:
            MultiService.privilegedStartService(self)
        except CannotListenError as exc:
            self._listen_error = exc
            if self.listener is not None:
                self.listener.disownServiceParent()
                self.listener = None

    def startService(self) -> None:
        if self.listener is not None and getattr(self.listener, "_port", None) is None:
            try:
                self.listener.privilegedStartService()
            except CannotListenError as exc:
                self._listen_error = exc
                self.listener.disownServiceParent()
                self.listener = None
        MultiService.startService(self)
        if self._listen_error is not None:
            self._bus.post(f"Remote capture TCP listener not started: {self._listen_error}; "
                           "the websocket still takes sensors", ERROR)
            return
        address = self.address()
        if address is not None:
            self._bus.post(f"Remote capture listening on tcp://{address[0]}:{address[1]}", INFO)

    def address(self) -> tuple[str, int] | None:
        """Host and port the TCP listener is bound to."""
        port = getattr(self.listener, "_port", None)
        if port is None:
            return None
        host = port.getHost()
        return host.host, host.port

    def stopService(self) -> Any:
        self.capture.stop()
        return MultiService.stopService(self)
