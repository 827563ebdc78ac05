"""Logins, sessions and the KISMET cookie (Part A item 5, Part B 5)."""

from __future__ import annotations

import base64
import stat
from pathlib import Path
from typing import Any

import pytest
from klein import Klein
from twisted.internet import task

from kismet_tx.http.auth import (
    Access,
    Authenticator,
    Credentials,
    SessionStore,
    generate_credentials,
)
from kismet_tx.http.context import HttpContext
from kismet_tx.http.routing import CMD, GET, POST, ApiRequest, endpoint

from .conftest import PASSWORD, USER, Reply, Server, basic, write_at_once

UNAUTHORIZED_BODY = (
    b"<html><head><title>401 Permission denied</title></head><body>"
    b"<h1>401 Permission denied</h1><br><p>This resource requires a login or "
    b"session token.</p></body></html>\n"
)


class AdminArea:
    """An admin command and an admin read, as later areas will declare them."""

    app = Klein()

    def __init__(self, ctx: HttpContext) -> None:
        self.ctx = ctx

    @endpoint(app, "/probe/admin_command", ext=CMD, methods=POST, access=Access.LOGIN)
    def admin_command(self, call: ApiRequest) -> Any:
        return {"user": call.identity.user if call.identity else None}

    @endpoint(app, "/probe/config", methods=GET, access=Access.LOGIN)
    def config(self, call: ApiRequest) -> Any:
        return {"ok": True}


@pytest.fixture
def server(make_server: Any) -> Server:
    return make_server(extra_areas=[AdminArea])


def cookie(token: str, *more: str) -> dict[bytes, list[bytes]]:
    return {b"Cookie": ["; ".join((f"KISMET={token}",) + more).encode()]}


def assert_unauthorized(reply: Reply) -> None:
    assert reply.code == 401
    assert reply.header("WWW-Authenticate") == 'Basic realm="Kismet"'
    assert reply.body == UNAUTHORIZED_BODY
    assert reply.cookie() is None


# -- Basic auth and the cookie -----------------------------------------------------


def test_login_route_without_credentials_is_401(server: Server) -> None:
    assert_unauthorized(server.post("/probe/admin_command.cmd"))
    assert_unauthorized(server.get("/probe/config.json"))


def test_basic_auth_creates_a_session_cookie(server: Server) -> None:
    reply = server.post("/probe/admin_command.cmd", headers=basic())
    assert reply.code == 200
    assert reply.json() == {"user": USER}
    (set_cookie,) = reply.headers_all("Set-Cookie")
    parts = [p.strip() for p in set_cookie.split(";")]
    name, _, token = parts[0].partition("=")
    assert name == "KISMET"
    assert len(token) >= 32 and int(token, 16) >= 0  # 128 random bits, hex
    attributes = {p.lower() for p in parts[1:]}
    assert {"path=/", "httponly", "samesite=strict"} <= attributes
    assert len(server.sessions) == 1


def test_the_cookie_alone_then_works_and_is_echoed(server: Server) -> None:
    token = server.login()
    # A command with a cookie also needs its page's proof (issue 16, CSRF): the
    # X-Requested-With header our UI and jQuery send.
    reply = server.post("/probe/admin_command.cmd",
                        headers={**cookie(token), b"X-Requested-With": [b"XMLHttpRequest"]})
    assert reply.code == 200
    assert reply.cookie() == token
    assert server.get("/session/check_session", headers=cookie(token)).code == 200
    assert len(server.sessions) == 1  # no new session per request


def test_basic_logins_share_one_session_until_it_ends(server: Server) -> None:
    """No new session per Basic request (issue 16): the credential's web logon is reused."""
    first = server.login()
    assert server.login() == first
    assert len(server.sessions) == 1
    assert server.get("/session/logout", headers=cookie(first)).code == 200
    assert server.login() not in (None, first)


def test_expired_cookie_is_401(make_server: Any) -> None:
    server = make_server(extra_areas=[AdminArea], session_timeout=600)
    token = server.login()
    server.clock.advance(599)
    assert server.get("/probe/config.json", headers=cookie(token)).code == 200
    server.clock.advance(1)
    assert_unauthorized(server.get("/probe/config.json", headers=cookie(token)))
    assert server.get("/session/check_session", headers=cookie(token)).code == 401


def test_expired_cookie_with_basic_auth_gets_a_new_session(server: Server) -> None:
    token = server.login()
    server.clock.advance(7201)
    reply = server.get("/probe/config.json", headers={**cookie(token), **basic()})
    assert reply.code == 200
    assert reply.cookie() not in (None, token)


def test_forged_cookie_is_401(server: Server) -> None:
    token = server.login()
    forged = ("0" if token[0] != "0" else "1") + token[1:]
    assert_unauthorized(server.get("/probe/config.json", headers=cookie(forged)))
    assert_unauthorized(server.get("/probe/config.json", headers=cookie("")))


def test_duplicate_cookie_as_kismet_rest_sends_it(server: Server) -> None:
    token = server.login()
    assert server.get("/probe/config.json", headers=cookie(token, f"KISMET={token}")).code == 200
    # The last one wins.
    assert server.get("/probe/config.json", headers=cookie("bad", f"KISMET={token}")).code == 200
    assert server.get("/probe/config.json", headers=cookie(token, "KISMET=bad")).code == 401


def test_cookie_among_other_cookies(server: Server) -> None:
    token = server.login()
    headers = {b"Cookie": [f"theme=dark; KISMET={token}; lang=en".encode()]}
    assert server.get("/probe/config.json", headers=headers).code == 200


def test_valid_cookie_wins_over_a_wrong_basic_login(server: Server) -> None:
    token = server.login()
    reply = server.get("/probe/config.json", headers={**cookie(token), **basic(password="x")})
    assert reply.code == 200


def test_uri_token_only_without_a_cookie_header(server: Server) -> None:
    token = server.login()
    assert server.get(f"/probe/config.json?KISMET={token}").code == 200
    other_cookie = {b"Cookie": [b"theme=dark"]}
    assert server.get(f"/probe/config.json?KISMET={token}", headers=other_cookie).code == 401


def test_uri_user_and_password(server: Server) -> None:
    reply = server.get("/probe/config.json", params={"user": USER, "password": PASSWORD})
    assert reply.code == 200
    assert reply.cookie()
    assert_unauthorized(
        server.get("/probe/config.json", params={"user": USER, "password": "wrong"})
    )
    assert_unauthorized(server.get("/probe/config.json", params={"user": USER}))


@pytest.mark.parametrize(
    "header",
    [
        basic(password="wrong"),
        basic(user="kismet"),
        basic(user=USER.upper()),
        {b"Authorization": [b"Basic !!!notbase64"]},
        {b"Authorization": [b"Basic " + base64.b64encode(b"no-colon")]},
        {b"Authorization": [b"Bearer " + base64.b64encode(f"{USER}:{PASSWORD}".encode())]},
    ],
)
def test_wrong_login_is_401_with_www_authenticate(server: Server, header: Any) -> None:
    assert_unauthorized(server.post("/probe/admin_command.cmd", headers=header))
    assert len(server.sessions) == 0


def test_basic_scheme_name_is_case_insensitive(server: Server) -> None:
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode())
    assert (
        server.get("/probe/config.json", headers={b"Authorization": [b"BASIC " + token]}).code
        == 200
    )


def test_password_with_colon_and_unicode(make_server: Any) -> None:
    server = make_server(extra_areas=[AdminArea], password="pä:ss wörd")
    assert server.get("/probe/config.json", headers=basic(password="pä:ss wörd")).code == 200


def test_no_password_configured_refuses_every_login(make_server: Any) -> None:
    # Unlike K25, an empty user and password must not pass before setup.
    server = make_server(extra_areas=[AdminArea], password="")
    assert_unauthorized(server.get("/probe/config.json", headers=basic(USER, "")))
    assert_unauthorized(server.get("/probe/config.json", headers=basic("", "")))
    assert server.get("/session/check_login", headers=basic(USER, "")).code == 403


# -- /session/* ------------------------------------------------------------------


def test_check_session(server: Server) -> None:
    assert_unauthorized(server.get("/session/check_session"))
    assert_unauthorized(server.get("/session/check_session", headers=basic(password="no")))
    reply = server.get("/session/check_session", headers=basic())
    assert (reply.code, reply.text) == (200, "Session valid\n")
    token = reply.cookie()
    reply = server.get("/session/check_session", headers=cookie(token))
    assert (reply.code, reply.text) == (200, "Session valid\n")
    assert reply.header("Content-Type") == "text/plain; charset=utf-8"


def test_check_login_ignores_cookies(server: Server) -> None:
    token = server.login()
    reply = server.get("/session/check_login", headers=basic())
    assert (reply.code, reply.text) == (200, "Login valid\n")
    assert (
        server.get("/session/check_login", params={"user": USER, "password": PASSWORD}).code == 200
    )
    refused = server.get("/session/check_login", headers=cookie(token))
    assert refused.code == 403
    assert b"valid" not in refused.body.replace(b"Invalid", b"")
    assert server.get("/session/check_login", headers=basic(password="no")).code == 403
    assert server.get("/session/check_login").code == 403


@pytest.mark.parametrize(
    "options, code, text",
    [
        ({}, 200, "Login configured in user config\n"),
        ({"origin": "global"}, 406, "Login configured in global config\n"),
        ({"password": ""}, 500, "Login not configured\n"),
    ],
)
def test_check_setup_ok_states(
    make_server: Any, options: dict[str, Any], code: int, text: str
) -> None:
    reply = make_server(**options).get("/session/check_setup_ok")
    assert (reply.code, reply.text) == (code, text)
    assert reply.header("Content-Type").startswith("text/plain")


def conf_path(server: Server) -> Path:
    return Path(server.auth.credentials.path)


def test_set_password_on_first_run(make_server: Any) -> None:
    server = make_server(extra_areas=[AdminArea], password="")
    reply = server.post(
        "/session/set_password", data={"username": "owner", "password": "n3w pass#word"}
    )
    assert (reply.code, reply.text) == (200, "Login configured\n")
    path = conf_path(server)
    assert path.read_text() == "httpd_username=owner\nhttpd_password=n3w pass#word\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert server.get("/session/check_setup_ok").code == 200
    assert server.get("/probe/config.json", headers=basic("owner", "n3w pass#word")).code == 200
    assert b"n3w pass" not in reply.body


def test_set_password_needs_the_current_login_once_configured(server: Server) -> None:
    anonymous = server.post("/session/set_password", data={"username": "x", "password": "y"})
    assert anonymous.code == 403
    assert not conf_path(server).exists()
    reply = server.post(
        "/session/set_password", headers=basic(), data={"username": USER, "password": "second"}
    )
    assert reply.code == 200
    assert server.get("/probe/config.json", headers=basic()).code == 401
    assert server.get("/probe/config.json", headers=basic(USER, "second")).code == 200


def test_set_password_refused_for_a_global_login(make_server: Any) -> None:
    server = make_server(origin="global")
    reply = server.post(
        "/session/set_password", headers=basic(), data={"username": USER, "password": "other"}
    )
    assert reply.code == 403
    assert not conf_path(server).exists()


@pytest.mark.parametrize(
    "data", [{"username": "a"}, {"password": "b"}, {"username": "", "password": "b"}, {}]
)
def test_set_password_needs_both_fields(make_server: Any, data: dict[str, str]) -> None:
    server = make_server(password="")
    reply = server.post("/session/set_password", data=data)
    assert (reply.code, reply.text) == (
        400,
        "Invalid request: Missing username or password in request\n",
    )


def test_set_password_accepts_a_json_command(make_server: Any) -> None:
    server = make_server(password="")
    reply = server.post("/session/set_password", json={"username": "j", "password": "k"})
    assert reply.code == 200
    assert server.auth.check_password("j", "k")


@pytest.mark.parametrize(
    "username, password",
    [
        ("admin", "pw\nhttpd_auth_all=false"),
        ("admin", "pw\rx"),
        ("ad\nmin", "pw"),
        ("admin", " padded "),
        ("admin", "home%hdir"),
        ("ad:min", "pw"),
    ],
)
def test_set_password_refuses_what_the_config_file_cannot_hold(
    make_server: Any, username: str, password: str
) -> None:
    # A line break would inject config lines; blanks and %h would not read back.
    server = make_server(password="")
    reply = server.post("/session/set_password", data={"username": username, "password": password})
    assert reply.code == 400
    assert not conf_path(server).exists()
    assert server.get("/session/check_setup_ok").code == 500


# -- httpd_auth_all ----------------------------------------------------------------


def test_auth_all_guards_public_routes_but_not_open_ones(make_server: Any) -> None:
    server = make_server(auth_all=True)
    for path in (
        "/system/status.json",
        "/system/timestamp.json",
        "/messagebus/all_messages.json",
        "/messagebus/last-time/0/messages.json",
        "/system/tracked_fields.html",
    ):
        assert_unauthorized(server.get(path))
        assert server.get(path, headers=basic()).code == 200, path
    assert server.get("/system/user_status.json").code == 200
    assert server.get("/session/check_setup_ok").code == 200
    token = server.login()
    assert server.get("/system/status.json", headers=cookie(token)).code == 200


def test_public_routes_are_open_by_default(server: Server) -> None:
    for path in (
        "/system/status.json",
        "/system/timestamp.json",
        "/messagebus/all_messages.json",
        "/system/tracked_fields.html",
    ):
        reply = server.get(path)
        assert reply.code == 200, path
        assert reply.cookie() is None


def test_the_route_table_declares_access(server: Server) -> None:
    table = {info.path: info.access for info in server.root.route_table()}
    assert table["/session/check_setup_ok"] is Access.OPEN
    assert table["/system/user_status"] is Access.OPEN
    assert table["/system/status"] is Access.PUBLIC
    assert table["/probe/admin_command"] is Access.LOGIN


# -- the session store ---------------------------------------------------------------


def test_sessions_survive_a_restart_stored_hashed(tmp_path: Path) -> None:
    clock = task.Clock()
    clock.advance(1000)
    path = tmp_path / "session.db"
    store = SessionStore(clock, 60, path, run=write_at_once)
    token = store.create("admin")
    assert not path.exists()  # written in a batch, later
    store.flush()
    text = path.read_text()
    assert token not in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = SessionStore(clock, 60, path)
    assert again.user_for(token) == "admin"
    assert again.user_for(token[::-1]) is None
    clock.advance(60)
    assert SessionStore(clock, 60, path).user_for(token) is None
    assert len(SessionStore(clock, 60, path)) == 0


def test_server_sessions_persist_across_a_new_store(server: Server) -> None:
    token = server.login()
    server.clock.advance(1)  # the batched write
    raw = (server.home / "session.db").read_bytes()
    assert token.encode() not in raw
    fresh = SessionStore(server.clock, 7200, server.home / "session.db")
    server.auth.sessions = fresh
    assert server.get("/probe/config.json", headers=cookie(token)).code == 200


@pytest.mark.parametrize("content", [b"not json", b'{"a": 1}', b"[[1]]", b'[["d", "u", "x"]]'])
def test_unreadable_session_file_is_ignored(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "session.db"
    path.write_bytes(content)
    store = SessionStore(task.Clock(), 60, path)
    token = store.create("admin")
    assert store.user_for(token) == "admin"


def test_oldest_sessions_are_evicted_beyond_the_maximum(make_server: Any) -> None:
    server = make_server(extra_areas=[AdminArea], max_sessions=2)
    first, second, third = (server.sessions.create(USER) for _ in range(3))
    assert len(server.sessions) == 2
    assert server.get("/probe/config.json", headers=cookie(first)).code == 401
    assert server.get("/probe/config.json", headers=cookie(second)).code == 200
    assert server.get("/probe/config.json", headers=cookie(third)).code == 200


def test_store_without_a_file(tmp_path: Path) -> None:
    store = SessionStore(task.Clock(), 10)
    assert store.user_for(store.create("u")) == "u"
    assert list(tmp_path.iterdir()) == []


# -- secrets --------------------------------------------------------------------------


def test_first_run_credentials_file(tmp_path: Path) -> None:
    path = tmp_path / "home" / "kismet_httpd.conf"
    creds = generate_credentials(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert creds.origin == "user" and creds.username == "kismet"
    assert len(creds.password) >= 20
    assert f"httpd_password={creds.password}\n" in path.read_text()
    assert generate_credentials(tmp_path / "other").password != creds.password


def test_check_password_is_exact() -> None:
    auth = Authenticator(Credentials("u", "p", "user", "/x"), SessionStore(task.Clock()))
    assert auth.check_password("u", "p")
    for user, password in (("u", "P"), ("u", "p "), ("U", "p"), ("u", ""), ("", "p")):
        assert not auth.check_password(user, password)


def test_passwords_never_appear_in_a_response(make_server: Any) -> None:
    server = make_server(extra_areas=[AdminArea], auth_all=True)
    secret = PASSWORD.encode()
    token = server.login()
    replies = [
        server.get(path, headers=headers)
        for path in (
            "/system/status.json",
            "/system/status.prettyjson",
            "/system/user_status.json",
            "/system/tracked_fields.html",
            "/messagebus/all_messages.json",
            "/session/check_session",
            "/session/check_login",
            "/session/check_setup_ok",
            "/probe/config.json",
            "/no/such/path",
        )
        for headers in (basic(), basic(password="wrong"), cookie(token), {})
    ]
    replies.append(server.get("/session/check_login", params={"user": USER, "password": PASSWORD}))
    replies.append(
        server.post(
            "/probe/admin_command.cmd", headers=basic(), data={"json": "{bad", "password": PASSWORD}
        )
    )
    replies.append(
        server.post(
            "/session/set_password",
            headers=basic(),
            data={"username": USER, "password": "new\nline"},
        )
    )
    for reply in replies:
        assert secret not in reply.body
        assert b"new\nline" not in reply.body
        for name, values in reply.headers.getAllRawHeaders():
            assert all(secret not in v for v in values), name
    server.sessions.flush()
    assert secret not in (server.home / "session.db").read_bytes()
