"""The HTTP floor: the login, sessions and auth, every REST area under one root,
the site and the server that listens for it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twisted.internet import defer, threads
from twisted.internet.interfaces import IReactorThreads, IReactorTime
from twisted.logger import Logger

from kismet_tx.alerts.alertsystem import AlertSystem
from kismet_tx.capture.datasourcetracker import DatasourceTracker
from kismet_tx.capture.remotecapture import RemoteCapture
from kismet_tx.channels import ChannelTracker
from kismet_tx.config import Config
from kismet_tx.eventbus import EventBus
from kismet_tx.export.aggregate import AggregateStore
from kismet_tx.export.feed import Exporter
from kismet_tx.fields import FieldRegistry
from kismet_tx.gps.manager import GpsTracker
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
from kismet_tx.http.channels import ChannelsArea
from kismet_tx.http.commands import DEFAULT_MAX_BODY
from kismet_tx.http.context import HttpContext
from kismet_tx.http.datasources import DatasourcesArea
from kismet_tx.http.devices import DevicesArea
from kismet_tx.http.dynamic import DynamicArea
from kismet_tx.http.eventbus import EventbusArea
from kismet_tx.http.export import ExportArea
from kismet_tx.http.gps import GpsArea
from kismet_tx.http.logging import LoggingArea
from kismet_tx.http.messages import MessagesArea
from kismet_tx.http.monitor import DeviceMonitorArea
from kismet_tx.http.nohardware import NoHardwareArea
from kismet_tx.http.packetchain import PacketchainArea
from kismet_tx.http.phy80211 import Phy80211Area
from kismet_tx.http.plugins import PluginsArea
from kismet_tx.http.remotecapture import RemoteCaptureArea
from kismet_tx.http.root import ApiRoot
from kismet_tx.http.serialize import Serializer
from kismet_tx.http.session import SessionArea
from kismet_tx.http.site import (
    DEFAULT_HEAD_TIMEOUT,
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_PER_ADDRESS,
    HttpServer,
    KismetSite,
)
from kismet_tx.http.ssids import SsidsArea
from kismet_tx.http.static import StaticFiles
from kismet_tx.http.streams import StreamsArea
from kismet_tx.http.system import SystemArea
from kismet_tx.http.throttle import LOCKOUT_AFTER, LOCKOUT_SECONDS, LoginThrottle
from kismet_tx.http.tls import tls_options
from kismet_tx.messagebus import ERROR, INFO, MessageBus
from kismet_tx.packetstats import PacketStats
from kismet_tx.plugins.manager import PluginManager
from kismet_tx.streams.logcatalog import LogCatalog
from kismet_tx.streams.producer import DEFAULT_BACKLOG
from kismet_tx.streams.registry import StreamRegistry
from kismet_tx.sysmon import SystemMonitor
from kismet_tx.tracker import Tracking
from kismet_tx.tracker.ssids import SsidTracker
from kismet_tx.webmodules import JsModules

_log = Logger(namespace="kismet_tx.service")

USER_CONFIG = "kismet_httpd.conf"
SESSION_FILE = "session.db"


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


def store_writer(reactor: object) -> Callable[[Callable[[], Any]], defer.Deferred[Any]]:
    """How the session store writes its file: in the reactor's thread pool, or at
    once where the reactor has none (the in-memory reactors of tests)."""
    if not IReactorThreads.providedBy(reactor):
        return lambda work: defer.maybeDeferred(work)
    pool = reactor.getThreadPool()
    return lambda work: threads.deferToThreadPool(reactor, pool, work)


def build_context(config: Config, homedir: Path, clock: IReactorTime, reactor: object,
                  bus: MessageBus, describe: Callable[..., Any]) -> HttpContext:
    """Auth (login, sessions, throttle) and what every area shares."""
    credentials = load_credentials(config, homedir, bus)
    sessions = SessionStore(
        clock, config.get_float("httpd_session_timeout", DEFAULT_SESSION_TIMEOUT),
        homedir / SESSION_FILE, run=store_writer(reactor))
    throttle = LoginThrottle(clock, config.get_int("httpd_login_failures", LOCKOUT_AFTER),
                             config.get_float("httpd_login_lockout", LOCKOUT_SECONDS))
    auth = Authenticator(credentials, sessions, config.get_bool("httpd_auth_all", False),
                         throttle)
    return HttpContext(auth=auth, clock=clock, serializer=Serializer(describe),
                       max_body=config.get_int("httpd_max_body", DEFAULT_MAX_BODY))


def web_root(config: Config, bus: MessageBus, ctx: HttpContext) -> StaticFiles:
    """Our web UI, or ``httpd_home`` (another UI, Kismet's own) when it is set."""
    home = config.get("httpd_home")
    if not home:
        return StaticFiles(cooperate=ctx.cooperate)
    path = Path(home).expanduser()
    if not (path / "index.html").is_file():
        bus.post(f"httpd_home={home}: no index.html there; serving the built-in "
                 f"web UI instead", ERROR)
        return StaticFiles(cooperate=ctx.cooperate)
    return StaticFiles(path, policy=None, cooperate=ctx.cooperate)


@dataclass(frozen=True, slots=True)
class ServedParts:
    """What the REST areas serve: the parts each floor built, handed to :func:`build_areas`."""

    clock: IReactorTime
    bus: MessageBus
    fields: FieldRegistry
    monitor: SystemMonitor
    datasources: DatasourceTracker
    remote_capture: RemoteCapture
    channels: ChannelTracker
    tracking: Tracking
    alerts: AlertSystem
    streams: StreamRegistry
    gps: GpsTracker
    plugins: PluginManager
    log_catalog: LogCatalog
    aggregate_store: AggregateStore
    export: Exporter | None
    events: EventBus
    js_modules: JsModules
    ssids: SsidTracker
    packet_stats: PacketStats


def build_areas(config: Config, ctx: HttpContext, parts: ServedParts) -> list[Any]:
    """Every REST area, each given what it serves of ``parts``."""
    devices = parts.tracking
    return [
        SystemArea(ctx, parts.monitor, parts.fields),
        SessionArea(ctx),
        ApiKeysArea(ctx, config.get_bool("httpd_allow_auth_creation", True)),
        MessagesArea(ctx, parts.bus, parts.clock),
        DatasourcesArea(ctx, parts.datasources),
        ChannelsArea(ctx, parts.channels),
        AlertsArea(ctx, parts.alerts.alert_tracker, parts.alerts.device_watch),
        DevicesArea(ctx, devices),
        Phy80211Area(ctx, devices),
        StreamsArea(ctx, parts.streams, parts.datasources,
                    config.get_int("httpd_stream_backlog", DEFAULT_BACKLOG),
                    devices=devices.device_tracker),
        GpsArea(ctx, parts.gps),
        PluginsArea(ctx, parts.plugins),
        LoggingArea(ctx, parts.log_catalog),
        RemoteCaptureArea(ctx, parts.remote_capture),
        AggregateArea(ctx, parts.aggregate_store),
        ExportArea(ctx, parts.export),
        EventbusArea(ctx, parts.events),
        DynamicArea(ctx, parts.js_modules),
        SsidsArea(ctx, parts.ssids),
        PacketchainArea(ctx, parts.packet_stats),
        NoHardwareArea(ctx),
        DeviceMonitorArea(ctx, devices),
    ]


@dataclass
class HttpFloor:
    """The root of every area, the site serving it and the server listening for it."""

    root: ApiRoot
    site: KismetSite
    server: HttpServer


def build_http(config: Config, homedir: Path, reactor: Any, ctx: HttpContext,
               areas: list[Any], bus: MessageBus) -> HttpFloor:
    """Mount ``areas`` under one root and serve it on ``httpd_port``."""
    root = ApiRoot(areas, uri_prefix=config.get("httpd_uri_prefix", "") or "",
                   static=web_root(config, bus, ctx))
    site = KismetSite(
        root, reactor,
        idle_timeout=config.get_float("httpd_idle_timeout", DEFAULT_IDLE_TIMEOUT),
        max_body=ctx.max_body,
        max_per_address=config.get_int("httpd_max_connections_per_address",
                                       DEFAULT_MAX_PER_ADDRESS),
        head_timeout=config.get_float("httpd_head_timeout", DEFAULT_HEAD_TIMEOUT),
        access_log=config.get_bool("httpd_access_log", False))
    tls = None
    if config.get_bool("httpd_ssl", False):
        tls = tls_options(config.get("httpd_ssl_cert"), config.get("httpd_ssl_key"), homedir)
    server = HttpServer(site, reactor, config.get_int("httpd_port", 2501),
                        config.get("httpd_bind_address", "127.0.0.1") or "127.0.0.1", tls)
    server.setName("httpd")
    return HttpFloor(root, site, server)
