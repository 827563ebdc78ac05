"""Every route of the server, as requests the matrices can send.

The route table comes from the server (``ApiRoot.route_table()``). Each path
parameter gets its values from what the rig's replay made known, chosen by
the parameter's *name*: the known candidates of a name are tried in order and
the first combination the server does not answer 404 is the route's known
URL. Each lookup parameter also has unknown values, which must give 404 (or
another 4xx for malformed ones). A new route whose parameters use these names
is covered with no new test code; a new parameter name fails
:func:`test_every_path_parameter_has_values` until it gets a line here.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kismet_tx.http.auth import Access
from kismet_tx.http.routing import ANY, CMD, RouteInfo
from tests.hardening.rig import CLIENT, COHERER, COHERER_KEY, Rig, basic, build_rig

_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")

#: Commands Kismet answers 500 when the source cannot carry them out ("If the channel
#: or hopping pattern cannot be set, HTTP 500 is returned"): the rig's replay source
#: is a pcapfile, which cannot tune. Only ``ERROR: <reason>`` 500s pass, nothing else.
KISMET_500 = frozenset({"/datasource/by-uuid/<uuid>/set_channel",
                        "/datasource/by-uuid/<uuid>/set_hop"})


def server_error_allowed(info: RouteInfo, code: int, text: str) -> bool:
    """A 5xx that is Kismet's documented answer for this route."""
    return code == 500 and info.path in KISMET_500 and text.startswith("ERROR: ")


#: Known candidates of each path parameter, from a rig that replayed the capture.
KNOWN: dict[str, Callable[[Rig], list[str]]] = {
    "ts": lambda rig: ["-10"],
    "key": lambda rig: [COHERER_KEY],
    "mac": lambda rig: [COHERER],
    "client": lambda rig: [CLIENT],
    "uuid": lambda rig: [rig.replay_uuid, *(g.uuid for g in rig.service.gps.all())],
    "alert_id": lambda rig: [str(a["kismet.alert.hash"])
                             for a in rig.service.alerts.alert_tracker.records()],
    "kind": lambda rig: ["found"],
    "view_id": lambda rig: ["all", f"seenby-{rig.replay_uuid}"],
    "stream_id": lambda rig: [str(k) for k in rig.service.streams.all_streams()],
    "name": lambda rig: [p.name for p in rig.service.plugins.active()],
    "rest": lambda rig: ["ssids.json"],
    "subkey": lambda rig: ["kismet.device.base.macaddr"],
    "filename": lambda rig: ["packets", COHERER_KEY, COHERER, f"{COHERER}-handshake",
                             rig.replay_uuid],
    "which": lambda rig: ["stats", "rate"],
    "ssid_hash": lambda rig: [str(g.hash) for g in rig.service.ssids.groups()],
}

#: Values no server knows, per parameter, and the codes they may get. A
#: well-formed unknown value is a 404; a malformed one may also be a 400.
UNKNOWN: dict[str, list[tuple[str, frozenset[int]]]] = {
    "ts": [("not-a-time", frozenset({400}))],
    "key": [("4202770D00000000_0000DEADBEEF", frozenset({404})),
            ("not-a-key", frozenset({400, 404}))],
    "mac": [("02:00:00:DE:AD:01", frozenset({404})), ("not-a-mac", frozenset({400, 404}))],
    "client": [("not-a-mac", frozenset({400, 404}))],
    "uuid": [("00000000-0000-0000-0000-00000000DEAD", frozenset({404})),
             ("not-a-uuid", frozenset({400, 404}))],
    "alert_id": [("4242", frozenset({404})), ("not-an-id", frozenset({400, 404}))],
    "kind": [("sometimes", frozenset({404}))],
    "view_id": [("no-such-view", frozenset({404}))],
    "stream_id": [("4242", frozenset({404})), ("not-an-id", frozenset({400, 404}))],
    "name": [("no-such-plugin", frozenset({404}))],
    "rest": [("no/such/thing", frozenset({404}))],
    "subkey": [("kismet.no.such.field", frozenset({404}))],
    "filename": [("no-such-file", frozenset({404}))],
    "which": [("nope", frozenset({404}))],
    "ssid_hash": [("12345", frozenset({404})), ("not-a-hash", frozenset({400, 404}))],
}


@dataclass(frozen=True)
class Route:
    """One route and method, with the URL its known values make."""

    info: RouteInfo
    method: str
    url: str
    values: tuple[tuple[str, str], ...]

    @property
    def id(self) -> str:
        return f"{self.method} {self.info.path}{self.info.suffix}.{self.info.ext} " \
               f"({self.info.name})"

    @property
    def needs_login(self) -> bool:
        return self.info.access is Access.LOGIN

    def with_value(self, name: str, value: str) -> str:
        """The URL with parameter ``name`` set to ``value`` and the others known."""
        values = dict(self.values)
        values[name] = value
        return build_url(self.info, values)


def params(info: RouteInfo) -> list[str]:
    """The path parameters of a route, in order."""
    return _PARAM.findall(info.path + info.suffix)


def extension(info: RouteInfo) -> str:
    """The suffix a request uses: json for any serializer, cmd for commands."""
    if info.ext is None:
        return ""
    if info.ext == ANY:
        return ".json"
    if info.ext == CMD:
        return ".cmd"
    return "." + info.ext


def build_url(info: RouteInfo, values: dict[str, str]) -> str:
    """The request path of ``info`` with ``values`` for its parameters."""

    def fill(text: str) -> str:
        return _PARAM.sub(lambda m: values[m.group(1)], text)

    return fill(info.path) + extension(info) + fill(info.suffix)


def route_table(rig: Rig) -> list[RouteInfo]:
    """The server's own route table."""
    return rig.service.root.route_table()


def resolve(where: Path, info: RouteInfo, method: str) -> Route:
    """The first combination of known values the server does not answer 404.

    With several combinations, each try runs on a fresh rig (a hit may change
    state, as commands do), with valid Basic auth and an empty body; a single
    combination is taken as it is (the matrices check it is not a 404).
    """
    names = params(info)
    if not names:
        return Route(info, method, build_url(info, {}), ())
    probe = build_rig(where / "probe")
    choices = [KNOWN[name](probe) for name in names]
    probe.stop()
    combinations = [dict(zip(names, c, strict=True)) for c in itertools.product(*choices)]
    if len(combinations) == 1:
        (values,) = combinations
        return Route(info, method, build_url(info, values), tuple(values.items()))
    last = None
    for attempt, values in enumerate(combinations):
        url = build_url(info, values)
        rig = build_rig(where / f"try{attempt}")
        try:
            last = rig.request(method, url, headers=basic())
        finally:
            rig.stop()
        if last.code != 404:
            return Route(info, method, url, tuple(values.items()))
    raise AssertionError(f"{method} {info.path}: every known value answers 404 "
                         f"({last.text if last else ''}); add a candidate to KNOWN")


def routes(rig: Rig) -> Iterator[tuple[RouteInfo, str]]:
    """Every (route, method) pair of the route table."""
    for info in route_table(rig):
        for method in info.methods:
            yield info, method
