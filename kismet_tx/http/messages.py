"""``/messagebus/*``: the last messages, and messages since a time (always wrapped)."""

from __future__ import annotations

from typing import Any

from klein import Klein
from twisted.internet.interfaces import IReactorTime

from kismet_tx.http.context import HttpContext
from kismet_tx.http.errors import BadRequest
from kismet_tx.http.routing import GET_POST, ApiRequest, endpoint
from kismet_tx.messagebus import MessageBus


def parse_long(text: str, what: str) -> int:
    """Kismet reads ``last-time`` stamps as a long: ``1600000000.5`` is 1600000000."""
    try:
        return int(float(text))
    except (ValueError, OverflowError):
        raise BadRequest(f"{what} must be a number, got {text!r}") from None


class MessagesArea:
    """Message bus endpoints."""

    app = Klein()
    #: Its records may name local files: hidden from anonymous callers.
    scrub_for_anonymous = True

    def __init__(self, ctx: HttpContext, bus: MessageBus, clock: IReactorTime) -> None:
        self.ctx = ctx
        self._bus = bus
        self._clock = clock

    @endpoint(app, "/messagebus/all_messages", methods=GET_POST)
    def all_messages(self, call: ApiRequest) -> Any:
        return [m.record() for m in self._bus.messages()]

    @endpoint(app, "/messagebus/last-time/<ts>/messages", methods=GET_POST)
    def since(self, call: ApiRequest, ts: str) -> Any:
        now = int(self._clock.seconds())
        stamp = parse_long(ts, "timestamp")
        if stamp < 0:
            stamp = now + stamp
        return {
            "kismet.messagebus.list": [m.record() for m in self._bus.since(stamp)],
            "kismet.messagebus.timestamp": now,
        }
