"""KismetService: builds and wires every long-lived part under one MultiService."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

from twisted.application import internet
from twisted.application.service import MultiService
from twisted.internet import defer, threads
from twisted.internet.interfaces import IReactorCore, IReactorTCP, IReactorThreads, IReactorTime
from twisted.logger import Logger
from twisted.web.server import Site

from kismet_tx.alerts import ALERT_FIELDS, build_alerts
from kismet_tx.capture.datasourcetracker import PROBED_FIELDS, DatasourceTracker, SourceConflict
from kismet_tx.capture.pcapfile import REPLAY_FIELDS
from kismet_tx.capture.remote import REMOTE_FIELDS
from kismet_tx.capture.remotecapture import RemoteCaptureService
from kismet_tx.capture.sourcecommands import parse_rate
from kismet_tx.capture.sourcerecord import (
    DATASOURCE_FIELDS,
    DEFAULTS_FIELDS,
    DRIVER_FIELDS,
    SourceDefaults,
)
from kismet_tx.capture.system import CaptureSystem
from kismet_tx.chain import PacketChain
from kismet_tx.channels import CHANNEL_FIELDS, ChannelTracker
from kismet_tx.config import Config, ConfigError, SourceDefinitionError
from kismet_tx.eventbus import EventBus
from kismet_tx.eventsources import EventPublisher
from kismet_tx.export.wiring import EXPORT_KEYS, build_aggregate, build_export
from kismet_tx.fields import FieldRegistry
from kismet_tx.gps.base import GPS_FIELDS, GpsDefinitionError
from kismet_tx.gps.location import LOCATION_FIELDS, LocationAggregate
from kismet_tx.gps.manager import GpsTracker
from kismet_tx.gps.pcapng import gps_option
from kismet_tx.gps.sensor import SensorGps
from kismet_tx.http.aggregate import AggregateArea
from kismet_tx.http.alerts import AlertsArea
from kismet_tx.http.apikeys import ApiKeysArea
from kismet_tx.http.auth import (
    DEFAULT_SESSION_TIMEOUT,
    Authenticator,
    Credentials,
    SessionStore,
    generate_credentials,
)
from kismet_tx.http.channel import BoundedChannel, BoundedRequest, close_connections
from kismet_tx.http.channels import ChannelsArea
from kismet_tx.http.commands import DEFAULT_MAX_BODY
from kismet_tx.http.datasources import DatasourcesArea
from kismet_tx.http.devices import DevicesArea
from kismet_tx.http.dynamic import DynamicArea
from kismet_tx.http.eventbus import EventbusArea
from kismet_tx.http.export import ExportArea
from kismet_tx.http.gps import GpsArea
from kismet_tx.http.logging import LoggingArea
from kismet_tx.http.messages import MessagesArea
from kismet_tx.http.monitor import DeviceMonitorArea
from kismet_tx.http.nohardware import NOHARDWARE_FIELDS, NoHardwareArea
from kismet_tx.http.packetchain import PacketchainArea
from kismet_tx.http.phy80211 import Phy80211Area
from kismet_tx.http.plugins import PluginsArea
from kismet_tx.http.remotecapture import RemoteCaptureArea
from kismet_tx.http.root import ApiRoot
from kismet_tx.http.routing import HttpContext
from kismet_tx.http.serialize import Serializer
from kismet_tx.http.session import SessionArea
from kismet_tx.http.ssids import SsidsArea
from kismet_tx.http.static import StaticFiles
from kismet_tx.http.streams import StreamsArea
from kismet_tx.http.system import SystemArea
from kismet_tx.http.throttle import LOCKOUT_AFTER, LOCKOUT_SECONDS, LoginThrottle
from kismet_tx.http.tls import tls_options
from kismet_tx.kismetdb.inputs import LogInputs
from kismet_tx.kismetdb.log import DRIVER as KISMETDB_DRIVER
from kismet_tx.kismetdb.log import LOG_TYPE as KISMETDB_LOG_TYPE
from kismet_tx.kismetdb.log import KismetdbLog
from kismet_tx.kismetdb.settings import KEYS as KISMETDB_KEYS
from kismet_tx.kismetdb.settings import KismetdbSettings
from kismet_tx.messagebus import ERROR, INFO, MESSAGE_FIELDS, MessageBus
from kismet_tx.packetstats import PACKETSTATS_FIELDS, PacketStats
from kismet_tx.plugins.api import PluginHost
from kismet_tx.plugins.manager import PLUGIN_FIELDS, PluginManager
from kismet_tx.rrd import RRD_FIELDS
from kismet_tx.streams.logcatalog import LOG_FIELDS, LogCatalog
from kismet_tx.streams.logfile import PacketLogService
from kismet_tx.streams.lognaming import LogSettings
from kismet_tx.streams.pcapng import encode_options
from kismet_tx.streams.producer import DEFAULT_BACKLOG
from kismet_tx.streams.registry import STREAM_FIELDS, StreamRegistry
from kismet_tx.sysmon import SYSTEM_FIELDS, SystemMonitor
from kismet_tx.tracker import DEVICE_FIELDS, build_tracking
from kismet_tx.tracker.oui import ManufDb
from kismet_tx.tracker.ssids import SSIDGROUP_FIELDS, SsidTracker
from kismet_tx.webmodules import JsModules

_log = Logger(namespace="kismet_tx.service")

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
    "httpd_ssl", "httpd_ssl_cert", "httpd_ssl_key",
}) | KISMETDB_KEYS | EXPORT_KEYS

USER_CONFIG = "kismet_httpd.conf"
#: Seconds an HTTP connection may sit idle (no request in progress) before it is
#: closed (``httpd_idle_timeout``; 0 disables). Streams are never idle.
DEFAULT_IDLE_TIMEOUT = 30.0
#: Connections the kernel may queue before the server accepts them (Twisted's default
#: of 50 makes a burst of clients wait for SYN retries).
LISTEN_BACKLOG = 511
#: Seconds a stop waits for what was written to the HTTP connections (the end of
#: each stream) to be sent before the reactor drops them.
DRAIN_TIMEOUT = 2.0
SESSION_FILE = "session.db"
#: Open connections one client address may hold (``httpd_max_connections_per_address``;
#: 0 for no cap). Beyond it, a new connection is closed at once.
DEFAULT_MAX_PER_ADDRESS = 128
#: Seconds a request line and headers may take to arrive (``httpd_head_timeout``).
DEFAULT_HEAD_TIMEOUT = 30.0
#: Net container allocations between two young-generation collections in the server
#: (Python's default is 700); see :func:`tune_gc`.
GC_YOUNG_THRESHOLD = 10_000


class _CountingChannel(BoundedChannel):
    """An HTTP channel that keeps its site's count of open connections."""

    def connectionMade(self) -> None:
        super().connectionMade()
        self.site.open_connections += 1

    def connectionLost(self, reason: Any) -> None:
        self.site.open_connections -= 1
        super().connectionLost(reason)


class KismetSite(Site):
    """The HTTP site; access log lines carry the path only (never query secrets).

    A connection with no request in progress for ``idle_timeout`` seconds (one
    that never sends a complete request, or a kept-alive one left unused) is
    closed; a request being answered, a stream included, is never timed out.
    A request body over ``max_body`` bytes is refused with 413 as it arrives.
    A request head must be in within ``head_timeout`` seconds, however slowly it
    trickles, and one client address holds at most ``max_per_address``
    connections: a slowloris cannot starve other clients.
    """

    protocol = _CountingChannel  # type: ignore[assignment]
    requestFactory = BoundedRequest

    def __init__(self, resource: Any, reactor: Any,
                 idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
                 max_body: int = DEFAULT_MAX_BODY,
                 max_per_address: int = DEFAULT_MAX_PER_ADDRESS,
                 head_timeout: float = DEFAULT_HEAD_TIMEOUT) -> None:
        super().__init__(resource, reactor=reactor, logFormatter=_path_only_log,
                         timeout=idle_timeout if idle_timeout > 0 else None)  # type: ignore[arg-type]
        self.open_connections = 0
        self.max_body = max_body
        self.max_per_address = max_per_address
        self.head_timeout = head_timeout if head_timeout > 0 else None
        #: Open connections per client address, and the count of those refused.
        self.per_address: dict[str, int] = {}
        self.refused_connections = 0
        #: Every open connection (kept by the channels), closed cleanly at stop.
        self.channels: set[BoundedChannel] = set()

    def buildProtocol(self, addr: Any) -> Any:
        """A channel for a new connection, or None (Twisted then closes it) when its
        address already holds ``max_per_address`` connections."""
        host = str(getattr(addr, "host", ""))
        held = self.per_address.get(host, 0)
        if self.max_per_address and held >= self.max_per_address:
            self.refused_connections += 1
            if self.refused_connections % 1000 == 1:
                _log.warn("refusing connections from {host}: {held} already open "
                          "({count} refused so far)", host=host, held=held,
                          count=self.refused_connections)
            return None
        channel = super().buildProtocol(addr)
        if channel is not None:
            self.per_address[host] = held + 1
            channel._counted_host = host
        return channel

    def release_address(self, channel: Any) -> None:
        """A connection counted against its address has closed."""
        host = getattr(channel, "_counted_host", None)
        if host is None:
            return
        channel._counted_host = None
        left = self.per_address.get(host, 1) - 1
        if left > 0:
            self.per_address[host] = left
        else:
            self.per_address.pop(host, None)

    def close_connections(self, timeout: float = DRAIN_TIMEOUT) -> Any:
        """Close every connection once its output is sent (bounded by ``timeout``)."""
        return close_connections(self.channels, self.reactor, timeout)


def _path_only_log(timestamp: str, request: Any) -> str:
    path = request.uri.partition(b"?")[0].decode("ascii", "replace")
    ip = request.getClientAddress()
    host = getattr(ip, "host", "-")
    return f'{host} - - {timestamp} "{request.method.decode()} {path}" {request.code}'


def source_defaults(config: Config) -> SourceDefaults:
    """Datasource defaults from ``channel_hop``, ``channel_hop_speed`` and friends."""
    speed = config.get("channel_hop_speed")
    try:
        rate = parse_rate(speed) if speed else SourceDefaults().hop_rate
    except ValueError as exc:
        raise ConfigError(f"{config.origin('channel_hop_speed')}: channel_hop_speed: "
                          f"{exc}") from None
    return SourceDefaults(
        hop=config.get_bool("channel_hop", True),
        hop_rate=rate,
        split=config.get_bool("split_source_hopping", False),
        random_order=config.get_bool("randomized_hopping", False),
        retry_on_error=config.get_bool("retry_on_source_error", True),
        remote_listen=(config.get("remote_capture_listen", "127.0.0.1") or "127.0.0.1")
        if config.get_bool("remote_capture_enabled", True) else "",
        remote_port=config.get_int("remote_capture_port", 3501)
        if config.get_bool("remote_capture_enabled", True) else 0,
    )


def load_credentials(config: Config, homedir: Path, bus: MessageBus) -> Credentials:
    """The admin login: global config, else the user file, else a generated one."""
    user = config.get("httpd_username")
    password = config.get("httpd_password")
    if user and password:
        return Credentials(user, password, "global", str(homedir / USER_CONFIG))
    # A relative httpd_auth_file is relative to the state directory, never the cwd.
    path = homedir / Path(config.get("httpd_auth_file") or USER_CONFIG).expanduser()
    if path.exists():
        user_conf = Config.load(path, home=str(Path.home()))
        user = user_conf.get("httpd_username")
        password = user_conf.get("httpd_password")
        if user and password:
            return Credentials(user, password, "user", str(path))
    creds = generate_credentials(path)
    # The message bus is public: its message names no path; the server log does.
    bus.post(f"No login was configured: generated an admin login for user "
             f"'{creds.username}'; its password is in the login file named in the "
             "server log", INFO)
    _log.info("generated an admin login; the password is in {path}", path=str(path))
    return creds


def _writer_for(reactor: Any) -> Any:
    """How the session store writes its file: in the reactor's thread pool, or at
    once where the reactor has none (the in-memory reactors of tests)."""
    if not IReactorThreads.providedBy(reactor):
        return lambda work: defer.maybeDeferred(work)
    return lambda work: threads.deferToThreadPool(reactor, reactor.getThreadPool(), work)


def gps_epb_options(packet: Any) -> bytes:
    """Encoded EPB options of a streamed packet: Kismet's GPS option when it has a fix."""
    option = gps_option(getattr(getattr(packet, "origin", packet), "location", None))
    return b"" if option is None else encode_options((option,))


class KismetService(MultiService):
    """The whole server: message bus, system monitor, HTTP, and their wiring."""

    def __init__(self, config: Config, homedir: Path, reactor: Any,
                 sources: list[str] | None = None,
                 capture_system: CaptureSystem | None = None) -> None:
        super().__init__()
        self.config = config
        self.homedir = homedir
        self.reactor = reactor
        clock: IReactorTime = reactor
        self.bus = MessageBus(clock, backlog=config.get_int("messagebus_backlog", 50))
        for warning in config.warnings:
            self.bus.post(warning, ERROR)
        self.fields = FieldRegistry()
        self.fields.register(SYSTEM_FIELDS + RRD_FIELDS + MESSAGE_FIELDS)
        self.fields.register(DATASOURCE_FIELDS + DRIVER_FIELDS + DEFAULTS_FIELDS
                             + PROBED_FIELDS + REPLAY_FIELDS + CHANNEL_FIELDS)

        homedir.mkdir(parents=True, exist_ok=True)
        credentials = load_credentials(config, homedir, self.bus)
        sessions = SessionStore(
            clock, config.get_float("httpd_session_timeout", DEFAULT_SESSION_TIMEOUT),
            homedir / SESSION_FILE, run=_writer_for(reactor))
        throttle = LoginThrottle(clock, config.get_int("httpd_login_failures", LOCKOUT_AFTER),
                                 config.get_float("httpd_login_lockout", LOCKOUT_SECONDS))
        self.auth = Authenticator(credentials, sessions, config.get_bool("httpd_auth_all", False),
                                  throttle)
        self.ctx = HttpContext(
            auth=self.auth, clock=clock, serializer=Serializer(self.fields.describe),
            max_body=config.get_int("httpd_max_body", DEFAULT_MAX_BODY))

        self.monitor = SystemMonitor(
            clock,
            server_name=config.get("server_name", "Kismet") or "Kismet",
            server_description=config.get("server_description", "") or "",
            server_location=config.get("server_location", "") or "",
            device_count=lambda: len(self.tracking.device_tracker),
            num_fields=lambda: len(self.fields),
            num_connections=lambda: self.site.open_connections,
            num_components=lambda: len(list(self)),
        )
        self.monitor.setServiceParent(self)

        self.chain = PacketChain(clock)
        self.fields.register(LOCATION_FIELDS + GPS_FIELDS)
        self.gps = GpsTracker(clock=clock, reactor=reactor, bus=self.bus,
                              server_name=config.get("server_name", "Kismet") or "Kismet")
        self.gps.setServiceParent(self)
        # First in the chain: every later subscriber sees packet.location.
        self.gps.attach(self.chain, "gps")
        #: ``gps=`` definitions from the config, and their UUIDs (for reload).
        self._config_gps: dict[str, str] = {}
        self._add_gps(config.get_list("gps"))
        self.fields.register(DEVICE_FIELDS)
        self.tracking = build_tracking(
            clock, ManufDb.load(),
            device_timeout=config.get_float("tracker_device_timeout", 0),
            max_devices=config.get_int("tracker_max_devices", 0),
            location_factory=LocationAggregate,
            track_rrds=config.get_bool("track_device_rrds", True))
        self.tracking.device_tracker.setServiceParent(self)
        self.chain.subscribe(self.tracking.dot11, "devices", priority=10)
        self.channels = ChannelTracker()
        self.chain.subscribe(self.channels, "channels", priority=50)
        self.fields.register(STREAM_FIELDS)
        self.streams = StreamRegistry(clock, packet_options=gps_epb_options)
        self.streams.setServiceParent(self)
        # Streams and logs see each packet after every tracker (Kismet's logging position).
        self.chain.subscribe(self.streams.feed, "streams", priority=1000)
        if capture_system is None:
            from kismet_tx.capture.linux import LinuxCaptureSystem

            capture_system = LinuxCaptureSystem()
        self.datasources = DatasourceTracker(
            clock=clock, reactor=reactor, bus=self.bus, sink=self.chain.sink,
            system=capture_system, defaults=source_defaults(config))
        self.datasources.setServiceParent(self)
        self.fields.register(REMOTE_FIELDS)
        self.remote = RemoteCaptureService(config, self.datasources, self.bus, reactor)
        self.remote.setServiceParent(self)
        self.sensor_gps = SensorGps(self.chain)
        self.remote.capture.gps_listeners.append(self.sensor_gps.enable)
        self.fields.register(ALERT_FIELDS)
        self.alerts = build_alerts(
            config, clock, self.bus, sources=self.datasources.sources,
            phys={phy.name: phy.phy_id for phy in self.tracking.device_tracker.phys})
        self.alerts.count_on(self.tracking.device_tracker.add_alert)
        # After the device tracker, so the devices an alert counts against exist.
        self.chain.subscribe(self.alerts.wids, "alerts", priority=60)
        self.alerts.devices.attach(self.chain, "devicewatch", priority=61)
        self.alerts.service.setServiceParent(self)
        self.logs = PacketLogService(LogSettings.from_config(config), self.streams, self.bus,
                                     clock)
        self.logs.setServiceParent(self)
        self.kismetdb = self._kismetdb_log(config, clock)
        self.fields.register(LOG_FIELDS)
        # A kismetdb log that failed to open is not listed (as in Kismet).
        self.log_catalog = LogCatalog(self.logs, [(KISMETDB_DRIVER, lambda: [
            self.kismetdb.record()] if self.kismetdb is not None and self.kismetdb.path else [])])
        self.fields.register(PLUGIN_FIELDS)
        self.js_modules = JsModules()
        self.plugins = PluginManager(
            PluginHost(clock, self.bus, self.fields, self.chain, js_modules=self.js_modules,
                       alerts=lambda: self.alerts.tracker, location=self.gps.best),
            configured=config.get_list("plugin"))
        self.plugins.setServiceParent(self)
        self.export = build_export(
            config, reactor=reactor, bus=self.bus,
            server_name=config.get("server_name", "Kismet") or "Kismet",
            devices=self.tracking.device_tracker.devices, record=self.tracking.record,
            encode=lambda value: self.ctx.serializer.encode(value, "json"),
            alert_listeners=self.alerts.tracker.on_alert, chain=self.chain)
        if self.export is not None:
            self.export.setServiceParent(self)
        self.aggregate_store, self.aggregate = build_aggregate(config, reactor=reactor,
                                                               bus=self.bus)
        if self.aggregate is not None:
            self.aggregate.setServiceParent(self)

        self._build_eventbus(clock)
        areas = [
            SystemArea(self.ctx, self.monitor, self.fields),
            SessionArea(self.ctx),
            ApiKeysArea(self.ctx, config.get_bool("httpd_allow_auth_creation", True)),
            MessagesArea(self.ctx, self.bus, clock),
            DatasourcesArea(self.ctx, self.datasources),
            ChannelsArea(self.ctx, self.channels),
            AlertsArea(self.ctx, self.alerts.tracker, self.alerts.devices),
            DevicesArea(self.ctx, self.tracking),
            Phy80211Area(self.ctx, self.tracking),
            StreamsArea(self.ctx, self.streams, self.datasources,
                        config.get_int("httpd_stream_backlog", DEFAULT_BACKLOG),
                        devices=self.tracking.device_tracker),
            GpsArea(self.ctx, self.gps),
            PluginsArea(self.ctx, self.plugins),
            LoggingArea(self.ctx, self.log_catalog),
            RemoteCaptureArea(self.ctx, self.remote.capture),
            AggregateArea(self.ctx, self.aggregate_store),
            ExportArea(self.ctx, self.export),
            EventbusArea(self.ctx, self.events),
            DynamicArea(self.ctx, self.js_modules),
            SsidsArea(self.ctx, self.ssids),
            PacketchainArea(self.ctx, self.packet_stats),
            NoHardwareArea(self.ctx),
            DeviceMonitorArea(self.ctx, self.tracking),
        ]
        self.root = ApiRoot(areas, uri_prefix=config.get("httpd_uri_prefix", "") or "",
                            static=self._web_root(config))
        self.site = KismetSite(
            self.root, reactor,
            idle_timeout=config.get_float("httpd_idle_timeout", DEFAULT_IDLE_TIMEOUT),
            max_body=self.ctx.max_body,
            max_per_address=config.get_int("httpd_max_connections_per_address",
                                           DEFAULT_MAX_PER_ADDRESS),
            head_timeout=config.get_float("httpd_head_timeout", DEFAULT_HEAD_TIMEOUT))
        port = config.get_int("httpd_port", 2501)
        bind = config.get("httpd_bind_address", "127.0.0.1") or "127.0.0.1"
        #: ``https`` with ``httpd_ssl=true`` (``httpd_ssl_cert``, ``httpd_ssl_key``).
        self.scheme = "https" if config.get_bool("httpd_ssl", False) else "http"
        if self.scheme == "https":
            options = tls_options(config.get("httpd_ssl_cert"), config.get("httpd_ssl_key"),
                                  homedir)
            self.http = internet.SSLServer(port, self.site, options, interface=bind,
                                           backlog=LISTEN_BACKLOG, reactor=reactor)
        else:
            self.http = internet.TCPServer(port, self.site, interface=bind,
                                           backlog=LISTEN_BACKLOG, reactor=reactor)
        self.http.setName("httpd")
        self.http.setServiceParent(self)
        self._cli_sources = list(sources or [])
        self._pending_sources = self._cli_sources + config.get_list("source")
        #: ``source=`` definitions from the config, and their UUIDs (for reload).
        self._config_sources: dict[str, str] = {}

    def _kismetdb_log(self, config: Config, clock: IReactorTime) -> KismetdbLog | None:
        """The kismetdb log when ``log_types`` has ``kismet`` (fed the REST API's records)."""
        naming = self.logs.settings
        if not naming.enabled or KISMETDB_LOG_TYPE not in naming.types:
            return None
        tracker = self.tracking.device_tracker
        serializer = self.ctx.serializer
        inputs = LogInputs(
            chain=self.chain, bus=self.bus, devices=tracker.devices,
            device_record=self.tracking.record,
            # JSON as text, so that sqlite's json_extract() reads it.
            encode=lambda record: serializer.encode(record, "json").decode(),
            datasources=lambda: [s.record() for s in self.datasources.sources()],
            location=self.gps.best,
            system_record=lambda: {**self.monitor.status(),
                                   "kismet.system.server_uuid": tracker.server_uuid},
            gps_records=lambda: [(g.current(), g.record()) for g in self.gps.all()],
            alert_listeners=self.alerts.tracker.on_alert, phy_name=self.alerts.tracker.phy_name)
        log = KismetdbLog(KismetdbSettings.from_config(config), naming, inputs, clock,
                          home=str(Path.home()))
        log.setServiceParent(self)
        return log
    def _web_root(self, config: Config) -> StaticFiles:
        """Our web UI, or ``httpd_home`` (another UI, Kismet's own) when it is set."""
        home = config.get("httpd_home")
        if not home:
            return StaticFiles()
        path = Path(home).expanduser()
        if not (path / "index.html").is_file():
            self.bus.post(f"httpd_home={home}: no index.html there; serving the built-in "
                          f"web UI instead", ERROR)
            return StaticFiles()
        return StaticFiles(path, policy=None)

    def _build_eventbus(self, clock: IReactorTime) -> None:
        """The event bus and what feeds it (``eventsources.py``)."""
        self.fields.register(PACKETSTATS_FIELDS + SSIDGROUP_FIELDS + NOHARDWARE_FIELDS)
        self.ssids = SsidTracker()
        self.ssids.attach(self.tracking.dot11)
        self.events = EventBus(clock)
        self.packet_stats = PacketStats(self.chain)
        publisher = EventPublisher(clock, self.events, self.packet_stats, monitor=self.monitor,
                                   location=self.gps.location_record)
        publisher.attach_messages(self.bus)
        publisher.attach_alerts(self.alerts.tracker)
        publisher.attach_datasources(self.datasources)
        tracking = self.tracking
        publisher.attach_devices(tracking.device_tracker, tracking.record, tracking.dot11)
        publisher.setServiceParent(self)

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

    def stopService(self) -> Any:
        gps = len(self.gps.all())
        self.bus.post(f"Stopping: {len(self.datasources.sources())} data source(s), "
                      f"{len(self.streams.all_streams())} stream(s) and log(s), {gps} GPS",
                      INFO)
        stopped = super().stopService()
        # Streams are ended now; let their last bytes reach the clients.
        stopped.addCallback(lambda _: self.site.close_connections())
        # Sessions and API keys changed since the last batched write go to disk.
        stopped.addCallback(lambda _: self.auth.sessions.flush())
        return stopped

    def startService(self) -> None:
        super().startService()
        address = self.http._port.getHost() if self.http._port else None
        where = f"{address.host}:{address.port}" if address else "?"
        self.bus.post(f"kismet_tx REST server listening on {self.scheme}://{where}/", INFO)
        for index, definition in enumerate(self._pending_sources):
            source = self._add_source(definition)
            if source is not None and index >= len(self._cli_sources):
                self._config_sources[definition.strip()] = source.uuid


def tune_gc() -> None:
    """Collector settings for the server process (``twistd kismet`` calls this once built).

    Ingest keeps creating long-lived objects (devices, their SSID and client records),
    and with Python's defaults each 700 of them start a young collection, and the
    older generations are walked again and again as they grow: about a tenth of the
    ingest time up to 100,000 devices. Everything alive after start-up (OUI table,
    field registry, config) is frozen out of collection, and young collections wait
    for 10,000 new objects: ingest then measures the same as with the collector off,
    and cyclic garbage waits for at most that many allocations more.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 10, 10)


def build_service(config: Config, homedir: Path, reactor: IReactorCore | IReactorTCP,
                  sources: list[str] | None = None,
                  capture_system: CaptureSystem | None = None) -> KismetService:
    """Build the service tree (the one entry point ``tap.makeService`` uses)."""
    return KismetService(config, homedir, reactor, sources, capture_system)
