"""KismetService: builds every floor and wires them under one MultiService."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from twisted.application.service import MultiService
from twisted.internet import defer

from kismet_tx.builders.capture import build_capture
from kismet_tx.builders.chain import fill_chain
from kismet_tx.builders.http import ServedParts, build_areas, build_context, build_http
from kismet_tx.builders.outputs import build_events, build_exports, build_logs, build_plugins
from kismet_tx.builders.tracking import build_alert_system, build_trackers
from kismet_tx.capture.datasourcetracker import PROBED_FIELDS, SourceConflict
from kismet_tx.capture.pcapfile import REPLAY_FIELDS
from kismet_tx.capture.sourcerecord import DATASOURCE_FIELDS, DEFAULTS_FIELDS, DRIVER_FIELDS
from kismet_tx.capture.system import CaptureSystem
from kismet_tx.chain import PacketChain
from kismet_tx.channels import CHANNEL_FIELDS
from kismet_tx.config import Config
from kismet_tx.configfile import ConfigError
from kismet_tx.export.wiring import EXPORT_KEYS
from kismet_tx.fields import FieldRegistry
from kismet_tx.gps.base import GpsDefinitionError
from kismet_tx.kismetdb.settings import KEYS as KISMETDB_KEYS
from kismet_tx.messagebus import ERROR, INFO, MESSAGE_FIELDS, MessageBus
from kismet_tx.rrd import RRD_FIELDS
from kismet_tx.sourcedefinition import SourceDefinitionError
from kismet_tx.sysmon import SYSTEM_FIELDS, SystemMonitor
from kismet_tx.webmodules import JsModules

#: Every config key the server reads; anything else in kismet.conf is warned about.
KNOWN_KEYS = frozenset({
    "server_name", "server_description", "server_location",
    "httpd_bind_address", "httpd_port", "httpd_username", "httpd_password",
    "httpd_auth_all", "httpd_session_timeout", "httpd_max_body", "httpd_uri_prefix",
    "httpd_auth_file", "httpd_idle_timeout", "messagebus_backlog", "source",
    "channel_hop", "channel_hop_speed", "randomized_hopping", "retry_on_source_error",
    "split_source_hopping",
    "httpd_stream_backlog", "enable_logging", "log_types", "log_prefix", "log_title",
    "log_template",
    "tracker_device_timeout", "tracker_max_devices",
    "alert", "alertbacklog", "apspoof", "ssidcanary", "devicefound", "devicelost",
    "devicefound_timeout", "devicelost_timeout",
    "gps", "plugin", "httpd_home", "track_device_rrds",
    "remote_capture_enabled", "remote_capture_listen", "remote_capture_port",
    "remote_capture_max_frame",
    "httpd_allow_auth_creation", "httpd_login_failures", "httpd_login_lockout",
    "httpd_max_connections_per_address", "httpd_head_timeout",
    "httpd_ssl", "httpd_ssl_cert", "httpd_ssl_key", "httpd_access_log",
}) | KISMETDB_KEYS | EXPORT_KEYS


class KismetService(MultiService):
    """The whole server: each floor built by its builder (``kismet_tx/builders/``), the
    packet chain filled in stage order, every long-lived part a child service."""

    def __init__(self, config: Config, homedir: Path, reactor: Any,
                 sources: list[str] | None = None,
                 capture_system: CaptureSystem | None = None) -> None:
        MultiService.__init__(self)
        self.config = config
        self.homedir = homedir
        self.reactor = reactor
        self.bus = MessageBus(reactor, backlog=config.get_int("messagebus_backlog", 50))
        for warning in config.warnings:
            self.bus.post(warning, ERROR)
        self.fields = FieldRegistry()
        self.fields.register(SYSTEM_FIELDS + RRD_FIELDS + MESSAGE_FIELDS)
        self.fields.register(DATASOURCE_FIELDS + DRIVER_FIELDS + DEFAULTS_FIELDS
                             + PROBED_FIELDS + REPLAY_FIELDS + CHANNEL_FIELDS)
        homedir.mkdir(parents=True, exist_ok=True)
        self.ctx = build_context(config, homedir, reactor, reactor, self.bus,
                                 self.fields.describe)
        self.auth = self.ctx.auth
        self.monitor = SystemMonitor(
            reactor,
            server_name=config.get("server_name", "Kismet") or "Kismet",
            server_description=config.get("server_description", "") or "",
            server_location=config.get("server_location", "") or "",
            device_count=lambda: len(self.tracking.device_tracker),
            num_fields=lambda: len(self.fields),
            num_connections=lambda: self.site.open_connections,
            num_components=lambda: len(list(self)),
        )

        # Chain, then the trackers it feeds, then the capture that feeds it.
        self.chain = PacketChain(reactor)
        trackers = build_trackers(config, reactor, self.bus, self.fields)
        self.gps, self.tracking = trackers.gps, trackers.devices
        self.channels, self.streams = trackers.channels, trackers.streams
        #: ``gps=`` definitions from the config, and their UUIDs (for reload).
        self._config_gps: dict[str, str] = {}
        self._add_gps(config.get_list("gps"))
        capture = build_capture(config, reactor, self.bus, self.fields, self.chain,
                                capture_system)
        self.datasources, self.remote = capture.sources, capture.remote
        self.sensor_gps = capture.sensor_gps
        self.alerts = build_alert_system(config, reactor, self.bus, self.fields,
                                         self.datasources, self.tracking)
        fill_chain(self.chain, gps=self.gps, devices=self.tracking, channels=self.channels,
                   alerts=self.alerts, streams=self.streams)

        # What goes out: logs, plugins, export, events, then the REST API.
        serializer = self.ctx.serializer
        encode = lambda value: serializer.encode(value, "json")  # noqa: E731
        logs = build_logs(config, reactor, self.bus, self.fields, chain=self.chain,
                          streams=self.streams, devices=self.tracking,
                          sources=self.datasources, gps=self.gps, alerts=self.alerts,
                          monitor=self.monitor, encode=encode)
        self.logs, self.kismetdb, self.log_catalog = logs.pcapng, logs.kismetdb, logs.catalog
        self.js_modules = JsModules()
        self.plugins = build_plugins(config, reactor, self.bus, self.fields, chain=self.chain,
                                     alerts=self.alerts, gps=self.gps,
                                     js_modules=self.js_modules)
        exports = build_exports(config, reactor, self.bus, chain=self.chain,
                                devices=self.tracking, alerts=self.alerts, encode=encode)
        self.export, self.aggregate = exports.export, exports.aggregate
        self.aggregate_store = exports.aggregate_store
        events = build_events(reactor, self.bus, self.fields, chain=self.chain,
                              devices=self.tracking, sources=self.datasources, gps=self.gps,
                              alerts=self.alerts, monitor=self.monitor)
        self.events, self.ssids = events.bus, events.ssids
        self.packet_stats = events.packet_stats
        served = ServedParts(
            clock=reactor, bus=self.bus, fields=self.fields, monitor=self.monitor,
            datasources=self.datasources, remote_capture=self.remote.capture,
            channels=self.channels, tracking=self.tracking, alerts=self.alerts,
            streams=self.streams, gps=self.gps, plugins=self.plugins,
            log_catalog=self.log_catalog, aggregate_store=self.aggregate_store,
            export=self.export, events=self.events, js_modules=self.js_modules,
            ssids=self.ssids, packet_stats=self.packet_stats)
        http = build_http(config, homedir, reactor, self.ctx,
                          build_areas(config, self.ctx, served), self.bus)
        self.root, self.site, self.http = http.root, http.site, http.server

        # Started in this order, stopped in reverse.
        for service in (self.monitor, self.gps, self.tracking.device_tracker, self.streams,
                        self.datasources,
                        self.remote, self.alerts.service, self.logs, self.kismetdb,
                        self.plugins, self.export, self.aggregate, events.publisher,
                        self.http):
            if service is not None:
                service.setServiceParent(self)  # type: ignore[no-untyped-call]  # untyped in Twisted
        self._cli_sources = list(sources or [])
        self._pending_sources = self._cli_sources + config.get_list("source")
        #: ``source=`` definitions from the config, and their UUIDs (for reload).
        self._config_sources: dict[str, str] = {}

    def _add_gps(self, definitions: list[str]) -> None:
        """Define GPS from ``gps=`` lines, remembering them for :meth:`reload`."""
        for definition in definitions:
            try:
                gps = self.gps.add(definition)
            except GpsDefinitionError as exc:
                self.bus.post(f"GPS '{definition}' rejected: {exc}", ERROR)
            else:
                self._config_gps[definition.strip()] = gps.uuid

    def _add_source(self, definition: str) -> Any:
        try:
            return self.datasources.add(definition)
        except (SourceDefinitionError, SourceConflict) as exc:
            self.bus.post(f"Data source '{definition}' rejected: {exc}", ERROR)
            return None

    def reload(self, config: Config) -> None:
        """Apply a re-read config (SIGHUP): ``source=``, ``gps=`` and alert settings.

        Config sources and GPS still listed keep running untouched, ones no
        longer listed stop, new ones start; ``-c`` sources, sources added over
        HTTP, devices, raised alerts and open streams all stay.
        """
        for warning in config.warnings:
            self.bus.post(warning, ERROR)
        wanted = [d.strip() for d in config.get_list("source")]
        gone = [d for d in self._config_sources if d not in wanted]
        for definition in gone:
            self.datasources.remove(self._config_sources.pop(definition))
        started = 0
        for definition in wanted:
            if definition not in self._config_sources:
                source = self._add_source(definition)
                if source is not None:
                    self._config_sources[definition] = source.uuid
                    started += 1
        wanted_gps = [d.strip() for d in config.get_list("gps")]
        gone_gps = [d for d in self._config_gps if d not in wanted_gps]
        for definition in gone_gps:
            self.gps.remove(self._config_gps.pop(definition))
        self._add_gps([d for d in wanted_gps if d not in self._config_gps])
        try:
            self.alerts.reconfigure(config)
            alerts = "reloaded"
        except ConfigError as exc:
            alerts = "kept (the new ones are invalid)"
            self.bus.post(f"Alert settings not reloaded: {exc}", ERROR)
        self.config = config
        self.bus.post(f"Configuration reloaded: {started} source(s) started, {len(gone)} "
                      f"stopped, {len(self._config_sources)} from the config running; "
                      f"GPS {len(self._config_gps)} from the config; alert settings {alerts}",
                      INFO)

    def stopService(self) -> defer.Deferred[None]:
        gps = len(self.gps.all())
        self.bus.post(f"Stopping: {len(self.datasources.sources())} data source(s), "
                      f"{len(self.streams.all_streams())} stream(s) and log(s), {gps} GPS",
                      INFO)
        stopped: defer.Deferred[Any] = MultiService.stopService(self)
        # Streams are ended now; let their last bytes reach the clients.
        stopped.addCallback(lambda _: self.site.close_connections())
        # Sessions and API keys changed since the last batched write go to disk.
        stopped.addCallback(lambda _: self.auth.sessions.flush())
        return stopped

    def startService(self) -> None:
        MultiService.startService(self)
        address = self.http.address()
        where = f"{address.host}:{address.port}" if address is not None else "?"
        self.bus.post(f"kismet_tx REST server listening on {self.http.scheme}://{where}/",
                      INFO)
        for index, definition in enumerate(self._pending_sources):
            source = self._add_source(definition)
            if source is not None and index >= len(self._cli_sources):
                self._config_sources[definition.strip()] = source.uuid

    @property
    def scheme(self) -> str:
        """``https`` with ``httpd_ssl=true``, else ``http``."""
        return self.http.scheme


def build_service(config: Config, homedir: Path, reactor: Any,
                  sources: list[str] | None = None,
                  capture_system: CaptureSystem | None = None) -> KismetService:
    """Build the service tree (the one entry point ``tap.makeService`` uses)."""
    return KismetService(config, homedir, reactor, sources, capture_system)
