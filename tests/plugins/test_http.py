"""``/plugins/all_plugins`` and ``/plugin/NAME/...`` over the real HTTP core."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgpack
import pytest

from kismet_tx.http.context import HttpContext
from kismet_tx.http.plugins import PluginsArea
from kismet_tx.plugins.manager import PluginManager
from tests.http.conftest import Server, basic, build_server

from .conftest import Host, make_host


@dataclass
class Bench:
    server: Server
    host: Host
    manager: PluginManager


@pytest.fixture
def bench(tmp_path: Path) -> Bench:
    made: dict[str, Any] = {}

    def area(ctx: HttpContext) -> PluginsArea:
        made["host"] = make_host(ctx.clock)
        made["manager"] = made["host"].manager("tests.plugins.samples:echo",
                                               "tests.plugins.samples:FailsInSetup")
        return PluginsArea(ctx, made["manager"])

    server = build_server(tmp_path, extra_areas=[area])
    made["manager"].startService()
    server.clock.advance(1)
    return Bench(server, made["host"], made["manager"])


def test_all_plugins_lists_the_active_ones(bench: Bench) -> None:
    listed = bench.server.get("/plugins/all_plugins.json").json()
    assert [p["kismet.plugin.name"] for p in listed] == ["echo"]
    packed = msgpack.unpackb(bench.server.get("/plugins/all_plugins.msgpack").body)
    assert packed[0]["kismet.plugin.version"] == "2.0"
    narrowed = bench.server.post("/plugins/all_plugins.json", data={
        "json": json.dumps({"fields": ["kismet.plugin.path"]})}).json()
    assert narrowed == [{"kismet.plugin.path": "/plugin/echo/"}]


def test_routes_serialize_by_suffix(bench: Bench) -> None:
    bench.host.packet()
    reply = bench.server.get("/plugin/echo/info.json?x=1")
    assert reply.code == 200
    assert reply.header("Content-Type") == "application/json"
    assert reply.json() == {"echo.count": 1, "path": "info", "method": "GET", "command": {},
                            "query": {"x": "1"}, "format": "json"}
    posted = bench.server.post("/plugin/echo/info.msgpack",
                               data={"json": json.dumps({"a": [1, 2]})})
    assert msgpack.unpackb(posted.body)["command"] == {"a": [1, 2]}
    lines = bench.server.get("/plugin/echo/info.ekjson").text
    assert '"echo_count":1' in lines
    assert bench.server.get("/plugin/echo/info").json()["format"] == "json"


def test_text_routes_static_content_and_unknown_paths(bench: Bench) -> None:
    hello = bench.server.get("/plugin/echo/hello.txt")
    assert (hello.code, hello.text) == (200, "hello\n")
    index = bench.server.get("/plugin/echo/")
    assert index.code == 200
    assert index.header("Content-Type") == "text/html; charset=utf-8"
    assert "<p>echo plugin</p>" in index.text
    script = bench.server.get("/plugin/echo/echo.js")
    assert script.text == 'console.log("echo module");\n'
    for path in ("/plugin/echo/nothing.html", "/plugin/echo/../samples.py",
                 "/plugin/echo/%2e%2e/samples.py", "/plugin/nobody/info.json",
                 "/plugin/fails-in-setup/orphan.json"):
        assert bench.server.get(path).code == 404, path
    assert bench.server.post("/plugin/echo/index.html").code == 405


def test_login_routes(bench: Bench) -> None:
    assert bench.server.get("/plugin/echo/secret.json").code == 401
    reply = bench.server.get("/plugin/echo/secret.json", headers=basic())
    assert reply.json() == {"user": "admin"}


def test_wrong_method(bench: Bench) -> None:
    reply = bench.server.post("/plugin/echo/hello.txt")
    assert reply.code == 405
    assert reply.header("Allow") == "GET"


def test_future_results_and_plugin_errors(bench: Bench) -> None:
    answers: list[Any] = []
    bench.server.send("GET", "/plugin/echo/later.json").addCallback(answers.append)
    bench.server.pump()
    assert answers == []
    bench.server.clock.advance(2)
    bench.server.pump()
    bodies: list[bytes] = []
    answers[0].content().addCallback(bodies.append)
    bench.server.pump()
    assert json.loads(bodies[0]) == {"waited": 2}
    teapot = bench.server.get("/plugin/echo/teapot.json")
    assert (teapot.code, teapot.text) == (418, "I'm a teapot\n")
    later = bench.server.get("/plugin/echo/async-teapot.json")
    assert (later.code, later.text) == (418, "still a teapot\n")
    crash = bench.server.get("/plugin/echo/crash.json")
    assert (crash.code, crash.text) == (500, "ERROR: internal server error\n")


def test_auth_all_covers_plugin_routes(tmp_path: Path) -> None:
    made: dict[str, Any] = {}

    def area(ctx: HttpContext) -> PluginsArea:
        made["manager"] = make_host(ctx.clock).manager("tests.plugins.samples:echo")
        return PluginsArea(ctx, made["manager"])

    server = build_server(tmp_path, auth_all=True, extra_areas=[area])
    made["manager"].startService()
    server.clock.advance(1)
    assert server.get("/plugin/echo/hello.txt").code == 401
    assert server.get("/plugin/echo/hello.txt", headers=basic()).code == 200
