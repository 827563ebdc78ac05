"""Connection limits of the real site, on the rig's clock: idle timeout and a clean stop.

``httpd_idle_timeout`` closes a connection that sits without a request in
progress (nothing sent, part of a request, or an unused kept-alive one); a
request being answered, a stream above all, is never cut. At stop every
connection is closed once its output is sent, so a stream's client gets its
last packets and the end of the response.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from twisted.internet.address import IPv4Address
from twisted.internet.testing import StringTransport

from kismet_tx.http.site import DEFAULT_IDLE_TIMEOUT
from tests.hardening.rig import Rig, basic, build_rig, parse_response
from tests.streams.helpers import decode_chunked, parse_pcapng


def connect(rig: Rig, data: bytes = b"") -> tuple[Any, StringTransport]:
    peer = IPv4Address("TCP", "127.0.0.1", 41000)
    channel = rig.site.buildProtocol(peer)
    transport = StringTransport(peerAddress=peer)
    channel.makeConnection(transport)
    if data:
        channel.dataReceived(data)
    rig.run()
    return channel, transport


def head(path: str, auth: bool = False) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1"]
    if auth:
        lines += [f"{k}: {v}" for k, v in basic().items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@pytest.mark.parametrize("sent", [b"", b"GET /system/status.json HTTP/1.1\r\nHost: x\r\n",
                                  head("/system/status.json")],
                         ids=["nothing", "part of a request", "kept alive after an answer"])
def test_idle_connections_are_closed_after_the_timeout(rig: Rig, sent: bytes) -> None:
    _, transport = connect(rig, sent)
    if sent.endswith(b"\r\n\r\n"):
        reply, complete = parse_response(transport.value())
        assert reply is not None and complete and reply.code == 200
    rig.idle(DEFAULT_IDLE_TIMEOUT - 1)
    assert not transport.disconnecting
    rig.idle(1)
    assert transport.disconnecting


def test_a_stream_is_never_idle(rig: Rig) -> None:
    _, transport = connect(rig, head("/pcap/all_packets.pcapng", auth=True))
    for _ in range(5):
        rig.idle(DEFAULT_IDLE_TIMEOUT)
    assert not transport.disconnecting
    body = transport.value().partition(b"\r\n\r\n")[2]
    payload, ended = decode_chunked(body)
    assert not ended and parse_pcapng(payload, allow_partial=True).block_types[0] == 0x0A0D0D0A


def test_zero_disables_the_timeout(tmp_path: Path) -> None:
    rig = build_rig(tmp_path, "httpd_idle_timeout=0\n")
    try:
        _, transport = connect(rig)
        rig.idle(24 * 3600)
        assert not transport.disconnecting
    finally:
        rig.stop()


def test_stop_ends_streams_and_closes_connections_after_their_output(tmp_path: Path) -> None:
    rig = build_rig(tmp_path)
    _, stream = connect(rig, head("/pcap/all_packets.pcapng", auth=True))
    _, idle = connect(rig)
    rig.stop()
    payload, ended = decode_chunked(stream.value().partition(b"\r\n\r\n")[2])
    assert ended, "the stream's response was not ended"
    parse_pcapng(payload)
    assert stream.disconnecting and idle.disconnecting


def connect_from(rig: Rig, host: str, data: bytes = b"") -> tuple[Any, StringTransport]:
    """A connection from ``host`` as the listening port makes it (None: refused)."""
    peer = IPv4Address("TCP", host, 41000)
    channel = rig.site.buildProtocol(peer)
    transport = StringTransport(peerAddress=peer)
    if channel is not None:
        channel.makeConnection(transport)
        if data:
            channel.dataReceived(data)
    rig.run()
    return channel, transport


def test_one_address_holds_a_bounded_number_of_connections(tmp_path: Path) -> None:
    rig = build_rig(tmp_path, "httpd_max_connections_per_address=3\n")
    try:
        held = [connect_from(rig, "192.0.2.1")[0] for _ in range(3)]
        assert all(channel is not None for channel in held)
        refused, _ = connect_from(rig, "192.0.2.1")
        assert refused is None and rig.site.refused_connections == 1
        # Another address is served meanwhile.
        other, transport = connect_from(rig, "192.0.2.2", head("/system/status.json"))
        reply, complete = parse_response(transport.value())
        assert other is not None and reply is not None and complete and reply.code == 200
        # A connection that closes frees its slot.
        held[0].connectionLost(None)
        again, _ = connect_from(rig, "192.0.2.1")
        assert again is not None
    finally:
        rig.stop()


def test_a_request_head_that_trickles_in_is_cut_off(rig: Rig) -> None:
    """A slowloris keeps the idle timer alive with a byte now and then; the head
    deadline (httpd_head_timeout, 30 s) still closes it."""
    _, transport = connect(rig, b"G")
    for byte in b"ET /system/status.json HTTP/1.1\r\n":
        rig.idle(5)
        if transport.disconnecting:
            break
        channel = rig.site.channels and next(iter(rig.site.channels))
        channel.dataReceived(bytes([byte]))
        rig.run()
    assert transport.disconnecting
    assert b"HTTP/1.1" not in transport.value()
