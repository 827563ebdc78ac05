"""The one root: mounts every REST area and answers what none of them takes.

Areas register full Kismet paths on their own Klein apps, and several areas
share a prefix (``/devices/...`` holds device, stream and alert routes), so
the root keeps its own route table (each area's :class:`RouteInfo` rules, one
werkzeug map per area), asks each area in turn and hands the request to the
first that matches (its Klein resource renders it). When none does, GET and
HEAD fall back to the web UI's static files (no login, as in Kismet); then
comes Kismet's 405 when only the verb is wrong, else its 404. Routes answer GET
and POST only: HEAD, OPTIONS, TRACE and any other verb on a route get Kismet's
405 with an ``Allow`` header (the router would otherwise answer HEAD as a GET;
Kismet answers it 405 too).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote_to_bytes

from twisted.web.iweb import IRequest
from twisted.web.resource import IResource, Resource
from werkzeug.exceptions import MethodNotAllowed as WerkzeugMethodNotAllowed
from werkzeug.exceptions import NotFound as WerkzeugNotFound
from werkzeug.routing import Map, RequestRedirect, Rule

from kismet_tx.http.errors import HttpError, MethodNotAllowed, NotFound
from kismet_tx.http.results import common_headers, write_error
from kismet_tx.http.routing import RouteInfo, routes_of
from kismet_tx.http.static import StaticFiles

_SLASHES = re.compile(rb"/{2,}")


class MountedArea:
    """One area under the root: its routes, their werkzeug map, its Klein resource."""

    def __init__(self, area: Any) -> None:
        self.area = area
        self.routes = routes_of(area)
        self.map = Map([Rule(info.rule, methods=list(info.methods), strict_slashes=False,
                             endpoint=info.name) for info in self.routes])
        self.resource: IResource = area.app.resource()

    def match(self, path: str, method: str) -> bool:
        """Whether a route takes ``method`` on ``path``; werkzeug's MethodNotAllowed
        (with the verbs that would do) when only the verb is wrong."""
        adapter = self.map.bind("localhost", path_info=path)
        try:
            adapter.match(path, method=method)
        except WerkzeugNotFound:
            return False
        except RequestRedirect:
            return True
        return True


class ApiRoot(Resource):
    """Dispatches each request to the area whose routes match it."""

    isLeaf = True

    def __init__(self, areas: Sequence[Any], uri_prefix: str = "",
                 static: StaticFiles | None = None) -> None:
        Resource.__init__(self)
        self._areas = [MountedArea(area) for area in areas]
        self._prefix = uri_prefix.rstrip("/").encode()
        self._static = static

    def route_table(self) -> list[RouteInfo]:
        """Every registered route of every area, and the routes areas add at run time
        (``extra_routes()``, e.g. each plugin's)."""
        table: list[RouteInfo] = []
        for mounted in self._areas:
            table.extend(mounted.routes)
            extra = getattr(mounted.area, "extra_routes", None)
            if extra is not None:
                table.extend(extra())
        return table

    def _normalise(self, request: IRequest) -> str:
        path = _SLASHES.sub(b"/", request.path)
        if self._prefix and path.startswith(self._prefix + b"/"):
            path = path[len(self._prefix):]
        # Percent-decode each segment, as twisted.web does for postpath: Klein
        # matches on the decoded segments, so the dispatch here must too.
        request.prepath = []
        request.postpath = [unquote_to_bytes(segment) for segment in path.split(b"/")[1:]]
        return (b"/" + b"/".join(request.postpath)).decode("utf-8", "replace")

    def render(self, request: IRequest) -> Any:
        common_headers(request)
        path = self._normalise(request)
        method = request.method.decode("ascii", "replace")
        allowed: set[str] = set()
        if method not in ROUTE_METHODS:
            allowed = self._route_methods(path)
            if allowed:
                return _error(request, MethodNotAllowed(sorted(allowed)))
        for mounted in self._areas:
            try:
                if not mounted.match(path, method):
                    continue
            except WerkzeugMethodNotAllowed as exc:
                allowed.update(exc.valid_methods or [])
                continue
            return mounted.resource.render(request)
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
        for mounted in self._areas:
            for method in ROUTE_METHODS:
                try:
                    if mounted.match(path, method):
                        methods.add(method)
                except WerkzeugMethodNotAllowed:
                    continue
        return methods


#: The verbs API routes answer.
ROUTE_METHODS = ("GET", "POST")


def _error(request: IRequest, error: HttpError) -> bytes:
    """An error answer; a HEAD gets its headers and length but no body."""
    body = write_error(request, error)
    if request.method == b"HEAD":
        request.setHeader(b"Content-Length", str(len(body)).encode("ascii"))
        return b""
    return body
