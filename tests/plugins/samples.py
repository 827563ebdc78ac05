"""Plugins used by the plugin tests (loaded through ``plugin=tests.plugins.samples:NAME``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import txaio
from zope.interface import implementer

from kismet_tx.plugins.api import IKismetPlugin, PluginApi, PluginHttpError, PluginRequest

STATIC = Path(__file__).resolve().parent / "static"


@implementer(IKismetPlugin)
class Echo:
    """Routes of every kind, a packet counter, a field, static content."""

    name = "echo"
    description = "echoes requests"
    version = "2.0"
    author = "tests"

    def __init__(self) -> None:
        self.packets = 0
        self.api: PluginApi | None = None
        self.torn_down = False

    def setup(self, api: PluginApi) -> Any:
        self.api = api
        api.add_fields([("echo.count", "uint64", "packets counted")])
        api.add_route("info", self.info, methods=("GET", "POST"))
        api.add_route("secret", lambda request: {"user": request.user}, login=True)
        api.add_route("hello.txt", lambda request: "hello\n", formats=False)
        api.add_route("later", self.later)
        api.add_route("teapot", self.teapot)
        api.add_route("async-teapot", self.async_teapot)
        api.add_route("crash", self.crash)
        api.add_static(STATIC, js_module="echo_module")
        api.subscribe_packets(self.count)
        return api.sleep(1)

    def teardown(self) -> Any:
        self.torn_down = True
        return txaio.create_future_success(None)

    def count(self, packet: Any) -> None:
        self.packets += 1

    def info(self, request: PluginRequest) -> dict[str, Any]:
        return {"echo.count": self.packets, "path": request.path, "method": request.method,
                "command": dict(request.command), "query": dict(request.query),
                "format": request.format}

    def later(self, request: PluginRequest) -> Any:
        assert self.api is not None
        return txaio.add_callbacks(self.api.sleep(2), lambda _: {"waited": 2}, None)

    def teapot(self, request: PluginRequest) -> Any:
        raise PluginHttpError(418, "I'm a teapot")

    def async_teapot(self, request: PluginRequest) -> Any:
        return txaio.create_future_error(PluginHttpError(418, "still a teapot"))

    def crash(self, request: PluginRequest) -> Any:
        raise RuntimeError("plugin bug")


class FailsInSetup:
    name = "fails-in-setup"
    description = "raises in setup after registering things"
    version = "1"
    author = "tests"

    def setup(self, api: PluginApi) -> Any:
        api.add_route("orphan", lambda request: "never")
        api.subscribe_packets(lambda packet: None)
        raise RuntimeError("cannot find my configuration")


class FailsLater:
    name = "fails-later"
    description = "setup future fails"
    version = "1"
    author = "tests"

    def setup(self, api: PluginApi) -> Any:
        api.add_route("orphan", lambda request: "never")
        return txaio.add_callbacks(api.sleep(1), self._boom, None)

    @staticmethod
    def _boom(_: Any) -> None:
        raise ValueError("the hardware did not answer")


class BadHook:
    name = "bad-hook"
    description = "packet hooks that fail"
    version = "1"
    author = "tests"

    def setup(self, api: PluginApi) -> None:
        api.subscribe_packets(lambda packet: txaio.create_future_error(KeyError("nope")))
        api.subscribe_packets(self.raises)

    @staticmethod
    def raises(packet: Any) -> None:
        raise ZeroDivisionError("sync")


class SlowTeardown:
    name = "slow-teardown"
    description = "teardown never finishes"
    version = "1"
    author = "tests"

    def setup(self, api: PluginApi) -> None:
        return None

    def teardown(self) -> Any:
        return txaio.create_future()


class Alerting:
    name = "alerting"
    description = "defines and raises an alert"
    version = "1"
    author = "tests"

    def setup(self, api: PluginApi) -> None:
        api.define_alert("ALERTING_TEST", "a test alert", klass="SYSTEM", severity=10)
        api.add_route("fire", self.fire)
        self.api = api

    def fire(self, request: PluginRequest) -> dict[str, bool]:
        return {"raised": self.api.raise_alert("ALERTING_TEST", "fired from a test",
                                               source="02:00:00:00:00:01")}


class Nameless:
    description = "no name"

    def setup(self, api: PluginApi) -> None:
        return None


not_a_plugin = 42
echo = Echo
