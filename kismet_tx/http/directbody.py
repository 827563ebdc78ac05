"""A streamed response body sent straight to the socket while nothing waits before it.

twisted.web's ``Request.write`` frames a body chunk, queues it in the TCP
transport and sends it on a later reactor turn: a join of the queue, an epoll
registration and its removal, and the dispatch through the reactor's logging
context, for every write. For pcapng streams with many clients that was the
server's largest cost per client (about 100k instructions per write).

:class:`DirectBody` stands in for the request as the writer of a long body: a
pcapng stream's consumer, and the chunks of a streamed list
(``results.ListProducer``). Once the
response head is out, and while the transport has nothing queued, a write is
sent at once: chunk framing and data in one ``sendmsg``, without a copy. What
the kernel does not take, and every write while something is queued, goes the
usual way through the transport, so bytes stay in order and the transport's
own backpressure (pausing the producer past its buffer size) is unchanged.
Errors are left to the transport too: the unsent rest is queued, and its own
send then finds the connection gone and ends the request as always.

Only a plain TCP transport is written to directly. Under TLS the request's
transport is Twisted's TLS layer (or a TCP connection marked ``TLS`` after
``startTLS``), and every write goes through the request, as for a HEAD request.
"""

from __future__ import annotations

from typing import Any, Final

from twisted.internet import tcp
from twisted.internet.defer import Deferred
from twisted.web.http import NO_BODY_CODES
from twisted.web.server import Request

_CRLF: Final = b"\r\n"


def queued_bytes(transport: Any) -> int:
    """Bytes a Twisted TCP transport holds and has not sent yet.

    Read from ``FileDescriptor``'s buffer (``dataBuffer`` from ``offset``, and
    the writes not yet joined into it); ``tests/http/test_directbody.py``
    holds this to the installed Twisted.
    """
    queued: int = len(transport.dataBuffer) - transport.offset + transport._tempDataLen
    return queued


class DirectBody:
    """The body of ``request``, written directly to its TCP socket when that keeps order."""

    def __init__(self, request: Request) -> None:
        self._request = request
        #: The plain TCP transport, once the head is out (False: never direct).
        self._transport: Any = None
        #: Writes that took the direct way: sent whole, in part, or (socket full) not at all.
        self.direct_writes = 0

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        self._request.registerProducer(producer, streaming)

    def unregisterProducer(self) -> None:
        self._request.unregisterProducer()

    def finish(self) -> None:
        self._request.finish()

    def notifyFinish(self) -> Deferred[None]:
        return self._request.notifyFinish()

    def write(self, data: bytes) -> None:
        """Write ``data`` as ``Request.write`` would: framed as a chunk when chunked."""
        request = self._request
        transport = self._transport
        if transport is None:
            if not request.startedWriting:
                request.write(data)  # the response head goes first, the usual way
                return
            transport = self._transport = self._plain_tcp(request)
        if (transport is False or not data or request.finished or not transport.connected
                or transport.disconnecting or queued_bytes(transport)):
            request.write(data)
            return
        parts: tuple[bytes, ...]
        if request.chunked:
            parts = (b"%x\r\n" % len(data), data, _CRLF)
        else:
            parts = (data,)
        try:
            sent = transport.socket.sendmsg(parts)
        except OSError:
            sent = 0  # EAGAIN queues it all; any other error is the transport's to find
        request.sentLength += len(data)
        self.direct_writes += 1
        total = sum(map(len, parts))
        if sent < total:
            transport.write(b"".join(parts)[sent:])

    @staticmethod
    def _plain_tcp(request: Request) -> Any:
        """The request's transport if it is plain TCP and the response has a body; else False."""
        channel = request.channel
        transport = getattr(channel, "transport", None)
        if (request.method == b"HEAD" or request.code in NO_BODY_CODES
                or not isinstance(transport, tcp.Connection) or transport.TLS):
            return False
        return transport
