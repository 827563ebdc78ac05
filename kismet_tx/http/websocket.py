"""Websocket routes: RFC 6455 by autobahn (Twisted flavour) behind the project's routing.

Mounting a websocket route in an area (a Klein class with ``self.ctx``)::

    from kismet_tx.http.websocket import WebSocketPeer, websocket_endpoint

    class EventbusArea:
        app = Klein()

        def __init__(self, ctx: HttpContext, bus: EventBus) -> None:
            self.ctx = ctx
            self._bus = bus

        @websocket_endpoint(app, "/eventbus/events", access=Access.LOGIN)
        def events(self, call: ApiRequest) -> SessionFactory:
            # Runs before the upgrade: validate ``call.cmd.form`` (the query
            # string) and raise an HttpError to refuse with that status.
            return lambda peer: EventSession(peer, self._bus)

The route answers ``/eventbus/events.ws``. Before the upgrade the caller is
identified as for any route (``KISMET`` cookie, Basic, ``?user=&password=``,
``http/auth.py``); a route whose ``Access`` needs a login refuses with 401 and
never upgrades, and a request that is no websocket handshake gets 400. The
handler's factory is called with the connection's :class:`WebSocketPeer` once
the handshake is done, and returns a :class:`WebSocketSession` that receives
the client's messages and the close.

Outgoing messages go through :meth:`WebSocketPeer.send`, which never blocks and
never buffers without bound: the peer is a push producer on the TCP transport,
so while the client does not read (the transport's buffer is full and it paused
the peer), messages wait in a backlog of at most ``backlog_bytes``; a message
that does not fit is dropped whole and counted in ``dropped_messages``.
Incoming messages are capped at ``max_message`` bytes (autobahn closes with
1009 beyond). At server stop, ``close_connections`` (``http/channel.py``) sends
each websocket a 1001 close through the channel's ``upgraded`` hook. A session
whose client sends JSON objects can build on ``http/wsjson.py``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from functools import wraps
from typing import Any, Protocol, cast

from autobahn.twisted.resource import WebSocketResource
from autobahn.twisted.websocket import WebSocketServerFactory, WebSocketServerProtocol
from klein import Klein
from twisted.internet.interfaces import IConsumer, IPushProducer
from twisted.internet.protocol import connectionDone
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.iweb import IRequest
from twisted.web.server import Request
from zope.interface import implementer

from kismet_tx.http.auth import Access, Identity
from kismet_tx.http.channel import BoundedChannel
from kismet_tx.http.commands import Command, parse_form
from kismet_tx.http.errors import BadRequest, HttpError, ServerFault, Unauthorized
from kismet_tx.http.results import common_headers, write_error
from kismet_tx.http.routing import ApiRequest, RouteInfo, set_session_cookie

_log = Logger(namespace="kismet_tx.http.websocket")

#: Bytes of outgoing messages a paused client may have waiting (as ``httpd_stream_backlog``).
DEFAULT_BACKLOG_BYTES = 512 * 1024
#: Largest message a client may send.
DEFAULT_MAX_MESSAGE = 64 * 1024
#: Close code for a server going away (RFC 6455 7.4.1).
GOING_AWAY = 1001


class WebSocketSession(Protocol):
    """What a route's factory returns: the server side of one websocket."""

    def message_received(self, payload: bytes, is_binary: bool) -> None:
        """One complete message from the client."""

    def closed(self) -> None:
        """The connection has ended (called exactly once)."""


#: A route handler's answer: builds the session once the handshake is done.
SessionFactory = Callable[["WebSocketPeer"], WebSocketSession]


@implementer(IPushProducer)
class WebSocketPeer:
    """One open websocket: bounded sending, counters and close.

    ``identity`` is the caller identified before the upgrade.
    """

    def __init__(self, identity: Identity | None, backlog_bytes: int = DEFAULT_BACKLOG_BYTES,
                 on_close: Callable[[WebSocketPeer], None] | None = None) -> None:
        self.identity = identity
        self.backlog_limit = max(0, backlog_bytes)
        self._protocol: _PeerProtocol | None = None
        self._session: WebSocketSession | None = None
        self._backlog: deque[tuple[bytes, bool]] = deque()
        self._on_close = on_close
        self.backlog_bytes = 0
        self.paused = False
        self.closed = False
        #: Messages handed to the transport.
        self.sent_messages = 0
        #: Payload bytes handed to the transport.
        self.sent_bytes = 0
        #: Messages dropped whole because the backlog was full.
        self.dropped_messages = 0
        #: Messages received from the client.
        self.received_messages = 0

    @property
    def is_open(self) -> bool:
        """Whether the handshake is done and the connection has not ended."""
        return self._protocol is not None and not self.closed

    def send(self, payload: bytes | str, binary: bool = False) -> bool:
        """Send one message; False when it was dropped (backlog full, or closed)."""
        if self.closed:
            return False
        data = payload.encode("utf-8") if isinstance(payload, str) else payload
        if self._protocol is not None and not self.paused and not self._backlog:
            self._write(data, binary)
            return True
        if self.backlog_bytes + len(data) > self.backlog_limit:
            self.dropped_messages += 1
            return False
        self._backlog.append((data, binary))
        self.backlog_bytes += len(data)
        return True

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Start the closing handshake (messages still waiting are dropped)."""
        self._clear()
        if self._protocol is not None and not self.closed:
            # autobahn's sendClose takes 1000 and 3000-4999 only; the server's
            # own codes (1001 going away, 1011 internal error) go as a frame.
            self._protocol.sendCloseFrame(code, reason.encode("utf-8") or None)

    # IPushProducer: the TCP transport pauses us while its buffer is full.

    def pauseProducing(self) -> None:
        self.paused = True

    def resumeProducing(self) -> None:
        self.paused = False
        while self._backlog and not self.paused and not self.closed:
            data, binary = self._backlog.popleft()
            self.backlog_bytes -= len(data)
            self._write(data, binary)

    def stopProducing(self) -> None:
        self._clear()

    # Called by the protocol.

    def _opened(self, protocol: _PeerProtocol, factory: SessionFactory) -> None:
        self._protocol = protocol
        # The HTTP channel registered itself on the transport; the socket is ours now.
        # (A TCP or TLS transport is a consumer too, which ITransport does not say.)
        transport = cast(IConsumer, protocol.transport)
        transport.unregisterProducer()
        transport.registerProducer(self, True)
        try:
            self._session = factory(self)
        except Exception:
            _log.failure("websocket session failed to start")
            self.close(1011, "internal error")
            return
        self.resumeProducing()

    def _received(self, payload: bytes, is_binary: bool) -> None:
        self.received_messages += 1
        if self._session is None:
            return
        try:
            self._session.message_received(payload, is_binary)
        except Exception:
            _log.failure("websocket session failed on a message")
            self.close(1011, "internal error")

    def _lost(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._clear()
        session, self._session = self._session, None
        if session is not None:
            try:
                session.closed()
            except Exception:
                _log.failure("websocket session failed on close")
        on_close, self._on_close = self._on_close, None
        if on_close is not None:
            on_close(self)

    def _write(self, data: bytes, binary: bool) -> None:
        assert self._protocol is not None
        self._protocol.sendMessage(data, isBinary=binary)
        self.sent_messages += 1
        self.sent_bytes += len(data)

    def _clear(self) -> None:
        self._backlog.clear()
        self.backlog_bytes = 0


class _PeerProtocol(WebSocketServerProtocol):
    """autobahn's server protocol, forwarding to the peer and the HTTP channel."""

    peer_state: WebSocketPeer
    session_factory: SessionFactory
    http_channel: Any = None

    def onOpen(self) -> None:
        self.peer_state._opened(self, self.session_factory)

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        self.peer_state._received(payload, isBinary)

    def onClose(self, wasClean: bool, code: int | None, reason: str | None) -> None:
        self.peer_state._lost()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        super().connectionLost(reason)
        self.peer_state._lost()
        # The HTTP channel handed its socket over; let it (and its site's
        # connection bookkeeping) see the connection end.
        channel, self.http_channel = self.http_channel, None
        if channel is not None:
            channel.upgraded = None
            channel.connectionLost(reason)


def _is_upgrade(request: IRequest) -> bool:
    upgrade = (request.getHeader(b"upgrade") or b"").lower()
    connection = (request.getHeader(b"connection") or b"").lower()
    tokens = {token.strip() for token in connection.split(b",")}
    return request.method == b"GET" and upgrade == b"websocket" and b"upgrade" in tokens


def upgrade(request: IRequest, identity: Identity | None, factory: SessionFactory, *,
            backlog_bytes: int = DEFAULT_BACKLOG_BYTES,
            max_message: int = DEFAULT_MAX_MESSAGE) -> WebSocketResource:
    """The resource that takes the request's connection over as a websocket.

    Klein renders a returned resource; this one answers the handshake and
    hands the socket to autobahn. The HTTP channel keeps an ``upgraded``
    attribute (close the websocket at server stop) until the connection ends.
    """
    peer = WebSocketPeer(identity, backlog_bytes)
    ws_factory = WebSocketServerFactory()
    ws_factory.setProtocolOptions(maxMessagePayloadSize=max_message,
                                  maxFramePayloadSize=max_message, webStatus=False)
    # twisted.web's Request: its HTTP channel (the site's BoundedChannel) is not in IRequest.
    channel = cast(BoundedChannel, cast(Request, request).channel)

    def build(addr: Any) -> _PeerProtocol:
        protocol = _PeerProtocol()
        protocol.factory = ws_factory
        protocol.peer_state = peer
        protocol.session_factory = factory
        protocol.http_channel = channel
        channel.upgraded = lambda: peer.close(GOING_AWAY, "server stopping")
        # Bytes that came in the same read as the handshake (a client that did
        # not wait for the 101) would stay in the HTTP parser: hand them over.
        channel.rawDataReceived = protocol.dataReceived  # type: ignore[method-assign]
        return protocol

    ws_factory.buildProtocol = build  # type: ignore[method-assign]
    return WebSocketResource(ws_factory)


def websocket_endpoint(app: Klein, path: str, *, access: Access = Access.LOGIN,
                       roles: tuple[str, ...] = (), ext: str = "ws",
                       backlog_bytes: int = DEFAULT_BACKLOG_BYTES,
                       max_message: int = DEFAULT_MAX_MESSAGE,
                       ) -> Callable[[Callable[..., SessionFactory]], Callable[..., Any]]:
    """Register ``handler(self, call: ApiRequest, **path_args) -> SessionFactory``.

    The route is ``path + "." + ext``; it appears in the route table like any
    other (GET only). The handler runs after the login check and before the
    upgrade; an :class:`HttpError` it raises is answered instead.
    """

    def decorator(handler: Callable[..., SessionFactory]) -> Callable[..., Any]:
        info = RouteInfo(path, ("GET",), access, ext, handler.__name__, roles=roles)

        @wraps(handler)
        def route(self: Any, request: IRequest, **kwargs: Any) -> Any:
            common_headers(request)
            ctx = self.ctx
            try:
                identity = ctx.auth.identify(request)
                if not ctx.auth.allows(access, info.accepts, identity):
                    raise Unauthorized()
                if identity is not None and identity.token:
                    set_session_cookie(request, identity.token)
                if not _is_upgrade(request):
                    raise BadRequest("a websocket handshake is expected here")
                query = request.uri.partition(b"?")[2]
                cmd = Command({}, parse_form(query) if query else {})
                call = ApiRequest(request, cmd, ext, identity,
                                  {k: str(v) for k, v in kwargs.items()})
                factory = handler(self, call, **kwargs)
            except HttpError as error:
                return write_error(request, error)
            except Exception:
                _log.failure("error opening websocket {path}", path=path)
                return write_error(request, ServerFault())
            return upgrade(request, identity, factory, backlog_bytes=backlog_bytes,
                           max_message=max_message)

        route.route_info = info  # type: ignore[attr-defined]
        app.route(f"{path}.{ext}", methods=["GET"], strict_slashes=False)(route)
        return route

    return decorator
