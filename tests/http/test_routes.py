"""Routing, errors, streaming, and the system/session/messagebus endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgpack
import orjson
import pytest
from klein import Klein
from twisted.internet import defer
from twisted.internet.protocol import Protocol
from twisted.logger import globalLogPublisher
from twisted.python.failure import Failure
from twisted.web.client import ResponseDone

from kismet_tx.http import routetable
from kismet_tx.http.context import HttpContext
from kismet_tx.http.errors import BadRequest, NotFound
from kismet_tx.http.results import Listing, Raw, Text
from kismet_tx.http.routing import GET, GET_POST, ApiRequest, endpoint
from kismet_tx.messagebus import ALERT, ERROR, INFO

from .conftest import START, Server, basic, fired, lines

COMMON = {
    "Server": "Kismet",
    "Cache-Control": "no-cache",
    "Pragma": "no-cache",
    "Expires": "Sat, 01 Jan 2000 00:00:00 GMT",
}

NOT_FOUND = (
    "<html><head><title>404 not found</title></head><body><h1>404 Not Found</h1>"
    "<br><p>Could not find <code>{}</code></p></body></html>\n"
)
METHOD_BODY = (
    b"<html><head><title>405 Incorrect method</title></head><body>"
    b"<h1>405 Incorrect method</h1></body></html>\n"
)

SECRET = "db password is hunter2 at /etc/secret"


class ProbeArea:
    """Handlers that fail, defer and stream, to exercise the route wrapper."""

    app = Klein()

    def __init__(self, ctx: HttpContext) -> None:
        self.ctx = ctx
        self.pending: list[defer.Deferred[Any]] = []
        self.requests: list[Any] = []
        self.consumed = 0

    @endpoint(app, "/probe/boom", methods=GET_POST)
    def boom(self, call: ApiRequest) -> Any:
        raise RuntimeError(SECRET)

    @endpoint(app, "/probe/missing", methods=GET)
    def missing(self, call: ApiRequest) -> Any:
        raise NotFound("/probe/missing", "no such device key")

    @endpoint(app, "/probe/later", methods=GET)
    def later(self, call: ApiRequest) -> defer.Deferred[Any]:
        d: defer.Deferred[Any] = defer.Deferred()  # no canceller, as deferToThread
        self.pending.append(d)
        self.requests.append(call.request)
        return d

    @endpoint(app, "/probe/list", methods=GET_POST)
    def listing(self, call: ApiRequest) -> Listing:
        self.requests.append(call.request)
        count = int(call.cmd.form.get("n") or call.cmd.int("n", default=0))
        return Listing(self._items(count, int(call.cmd.form.get("fail_at", "-1"))))

    @endpoint(app, "/probe/refuse_lazily", methods=GET)
    def refuse_lazily(self, call: ApiRequest) -> Listing:
        def items() -> Iterator[Any]:
            raise BadRequest("Invalid regex: found out late")
            yield  # pragma: no cover

        return Listing(items())

    @endpoint(app, "/probe/text", ext="txt", methods=GET)
    def text(self, call: ApiRequest) -> Text:
        return Text("plain words\n", status=202)

    @endpoint(app, "/probe/raw", ext=None, methods=GET)
    def raw(self, call: ApiRequest) -> Raw:
        call.request.setHeader(b"Content-Type", b"application/octet-stream")
        call.request.write(b"\x00\x01")
        call.request.finish()
        return Raw()

    @endpoint(app, "/probe/raw_stream", ext=None, methods=GET)
    def raw_stream(self, call: ApiRequest) -> Raw:
        call.request.setHeader(b"Content-Type", b"application/octet-stream")
        call.request.write(b"head;")
        self.requests.append(call.request)
        return Raw()

    @endpoint(app, "/probe/args/<key>/thing", methods=GET)
    def args(self, call: ApiRequest, key: str) -> Any:
        return {"key": key, "args": call.args}

    def _items(self, n: int, fail_at: int) -> Iterator[dict[str, Any]]:
        for i in range(n):
            if i == fail_at:
                raise RuntimeError(SECRET)
            self.consumed += 1
            yield {"probe.index": i, "probe.name": f"item.{i}"}


@pytest.fixture
def probe_server(make_server: Any) -> Server:
    return make_server(extra_areas=[ProbeArea])


def probe(server: Server) -> ProbeArea:
    return next(a for a in server.areas if isinstance(a, ProbeArea))


@pytest.fixture
def logged() -> Iterator[list[dict[str, Any]]]:
    events: list[dict[str, Any]] = []
    globalLogPublisher.addObserver(events.append)
    yield events
    globalLogPublisher.removeObserver(events.append)


def failures(events: list[dict[str, Any]]) -> list[Failure]:
    return [e["log_failure"] for e in events if "log_failure" in e]


def has_fired(d: defer.Deferred[Any]) -> bool:
    seen: list[Any] = []
    d.addBoth(lambda result: seen.append(True) or result)
    return bool(seen)


def assert_common_headers(reply: Any) -> None:
    for name, value in COMMON.items():
        assert reply.header(name) == value, name


# -- routing and errors ----------------------------------------------------------


def test_common_headers_on_every_answer(probe_server: Server) -> None:
    replies = [
        probe_server.get("/system/status.json"),
        probe_server.get("/session/check_session"),
        probe_server.get("/session/check_login"),
        probe_server.get("/nowhere"),
        probe_server.request("DELETE", "/system/status.json"),
        probe_server.post("/system/status.json", json=[1]),
        probe_server.get("/probe/boom.json"),
        probe_server.get("/probe/text.txt"),
        probe_server.get("/probe/list.itjson?n=3"),
    ]
    for reply in replies:
        assert_common_headers(reply)


def test_wrong_verb_is_405_with_kismets_body(server: Server) -> None:
    for method, path in (
        ("DELETE", "/system/status.json"),
        ("PUT", "/system/timestamp.json"),
        ("POST", "/session/check_session"),
        ("GET", "/session/set_password"),
        ("POST", "/system/tracked_fields.html"),
    ):
        reply = server.request(method, path)
        assert reply.code == 405, (method, path)
        assert reply.body == METHOD_BODY
        assert reply.header("Content-Type") == "text/html; charset=utf-8"
    assert "POST" in server.request("DELETE", "/system/status.json").header("Allow")


def test_remembered_route_matches_answer_as_the_first_time(
        server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    # A memo of two outcomes per map: it starts over again and again here.
    monkeypatch.setattr(routetable, "MATCH_MEMO", 2)
    for _ in range(3):
        wrong = server.request("DELETE", "/system/status.json")
        assert wrong.code == 405 and "POST" in wrong.header("Allow")
        assert server.request("POST", "/session/check_session").code == 405
        assert server.get("/devices/nothing.json").code == 404
        assert server.get("/system/timestamp.json").code == 200


def test_a_flood_of_made_up_paths_is_remembered_within_bounds(
        server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(routetable, "MATCH_MEMO", 20)
    for number in range(50):
        assert server.get(f"/devices/made-up-{number}.json").code == 404
    maps = server.root._route_maps()
    counts = [route_map.remembered for route_map in maps]
    assert all(0 < count <= 20 for count in counts)
    # A long path is matched afresh each time, never remembered.
    long_path = "/devices/" + "x" * routetable.MEMO_PATH + ".json"
    assert server.get(long_path).code == 404
    assert [route_map.remembered for route_map in maps] == counts
    assert server.get("/system/timestamp.json").code == 200


def test_unknown_path_is_404_with_the_escaped_path(server: Server) -> None:
    reply = server.get("/devices/nothing.json")
    assert reply.code == 404
    assert reply.text == NOT_FOUND.format("/devices/nothing.json")
    assert reply.header("Content-Type") == "text/html; charset=utf-8"
    hostile = server.get('/x/%3Cscript%3Ealert(1)%3C/script%3E&a="b"')
    assert hostile.code == 404
    assert "<script>" not in hostile.text
    assert "&lt;script&gt;alert(1)&lt;" in hostile.text
    assert "&amp;a=&quot;b&quot;" in hostile.text


def test_runs_of_slashes_collapse(server: Server) -> None:
    assert server.get("//system//timestamp.json").json()["kismet.system.timestamp.sec"] == int(
        START
    )
    assert server.get("/session///check_setup_ok").code == 200


def test_percent_encoded_paths_are_decoded_before_routing(probe_server: Server) -> None:
    reply = probe_server.get("/messagebus/last-time/%2D10/messages.json")
    assert reply.code == 200
    assert probe_server.get("/system/%73tatus.json").code == 200
    got = probe_server.get("/probe/args/AA%3ABB%3ACC/thing.json").json()
    assert got == {"key": "AA:BB:CC", "args": {"key": "AA:BB:CC"}}


def test_uri_prefix_is_stripped(make_server: Any) -> None:
    server = make_server(uri_prefix="/kismet/")
    assert server.get("/kismet/system/timestamp.json").code == 200
    assert server.get("/system/timestamp.json").code == 200
    assert server.get("/kismetsystem/timestamp.json").code == 404


def test_unexpected_exception_is_a_bare_500_logged_with_traceback(
    probe_server: Server, logged: list[dict[str, Any]]
) -> None:
    for method in ("GET", "POST"):
        reply = probe_server.request(method, "/probe/boom.json")
        assert reply.code == 500
        assert reply.text == "ERROR: internal server error\n"
        assert "Traceback" not in reply.text and "hunter2" not in reply.text
    logged_failures = failures(logged)
    assert len(logged_failures) == 2
    assert logged_failures[0].check(RuntimeError)
    assert SECRET in logged_failures[0].getTraceback()
    # The server keeps serving.
    assert probe_server.get("/system/timestamp.json").code == 200


def test_http_errors_from_handlers_keep_their_status(probe_server: Server) -> None:
    reply = probe_server.get("/probe/missing.json")
    assert reply.code == 404
    assert "no such device key" in reply.text


def test_text_and_raw_results(probe_server: Server) -> None:
    reply = probe_server.get("/probe/text.txt")
    assert (reply.code, reply.text) == (202, "plain words\n")
    assert reply.header("Content-Type") == "text/plain; charset=utf-8"
    raw = probe_server.get("/probe/raw")
    assert (raw.code, raw.body) == (200, b"\x00\x01")
    assert raw.header("Content-Type") == "application/octet-stream"


# -- Deferred results --------------------------------------------------------------


def test_raw_stream_is_finished_by_its_writer(
    probe_server: Server, logged: list[dict[str, Any]]
) -> None:
    area = probe(probe_server)
    d = probe_server.send("GET", "/probe/raw_stream", unbuffered=True)
    probe_server.pump()
    response = fired(d)
    reader = Reader()
    response.deliverBody(reader)
    probe_server.pump()
    request = area.requests[0]
    assert not request.finished  # the route did not end the stream
    request.write(b"more;")
    request.finish()
    probe_server.pump()
    assert b"".join(reader.data) == b"head;more;"
    assert reader.lost and reader.lost[0].check(ResponseDone)
    # A client leaving a long stream is no error either.
    d = probe_server.send("GET", "/probe/raw_stream", unbuffered=True)
    probe_server.pump()
    reader = Reader()
    fired(d).deliverBody(reader)
    probe_server.pump()
    reader.transport.stopProducing()
    probe_server.pump()
    assert area.requests[1].channel is None
    assert failures(logged) == []


def test_deferred_result_is_serialized_when_it_fires(probe_server: Server) -> None:
    area = probe(probe_server)
    d = probe_server.send("GET", "/probe/later.ekjson")
    probe_server.pump()
    assert not has_fired(d)
    area.pending[0].callback([{"a.b": 1}, {"a.b": 2}])
    probe_server.pump()
    response = fired(d)
    body = fired(response.content())
    assert response.code == 200
    assert lines(body) == [{"a_b": 1}, {"a_b": 2}]
    # A Deferred may also end in a stream.
    d = probe_server.send("GET", "/probe/later.itjson")
    probe_server.pump()
    area.pending[1].callback(Listing({"n": i} for i in range(1000)))
    code, body = collect(probe_server, d)
    assert (code, len(lines(body)), lines(body)[-1]) == (200, 1000, {"n": 999})


def test_deferred_failure_becomes_its_error(
    probe_server: Server, logged: list[dict[str, Any]]
) -> None:
    area = probe(probe_server)
    first = probe_server.send("GET", "/probe/later.json")
    second = probe_server.send("GET", "/probe/later.json")
    probe_server.pump()
    area.pending[0].errback(BadRequest("bad key"))
    area.pending[1].errback(RuntimeError(SECRET))
    probe_server.pump()
    bad, fault = fired(first), fired(second)
    assert (bad.code, fired(bad.content())) == (400, b"Invalid request: bad key\n")
    assert (fault.code, fired(fault.content())) == (500, b"ERROR: internal server error\n")
    assert [f.type for f in failures(logged)] == [RuntimeError]


def test_client_leaving_cancels_a_deferred_quietly(
    probe_server: Server, logged: list[dict[str, Any]]
) -> None:
    area = probe(probe_server)
    d = probe_server.send("GET", "/probe/later.json")
    d.addErrback(lambda _: None)  # the client sees its own hang-up
    probe_server.pump()
    assert not area.pending[0].called
    area.requests[0].channel.transport.loseConnection()
    probe_server.pump()
    assert area.pending[0].called  # cancelled
    # The work finishing late must not try to answer a connection that is gone.
    area.pending[0].callback({"late": True})
    probe_server.pump()
    assert failures(logged) == []


# -- Listing streams -----------------------------------------------------------------


def collect(server: Server, d: defer.Deferred[Any]) -> tuple[int, bytes]:
    server.pump()
    response = fired(d)
    body = response.content()
    server.pump()
    return response.code, fired(body)


@pytest.mark.parametrize("fmt", ["json", "itjson", "ekjson", "tjson", "msgpack", "prettyjson"])
def test_large_listing_streams_completely(probe_server: Server, fmt: str) -> None:
    code, body = collect(probe_server, probe_server.send("GET", f"/probe/list.{fmt}?n=2000"))
    assert code == 200
    expect = [{"probe.index": i, "probe.name": f"item.{i}"} for i in range(2000)]
    if fmt == "itjson":
        assert lines(body) == expect
    elif fmt == "ekjson":
        assert lines(body) == [{"probe_index": i, "probe_name": f"item.{i}"} for i in range(2000)]
    elif fmt == "tjson":
        assert orjson.loads(body)[1999] == {"probe_index": 1999, "probe_name": "item.1999"}
    elif fmt == "msgpack":
        assert msgpack.unpackb(body) == expect
    elif fmt == "prettyjson":
        assert orjson.loads(body) == expect
    else:
        assert b"\n" not in body
        assert orjson.loads(body) == expect


def test_listing_wrapped_is_one_object(probe_server: Server) -> None:
    reply = probe_server.post("/probe/list.itjson", json={"n": 300, "wrapper": "data"})
    (only,) = lines(reply.body)
    assert list(only) == ["data"]
    assert [item["probe.index"] for item in only["data"]] == list(range(300))


def test_empty_listing(probe_server: Server) -> None:
    assert probe_server.get("/probe/list.json?n=0").body == b"[]"
    assert probe_server.get("/probe/list.itjson?n=0").body == b""


def test_listing_is_produced_lazily_and_honours_pause(probe_server: Server) -> None:
    area = probe(probe_server)
    d = probe_server.send("GET", "/probe/list.itjson?n=2000")
    probe_server.flush()
    probe_server.step(1)
    request = area.requests[0]
    assert 0 < area.consumed < 2000  # streamed, not built whole
    # The transport's buffer is full: the channel pauses the producer.
    request.channel.pauseProducing()
    paused_at = area.consumed
    probe_server.step(50)
    assert area.consumed == paused_at
    request.channel.resumeProducing()
    code, body = collect(probe_server, d)
    assert code == 200
    assert [item["probe.index"] for item in lines(body)] == list(range(2000))


class Reader(Protocol):
    """A client body reader that can hang up."""

    def __init__(self) -> None:
        self.data: list[bytes] = []
        self.lost: list[Failure] = []

    def dataReceived(self, data: bytes) -> None:
        self.data.append(data)

    def connectionLost(self, reason: Failure) -> None:  # type: ignore[override]
        self.lost.append(reason)


def test_client_disconnect_stops_the_stream(
    probe_server: Server, logged: list[dict[str, Any]]
) -> None:
    area = probe(probe_server)
    d = probe_server.send("GET", "/probe/list.itjson?n=100000", unbuffered=True)
    probe_server.flush()
    probe_server.step(2)
    response = fired(d)
    reader = Reader()
    response.deliverBody(reader)
    probe_server.step(2)
    assert reader.data
    reader.transport.stopProducing()  # the client hangs up mid-stream
    probe_server.pump()
    assert reader.lost
    stopped_at = area.consumed
    assert stopped_at < 100000
    probe_server.step(20)
    assert area.consumed == stopped_at
    assert not probe_server.ticks.pending()
    assert failures(logged) == []
    # The server keeps serving.
    assert probe_server.get("/probe/list.json?n=2").json()[1]["probe.index"] == 1


def test_stream_failing_before_any_write_gets_its_error(probe_server: Server) -> None:
    reply = probe_server.get("/probe/refuse_lazily.itjson")
    assert (reply.code, reply.text) == (400, "Invalid regex: found out late\n")
    early = probe_server.get("/probe/list.itjson?n=10&fail_at=3")
    assert (early.code, early.text) == (500, "ERROR: internal server error\n")


def test_stream_failing_midway_drops_the_connection(
    probe_server: Server, logged: list[dict[str, Any]]
) -> None:
    d = probe_server.send("GET", "/probe/list.itjson?n=2000&fail_at=1500")
    probe_server.pump()
    response = fired(d)
    assert response.code == 200
    body = response.content()
    probe_server.pump()
    outcome: list[Any] = []
    body.addBoth(outcome.append)
    assert isinstance(outcome[0], Failure)  # truncated: never a silently short list
    assert any(SECRET in f.getTraceback() for f in failures(logged))


# -- /system ---------------------------------------------------------------------------

#: Part B 2.6: every name /system/status carries (battery only with a battery).
STATUS_FIELDS = [
    "version",
    "git",
    "build_time",
    "user",
    "server_name",
    "server_description",
    "server_location",
    "timestamp.sec",
    "timestamp.usec",
    "timestamp.start_sec",
    "memory.rss",
    "memory.rrd",
    "devices.count",
    "devices.rrd",
    "num_fields",
    "num_components",
    "num_http_connections",
    "string_cache_size",
    "sensors.fan",
    "sensors.temp",
]
BATTERY_FIELDS = ["battery.percentage", "battery.charging", "battery.ac", "battery.remaining"]


def test_system_status_fields(make_server: Any) -> None:
    server = make_server(
        server_name="Rooftop",
        server_description="north mast",
        server_location="52.1,4.3",
        device_count=lambda: 17,
    )
    server.monitor.sample()
    status = server.get("/system/status.json").json()
    assert {f"kismet.system.{name}" for name in STATUS_FIELDS} <= set(status)
    # No battery here: Kismet's answer on mains power.
    assert status["kismet.system.battery.charging"] == "unknown"
    assert status["kismet.system.battery.ac"] == 1
    assert status["kismet.system.memory.rss"] > 0
    assert status["kismet.system.devices.count"] == 17
    assert status["kismet.system.server_name"] == "Rooftop"
    assert status["kismet.system.server_description"] == "north mast"
    assert status["kismet.system.server_location"] == "52.1,4.3"
    assert status["kismet.system.timestamp.sec"] == int(START)
    assert status["kismet.system.timestamp.usec"] == 250000
    assert status["kismet.system.num_fields"] == len(server.fields)
    rrd = status["kismet.system.devices.rrd"]
    assert rrd["kismet.common.rrd.last_value"] == 17
    assert len(rrd["kismet.common.rrd.minute_vec"]) == 60
    assert status["kismet.system.memory.rrd"]["kismet.common.rrd.last_value"] > 0


def fake_battery(
    root: Path, *, capacity: str = "81", status: str = "Discharging", mains_online: str = "0"
) -> Path:
    bat = root / "BAT0"
    bat.mkdir(parents=True)
    for name, value in (
        ("type", "Battery"),
        ("status", status),
        ("capacity", capacity),
        ("energy_now", "30000000"),
        ("power_now", "10000000"),
    ):
        (bat / name).write_text(value + "\n")
    ac = root / "AC"
    ac.mkdir()
    (ac / "type").write_text("Mains\n")
    (ac / "online").write_text(mains_online + "\n")
    return root


def test_system_status_battery_from_sysfs(make_server: Any, tmp_path: Path) -> None:
    root = fake_battery(tmp_path / "power_supply")
    status = make_server(battery_root=root).get("/system/status.json").json()
    assert {f"kismet.system.{name}" for name in BATTERY_FIELDS} <= set(status)
    assert status["kismet.system.battery.percentage"] == 81
    assert status["kismet.system.battery.charging"] == "discharging"
    assert status["kismet.system.battery.ac"] == 0
    assert status["kismet.system.battery.remaining"] == 3 * 3600


def test_system_status_with_fields_is_simplified(server: Server) -> None:
    reply = server.post(
        "/system/status.json",
        json={
            "fields": [
                "kismet.system.server_name",
                ["kismet.system.timestamp.sec", "now"],
                "kismet.system.devices.rrd/kismet.common.rrd.last_time",
                "kismet.system.no_such_field",
            ]
        },
    )
    assert reply.code == 200
    assert list(reply.json().items()) == [
        ("kismet.system.server_name", "Kismet"),
        ("now", int(START)),
        ("kismet.common.rrd.last_time", 0),
        ("kismet.system.no_such_field", 0),
    ]


def test_system_timestamp_follows_the_clock(server: Server) -> None:
    assert server.get("/system/timestamp.json").json() == {
        "kismet.system.timestamp.sec": int(START),
        "kismet.system.timestamp.usec": 250000,
    }
    server.clock.advance(10.5)
    assert server.post("/system/timestamp.json").json() == {
        "kismet.system.timestamp.sec": int(START) + 10,
        "kismet.system.timestamp.usec": 750000,
    }


def test_system_timestamp_never_rounds_to_an_earlier_second(server: Server) -> None:
    server.clock.advance(0.7499999)
    got = server.get("/system/timestamp.json").json()
    assert (got["kismet.system.timestamp.sec"], got["kismet.system.timestamp.usec"]) == (
        int(START) + 1,
        0,
    )


def test_user_status(make_server: Any) -> None:
    import getpass

    server = make_server(auth_all=True)
    for method in ("GET", "POST"):
        # Open to anyone, but the OS user name only after a login (issue 16).
        reply = server.request(method, "/system/user_status.json")
        assert reply.json() == {"kismet.system.user": ""}
        reply = server.request(method, "/system/user_status.json", headers=basic())
        assert reply.json() == {"kismet.system.user": getpass.getuser()}


def test_tracked_fields_lists_every_registered_field(server: Server) -> None:
    reply = server.get("/system/tracked_fields.html")
    assert reply.code == 200
    assert reply.header("Content-Type") == "text/html; charset=utf-8"
    html = reply.text
    assert f"<p>{len(server.fields)} registered fields.</p>" in html
    for item in server.fields:
        assert f"<tr><td>{item.name}</td><td>{item.type}</td>" in html
    for name in (
        "kismet.system.memory.rss",
        "kismet.messagebus.message_string",
        "kismet.common.rrd.minute_vec",
    ):
        assert f"<td>{name}</td>" in html
    assert server.get("/system/tracked_fields.json").code == 404


# -- /messagebus ----------------------------------------------------------------------


def post_at(server: Server, when: float, text: str, flags: int = INFO) -> None:
    server.clock.advance(when - server.clock.seconds())
    server.bus.post(text, flags)


def test_all_messages(server: Server) -> None:
    post_at(server, START, "one")
    post_at(server, START + 1, "two", ERROR)
    post_at(server, START + 2, "three", ALERT)
    got = server.get("/messagebus/all_messages.json").json()
    assert got == [
        {
            "kismet.messagebus.message_string": text,
            "kismet.messagebus.message_flags": flags,
            "kismet.messagebus.message_time": int(START) + i,
        }
        for i, (text, flags) in enumerate((("one", INFO), ("two", ERROR), ("three", ALERT)))
    ]


def test_all_messages_keeps_the_backlog(make_server: Any) -> None:
    server = make_server(messagebus_backlog=5)
    for i in range(8):
        server.bus.post(f"m{i}")
    got = server.get("/messagebus/all_messages.json").json()
    assert [m["kismet.messagebus.message_string"] for m in got] == [f"m{i}" for i in range(3, 8)]


def test_last_time_is_wrapped_and_filters_strictly(server: Server) -> None:
    base = 1_600_000_000
    for offset, text in ((0, "at 0"), (1, "at 1"), (2, "at 2")):
        post_at(server, base + offset + 0.9, text)
    reply = server.get(f"/messagebus/last-time/{base}.5/messages.json")
    got = reply.json()
    assert list(got) == ["kismet.messagebus.list", "kismet.messagebus.timestamp"]
    # 1600000000.5 is read as the long 1600000000; kept: ts < message_time.
    assert [m["kismet.messagebus.message_string"] for m in got["kismet.messagebus.list"]] == [
        "at 1",
        "at 2",
    ]
    assert got["kismet.messagebus.timestamp"] == base + 2


def test_last_time_negative_is_relative_to_now(server: Server) -> None:
    post_at(server, START, "old")
    post_at(server, START + 100, "recent")
    server.clock.advance(5)
    got = server.get("/messagebus/last-time/-10/messages.json").json()
    assert [m["kismet.messagebus.message_string"] for m in got["kismet.messagebus.list"]] == [
        "recent"
    ]
    assert got["kismet.messagebus.timestamp"] == int(START) + 105
    everything = server.post("/messagebus/last-time/0/messages.json").json()
    assert len(everything["kismet.messagebus.list"]) == 2


@pytest.mark.parametrize("ts", ["abc", "nan", "inf", "1e999", "12abc", "%20"])
def test_last_time_bad_timestamp_is_400(server: Server, ts: str) -> None:
    reply = server.get(f"/messagebus/last-time/{ts}/messages.json")
    assert reply.code == 400
    assert reply.text.startswith("Invalid request: timestamp must be a number")


def test_messages_as_kismet_rest_reads_them(server: Server) -> None:
    # Messages.all(): GET .../last-time/{sec}.{usec}/messages.json, parsed per line.
    server.bus.post("hello")
    reply = server.get("/messagebus/last-time/0.0/messages.json", headers=basic())
    (wrapper,) = [orjson.loads(line) for line in reply.body.splitlines()]
    assert wrapper["kismet.messagebus.list"][0]["kismet.messagebus.message_string"] == "hello"
    assert reply.cookie()
