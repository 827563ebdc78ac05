"""A real HTTP core (areas, ApiRoot, auth, serializer) driven in memory.

Nothing listens on TCP and nothing needs a running reactor: requests go
through ``treq.testing.StubTreq`` into the real :class:`ApiRoot`; time is a
``task.Clock`` shared by sessions, the message bus and the system monitor;
``Listing`` streams run on a ``task.Cooperator`` whose ticks are scheduled on
a manual scheduler and which does one unit of work per tick, so a test can
step, pause and stop a stream deterministically.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
from treq.testing import StubTreq
from twisted.internet import defer, task
from twisted.python.failure import Failure

from kismet_tx.fields import FieldRegistry
from kismet_tx.http.auth import Authenticator, Credentials, SessionStore
from kismet_tx.http.commands import DEFAULT_MAX_BODY
from kismet_tx.http.context import HttpContext
from kismet_tx.http.messages import MessagesArea
from kismet_tx.http.root import ApiRoot
from kismet_tx.http.serialize import Serializer
from kismet_tx.http.session import SessionArea
from kismet_tx.http.system import SystemArea
from kismet_tx.messagebus import MESSAGE_FIELDS, MessageBus
from kismet_tx.rrd import RRD_FIELDS
from kismet_tx.sysmon import SYSTEM_FIELDS, SystemMonitor

USER = "admin"
PASSWORD = "correct horse battery staple"
#: Server time when a harness starts (a realistic epoch with a fraction).
START = 1_700_000_000.25
BASE = "http://127.0.0.1:2501"


def basic(user: str = USER, password: str = PASSWORD) -> dict[bytes, list[bytes]]:
    """An ``Authorization: Basic`` header."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {b"Authorization": [f"Basic {token}".encode()]}


def fired(d: defer.Deferred[Any]) -> Any:
    """The result of a Deferred that must already have fired."""
    out: list[Any] = []
    d.addBoth(out.append)
    assert out, "the Deferred has not fired"
    if isinstance(out[0], Failure):
        out[0].raiseException()
    return out[0]


@dataclass
class Reply:
    """One complete HTTP answer."""

    code: int
    headers: Any
    body: bytes

    def header(self, name: str) -> str | None:
        values = self.headers.getRawHeaders(name.encode("latin-1"))
        return None if not values else values[-1].decode("latin-1")

    def headers_all(self, name: str) -> list[str]:
        return [
            v.decode("latin-1") for v in self.headers.getRawHeaders(name.encode("latin-1")) or []
        ]

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return orjson.loads(self.body)

    def cookie(self) -> str | None:
        """The ``KISMET`` token this answer sets, if any."""
        for line in self.headers_all("Set-Cookie"):
            name, _, rest = line.partition("=")
            if name == "KISMET":
                return rest.split(";", 1)[0]
        return None


class _Tick:
    """One scheduled cooperator tick (the scheduler's delayed-call handle)."""

    def __init__(self, work: Callable[[], None]) -> None:
        self.work = work
        self.active = True

    def cancel(self) -> None:
        self.active = False


class Ticks:
    """A Cooperator scheduler whose ticks run only when a test runs them."""

    def __init__(self) -> None:
        self._calls: list[_Tick] = []

    def __call__(self, work: Callable[[], None]) -> _Tick:
        tick = _Tick(work)
        self._calls.append(tick)
        return tick

    def pending(self) -> bool:
        return any(tick.active for tick in self._calls)

    def run(self) -> None:
        """Run the ticks scheduled so far (not those they schedule)."""
        calls, self._calls = self._calls, []
        for tick in calls:
            if tick.active:
                tick.active = False
                tick.work()


@dataclass
class Server:
    """Everything one in-memory server is made of."""

    clock: task.Clock
    bus: MessageBus
    fields: FieldRegistry
    sessions: SessionStore
    auth: Authenticator
    ctx: HttpContext
    monitor: SystemMonitor
    root: ApiRoot
    home: Path
    ticks: Ticks
    areas: list[Any] = field(default_factory=list)
    clients: list[StubTreq] = field(default_factory=list)

    def flush(self) -> None:
        """Move every byte between the clients and the server."""
        for client in self.clients:
            client.flush()

    def pump(self, limit: int = 100_000) -> None:
        """Run every pending tick and due clock call, move every byte, until quiet."""
        for _ in range(limit):
            self.flush()
            if self.ticks.pending():
                self.ticks.run()
            elif any(c.getTime() <= self.clock.seconds() for c in self.clock.getDelayedCalls()):
                self.clock.advance(0)
            else:
                self.flush()
                return
        raise AssertionError("the server never went quiet")

    def step(self, ticks: int = 1) -> None:
        """Run ``ticks`` cooperator rounds, moving the bytes after each."""
        for _ in range(ticks):
            self.ticks.run()
            self.flush()

    def send(self, method: str, path: str, **kwargs: Any) -> defer.Deferred[Any]:
        """Start a request from a fresh client (no cookie jar carried over)."""
        client = StubTreq(self.root)
        self.clients.append(client)
        return client.request(method, BASE + path, **kwargs)

    def request(self, method: str, path: str, **kwargs: Any) -> Reply:
        """Make a request and run the server until the whole answer is in."""
        d = self.send(method, path, **kwargs)
        self.pump()
        response = fired(d)
        body_d = response.content()
        self.pump()
        return Reply(response.code, response.headers, fired(body_d))

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Reply:
        return self.request("POST", path, **kwargs)

    def login(self) -> str:
        """Log in with Basic auth; returns the session token."""
        reply = self.get("/session/check_session", headers=basic())
        assert reply.code == 200
        token = reply.cookie()
        assert token
        return token


def write_at_once(work: Callable[[], None]) -> defer.Deferred[None]:
    """The session store's file writes, done at once in the test's thread."""
    return defer.maybeDeferred(work)


def one_unit_per_tick() -> Callable[[], bool]:
    return lambda: True


def build_server(
    tmp_path: Path,
    *,
    auth_all: bool = False,
    password: str = PASSWORD,
    origin: str = "user",
    session_timeout: float = 7200,
    max_sessions: int = 4096,
    max_body: int = DEFAULT_MAX_BODY,
    battery_root: Path | None = None,
    server_name: str = "Kismet",
    server_description: str = "test bench",
    server_location: str = "lab",
    device_count: Callable[[], int] = lambda: 0,
    extra_areas: Sequence[Callable[[HttpContext], Any]] = (),
    uri_prefix: str = "",
    messagebus_backlog: int = 50,
) -> Server:
    """Build the real areas around a Clock, with no TCP and no KismetService."""
    home = tmp_path / "home"
    home.mkdir(parents=True, exist_ok=True)
    clock = task.Clock()
    clock.advance(START)
    bus = MessageBus(clock, backlog=messagebus_backlog)
    fields = FieldRegistry()
    fields.register(SYSTEM_FIELDS + RRD_FIELDS + MESSAGE_FIELDS)
    credentials = Credentials(USER, password, origin, str(home / "kismet_httpd.conf"))
    sessions = SessionStore(clock, session_timeout, home / "session.db", max_sessions,
                            run=write_at_once)
    auth = Authenticator(credentials, sessions, auth_all)
    ticks = Ticks()
    cooperator = task.Cooperator(terminationPredicateFactory=one_unit_per_tick, scheduler=ticks)
    ctx = HttpContext(
        auth=auth,
        clock=clock,
        serializer=Serializer(fields.describe),
        max_body=max_body,
        cooperator=cooperator,
    )
    monitor = SystemMonitor(
        clock,
        server_name=server_name,
        server_description=server_description,
        server_location=server_location,
        device_count=device_count,
        num_fields=lambda: len(fields),
        num_connections=lambda: 1,
        num_components=lambda: 3,
        battery_root=battery_root if battery_root is not None else tmp_path / "no-power",
    )
    areas: list[Any] = [
        SystemArea(ctx, monitor, fields),
        SessionArea(ctx),
        MessagesArea(ctx, bus, clock),
    ]
    areas.extend(make(ctx) for make in extra_areas)
    root = ApiRoot(areas, uri_prefix=uri_prefix)
    return Server(clock, bus, fields, sessions, auth, ctx, monitor, root, home, ticks, areas)


@pytest.fixture
def make_server(tmp_path: Path) -> Callable[..., Server]:
    """Build a server with non-default options."""
    counter = iter(range(1_000))

    def make(**options: Any) -> Server:
        return build_server(tmp_path / f"server{next(counter)}", **options)

    return make


@pytest.fixture
def server(make_server: Callable[..., Server]) -> Server:
    """A server with the default configuration."""
    return make_server()


def lines(body: bytes) -> list[Any]:
    """Parse a one-object-per-line body; every line must be non-empty JSON."""
    assert body == b"" or body.endswith(b"\n")
    return [orjson.loads(line) for line in body.split(b"\n")[:-1]]


def records(n: int) -> Iterable[dict[str, Any]]:
    """``n`` small dotted-name records."""
    return ({"test.record.index": i, "test.record.name": f"rec.{i}"} for i in range(n))


def device_server(tmp_path: Path, tracking: Any) -> Server:
    """A server with the device and 802.11 areas over ``tracking`` (a ``Tracking``)."""
    from kismet_tx.http.devices import DevicesArea
    from kismet_tx.http.phy80211 import Phy80211Area

    return build_server(
        tmp_path, device_count=lambda: len(tracking.device_tracker),
        extra_areas=[lambda ctx: DevicesArea(ctx, tracking),
                     lambda ctx: Phy80211Area(ctx, tracking)])
