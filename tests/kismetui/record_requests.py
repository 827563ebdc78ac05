"""Record the API requests Kismet's web UI makes in a full session (``ui_requests.json``).

Run ``python -m tests.kismetui.record_requests`` after a UI or server change that
adds endpoints: it starts a server, walks the UI exactly as the end-to-end test
does, and writes every distinct request (method, path, body) with the status it
got. Datasource UUIDs are written as ``{source:NAME}`` so the replay can fill in
its own server's.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import requests
from playwright.sync_api import sync_playwright

from tests.e2e.conftest import start_server, stop_server
from tests.kismetui.conftest import (
    BROWSER_ARGS,
    CAPTURE,
    CHROMIUM,
    RECORDED,
    UI_ROOT,
    open_session,
)
from tests.kismetui.test_kismet_ui import drive


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp), "-c", f"{CAPTURE}:name=induction",
                              conf=f"httpd_home={UI_ROOT}\n")
        try:
            server.read_log_until(r"finished replaying")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
                context, session = open_session(browser, server)
                drive(session)
                context.close()
                browser.close()
            sources = requests.get(server.url + "/datasource/all_sources.json",
                                   auth=(server.username, server.password), timeout=10).json()
        finally:
            stop_server(server)
    names = {s["kismet.datasource.uuid"]: s["kismet.datasource.name"] for s in sources}
    rows: dict[tuple[str, str, str], dict[str, str]] = {}
    for request in session.requests:
        path, body = request.path, request.body
        for uuid, name in names.items():
            path = path.replace(uuid, f"{{source:{name}}}")
            body = body.replace(uuid, f"{{source:{name}}}")
        rows.setdefault((request.method, path, body),
                        {"method": request.method, "path": path, "body": body})
    RECORDED.write_text(json.dumps(sorted(rows.values(), key=lambda r: (r["path"], r["body"])),
                                   indent=1) + "\n")
    print(f"{len(rows)} requests written to {RECORDED}")


if __name__ == "__main__":
    main()
