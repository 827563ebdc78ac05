"""``/export/status``: the exporter's counters (login needed: it names the brokers).

Devices, alerts, messages and packets handed to the publishers, device scans
done, and per publisher (AMQP, MQTT) the broker, whether it is connected, and
how many messages were confirmed, are queued, were sent again or dropped.
Without an exporter the answer is ``{"kismet.export.enabled": 0}``.
"""

from __future__ import annotations

from typing import Any

from klein import Klein

from kismet_tx.export.feed import Exporter
from kismet_tx.http.auth import Access
from kismet_tx.http.context import HttpContext
from kismet_tx.http.routing import GET_POST, ApiRequest, endpoint


class ExportArea:
    """Exporter status."""

    app = Klein()

    def __init__(self, ctx: HttpContext, exporter: Exporter | None) -> None:
        self.ctx = ctx
        self._exporter = exporter

    @endpoint(app, "/export/status", methods=GET_POST, access=Access.LOGIN)
    def status(self, call: ApiRequest) -> Any:
        if self._exporter is None:
            return {"kismet.export.enabled": 0}
        return {"kismet.export.enabled": 1, **self._exporter.status()}
