"""An MQTT publisher (paho-mqtt): the exporter's records on ``kismet/<server>/<kind>/...``.

The topic is the AMQP routing key with ``/`` for ``.``; the headers travel as
MQTT 5 user properties. paho runs its network loop in its own thread (its
usual mode), so the reactor never waits on the broker: :meth:`publish` hands
the message to paho's queue (QoS 1, at most ``limit`` messages queued or
unacknowledged, kept across a reconnect), counts it as dropped when the queue
is full, and paho reconnects on its own every ``reconnect_delay`` seconds.
Connection changes are posted on the message bus from the reactor thread.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from twisted.application.service import Service

from kismet_tx.messagebus import ERROR, INFO, MessageBus

DEFAULT_PORT = 1883


def parse_mqtt_url(url: str) -> tuple[str, int, str | None, str | None]:
    """Host, port, user and password of ``mqtt://[user:password@]host[:port]``."""
    parts = urlsplit(url)
    if parts.scheme != "mqtt" or not parts.hostname:
        raise ValueError(f"{url.split('@')[-1]!r} is not an mqtt://host[:port] URL")
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return parts.hostname, parts.port or DEFAULT_PORT, user, password


class MqttPublisher(Service):
    """Publishes exporter messages to an MQTT broker; see the module docstring."""

    def __init__(self, *, url: str, reactor: Any, bus: MessageBus, client_id: str,
                 limit: int = 10_000, reconnect_delay: float = 5.0) -> None:
        self.setName("mqtt")
        self.host, self.port, user, password = parse_mqtt_url(url)
        self._reactor = reactor
        self._bus = bus
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                                  protocol=mqtt.MQTTv5)
        if user is not None:
            self.client.username_pw_set(user, password)
        self.client.max_queued_messages_set(max(1, limit))
        self.client.reconnect_delay_set(min_delay=1, max_delay=max(1, int(reconnect_delay)))
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish
        self.client.on_connect_fail = self._on_connect_fail
        #: Messages the broker acknowledged, dropped (queue full), and connections made.
        self.confirmed = 0
        self.dropped = 0
        self.connections = 0
        self.connected = False

    def stats(self) -> dict[str, Any]:
        """Counters (``/export/status``)."""
        return {"kind": "mqtt", "broker": f"{self.host}:{self.port}",
                "confirmed": self.confirmed, "dropped": self.dropped,
                "connections": self.connections, "connected": self.connected}

    def publish(self, routing_key: str, body: bytes, headers: dict[str, Any]) -> bool:
        """Queue one message (QoS 1); False (and counted) when paho's queue is full."""
        # paho's Properties.__init__ has no annotations.
        properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        properties.UserProperty = [(str(k), str(v)) for k, v in headers.items()]
        info = self.client.publish(routing_key.replace(".", "/"), body, qos=1,
                                   properties=properties)
        if info.rc == mqtt.MQTT_ERR_QUEUE_SIZE:
            self.dropped += 1
            return False
        return True

    def startService(self) -> None:
        Service.startService(self)
        self.client.connect_async(self.host, self.port, keepalive=30)
        self.client.loop_start()

    def stopService(self) -> Any:
        Service.stopService(self)
        self.client.disconnect()
        self.client.loop_stop()
        return None

    # paho's thread: hand everything to the reactor.

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any,
                    properties: Any = None) -> None:
        self._reactor.callFromThread(self._connected, not reason.is_failure, str(reason))

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, reason: Any,
                       properties: Any = None) -> None:
        self._reactor.callFromThread(self._disconnected, str(reason))

    def _on_connect_fail(self, client: Any, userdata: Any) -> None:
        self._reactor.callFromThread(self._unreachable)

    def _unreachable(self) -> None:
        if self.running:
            self._bus.post(f"MQTT exporter cannot reach {self.host}:{self.port}; retrying",
                           ERROR)

    def _on_publish(self, client: Any, userdata: Any, mid: int, reason: Any,
                    properties: Any = None) -> None:
        self._reactor.callFromThread(self._acked)

    def _acked(self) -> None:
        self.confirmed += 1

    def _connected(self, ok: bool, reason: str) -> None:
        if not ok:
            self._bus.post(f"MQTT exporter refused by {self.host}:{self.port}: {reason}", ERROR)
            return
        self.connections += 1
        self.connected = True
        self._bus.post(f"MQTT exporter connected to {self.host}:{self.port} "
                       f"({self.dropped} dropped so far)", INFO)

    def _disconnected(self, reason: str) -> None:
        if self.connected and self.running:
            self._bus.post(f"MQTT exporter lost the broker ({reason}); buffering and "
                           "reconnecting", ERROR)
        self.connected = False
