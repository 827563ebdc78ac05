"""The bad-input matrix over every route the server registers (Part A items 3 and 4).

Every POST route, logged in, on a fresh server that replayed a real capture,
receives an empty body, ``json=`` that is not JSON, is a list, nests too
deep or holds wrong value types, ``msgpack=`` that is not base64 or not
msgpack, invalid regexes, fields that are not a list, unknown keys only, an
unsupported or undecodable body, and a body over the cap (with and without a
Content-Length). Every route and method also gets unknown and malformed
values for each path parameter. No answer is a 500; every 4xx carries a
readable reason; after every 4xx the state (datasources, alerts, device
names and tags, GPS, watch lists, streams, the login) is what it was.

The command keys the wrong-type variants fill are the ones handlers read
(recorded at run time from a probe of each route) plus the keys known today.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import quote

import pytest
from twisted.internet.address import IPv4Address
from twisted.internet.testing import StringTransport

from kismet_tx.http.commands import Command
from kismet_tx.http.routing import RouteInfo
from tests.hardening.conftest import ROUTES, route_id
from tests.hardening.rig import (
    INDUCTION,
    MAX_BODY,
    Reply,
    Rig,
    basic,
    build_rig,
    parse_response,
    snapshot,
)
from tests.hardening.routes import UNKNOWN, Route, params, server_error_allowed

POSTS = [item for item in ROUTES if item[1] == "POST"]
WITH_PARAMS = [item for item in ROUTES if params(item[0])]
FORM = "application/x-www-form-urlencoded"
#: Command keys of today's handlers; keys a handler reads at run time are added.
KNOWN_KEYS = {
    "fields", "regex", "wrapper", "devices", "definition", "username", "password",
    "tagname", "tagvalue", "name", "description", "class", "severity", "throttle", "burst",
    "phyname", "text", "bssid", "source", "dest", "other", "channel", "channels", "rate",
    "hoprate", "shuffle", "lat", "lon", "alt", "spd", "essid", "mac", "macs", "last_time",
    "datatable", "colmap", "start", "length", "draw",
}
WRONG_VALUES: list[Any] = [
    {"not": "expected"}, [1, [2, None]], 12345.678, True, -1, 2**70, "", "\x00\uffff",
    None,
]
#: Regex filters the engine refuses, and odd ones it may take; neither may be a 500.
BAD_REGEXES: list[Any] = [
    [["kismet.device.base.macaddr", "(unclosed"]], [["kismet.device.base.macaddr"]],
    "(unclosed", [[5, "x"]], [["kismet.device.base.macaddr", "x", "y"]], {"a": "b"},
]
ODD_REGEXES: list[Any] = [[["", "x"]], [["kismet.device.base.macaddr", "a" * 5000]], []]
#: Field specifications the engine refuses, and odd ones it may take.
BAD_FIELDS: list[Any] = [
    "kismet.device.base.macaddr", {"kismet.device.base.macaddr": 1}, 5, [5], [[5]],
    [["kismet.device.base.macaddr"]], [["a", "b", "c"]], [None],
]
ODD_FIELDS: list[Any] = [[""], [["", "x"]], ["a/" * 200], [], ["kismet.no.such.field"]]


class _Reads(dict):  # type: ignore[type-arg]
    """A command dictionary that notes every key a handler looks up."""

    seen: set[str] = set()

    def get(self, key: Any, default: Any = None) -> Any:
        _Reads.seen.add(key)
        return super().get(key, default)

    def __getitem__(self, key: Any) -> Any:
        _Reads.seen.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            _Reads.seen.add(key)
        return super().__contains__(key)


@contextmanager
def recording_keys() -> Iterator[set[str]]:
    """Collect the command keys handlers read while the block runs."""
    original = Command.__init__
    _Reads.seen = set()

    def init(self: Command, data: Any, form: Any = None) -> None:
        original(self, data, form)
        self.data = _Reads(self.data)

    with mock.patch.object(Command, "__init__", init):
        yield _Reads.seen


def form(value: str, name: str = "json") -> tuple[dict[str, str], bytes]:
    return {"Content-Type": FORM}, f"{name}={quote(value)}".encode()


def json_form(value: Any) -> tuple[dict[str, str], bytes]:
    return form(json.dumps(value))


def msgpack_form(raw: bytes) -> tuple[dict[str, str], bytes]:
    return form(base64.b64encode(raw).decode(), "msgpack")


def readable(reply: Reply) -> str:
    """The reason an error answer gives, as text a person reads."""
    text = reply.body.decode("utf-8")
    words = " ".join(re.sub(r"<[^>]+>", " ", text).split())
    assert len(words) >= 10, f"no readable reason: {reply.body[:200]!r}"
    assert "Traceback" not in text and 'File "' not in text
    return words


def check(rig: Rig, route: Route, what: str, headers: dict[str, str], body: bytes, *,
          url: str | None = None, expect: frozenset[int] | None = None,
          chunked: bool = False, method: str = "POST") -> Reply:
    """Send one bad input; 4xx with a reason (or a success), never 5xx; state kept on 4xx."""
    before = snapshot(rig)
    reply = rig.request(method, url or route.url, headers={**basic(), **headers}, body=body,
                        chunked=chunked)
    label = f"{route.id}: {what}"
    assert reply.code < 500 or server_error_allowed(route.info, reply.code, reply.text), \
        f"{label}: {reply.code} {reply.text[:300]}"
    assert not reply.streaming or route.info.ext == "pcapng", f"{label}: answer never ended"
    if expect is not None:
        assert reply.code in expect, f"{label}: {reply.code} {reply.text[:300]}"
    if 400 <= reply.code < 500:
        readable(reply)
        assert not reply.streaming, label
        assert snapshot(rig) == before, f"{label}: state changed by a refused request"
    return reply


def bad_bodies(keys: set[str], keys_read: set[str]) -> Iterator[
        tuple[str, dict[str, str], bytes, frozenset[int] | None]]:
    """``(label, headers, body, expected codes or None)`` for one POST route.

    ``keys`` are filled with wrong types; ``keys_read`` are those the route's
    handler looked up when probed with an empty command.
    """
    bad = frozenset({400})
    yield "empty body", {}, b"", None
    yield "empty form", {"Content-Type": FORM}, b"", None
    yield "json= not JSON", *form("{not json"), bad
    yield "json= truncated", *form('{"fields": ['), bad
    yield "json= a list", *json_form([1, 2]), bad
    yield "json= a string", *json_form("fields"), bad
    yield "json= a number", *json_form(5), bad
    yield "json= null", *json_form(None), bad
    yield "json= nested too deep", *form("[" * 5000 + "]" * 5000), bad
    yield "json= not UTF-8", {"Content-Type": FORM}, b"json=%ff%fe", bad
    yield "raw JSON not JSON", {"Content-Type": "application/json"}, b"{nope", bad
    yield "raw JSON a list", {"Content-Type": "application/json"}, b"[1]", bad
    yield "raw JSON not UTF-8", {"Content-Type": "application/json"}, b'{"a": "\xff"}', bad
    yield "form not UTF-8", {"Content-Type": FORM}, b"\xff\xfe=\xfd", bad
    yield "unsupported type", {"Content-Type": "text/xml"}, b"<cmd/>", bad
    yield "msgpack= not base64", *form("!!not*base64!!", "msgpack"), bad
    yield "msgpack= not msgpack", *msgpack_form(b"\xc1\xc1"), bad
    yield "msgpack= truncated", *msgpack_form(b"\x82\xa6fields"), bad
    yield "msgpack= a list", *msgpack_form(b"\x92\x01\x02"), bad
    yield "unknown keys only", *json_form({"zz_unknown": 1, "another_one": [1]}), None
    # A handler that reads ``regex``, ``fields`` or ``essid`` must refuse bad ones.
    refuse = {key: bad if key in keys_read else None for key in ("regex", "fields", "essid")}
    for index, regex in enumerate(BAD_REGEXES):
        yield f"invalid regex {index}", *json_form({"regex": regex}), refuse["regex"]
    for index, regex in enumerate(ODD_REGEXES):
        yield f"odd regex {index}", *json_form({"regex": regex}), None
    for index, essid in enumerate((["(unclosed"], "x", [5], {"a": 1})):
        yield f"invalid essid {index}", *json_form({"essid": essid}), refuse["essid"]
    for index, fields in enumerate(BAD_FIELDS):
        yield f"bad fields {index}", *json_form({"fields": fields}), refuse["fields"]
    for index, fields in enumerate(ODD_FIELDS):
        yield f"odd fields {index}", *json_form({"fields": fields}), None
    for index, wrong in enumerate(WRONG_VALUES):
        yield f"every key wrong {index}", *json_form({key: wrong for key in keys}), None
    for key in sorted(keys):
        for index, wrong in enumerate(WRONG_VALUES[:3]):
            yield f"{key} wrong {index}", *json_form({key: wrong}), None


@pytest.mark.parametrize("item", POSTS, ids=[route_id(r) for r in POSTS])
def test_post_routes_refuse_bad_input(item: tuple[RouteInfo, str], tmp_path: Path,
                                      resolved: Callable[[RouteInfo, str], Route]) -> None:
    route = resolved(*item)
    rig = build_rig(tmp_path)
    try:
        with recording_keys() as seen:
            rig.request("POST", route.url, headers=basic())
        keys_read = {k for k in seen if isinstance(k, str)}
        for label, headers, body, expect in bad_bodies(KNOWN_KEYS | keys_read, keys_read):
            check(rig, route, label, headers, body, expect=expect)
        over = b"json=" + b"x" * MAX_BODY
        check(rig, route, "body over the cap", {"Content-Type": FORM}, over,
              expect=frozenset({413}))
        check(rig, route, "chunked body over the cap", {"Content-Type": FORM}, over,
              expect=frozenset({413}), chunked=True)
    finally:
        rig.stop()


@pytest.mark.parametrize("item", WITH_PARAMS, ids=[route_id(r) for r in WITH_PARAMS])
def test_unknown_path_values_are_4xx(item: tuple[RouteInfo, str], tmp_path: Path,
                                     resolved: Callable[[RouteInfo, str], Route]) -> None:
    info, method = item
    route = resolved(info, method)
    rig = build_rig(tmp_path)
    try:
        for name in params(info):
            for value, codes in UNKNOWN[name]:
                for encoded in (value, quote(value + "/../%00\u00e9", safe="")):
                    check(rig, route, f"{name}={encoded}", {}, b"", method=method,
                          url=route.with_value(name, encoded),
                          expect=codes if encoded == value else None)
    finally:
        rig.stop()


def test_keys_recorded_from_handlers_include_the_documented_ones(tmp_path: Path) -> None:
    """The recorder sees what handlers read (so new keys get wrong-type inputs too)."""
    rig = build_rig(tmp_path)
    try:
        with recording_keys() as seen:
            rig.request("POST", "/devices/by-key/4202770D00000000_55B282410C00/set_tag.cmd",
                        headers={**basic(), "Content-Type": "application/json"},
                        body=b'{"tagname": "t"}')
        assert {"tagname", "tagvalue"} <= seen
    finally:
        rig.stop()


def _raw_channel(rig: Rig) -> tuple[Any, StringTransport]:
    peer = IPv4Address("TCP", "127.0.0.1", 39999)
    channel = rig.site.buildProtocol(peer)
    transport = StringTransport(peerAddress=peer)
    channel.makeConnection(transport)
    return channel, transport


@pytest.mark.parametrize("login", [False, True], ids=["anonymous", "logged-in"])
def test_a_body_over_the_cap_is_refused_before_it_is_read(rig: Rig, login: bool) -> None:
    """413 as soon as the declared length or the chunks so far pass the cap, then close;
    no route runs and nothing of the body is kept, whoever sends it."""
    auth = "".join(f"{k}: {v}\r\n" for k, v in basic().items()) if login else ""
    head = ("POST /datasource/add_source.cmd HTTP/1.1\r\nHost: x\r\n" + auth
            + "Content-Type: application/x-www-form-urlencoded\r\n")
    declared, transport = _raw_channel(rig)
    declared.dataReceived(f"{head}Content-Length: {100 * MAX_BODY}\r\n\r\n".encode())
    reply, complete = parse_response(transport.value())
    assert reply is not None and complete and reply.code == 413
    assert readable(reply) == f"request body over {MAX_BODY} bytes"
    assert transport.disconnecting

    chunked, transport = _raw_channel(rig)
    chunked.dataReceived(f"{head}Transfer-Encoding: chunked\r\n\r\n".encode())
    sent = 0
    while not transport.disconnecting:
        assert sent <= MAX_BODY, "still reading past the cap"
        chunked.dataReceived(b"2000\r\n" + b"x" * 0x2000 + b"\r\n")
        sent += 0x2000
    reply, complete = parse_response(transport.value())
    assert reply is not None and complete and reply.code == 413
    chunked.dataReceived(b"0\r\n\r\n")
    rig.run()
    assert parse_response(transport.value())[0] == reply, "a second answer after the 413"
    assert [s.definition for s in rig.service.datasources.sources()] == [
        f"{INDUCTION}:name=replay"]
