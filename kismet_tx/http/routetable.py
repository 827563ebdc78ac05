"""The route tables :class:`~kismet_tx.http.root.ApiRoot` matches requests against.

A :class:`RouteMap` is one set of :class:`RouteInfo` rules: their werkzeug map,
for matching, and the Klein resource that renders them. Each area's fixed routes
make one (:func:`area_routes`). :class:`RuntimeRoutes` holds the routes added and
dropped while the server runs (each plugin's, by owner): every change builds a
fresh map and Klein app from its routes, each rendered through the same
:func:`~kismet_tx.http.routing.dispatch` as an area's (auth from the route's
access and roles, the command parser, the serializer, the error vocabulary).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from klein import Klein
from twisted.web.iweb import IRequest
from twisted.web.resource import IResource
from werkzeug.exceptions import MethodNotAllowed as WerkzeugMethodNotAllowed
from werkzeug.exceptions import NotFound as WerkzeugNotFound
from werkzeug.routing import Map, RequestRedirect, Rule

from kismet_tx.http.context import HttpContext
from kismet_tx.http.routing import ApiRequest, RouteInfo, dispatch, routes_of

#: Outcomes of :meth:`RouteMap.match` remembered per map (the memo starts over when full).
MATCH_MEMO = 1024
#: Longest path whose outcome is remembered (Kismet's paths are far shorter), so that
#: a flood of long, made-up paths costs a bounded few megabytes at most.
MEMO_PATH = 256


class RouteMap:
    """Routes, their werkzeug map and the Klein resource that renders them.

    A map never changes (run-time routes build a new one), so the outcome of
    matching a path and verb is remembered: a poller asking the same path every
    second costs a dictionary lookup per area, not a werkzeug bind and match.
    """

    def __init__(self, routes: Sequence[RouteInfo], resource: IResource) -> None:
        self.routes = list(routes)
        self.map = Map([Rule(info.rule, methods=list(info.methods), strict_slashes=False,
                             endpoint=info.name) for info in self.routes])
        self.resource = resource
        #: (path, verb) -> True, False, or the verbs of a werkzeug MethodNotAllowed.
        self._outcomes: dict[tuple[str, str], bool | tuple[str, ...]] = {}

    def route_map(self) -> RouteMap:
        """This map (a fixed one never changes)."""
        return self

    @property
    def remembered(self) -> int:
        """How many outcomes of :meth:`match` are remembered."""
        return len(self._outcomes)

    def match(self, path: str, method: str) -> bool:
        """Whether a route takes ``method`` on ``path``; werkzeug's MethodNotAllowed
        (with the verbs that would do) when only the verb is wrong."""
        key = (path, method)
        outcome = self._outcomes.get(key)
        if outcome is None:
            outcome = self._match(path, method)
            if len(path) <= MEMO_PATH:
                if len(self._outcomes) >= MATCH_MEMO:
                    self._outcomes.clear()
                self._outcomes[key] = outcome
        if isinstance(outcome, tuple):
            raise WerkzeugMethodNotAllowed(valid_methods=list(outcome))
        return outcome is True

    def _match(self, path: str, method: str) -> bool | tuple[str, ...]:
        adapter = self.map.bind("localhost", path_info=path)
        try:
            adapter.match(path, method=method)
        except WerkzeugNotFound:
            return False
        except WerkzeugMethodNotAllowed as exc:
            return tuple(exc.valid_methods or ())
        except RequestRedirect:
            return True
        return True


class RouteSource(Protocol):
    """What the root mounts: a route map, fixed or rebuilt as routes come and go."""

    def route_map(self) -> RouteMap: ...


def area_routes(area: Any) -> RouteMap:
    """An area's fixed routes (its ``@endpoint`` methods) and its Klein resource."""
    return RouteMap(routes_of(area), area.app.resource())


@dataclass(frozen=True, slots=True)
class RuntimeRoute:
    """A route added at run time: ``handler(call)`` answers it (path values in
    ``call.args``)."""

    info: RouteInfo
    handler: Callable[[ApiRequest], Any]


class RuntimeRoutes:
    """Routes that owners (plugins, by name) add and drop while the server runs."""

    def __init__(self, ctx: HttpContext) -> None:
        self.ctx = ctx
        self._owned: dict[str, tuple[RuntimeRoute, ...]] = {}
        self._map = RouteMap((), Klein().resource())

    @property
    def routes(self) -> list[RouteInfo]:
        """Every route now registered."""
        return self._map.routes

    def route_map(self) -> RouteMap:
        """The map of the routes now registered."""
        return self._map

    def replace(self, owner: str, routes: Iterable[RuntimeRoute]) -> None:
        """Make ``routes`` all of ``owner``'s routes (none drops the owner)."""
        kept = tuple(routes)
        if kept:
            self._owned[owner] = kept
        elif self._owned.pop(owner, None) is None:
            return
        self._rebuild()

    def drop(self, owner: str) -> None:
        """Drop every route of ``owner``."""
        self.replace(owner, ())

    def _rebuild(self) -> None:
        app = Klein()
        infos: list[RouteInfo] = []
        for owned in self._owned.values():
            for route in owned:
                app.route(route.info.rule, methods=list(route.info.methods),
                          strict_slashes=False,
                          endpoint=f"{len(infos)}:{route.info.name}")(self._renderer(route))
                infos.append(route.info)
        self._map = RouteMap(infos, app.resource())

    def _renderer(self, route: RuntimeRoute) -> Callable[..., Any]:
        def render(request: IRequest, **kwargs: Any) -> Any:
            return dispatch(self.ctx, route.info, _answer, route, request, kwargs)

        return render


def _answer(route: RuntimeRoute, call: ApiRequest, **path_args: Any) -> Any:
    """How :func:`dispatch` calls a run-time route's handler."""
    return route.handler(call)
