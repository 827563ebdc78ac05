"""``/plugins/all_plugins`` and every plugin's routes and static content under ``/plugin/NAME/``.

A request to ``/plugin/NAME/PATH`` goes to the plugin's route for ``PATH``
(``PATH.json``, ``PATH.msgpack``, ... for routes that serialize), else to a
file under its static directory (``/plugin/NAME/`` is ``index.html``), else
404. A route marked ``login`` answers 401 to anonymous callers; a handler's
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
from kismet_tx.http.csrf import check_csrf
from kismet_tx.http.errors import HttpError, MethodNotAllowed, NotFound, Unauthorized
from kismet_tx.http.results import Raw, Text
from kismet_tx.http.routing import ANY, GET_POST, ApiRequest, RouteInfo, endpoint
from kismet_tx.http.serialize import FORMATS
from kismet_tx.http.static import StaticFiles
from kismet_tx.plugins.api import PluginHttpError, PluginRequest, Route
from kismet_tx.plugins.manager import LoadedPlugin, PluginManager


class _PluginError(HttpError):
    """An error status chosen by a plugin."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status if 400 <= status <= 599 else 500


def _as_http(error: PluginHttpError) -> HttpError:
    return _PluginError(error.status, error.message)


class PluginsArea:
    """Plugin listing and plugin routes."""

    app = Klein()

    def __init__(self, ctx: HttpContext, manager: PluginManager) -> None:
        self.ctx = ctx
        self._manager = manager

    @endpoint(app, "/plugins/all_plugins", methods=GET_POST)
    def all_plugins(self, call: ApiRequest) -> Any:
        records = self._manager.records()
        spec = call.cmd.fields()
        return records if spec is None else list(spec.apply_many(records))

    @endpoint(app, "/plugin/<name>/", ext=None, methods=GET_POST)
    def plugin_index(self, call: ApiRequest, name: str) -> Any:
        return self._serve(call, name, "")

    @endpoint(app, "/plugin/<name>/<path:rest>", ext=None, methods=GET_POST)
    def plugin_path(self, call: ApiRequest, name: str, rest: str) -> Any:
        return self._serve(call, name, rest)

    def extra_routes(self) -> list[RouteInfo]:
        """Every active plugin's routes, for the route table."""
        return [_info(loaded, route) for loaded in self._manager.active()
                for route in loaded.api.routes.values()]

    # -- dispatch -----------------------------------------------------------------

    def _missing(self, call: ApiRequest) -> NotFound:
        return NotFound(call.request.path.decode("utf-8", "replace"))

    def _serve(self, call: ApiRequest, name: str, rest: str) -> Any:
        loaded = self._manager.get(name)
        if loaded is None:
            raise self._missing(call)
        method = call.request.method.decode("ascii", "replace")
        found = self._route(loaded, rest)
        if found is None:
            return self._static(call, loaded, rest, method)
        route, fmt = found
        if method not in route.methods:
            raise MethodNotAllowed(list(route.methods))
        info = _info(loaded, route)
        if not self.ctx.auth.allows(info.access, info.accepts, call.identity):
            raise Unauthorized()
        check_csrf(call.request, call.identity, info.command)
        request = PluginRequest(
            path=route.path, method=method, command=dict(call.cmd.data),
            query=dict(call.cmd.form), user=call.identity.user if call.identity else None,
            format=fmt)
        try:
            result = route.handler(request)
        except PluginHttpError as exc:
            raise _as_http(exc) from None
        if isinstance(result, defer.Deferred):
            result.addCallback(self._render, route, fmt)
            result.addErrback(self._failed)
            return result
        return self._render(result, route, fmt)

    @staticmethod
    def _route(loaded: LoadedPlugin, rest: str) -> tuple[Route, str] | None:
        routes = loaded.api.routes
        route = routes.get(rest)
        if route is not None:
            return route, "json"
        base, dot, suffix = rest.rpartition(".")
        if dot and suffix in FORMATS:
            route = routes.get(base)
            if route is not None and route.formats:
                return route, suffix
        return None

    def _render(self, value: Any, route: Route, fmt: str) -> Text:
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

    def _static(self, call: ApiRequest, loaded: LoadedPlugin, rest: str, method: str) -> Raw:
        """A file of the plugin's static directory, streamed as the web UI's are."""
        root = loaded.api.static_root
        if root is None:
            raise self._missing(call)
        files = StaticFiles(root, policy=None, cooperate=self.ctx.cooperate)
        target = files.find([segment.encode("utf-8") for segment in rest.split("/")])
        if target is None:
            raise self._missing(call)
        if method != "GET":
            raise MethodNotAllowed(["GET"])
        request = call.request
        body = files.serve(request, target)
        if body is None:
            raise self._missing(call)
        if body is not NOT_DONE_YET:
            request.write(body)
            request.finish()
        return Raw()


def _info(loaded: LoadedPlugin, route: Route) -> RouteInfo:
    """A plugin route as the route table has it: its access, and so its roles."""
    return RouteInfo(f"/plugin/{loaded.name}/{route.path}", route.methods,
                     Access.LOGIN if route.login else Access.PUBLIC,
                     ANY if route.formats else None, f"plugin:{loaded.name}:{route.path}")

