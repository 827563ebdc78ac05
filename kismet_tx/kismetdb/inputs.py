"""What the kismetdb log reads, handed in by the service (no upward imports)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kismet_tx.chain import PacketChain
from kismet_tx.kismetdb import rows
from kismet_tx.messagebus import MessageBus

__all__ = ["LogInputs"]


@dataclass
class LogInputs:
    """What the log reads, handed in by the service (no upward imports)."""

    chain: PacketChain
    bus: MessageBus
    #: Every device (the tracker's ``devices``), each with ``mod_time``.
    devices: Callable[[], Iterable[Any]]
    #: The REST API's record of a device.
    device_record: Callable[[Any], Mapping[str, Any]]
    #: The REST API's JSON encoder.
    encode: rows.Encoder
    #: Every datasource's record.
    datasources: Callable[[], list[Mapping[str, Any]]]
    #: The best location now, or None.
    location: Callable[[], Any]
    #: The ``kismet.system.*`` record for ``SYSTEM`` snapshots.
    system_record: Callable[[], Mapping[str, Any]]
    #: ``(location or None, record)`` of every GPS.
    gps_records: Callable[[], list[tuple[Any, Mapping[str, Any]]]]
    #: Alert listener lists to join (``AlertTracker.on_alert``), and phy names by id.
    alert_listeners: list[Callable[[Any], Any]] | None = None
    phy_name: Callable[[int], str | None] = lambda _: None
