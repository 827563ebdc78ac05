"""What the server exports to the message bus: devices, alerts, messages, packets.

Routing keys are ``kismet.<server>.<kind>.<detail>`` (words made safe for a
topic exchange: dots and spaces become ``_``):

* ``kismet.<server>.device.<phy>``: a device's REST record (the same record
  code as ``/devices/...``), at most once per device per interval, for the
  devices whose ``kismet.device.base.mod_time`` moved since the last scan. The
  scan runs every ``interval`` seconds in cooperative slices, so the reactor
  (and capture) is never held by it; nothing is added to the packet path;
* ``kismet.<server>.alert.<HEADER>``: every alert's record, as it is raised;
* ``kismet.<server>.message.<info|error|alert|fatal|debug>``: every message;
* ``kismet.<server>.packet.<dlt>`` (``amqp_packets=true`` only): each
  packet's bytes, with its time, link type and source in the headers.

Every message carries the headers ``kismet.server.name`` and ``kind``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from twisted.application.service import MultiService
from twisted.internet import task
from twisted.internet.interfaces import IReactorTime

from kismet_tx.messagebus import ALERT, DEBUG, ERROR, FATAL, Message, MessageBus
from kismet_tx.tracker.changes import scan_changed

DEFAULT_INTERVAL = 5.0
#: Devices looked at per cooperative slice of a scan (a changed device's record
#: takes some 70 us to build and encode, so a slice holds the reactor < 10 ms).
SCAN_SLICE = 100
_UNSAFE = re.compile(r"[^A-Za-z0-9_\-]+")


class Publisher(Protocol):
    """Where exported messages go (:class:`~kismet_tx.export.amqp.AmqpPublisher`)."""

    def publish(self, routing_key: str, body: bytes, headers: dict[str, Any]) -> bool:
        """Queue one message; False when it was dropped."""


class FanOut(MultiService):
    """Several publishers as one (AMQP and MQTT at once)."""

    def __init__(self, publishers: list[Any]) -> None:
        MultiService.__init__(self)
        self.publishers = publishers
        for publisher in publishers:
            if hasattr(publisher, "setServiceParent"):
                publisher.setServiceParent(self)

    def publish(self, routing_key: str, body: bytes, headers: dict[str, Any]) -> bool:
        """Hand the message to each; True when at least one took it."""
        taken = [p.publish(routing_key, body, headers) for p in self.publishers]
        return any(taken)


def word(text: str) -> str:
    """``text`` as one word of a topic routing key."""
    return _UNSAFE.sub("_", text).strip("_") or "_"


def message_level(flags: int) -> str:
    """The routing word of a message's flags."""
    for bit, name in ((FATAL, "fatal"), (ALERT, "alert"), (ERROR, "error"), (DEBUG, "debug")):
        if flags & bit:
            return name
    return "info"


class Exporter(MultiService):
    """Feeds one publisher from the tracker, the alert tracker, the bus and the chain."""

    def __init__(self, *, publisher: Any, server_name: str, clock: IReactorTime,
                 devices: Callable[[], Iterable[Any]], record: Callable[[Any], Any],
                 encode: Callable[[Any], bytes], bus: MessageBus,
                 alert_listeners: list[Callable[[Any], None]],
                 chain: Any = None, packets: bool = False,
                 interval: float = DEFAULT_INTERVAL,
                 cooperator: task.Cooperator | None = None) -> None:
        MultiService.__init__(self)
        self.setName("exporter")
        self.publisher = publisher
        if hasattr(publisher, "setServiceParent"):
            publisher.setServiceParent(self)
        self.server = word(server_name)
        self._server_name = server_name
        self._clock = clock
        self._devices = devices
        self._record = record
        self._encode = encode
        self._bus = bus
        self._alert_listeners = alert_listeners
        self._chain = chain
        self._packets = packets
        self.interval = interval
        self._cooperator = cooperator or task.Cooperator(
            scheduler=lambda work: clock.callLater(0, work))
        self._loop: task.LoopingCall | None = None
        self._since = 0
        self._scanning = False
        #: Device records handed to the publisher.
        self.devices_sent = 0
        self.alerts_sent = 0
        self.messages_sent = 0
        self.packets_sent = 0
        #: Scans done.
        self.scans = 0

    def status(self) -> dict[str, Any]:
        """``/export/status``: what went out, and each publisher's counters."""
        publishers = getattr(self.publisher, "publishers", [self.publisher])
        return {
            "kismet.export.server": self._server_name,
            "kismet.export.interval": self.interval,
            "kismet.export.scans": self.scans,
            "kismet.export.devices": self.devices_sent,
            "kismet.export.alerts": self.alerts_sent,
            "kismet.export.messages": self.messages_sent,
            "kismet.export.packets": self.packets_sent,
            "kismet.export.publishers": [p.stats() for p in publishers if hasattr(p, "stats")],
        }

    def _headers(self, kind: str, **extra: Any) -> dict[str, Any]:
        return {"kismet.server.name": self._server_name, "kind": kind,
                "content_type": "application/json", **extra}

    # -- service --------------------------------------------------------------

    def startService(self) -> None:
        MultiService.startService(self)
        self._bus.subscribe(self._message)
        self._alert_listeners.append(self._alert)
        if self._packets and self._chain is not None:
            self._chain.subscribe(self._packet, "export", priority=1001)
        self._loop = task.LoopingCall(self.scan)
        self._loop.clock = self._clock
        self._loop.start(self.interval, now=False)

    def stopService(self) -> Any:
        self._bus.unsubscribe(self._message)
        if self._alert in self._alert_listeners:
            self._alert_listeners.remove(self._alert)
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        return MultiService.stopService(self)

    # -- devices --------------------------------------------------------------

    def scan(self) -> Any:
        """Publish the devices changed since the last scan (cooperatively)."""
        if self._scanning:
            return None
        self._scanning = True
        since, self._since = self._since, int(self._clock.seconds())
        done = scan_changed(self._devices(), since, self._publish_device,
                            cooperator=self._cooperator, slice_size=SCAN_SLICE)
        done.addBoth(self._scanned)
        return done

    def _scanned(self, result: Any) -> None:
        self._scanning = False
        self.scans += 1

    def _publish_device(self, device: Any) -> None:
        phy = getattr(getattr(device, "phy", None), "name", "unknown")
        body = self._encode(self._record(device))
        key = f"kismet.{self.server}.device.{word(phy)}"
        if self.publisher.publish(key, body, self._headers("device", phy=phy)):
            self.devices_sent += 1

    # -- alerts, messages, packets ---------------------------------------------

    def _alert(self, alert: Any) -> None:
        key = f"kismet.{self.server}.alert.{word(alert.header)}"
        if self.publisher.publish(key, self._encode(alert.record()),
                                  self._headers("alert", header=alert.header)):
            self.alerts_sent += 1

    def _message(self, message: Message) -> None:
        key = f"kismet.{self.server}.message.{message_level(message.flags)}"
        if self.publisher.publish(key, self._encode(message.record()), self._headers("message")):
            self.messages_sent += 1

    def _packet(self, packet: Any) -> None:
        source = getattr(packet.source, "uuid", "")
        headers = self._headers("packet", ts=packet.ts, dlt=packet.dlt, source=source)
        headers["content_type"] = "application/octet-stream"
        if self.publisher.publish(f"kismet.{self.server}.packet.{packet.dlt}",
                                  bytes(packet.data), headers):
            self.packets_sent += 1
