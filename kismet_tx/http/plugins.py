"""``/plugins/all_plugins``, every plugin's routes and its static content under ``/plugin/NAME/``.

Each active plugin's routes are :class:`~kismet_tx.http.routetable.RuntimeRoutes`
of this area, matched by the root and answered by ``dispatch`` like any route:
``/plugin/NAME/PATH`` (and ``PATH.json``, ``PATH.msgpack``, ... for routes that
serialize), with the access their ``login`` flag declares. They follow the plugin
manager: a plugin's routes appear when it becomes active and go when it fails
or stops. Any other path under ``/plugin/NAME/`` is a file under the plugin's
static directory (``/plugin/NAME/`` is ``index.html``), else 404. A handler's
:class:`~kismet_tx.plugins.api.PluginHttpError` becomes its status and text.
"""

from __future__ import annotations

from typing import Any

from klein import Klein
from twisted.internet import defer
from twisted.python.failure import Failure
from twisted.web.server import NOT_DONE_YET

from kismet_tx.http.auth import Access
from kismet_tx.http.context import HttpContext
from kismet_tx.http.errors import HttpError, MethodNotAllowed, NotFound
from kismet_tx.http.results import Raw, Text
from kismet_tx.http.routetable import RuntimeRoute, RuntimeRoutes
from kismet_tx.http.routing import ANY, GET_POST, ApiRequest, RouteInfo, endpoint
from kismet_tx.http.static import StaticFiles
from kismet_tx.plugins.api import PluginHttpError, PluginRequest, Route
from kismet_tx.plugins.manager import PluginManager


class _PluginError(HttpError):
    """An error status chosen by a plugin."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status if 400 <= status <= 599 else 500


def _as_http(error: PluginHttpError) -> HttpError:
    return _PluginError(error.status, error.message)


class PluginsArea:
    """Plugin listing, plugin routes (run-time routes of this area) and static content."""

    app = Klein()

    def __init__(self, ctx: HttpContext, manager: PluginManager) -> None:
        self.ctx = ctx
        self.plugins = manager
        #: Each active plugin's routes, matched just before this area's own.
        self.runtime_routes = RuntimeRoutes(ctx)
        manager.watch_routes(self._follow)
        for loaded in manager.active():
            self._follow(loaded.name)

    @endpoint(app, "/plugins/all_plugins", methods=GET_POST)
    def all_plugins(self, call: ApiRequest) -> Any:
        records = self.plugins.records()
        spec = call.cmd.fields()
        return records if spec is None else list(spec.apply_many(records))

    @endpoint(app, "/plugin/<name>/", ext=None, methods=GET_POST)
    def plugin_index(self, call: ApiRequest, name: str) -> Raw:
        return self._static(call, name, "")

    @endpoint(app, "/plugin/<name>/<path:rest>", ext=None, methods=GET_POST)
    def plugin_file(self, call: ApiRequest, name: str, rest: str) -> Raw:
        return self._static(call, name, rest)

    # -- plugin routes ------------------------------------------------------------

    def _follow(self, name: str) -> None:
        """Serve the routes plugin ``name`` has now (none unless it is active)."""
        loaded = self.plugins.get(name)
        routes = () if loaded is None else loaded.api.routes.values()
        self.runtime_routes.replace(name, [
            RuntimeRoute(info, self._handler(route))
            for route in routes for info in route_infos(name, route)])

    def _handler(self, route: Route) -> Any:
        def answer(call: ApiRequest) -> Any:
            return self._answer(route, call)

        return answer

    def _answer(self, route: Route, call: ApiRequest) -> Any:
        request = PluginRequest(
            path=route.path, method=call.request.method.decode("ascii", "replace"),
            command=dict(call.cmd.data), query=dict(call.cmd.form),
            user=call.identity.user if call.identity else None, format=call.fmt)
        try:
            result = route.handler(request)
        except PluginHttpError as exc:
            raise _as_http(exc) from None
        if isinstance(result, defer.Deferred):
            result.addCallback(self._render, call.fmt)
            result.addErrback(self._failed)
            return result
        return self._render(result, call.fmt)

    def _render(self, value: Any, fmt: str) -> Text:
        if isinstance(value, (str, bytes)):
            return Text(value)
        if value is None:
            return Text("OK\n")
        serializer = self.ctx.serializer
        return Text(serializer.encode(value, fmt), content_type=serializer.content_type(fmt))

    @staticmethod
    def _failed(failure: Failure) -> Failure:
        if isinstance(failure.value, PluginHttpError):
            return Failure(_as_http(failure.value))
        return failure

    # -- static content -------------------------------------------------------------

    def _static(self, call: ApiRequest, name: str, rest: str) -> Raw:
        """A file of the plugin's static directory, streamed as the web UI's are."""
        loaded = self.plugins.get(name)
        root = None if loaded is None else loaded.api.static_root
        if root is None:
            raise _missing(call)
        files = StaticFiles(root, policy=None, cooperate=self.ctx.cooperate)
        target = files.find([segment.encode("utf-8") for segment in rest.split("/")])
        if target is None:
            raise _missing(call)
        if call.request.method != b"GET":
            raise MethodNotAllowed(["GET"])
        request = call.request
        body = files.serve(request, target)
        if body is None:
            raise _missing(call)
        if body is not NOT_DONE_YET:
            request.write(body)
            request.finish()
        return Raw()


def _missing(call: ApiRequest) -> NotFound:
    return NotFound(call.request.path.decode("utf-8", "replace"))


def route_infos(name: str, route: Route) -> list[RouteInfo]:
    """A plugin route as the route table has it: ``/plugin/NAME/PATH`` (answered as
    JSON), and ``PATH.<suffix>`` for every serializer when it serializes; its access,
    and so its roles, from its ``login`` flag."""
    path = f"/plugin/{name}/{route.path}"
    access = Access.LOGIN if route.login else Access.PUBLIC
    label = f"plugin:{name}:{route.path}"
    exact = RouteInfo(path, route.methods, access, None, label)
    if not route.formats:
        return [exact]
    return [exact, RouteInfo(path, route.methods, access, ANY, label)]
