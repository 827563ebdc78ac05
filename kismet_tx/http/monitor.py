"""``/devices/monitor.ws``: Kismet's device monitor websocket.

The client sends ``{"monitor": "*" | device key | MAC, "request": N, "rate": S}``
with optional ``"fields"`` and ``"format"``; every ``S`` seconds the server sends
each watched device that changed since the last round, one text message per
device record (simplified by ``fields``). ``{"cancel": N}`` stops request ``N``;
a new request under the same number replaces it. As in Kismet, a MAC watches
every device with that MAC and ``*`` every device.

A bad request is answered ``{"ERROR": "reason"}`` and changes nothing; a
binary message closes the connection. A client that does not read drops
updates (counted) instead of holding the server up.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from klein import Klein
from twisted.internet.task import LoopingCall

from kismet_tx.http.auth import Access
from kismet_tx.http.context import HttpContext
from kismet_tx.http.fieldspec import FieldSpec
from kismet_tx.http.routing import ApiRequest
from kismet_tx.http.websocket import SessionFactory, WebSocketPeer, websocket_endpoint
from kismet_tx.http.wsjson import JsonSession
from kismet_tx.keys import MacError, parse_key, parse_mac
from kismet_tx.tracker import Tracking
from kismet_tx.tracker.device import Device

#: Devices examined per cooperative slice of a round.
SLICE = 2000
#: Most monitor requests one client may run at once.
MAX_REQUESTS = 64
#: Slowest and fastest allowed update rates, seconds.
MIN_RATE, MAX_RATE = 1, 3600


class MonitorSession(JsonSession):
    """One client's monitor requests, each a timer on the server clock."""

    def __init__(self, peer: WebSocketPeer, tracking: Tracking, ctx: HttpContext) -> None:
        super().__init__(peer)
        self._tracking = tracking
        self._ctx = ctx
        self._requests: dict[int, LoopingCall] = {}

    def request_received(self, request: dict[str, Any]) -> None:
        if "cancel" in request:
            self._cancel(request["cancel"])
        if "monitor" in request:
            self._monitor(request)
        elif "cancel" not in request:
            self.error("expected monitor or cancel")

    def _monitor(self, request: dict[str, Any]) -> None:
        target, number, rate = request.get("monitor"), request.get("request"), request.get("rate")
        if not isinstance(target, str) or not target:
            self.error("monitor takes '*', a device key or a MAC address")
            return
        if isinstance(number, bool) or not isinstance(number, int):
            self.error("request must be a number")
            return
        if isinstance(rate, bool) or not isinstance(rate, int | float) \
                or not MIN_RATE <= rate <= MAX_RATE:
            self.error(f"rate must be {MIN_RATE} to {MAX_RATE} seconds")
            return
        output = self.output_of(request)
        if output is None:
            return
        spec, fmt = output
        find = self._finder(target)
        if find is None:
            self.error("invalid device reference")
            return
        if number not in self._requests and len(self._requests) >= MAX_REQUESTS:
            self.error(f"at most {MAX_REQUESTS} monitor requests")
            return
        self._cancel(number)
        since = [0.0]

        def changed() -> Iterator[None]:
            now = self._ctx.clock.seconds()
            for index, device in enumerate(list(find())):
                if device.mod_time > since[0]:
                    self._send(device, spec, fmt)
                if index % SLICE == SLICE - 1:
                    yield None
            since[0] = now

        def round_() -> Any:
            # In slices: watching "*" over 100,000 devices never holds the reactor.
            if self.peer.closed:
                return None
            return self._ctx.cooperate(changed()).whenDone()

        loop = LoopingCall(round_)
        loop.clock = self._ctx.clock
        self._requests[number] = loop
        loop.start(float(rate), now=True)

    def _finder(self, target: str) -> Any:
        devices = self._tracking.device_tracker
        if target == "*":
            return devices.devices
        if parse_key(target) is not None:
            return lambda: [d for d in (devices.get(target),) if d is not None]
        try:
            mac = parse_mac(target)
        except MacError:
            return None
        return lambda: devices.by_mac(mac)

    def _send(self, device: Device, spec: FieldSpec, fmt: str) -> None:
        record = spec.apply(self._tracking.record(device))
        self.peer.send(self._ctx.serializer.encode(record, fmt).rstrip(b"\r\n"))

    def _cancel(self, number: Any) -> None:
        loop = self._requests.pop(number, None) if isinstance(number, int) else None
        if loop is not None and loop.running:
            loop.stop()

    @property
    def requests(self) -> Iterable[int]:
        """The running request numbers."""
        return list(self._requests)

    def closed(self) -> None:
        for number in list(self._requests):
            self._cancel(number)


class DeviceMonitorArea:
    """The device monitor websocket."""

    app = Klein()

    def __init__(self, ctx: HttpContext, tracking: Tracking) -> None:
        self.ctx = ctx
        self._tracking = tracking

    @websocket_endpoint(app, "/devices/monitor", access=Access.LOGIN)
    def monitor(self, call: ApiRequest) -> SessionFactory:
        return lambda peer: MonitorSession(peer, self._tracking, self.ctx)
