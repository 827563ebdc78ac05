"""The web UI's static files: served at ``/`` by the real server, no login, no way out.

Raw request paths go over ``http.client`` exactly as written, so dot segments
and percent-encoded traversal reach the server unnormalised.
"""

from __future__ import annotations

import configparser
import http.client
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from kismet_tx.http.static import WEB_ROOT
from tests.e2e.conftest import REPO, RunningServer, start_server, stop_server

SCRIPTED = {"X-Requested-With": "XMLHttpRequest"}


def fetch(server: RunningServer, path: str, method: str = "GET",
          headers: dict[str, str] | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One request with the path sent byte for byte."""
    address = urlsplit(server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("static"))
    yield running
    stop_server(running)


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server that needs a login everywhere, under a URI prefix."""
    running = start_server(tmp_path_factory.mktemp("locked"),
                           conf="httpd_auth_all=true\nhttpd_uri_prefix=/kismet\n")
    yield running
    stop_server(running)


def test_index_at_root_with_html_type_and_strict_policy(server: RunningServer) -> None:
    status, headers, body = fetch(server, "/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert body == (WEB_ROOT / "index.html").read_bytes()
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert fetch(server, "/index.html")[2] == body


@pytest.mark.parametrize(("path", "kind"), [
    ("/js/app.js", "text/javascript; charset=utf-8"),
    ("/css/app.css", "text/css; charset=utf-8"),
    ("/favicon.svg", "image/svg+xml"),
])
def test_assets_carry_their_mime_type(server: RunningServer, path: str, kind: str) -> None:
    status, headers, body = fetch(server, path)
    assert status == 200
    assert headers["Content-Type"] == kind
    assert body == (WEB_ROOT / path.lstrip("/")).read_bytes()
    assert "Content-Security-Policy" not in headers


def test_head_has_length_and_no_body(server: RunningServer) -> None:
    status, headers, body = fetch(server, "/js/app.js", "HEAD")
    assert status == 200
    assert body == b""
    assert int(headers["Content-Length"]) == (WEB_ROOT / "js" / "app.js").stat().st_size
    assert fetch(server, "/no-such-file.js", "HEAD")[0] == 404


def test_etag_revalidation_answers_304(server: RunningServer) -> None:
    _, headers, _ = fetch(server, "/css/app.css")
    etag = headers["ETag"]
    status, _, body = fetch(server, "/css/app.css", headers={"If-None-Match": etag})
    assert (status, body) == (304, b"")
    assert fetch(server, "/css/app.css", headers={"If-None-Match": '"other"'})[0] == 200


@pytest.mark.parametrize("path", [
    "/../setup.cfg",
    "/js/../../http/root.py",
    "/js/%2e%2e/%2e%2e/http/root.py",
    "/%2e%2e/%2e%2e/setup.cfg",
    "/js/..%2f..%2fhttp%2froot.py",
    "/js%5c..%5c..%5chttp%5croot.py",
    "/.hidden",
    "/js/app.js%00.css",
    "/js/",
    "/js",
    "/css//",
    "/no-such-file.html",
    "/" + "a" * 4096 + ".js",
])
def test_no_traversal_no_listing_unknown_is_kismet_404(server: RunningServer, path: str) -> None:
    status, headers, body = fetch(server, path)
    assert status == 404
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert b"<h1>404 Not Found</h1>" in body


def test_api_routes_still_win_and_post_is_not_static(server: RunningServer) -> None:
    status, headers, _ = fetch(server, "/system/status.json")
    assert status == 200
    assert headers["Content-Type"].startswith("application/json")
    assert fetch(server, "/index.html", "POST")[0] == 404
    assert fetch(server, "/devices/multimac/devices.json")[0] == 405


def test_static_needs_no_login_but_data_does(locked: RunningServer) -> None:
    status, _, body = fetch(locked, "/kismet/")
    assert status == 200
    assert b"<title>kismet_tx</title>" in body
    assert fetch(locked, "/kismet/js/api.js")[0] == 200
    status, headers, _ = fetch(locked, "/kismet/system/status.json")
    assert status == 401
    assert headers["WWW-Authenticate"] == 'Basic realm="Kismet"'


def test_page_requests_get_no_browser_login_prompt(locked: RunningServer) -> None:
    status, headers, _ = fetch(locked, "/kismet/session/check_session", headers=SCRIPTED)
    assert status == 401
    assert "WWW-Authenticate" not in headers


def test_every_web_file_is_package_data() -> None:
    """setup.cfg's globs (expanded as setuptools does, ``**`` included) cover the web UI."""
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")
    patterns = [p.strip() for p in config["options.package_data"]["kismet_tx"].split(",")]
    package = REPO / "kismet_tx"
    shipped = {path for pattern in patterns for path in package.glob(pattern) if path.is_file()}
    files = {path for path in WEB_ROOT.rglob("*") if path.is_file()}
    assert WEB_ROOT / "js" / "app.js" in files
    assert not files - shipped, sorted(str(p) for p in files - shipped)


def test_web_root_is_the_package_folder() -> None:
    assert WEB_ROOT == (Path(__file__).resolve().parents[2] / "kismet_tx" / "web")
