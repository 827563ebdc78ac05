"""The one root: mounts every REST area and answers what none of them takes.

Areas register full Kismet paths on their own Klein apps, and several areas
share a prefix (``/devices/...`` holds device, stream and alert routes), so
the root asks each area's URL map in turn and hands the request to the first
that matches. When none does, GET and HEAD fall back to the web UI's static
files (no login, as in Kismet); then comes Kismet's 405 when only the verb is
wrong, else its 404. Routes answer GET and POST only: HEAD, OPTIONS, TRACE
and any other verb on a route get Kismet's 405 with an ``Allow`` header (the
router would otherwise answer HEAD as a GET; Kismet answers it 405 too).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote_to_bytes

from klein import Klein
from twisted.web.resource import Resource
from werkzeug.exceptions import MethodNotAllowed as WerkzeugMethodNotAllowed
from werkzeug.exceptions import NotFound as WerkzeugNotFound
from werkzeug.routing import RequestRedirect

from kismet_tx.http.errors import HttpError, MethodNotAllowed, NotFound
from kismet_tx.http.results import common_headers, write_error
from kismet_tx.http.routing import RouteInfo, routes_of
from kismet_tx.http.static import StaticFiles

_SLASHES = re.compile(rb"/{2,}")


class ApiRoot(Resource):
    """Dispatches each request to the area whose routes match it."""

    isLeaf = True

    def __init__(self, areas: Sequence[Any], uri_prefix: str = "",
                 static: StaticFiles | None = None) -> None:
        super().__init__()
        self._areas = [(area, area.app.resource()) for area in areas]
        self._prefix = uri_prefix.rstrip("/").encode()
        self._static = static

    def route_table(self) -> list[RouteInfo]:
        """Every registered route of every area, and the routes areas add at run time
        (``extra_routes()``, e.g. each plugin's)."""
        table: list[RouteInfo] = []
        for area, _ in self._areas:
            table.extend(routes_of(area))
            extra = getattr(area, "extra_routes", None)
            if extra is not None:
                table.extend(extra())
        return table

    def _normalise(self, request: Any) -> str:
        path = _SLASHES.sub(b"/", request.path)
        if self._prefix and path.startswith(self._prefix + b"/"):
            path = path[len(self._prefix):]
        # Percent-decode each segment, as twisted.web does for postpath: Klein
        # matches on the decoded segments, so the dispatch here must too.
        request.prepath = []
        request.postpath = [unquote_to_bytes(segment) for segment in path.split(b"/")[1:]]
        return (b"/" + b"/".join(request.postpath)).decode("utf-8", "replace")

    def render(self, request: Any) -> Any:
        common_headers(request)
        path = self._normalise(request)
        method = request.method.decode("ascii", "replace")
        allowed: set[str] = set()
        if method not in ROUTE_METHODS:
            allowed = self._route_methods(path)
            if allowed:
                return _error(request, MethodNotAllowed(sorted(allowed)))
        for area, resource in self._areas:
            app: Klein = area.app
            adapter = app.url_map.bind("localhost", path_info=path)
            try:
                adapter.match(path, method=method)
            except WerkzeugMethodNotAllowed as exc:
                allowed.update(exc.valid_methods or [])
                continue
            except WerkzeugNotFound:
                continue
            except RequestRedirect:
                return resource.render(request)
            return resource.render(request)
        if self._static is not None and method in ("GET", "HEAD"):
            body = self._static.render(request, request.postpath)
            if body is not None:
                return body
        if allowed:
            return _error(request, MethodNotAllowed(sorted(allowed)))
        return _error(request, NotFound(path))


    def _route_methods(self, path: str) -> set[str]:
        """The verbs the routes matching ``path`` take (empty when none matches)."""
        methods: set[str] = set()
        for area, _ in self._areas:
            adapter = area.app.url_map.bind("localhost", path_info=path)
            for method in ROUTE_METHODS:
                try:
                    adapter.match(path, method=method)
                except (WerkzeugMethodNotAllowed, WerkzeugNotFound):
                    continue
                except RequestRedirect:
                    pass
                methods.add(method)
        return methods


#: The verbs API routes answer.
ROUTE_METHODS = ("GET", "POST")


def _error(request: Any, error: HttpError) -> bytes:
    """An error answer; a HEAD gets its headers and length but no body."""
    body = write_error(request, error)
    if request.method == b"HEAD":
        request.setHeader(b"Content-Length", str(len(body)).encode("ascii"))
        return b""
    return body
