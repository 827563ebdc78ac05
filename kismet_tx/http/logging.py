"""``/logging/drivers`` and ``/logging/active``: Kismet's log listings."""

from __future__ import annotations

from typing import Any

from klein import Klein

from kismet_tx.http.context import HttpContext
from kismet_tx.http.routing import GET_POST, ApiRequest, endpoint
from kismet_tx.streams.logcatalog import LogCatalog


class LoggingArea:
    """Log drivers and open logs."""

    app = Klein()
    #: Its records name local files: hidden from anonymous callers.
    scrub_for_anonymous = True

    def __init__(self, ctx: HttpContext, catalog: LogCatalog) -> None:
        self.ctx = ctx
        self._catalog = catalog

    @endpoint(app, "/logging/drivers", methods=GET_POST)
    def drivers(self, call: ApiRequest) -> Any:
        """Every log type the server writes."""
        return self._simplify(call, self._catalog.drivers())

    @endpoint(app, "/logging/active", methods=GET_POST)
    def active(self, call: ApiRequest) -> Any:
        """Every log the server opened."""
        return self._simplify(call, self._catalog.active())

    @staticmethod
    def _simplify(call: ApiRequest, records: list[dict[str, Any]]) -> Any:
        spec = call.cmd.fields()
        return records if spec is None else [spec.apply(r) for r in records]
