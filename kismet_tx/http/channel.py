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
from typing import Any

from twisted.internet import defer
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from twisted.web.http import HTTPChannel
from twisted.web.server import Request

_log = Logger(namespace="kismet_tx.http")


class BoundedChannel(HTTPChannel):
    """An HTTP/1.1 connection that refuses a body over ``site.max_body`` bytes."""

    _refused = False
    _waiters: list[defer.Deferred[None]] | None = None
    #: Set while the connection is a websocket (``http/websocket.py``): closes it.
    upgraded: Any = None

    def connectionMade(self) -> None:
        super().connectionMade()
        channels = getattr(self.site, "channels", None)
        if channels is not None:
            channels.add(self)

    def connectionLost(self, reason: Any) -> None:
        channels = getattr(self.site, "channels", None)
        if channels is not None:
            channels.discard(self)
        super().connectionLost(reason)
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
        if self._refused:
            return
        self._refused = True
        limit = getattr(self.site, "max_body", 0)
        body = f"request body over {limit} bytes\n".encode()
        head = (b"HTTP/1.1 413 Payload Too Large\r\nServer: Kismet\r\n"
                b"Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"
                b"Content-Length: %d\r\n\r\n" % len(body))
        self.transport.write(head + body)
        self.loseConnection()

    def allHeadersReceived(self) -> None:
        limit = getattr(self.site, "max_body", None)
        if limit is not None and self.length is not None and self.length > limit:
            self.refuse_body()
            return
        super().allHeadersReceived()

    def dataReceived(self, data: bytes) -> None:
        if not self._refused:
            super().dataReceived(data)

    def rawDataReceived(self, data: bytes) -> None:
        if not self._refused:
            super().rawDataReceived(data)

    def allContentReceived(self) -> None:
        if not self._refused:
            super().allContentReceived()


class BoundedRequest(Request):
    """A request that counts its body as it arrives and stops at the cap."""

    _received = 0

    def handleContentChunk(self, data: bytes) -> None:
        channel: Any = self.channel
        if channel is None or getattr(channel, "_refused", False):
            return
        self._received += len(data)
        limit = getattr(channel.site, "max_body", None)
        if limit is not None and self._received > limit:
            channel.refuse_body()
            return
        super().handleContentChunk(data)


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
