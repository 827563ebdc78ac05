"""A websocket session whose client sends JSON objects (the eventbus, the device monitor).

A binary message closes the connection (as Kismet does); a message that is not a
JSON object is answered ``{"ERROR": "reason"}`` and changes nothing. Subclasses
implement :meth:`JsonSession.request_received` and may call :meth:`error`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import orjson

from kismet_tx.http.fieldspec import FieldSpec, FieldSpecError, compile_fields
from kismet_tx.http.serialize import JSON_FORMATS
from kismet_tx.http.websocket import WebSocketPeer

#: Formats pushed records may be sent in (text messages; ``cmd`` and ``jcmd`` are
#: command suffixes, not output formats).
TEXT_FORMATS = JSON_FORMATS - {"cmd", "jcmd"}


class JsonSession(ABC):
    """Decodes each client message into a dict for :meth:`request_received`."""

    def __init__(self, peer: WebSocketPeer) -> None:
        self.peer = peer

    def message_received(self, payload: bytes, is_binary: bool) -> None:
        if is_binary:
            self.peer.close(1003, "text messages only")
            return
        try:
            request = orjson.loads(payload)
        except orjson.JSONDecodeError:
            self.error("the message is not JSON")
            return
        if not isinstance(request, dict):
            self.error("the message must be a JSON object")
            return
        self.request_received(request)

    @abstractmethod
    def request_received(self, request: dict[str, Any]) -> None:
        """One decoded client request."""

    def output_of(self, request: dict[str, Any]) -> tuple[FieldSpec, str] | None:
        """The request's ``fields`` and ``format`` (default json), or None after
        answering an error."""
        try:
            spec = compile_fields(request.get("fields"))
        except FieldSpecError as exc:
            self.error(str(exc))
            return None
        fmt = request.get("format", "json")
        if fmt not in TEXT_FORMATS:
            self.error(f"unknown format {fmt!r}")
            return None
        return spec, str(fmt)

    def error(self, reason: str) -> None:
        """Answer a bad request."""
        self.peer.send(orjson.dumps({"ERROR": reason}))

    @abstractmethod
    def closed(self) -> None:
        """The connection has ended."""
