"""The one root: mounts every REST area and answers what none of them takes.

Areas register full Kismet paths on their own Klein apps, and several areas
share a prefix (``/devices/...`` holds device, stream and alert routes), so
the root keeps its own route table (each area's :class:`RouteInfo` rules, one
werkzeug map per area, ``http/routetable.py``; an area's routes added at run
time, each plugin's, have a map of their own just before it), asks each area in
turn and hands the request to the first that matches (its Klein resource renders
it); the first area with a route for the path owns it, so a route taking only
other verbs there is a 405 even if a later area's catch-all would take the
verb. When none matches, GET and
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
from twisted.web.resource import Resource
from werkzeug.exceptions import MethodNotAllowed as WerkzeugMethodNotAllowed

from kismet_tx.http.errors import HttpError, MethodNotAllowed, NotFound
from kismet_tx.http.results import common_headers, write_error
from kismet_tx.http.routetable import RouteMap, RouteSource, RuntimeRoutes, area_routes
from kismet_tx.http.routing import RouteInfo
from kismet_tx.http.static import StaticFiles

_SLASHES = re.compile(rb"/{2,}")


class ApiRoot(Resource):
    """Dispatches each request to the area whose routes match it."""

    isLeaf = True

    def __init__(self, areas: Sequence[Any], uri_prefix: str = "",
                 static: StaticFiles | None = None) -> None:
        Resource.__init__(self)
        self._sources: list[RouteSource] = []
        for area in areas:
            # An area's routes added at run time (a plugin's) come before its fixed ones.
            runtime = getattr(area, "runtime_routes", None)
            if isinstance(runtime, RuntimeRoutes):
                self._sources.append(runtime)
            self._sources.append(area_routes(area))
        self._prefix = uri_prefix.rstrip("/").encode()
        self._static = static

    def route_table(self) -> list[RouteInfo]:
        """Every route of every area, those added at run time (each plugin's) included."""
        return [info for route_map in self._route_maps() for info in route_map.routes]

    def _route_maps(self) -> list[RouteMap]:
        return [source.route_map() for source in self._sources]

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
        for route_map in self._route_maps():
            try:
                if not route_map.match(path, method):
                    continue
            except WerkzeugMethodNotAllowed as exc:
                # The first area with a route for the path owns it: a later one's
                # catch-all (a plugin's static files) never answers another verb.
                # Allow names only the verbs routes answer (werkzeug adds HEAD to GET).
                allowed.update(m for m in exc.valid_methods or () if m in ROUTE_METHODS)
                break
            return route_map.resource.render(request)
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
        for route_map in self._route_maps():
            for method in ROUTE_METHODS:
                try:
                    if route_map.match(path, method):
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
