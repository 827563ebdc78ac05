"""Device tracking: the tracker, the 802.11 phy, lazy records and views.

:func:`build_tracking` wires them: subscribe ``tracking.dot11`` to the packet
chain, serve ``tracking`` to the HTTP areas, and hand ``tracking.device_tracker`` to
whoever needs devices (alerts: ``add_alert``; streams: ``lookup`` and
``handshake_frames``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from twisted.internet.interfaces import IReactorTime

from kismet_tx.tracker.device import Device
from kismet_tx.tracker.devicefields import DEVICE_FIELDS
from kismet_tx.tracker.devices import DeviceTracker
from kismet_tx.tracker.dot11phy import Dot11Phy
from kismet_tx.tracker.oui import ManufDb
from kismet_tx.tracker.records import DeviceRecord, record_of
from kismet_tx.tracker.views import Views

__all__ = ["DEVICE_FIELDS", "Tracking", "build_tracking"]


@dataclass
class Tracking:
    """The tracker with its 802.11 phy, record builder and views."""

    device_tracker: DeviceTracker
    dot11: Dot11Phy
    record: Callable[[Device], DeviceRecord]
    views: Views


def build_tracking(clock: IReactorTime, manuf: ManufDb | None = None, *,
                   device_timeout: float = 0, max_devices: int = 0,
                   server_uuid: str | None = None,
                   location_factory: Callable[[], Any] | None = None,
                   track_rrds: bool = True) -> Tracking:
    """A tracker with the 802.11 phy registered.

    ``location_factory`` makes a per-device location aggregate (``add``,
    ``record``) fed with ``packet.location`` from the packets that give a
    device its signal; ``kismet.device.base.location`` is its record.
    """
    device_tracker = DeviceTracker(clock, manuf, server_uuid=server_uuid,
                                   device_timeout=device_timeout, max_devices=max_devices,
                                   location_factory=location_factory, track_rrds=track_rrds)
    dot11 = Dot11Phy(device_tracker, phy_id=len(device_tracker.phys))
    device_tracker.add_phy(dot11)
    record = record_of(device_tracker)
    return Tracking(device_tracker, dot11, record, Views(device_tracker, record))
