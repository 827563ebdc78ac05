"""What feeds the event bus: the server's parts, wired to Kismet's topics.

Once a second, as Kismet's timers do: ``TIMESTAMP``, ``BATTERY``,
``STATISTICS``, ``PACKETCHAIN_STATS`` (sampled here) and ``GPS_LOCATION``
(the no-fix record when there is no fix). As they happen: ``MESSAGE``,
``ALERT``, ``NEW_DATASOURCE``, ``DATASOURCE_OPENED/CLOSED/ERROR`` (the
source's UUID, as Kismet sends it), ``NEW_DEVICE`` and the SSID events
``DOT11_ADVERTISED_SSID``, ``DOT11_RESPONSE_SSID`` and ``DOT11_PROBED_SSID``
(each with the device under ``DOT11_NEW_SSID_BASEDEV``).

Content is built only when a topic has listeners (see :class:`EventBus`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twisted.application.service import Service
from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import LoopingCall

from kismet_tx import eventbus as topics
from kismet_tx.eventbus import EventBus
from kismet_tx.packetstats import PacketStats
from kismet_tx.trackerevents import TrackerEvents

_DATASOURCE_TOPICS = {
    "new": topics.NEW_DATASOURCE,
    "opened": topics.DATASOURCE_OPENED,
    "closed": topics.DATASOURCE_CLOSED,
    "error": topics.DATASOURCE_ERROR,
}


class EventPublisher(Service):
    """Publishes the server's events; ``attach_*`` wire each part once."""

    name = "eventbus"

    def __init__(self, clock: IReactorTime, bus: EventBus, packet_stats: PacketStats, *,
                 monitor: Any, location: Callable[[], dict[str, Any]]) -> None:
        self._clock = clock
        self.bus = bus
        self.packet_stats = packet_stats
        self._monitor = monitor
        self._location = location
        self._loop: LoopingCall | None = None

    # -- wiring ---------------------------------------------------------------------

    def attach_messages(self, messages: Any) -> None:
        messages.subscribe(self._message)

    def attach_alerts(self, alerts: Any) -> None:
        alerts.on_alert.append(self._alert)

    def attach_datasources(self, datasources: Any) -> None:
        datasources.state_listeners.append(self._datasource)

    def attach_devices(self, devices: Any, record: Callable[[Any], Any], dot11: Any) -> None:
        hooks = TrackerEvents(self.bus, record)
        devices.new_device_hooks.append(hooks.new_device)
        dot11.ssid_hooks.append(hooks.ssid)

    # The hooks: each builds its content only when someone listens.

    def _message(self, message: Any) -> None:
        self.bus.publish(topics.MESSAGE, lambda: {topics.MESSAGE: message.record()})

    def _alert(self, alert: Any) -> None:
        self.bus.publish(topics.ALERT, lambda: {topics.ALERT: alert.record()})

    def _datasource(self, source: Any, state: str) -> None:
        topic = _DATASOURCE_TOPICS[state]
        if state == "new":
            self.bus.publish(topic, lambda: {topic: source.record()})
        else:
            self.bus.publish(topic, {topic: source.uuid})

    # -- the once-a-second events ----------------------------------------------------------

    def tick(self) -> None:
        """Sample the packet counters and publish the periodic events."""
        now = self._clock.seconds()
        self.packet_stats.sample(now)
        bus, monitor = self.bus, self._monitor
        bus.publish(topics.TIMESTAMP, lambda: {topics.TIMESTAMP: monitor.timestamp()})
        bus.publish(topics.BATTERY, lambda: {topics.BATTERY: monitor.battery()})
        bus.publish(topics.STATISTICS, lambda: {topics.STATISTICS: monitor.statistics()})
        bus.publish(topics.PACKETCHAIN_STATS, lambda: {
            topics.PACKETCHAIN_STATS: self.packet_stats.record(now)})
        bus.publish(topics.GPS_LOCATION, lambda: {topics.GPS_LOCATION: self._location()})

    def startService(self) -> None:
        Service.startService(self)
        self._loop = LoopingCall(self.tick)
        self._loop.clock = self._clock
        self._loop.start(1.0, now=True)

    def stopService(self) -> Any:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        return Service.stopService(self)
