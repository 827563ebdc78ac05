"""The plugin API: what a plugin provides, and the :class:`PluginApi` it is handed.

A plugin is an object (or a class, instantiated with no arguments) with
``name``, ``description``, ``version``, ``author`` and a ``setup(api)`` hook;
``teardown()`` is optional. Declaring :class:`IKismetPlugin` (which extends
``twisted.plugin.IPlugin``) lets ``twisted.plugin`` discover it in a
``twisted/plugins/`` directory; a ``kismet_tx.plugins`` entry point or a
``plugin=module:object`` config line needs no declaration.

Hooks take and return txaio futures: ``setup`` and ``teardown`` may return a
future (or None), a route handler may return a future of its result, and a
packet callback may return a future whose failure is reported. With txaio on
Twisted a future is a Deferred, but a plugin only needs ``txaio`` to make one.
See ``docs/plugins.md``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twisted.plugin import IPlugin
from zope.interface import Attribute

from kismet_tx.alerts.alert import AlertError, AlertThrottled
from kismet_tx.chain import stage_position
from kismet_tx.fields import FieldDef, FieldRegistry
from kismet_tx.messagebus import ERROR, INFO, MessageBus
from kismet_tx.plugins import futures
from kismet_tx.webmodules import JsModuleError, JsModules

__all__ = [
    "IKismetPlugin",
    "PluginApi",
    "PluginError",
    "PluginHost",
    "PluginHttpError",
    "PluginRequest",
    "Route",
]

#: Chain position of plugin subscribers unless they ask otherwise (the chain's
#: ``plugins`` stage: after the trackers, before streams and logs).
DEFAULT_PACKET_PRIORITY = stage_position("plugins")


class IKismetPlugin(IPlugin):
    """A kismet_tx plugin."""

    name = Attribute("Short name: letters, digits, '-' and '_'; routes live under /plugin/NAME/")
    description = Attribute("One line saying what the plugin does")
    version = Attribute("Version string")
    author = Attribute("Author")

    def setup(api: PluginApi) -> Any:
        """Register routes, packet callbacks, alerts, fields and static content.

        Returns None or a txaio future; the plugin is active once it resolves.
        """


class PluginError(Exception):
    """A plugin asked for something the server cannot do; the message says why."""


class PluginHttpError(Exception):
    """Raised (or failed with) by a route handler: answer ``status`` with ``message``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class PluginRequest:
    """One HTTP request to a plugin route.

    ``path`` is the route path (``stats``), ``command`` the POST command
    dictionary (``json=``, ``msgpack=`` or a JSON body), ``query`` the query
    string or form fields, ``user`` the logged-in user (None when anonymous),
    ``format`` the serializer suffix asked for (``json``, ``msgpack``, ...).
    """

    path: str
    method: str
    command: Mapping[str, Any]
    query: Mapping[str, str]
    user: str | None
    format: str


@dataclass(frozen=True, slots=True)
class Route:
    """A plugin route: ``handler(request) -> result | future``."""

    path: str
    handler: Callable[[PluginRequest], Any]
    methods: tuple[str, ...]
    login: bool
    formats: bool


@dataclass
class PluginHost:
    """The server parts plugins reach, looked up when a plugin asks for them."""

    clock: Any
    bus: MessageBus
    fields: FieldRegistry
    chain: Any
    alerts: Callable[[], Any] = field(default=lambda: None)
    location: Callable[[], Any] = field(default=lambda: None)
    #: The web UI's module registry (``/dynamic.js``).
    js_modules: JsModules = field(default_factory=JsModules)


def _check_path(path: str) -> str:
    clean = path.strip("/")
    if not clean or any(part in ("", ".", "..") for part in clean.split("/")):
        raise PluginError(f"invalid route path {path!r}")
    return clean


def _unwatched() -> None:
    """What a :class:`PluginApi` nobody watches calls when its routes change."""


class PluginApi:
    """What one plugin may do; everything it registers is undone if it fails or stops.

    ``routes_changed`` is called whenever the plugin's routes change (one added,
    all released), so whoever serves them can follow.
    """

    def __init__(self, name: str, host: PluginHost,
                 routes_changed: Callable[[], None] = _unwatched) -> None:
        self.name = name
        self._host = host
        self._routes_changed = routes_changed
        self.routes: dict[str, Route] = {}
        self.static_root: Path | None = None
        self.js_module = ""
        self.web_modules: list[str] = []
        self.subscriptions: list[str] = []
        self.hook_failures = 0

    # -- HTTP ---------------------------------------------------------------------

    def add_route(self, path: str, handler: Callable[[PluginRequest], Any], *,
                  methods: Iterable[str] = ("GET",), login: bool = False,
                  formats: bool = True) -> str:
        """Serve ``handler`` at ``/plugin/NAME/PATH``; returns that URL path.

        With ``formats`` (the default) the route answers with every serializer
        suffix (``PATH.json``, ``PATH.msgpack``, ...) and a dict or list result
        is serialized; without, the exact path answers and the handler returns
        text or bytes. ``login`` requires a logged-in user. The handler may
        return a future; raising :class:`PluginHttpError` picks the status.
        """
        clean = _check_path(path)
        wanted = tuple(sorted({m.upper() for m in methods}))
        if not wanted or any(m not in ("GET", "POST") for m in wanted):
            raise PluginError(f"route {path!r}: methods must be GET and/or POST")
        if clean in self.routes:
            raise PluginError(f"route {path!r} is already registered")
        self.routes[clean] = Route(clean, handler, wanted, login, formats)
        self._routes_changed()
        return f"/plugin/{self.name}/{clean}"

    def add_static(self, directory: str | os.PathLike[str], *, js_module: str = "") -> None:
        """Serve the files under ``directory`` at ``/plugin/NAME/``.

        ``js_module`` names the plugin's web UI module (``kismet.plugin.jsmodule``).
        """
        root = Path(directory).resolve()
        if not root.is_dir():
            raise PluginError(f"static content directory {str(root)!r} does not exist")
        self.static_root = root
        self.js_module = js_module

    def register_js_module(self, module: str, path: str) -> None:
        """Have Kismet's web UI load ``path`` (relative to the web root, e.g.
        ``plugin/NAME/js/mine.js``) as the variable ``module`` (``/dynamic.js``)."""
        try:
            self._host.js_modules.register(module, path)
        except JsModuleError as exc:
            raise PluginError(str(exc)) from None
        self.web_modules.append(module)

    # -- packets -------------------------------------------------------------------

    def subscribe_packets(self, callback: Callable[[Any], Any], *,
                          priority: int = DEFAULT_PACKET_PRIORITY) -> None:
        """Call ``callback(packet)`` for every captured packet.

        The packet has ``ts``, ``dlt``, ``data``, ``length``, ``source``
        (``uuid``, ``source_name``), ``location`` (or None), ``error`` and
        ``decoded`` (the 802.11 frame, or None). A raised exception is
        counted and logged without stopping other subscribers; a returned
        future that fails is reported the same way.
        """
        name = f"plugin:{self.name}:{len(self.subscriptions)}"

        def deliver(packet: Any) -> None:
            result = callback(packet)
            if result is not None and futures.is_future(result):
                futures.add_callbacks(result, None, self._hook_failed)

        self._host.chain.subscribe(deliver, name, priority=priority)
        self.subscriptions.append(name)

    def _hook_failed(self, failure: Any) -> None:
        self.hook_failures += 1
        self._host.bus.post(f"Plugin '{self.name}': packet hook failed: "
                            f"{futures.failure_message(failure)}", ERROR)
        return None

    # -- alerts --------------------------------------------------------------------

    def _alerts(self) -> Any:
        alerts = self._host.alerts()
        if alerts is None:
            raise PluginError("this server has no alert tracker")
        return alerts

    def define_alert(self, header: str, description: str, *, klass: str = "OTHER",
                     severity: int = 5) -> None:
        """Define an alert kind (rate limits come from ``alert=`` lines, else the default)."""
        try:
            self._alerts().define(header, description, klass=klass, severity=severity)
        except AlertError as exc:
            raise PluginError(str(exc)) from None

    def raise_alert(self, header: str, text: str, *, bssid: str | bytes | None = None,
                    source: str | bytes | None = None, dest: str | bytes | None = None,
                    other: str | bytes | None = None, channel: str = "",
                    frequency: float = 0.0) -> bool:
        """Raise a defined alert; False when its rate limit holds it back."""
        try:
            self._alerts().raise_alert(header, text, bssid=bssid, source=source, dest=dest,
                                       other=other, channel=channel, frequency=frequency)
        except AlertThrottled:
            return False
        except (AlertError, ValueError) as exc:
            raise PluginError(str(exc)) from None
        return True

    # -- fields, messages, time, location ------------------------------------------

    def add_fields(self, fields: Iterable[FieldDef | tuple[str, str, str]]) -> None:
        """Document the fields the plugin emits (``/system/tracked_fields.html``)."""
        defs = [f if isinstance(f, FieldDef) else FieldDef(*f) for f in fields]
        try:
            self._host.fields.register(defs)
        except ValueError as exc:
            raise PluginError(str(exc)) from None

    def post_message(self, text: str, *, error: bool = False) -> None:
        """Post a message on the message bus, prefixed with the plugin's name."""
        self._host.bus.post(f"Plugin '{self.name}': {text}", ERROR if error else INFO)

    def now(self) -> float:
        """The server clock, seconds since the epoch."""
        return float(self._host.clock.seconds())

    def sleep(self, seconds: float) -> Any:
        """A future that resolves after ``seconds`` on the server clock."""
        future = futures.create_future()
        self._host.clock.callLater(seconds, futures.resolve, future, None)
        return future

    def location(self) -> Any:
        """The best GPS location (``lat``, ``lon``, ``alt``, ``fix``, ...), or None."""
        return self._host.location()

    # -- undo ------------------------------------------------------------------------

    def release(self) -> None:
        """Drop every route and packet subscription this plugin made."""
        for name in self.subscriptions:
            self._host.chain.unsubscribe(name)
        self.subscriptions.clear()
        self.routes.clear()
        self._routes_changed()
        self.static_root = None
        for module in self.web_modules:
            self._host.js_modules.unregister(module)
        self.web_modules.clear()
