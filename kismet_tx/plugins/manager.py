"""Finding, starting and stopping plugins.

Plugins come from three places, in this order:

1. ``twisted.plugin``: objects providing :class:`~kismet_tx.plugins.api.IKismetPlugin`
   in any ``twisted/plugins/`` directory on ``sys.path``;
2. entry points in the ``kismet_tx.plugins`` group of installed distributions;
3. ``plugin=module:object`` lines in kismet.conf (``module`` alone means
   ``module:plugin``).

A class is instantiated with no arguments. Each plugin's ``setup(api)`` runs
when the server starts; the plugin is active once the future it returns (if
any) resolves. A plugin that cannot be imported, is malformed, raises or
fails its future is reported on the message bus, everything it registered is
dropped, and the server carries on. On shutdown every active plugin's
``teardown()`` gets :data:`TEARDOWN_TIMEOUT` seconds in all.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from types import ModuleType
from typing import Any

from twisted.application.service import Service
from twisted.internet import defer
from twisted.logger import ILogObserver, LogEvent, Logger, globalLogPublisher
from twisted.plugin import getPlugins
from twisted.python.failure import Failure
from zope.interface import implementer

from kismet_tx.fields import FieldDef
from kismet_tx.messagebus import ERROR, INFO
from kismet_tx.plugins import futures
from kismet_tx.plugins.api import IKismetPlugin, PluginApi, PluginHost

_log = Logger(namespace="kismet_tx.plugins")

ENTRY_POINT_GROUP = "kismet_tx.plugins"
#: Seconds all plugins together get to tear down at shutdown.
TEARDOWN_TIMEOUT = 2.0
NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")

_P = "kismet.plugin."

PLUGIN_FIELDS = (
    FieldDef(_P + "name", "string", "plugin name"),
    FieldDef(_P + "description", "string", "plugin description"),
    FieldDef(_P + "author", "string", "plugin author"),
    FieldDef(_P + "version", "string", "plugin version"),
    FieldDef(_P + "shared_object", "string", "where the plugin was loaded from (module:object)"),
    FieldDef(_P + "http_helper", "string", "plugin http helper"),
    FieldDef(_P + "dirname", "string", "plugin directory name"),
    FieldDef(_P + "path", "string", "URL path of the plugin's routes and content"),
    FieldDef(_P + "jsmodule", "string", "plugin javascript module"),
    FieldDef(_P + "origin", "string",
             "how the plugin was found: twisted.plugin, entry point or config (kismet_tx)"),
)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A plugin found but not yet loaded."""

    origin: str
    reference: str
    load: Callable[[], Any]


@dataclass
class LoadedPlugin:
    """A plugin object, its API handle and whether setup has finished."""

    plugin: Any
    api: PluginApi
    origin: str
    reference: str
    active: bool = False

    @property
    def name(self) -> str:
        return self.api.name

    def record(self) -> dict[str, Any]:
        """The ``kismet.plugin.*`` record."""
        plugin = self.plugin
        return {
            _P + "name": self.name,
            _P + "description": str(getattr(plugin, "description", "")),
            _P + "author": str(getattr(plugin, "author", "")),
            _P + "version": str(getattr(plugin, "version", "")),
            _P + "shared_object": self.reference,
            _P + "http_helper": "",
            _P + "dirname": self.name,
            _P + "path": f"/plugin/{self.name}/",
            _P + "jsmodule": self.api.js_module,
            _P + "origin": self.origin,
        }


def _reference(obj: Any) -> str:
    module = getattr(obj, "__module__", None) or type(obj).__module__
    name = getattr(obj, "__qualname__", None) or type(obj).__qualname__
    return f"{module}:{name}"


def _import(reference: str) -> Any:
    module_name, _, attribute = reference.partition(":")
    module = importlib.import_module(module_name.strip())
    target: Any = module
    for part in (attribute.strip() or "plugin").split("."):
        target = getattr(target, part)
    return target


def _same(plugin: object) -> object:
    """A discovered plugin object, as a candidate's loader gives it."""
    return plugin


def _failure_text(failure: Failure) -> str:
    where = ""
    if failure.frames:
        where = f" ({failure.frames[-1][1]}:{failure.frames[-1][2]})"
    kind = failure.type.__name__ if failure.type is not None else "Exception"
    return f"{kind}: {failure.getErrorMessage()}{where}"


class PluginManager(Service):
    """Loads plugins at start, serves their records, stops them at shutdown."""

    def __init__(self, host: PluginHost, *, configured: Sequence[str] = (),
                 discover: bool = True, twisted_package: ModuleType | None = None,
                 entry_point_group: str = ENTRY_POINT_GROUP) -> None:
        super().__init__()
        self.setName("plugins")
        futures.use_twisted()
        self._host = host
        self._configured = list(configured)
        self._discover = discover
        self._package = twisted_package
        self._group = entry_point_group
        self._plugins: dict[str, LoadedPlugin] = {}
        self._route_watchers: list[Callable[[str], None]] = []
        self.failures: list[str] = []

    def watch_routes(self, watcher: Callable[[str], None]) -> None:
        """Call ``watcher(name)`` whenever the routes plugin ``name`` serves may have
        changed: it became active, added a route, failed or stopped (then
        :meth:`get` no longer gives it, or its routes are gone)."""
        self._route_watchers.append(watcher)

    def _routes_changed(self, name: str) -> None:
        for watcher in list(self._route_watchers):
            watcher(name)

    # -- discovery ---------------------------------------------------------------------

    def candidates(self) -> list[Candidate]:
        """Every plugin found; discovery errors are reported as load failures."""
        found: list[Candidate] = []
        if self._discover:
            found.extend(self._from_twisted())
            found.extend(self._from_entry_points())
        for reference in self._configured:
            found.append(Candidate("config", reference, partial(_import, reference)))
        return found

    def _from_twisted(self) -> list[Candidate]:
        errors: list[Failure] = []

        @implementer(ILogObserver)
        def collect(event: LogEvent) -> None:
            # twisted.plugin reports with the legacy log.err(): "failure", not "log_failure".
            failure = event.get("log_failure") or event.get("failure")
            if isinstance(failure, Failure):
                errors.append(failure)

        globalLogPublisher.addObserver(collect)
        try:
            plugins = list(getPlugins(IKismetPlugin, self._package))
        finally:
            globalLogPublisher.removeObserver(collect)
        for failure in errors:
            self._report("twisted.plugin module", f"could not be imported: "
                         f"{_failure_text(failure)}")
        return [Candidate("twisted.plugin", _reference(p), partial(_same, p)) for p in plugins]

    def _from_entry_points(self) -> list[Candidate]:
        return [Candidate("entry point", f"{ep.value} ({ep.name})", ep.load)
                for ep in importlib.metadata.entry_points(group=self._group)]

    # -- loading -----------------------------------------------------------------------

    def load(self, candidate: Candidate) -> LoadedPlugin | None:
        """Instantiate and set up one plugin; failures are reported, never raised."""
        label = f"{candidate.origin} {candidate.reference}"
        try:
            plugin = candidate.load()
            if isinstance(plugin, type):
                plugin = plugin()
        except Exception:
            self._report(label, f"could not be loaded: {_failure_text(Failure())}")
            return None
        name = getattr(plugin, "name", None)
        if not isinstance(name, str) or not NAME_RE.fullmatch(name):
            self._report(label, f"has no valid name (letters, digits, '-' and '_'): {name!r}")
            return None
        if not callable(getattr(plugin, "setup", None)):
            self._report(label, f"plugin '{name}' has no setup(api) hook")
            return None
        known = self._plugins.get(name)
        if known is not None:
            if type(known.plugin) is not type(plugin):
                self._report(label, f"a plugin named '{name}' is already loaded from "
                             f"{known.origin} {known.reference}")
            return None
        api = PluginApi(name, self._host, partial(self._routes_changed, name))
        loaded = LoadedPlugin(plugin, api, candidate.origin, candidate.reference)
        self._plugins[name] = loaded
        started = futures.as_future(plugin.setup, loaded.api)
        futures.add_callbacks(started, lambda _: self._activated(loaded),
                            lambda failure: self._setup_failed(loaded, failure))
        return loaded

    def _activated(self, loaded: LoadedPlugin) -> None:
        if self._plugins.get(loaded.name) is not loaded:
            return
        loaded.active = True
        self._routes_changed(loaded.name)
        version = getattr(loaded.plugin, "version", "")
        self._host.bus.post(f"Plugin '{loaded.name}' {version} loaded from {loaded.origin} "
                            f"{loaded.reference}", INFO)

    def _setup_failed(self, loaded: LoadedPlugin, failure: Failure) -> None:
        if self._plugins.get(loaded.name) is loaded:
            del self._plugins[loaded.name]
        loaded.api.release()
        self._report(f"'{loaded.name}' ({loaded.origin} {loaded.reference})",
                     f"failed to start: {_failure_text(failure)}")
        return None

    def _report(self, what: str, text: str) -> None:
        message = f"Plugin {what} {text}"
        self.failures.append(message)
        self._host.bus.post(message, ERROR)

    # -- queries ----------------------------------------------------------------------

    def get(self, name: str) -> LoadedPlugin | None:
        """An active plugin by name."""
        loaded = self._plugins.get(name)
        return loaded if loaded is not None and loaded.active else None

    def active(self) -> list[LoadedPlugin]:
        """Every active plugin, in load order."""
        return [p for p in self._plugins.values() if p.active]

    def records(self) -> list[dict[str, Any]]:
        """``/plugins/all_plugins``."""
        return [p.record() for p in self.active()]

    # -- lifecycle ---------------------------------------------------------------------

    def startService(self) -> None:
        Service.startService(self)
        for candidate in self.candidates():
            self.load(candidate)

    def stopService(self) -> Any:
        Service.stopService(self)
        stopping = []
        for loaded in list(self._plugins.values()):
            teardown = getattr(loaded.plugin, "teardown", None)
            if callable(teardown):
                done = futures.as_future(teardown)
                futures.add_callbacks(done, None, partial(self._teardown_failed, loaded.name))
                stopping.append(done)
            del self._plugins[loaded.name]
            loaded.api.release()
        if not stopping:
            return None
        everything: defer.Deferred[Any] = futures.gather(stopping, consume_exceptions=True)
        everything.addTimeout(TEARDOWN_TIMEOUT, self._host.clock,
                              onTimeoutCancel=self._teardown_timeout)
        everything.addCallback(lambda _: None)
        return everything

    def _teardown_failed(self, name: str, failure: Failure) -> None:
        _log.error("plugin {name} teardown failed: {why}", name=name,
                   why=_failure_text(failure))
        return None

    def _teardown_timeout(self, result: Any, timeout: float) -> None:
        self._host.bus.post(f"Plugins did not tear down within {timeout:g} s; stopping anyway",
                            ERROR)
        return None
