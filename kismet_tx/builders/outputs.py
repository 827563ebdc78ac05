"""What the server gives out besides REST: logs, plugins, the message-bus export,
the aggregate of other servers, and the event bus."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kismet_tx.alerts.alertsystem import AlertSystem
from kismet_tx.capture.datasourcetracker import DatasourceTracker
from kismet_tx.chain import PacketChain
from kismet_tx.config import Config
from kismet_tx.eventbus import EventBus
from kismet_tx.eventsources import EventPublisher
from kismet_tx.export.aggregate import AggregateConsumer, AggregateStore
from kismet_tx.export.feed import Exporter
from kismet_tx.export.wiring import build_aggregate, build_export
from kismet_tx.fields import FieldRegistry
from kismet_tx.gps.manager import GpsTracker
from kismet_tx.http.nohardware import NOHARDWARE_FIELDS
from kismet_tx.kismetdb.inputs import LogInputs
from kismet_tx.kismetdb.log import DRIVER as KISMETDB_DRIVER
from kismet_tx.kismetdb.log import LOG_TYPE as KISMETDB_LOG_TYPE
from kismet_tx.kismetdb.log import KismetdbLog
from kismet_tx.kismetdb.settings import KismetdbSettings
from kismet_tx.messagebus import MessageBus
from kismet_tx.packetstats import PACKETSTATS_FIELDS, PacketStats
from kismet_tx.plugins.api import PluginHost
from kismet_tx.plugins.manager import PLUGIN_FIELDS, PluginManager
from kismet_tx.streams.logcatalog import LOG_FIELDS, LogCatalog
from kismet_tx.streams.logfile import PacketLogService
from kismet_tx.streams.lognaming import LogSettings
from kismet_tx.streams.registry import StreamRegistry
from kismet_tx.sysmon import SystemMonitor
from kismet_tx.tracker import Tracking
from kismet_tx.tracker.ssids import SSIDGROUP_FIELDS, SsidTracker
from kismet_tx.webmodules import JsModules

#: Encodes a record as the REST API's JSON.
Encode = Callable[[Any], bytes]


@dataclass
class Logs:
    """The pcapng log, the kismetdb log (when ``log_types`` has ``kismet``) and their list."""

    pcapng: PacketLogService
    kismetdb: KismetdbLog | None
    catalog: LogCatalog


def build_logs(config: Config, reactor: Any, bus: MessageBus, fields: FieldRegistry, *,
               chain: PacketChain, streams: StreamRegistry, devices: Tracking,
               sources: DatasourceTracker, gps: GpsTracker, alerts: AlertSystem,
               monitor: SystemMonitor, encode: Encode) -> Logs:
    """The logs of ``log_types``; the kismetdb one is fed the REST API's records."""
    pcapng = PacketLogService(LogSettings.from_config(config), streams, bus, reactor)
    kismetdb = None
    naming = pcapng.settings
    if naming.enabled and KISMETDB_LOG_TYPE in naming.types:
        device_tracker = devices.device_tracker
        inputs = LogInputs(
            chain=chain, bus=bus, devices=device_tracker.devices, device_record=devices.record,
            # JSON as text, so that sqlite's json_extract() reads it.
            encode=lambda record: encode(record).decode(),
            datasources=lambda: [s.record() for s in sources.sources()],
            location=gps.best,
            system_record=lambda: {**monitor.status(),
                                   "kismet.system.server_uuid": device_tracker.server_uuid},
            gps_records=lambda: [(g.current(), g.record()) for g in gps.all()],
            alert_listeners=alerts.alert_tracker.on_alert, phy_name=alerts.alert_tracker.phy_name)
        kismetdb = KismetdbLog(KismetdbSettings.from_config(config), naming, inputs, reactor,
                               home=str(Path.home()))
    fields.register(LOG_FIELDS)
    # A kismetdb log that failed to open is not listed (as in Kismet).
    catalog = LogCatalog(pcapng, [(KISMETDB_DRIVER, lambda: [
        kismetdb.record()] if kismetdb is not None and kismetdb.path else [])])
    return Logs(pcapng, kismetdb, catalog)


def build_plugins(config: Config, reactor: Any, bus: MessageBus, fields: FieldRegistry, *,
                  chain: PacketChain, alerts: AlertSystem, gps: GpsTracker,
                  js_modules: JsModules) -> PluginManager:
    """The plugins of ``plugin=`` and those installed, each with its API."""
    fields.register(PLUGIN_FIELDS)
    host = PluginHost(reactor, bus, fields, chain, js_modules=js_modules,
                      alerts=lambda: alerts.alert_tracker, location=gps.best)
    return PluginManager(host, configured=config.get_list("plugin"))


@dataclass
class Exports:
    """Publishing to a message broker, and the store of other servers' devices."""

    export: Exporter | None
    aggregate_store: AggregateStore
    aggregate: AggregateConsumer | None


def build_exports(config: Config, reactor: Any, bus: MessageBus, *, chain: PacketChain,
                  devices: Tracking, alerts: AlertSystem, encode: Encode) -> Exports:
    """The ``amqp_*`` export and aggregate (each None when not configured)."""
    export = build_export(
        config, reactor=reactor, bus=bus,
        server_name=config.get("server_name", "Kismet") or "Kismet",
        devices=devices.device_tracker.devices, record=devices.record, encode=encode,
        alert_listeners=alerts.alert_tracker.on_alert, chain=chain)
    store, aggregate = build_aggregate(config, reactor=reactor, bus=bus)
    return Exports(export, store, aggregate)


@dataclass
class Events:
    """The event bus, what feeds it, and the trackers only it and REST read."""

    bus: EventBus
    publisher: EventPublisher
    ssids: SsidTracker
    packet_stats: PacketStats


def build_events(reactor: Any, messages: MessageBus, fields: FieldRegistry, *,
                 chain: PacketChain, devices: Tracking, sources: DatasourceTracker,
                 gps: GpsTracker, alerts: AlertSystem, monitor: SystemMonitor) -> Events:
    """The event bus and what feeds it (``eventsources.py``)."""
    fields.register(PACKETSTATS_FIELDS + SSIDGROUP_FIELDS + NOHARDWARE_FIELDS)
    ssids = SsidTracker()
    ssids.attach(devices.dot11)
    events = EventBus(reactor)
    packet_stats = PacketStats(chain)
    publisher = EventPublisher(reactor, events, packet_stats, monitor=monitor,
                               location=gps.location_record)
    publisher.attach_messages(messages)
    publisher.attach_alerts(alerts.alert_tracker)
    publisher.attach_datasources(sources)
    publisher.attach_devices(devices.device_tracker, devices.record, devices.dot11)
    return Events(events, publisher, ssids, packet_stats)
