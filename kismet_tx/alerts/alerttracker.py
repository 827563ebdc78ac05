"""The alert tracker: alert definitions, their rate limits, and the backlog of raised alerts.

Every alert kind is *defined* once (header, class, severity, description,
phy and rate limit). Raising one checks its throttle on the injected clock,
builds a ``kismet.alert.*`` record, keeps it in a bounded backlog
(``alertbacklog``), posts ``"<HEADER> <text>"`` on the message bus with the
ALERT flag and calls every ``on_alert`` listener (the device tracker counts
``num_alerts`` there).
"""

from __future__ import annotations

import zlib
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from kismet_tx.alerts.alert import (
    DEFAULT_BACKLOG,
    PHY_ANY,
    Alert,
    AlertDefinition,
    AlertError,
    AlertThrottled,
    DuplicateAlert,
    Severity,
    UnknownAlert,
    UnknownPhy,
)
from kismet_tx.alerts.macs import BROADCAST_MAC, DOT11_PHY, EMPTY_MAC, device_key, mac_text
from kismet_tx.alerts.rates import DEFAULT_LIMIT, RateLimit
from kismet_tx.messagebus import ALERT, MAX_BACKLOG, MessageBus

__all__ = ["AlertListener", "AlertTracker"]

_log = Logger(namespace="kismet_tx.alerts")


def _mac_or_empty(value: str | bytes | None) -> str:
    if value is None or value == "" or value == b"":
        return EMPTY_MAC
    if isinstance(value, bytes):
        return value.hex(":").upper()
    return mac_text(value)


AlertListener = Callable[[Alert], Any]


class AlertTracker:
    """Alert definitions, rate limits and the backlog of raised alerts."""

    def __init__(self, clock: IReactorTime, bus: MessageBus, *,
                 backlog: int = DEFAULT_BACKLOG, rates: Mapping[str, RateLimit] | None = None,
                 phys: Mapping[str, int] | None = None) -> None:
        """``rates`` are the ``alert=`` lines by upper-case name; ``phys`` maps phy
        names to ids (default: ``IEEE802.11`` is phy 0)."""
        self._clock = clock
        self._bus = bus
        self._rates = {name.upper(): limit for name, limit in (rates or {}).items()}
        self._phys = dict(phys) if phys is not None else {DOT11_PHY: 0}
        self._definitions: dict[str, AlertDefinition] = {}
        self._backlog: deque[Alert] = deque(maxlen=min(max(1, backlog), MAX_BACKLOG))
        self._serial = 0
        #: Called with every raised alert (e.g. the device tracker's num_alerts).
        self.on_alert: list[AlertListener] = []

    # -- definitions --------------------------------------------------------------

    def phy_id(self, phyname: str) -> int:
        """The id of a phy by name; UnknownPhy if there is none."""
        phy = self._phys.get(phyname)
        if phy is None:
            known = ", ".join(sorted(self._phys)) or "none"
            raise UnknownPhy(f"unknown phy '{phyname}' (known: {known})")
        return phy

    def phy_name(self, phyid: int) -> str | None:
        """The name of a phy id, if known."""
        for name, number in self._phys.items():
            if number == phyid:
                return name
        return None

    def configured_limit(self, header: str, default: RateLimit = DEFAULT_LIMIT) -> RateLimit:
        """The ``alert=`` limit for ``header``, else ``default``."""
        return self._rates.get(header.upper(), default)

    def define(self, header: str, description: str, *, klass: str = "OTHER",
               severity: int = Severity.LOW, phyid: int = PHY_ANY,
               limit: RateLimit | None = None,
               default_limit: RateLimit = DEFAULT_LIMIT) -> AlertDefinition:
        """Define an alert kind.

        ``limit`` (from a define command) wins; otherwise an ``alert=`` line for the
        name, otherwise ``default_limit``. DuplicateAlert if the name is taken.
        """
        name = header.strip().upper()
        if not name:
            raise AlertError("alert name is empty")
        if name in self._definitions:
            raise DuplicateAlert(f"alert '{name}' is already defined")
        if not 0 <= severity <= 255:
            raise AlertError(f"severity {severity} is outside 0-255")
        chosen = limit if limit is not None else self.configured_limit(name, default_limit)
        definition = AlertDefinition(name, klass.strip().upper() or "OTHER", severity,
                                     description, phyid, chosen, default_limit,
                                     pinned=limit is not None)
        self._definitions[name] = definition
        return definition

    def set_rates(self, rates: Mapping[str, RateLimit]) -> None:
        """Apply new ``alert=`` lines to every definition not pinned by its definer.

        Counters carry over, so a reload does not reopen a closed window.
        """
        self._rates = {name.upper(): limit for name, limit in rates.items()}
        for definition in self._definitions.values():
            if not definition.pinned:
                definition.throttle.limit = self._rates.get(definition.header,
                                                            definition.default_limit)

    def set_backlog(self, size: int) -> None:
        """Keep at most ``size`` raised alerts from now on (the newest stay)."""
        self._backlog = deque(self._backlog, maxlen=min(max(1, size), MAX_BACKLOG))

    def definition(self, header: str) -> AlertDefinition | None:
        """The definition of an alert by name (any case)."""
        return self._definitions.get(header.strip().upper())

    def definitions(self) -> list[AlertDefinition]:
        """Every definition, in definition order."""
        return list(self._definitions.values())

    # -- raising ----------------------------------------------------------------------

    def _require(self, header: str) -> AlertDefinition:
        definition = self.definition(header)
        if definition is None:
            raise UnknownAlert(f"Unknown alert type '{header}'")
        return definition

    def potential(self, header: str) -> bool:
        """Whether ``header`` would be raised now (defined, enabled, not throttled)."""
        definition = self.definition(header)
        return definition is not None and definition.throttle.allows(self._clock.seconds())

    def raise_alert(self, header: str, text: str, *, bssid: str | bytes | None = None,
                    source: str | bytes | None = None, dest: str | bytes | None = None,
                    other: str | bytes | None = None, channel: str = "",
                    frequency: float = 0.0) -> Alert:
        """Raise an alert through its rate limit.

        UnknownAlert for an undefined name, AlertThrottled when the limit refuses
        it, ValueError for a MAC that does not parse.
        """
        definition = self._require(header)
        macs = (_mac_or_empty(bssid), _mac_or_empty(source), _mac_or_empty(dest),
                _mac_or_empty(other))
        now = self._clock.seconds()
        if definition.limit.disabled:
            raise AlertThrottled(f"alert '{definition.header}' is disabled (its rate is 0), "
                                 "alert not raised.")
        reason = definition.throttle.refusal(now)
        if reason is not None:
            raise AlertThrottled(reason)
        return self._emit(definition, now, macs, channel, frequency, text)

    def raise_one_shot(self, header: str, text: str, *, source: str | bytes | None = None,
                       channel: str = "") -> Alert | None:
        """Raise a system alert that skips the throttle windows (not a rate of 0).

        Returns None when the alert is disabled.
        """
        definition = self._require(header)
        if definition.throttle.limit.disabled:
            return None
        macs = (EMPTY_MAC, _mac_or_empty(source), EMPTY_MAC, EMPTY_MAC)
        return self._emit(definition, self._clock.seconds(), macs, channel, 0.0, text)

    def _emit(self, definition: AlertDefinition, now: float, macs: tuple[str, str, str, str],
              channel: str, frequency: float, text: str) -> Alert:
        definition.throttle.sent(now)
        self._serial += 1
        primary = next((m for m in (macs[1], macs[0]) if m != EMPTY_MAC and m != BROADCAST_MAC),
                       None)
        # An any-phy alert names its device as an 802.11 one, the only phy captured.
        phyname = self.phy_name(definition.phyid) or (
            DOT11_PHY if definition.phyid == PHY_ANY else None)
        key = device_key(primary, phyname) if primary is not None and phyname else ""
        alert = Alert(
            header=definition.header, klass=definition.klass, severity=definition.severity,
            hash=self._new_hash(definition.header, now, text), phy_id=definition.phyid,
            timestamp=now, transmitter_mac=macs[0], source_mac=macs[1], dest_mac=macs[2],
            other_mac=macs[3], channel=str(channel), frequency=float(frequency), text=text,
            device_key=key)
        self._backlog.append(alert)
        self._bus.post(f"{alert.header} {text}", ALERT)
        for listener in list(self.on_alert):
            try:
                listener(alert)
            except Exception:
                _log.failure("alert listener failed on {header}", header=alert.header)
        return alert

    def _new_hash(self, header: str, now: float, text: str) -> int:
        taken = {alert.hash for alert in self._backlog}
        seed = f"{self._serial}:{header}:{now!r}:{text}".encode("utf-8", "surrogateescape")
        value = zlib.crc32(seed)
        while value in taken or value == 0:
            value = (value + 1) & 0xFFFFFFFF
        return value

    # -- the backlog --------------------------------------------------------------------

    def alerts(self) -> list[Alert]:
        """The backlog, oldest first."""
        return list(self._backlog)

    def since(self, timestamp: float) -> list[Alert]:
        """Alerts raised strictly after ``timestamp``."""
        return [alert for alert in self._backlog if alert.timestamp > timestamp]

    def by_hash(self, value: int) -> Alert | None:
        """The alert with this hash, if it is still in the backlog."""
        for alert in self._backlog:
            if alert.hash == value:
                return alert
        return None

    def records(self, alerts: Iterable[Alert] | None = None) -> list[dict[str, Any]]:
        """``kismet.alert.*`` records of ``alerts`` (default: the backlog)."""
        return [alert.record() for alert in (self._backlog if alerts is None else alerts)]
