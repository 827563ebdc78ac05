"""The device tracker's events on the bus: a new device, a new SSID of a device.

These hooks run for every device and SSID the tracker creates, thousands of
times a second while a busy capture is replayed, so they are compiled with the
hot path: each counts the event, and builds its content (the device record)
only when someone listens to the topic.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from kismet_tx.eventbus import (
    DOT11_ADVERTISED_SSID,
    DOT11_NEW_SSID_BASEDEV,
    DOT11_PROBED_SSID,
    DOT11_RESPONSE_SSID,
    NEW_DEVICE,
    EventBus,
)
from kismet_tx.tracker.dot11records import probed_record, ssid_record

#: The tracker's SSID kinds, as bus topics.
SSID_TOPICS: Final = {
    "advertised": DOT11_ADVERTISED_SSID,
    "responded": DOT11_RESPONSE_SSID,
    "probed": DOT11_PROBED_SSID,
}


class TrackerEvents:
    """``new_device`` and ``ssid``: the device tracker's and the 802.11 phy's hooks.

    ``record(device)`` gives the device record an event carries.
    """

    def __init__(self, bus: EventBus, record: Callable[[Any], Any]) -> None:
        self._bus = bus
        self._record = record

    def new_device(self, device: Any) -> None:
        """``NEW_DEVICE``, with the device's record."""
        bus = self._bus
        if bus.wants(NEW_DEVICE):
            bus.deliver(NEW_DEVICE, {NEW_DEVICE: self._record(device)})

    def ssid(self, kind: str, device: Any, rec: Any, raw: bytes) -> None:
        """The SSID event of ``kind``, with the SSID's record and its device's."""
        topic = SSID_TOPICS[kind]
        bus = self._bus
        if bus.wants(topic):
            build = probed_record if kind == "probed" else ssid_record
            bus.deliver(topic, {DOT11_NEW_SSID_BASEDEV: self._record(device),
                                topic: build(rec)})
