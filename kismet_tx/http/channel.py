"""HTTP connections: the request body cap while the body arrives, and a clean stop.

twisted.web reads a whole request body (into a temporary file when it is
large) before any resource sees it, so a check in the route wrapper alone
would let anyone, logged in or not, stream gigabytes to disk first. The
channel here answers 413 and closes the connection as soon as the declared
``Content-Length``, or the bytes of a chunked body so far, pass the cap;
nothing of the body is kept and no route runs. The route wrapper keeps its
own check (``commands.read_body``) for requests that come another way.

At server stop the streams are ended with a proper end of response, but what
they wrote may still sit in the connections' send buffers, and the reactor
drops every connection once the services have stopped. :func:`close_connections`
closes each connection after its buffered output is sent and waits (bounded)
for that, so a client reading a stream gets every byte and its clean end.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from twisted.internet import defer
from twisted.internet.error import ConnectionDone
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.http import HTTPChannel, parse_qs
from twisted.web.server import Request

if TYPE_CHECKING:
    from kismet_tx.http.site import KismetSite

_log = Logger(namespace="kismet_tx.http")

#: The default reason of :meth:`BoundedChannel.connectionLost`.
CONNECTION_LOST = Failure(ConnectionDone())

#: Seconds a connection refused with 413 goes on draining the client's body
#: before it is closed.
LINGER_SECONDS = 2.0
#: The media type of a urlencoded form body.
FORM_MEDIA = b"application/x-www-form-urlencoded"


class BoundedChannel(HTTPChannel):
    """An HTTP/1.1 connection that refuses a body over ``site.max_body`` bytes and
    closes itself when a request's head (request line and headers), once its
    first byte is in, is not all in within ``site.head_timeout`` seconds,
    however slowly it trickles (a connection that sends nothing is the idle
    timeout's)."""

    site: KismetSite
    #: Whether a body over the cap was refused (nothing more is read).
    refused = False
    _waiters: list[defer.Deferred[None]] | None = None
    #: Set while the connection is a websocket (``http/websocket.py``): closes it.
    upgraded: Any = None
    _head_deadline: Any = None
    _awaiting_head = True
    #: The client address this connection counts against at the site, while open.
    counted_host: str | None = None

    _local: Any = None
    _secure: bool | None = None

    def connectionMade(self) -> None:
        HTTPChannel.connectionMade(self)
        self.site.connection_opened(self)

    def getHost(self) -> Any:
        # Every request asks (Klein builds its URL from it); the answer is a
        # getsockname() that cannot change while the connection lasts.
        if self._local is None:
            self._local = HTTPChannel.getHost(self)
        return self._local

    def isSecure(self) -> bool:
        # Every request asks; the answer is an interface adaptation of the transport.
        if self._secure is None:
            self._secure = bool(HTTPChannel.isSecure(self))
        return self._secure

    def _await_head(self) -> None:
        """Start the deadline for the request head that is arriving."""
        timeout = self.site.head_timeout
        if timeout and self._head_deadline is None:
            self._head_deadline = self.site.reactor.callLater(timeout, self._head_too_slow)

    def _head_arrived(self) -> None:
        self._awaiting_head = False
        deadline, self._head_deadline = self._head_deadline, None
        if deadline is not None and deadline.active():
            deadline.cancel()

    def _head_too_slow(self) -> None:
        self._head_deadline = None
        _log.info("closing a connection whose request head took over {timeout} s",
                  timeout=self.site.head_timeout)
        self._abort()

    def _abort(self) -> None:
        transport: Any = self.transport  # a TCP or TLS transport: ITCPTransport
        if transport is not None and transport.connected:
            transport.abortConnection()

    def requestDone(self, request: Request) -> None:
        HTTPChannel.requestDone(self, request)
        self._awaiting_head = True

    def connectionLost(self, reason: Failure = CONNECTION_LOST) -> None:
        self._head_arrived()
        self.site.connection_closed(self)
        HTTPChannel.connectionLost(self, reason)
        waiters, self._waiters = self._waiters or [], None
        for waiter in waiters:
            waiter.callback(None)

    def when_closed(self) -> defer.Deferred[None]:
        """A Deferred that fires once the connection is gone."""
        waiter: defer.Deferred[None] = defer.Deferred()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        return waiter

    def refuse_body(self) -> None:
        """Answer 413, drop what is still coming and close the connection."""
        if self.refused:
            return
        self.refused = True
        body = f"request body over {self.site.max_body} bytes\n".encode()
        head = (b"HTTP/1.1 413 Payload Too Large\r\nServer: Kismet\r\n"
                b"Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"
                b"Content-Length: %d\r\n\r\n" % len(body))
        transport: Any = self.transport
        transport.write(head + body)
        # A lingering close: end our side after the answer (FIN), go on reading and
        # dropping what the client still sends, and close for good a moment later.
        # Closing at once with its body unread would reset the connection, and the
        # client could lose the 413 before reading it.
        # (A TLS transport has no half-close: it is closed at once.)
        half_close = getattr(transport, "loseWriteConnection", None)
        if half_close is None:
            self.loseConnection()
            return
        half_close()
        self.site.reactor.callLater(LINGER_SECONDS, self._abort)

    def allHeadersReceived(self) -> None:
        self._head_arrived()
        if self.length is not None and self.length > self.site.max_body:
            self.refuse_body()
            return
        HTTPChannel.allHeadersReceived(self)

    def dataReceived(self, data: bytes) -> None:
        if self._awaiting_head and self._head_deadline is None:
            self._await_head()
        if not self.refused:
            HTTPChannel.dataReceived(self, data)

    def rawDataReceived(self, data: bytes) -> None:
        if not self.refused:
            HTTPChannel.rawDataReceived(self, data)

    def allContentReceived(self) -> None:
        if not self.refused:
            HTTPChannel.allContentReceived(self)


class BoundedRequest(Request):
    """A request that counts its body as it arrives and stops at the cap.

    twisted.web reads every POST's Content-Type through the email package
    (about a tenth of a millisecond). The urlencoded form that Kismet clients
    post is recognised here by a split instead, and its fields go into ``args``
    just as twisted.web puts them there.
    """

    _received = 0
    _form_body = False

    def requestReceived(self, command: bytes, path: bytes, version: bytes) -> None:
        if command == b"POST" and self._parsePOSTFormSubmission:
            ctype = self.requestHeaders.getRawHeaders(b"content-type")
            if ctype and ctype[0].split(b";", 1)[0].strip().lower() == FORM_MEDIA:
                self._form_body = True
                self._parsePOSTFormSubmission = False
        Request.requestReceived(self, command, path, version)

    def process(self) -> None:
        if self._form_body and self.content is not None:
            self.content.seek(0)
            self.args.update(parse_qs(self.content.read(), 1))
            self.content.seek(0)
        Request.process(self)

    def handleContentChunk(self, data: bytes) -> None:
        channel = self.channel
        if not isinstance(channel, BoundedChannel) or channel.refused:
            return
        self._received += len(data)
        if self._received > channel.site.max_body:
            channel.refuse_body()
            return
        Request.handleContentChunk(self, data)


def close_connections(channels: Iterable[BoundedChannel], clock: IReactorTime,
                      timeout: float) -> defer.Deferred[None]:
    """Close every connection once its buffered output is sent; fires when all are
    gone, or after ``timeout`` seconds (a client that does not read is left to
    the reactor, which drops it)."""
    open_channels = list(channels)
    if not open_channels:
        return defer.succeed(None)
    waiting = [channel.when_closed() for channel in open_channels]
    for channel in open_channels:
        if getattr(channel, "upgraded", None) is not None:
            channel.upgraded()  # a websocket: its closing handshake ends it
            continue
        if channel.transport is None or getattr(channel.transport, "disconnecting", False):
            continue  # already closing: just wait for it
        try:
            channel.loseConnection()
        except Exception:
            _log.failure("error closing an HTTP connection at stop")
    done: defer.Deferred[Any] = defer.DeferredList(waiting)
    done.addTimeout(timeout, clock)
    done.addErrback(lambda failure: failure.trap(defer.TimeoutError, defer.CancelledError))
    return done.addCallback(lambda _: None)
