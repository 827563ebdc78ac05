"""The HTTP site, its connection counts, and the service that listens for it.

The site logs the path only (never query secrets), closes a connection left
idle for ``idle_timeout`` seconds (a request being answered, a stream
included, is never timed out), refuses a body over ``max_body`` bytes with 413
as it arrives, gives a request head ``head_timeout`` seconds, and lets one
client address hold at most ``max_per_address`` connections: a slowloris
cannot starve other clients. The channels (``http/channel.py``) report each
connection opening and closing here.
"""

from __future__ import annotations

from typing import Any

from twisted.application.service import Service
from twisted.internet import defer
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import (
    IAddress,
    IListeningPort,
    IOpenSSLContextFactory,
    IReactorSSL,
    IReactorTCP,
)
from twisted.logger import Logger
from twisted.web import http
from twisted.web.resource import IResource
from twisted.web.server import Request, Site

from kismet_tx.http.channel import BoundedChannel, BoundedRequest, close_connections
from kismet_tx.http.commands import DEFAULT_MAX_BODY

_log = Logger(namespace="kismet_tx.http")

#: Seconds an HTTP connection may sit idle (no request in progress) before it is
#: closed (``httpd_idle_timeout``; 0 disables). Streams are never idle.
DEFAULT_IDLE_TIMEOUT = 30.0
#: Open connections one client address may hold (``httpd_max_connections_per_address``;
#: 0 for no cap). Beyond it, a new connection is closed at once.
DEFAULT_MAX_PER_ADDRESS = 128
#: Seconds a request line and headers may take to arrive (``httpd_head_timeout``).
DEFAULT_HEAD_TIMEOUT = 30.0
#: Seconds a stop waits for what was written to the HTTP connections (the end of
#: each stream) to be sent before the reactor drops them.
DRAIN_TIMEOUT = 2.0
#: Connections the kernel may queue before the server accepts them (Twisted's default
#: of 50 makes a burst of clients wait for SYN retries).
LISTEN_BACKLOG = 511


class KismetSite(Site):
    """The HTTP site; see the module docstring for its limits."""

    protocol = BoundedChannel  # type: ignore[assignment]  # Site types it as HTTPChannel's factory
    requestFactory = BoundedRequest

    def __init__(self, resource: IResource, reactor: Any,
                 idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
                 max_body: int = DEFAULT_MAX_BODY,
                 max_per_address: int = DEFAULT_MAX_PER_ADDRESS,
                 head_timeout: float = DEFAULT_HEAD_TIMEOUT,
                 access_log: bool = False) -> None:
        Site.__init__(self, resource, reactor=reactor, logFormatter=path_only_log,
                      timeout=idle_timeout if idle_timeout > 0 else None)
        #: Whether each answered request gets a line in the server log
        #: (``httpd_access_log``; off, as in Kismet, whose console has none).
        self.access_log = access_log
        self.open_connections = 0
        self.max_body = max_body
        self.max_per_address = max_per_address
        self.head_timeout = head_timeout if head_timeout > 0 else None
        #: Open connections per client address, and the count of those refused.
        self.per_address: dict[str, int] = {}
        self.refused_connections = 0
        #: Every open connection, closed cleanly at stop.
        self.channels: set[BoundedChannel] = set()

    def log(self, request: http.Request) -> None:
        """The access log line of an answered request, when ``access_log`` is on."""
        if self.access_log:
            Site.log(self, request)

    def buildProtocol(self, addr: IAddress | None) -> Any:
        """A channel for a new connection, or None (Twisted then closes it) when its
        address already holds ``max_per_address`` connections."""
        host = str(getattr(addr, "host", ""))
        held = self.per_address.get(host, 0)
        if self.max_per_address and held >= self.max_per_address:
            self.refused_connections += 1
            if self.refused_connections % 1000 == 1:
                _log.warn("refusing connections from {host}: {held} already open "
                          "({count} refused so far)", host=host, held=held,
                          count=self.refused_connections)
            return None
        channel: BoundedChannel | None = Site.buildProtocol(self, addr)
        if channel is not None:
            self.per_address[host] = held + 1
            channel.counted_host = host
        return channel

    def connection_opened(self, channel: BoundedChannel) -> None:
        """A channel's connection is up."""
        self.channels.add(channel)
        self.open_connections += 1

    def connection_closed(self, channel: BoundedChannel) -> None:
        """A channel's connection has closed: it no longer counts anywhere."""
        self.open_connections -= 1
        self.channels.discard(channel)
        host, channel.counted_host = channel.counted_host, None
        if host is None:
            return
        left = self.per_address.get(host, 1) - 1
        if left > 0:
            self.per_address[host] = left
        else:
            self.per_address.pop(host, None)

    def close_connections(self, timeout: float = DRAIN_TIMEOUT) -> defer.Deferred[None]:
        """Close every connection once its output is sent (bounded by ``timeout``)."""
        return close_connections(self.channels, self.reactor, timeout)


def path_only_log(timestamp: str, request: Request) -> str:
    """An access log line without the query (which may carry a password)."""
    path = request.uri.partition(b"?")[0].decode("ascii", "replace")
    host = getattr(request.getClientAddress(), "host", "-")
    return f'{host} - - {timestamp} "{request.method.decode()} {path}" {request.code}'


class HttpServer(Service):
    """Listens for the site on one TCP port, under TLS when given its context."""

    def __init__(self, site: KismetSite, reactor: IReactorTCP, port: int, interface: str,
                 tls: IOpenSSLContextFactory | None = None, backlog: int = LISTEN_BACKLOG) -> None:
        self.site = site
        self.reactor = reactor
        self.port = port
        self.interface = interface
        self.tls = tls
        self.backlog = backlog
        self.scheme = "https" if tls is not None else "http"
        self.listening: IListeningPort | None = None

    def privilegedStartService(self) -> None:
        Service.privilegedStartService(self)
        self._listen()

    def startService(self) -> None:
        Service.startService(self)
        self._listen()

    def _listen(self) -> None:
        if self.listening is not None:
            return
        if self.tls is None:
            self.listening = self.reactor.listenTCP(
                self.port, self.site, self.backlog,  # type: ignore[arg-type]  # Site's factory typing
                self.interface)
        else:
            reactor: IReactorSSL = self.reactor  # type: ignore[assignment]  # TLS needs IReactorSSL
            self.listening = reactor.listenSSL(self.port, self.site, self.tls, self.backlog,
                                               self.interface)

    def stopService(self) -> defer.Deferred[None]:
        Service.stopService(self)
        port, self.listening = self.listening, None
        if port is None:
            return defer.succeed(None)
        stopped = port.stopListening()
        return stopped if stopped is not None else defer.succeed(None)

    def address(self) -> IPv4Address | IPv6Address | None:
        """Where the server listens, once started."""
        if self.listening is None:
            return None
        host = self.listening.getHost()
        return host if isinstance(host, (IPv4Address, IPv6Address)) else None
