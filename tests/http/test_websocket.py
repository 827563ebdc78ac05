"""The websocket glue (``http/websocket.py``) on the real site, in memory.

A route is mounted through the project's routing; the handshake, login check,
echo, a stalled client's bounded backlog and the connection bookkeeping are
driven over a ``StringTransport``, so pausing is exact and nothing sleeps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from klein import Klein
from twisted.internet.address import IPv4Address
from twisted.internet.error import ConnectionDone
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure

from kismet_tx.http.auth import Access
from kismet_tx.http.context import HttpContext
from kismet_tx.http.errors import BadRequest
from kismet_tx.http.routing import ApiRequest
from kismet_tx.http.site import KismetSite
from kismet_tx.http.websocket import SessionFactory, WebSocketPeer, websocket_endpoint
from tests.http.conftest import PASSWORD, USER, build_server
from tests.http.wsframes import CLOSE, TEXT, client_frame, handshake, server_frames, split_response

BACKLOG = 4096


class Echo:
    """Echoes each text message; ``burst N`` sends N messages of 1000 bytes."""

    def __init__(self, peer: WebSocketPeer, opened: list[Any]) -> None:
        self.peer = peer
        self.closed_count = 0
        opened.append(self)

    def message_received(self, payload: bytes, is_binary: bool) -> None:
        text = payload.decode()
        if text.startswith("burst "):
            for index in range(int(text.split()[1])):
                self.peer.send(f"{index:04d}" + "x" * 996)
            return
        self.peer.send(payload)

    def closed(self) -> None:
        self.closed_count += 1


class EchoArea:
    app = Klein()

    def __init__(self, ctx: HttpContext) -> None:
        self.ctx = ctx
        self.opened: list[Echo] = []

    @websocket_endpoint(app, "/test/echo", access=Access.LOGIN, backlog_bytes=BACKLOG)
    def echo(self, call: ApiRequest) -> SessionFactory:
        if call.cmd.form.get("refuse"):
            raise BadRequest("refused before the upgrade")
        return lambda peer: Echo(peer, self.opened)


@pytest.fixture
def rig(tmp_path: Path) -> tuple[KismetSite, EchoArea]:
    server = build_server(tmp_path, extra_areas=[EchoArea])
    area = next(a for a in server.areas if isinstance(a, EchoArea))
    return KismetSite(server.root, server.clock), area


def connect(site: KismetSite, data: bytes) -> StringTransport:
    peer = IPv4Address("TCP", "127.0.0.1", 41000)
    channel = site.buildProtocol(peer)
    transport = StringTransport(peerAddress=peer)
    transport.protocol = channel  # as a TCP transport has; the upgrade replaces it
    channel.makeConnection(transport)
    channel.dataReceived(data)
    return transport


LOGIN = f"?user={USER}&password={PASSWORD.replace(' ', '%20')}"


def opened(site: KismetSite, query: str = LOGIN) -> StringTransport:
    transport = connect(site, handshake("/test/echo.ws" + query))
    head, _ = split_response(transport.value())
    assert head.startswith(b"HTTP/1.1 101"), head
    transport.clear()
    return transport


def test_no_login_is_refused_before_the_upgrade(rig: tuple[KismetSite, EchoArea]) -> None:
    site, area = rig
    transport = connect(site, handshake("/test/echo.ws"))
    head, _ = split_response(transport.value())
    assert head.startswith(b"HTTP/1.1 401")
    assert not area.opened


def test_a_wrong_password_is_refused(rig: tuple[KismetSite, EchoArea]) -> None:
    site, area = rig
    transport = connect(site, handshake(f"/test/echo.ws?user={USER}&password=nope"))
    assert transport.value().startswith(b"HTTP/1.1 401")
    assert not area.opened


def test_a_plain_get_is_no_handshake(rig: tuple[KismetSite, EchoArea]) -> None:
    site, _ = rig
    request = f"GET /test/echo.ws{LOGIN} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    transport = connect(site, request)
    head, body = split_response(transport.value())
    assert head.startswith(b"HTTP/1.1 400")
    assert b"websocket handshake" in body


def test_the_handler_refuses_with_its_status(rig: tuple[KismetSite, EchoArea]) -> None:
    site, area = rig
    transport = connect(site, handshake("/test/echo.ws" + LOGIN + "&refuse=1"))
    assert transport.value().startswith(b"HTTP/1.1 400")
    assert not area.opened


def test_echo_and_close(rig: tuple[KismetSite, EchoArea]) -> None:
    site, area = rig
    before = site.open_connections
    transport = opened(site)
    assert site.open_connections == before + 1
    transport.protocol.dataReceived(client_frame("hello"))
    assert [(f.opcode, f.text) for f in server_frames(transport.value())] == [(TEXT, "hello")]
    transport.clear()
    transport.protocol.dataReceived(client_frame(b"\x03\xe8", CLOSE))
    assert [f.opcode for f in server_frames(transport.value())] == [CLOSE]
    transport.protocol.connectionLost(Failure(ConnectionDone()))
    assert area.opened[0].closed_count == 1
    assert site.open_connections == before
    assert not site.channels


def test_a_stalled_client_keeps_a_bounded_backlog_and_counts_drops(
        rig: tuple[KismetSite, EchoArea]) -> None:
    site, area = rig
    transport = opened(site)
    peer = area.opened[0].peer
    assert transport.producer is peer
    peer.pauseProducing()  # what the TCP transport does when its buffer is full
    transport.protocol.dataReceived(client_frame("burst 20"))
    assert transport.value() == b""
    assert peer.backlog_bytes <= BACKLOG
    assert peer.dropped_messages == 20 - BACKLOG // 1000
    peer.resumeProducing()
    texts = [f.text[:4] for f in server_frames(transport.value())]
    assert texts == [f"{i:04d}" for i in range(BACKLOG // 1000)]
    assert peer.backlog_bytes == 0
    # Once the client reads again, messages flow at once.
    transport.clear()
    transport.protocol.dataReceived(client_frame("again"))
    assert [f.text for f in server_frames(transport.value())] == ["again"]


def test_server_stop_closes_websockets(rig: tuple[KismetSite, EchoArea]) -> None:
    site, _ = rig
    transport = opened(site)
    site.close_connections(timeout=1.0)
    frames = server_frames(transport.value())
    assert [f.opcode for f in frames] == [CLOSE]
    assert frames[0].payload[:2] == b"\x03\xe9"  # 1001 going away


def test_frames_in_the_same_read_as_the_handshake_are_not_lost(
        rig: tuple[KismetSite, EchoArea]) -> None:
    site, _ = rig
    transport = connect(site, handshake("/test/echo.ws" + LOGIN) + client_frame("early"))
    head, rest = split_response(transport.value())
    assert head.startswith(b"HTTP/1.1 101")
    assert [f.text for f in server_frames(rest)] == ["early"]
