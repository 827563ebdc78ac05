"""Aggregate mode: the devices many kismet_tx servers export, in one view.

:class:`AggregateConsumer` binds a private queue to ``kismet.*.device.#`` on
the exporters' topic exchange and keeps the newest record of each (server,
device key) in an :class:`AggregateStore`, tagged ``kismet.server.name``.
``/aggregate/devices.json`` lists them and ``/aggregate/servers.json`` the
servers heard (``http/aggregate.py``).
"""

from __future__ import annotations

from typing import Any

import orjson
from twisted.internet import defer
from twisted.logger import Logger

from kismet_tx.export.amqp import AmqpLink

_log = Logger(namespace="kismet_tx.export.aggregate")

SERVER_FIELD = "kismet.server.name"
DEFAULT_MAX_DEVICES = 200_000
DEVICE_KEY = "kismet.device.base.key"


class AggregateStore:
    """The newest record of every device of every server, bounded."""

    def __init__(self, max_devices: int = DEFAULT_MAX_DEVICES) -> None:
        self.max_devices = max(1, max_devices)
        self._records: dict[tuple[str, str], dict[str, Any]] = {}
        self._servers: dict[str, dict[str, Any]] = {}
        #: Records refused: unreadable bodies, or new devices beyond the limit.
        self.refused = 0

    def add(self, server: str, body: bytes, received: float) -> bool:
        """Keep one exported device record; False when it was refused."""
        try:
            record = orjson.loads(body)
        except orjson.JSONDecodeError:
            record = None
        if not isinstance(record, dict) or not isinstance(record.get(DEVICE_KEY), str):
            self.refused += 1
            return False
        slot = (server, record[DEVICE_KEY])
        if slot not in self._records and len(self._records) >= self.max_devices:
            self.refused += 1
            return False
        record[SERVER_FIELD] = server
        self._records[slot] = record
        info = self._servers.setdefault(server, {"updates": 0, "first_time": int(received)})
        info["updates"] += 1
        info["last_time"] = int(received)
        return True

    def knows(self, server: str) -> bool:
        """Whether records of ``server`` were kept before."""
        return server in self._servers

    def records(self) -> list[dict[str, Any]]:
        """Every kept record, grouped by server."""
        return [self._records[slot] for slot in sorted(self._records)]

    def servers(self) -> list[dict[str, Any]]:
        """One summary per server heard."""
        counts: dict[str, int] = {}
        for server, _ in self._records:
            counts[server] = counts.get(server, 0) + 1
        return [{SERVER_FIELD: server, "kismet.aggregate.devices": counts.get(server, 0),
                 "kismet.aggregate.updates": info["updates"],
                 "kismet.aggregate.first_time": info["first_time"],
                 "kismet.aggregate.last_time": info["last_time"]}
                for server, info in sorted(self._servers.items())]

    def __len__(self) -> int:
        return len(self._records)


class AggregateConsumer(AmqpLink):
    """Consumes exported device records into a store; reconnects like the exporter."""

    label = "AMQP aggregate consumer"

    def __init__(self, *, store: AggregateStore, binding: str = "kismet.*.device.#",
                 **link: Any) -> None:
        super().__init__(**link)
        self.setName("aggregate")
        self.store = store
        self.binding = binding
        self.received = 0

    @defer.inlineCallbacks
    def _prepare(self, channel: Any) -> Any:
        declared = yield channel.queue_declare(queue="", exclusive=True, auto_delete=True)
        queue = declared.method.queue
        yield channel.queue_bind(queue=queue, exchange=self.exchange, routing_key=self.binding)
        yield channel.basic_qos(prefetch_count=1000)
        self._incoming, _ = yield channel.basic_consume(queue=queue, auto_ack=True)

    def _on_channel(self, channel: Any) -> None:
        self._consume(self._incoming)

    @defer.inlineCallbacks
    def _consume(self, incoming: Any) -> Any:
        while self.running:
            try:
                _, method, properties, body = yield incoming.get()
            except Exception:
                return  # the channel closed; the link reconnects
            headers = properties.headers or {}
            server = headers.get(SERVER_FIELD)
            if isinstance(server, bytes):
                server = server.decode("utf-8", "replace")
            if not isinstance(server, str):
                parts = method.routing_key.split(".")
                server = parts[1] if len(parts) > 2 else "unknown"
            self.received += 1
            known = self.store.knows(server)
            if self.store.add(server, body, self._reactor.seconds()) and not known:
                self._bus.post(f"Aggregate view: first device records from '{server}'")
