"""``/aggregate/*``: the devices of every exporting server (aggregate mode).

``/aggregate/devices.json`` lists the newest record of each device of each
server heard on the bus, each tagged ``kismet.server.name``; ``fields`` and
``regex`` work as on device lists. ``/aggregate/servers.json`` lists the
servers with their device and update counts.
"""

from __future__ import annotations

from typing import Any

from klein import Klein

from kismet_tx.export.aggregate import AggregateStore
from kismet_tx.http.context import HttpContext
from kismet_tx.http.routing import GET_POST, ApiRequest, endpoint


class AggregateArea:
    """Aggregate-mode endpoints."""

    app = Klein()

    def __init__(self, ctx: HttpContext, store: AggregateStore) -> None:
        self.ctx = ctx
        self._store = store

    @endpoint(app, "/aggregate/devices", methods=GET_POST)
    def devices(self, call: ApiRequest) -> Any:
        records: Any = self._store.records()
        match = call.cmd.regex()
        if match is not None:
            records = list(match.filter(records))
        spec = call.cmd.fields()
        return records if spec is None else list(spec.apply_many(records))

    @endpoint(app, "/aggregate/servers", methods=GET_POST)
    def servers(self, call: ApiRequest) -> Any:
        return self._store.servers()
