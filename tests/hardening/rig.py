"""The whole server in one process, on a memory reactor, with raw HTTP/1.1 clients.

:func:`build_rig` builds the same :class:`~kismet_tx.service.KismetService`
that ``twistd kismet`` runs (every area, the real ``KismetSite`` and its
``HTTPChannel``), on a ``MemoryReactorClock`` instead of a real reactor, and
replays a real capture through it so device keys, MACs, BSSIDs, handshakes,
datasource and GPS UUIDs, alerts and a stream (the pcapng log) exist.

Requests are raw bytes fed to a channel the site builds, over a
``StringTransport``; the reactor runs every due call until the answer is
complete. An answer that is still open once nothing more is due is a stream:
:meth:`Rig.request` returns what arrived and then drops the connection, as a
client that has read the headers and leaves.
"""

from __future__ import annotations

import base64
import functools
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

from twisted.internet import task
from twisted.internet.address import IPv4Address
from twisted.internet.error import ConnectionDone
from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.logger import ILogObserver, formatEvent, globalLogPublisher
from twisted.python.failure import Failure
from zope.interface import implementer

from kismet_tx.alerts.system import WATCH_KINDS
from kismet_tx.capture.linux import LinuxCaptureSystem
from kismet_tx.config import Config
from kismet_tx.service import KNOWN_KEYS, KismetService, build_service
from kismet_tx.tracker.oui import ManufDb
from tests.streams.helpers import decode_chunked

DATA = Path(__file__).resolve().parents[1] / "data"
#: John the Ripper's WPA sample: AP 'Coherer' and a client doing a 4-way handshake.
INDUCTION = DATA / "john-samples_wpa-Induction.pcapng"
COHERER = "00:0C:41:82:B2:55"
COHERER_KEY = "4202770D00000000_55B282410C00"
CLIENT = "00:0D:93:82:36:3A"
USER = "admin"
PASSWORD = "hardening-Secret-7f3a9c"
#: Server clock when a rig starts.
START = 1_700_000_000.0
SESSION_TIMEOUT = 600
MAX_BODY = 100_000
_PORTS = itertools.count(40000)
_HOSTS = itertools.count(1)


def fresh_address() -> str:
    """A client address no request has used (10.x.y.z): the login throttle counts
    failures per address, so matrices that send many wrong passwords use these."""
    index = next(_HOSTS)
    return f"10.{index >> 16 & 255}.{index >> 8 & 255}.{index & 255}"
#: The OUI table is read-only and slow to parse: one copy serves every rig.
cached_manuf = functools.cache(ManufDb.load)


def basic(user: str = USER, password: str = PASSWORD) -> dict[str, str]:
    """An ``Authorization: Basic`` header."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def cookie(token: str) -> dict[str, str]:
    """A ``Cookie: KISMET=...`` header."""
    return {"Cookie": f"KISMET={token}"}


@dataclass
class Reply:
    """One HTTP answer as the client saw it."""

    code: int
    headers: dict[str, list[str]]
    body: bytes
    #: The answer was still open when the client left (a live stream).
    streaming: bool = False

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[-1] if values else None

    def cookie(self) -> str | None:
        """The ``KISMET`` token this answer sets, if any."""
        for line in self.headers.get("set-cookie", []):
            name, _, rest = line.partition("=")
            if name.strip() == "KISMET":
                return rest.split(";", 1)[0]
        return None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def parse_response(raw: bytes) -> tuple[Reply | None, bool]:
    """``(reply, complete)`` from the bytes a server wrote; None before the headers."""
    head, sep, rest = raw.partition(b"\r\n\r\n")
    if not sep:
        return None, False
    lines = head.decode("latin-1").split("\r\n")
    code = int(lines[0].split()[1])
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    if headers.get("transfer-encoding", [""])[-1].lower() == "chunked":
        body, ended = decode_chunked(rest)
        return Reply(code, headers, body), ended
    length = headers.get("content-length")
    if length is not None:
        size = int(length[-1])
        return Reply(code, headers, rest[:size]), len(rest) >= size
    return Reply(code, headers, rest), False


@implementer(ILogObserver)
class LogCapture:
    """Every log event, formatted, with any traceback, while installed."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, event: dict[str, Any]) -> None:
        text = formatEvent(event)
        failure = event.get("log_failure")
        if failure is not None:
            text += "\n" + failure.getTraceback()
        self.lines.append(text)

    def __enter__(self) -> LogCapture:
        globalLogPublisher.addObserver(self)
        return self

    def __exit__(self, *exc: object) -> None:
        globalLogPublisher.removeObserver(self)


@dataclass
class Rig:
    """A running in-process server and the values its replay made known."""

    service: KismetService
    reactor: MemoryReactorClock
    home: Path
    replay_uuid: str
    tokens: list[str] = field(default_factory=list)

    @property
    def site(self) -> Any:
        return self.service.site

    def run(self, limit: int = 100_000) -> None:
        """Run every due call (and those they make due) until nothing is due."""
        reactor = self.reactor
        for _ in range(limit):
            if not any(c.getTime() <= reactor.seconds() for c in reactor.getDelayedCalls()):
                return
            reactor.advance(0)
        raise AssertionError("the server never went quiet")

    def request(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                body: bytes = b"", chunked: bool = False, address: str = "127.0.0.1") -> Reply:
        """Send one request on a fresh connection from ``address``; returns the answer
        (or the stream head)."""
        peer = IPv4Address("TCP", address, next(_PORTS))
        channel = self.site.buildProtocol(peer)
        transport = StringTransport(peerAddress=peer)
        channel.makeConnection(transport)
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if chunked:
            lines.append("Transfer-Encoding: chunked")
            payload = b"".join(
                b"%x\r\n%s\r\n" % (len(body[i:i + 8192]), body[i:i + 8192])
                for i in range(0, len(body), 8192)) + b"0\r\n\r\n"
        else:
            if body or method == "POST":
                lines.append(f"Content-Length: {len(body)}")
            payload = body
        channel.dataReceived(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload)
        self.run()
        reply, complete = parse_response(transport.value())
        channel.connectionLost(Failure(ConnectionDone("the client left")))
        self.run()
        assert reply is not None, f"{method} {path}: no answer at all"
        reply.streaming = not complete
        token = reply.cookie()
        if token and token not in self.tokens:
            self.tokens.append(token)
        return reply

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Reply:
        return self.request("POST", path, **kwargs)

    def login(self) -> str:
        """A fresh session token from a Basic login."""
        reply = self.get("/session/check_session", headers=basic())
        assert reply.code == 200
        token = reply.cookie()
        assert token
        return token

    def idle(self, seconds: float) -> None:
        """Let ``seconds`` pass on the server clock (in one step), then run what is due."""
        self.reactor.advance(seconds)
        self.run()

    def stop(self) -> None:
        self.service.stopService()
        self.run()


def config_text(home: Path, extra: str = "") -> str:
    """The configuration every rig starts from, plus ``extra`` lines."""
    logs = home.parent / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    return (
        f"httpd_username={USER}\nhttpd_password={PASSWORD}\n"
        f"httpd_session_timeout={SESSION_TIMEOUT}\nhttpd_max_body={MAX_BODY}\n"
        # Access lines on: the matrix checks that none of them carries a secret.
        "httpd_access_log=true\n"
        "plugin=kismet_tx.plugins.probestats\n"
        "gps=virtual:lat=48.1,lon=11.5,name=fixed\ngps=web\n"
        f"log_types=pcapng\nlog_prefix={logs}/\nlog_title=hardening\n"
        + extra
    )


def build_rig(where: Path, extra_conf: str = "", capture: Path = INDUCTION) -> Rig:
    """Build, start and replay: a server with known devices, sources, GPS, alert, stream."""
    home = where / "home"
    home.mkdir(parents=True, exist_ok=True)
    reactor = MemoryReactorClock()
    reactor.advance(START)
    config = Config.from_text(config_text(home, extra_conf), name="<hardening>",
                              home=str(home), known_keys=KNOWN_KEYS)
    with mock.patch.object(ManufDb, "load", cached_manuf):
        service = build_service(config, home, reactor, [f"{capture}:name=replay"],
                                capture_system=LinuxCaptureSystem())
    service.ctx.cooperator = task.Cooperator(
        scheduler=lambda work: reactor.callLater(0, work))
    service.site.doStart()
    service.startService()
    (source,) = service.datasources.sources()
    rig = Rig(service, reactor, home, source.uuid)
    rig.run()
    assert source.finished, source.error_reason
    # One alert, defined and raised through the API, so alert ids exist.
    for path, command in (("/alerts/definitions/define_alert.cmd",
                           b'{"name": "HARDENING", "description": "hardening test"}'),
                          ("/alerts/raise_alerts.cmd",
                           b'{"name": "HARDENING", "text": "raised", "bssid": "' + COHERER.encode()
                           + b'"}')):
        reply = rig.post(path, headers={**basic(), "Content-Type": "application/json"},
                         body=command)
        assert reply.code == 200, reply.text
    return rig


def snapshot(rig: Rig) -> dict[str, Any]:
    """The state a refused request must leave alone: datasources, alerts and their
    definitions, device names and tags, GPS, watch lists, streams and logs, the login."""
    service = rig.service
    devices = service.tracking.device_tracker.devices()
    return {
        "datasources": [source.record() for source in service.datasources.sources()],
        "alerts": service.alerts.alert_tracker.records(),
        "definitions": [d.record() for d in service.alerts.alert_tracker.definitions()],
        "devices": sorted((d.key, d.username, sorted((d.tags or {}).items()))
                          for d in devices),
        "gps": sorted(g.uuid for g in service.gps.all()),
        "watch": {kind: service.alerts.device_watch.macs(kind) for kind in WATCH_KINDS},
        "streams": sorted(service.streams.all_streams()),
        "login": (service.auth.credentials.username, service.auth.credentials.password),
    }
