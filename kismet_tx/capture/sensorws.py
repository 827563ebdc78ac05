"""The sensor's websocket transport (autobahn, Twisted flavour)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autobahn.twisted.websocket import (
    WebSocketClientFactory,
    WebSocketClientProtocol,
    connectWS,
)

if TYPE_CHECKING:
    from kismet_tx.capture.sensor import Sensor


class _SensorProtocol(WebSocketClientProtocol):
    sensor: Sensor

    def onOpen(self) -> None:
        self.sensor.connected(lambda data: self.sendMessage(data, isBinary=True),
                              lambda: self.sendClose(1000), self.transport)

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        self.sensor.data_received(payload)

    def onClose(self, wasClean: bool, code: Any, reason: Any) -> None:
        if getattr(self, "_sensor_open", True):
            self._sensor_open = False
            self.sensor.lost(f"websocket closed ({code}: {reason or 'no reason'})")


class _SensorFactory(WebSocketClientFactory):
    def __init__(self, sensor: Sensor, url: str) -> None:
        WebSocketClientFactory.__init__(self, url)
        self.sensor = sensor
        self.setProtocolOptions(maxMessagePayloadSize=0, maxFramePayloadSize=0)

    def buildProtocol(self, addr: Any) -> _SensorProtocol:
        protocol = _SensorProtocol()
        protocol.factory = self
        protocol.sensor = self.sensor
        return protocol

    def clientConnectionFailed(self, connector: Any, reason: Any) -> None:
        self.sensor.lost(reason.getErrorMessage())


def connect_websocket(sensor: Sensor, url: str) -> None:
    """Connect the sensor to ``url`` (``ws://host:port/path?login``)."""
    connectWS(_SensorFactory(sensor, url))
