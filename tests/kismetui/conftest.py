"""Kismet's own web UI (``../shared/kismet-ui/http_data``) served by kismet_tx through
``httpd_home``, driven in headless system Chromium by Playwright.

The UI folder is a client for tests, not part of the project: it is read from
``../shared/kismet-ui/http_data`` next to the repository and the tests skip,
saying so, when it is not there. The server replays the WPA-Induction capture
(one AP "Coherer", its clients, the probed "linksys").
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus, urlsplit

import pytest
from playwright.sync_api import Browser, Page, WebSocket, sync_playwright

from tests.e2e.conftest import REPO, RunningServer, start_server, stop_server

#: Next to the repository (``../shared/kismet-ui``); ``KISMET_UI_HTTP_DATA`` points
#: elsewhere (a git worktree one level deeper).
UI_ROOT = Path(os.environ.get("KISMET_UI_HTTP_DATA")
               or REPO.parent / "shared" / "kismet-ui" / "http_data")
CAPTURE = REPO / "tests" / "data" / "john-samples_wpa-Induction.pcapng"
#: The UI's own requests, recorded from a full session (see ``record_requests.py``).
RECORDED = Path(__file__).resolve().parent / "ui_requests.json"
CHROMIUM = "/usr/bin/chromium"
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]
UI_TIMEOUT_MS = 20_000
STATIC = (".js", ".css", ".woff2", ".woff", ".ttf", ".png", ".svg", ".gif", ".ico", ".html")
#: The API-key page of the UI: API keys are issue 16's, merged separately; only these
#: URLs may 404 until then.
APIKEY_PREFIX = "/auth/apikey/"

needs_ui = pytest.mark.skipif(not (UI_ROOT / "index.html").is_file(),
                              reason=f"Kismet's web UI is not at {UI_ROOT}")


@dataclass(frozen=True)
class UiRequest:
    """One API request the UI made: method, path (no query secrets) and form body."""

    method: str
    path: str
    body: str

    def key(self) -> str:
        """The endpoint, with device keys, UUIDs and hashes folded to placeholders."""
        path = re.sub(r"[0-9A-F]{16}_[0-9A-F]{12}", "KEY", self.path)
        path = re.sub(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-"
                      r"[0-9A-Fa-f]{12}", "UUID", path)
        path = re.sub(r"\{source:[^}]*\}", "UUID", path)
        path = re.sub(r"/by-hash/\d+/", "/by-hash/HASH/", path)
        path = re.sub(r"/last-time/-?[\d.]+/", "/last-time/TS/", path)
        return f"{self.method} {path}"

    def form(self) -> dict[str, str]:
        """The body as form fields (the UI posts ``json=...&page=...``)."""
        out = {}
        for part in self.body.split("&") if self.body else []:
            name, _, value = part.partition("=")
            out[unquote_plus(name)] = unquote_plus(value)
        return out


@dataclass
class Session:
    """What one browser session saw."""

    page: Page
    server: RunningServer
    requests: list[UiRequest] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    socket_errors: list[str] = field(default_factory=list)
    sockets: list[WebSocket] = field(default_factory=list)


def api_request(url: str, method: str, body: str | None) -> UiRequest | None:
    parts = urlsplit(url)
    if parts.path.endswith(STATIC) or parts.path in ("/", "/dynamic.js"):
        return None
    return UiRequest(method, parts.path, body or "")


def load_recorded() -> list[UiRequest]:
    """The recorded requests (``ui_requests.json``)."""
    return [UiRequest(**row) for row in json.loads(RECORDED.read_text())]


@pytest.fixture(scope="module")
def kismet_ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    if not (UI_ROOT / "index.html").is_file():
        pytest.skip(f"Kismet's web UI is not at {UI_ROOT}")
    running = start_server(tmp_path_factory.mktemp("kismetui"), "-c", f"{CAPTURE}:name=induction",
                           conf=f"httpd_home={UI_ROOT}\n")
    running.read_log_until(r"finished replaying")
    yield running
    stop_server(running)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        yield launched
        launched.close()


def open_session(browser: Browser, server: RunningServer) -> tuple[Any, Session]:
    """A fresh context with every request, 404, page error and websocket recorded."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.set_default_timeout(UI_TIMEOUT_MS)
    page = context.new_page()
    session = Session(page, server)

    def on_response(response: Any) -> None:
        request = response.request
        found = api_request(request.url, request.method, request.post_data)
        if found is not None:
            session.requests.append(found)
        if response.status == 404:
            session.not_found.append(urlsplit(request.url).path)

    def on_socket(socket: WebSocket) -> None:
        session.sockets.append(socket)
        socket.on("socketerror", lambda error: session.socket_errors.append(str(error)))

    page.on("response", on_response)
    page.on("pageerror", lambda error: session.page_errors.append(str(error)))
    page.on("websocket", on_socket)
    return context, session


def login(session: Session) -> None:
    """Log in through the UI's own login dialog with the admin password."""
    page = session.page
    page.goto(session.server.url + "/")
    page.fill("#req_user", session.server.username)
    page.fill("#req_password", session.server.password)
    page.click("text=Log in")
