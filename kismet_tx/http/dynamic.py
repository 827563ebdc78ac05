"""``/dynamic.js`` and ``/dynamic.json``: the web UI's module list (no login, as in Kismet)."""

from __future__ import annotations

from typing import Any

from klein import Klein

from kismet_tx.http.auth import Access
from kismet_tx.http.context import HttpContext
from kismet_tx.http.results import Text
from kismet_tx.http.routing import GET, ApiRequest, endpoint
from kismet_tx.webmodules import JsModules


class DynamicArea:
    """Serves the registered JavaScript modules."""

    app = Klein()

    def __init__(self, ctx: HttpContext, modules: JsModules) -> None:
        self.ctx = ctx
        self._modules = modules

    @endpoint(app, "/dynamic.js", ext=None, methods=GET, access=Access.OPEN)
    def dynamic_js(self, call: ApiRequest) -> Any:
        return Text(self._modules.script(), content_type=b"application/javascript")

    @endpoint(app, "/dynamic.json", ext=None, methods=GET, access=Access.OPEN)
    def dynamic_json(self, call: ApiRequest) -> Any:
        return self._modules.record()
