"""The auth matrix over every route the server registers (Part A item 5).

For every route and method, on a fresh server that replayed a real capture:

- a route that needs a login (``Access.LOGIN``; every non-OPEN route with
  ``httpd_auth_all=true``) answers 401 with ``WWW-Authenticate`` and no cookie
  to no credentials, a wrong password, a wrong user, a wrong ``?password=``, a
  forged ``KISMET`` cookie and an expired one; it lets valid Basic auth through
  (not 401/403, never 5xx, the known values not 404) and hands out a session
  cookie, which alone then gets through too and is echoed;
- a public route answers anonymous callers without a 401 or a cookie;
- an OPEN route answers the same with ``httpd_auth_all`` as without;
- no response body or header carries the password or another caller's
  session token, and no log line carries the password or any token.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

import pytest

from kismet_tx.http.auth import Access
from kismet_tx.http.routing import CMD, RouteInfo
from tests.hardening.conftest import ROUTES, route_id
from tests.hardening.rig import (
    PASSWORD,
    SESSION_TIMEOUT,
    USER,
    LogCapture,
    Reply,
    Rig,
    basic,
    build_rig,
    cookie,
    fresh_address,
    snapshot,
)
from tests.hardening.routes import KNOWN, UNKNOWN, Route, build_url, params, server_error_allowed

#: The few routes open to anyone even with httpd_auth_all (what a client needs
#: before it can log in). A new one must be added here on purpose.
OPEN_ROUTES = {
    "/session/check_setup_ok", "/session/check_session", "/session/check_login",
    "/session/set_password", "/system/user_status",
    # The web UI's module list, an unauthenticated route in Kismet (kis_httpd_registry).
    "/dynamic.js", "/dynamic.json",
}
AUTH_ALL = "httpd_auth_all=true\n"
#: Commands that only read, open to anyone as the endpoint document has them.
READ_ONLY_COMMANDS = {"/phy/phy80211/probe_regex"}


def assert_refused(reply: Reply, what: str) -> None:
    assert reply.code == 401, f"{what}: {reply.code} {reply.text[:200]}"
    assert reply.header("WWW-Authenticate") == 'Basic realm="Kismet"', what
    assert reply.cookie() is None, what
    assert not reply.streaming, what


def assert_let_through(reply: Reply, what: str, info: RouteInfo | None = None) -> None:
    assert reply.code not in (401, 403), f"{what}: {reply.code} {reply.text[:200]}"
    assert reply.code < 500 or (
        info is not None and server_error_allowed(info, reply.code, reply.text)), \
        f"{what}: {reply.code} {reply.text[:200]}"


def assert_no_leak(rig: Rig, reply: Reply, own: str | None) -> None:
    """Neither the password nor a token other than the caller's own in the answer."""
    secret = PASSWORD.encode()
    others = [t.encode() for t in rig.tokens if t != own]
    assert secret not in reply.body
    assert not any(token in reply.body for token in others)
    for name, values in reply.headers.items():
        for value in values:
            raw = value.encode("latin-1")
            assert secret not in raw, name
            assert not any(token in raw for token in others), name


def assert_logs_clean(rig: Rig, logs: LogCapture) -> None:
    text = "\n".join(logs.lines)
    assert PASSWORD not in text
    for token in rig.tokens:
        assert token not in text


def send(rig: Rig, route: Route, headers: dict[str, str] | None = None,
         url: str | None = None) -> Reply:
    """One request, from an address of its own (so the login throttle never delays
    these refusals); only a pcapng stream may leave its answer open."""
    reply = rig.request(route.method, url or route.url, headers=headers,
                        address=fresh_address())
    assert not reply.streaming or route.info.ext == "pcapng", f"{route.id}: answer never ended"
    return reply


def check_protected(rig: Rig, route: Route) -> None:
    """Every wrong credential is a 401; valid Basic, then its cookie, get through."""
    stale = rig.login()
    rig.idle(SESSION_TIMEOUT + 1)
    forged = secrets.token_hex(16)
    sep = "&" if "?" in route.url else "?"
    refusals = {
        "no credentials": send(rig, route),
        "wrong password": send(rig, route, basic(password=PASSWORD + "x")),
        "wrong user": send(rig, route, basic(user=USER + "x")),
        "empty password": send(rig, route, basic(password="")),
        "wrong ?password=": send(rig, route, url=f"{route.url}{sep}user={USER}&password=nope"),
        "forged cookie": send(rig, route, cookie(forged)),
        "expired cookie": send(rig, route, cookie(stale)),
        "empty cookie": send(rig, route, {"Cookie": "KISMET="}),
    }
    for what, reply in refusals.items():
        assert_refused(reply, f"{route.id}: {what}")
        assert_no_leak(rig, reply, None)

    first = send(rig, route, basic())
    assert_let_through(first, f"{route.id}: valid Basic", route.info)
    assert first.code != 404, f"{route.id}: known values answer 404: {first.text[:200]}"
    if route.info.path == "/session/logout":
        # Logging out ends the Basic login's session and clears the cookie.
        assert first.code == 200 and first.cookie() == "", route.id
        return
    token = first.cookie()
    assert token and len(token) >= 32, f"{route.id}: no session cookie for a Basic login"
    assert_no_leak(rig, first, token)

    if route.info.command:
        # A command with the cookie from a browser on another site: a forged form (CSRF).
        forged_form = send(rig, route, {**cookie(token), "Sec-Fetch-Site": "cross-site"})
        assert forged_form.code == 403, f"{route.id}: cross-site cookie: {forged_form.code}"
    again = send(rig, route, {**cookie(token), "X-Requested-With": "XMLHttpRequest"})
    assert_let_through(again, f"{route.id}: the returned cookie", route.info)
    assert again.cookie() == token
    assert_no_leak(rig, again, token)

    # The login in the query string works too, and never reaches the access log.
    uri = send(rig, route, url=f"{route.url}{sep}user={USER}&password={PASSWORD}")
    assert_let_through(uri, f"{route.id}: ?user=&password=", route.info)
    assert_no_leak(rig, uri, uri.cookie())


@pytest.mark.parametrize("item", ROUTES, ids=[route_id(r) for r in ROUTES])
@pytest.mark.parametrize("auth_all", [False, True], ids=["default", "auth_all"])
def test_auth_matrix(item: tuple[RouteInfo, str], auth_all: bool, tmp_path: Path,
                     resolved: Callable[[RouteInfo, str], Route], logs: LogCapture) -> None:
    info, method = item
    route = resolved(info, method)
    rig = build_rig(tmp_path, AUTH_ALL if auth_all else "")
    try:
        if info.access is Access.LOGIN or (auth_all and info.access is Access.PUBLIC):
            check_protected(rig, route)
        elif info.access is Access.PUBLIC:
            before = snapshot(rig)
            reply = send(rig, route)
            assert reply.code != 401 and reply.code < 500, (route.id, reply.code, reply.text)
            assert reply.cookie() is None
            assert_no_leak(rig, reply, None)
            assert snapshot(rig) == before, f"{route.id}: an anonymous call changed state"
        else:
            assert info.path in OPEN_ROUTES, f"{route.id} is open to anyone: list it on purpose"
            reply = send(rig, route)
            assert_no_leak(rig, reply, None)
            if auth_all:
                plain = build_rig(tmp_path / "plain")
                try:
                    assert reply.code == send(plain, route).code, route.id
                finally:
                    plain.stop()
        # Streams whose client left (every stream here is read to its head, then
        # dropped) are gone at once; only the pcapng log remains.
        leftover = [r for r in rig.service.streams.all_streams().values()
                    if r["kismet.stream.path"] == "httpd"]
        assert leftover == [], route.id
    finally:
        rig.stop()
    assert_logs_clean(rig, logs)


def test_the_table_covers_every_kind_of_route() -> None:
    """The table the matrices run over is the whole API, not a few areas."""
    paths = {info.path for info, _ in ROUTES}
    for expected in ("/system/status", "/devices/by-key/<key>/set_name",
                     "/datasource/by-uuid/<uuid>/set_channel", "/pcap/all_packets",
                     "/streams/by-id/<stream_id>/close_stream", "/gps/web/update",
                     "/alerts/raise_alerts", "/plugin/probestats/reset.cmd"):
        assert expected in paths
    subkey = [info for info, _ in ROUTES if info.suffix]
    assert subkey and all("<" in info.suffix for info in subkey)
    assert {info.path for info, _ in ROUTES if info.access is Access.OPEN} <= OPEN_ROUTES


def test_commands_and_streams_need_a_login() -> None:
    """Part A item 5: every command and every packet stream or pcap needs a login."""
    for info, _ in ROUTES:
        command = info.ext == CMD or info.path.endswith((".cmd", ".jcmd"))
        packets = info.ext in ("pcap", "pcapng")
        if packets or (command and info.path not in READ_ONLY_COMMANDS):
            assert info.access is not Access.PUBLIC, f"{info.path} ({info.name}) is public"


def test_every_path_parameter_has_values() -> None:
    """A route with a new parameter name needs known and unknown values in routes.py."""
    names = {name for info, _ in ROUTES for name in params(info)}
    assert names <= set(KNOWN), sorted(names - set(KNOWN))
    assert names <= set(UNKNOWN), sorted(names - set(UNKNOWN))


def test_sessions_of_other_callers_never_show(rig: Rig, logs: LogCapture) -> None:
    """Sessions listed nowhere: many logins, then every read route, anonymous and logged in."""
    # Other callers' sessions (Basic logins of one credential share one session).
    tokens = [rig.service.auth.sessions.create(USER) for _ in range(4)]
    rig.tokens.extend(tokens)
    tokens.append(rig.login())
    mine = tokens[-1]
    for info, method in ROUTES:
        if method != "GET" or params(info) or info.access is not Access.PUBLIC:
            continue
        for headers, own in (({}, None), (cookie(mine), mine)):
            reply = rig.request("GET", build_url(info, {}), headers=headers)
            assert_no_leak(rig, reply, own)
    assert_logs_clean(rig, logs)
    rig.service.auth.sessions.flush()
    assert (rig.home / "session.db").exists()
    stored = (rig.home / "session.db").read_bytes()
    assert not any(token.encode() in stored for token in tokens)
