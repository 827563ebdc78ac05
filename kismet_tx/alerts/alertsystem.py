"""The alert system as one piece: the alert tracker, 802.11 WIDS, device and source watches.

:func:`build_alerts` makes the whole set from the config; the service wires
its packet subscribers into the chain, its service under the server and its
``alert_tracker.on_alert`` to the device tracker. Nothing here knows HTTP.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from twisted.internet.interfaces import IReactorTime

from kismet_tx.alerts.alert import Alert
from kismet_tx.alerts.alerttracker import AlertTracker
from kismet_tx.alerts.config import AlertConfig
from kismet_tx.alerts.system import DeviceWatch, SourceLike, SourceWatch, SystemAlerts
from kismet_tx.alerts.wids.detector import Dot11Wids
from kismet_tx.config import Config
from kismet_tx.messagebus import MessageBus


@dataclass
class AlertSystem:
    """Every alert part of one server."""

    alert_tracker: AlertTracker
    wids: Dot11Wids
    device_watch: DeviceWatch
    service: SystemAlerts

    def reconfigure(self, config: Config) -> None:
        """Apply re-read alert settings (SIGHUP): rates, backlog size, apspoof and
        ssidcanary rules, and the config's watch lists. Raises ConfigError, changing
        nothing, when a setting is invalid. Definitions, counters, raised alerts and
        MACs added over HTTP stay."""
        settings = AlertConfig.from_config(config)
        self.alert_tracker.set_rates(settings.rates)
        self.alert_tracker.set_backlog(settings.backlog)
        self.wids.apspoof = settings.apspoof
        self.wids.ssidcanary = settings.ssidcanary
        self.device_watch.configure(settings.devicefound, settings.devicelost,
                               settings.found_timeout, settings.lost_timeout)

    def count_on(self, add_alert: Callable[[str], object]) -> None:
        """Call ``add_alert(mac)`` for each device every raised alert involves
        (the device tracker's ``num_alerts``)."""

        def count(alert: Alert) -> None:
            for mac in alert.devices():
                add_alert(mac)

        self.alert_tracker.on_alert.append(count)


def build_alerts(config: Config, clock: IReactorTime, bus: MessageBus, *,
                 sources: Callable[[], Iterable[SourceLike]] | None = None,
                 phys: Mapping[str, int] | None = None) -> AlertSystem:
    """Build the alert tracker, WIDS, device watch and checks from ``config``.

    Raises ConfigError for a malformed alert setting.
    """
    settings = AlertConfig.from_config(config)
    alert_tracker = AlertTracker(clock, bus, backlog=settings.backlog, rates=settings.rates,
                                 phys=phys)
    device_watch = DeviceWatch(alert_tracker, clock, found=settings.devicefound,
                               lost=settings.devicelost, found_timeout=settings.found_timeout,
                               lost_timeout=settings.lost_timeout)
    wids = Dot11Wids(alert_tracker, apspoof=settings.apspoof, ssidcanary=settings.ssidcanary)
    watch = SourceWatch(alert_tracker, sources) if sources is not None else None
    return AlertSystem(alert_tracker, wids, device_watch,
                       SystemAlerts(clock, device_watch, watch))
