"""An in-memory server for testing a plugin on its own.

:class:`PluginHarness` hands a plugin the real :class:`~kismet_tx.plugins.api.PluginApi`
over a real packet chain, message bus, field registry and alert tracker, all
on a manual clock, with no network and no reactor::

    harness = PluginHarness(MyPlugin())
    harness.setup()
    harness.feed(frame_bytes, dlt=105)
    assert harness.call("stats")[0]["my.field"] == 1
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from twisted.internet import task
from twisted.python.failure import Failure

from kismet_tx.alerts.alerttracker import AlertTracker
from kismet_tx.chain import PacketChain, PacketSource
from kismet_tx.fields import FieldRegistry
from kismet_tx.messagebus import MessageBus
from kismet_tx.plugins import futures
from kismet_tx.plugins.api import PluginApi, PluginHost, PluginRequest

#: Clock time when a harness starts.
START = 1_700_000_000.0


@dataclass(frozen=True, slots=True)
class FakeSource:
    """The datasource a harness packet claims to come from."""

    uuid: str = "5FE308BD-0000-0000-0000-000000000001"
    source_name: str = "harness"


def resolved(value: Any) -> Any:
    """The value of a future that has resolved (or ``value`` itself if not a future)."""
    if not futures.is_future(value):
        return value
    out: list[Any] = []
    futures.add_callbacks(value, out.append, out.append)
    if not out:
        raise AssertionError("the future has not resolved; advance harness.clock")
    if isinstance(out[0], Failure):
        out[0].raiseException()
    return out[0]


class PluginHarness:
    """One plugin on an in-memory server."""

    def __init__(self, plugin: Any, *, with_alerts: bool = True) -> None:
        futures.use_twisted()
        self.plugin = plugin
        self.clock = task.Clock()
        self.clock.advance(START)
        self.bus = MessageBus(self.clock, backlog=1000)
        self.fields = FieldRegistry()
        self.chain = PacketChain(self.clock)
        self.alerts = AlertTracker(self.clock, self.bus) if with_alerts else None
        #: What ``api.location()`` returns; set it to a Location to simulate a fix.
        self.location: Any = None
        self.host = PluginHost(self.clock, self.bus, self.fields, self.chain,
                               alerts=lambda: self.alerts, location=lambda: self.location)
        self.api = PluginApi(plugin.name, self.host)

    def setup(self) -> Any:
        """Run the plugin's setup hook to completion."""
        return resolved(futures.as_future(self.plugin.setup, self.api))

    def teardown(self) -> Any:
        """Run the plugin's teardown hook (if any) and drop its registrations."""
        hook = getattr(self.plugin, "teardown", None)
        result = resolved(futures.as_future(hook)) if callable(hook) else None
        self.api.release()
        return result

    def feed(self, data: bytes, *, dlt: int = 105, ts: float | None = None,
             location: Any = None, source: Any = None) -> Any:
        """Run one captured frame through the chain; returns the chain packet."""
        origin: PacketSource = source or FakeSource()
        packet = self.chain.make_packet(origin,
                                        self.clock.seconds() if ts is None else ts, dlt, data)
        packet.location = location if location is not None else self.location
        self.chain.inject(packet)
        return packet

    def call(self, path: str, *, method: str = "GET",
             command: Mapping[str, Any] | None = None, query: Mapping[str, str] | None = None,
             user: str | None = None, fmt: str = "json") -> Any:
        """Call a route handler directly and return its (resolved) result."""
        route = self.api.routes.get(path.strip("/"))
        if route is None:
            raise KeyError(f"no route {path!r}; routes: {sorted(self.api.routes)}")
        if method not in route.methods:
            raise ValueError(f"route {path!r} does not take {method}")
        request = PluginRequest(route.path, method, dict(command or {}), dict(query or {}),
                                user, fmt)
        return resolved(futures.as_future(route.handler, request))

    def messages(self) -> list[str]:
        """Every message posted on the bus so far."""
        return [m.text for m in self.bus.messages()]

    def raised_alerts(self) -> list[Any]:
        """Every alert raised so far."""
        return [] if self.alerts is None else self.alerts.alerts()
