"""The event bus: named events pushed to whoever listens (Kismet's ``eventbus``).

Each event has a topic (``ALERT``, ``TIMESTAMP``, ...) and a content map from
key to record; Kismet puts the payload under the topic's own name, and some
events carry more keys (an SSID event carries ``DOT11_NEW_SSID_BASEDEV``).
Listeners subscribe to one topic or to ``*``. Content is built only when
someone listens: a publisher may pass a callable instead of the map.

Delivery is synchronous on the reactor and never blocks: a listener that
writes to a slow client queues (bounded) on its own side.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from twisted.logger import Logger

_log = Logger(namespace="kismet_tx.eventbus")

ALL = "*"

TIMESTAMP = "TIMESTAMP"
BATTERY = "BATTERY"
STATISTICS = "STATISTICS"
MESSAGE = "MESSAGE"
ALERT = "ALERT"
GPS_LOCATION = "GPS_LOCATION"
PACKETCHAIN_STATS = "PACKETCHAIN_STATS"
NEW_DATASOURCE = "NEW_DATASOURCE"
DATASOURCE_OPENED = "DATASOURCE_OPENED"
DATASOURCE_CLOSED = "DATASOURCE_CLOSED"
DATASOURCE_ERROR = "DATASOURCE_ERROR"
NEW_DEVICE = "NEW_DEVICE"
#: The device key of the SSID events, and a topic that takes all three of them.
DOT11_NEW_SSID_BASEDEV = "DOT11_NEW_SSID_BASEDEV"
DOT11_ADVERTISED_SSID = "DOT11_ADVERTISED_SSID"
DOT11_RESPONSE_SSID = "DOT11_RESPONSE_SSID"
DOT11_PROBED_SSID = "DOT11_PROBED_SSID"

#: Topics whose events also go to the listeners of another name.
ALIASES: dict[str, tuple[str, ...]] = {
    DOT11_ADVERTISED_SSID: (DOT11_NEW_SSID_BASEDEV,),
    DOT11_RESPONSE_SSID: (DOT11_NEW_SSID_BASEDEV,),
    DOT11_PROBED_SSID: (DOT11_NEW_SSID_BASEDEV,),
}

Content = Mapping[str, Any]


@dataclass(slots=True)
class Event:
    """One published event; ``cache`` lets listeners share one encoding."""

    topic: str
    content: Content
    time: float
    cache: dict[Any, bytes] = field(default_factory=dict)

    def encoded(self, key: Any, encode: Callable[[Event], bytes]) -> bytes:
        """``encode(self)``, computed once per ``key`` (format and fields)."""
        data = self.cache.get(key)
        if data is None:
            data = self.cache[key] = encode(self)
        return data


Listener = Callable[[Event], None]


class EventBus:
    """Topic -> listeners; ``publish`` calls each listener of the topic and of ``*``."""

    def __init__(self, clock: Any) -> None:
        self._clock = clock
        self._listeners: dict[str, list[Listener]] = {}
        #: Topics an event of which reaches someone (their own, an alias or ``*``):
        #: per-packet publishers ask, so it is kept ready, not worked out per call.
        self._reached: frozenset[str] = frozenset()
        self._everything = False
        #: Events published per topic (whether anyone listened or not).
        self.published: dict[str, int] = {}

    def subscribe(self, topic: str, listener: Listener) -> None:
        """Call ``listener`` for every event of ``topic`` (``*``: every event)."""
        self._listeners.setdefault(topic, []).append(listener)
        self._reach()

    def unsubscribe(self, topic: str, listener: Listener) -> None:
        """Stop calling ``listener`` for ``topic``; unknown pairs are ignored."""
        listeners = self._listeners.get(topic)
        if listeners and listener in listeners:
            listeners.remove(listener)
            if not listeners:
                del self._listeners[topic]
            self._reach()

    def listened(self, topic: str) -> bool:
        """Whether an event of ``topic`` would reach anyone."""
        return self._everything or topic in self._reached

    def _reach(self) -> None:
        listened = self._listeners
        self._everything = ALL in listened
        self._reached = frozenset(listened) | {
            topic for topic, aliases in ALIASES.items()
            if any(alias in listened for alias in aliases)}

    def listeners(self, topic: str) -> int:
        """How many listeners ``topic`` has (``*`` not counted)."""
        return len(self._listeners.get(topic, ()))

    def publish(self, topic: str, content: Content | Callable[[], Content]) -> Event | None:
        """Deliver an event; returns it, or None when nobody listened."""
        if not self.wants(topic):
            return None
        return self.deliver(topic, content)

    def wants(self, topic: str) -> bool:
        """Count an event of ``topic`` as published; whether it would reach anyone.

        A per-packet publisher asks first and builds the content only when
        someone listens, then hands it to :meth:`deliver`.
        """
        self.published[topic] = self.published.get(topic, 0) + 1
        return self.listened(topic)

    def deliver(self, topic: str, content: Content | Callable[[], Content]) -> Event:
        """Deliver an event already counted by :meth:`wants` to its listeners."""
        if callable(content):
            content = content()
        event = Event(topic, content, self._clock.seconds())
        targets: list[Listener] = []
        for name in (topic, *ALIASES.get(topic, ()), ALL):
            targets.extend(self._listeners.get(name, ()))
        for listener in targets:
            try:
                listener(event)
            except Exception:
                _log.failure("event listener failed on {topic}", topic=topic)
        return event
