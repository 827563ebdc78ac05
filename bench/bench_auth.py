"""Cost of auth per request: anonymous vs Basic, cookie, API key, wrong password, command.

The whole server (``build_service``) on an in-memory reactor answers raw
HTTP/1.1 requests for ``/system/timestamp.json`` (a public read, so every
caller is answered) through its real site and channel: the figures include
HTTP parsing, routing and serialization, and the anonymous request is the
baseline measured in the same run. Short: 2,000 requests per row, best of 3.
"""

from __future__ import annotations

import base64
import json
import tempfile
from pathlib import Path
from typing import Any

from twisted.internet.address import IPv4Address
from twisted.internet.testing import MemoryReactorClock, StringTransport

from bench.report import best_of, row
from kismet_tx.capture.memory import MemoryCaptureSystem
from kismet_tx.config import Config
from kismet_tx.service import KNOWN_KEYS, build_service

REQUESTS = 2000
USER, PASSWORD = "admin", "bench-Secret-1"


def _basic(password: str = PASSWORD) -> str:
    return "Basic " + base64.b64encode(f"{USER}:{password}".encode()).decode()


class Client:
    """Raw requests into the site, each on a connection of its own."""

    def __init__(self, service: Any, reactor: MemoryReactorClock) -> None:
        self.site = service.site
        self.reactor = reactor
        self.port = 30000

    def send(self, method: str, path: str, headers: dict[str, str], body: bytes = b"",
             host: str = "127.0.0.1") -> bytes:
        self.port = self.port % 60000 + 1
        peer = IPv4Address("TCP", host, self.port)
        channel = self.site.buildProtocol(peer)
        transport = StringTransport(peerAddress=peer)
        channel.makeConnection(transport)
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        channel.dataReceived(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        while any(c.getTime() <= self.reactor.seconds() for c in self.reactor.getDelayedCalls()):
            self.reactor.advance(0)
        out = transport.value()
        channel.connectionLost(None)
        return out


def run() -> None:
    where = Path(tempfile.mkdtemp(prefix="bench-auth-"))
    reactor = MemoryReactorClock()
    reactor.advance(1_700_000_000)
    config = Config.from_text(f"httpd_username={USER}\nhttpd_password={PASSWORD}\n"
                              "httpd_login_failures=1000000000\n",
                              name="<bench>", home=str(where), known_keys=KNOWN_KEYS)
    service = build_service(config, where, reactor, capture_system=MemoryCaptureSystem())
    service.startService()
    client = Client(service, reactor)
    login = client.send("GET", "/session/check_session", {"Authorization": _basic()})
    token = login.split(b"KISMET=")[1].split(b";")[0].decode()
    key = client.send("POST", "/auth/apikey/generate.cmd",
                      {"Authorization": _basic(), "Content-Type": "application/json"},
                      json.dumps({"name": "bench", "role": "admin"}).encode())
    api_key = key.partition(b"\r\n\r\n")[2].split(b"\r\n")[1].decode()
    path = "/system/timestamp.json"
    modes: list[tuple[str, str, str, dict[str, str], str]] = [
        ("anonymous", "GET", path, {}, "127.0.0.1"),
        ("Basic auth (cached, reused session)", "GET", path, {"Authorization": _basic()},
         "127.0.0.1"),
        ("session cookie", "GET", path, {"Cookie": f"KISMET={token}"}, "127.0.0.1"),
        ("API key (cookie)", "GET", path, {"Cookie": f"KISMET={api_key}"}, "127.0.0.1"),
        ("API key (Authorization: Bearer)", "GET", path,
         {"Authorization": f"Bearer {api_key}"}, "127.0.0.1"),
        ("wrong password (checked, counted)", "GET", path,
         {"Authorization": _basic("wrong")}, "10.9.9.9"),
        ("command (CSRF-checked), cookie + X-Requested-With", "POST",
         "/devices/by-key/not-a-key/set_name.cmd",
         {"Cookie": f"KISMET={token}", "X-Requested-With": "XMLHttpRequest"}, "127.0.0.1"),
    ]
    timings = {}
    for label, method, target, headers, host in modes:
        def burst(method: str = method, target: str = target, headers: dict[str, str] = headers,
                  host: str = host) -> None:
            for _ in range(REQUESTS):
                client.send(method, target, headers, host=host)

        timings[label] = best_of(3, burst) / REQUESTS
    base = timings["anonymous"]
    for label, seconds in timings.items():
        row(label[:44], f"{seconds * 1e6:,.0f} us ({(seconds - base) * 1e6:+,.0f})",
            "anonymous, same run", f"{base * 1e6:,.0f} us")
    writes = service.auth.sessions.writer.writes if service.auth.sessions.writer else 0
    print(f"   session-store writes during {len(modes) * 3 * REQUESTS:,} requests: {writes}")
    service.stopService()
