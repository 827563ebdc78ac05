"""KismetService: builds and wires every long-lived part under one MultiService."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from twisted.application import internet
from twisted.application.service import MultiService
from twisted.internet.interfaces import IReactorCore, IReactorTCP, IReactorTime
from twisted.logger import Logger
from twisted.web.http import HTTPChannel
from twisted.web.server import Site

from kismet_tx.capture.datasource import (
    DATASOURCE_FIELDS,
    DEFAULTS_FIELDS,
    DRIVER_FIELDS,
    SourceDefaults,
    parse_rate,
)
from kismet_tx.capture.pcapfile import REPLAY_FIELDS
from kismet_tx.capture.system import CaptureSystem
from kismet_tx.capture.tracker import PROBED_FIELDS, DatasourceTracker, SourceConflict
from kismet_tx.chain import PacketChain
from kismet_tx.channels import CHANNEL_FIELDS, ChannelTracker
from kismet_tx.config import Config, ConfigError, SourceDefinitionError
from kismet_tx.fields import FieldRegistry
from kismet_tx.http.auth import (
    DEFAULT_SESSION_TIMEOUT,
    Authenticator,
    Credentials,
    SessionStore,
    generate_credentials,
)
from kismet_tx.http.channels import ChannelsArea
from kismet_tx.http.commands import DEFAULT_MAX_BODY
from kismet_tx.http.datasources import DatasourcesArea
from kismet_tx.http.messages import MessagesArea
from kismet_tx.http.root import ApiRoot
from kismet_tx.http.routing import HttpContext
from kismet_tx.http.serialize import Serializer
from kismet_tx.http.session import SessionArea
from kismet_tx.http.system import SystemArea
from kismet_tx.messagebus import ERROR, INFO, MESSAGE_FIELDS, MessageBus
from kismet_tx.rrd import RRD_FIELDS
from kismet_tx.sysmon import SYSTEM_FIELDS, SystemMonitor

_log = Logger(namespace="kismet_tx.service")

#: Every config key the server reads; anything else in kismet.conf is warned about.
KNOWN_KEYS = frozenset({
    "server_name", "server_description", "server_location",
    "httpd_bind_address", "httpd_port", "httpd_username", "httpd_password",
    "httpd_auth_all", "httpd_session_timeout", "httpd_max_body", "httpd_uri_prefix",
    "httpd_auth_file", "messagebus_backlog", "source",
    "channel_hop", "channel_hop_speed", "randomized_hopping", "retry_on_source_error",
    "split_source_hopping",
})

USER_CONFIG = "kismet_httpd.conf"
SESSION_FILE = "session.db"


class _CountingChannel(HTTPChannel):
    """An HTTP channel that keeps its site's count of open connections."""

    def connectionMade(self) -> None:
        super().connectionMade()
        self.site.open_connections += 1

    def connectionLost(self, reason: Any) -> None:
        self.site.open_connections -= 1
        super().connectionLost(reason)


class KismetSite(Site):
    """The HTTP site; access log lines carry the path only (never query secrets)."""

    protocol = _CountingChannel  # type: ignore[assignment]

    def __init__(self, resource: Any, reactor: Any) -> None:
        super().__init__(resource, reactor=reactor, logFormatter=_path_only_log)
        self.open_connections = 0


def _path_only_log(timestamp: str, request: Any) -> str:
    path = request.uri.partition(b"?")[0].decode("ascii", "replace")
    ip = request.getClientAddress()
    host = getattr(ip, "host", "-")
    return f'{host} - - {timestamp} "{request.method.decode()} {path}" {request.code}'


def source_defaults(config: Config) -> SourceDefaults:
    """Datasource defaults from ``channel_hop``, ``channel_hop_speed`` and friends."""
    speed = config.get("channel_hop_speed")
    try:
        rate = parse_rate(speed) if speed else SourceDefaults.hop_rate
    except ValueError as exc:
        raise ConfigError(f"{config.origin('channel_hop_speed')}: channel_hop_speed: "
                          f"{exc}") from None
    return SourceDefaults(
        hop=config.get_bool("channel_hop", True),
        hop_rate=rate,
        split=config.get_bool("split_source_hopping", False),
        random_order=config.get_bool("randomized_hopping", False),
        retry_on_error=config.get_bool("retry_on_source_error", True),
    )


def load_credentials(config: Config, homedir: Path, bus: MessageBus) -> Credentials:
    """The admin login: global config, else the user file, else a generated one."""
    user = config.get("httpd_username")
    password = config.get("httpd_password")
    if user and password:
        return Credentials(user, password, "global", str(homedir / USER_CONFIG))
    path = Path(config.get("httpd_auth_file") or homedir / USER_CONFIG).expanduser()
    if path.exists():
        user_conf = Config.load(path, home=str(Path.home()))
        user = user_conf.get("httpd_username")
        password = user_conf.get("httpd_password")
        if user and password:
            return Credentials(user, password, "user", str(path))
    creds = generate_credentials(path)
    bus.post(f"No login was configured: generated an admin login for user "
             f"'{creds.username}'; the password is in {path}", INFO)
    return creds


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
            homedir / SESSION_FILE)
        self.auth = Authenticator(credentials, sessions, config.get_bool("httpd_auth_all", False))
        self.ctx = HttpContext(
            auth=self.auth, clock=clock, serializer=Serializer(self.fields.describe),
            max_body=config.get_int("httpd_max_body", DEFAULT_MAX_BODY))

        self.monitor = SystemMonitor(
            clock,
            server_name=config.get("server_name", "Kismet") or "Kismet",
            server_description=config.get("server_description", "") or "",
            server_location=config.get("server_location", "") or "",
            device_count=lambda: 0,
            num_fields=lambda: len(self.fields),
            num_connections=lambda: self.site.open_connections,
            num_components=lambda: len(list(self)),
        )
        self.monitor.setServiceParent(self)

        self.chain = PacketChain(clock)
        self.channels = ChannelTracker()
        self.chain.subscribe(self.channels, "channels", priority=50)
        if capture_system is None:
            from kismet_tx.capture.linux import LinuxCaptureSystem

            capture_system = LinuxCaptureSystem()
        self.datasources = DatasourceTracker(
            clock=clock, reactor=reactor, bus=self.bus, sink=self.chain.sink,
            system=capture_system, defaults=source_defaults(config))
        self.datasources.setServiceParent(self)

        areas = [
            SystemArea(self.ctx, self.monitor, self.fields),
            SessionArea(self.ctx),
            MessagesArea(self.ctx, self.bus, clock),
            DatasourcesArea(self.ctx, self.datasources),
            ChannelsArea(self.ctx, self.channels),
        ]
        self.root = ApiRoot(areas, uri_prefix=config.get("httpd_uri_prefix", "") or "")
        self.site = KismetSite(self.root, reactor)
        port = config.get_int("httpd_port", 2501)
        bind = config.get("httpd_bind_address", "127.0.0.1") or "127.0.0.1"
        self.http = internet.TCPServer(port, self.site, interface=bind, reactor=reactor)
        self.http.setName("httpd")
        self.http.setServiceParent(self)
        self._pending_sources = list(sources or []) + config.get_list("source")

    def startService(self) -> None:
        super().startService()
        address = self.http._port.getHost() if self.http._port else None
        where = f"{address.host}:{address.port}" if address else "?"
        self.bus.post(f"kismet_tx REST server listening on http://{where}/", INFO)
        for definition in self._pending_sources:
            try:
                self.datasources.add(definition)
            except (SourceDefinitionError, SourceConflict) as exc:
                self.bus.post(f"Data source '{definition}' rejected: {exc}", ERROR)


def build_service(config: Config, homedir: Path, reactor: IReactorCore | IReactorTCP,
                  sources: list[str] | None = None,
                  capture_system: CaptureSystem | None = None) -> KismetService:
    """Build the service tree (the one entry point ``tap.makeService`` uses)."""
    return KismetService(config, homedir, reactor, sources, capture_system)
