"""``/datasource/remote/remotesource.ws``: remote capture over a websocket.

Kismet's capture tools connect here with ``--connect ws://host:port --user U
--password P`` (``?user=&password=``) or ``--apikey K`` (``?KISMET=K``); a
login is needed before the upgrade. Each binary message carries protocol
frames, read as one stream by the same session as the TCP listener's.
"""

from __future__ import annotations

from typing import Any

from klein import Klein

from kismet_tx.capture.external.frames import MAX_FRAME
from kismet_tx.capture.remote import RemoteSession
from kismet_tx.capture.remotecapture import RemoteCapture
from kismet_tx.http.auth import DATASOURCE, Access
from kismet_tx.http.context import HttpContext
from kismet_tx.http.routing import ApiRequest
from kismet_tx.http.websocket import SessionFactory, WebSocketPeer, websocket_endpoint

#: Largest websocket message accepted (a frame of the largest size, and some).
MAX_MESSAGE = MAX_FRAME + 4096


class _WebSocketSensor:
    """Glue between one websocket and its remote capture session."""

    def __init__(self, peer: WebSocketPeer, capture: RemoteCapture, address: str) -> None:
        self._peer = peer
        self.session: RemoteSession = capture.session(
            address, lambda data: peer.send(data, binary=True), self._close, "websocket")

    def _close(self) -> None:
        self._peer.close(1000, "remote capture session ended")

    def message_received(self, payload: bytes, is_binary: bool) -> None:
        self.session.data_received(payload)

    def closed(self) -> None:
        self.session.connection_lost("websocket closed")


class RemoteCaptureArea:
    """The remote capture websocket."""

    app = Klein()

    def __init__(self, ctx: HttpContext, capture: RemoteCapture) -> None:
        self.ctx = ctx
        self._capture = capture

    @websocket_endpoint(app, "/datasource/remote/remotesource", access=Access.LOGIN,
                        roles=(DATASOURCE,),
                        max_message=MAX_MESSAGE)
    def remotesource(self, call: ApiRequest) -> SessionFactory:
        address: Any = call.request.getClientAddress()
        host = str(getattr(address, "host", address))
        return lambda peer: _WebSocketSensor(peer, self._capture, host)
