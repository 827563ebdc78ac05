"""Sessions, logout, API keys with roles, cookie flags and CSRF (issue 16, items 1, 2, 4)."""

from __future__ import annotations

import json
import re
from typing import Any

import orjson
import pytest

from kismet_tx.http.apikeys import ApiKeysArea
from kismet_tx.http.authstore import token_hash

from .conftest import BASE, USER, Reply, Server, basic
from .test_auth import AdminArea, cookie

XHR = {b"X-Requested-With": [b"XMLHttpRequest"]}


@pytest.fixture
def server(make_server: Any) -> Server:
    return make_server(extra_areas=[AdminArea, ApiKeysArea])


def generate(server: Server, name: str, role: str, duration: int = 0) -> str:
    reply = server.post("/auth/apikey/generate.cmd", headers=basic(),
                        data={"json": json.dumps({"name": name, "role": role,
                                                  "duration": duration})})
    assert reply.code == 200, reply.text
    assert reply.header("Content-Type").startswith("text/plain")
    return reply.text


def flush(server: Server) -> int:
    """Let the batched session-store write happen; returns the writes so far."""
    server.clock.advance(2)
    assert server.sessions.writer is not None
    return server.sessions.writer.writes


# -- sessions --------------------------------------------------------------------------


def test_a_thousand_basic_requests_make_no_session_and_no_write(server: Server) -> None:
    token = server.login()
    before = flush(server)
    for _ in range(1000):
        reply = server.get("/probe/config.json", headers=basic())
        assert reply.code == 200 and reply.cookie() == token
    assert flush(server) - before == 0
    print(f"\nsession-store writes per 1,000 Basic-auth requests: {flush(server) - before}")
    assert len(server.sessions) == 1


def test_store_writes_are_batched_atomic_and_hold_only_hashes(server: Server) -> None:
    tokens = [server.sessions.create(USER) for _ in range(50)]
    assert server.sessions.writer.writes == 0
    writes = flush(server)
    assert writes == 1
    path = server.home / "session.db"
    rows = orjson.loads(path.read_bytes())
    assert {row["token_hash"] for row in rows} == {token_hash(t) for t in tokens}
    assert not any(t.encode() in path.read_bytes() for t in tokens)
    assert [p.name for p in server.home.iterdir() if p.name.startswith("session")] == \
        ["session.db"]


def test_logout_ends_the_session_and_clears_the_cookie(server: Server) -> None:
    token = server.login()
    reply = server.post("/session/logout", headers={**cookie(token), **XHR})
    assert reply.code == 200 and reply.text == "Logged out\n"
    (line,) = [v for v in reply.headers_all("Set-Cookie") if v.startswith("KISMET=")]
    assert line.startswith("KISMET=;") and "Max-Age=0" in line and "HttpOnly" in line
    assert server.get("/probe/config.json", headers=cookie(token)).code == 401
    assert server.get("/session/logout", headers=cookie(token)).code == 401
    flush(server)
    assert token_hash(token).encode() not in (server.home / "session.db").read_bytes()


def test_a_basic_logout_starts_a_new_session_next_time(server: Server) -> None:
    first = server.login()
    assert server.get("/session/logout", headers=basic()).code == 200
    assert server.get("/probe/config.json", headers=cookie(first)).code == 401
    assert server.login() != first


def test_the_cookie_is_secure_under_tls(server: Server) -> None:
    client_reply = server.get("/session/check_session", headers=basic())
    assert "Secure" not in client_reply.header("Set-Cookie")
    from treq.testing import StubTreq

    from .conftest import fired

    client = StubTreq(server.root)
    server.clients.append(client)
    pending = client.get(BASE.replace("http:", "https:") + "/session/check_session",
                         headers=basic())
    server.pump()
    response = fired(pending)
    line = response.headers.getRawHeaders(b"Set-Cookie")[0].decode()
    assert "; Secure" in line and "HttpOnly" in line and "SameSite=strict" in line.replace(
        "Strict", "strict")


@pytest.mark.parametrize("header", [
    {b"Cookie": [b"KISMET=abc%0D%0ASet-Cookie:%20evil=1"]},
    {b"Cookie": [b"KISMET=abc\"; evil=1"]},
])
def test_a_crlf_or_quote_in_the_cookie_never_reaches_a_header(server: Server,
                                                              header: Any) -> None:
    """kismet#516: the cookie is never decoded or echoed unless it is a live session."""
    for reply in (server.get("/system/status.json", headers=header),
                  server.get("/probe/config.json", headers={**header, **basic()})):
        for name, values in reply.headers.getAllRawHeaders():
            for value in values:
                assert b"\r" not in value and b"\n" not in value and b"evil" not in value, name


def test_a_crlf_in_the_kismet_query_variable_is_no_token(server: Server) -> None:
    reply = server.get("/probe/config.json?KISMET=ab%0D%0AX-Evil:%201")
    assert reply.code == 401 and reply.header("X-Evil") is None


# -- API keys ----------------------------------------------------------------------


def test_generate_list_and_revoke(server: Server) -> None:
    token = generate(server, "reader", "readonly")
    assert re.fullmatch(r"[0-9A-F]{32}", token)
    listed = server.get("/auth/apikey/list.json", headers=basic()).json()
    assert listed == [{"kismet.httpd.auth.name": "reader", "kismet.httpd.auth.role": "readonly",
                       "kismet.httpd.auth.expiration": 0}]
    assert server.get("/probe/config.json", headers=cookie(token)).code == 200
    revoke = server.post("/auth/apikey/revoke.cmd", headers=basic(),
                         data={"json": json.dumps({"name": "reader"})})
    assert revoke.code == 200 and revoke.text == "revoked\n"
    assert server.get("/probe/config.json", headers=cookie(token)).code == 401
    assert server.get("/auth/apikey/list.json", headers=basic()).json() == []


@pytest.mark.parametrize("how", ["cookie", "query", "header", "bearer"])
def test_a_key_works_every_way_kismet_takes_it(server: Server, how: str) -> None:
    token = generate(server, "k", "readonly")
    headers: dict[bytes, list[bytes]] = {}
    path = "/probe/config.json"
    if how == "cookie":
        headers = cookie(token)
    elif how == "query":
        path += f"?KISMET={token}"
    elif how == "header":
        headers = {b"KISMET": [token.encode()]}
    else:
        headers = {b"Authorization": [f"Bearer {token}".encode()]}
    reply = server.get(path, headers=headers)
    assert reply.code == 200
    assert reply.cookie() is None, "an API key is never turned into a cookie"


def test_roles_are_matched_as_kismet_does(server: Server) -> None:
    keys = {role: generate(server, f"key-{role}", role)
            for role in ("admin", "readonly", "datasource", "scanreport", "WEBGPS", "ADSB")}
    for role, token in keys.items():
        read = server.get("/probe/config.json", headers=cookie(token))
        command = server.post("/probe/admin_command.cmd", headers=cookie(token))
        # admin passes everything; readonly passes reads; the others neither.
        assert read.code == (200 if role in ("admin", "readonly") else 401), role
        assert command.code == (200 if role == "admin" else 401), role
        # Any logged-in role may check its session.
        assert server.get("/session/check_session", headers=cookie(token)).code == 200


def test_key_mistakes_get_clear_answers(server: Server) -> None:
    generate(server, "dup", "readonly")

    def post(path: str, body: dict[str, Any]) -> Reply:
        return server.post(path, headers=basic(), data={"json": json.dumps(body)})

    assert post("/auth/apikey/generate.cmd", {"name": "dup", "role": "admin"}).code == 409
    assert post("/auth/apikey/generate.cmd", {"name": "web logon", "role": "admin"}).code == 403
    assert post("/auth/apikey/generate.cmd", {"role": "admin"}).code == 400
    assert post("/auth/apikey/generate.cmd", {"name": "x", "role": ""}).code == 400
    assert post("/auth/apikey/generate.cmd",
                {"name": "x", "role": "admin", "duration": -1}).code == 400
    assert post("/auth/apikey/generate.cmd", {"name": "a\nb", "role": "admin"}).code == 400
    assert post("/auth/apikey/revoke.cmd", {"name": "nobody"}).code == 404
    assert post("/auth/apikey/revoke.cmd", {"name": "web logon"}).code == 403
    assert server.get("/auth/apikey/list.json").code == 401


def test_a_key_with_a_duration_expires(server: Server) -> None:
    token = generate(server, "short", "readonly", duration=60)
    listed = server.get("/auth/apikey/list.json", headers=basic()).json()
    assert listed[0]["kismet.httpd.auth.expiration"] == int(server.clock.seconds()) + 60
    server.clock.advance(61)
    assert server.get("/probe/config.json", headers=cookie(token)).code == 401


def test_keys_are_stored_hashed_and_survive_a_restart(server: Server) -> None:
    token = generate(server, "kept", "admin")
    flush(server)
    raw = (server.home / "session.db").read_bytes()
    assert token.encode() not in raw and token_hash(token).encode() in raw
    from kismet_tx.http.authstore import SessionStore

    server.auth.sessions = SessionStore(server.clock, 7200, server.home / "session.db")
    assert server.get("/probe/config.json", headers=cookie(token)).code == 200


def test_key_creation_can_be_switched_off(make_server: Any) -> None:
    server = make_server(extra_areas=[lambda ctx: ApiKeysArea(ctx, allow_creation=False)])
    reply = server.post("/auth/apikey/generate.cmd", headers=basic(),
                        data={"json": json.dumps({"name": "n", "role": "admin"})})
    assert reply.code == 403


# -- CSRF ----------------------------------------------------------------------------


FORM = {"json": json.dumps({})}


@pytest.mark.parametrize("extra, code", [
    ({b"Origin": [b"https://evil.example"]}, 403),
    ({b"Origin": [b"null"]}, 403),
    ({b"Referer": [b"https://evil.example/page"]}, 403),
    ({b"Origin": [b"http://127.0.0.1:2502"]}, 403),
    ({b"Sec-Fetch-Site": [b"cross-site"]}, 403),
    ({b"Sec-Fetch-Site": [b"same-site"]}, 403),
    ({}, 200),
    ({b"Sec-Fetch-Site": [b"same-origin"]}, 200),
    ({b"Origin": [b"http://127.0.0.1:2501"]}, 200),
    ({b"Referer": [b"http://127.0.0.1:2501/index.html"]}, 200),
    ({b"X-Requested-With": [b"XMLHttpRequest"]}, 200),
], ids=["foreign origin", "null origin", "foreign referer", "other port",
        "cross-site fetch", "same-site fetch", "no browser marks (a script)",
        "same-origin fetch", "same origin", "same referer", "custom header"])
def test_a_cookie_command_needs_a_same_origin_proof(server: Server, extra: Any,
                                                    code: int) -> None:
    token = server.login()
    reply = server.post("/probe/admin_command.cmd", headers={**cookie(token), **extra},
                        data=FORM)
    assert reply.code == code, reply.text
    # Reads are never refused for their origin.
    assert server.get("/probe/config.json", headers={**cookie(token), **extra}).code == 200


def test_a_forged_form_post_changes_nothing(server: Server) -> None:
    token = server.login()
    reply = server.post("/auth/apikey/generate.cmd",
                        headers={**cookie(token), b"Origin": [b"https://evil.example"],
                                 b"Content-Type": [b"application/x-www-form-urlencoded"]},
                        data={"json": json.dumps({"name": "evil", "role": "admin"})})
    assert reply.code == 403
    assert server.get("/auth/apikey/list.json", headers=basic()).json() == []


def test_scripts_and_keys_need_no_origin(server: Server) -> None:
    token = generate(server, "script", "admin")
    # kismet_rest: Basic auth (and its cookie), no Origin, no Referer.
    session = server.login()
    assert server.post("/probe/admin_command.cmd", headers={**cookie(session), **basic()},
                       data=FORM).code == 200
    assert server.post("/probe/admin_command.cmd", headers=cookie(token), data=FORM).code == 200
    # A password login from a foreign page is refused all the same.
    assert server.post("/probe/admin_command.cmd",
                       headers={**basic(), b"Origin": [b"https://evil.example"]},
                       data=FORM).code == 403


def test_kismets_own_ui_requests_pass(server: Server) -> None:
    """Kismet's UI (``kismet.ui.base.js`` ConfigureAjax) sends Basic auth on every
    jQuery call, jQuery adds X-Requested-With to same-origin calls, and the browser
    adds its cookie and the page's Origin: such a command gets through."""
    token = server.login()
    headers = {**cookie(token), **basic(), **XHR, b"Origin": [b"http://127.0.0.1:2501"],
               b"Content-Type": [b"application/x-www-form-urlencoded; charset=UTF-8"]}
    reply = server.post("/auth/apikey/generate.cmd", headers=headers,
                        data={"json": json.dumps({"name": "ui", "role": "readonly",
                                                  "duration": 0})})
    assert reply.code == 200, reply.text
    listed = server.get("/auth/apikey/list.json", headers=headers).json()
    assert [k["kismet.httpd.auth.name"] for k in listed] == ["ui"]
    # Its fetch() calls from the page send the cookie and Origin, no custom header.
    fetch_like = {**cookie(token), b"Origin": [b"http://127.0.0.1:2501"]}
    assert server.post("/probe/admin_command.cmd", headers=fetch_like, data=FORM).code == 200


def test_the_service_writes_the_session_store_in_the_reactor_thread_pool(tmp_path: Any) -> None:
    """``builders.http.store_writer``: with a reactor that has a thread pool, the file is
    written in a pool thread, never on the reactor's own."""
    import threading

    from twisted.internet.interfaces import IReactorThreads
    from twisted.python.threadpool import ThreadPool
    from zope.interface import implementer

    from kismet_tx.builders.http import store_writer
    from kismet_tx.http.authstore import SessionStore

    @implementer(IReactorThreads)
    class PoolReactor:
        """Just enough of a reactor: a real thread pool, results handed back by hand."""

        def __init__(self) -> None:
            self.pool = ThreadPool(1, 1)
            self.handed_back: list[Any] = []

        def getThreadPool(self) -> ThreadPool:
            return self.pool

        def callFromThread(self, f: Any, *args: Any, **kwargs: Any) -> None:
            self.handed_back.append((f, args, kwargs))

    from twisted.internet import task

    reactor = PoolReactor()
    reactor.pool.start()
    written = threading.Event()
    threads: list[threading.Thread] = []
    try:
        store = SessionStore(task.Clock(), 60, tmp_path / "session.db", run=store_writer(reactor))
        original = store.writer._write

        def recording(data: bytes) -> None:
            threads.append(threading.current_thread())
            original(data)
            written.set()

        store.writer._write = recording
        store.create("admin")
        store.flush()
        assert written.wait(30), "the write never ran"
    finally:
        reactor.pool.stop()
    assert threads and threads[0] is not threading.main_thread()
    assert (tmp_path / "session.db").exists()


def test_only_admin_may_change_the_login(server: Server) -> None:
    """A readonly key must not set a new admin password through /session/set_password."""
    for role in ("readonly", "WEBGPS"):
        token = generate(server, f"k-{role}", role)
        reply = server.post("/session/set_password", headers={**cookie(token), **XHR},
                            data={"username": "mallory", "password": "taken-over"})
        assert reply.code == 403, role
    assert server.auth.credentials.username == USER
    admin = generate(server, "k-admin", "admin")
    reply = server.post("/session/set_password", headers={**cookie(admin), **XHR},
                        data={"username": "newadmin", "password": "new-Secret-9"})
    assert reply.code == 200 and server.auth.credentials.username == "newadmin"
