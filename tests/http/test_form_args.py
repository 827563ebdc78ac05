"""POST form fields reach ``request.args`` as twisted.web would put them there."""

from __future__ import annotations

from typing import Any

import pytest
from twisted.internet.address import IPv4Address
from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.web.resource import Resource
from twisted.web.server import Site

from kismet_tx.http.site import KismetSite

PEER = IPv4Address("TCP", "127.0.0.1", 40000)


class Recorder(Resource):
    """Answers every request, keeping what twisted.web parsed into its args."""

    isLeaf = True

    def __init__(self) -> None:
        super().__init__()
        self.args: list[dict[bytes, list[bytes]]] = []

    def render(self, request: Any) -> bytes:
        self.args.append(request.args)
        return b"ok"


def _args_seen(site: Site, recorder: Recorder, content_type: bytes | None, body: bytes) -> Any:
    channel = site.buildProtocol(PEER)
    assert channel is not None
    channel.makeConnection(StringTransport(peerAddress=PEER))
    head = [b"POST /login?from=query HTTP/1.1", b"Host: localhost",
            b"Content-Length: %d" % len(body)]
    if content_type is not None:
        head.append(b"Content-Type: " + content_type)
    channel.dataReceived(b"\r\n".join(head) + b"\r\n\r\n" + body)
    return recorder.args.pop()


@pytest.mark.parametrize(("content_type", "body"), [
    (b"application/x-www-form-urlencoded", b"user=admin&password=s%20cret&json=%7B%7D"),
    (b"Application/X-WWW-Form-Urlencoded ; charset=UTF-8", b"user=a&user=b&empty="),
    (b"application/x-www-form-urlencoded", b""),
    (b"application/json", b'{"user": "admin"}'),
    (b"text/plain", b"user=admin"),
    (None, b"user=admin&password=x"),
    (b"multipart/form-data; boundary=XX",
     b'--XX\r\nContent-Disposition: form-data; name="user"\r\n\r\nadmin\r\n--XX--\r\n'),
])
def test_form_fields_as_twisted_web_parses_them(content_type: bytes | None,
                                                 body: bytes) -> None:
    ours, theirs = Recorder(), Recorder()
    seen = _args_seen(KismetSite(ours, MemoryReactorClock()), ours, content_type, body)
    expected = _args_seen(Site(theirs), theirs, content_type, body)
    assert seen == expected
    assert seen[b"from"] == [b"query"]
    if content_type and b"urlencoded" in content_type and body:
        assert seen[b"user"][0] in (b"admin", b"a")
