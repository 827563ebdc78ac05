"""DirectBody over a real loopback TCP connection and Twisted's own TCP transport.

The server end is a real ``twisted.internet.tcp.Connection`` on a real
socket, with a real twisted.web ``Site``; only the reactor is manual: the
test runs the transport's ``doWrite`` when the reactor would (the socket is
writable and the transport has registered as a writer), so each step of a
slow client is under the test's control.
"""

from __future__ import annotations

import select
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from twisted.internet import tcp
from twisted.internet.address import IPv4Address
from twisted.internet.error import ConnectionLost
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Request, Site

from kismet_tx.http.directbody import DirectBody, queued_bytes
from tests.capture.conftest import FakeFDReactor
from tests.streams.helpers import decode_chunked


class ManualReactor(Clock, FakeFDReactor):
    """The capture tests' fd reactor with writers too, kept for the test to run;
    time is a ``Clock``."""

    def __init__(self) -> None:
        Clock.__init__(self)
        FakeFDReactor.__init__(self)
        self.writers: set[Any] = set()

    def addWriter(self, writer: Any) -> None:
        self.writers.add(writer)

    def removeWriter(self, writer: Any) -> None:
        self.writers.discard(writer)


class LoopbackConnection(tcp.Connection):
    """Twisted's TCP connection; the addresses a ``tcp.Server`` would give."""

    def getPeer(self) -> IPv4Address:
        return IPv4Address("TCP", "127.0.0.1", 40000)

    def getHost(self) -> IPv4Address:
        return IPv4Address("TCP", "127.0.0.1", 2501)


class Held(Resource):
    """Keeps every request open for the test to write to."""

    isLeaf = True

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[Request] = []

    def render(self, request: Request) -> Any:
        self.requests.append(request)
        return NOT_DONE_YET


class Link:
    """One HTTP connection: a client socket and the server's transport and request."""

    def __init__(self, request_head: bytes, small_buffers: bool = False) -> None:
        listener = socket.create_server(("127.0.0.1", 0))
        self.client = socket.create_connection(listener.getsockname())
        server_socket, _ = listener.accept()
        listener.close()
        if small_buffers:
            self.client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            server_socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        self.client.setblocking(False)
        self.reactor = ManualReactor()
        self.resource = Held()
        site = Site(self.resource, reactor=self.reactor)
        channel = site.buildProtocol(IPv4Address("TCP", "127.0.0.1", 40000))
        self.transport = LoopbackConnection(server_socket, channel, self.reactor)
        self.transport.connected = 1
        channel.makeConnection(self.transport)
        channel.dataReceived(request_head)
        (self.request,) = self.resource.requests
        self.received = bytearray()

    def run_writes(self) -> None:
        """What the reactor does for the transport while its socket takes data."""
        while self.transport in self.reactor.writers:
            _, writable, _ = select.select([], [self.transport.fileno()], [], 0)
            if not writable:
                return
            self.transport.doWrite()

    def read(self) -> None:
        """Everything the client's socket holds now."""
        while True:
            try:
                data = self.client.recv(1 << 16)
            except BlockingIOError:
                return
            if not data:
                return
            self.received += data

    def settle(self) -> None:
        """Client reads and the transport writes until nothing is left to send."""
        for _ in range(10_000):
            self.read()
            self.run_writes()
            if not queued_bytes(self.transport):
                self.read()
                return
        raise AssertionError("the transport never emptied")

    def response(self) -> tuple[bytes, bytes]:
        head, _, body = bytes(self.received).partition(b"\r\n\r\n")
        return head, body

    def close(self) -> None:
        self.client.close()
        self.transport.socket.close()


@pytest.fixture()
def links() -> Iterator[list[Link]]:
    made: list[Link] = []
    yield made
    for link in made:
        link.close()


GET = b"GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def _chunks(count: int, size: int) -> list[bytes]:
    return [bytes([index % 251]) * size + b"%08d" % index for index in range(count)]


def test_queued_bytes_is_what_twisteds_transport_holds(links: list[Link]) -> None:
    link = Link(GET)
    links.append(link)
    link.settle()  # nothing written yet: nothing queued
    assert queued_bytes(link.transport) == 0
    link.transport.write(b"a" * 1000)
    link.transport.writeSequence([b"b" * 10, b"c" * 5])
    assert queued_bytes(link.transport) == 1015
    link.run_writes()
    assert queued_bytes(link.transport) == 0
    link.read()
    assert bytes(link.received) == b"a" * 1000 + b"b" * 10 + b"c" * 5


def test_writes_after_the_head_go_straight_to_the_socket(links: list[Link]) -> None:
    link = Link(GET)
    links.append(link)
    body = DirectBody(link.request)
    chunks = _chunks(20, 300)
    body.write(chunks[0])  # the response head, through the request
    assert body.direct_writes == 0 and queued_bytes(link.transport) > 0
    body.write(chunks[1])  # the head is still queued: this queues behind it
    assert body.direct_writes == 0
    link.settle()
    for chunk in chunks[2:]:
        body.write(chunk)
    assert body.direct_writes == 18
    assert queued_bytes(link.transport) == 0  # the kernel took every one
    body.finish()
    link.settle()
    head, raw = link.response()
    assert head.startswith(b"HTTP/1.1 200 ")
    assert b"Transfer-Encoding: chunked" in head
    payload, ended = decode_chunked(raw)
    assert ended and payload == b"".join(chunks)
    assert link.request.sentLength == len(payload)


def test_a_full_socket_queues_the_rest_and_keeps_the_order(links: list[Link]) -> None:
    link = Link(GET, small_buffers=True)
    links.append(link)
    body = DirectBody(link.request)
    chunks = _chunks(400, 1500)
    body.write(chunks[0])
    link.settle()
    written = 1
    while not queued_bytes(link.transport):  # the client reads nothing: the socket fills
        body.write(chunks[written])
        written += 1
    direct_before = body.direct_writes
    assert direct_before == written - 1
    for chunk in chunks[written:written + 5]:  # queued behind the unsent rest, in order
        body.write(chunk)
    assert body.direct_writes == direct_before
    written += 5
    link.settle()
    for chunk in chunks[written:]:  # the queue is empty again: direct again
        body.write(chunk)
        link.settle()
    assert body.direct_writes > direct_before
    body.finish()
    link.settle()
    payload, ended = decode_chunked(link.response()[1])
    assert ended and payload == b"".join(chunks)


def test_a_client_gone_leaves_the_rest_to_the_transport(links: list[Link]) -> None:
    link = Link(GET)
    links.append(link)
    body = DirectBody(link.request)
    body.write(b"first")
    link.settle()
    link.client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    link.client.close()  # a reset: the server's sends fail
    for chunk in _chunks(50, 1000):
        body.write(chunk)  # never raises
    assert queued_bytes(link.transport) > 0  # what failed waits for the transport to find
    assert isinstance(link.transport.doWrite(), ConnectionLost)  # which ends the request


def test_http_1_0_bodies_are_not_chunked(links: list[Link]) -> None:
    link = Link(b"GET /stream HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
    links.append(link)
    body = DirectBody(link.request)
    body.write(b"one")
    link.settle()
    body.write(b"two")
    body.write(b"three")
    assert body.direct_writes == 2
    link.settle()
    head, raw = link.response()
    assert b"chunked" not in head
    assert raw == b"onetwothree"


def test_head_requests_and_other_transports_never_write_directly(links: list[Link]) -> None:
    link = Link(b"HEAD /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    links.append(link)
    body = DirectBody(link.request)
    for chunk in (b"one", b"two"):
        body.write(chunk)
        link.settle()
    assert body.direct_writes == 0
    head, raw = link.response()
    assert head.startswith(b"HTTP/1.1 200 ") and raw == b""

    site = Site(Held(), reactor=Clock())
    channel = site.buildProtocol(IPv4Address("TCP", "127.0.0.1", 40000))
    memory = StringTransport()
    channel.makeConnection(memory)
    channel.dataReceived(GET)
    (request,) = site.resource.requests
    body = DirectBody(request)
    for chunk in (b"one", b"two"):
        body.write(chunk)
    assert body.direct_writes == 0
    payload, _ = decode_chunked(memory.value().partition(b"\r\n\r\n")[2])
    assert payload == b"onetwo"
