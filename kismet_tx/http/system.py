"""``/system/*``: status, timestamp, tracked fields, user status."""

from __future__ import annotations

from typing import Any

from klein import Klein

from kismet_tx.fields import FieldRegistry
from kismet_tx.http.auth import Access
from kismet_tx.http.context import HttpContext
from kismet_tx.http.results import Text
from kismet_tx.http.routing import GET, GET_POST, ApiRequest, endpoint
from kismet_tx.sysmon import SystemMonitor


class SystemArea:
    """System status endpoints."""

    app = Klein()

    def __init__(self, ctx: HttpContext, monitor: SystemMonitor, fields: FieldRegistry) -> None:
        self.ctx = ctx
        self._monitor = monitor
        self._fields = fields

    @endpoint(app, "/system/status", methods=GET_POST)
    def status(self, call: ApiRequest) -> Any:
        record = self._monitor.status()
        if call.identity is None:
            record["kismet.system.user"] = ""  # no OS user name without a login
        spec = call.cmd.fields()
        return record if spec is None else spec.apply(record)

    @endpoint(app, "/system/timestamp", methods=GET_POST)
    def timestamp(self, call: ApiRequest) -> Any:
        return self._monitor.timestamp()

    @endpoint(app, "/system/user_status", methods=GET_POST, access=Access.OPEN)
    def user_status(self, call: ApiRequest) -> Any:
        # The OS user name is shown to logged-in callers only (issue 16).
        return {"kismet.system.user": self._monitor.user if call.identity else ""}

    @endpoint(app, "/system/tracked_fields", ext="html", methods=GET)
    def tracked_fields(self, call: ApiRequest) -> Text:
        return Text(self._fields.html(), content_type=b"text/html; charset=utf-8")
