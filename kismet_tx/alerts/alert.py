"""Alerts as records: severities, the alert errors, definitions and raised alerts.

An :class:`AlertDefinition` is one alert kind (header, class, severity,
description, phy, rate limit); an :class:`Alert` is one raised instance, as
the ``kismet.alert.*`` record. :data:`ALERT_FIELDS` describes both records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kismet_tx.alerts.macs import BROADCAST_MAC, EMPTY_MAC
from kismet_tx.alerts.rates import DEFAULT_LIMIT, RateLimit, Throttle
from kismet_tx.fields import FieldDef

__all__ = [
    "ALERT_FIELDS",
    "CLASSES",
    "DEFAULT_BACKLOG",
    "PHY_ANY",
    "Alert",
    "AlertDefinition",
    "AlertError",
    "AlertThrottled",
    "DuplicateAlert",
    "Severity",
    "UnknownAlert",
    "UnknownPhy",
]

#: Backlog size without ``alertbacklog``.
DEFAULT_BACKLOG = 50
#: ``phyid`` of an alert that applies to every phy.
PHY_ANY = -1
#: Alert classes Kismet uses.
CLASSES = ("DENIAL", "EXPLOIT", "OTHER", "PROBE", "SPOOF", "SYSTEM")


class Severity:
    """Kismet's ``kis_alert_severity`` values."""

    INFO = 0
    LOW = 5
    MEDIUM = 10
    HIGH = 15
    CRITICAL = 20

    NAMES = {"INFO": 0, "LOW": 5, "MEDIUM": 10, "HIGH": 15, "CRITICAL": 20}


class AlertError(ValueError):
    """An alert request that cannot be done; the message says why."""


class UnknownAlert(AlertError):
    """No alert with that name is defined."""


class DuplicateAlert(AlertError):
    """An alert with that name is already defined."""


class UnknownPhy(AlertError):
    """The named phy does not exist."""


class AlertThrottled(AlertError):
    """The alert's rate limit refused it (or its rate is 0)."""


ALERT_FIELDS = (
    FieldDef("kismet.alert.header", "string", "alert type"),
    FieldDef("kismet.alert.class", "string", "alert class (DENIAL, EXPLOIT, OTHER, PROBE, "
             "SPOOF, SYSTEM)"),
    FieldDef("kismet.alert.severity", "uint8",
             "severity: 0 info, 5 low, 10 medium, 15 high, 20 critical"),
    FieldDef("kismet.alert.hash", "uint32", "alert identifier (/alerts/by-id)"),
    FieldDef("kismet.alert.phy_id", "int64", "phy the alert belongs to (-1: any)"),
    FieldDef("kismet.alert.timestamp", "double", "time the alert was raised (sec.usec)"),
    FieldDef("kismet.alert.transmitter_mac", "string", "BSSID / transmitter involved"),
    FieldDef("kismet.alert.source_mac", "string", "source MAC involved"),
    FieldDef("kismet.alert.dest_mac", "string", "destination MAC involved"),
    FieldDef("kismet.alert.other_mac", "string", "other MAC involved"),
    FieldDef("kismet.alert.channel", "string", "phy-specific channel"),
    FieldDef("kismet.alert.frequency", "double", "frequency, kHz"),
    FieldDef("kismet.alert.text", "string", "alert text"),
    FieldDef("kismet.alert.location", "kismet.common.location", "location of the alert"),
    FieldDef("kismet.alert.device_key", "string", "key of the device the alert is about"),
    FieldDef("kismet.alert.list", "vector[kismet.alert.alert]", "list of alerts"),
    FieldDef("kismet.alert.definition.header", "string", "alert name"),
    FieldDef("kismet.alert.definition.class", "string", "alert class"),
    FieldDef("kismet.alert.definition.severity", "uint8", "alert severity"),
    FieldDef("kismet.alert.definition.description", "string", "alert description"),
    FieldDef("kismet.alert.definition.phyid", "int64", "phy id (-1: any phy)"),
    FieldDef("kismet.alert.definition.limit_unit", "uint64",
             "throttle time unit: 0 sec, 1 min, 2 hour, 3 day"),
    FieldDef("kismet.alert.definition.limit_rate", "uint64",
             "alerts allowed per throttle unit (0: disabled)"),
    FieldDef("kismet.alert.definition.burst_unit", "uint64",
             "burst time unit: 0 sec, 1 min, 2 hour, 3 day"),
    FieldDef("kismet.alert.definition.limit_burst", "uint64", "alerts allowed per burst unit"),
    FieldDef("kismet.alert.definition.burst_sent", "uint64", "alerts sent in the current burst"),
    FieldDef("kismet.alert.definition.total_sent", "uint64",
             "alerts sent in the current throttle window"),
    FieldDef("kismet.alert.definition.time_last", "double", "time of the last alert"),
)
# ``kismet.alert.timestamp`` doubles as the wrapper's report time.

_NO_LOCATION: dict[str, Any] = {
    "kismet.common.location.geopoint": [0.0, 0.0],
    "kismet.common.location.alt": 0.0,
    "kismet.common.location.fix": 0,
    "kismet.common.location.time_sec": 0,
    "kismet.common.location.time_usec": 0,
}


class AlertDefinition:
    """One alert kind and its throttle counters."""

    __slots__ = ("header", "klass", "severity", "description", "phyid", "throttle",
                 "default_limit", "pinned")

    def __init__(self, header: str, klass: str, severity: int, description: str,
                 phyid: int, limit: RateLimit, default_limit: RateLimit = DEFAULT_LIMIT,
                 pinned: bool = False) -> None:
        self.header = header
        self.klass = klass
        self.severity = severity
        self.description = description
        self.phyid = phyid
        self.throttle = Throttle(limit)
        #: The limit without an ``alert=`` line; ``pinned``: the limit came with the
        #: definition itself and config reloads leave it alone.
        self.default_limit = default_limit
        self.pinned = pinned

    @property
    def limit(self) -> RateLimit:
        """The rate limit in force."""
        return self.throttle.limit

    def record(self) -> dict[str, Any]:
        """The ``kismet.alert.definition.*`` record."""
        throttle = self.throttle
        limit = throttle.limit
        return {
            "kismet.alert.definition.header": self.header,
            "kismet.alert.definition.class": self.klass,
            "kismet.alert.definition.severity": self.severity,
            "kismet.alert.definition.description": self.description,
            "kismet.alert.definition.phyid": self.phyid,
            "kismet.alert.definition.limit_unit": int(limit.limit_unit),
            "kismet.alert.definition.limit_rate": limit.limit_rate,
            "kismet.alert.definition.burst_unit": int(limit.burst_unit),
            "kismet.alert.definition.limit_burst": limit.burst_rate,
            "kismet.alert.definition.burst_sent": throttle.burst_sent,
            "kismet.alert.definition.total_sent": throttle.total_sent,
            "kismet.alert.definition.time_last": throttle.time_last,
        }


@dataclass(frozen=True, slots=True)
class Alert:
    """One raised alert. MACs are ``"AA:BB:..."`` strings, ``00:00:00:00:00:00`` when unset."""

    header: str
    klass: str
    severity: int
    hash: int
    phy_id: int
    timestamp: float
    transmitter_mac: str
    source_mac: str
    dest_mac: str
    other_mac: str
    channel: str
    frequency: float
    text: str
    device_key: str

    def devices(self) -> list[str]:
        """The distinct unicast MACs involved (transmitter, source, dest, other)."""
        out: list[str] = []
        for mac in (self.transmitter_mac, self.source_mac, self.dest_mac, self.other_mac):
            if mac not in out and mac != EMPTY_MAC and mac != BROADCAST_MAC \
                    and not int(mac[:2], 16) & 1:
                out.append(mac)
        return out

    def record(self) -> dict[str, Any]:
        """The ``kismet.alert.*`` record."""
        return {
            "kismet.alert.header": self.header,
            "kismet.alert.class": self.klass,
            "kismet.alert.severity": self.severity,
            "kismet.alert.hash": self.hash,
            "kismet.alert.phy_id": self.phy_id,
            "kismet.alert.timestamp": self.timestamp,
            "kismet.alert.transmitter_mac": self.transmitter_mac,
            "kismet.alert.source_mac": self.source_mac,
            "kismet.alert.dest_mac": self.dest_mac,
            "kismet.alert.other_mac": self.other_mac,
            "kismet.alert.channel": self.channel,
            "kismet.alert.frequency": self.frequency,
            "kismet.alert.text": self.text,
            "kismet.alert.location": dict(_NO_LOCATION),
            "kismet.alert.device_key": self.device_key,
        }
