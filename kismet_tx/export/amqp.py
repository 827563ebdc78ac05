"""An AMQP 0-9-1 publisher on pika's Twisted adapter: bounded, confirmed, reconnecting.

:meth:`AmqpPublisher.publish` never blocks and never raises: a message goes
into a bounded queue (``limit`` messages) or, when the queue is full, is
dropped and counted. While connected the queue drains into the topic exchange
with publisher confirms on and at most ``max_in_flight`` messages unconfirmed;
a message the broker nacks, or that was in flight when the connection broke,
goes back to the head of the queue. While the broker is away the queue keeps
filling up to its limit, and the publisher reconnects every
``reconnect_delay`` seconds.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import pika
from pika.adapters.twisted_connection import TwistedProtocolConnection
from twisted.application.service import Service
from twisted.internet import defer
from twisted.internet.interfaces import IDelayedCall
from twisted.internet.protocol import ClientCreator
from twisted.logger import Logger

from kismet_tx.messagebus import ERROR, INFO, MessageBus

_log = Logger(namespace="kismet_tx.export.amqp")

DEFAULT_LIMIT = 10_000
DEFAULT_IN_FLIGHT = 1_000
DEFAULT_RECONNECT = 5.0
CONNECT_TIMEOUT = 10.0

#: One queued message: routing key, body, headers.
Outgoing = tuple[str, bytes, dict[str, Any]]


# pika ships no type information, so its protocol class is Any to mypy.
class _Connection(TwistedProtocolConnection):  # type: ignore[misc]
    """pika's protocol, telling its publisher when the TCP connection ends."""

    on_lost: Any = None

    def connectionLost(self, reason: Any = None) -> None:
        try:
            super().connectionLost(reason)
        finally:
            if self.on_lost is not None:
                self.on_lost(reason)


class AmqpLink(Service):
    """One connection and channel to a broker's topic exchange, re-made when lost.

    Subclasses set the channel up (:meth:`_prepare`) and use it (:meth:`_on_channel`).
    """

    label = "AMQP"

    def __init__(self, *, url: str, exchange: str, reactor: Any, bus: MessageBus,
                 reconnect_delay: float = DEFAULT_RECONNECT) -> None:
        self.parameters = pika.URLParameters(url)
        self.exchange = exchange
        self._reactor = reactor
        self._bus = bus
        self.reconnect_delay = reconnect_delay
        self._connection: _Connection | None = None
        self._channel: Any = None
        self._retry_call: IDelayedCall | None = None
        self._connecting = False
        #: Connections made to the broker.
        self.connections = 0
        self.connected = False

    def _prepare(self, channel: Any) -> Any:
        """Set a fresh channel up (may return a Deferred)."""

    def _on_channel(self, channel: Any) -> None:
        """The channel is ready."""

    def _status(self) -> str:
        return ""

    def startService(self) -> None:
        Service.startService(self)
        self._connect()

    def stopService(self) -> Any:
        Service.stopService(self)
        if self._retry_call is not None and self._retry_call.active():
            self._retry_call.cancel()
        self._retry_call = None
        connection, self._connection = self._connection, None
        self._channel = None
        self.connected = False
        if connection is not None and connection.is_open:
            closed = connection.close()
            if isinstance(closed, defer.Deferred):
                closed.addErrback(lambda _: None)
        return None

    def _connect(self) -> None:
        self._retry_call = None
        if not self.running or self._connecting:
            return
        self._connecting = True
        creator = ClientCreator(self._reactor, _Connection, self.parameters)
        d = creator.connectTCP(self.parameters.host, self.parameters.port,
                               timeout=CONNECT_TIMEOUT)
        d.addCallback(self._handshake)
        d.addCallbacks(self._ready, self._connect_failed)

    @defer.inlineCallbacks
    def _handshake(self, connection: _Connection) -> Any:
        self._connection = connection
        connection.on_lost = self._lost
        yield connection.ready
        channel = yield connection.channel()
        yield channel.exchange_declare(exchange=self.exchange, exchange_type="topic",
                                       durable=True)
        yield self._prepare(channel)
        return channel

    def _where(self) -> str:
        return f"{self.parameters.host}:{self.parameters.port}"

    def _ready(self, channel: Any) -> None:
        self._connecting = False
        if not self.running:
            return
        self._channel = channel
        self.connections += 1
        self.connected = True
        self._bus.post(f"{self.label} connected to {self._where()}, exchange "
                       f"'{self.exchange}'{self._status()}", INFO)
        self._on_channel(channel)

    def _connect_failed(self, failure: Any) -> None:
        self._connecting = False
        self._channel = None
        self.connected = False
        if self._connection is not None and self._connection.transport is not None:
            self._connection.transport.loseConnection()
        self._connection = None
        if not self.running:
            return
        self._bus.post(f"{self.label} cannot reach {self._where()}: "
                       f"{failure.getErrorMessage()}; retrying in "
                       f"{self.reconnect_delay:g} seconds", ERROR)
        self._schedule_retry()

    def _lost(self, reason: Any) -> None:
        was_connected = self.connected
        self._connection = None
        self._channel = None
        self.connected = False
        if was_connected and self.running:
            text = reason.getErrorMessage() if reason is not None else "closed"
            self._bus.post(f"{self.label} lost the broker ({text}){self._status()}; "
                           f"reconnecting in {self.reconnect_delay:g} seconds", ERROR)
            self._schedule_retry()

    def _schedule_retry(self) -> None:
        if self.running and (self._retry_call is None or not self._retry_call.active()):
            self._retry_call = self._reactor.callLater(self.reconnect_delay, self._connect)


class AmqpPublisher(AmqpLink):
    """Publishes to one topic exchange; see the module docstring."""

    label = "AMQP exporter"

    def __init__(self, *, url: str, exchange: str, reactor: Any, bus: MessageBus,
                 limit: int = DEFAULT_LIMIT, max_in_flight: int = DEFAULT_IN_FLIGHT,
                 reconnect_delay: float = DEFAULT_RECONNECT) -> None:
        super().__init__(url=url, exchange=exchange, reactor=reactor, bus=bus,
                         reconnect_delay=reconnect_delay)
        self.setName("amqp")
        self.limit = max(1, limit)
        self.max_in_flight = max(1, max_in_flight)
        self.queue: deque[Outgoing] = deque()
        self._in_flight = 0
        self._pump_call: IDelayedCall | None = None
        #: Messages the broker confirmed.
        self.confirmed = 0
        #: Messages dropped because the queue was full.
        self.dropped = 0
        #: Messages sent again after a nack or a broken connection.
        self.resent = 0

    def stats(self) -> dict[str, Any]:
        """Counters (``/export/status``, benches)."""
        return {"kind": "amqp", "broker": self._where(), "exchange": self.exchange,
                "queued": len(self.queue), "in_flight": self._in_flight,
                "confirmed": self.confirmed, "dropped": self.dropped, "resent": self.resent,
                "connections": self.connections, "connected": self.connected}

    # -- publishing -------------------------------------------------------------

    def publish(self, routing_key: str, body: bytes, headers: dict[str, Any]) -> bool:
        """Queue one message; False (and counted) when the queue is full."""
        if len(self.queue) >= self.limit:
            self.dropped += 1
            return False
        self.queue.append((routing_key, body, headers))
        self._kick()
        return True

    def _kick(self) -> None:
        if self._channel is not None and self._pump_call is None:
            self._pump_call = self._reactor.callLater(0, self._pump)

    def _pump(self) -> None:
        self._pump_call = None
        channel = self._channel
        while channel is not None and self.queue and self._in_flight < self.max_in_flight:
            item = self.queue.popleft()
            key, body, headers = item
            properties = pika.BasicProperties(headers=headers, delivery_mode=2,
                                              content_type=headers.get("content_type"))
            self._in_flight += 1
            try:
                d = channel.basic_publish(self.exchange, key, body, properties)
            except Exception as exc:  # pika raises when the channel just closed
                self._failed(item, exc)
                return
            d.addCallbacks(self._acked, self._nacked, errbackArgs=(item,))

    def _acked(self, _: Any) -> None:
        self._in_flight -= 1
        self.confirmed += 1
        self._kick()

    def _nacked(self, failure: Any, item: Outgoing) -> None:
        self._failed(item, failure.value)
        channel = self._channel
        if channel is not None and channel.is_closed:
            # The channel died under an open connection: start over on a new one.
            self._channel = None
            if self._connection is not None and self._connection.transport is not None:
                self._connection.transport.loseConnection()

    def _failed(self, item: Outgoing, reason: Any) -> None:
        self._in_flight = max(0, self._in_flight - 1)
        if len(self.queue) >= self.limit:
            self.dropped += 1
        else:
            self.queue.appendleft(item)
            self.resent += 1
        self._kick()

    # -- the channel ------------------------------------------------------------

    def _prepare(self, channel: Any) -> Any:
        return channel.confirm_delivery()

    def _on_channel(self, channel: Any) -> None:
        self._in_flight = 0
        self._kick()

    def _status(self) -> str:
        return f" ({len(self.queue)} messages queued, {self.dropped} dropped so far)"

    def stopService(self) -> Any:
        if self._pump_call is not None and self._pump_call.active():
            self._pump_call.cancel()
        self._pump_call = None
        return super().stopService()
