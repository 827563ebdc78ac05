"""Every API request Kismet's web UI makes, replayed with the UI's exact body.

``ui_requests.json`` is the UI's own list (recorded by ``record_requests.py``
from the same walk the end-to-end test makes). Each request goes to a server in
the same state (the capture, a second source, an alert), posted as the UI
posts it (a urlencoded form), and must answer what the UI reads: 200, JSON,
and for the paged views Kismet's wrapper with exactly the fields asked for.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import REPO, RunningServer, start_server, stop_server
from tests.kismetui.conftest import CAPTURE, UI_ROOT, UiRequest, load_recorded, needs_ui

pytestmark = needs_ui
SECOND_CAPTURE = REPO / "tests" / "data" / "aircrack-ng_n-02.cap"
RECORDED = load_recorded()


@pytest.fixture(scope="module")
def replay_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(Path(tmp_path_factory.mktemp("replay")), "-c",
                           f"{CAPTURE}:name=induction", conf=f"httpd_home={UI_ROOT}\n")
    running.read_log_until(r"finished replaying")
    auth = (running.username, running.password)

    def command(path: str, body: dict[str, Any]) -> None:
        reply = requests.post(running.url + path, auth=auth, data={"json": json.dumps(body)},
                              timeout=10)
        assert reply.status_code == 200, reply.text

    command("/datasource/add_source.cmd", {"definition": f"{SECOND_CAPTURE}:name=apisource"})
    command("/alerts/definitions/define_alert.cmd", {"name": "UITEST", "description": "x"})
    command("/alerts/raise_alert.cmd", {"name": "UITEST", "text": "first alert"})
    yield running
    stop_server(running)


def fill(server: RunningServer, text: str) -> str:
    """Put this server's datasource UUIDs where the recording has ``{source:NAME}``."""
    if "{source:" not in text:
        return text
    sources = requests.get(server.url + "/datasource/all_sources.json",
                           auth=(server.username, server.password), timeout=10).json()
    for source in sources:
        text = text.replace(f"{{source:{source['kismet.datasource.name']}}}",
                            source["kismet.datasource.uuid"])
    return text


def asked_fields(request: UiRequest) -> list[str] | None:
    """The output names the body's ``fields`` ask for (alias, else last component)."""
    form = request.form()
    if "json" not in form:
        return None
    fields = json.loads(form["json"]).get("fields")
    if fields is None:
        return None
    return [f[1] if isinstance(f, list) else f.split("/")[-1] for f in fields]


def test_the_recording_covers_the_ui_endpoints() -> None:
    keys = {r.key() for r in RECORDED}
    for endpoint in ("POST /alerts/alerts_view.json", "POST /phy/phy80211/ssids/views/ssids.json",
                     "POST /devices/views/all/devices.json", "GET /system/status.json",
                     "GET /datasource/all_sources.json", "GET /gps/location.json"):
        assert endpoint in keys


@pytest.mark.parametrize("request_", RECORDED, ids=[f"{r.method} {r.path}" for r in RECORDED])
def test_ui_request_with_its_exact_body(replay_server: RunningServer,
                                        request_: UiRequest) -> None:
    server = replay_server
    url = server.url + fill(server, request_.path)
    headers = {"X-Requested-With": "XMLHttpRequest"}
    auth = (server.username, server.password)
    if request_.method == "POST":
        headers["Content-Type"] = "application/x-www-form-urlencoded; charset=UTF-8"
        reply = requests.post(url, data=fill(server, request_.body).encode(), headers=headers,
                              auth=auth, timeout=10)
    else:
        reply = requests.get(url, headers=headers, auth=auth, timeout=10)
    assert reply.status_code == 200, f"{reply.status_code}: {reply.text[:300]}"
    if not request_.path.endswith(".json"):
        return
    body = reply.json()
    names = asked_fields(request_)
    form = request_.form()
    if "page" in form:
        assert set(body) == {"data", "last_page", "last_row", "total_row"}
        assert body["last_row"] <= body["total_row"]
        assert body["data"], "the page is empty"
        rows = body["data"]
    elif isinstance(body, dict) and "multikey" in request_.path:
        rows = list(body.values())
        assert len(rows) == len(json.loads(form["json"])["devices"])
    else:
        rows = body if isinstance(body, list) else [body]
    if names is not None:
        for row in rows:
            assert list(row) == list(dict.fromkeys(names)), row
