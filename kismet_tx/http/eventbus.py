"""``/eventbus/events.ws``: Kismet's event bus over a websocket.

The client sends text messages ``{"SUBSCRIBE": "TOPIC"}`` (optionally with
``"fields": [...]`` and ``"format": "json"``) and ``{"UNSUBSCRIBE": "TOPIC"}``;
each event then arrives as one text message ``{"TOPIC": {...}, ...}``, its
content's records simplified by ``fields`` as Kismet's ``eventbus.cc`` does
(the field spec applies to each record of the content map). Subscribing to a
topic again replaces its fields and format. ``*`` subscribes to everything.

A message that is not a JSON object, or a bad field spec or format, is
answered ``{"ERROR": "reason"}`` and changes nothing; a binary message closes
the connection, as in Kismet. A client that does not read keeps a bounded
backlog and drops (and counts) what does not fit, so it never holds up the
server; on close, a client that dropped events is logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from klein import Klein
from twisted.logger import Logger

from kismet_tx.eventbus import Event, EventBus
from kismet_tx.http.auth import Access
from kismet_tx.http.context import HttpContext
from kismet_tx.http.fieldspec import FieldSpec
from kismet_tx.http.routing import ApiRequest
from kismet_tx.http.websocket import SessionFactory, WebSocketPeer, websocket_endpoint
from kismet_tx.http.wsjson import JsonSession

_log = Logger(namespace="kismet_tx.http.eventbus")

#: Most topics one client may subscribe to at once.
MAX_SUBSCRIPTIONS = 256


class EventSession(JsonSession):
    """One client's subscriptions on the bus."""

    def __init__(self, peer: WebSocketPeer, bus: EventBus, ctx: HttpContext,
                 registry: list[EventSession] | None = None) -> None:
        super().__init__(peer)
        self._bus = bus
        self._ctx = ctx
        self._subscriptions: dict[str, Any] = {}
        self._registry = registry
        if registry is not None:
            registry.append(self)

    def request_received(self, request: dict[str, Any]) -> None:
        subscribe = request.get("SUBSCRIBE")
        unsubscribe = request.get("UNSUBSCRIBE")
        if subscribe is None and unsubscribe is None:
            self.error("expected SUBSCRIBE or UNSUBSCRIBE")
            return
        for key, value in (("SUBSCRIBE", subscribe), ("UNSUBSCRIBE", unsubscribe)):
            if value is not None and (not isinstance(value, str) or not value):
                self.error(f"{key} takes a topic name")
                return
        if subscribe is not None:
            self._subscribe(subscribe, request)
        if unsubscribe is not None:
            self._unsubscribe(unsubscribe)

    def _subscribe(self, topic: str, request: dict[str, Any]) -> None:
        output = self.output_of(request)
        if output is None:
            return
        spec, fmt = output
        if topic not in self._subscriptions and len(self._subscriptions) >= MAX_SUBSCRIPTIONS:
            self.error(f"at most {MAX_SUBSCRIPTIONS} subscriptions")
            return
        self._unsubscribe(topic)
        key = (fmt, orjson.dumps(request.get("fields") or []))

        def deliver(event: Event) -> None:
            self.peer.send(event.encoded(key, lambda e: self._encode(e, spec, fmt)))

        self._subscriptions[topic] = deliver
        self._bus.subscribe(topic, deliver)

    def _encode(self, event: Event, spec: FieldSpec, fmt: str) -> bytes:
        content = {name: spec.apply(value) if isinstance(value, Mapping) else value
                   for name, value in event.content.items()}
        return self._ctx.serializer.encode(content, fmt).rstrip(b"\r\n")

    def _unsubscribe(self, topic: str) -> None:
        deliver = self._subscriptions.pop(topic, None)
        if deliver is not None:
            self._bus.unsubscribe(topic, deliver)

    @property
    def topics(self) -> list[str]:
        """The topics subscribed to."""
        return list(self._subscriptions)

    def closed(self) -> None:
        for topic in list(self._subscriptions):
            self._unsubscribe(topic)
        if self._registry is not None and self in self._registry:
            self._registry.remove(self)
        peer = self.peer
        if peer.dropped_messages:
            _log.info("eventbus client {user} left having dropped {dropped} of "
                      "{total} events (it did not read fast enough)",
                      user=peer.identity.user if peer.identity else "-",
                      dropped=peer.dropped_messages,
                      total=peer.dropped_messages + peer.sent_messages)


class EventbusArea:
    """The event bus websocket."""

    app = Klein()

    def __init__(self, ctx: HttpContext, bus: EventBus) -> None:
        self.ctx = ctx
        self._bus = bus
        #: Open sessions (for tests and the bench).
        self.sessions: list[EventSession] = []

    @websocket_endpoint(app, "/eventbus/events", access=Access.LOGIN)
    def events(self, call: ApiRequest) -> SessionFactory:
        return lambda peer: EventSession(peer, self._bus, self.ctx, self.sessions)

