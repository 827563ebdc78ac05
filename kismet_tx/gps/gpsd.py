"""The ``gpsd`` driver: a client of gpsd's JSON protocol that reconnects with backoff.

``gps=gpsd:host=HOST,port=PORT`` (port 2947 by default). On connecting the
client sends ``?WATCH={"enable":true,"json":true}`` and reads one JSON object
per line: ``VERSION`` names the server, ``TPV`` carries the fix (``mode``),
position, altitude (``altMSL``, else ``alt``), speed (m/s, reported as km/h),
``track`` and ``magtrack``. Other classes are ignored.

The connection is a ``ClientService``: when gpsd goes away the fix is lost at
once (with a message) and the client retries with exponential backoff until
gpsd is back, with no action needed. A connection that stays silent for
``stall`` seconds is dropped and retried.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import orjson
from twisted.application.internet import ClientService, backoffPolicy
from twisted.internet import defer
from twisted.internet.endpoints import HostnameEndpoint, TCP4ClientEndpoint, TCP6ClientEndpoint
from twisted.internet.interfaces import IDelayedCall, IReactorTime, IStreamClientEndpoint
from twisted.internet.protocol import Factory
from twisted.logger import Logger
from twisted.protocols.basic import LineOnlyReceiver
from twisted.python.failure import Failure
from zope.interface import implementer

from kismet_tx.gps.base import Gps, GpsDefinition, GpsDefinitionError, GpsDriverInfo
from kismet_tx.gps.location import FIX_2D, FIX_3D
from kismet_tx.gps.nmea import Reading
from kismet_tx.messagebus import ERROR, INFO, MessageBus

_log = Logger(namespace="kismet_tx.gps.gpsd")

DEFAULT_PORT = 2947
WATCH = b'?WATCH={"enable":true,"json":true}\n'
#: Seconds a connected gpsd may stay silent before the connection is retried.
DEFAULT_STALL = 30.0
#: Reconnection backoff: first delay, growth factor and cap, seconds.
RETRY_INITIAL = 0.5
RETRY_FACTOR = 1.5
RETRY_MAX = 30.0
#: Meters per second to km/h.
MS_KMH = 3.6
#: Seconds within which a TPV's missing fields are taken from the previous one.
INHERIT_WINDOW = 2.0

EndpointFactory = Callable[[Any, str, int], IStreamClientEndpoint]
RetryPolicy = Callable[[int], float]


def default_endpoint(reactor: Any, host: str, port: int) -> IStreamClientEndpoint:
    """A TCP endpoint for an address literal, else one that resolves ``host``."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return HostnameEndpoint(reactor, host, port)
    if address.version == 6:
        return TCP6ClientEndpoint(reactor, host, port)
    return TCP4ClientEndpoint(reactor, host, port)


def default_retry_policy() -> RetryPolicy:
    """Exponential backoff from half a second to 30 s, with up to 0.25 s of jitter."""
    rng = random.Random()
    return backoffPolicy(RETRY_INITIAL, RETRY_MAX, RETRY_FACTOR,
                         jitter=lambda: rng.random() / 4)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def tpv_reading(message: dict[str, Any]) -> Reading | None:
    """The reading in a ``TPV`` object; None when it carries no position yet."""
    mode = message.get("mode")
    if not isinstance(mode, int) or isinstance(mode, bool):
        return None
    if mode < FIX_2D:
        return Reading(mode)
    lat, lon = _number(message.get("lat")), _number(message.get("lon"))
    if lat is None or lon is None:
        return None
    alt = None
    if mode >= FIX_3D:
        alt = _number(message.get("altMSL"))
        if alt is None:
            alt = _number(message.get("alt"))
    speed = _number(message.get("speed"))
    return Reading(
        fix=min(mode, FIX_3D), lat=lat, lon=lon, alt=alt,
        speed=speed * MS_KMH if speed is not None else None,
        heading=_number(message.get("track")), magheading=_number(message.get("magtrack")))


class GpsdProtocol(LineOnlyReceiver):
    """One connection to gpsd."""

    delimiter = b"\n"
    MAX_LENGTH = 1 << 16

    def __init__(self, gps: GpsdGps) -> None:
        self.gps = gps

    def connectionMade(self) -> None:
        assert self.transport is not None  # set by the time a connection is made
        self.transport.write(WATCH)
        self.gps.connection_made(self)

    def lineReceived(self, line: bytes) -> None:
        line = line.strip()
        if not line:
            return
        try:
            message = orjson.loads(line)
        except orjson.JSONDecodeError:
            self.gps.bad_line(line)
            return
        if isinstance(message, dict):
            self.gps.message(message)

    def lineLengthExceeded(self, line: bytes) -> None:
        self.gps.bad_line(line[:80])
        if self.transport is not None:
            self.transport.loseConnection()

    def connectionLost(self, reason: Failure = Failure(ConnectionError())) -> None:
        self.gps.connection_lost(self, reason)


class _Factory(Factory):
    noisy = False

    def __init__(self, gps: GpsdGps) -> None:
        self.gps = gps

    def buildProtocol(self, addr: Any) -> GpsdProtocol:
        return GpsdProtocol(self.gps)


@implementer(IStreamClientEndpoint)
class _WatchedEndpoint:
    """An endpoint that reports each failed connection attempt."""

    def __init__(self, endpoint: IStreamClientEndpoint,
                 on_failure: Callable[[Failure], None]) -> None:
        self._endpoint = endpoint
        self._on_failure = on_failure

    def connect(self, factory: Any) -> defer.Deferred[Any]:
        def failed(failure: Failure) -> Failure:
            if not failure.check(defer.CancelledError):
                self._on_failure(failure)
            return failure

        return self._endpoint.connect(factory).addErrback(failed)

    def __repr__(self) -> str:
        return repr(self._endpoint)


class GpsdGps(Gps):
    """A GPS read from a gpsd server."""

    info = GpsDriverInfo("gpsd", "networked GPSD server", -1000, "gpsd", False)
    options = frozenset({"host", "port", "stall"})

    def __init__(self, definition: GpsDefinition, *, uuid: str, name: str, clock: IReactorTime,
                 bus: MessageBus, reactor: Any,
                 endpoint_factory: EndpointFactory = default_endpoint,
                 retry_policy: RetryPolicy | None = None) -> None:
        super().__init__(definition, uuid=uuid, name=name, clock=clock, bus=bus)
        host = definition.text_option("host")
        if host is None:
            raise GpsDefinitionError("a gpsd GPS needs host=")
        port = definition.integer("port", DEFAULT_PORT)
        if not 0 < port < 65536:
            raise GpsDefinitionError(f"option port={port} is outside 1-65535")
        stall = definition.number("stall", DEFAULT_STALL)
        if stall is None or stall <= 0:
            raise GpsDefinitionError("option stall= must be positive")
        self.host = host
        self.port = port
        self.stall = stall
        self.version = ""
        self.bad_lines = 0
        self._protocol: GpsdProtocol | None = None
        self._stall_timer: IDelayedCall | None = None
        self._failing = False
        endpoint = _WatchedEndpoint(endpoint_factory(reactor, host, port), self._connect_failed)
        self._client = ClientService(
            endpoint, _Factory(self), retryPolicy=retry_policy or default_retry_policy(),
            clock=clock)

    @property
    def where(self) -> str:
        """``host:port`` of the gpsd server."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def description(self) -> str:
        version = f" {self.version}" if self.version else ""
        return f"gpsd{version} at {self.where}"

    # -- lifecycle ----------------------------------------------------------------

    def startService(self) -> None:
        super().startService()
        self.post(f"connecting to gpsd at {self.where}")
        self._client.startService()

    def stopService(self) -> Any:
        self._cancel_stall()
        stopping = self._client.stopService()
        super().stopService()
        return stopping

    # -- protocol events ------------------------------------------------------------

    def connection_made(self, protocol: GpsdProtocol) -> None:
        """A connection is up; the WATCH command has been sent."""
        self._protocol = protocol
        self._failing = False
        self.set_connected(True)
        self._arm_stall()

    def connection_lost(self, protocol: GpsdProtocol, reason: Failure) -> None:
        """The connection went; lose the fix, and let the client retry."""
        if protocol is not self._protocol:
            return
        self._protocol = None
        self._cancel_stall()
        self.set_connected(False)
        if not self.running:
            return
        why = reason.getErrorMessage().rstrip(". ") if reason is not None else "closed"
        if not self.reconnect:
            why += "; reconnect=false, not reconnecting"
        if self.fixed:
            self.lose_fix(f"connection to gpsd at {self.where} lost ({why})")
        else:
            self.post(f"connection to gpsd at {self.where} lost ({why})", ERROR)
        self._failing = True
        self._give_up_unless_reconnecting()

    def _give_up_unless_reconnecting(self) -> None:
        if not self.reconnect:
            # Not from inside the client's own callbacks.
            self.clock.callLater(0, self._client.stopService)

    def _connect_failed(self, failure: Failure) -> None:
        if self._failing or not self.running:
            return
        self._failing = True
        retry = "retrying with backoff" if self.reconnect else "giving up"
        why = failure.getErrorMessage().rstrip(". ")
        self.post(f"cannot reach gpsd at {self.where}: {why}; {retry}", ERROR)
        self._give_up_unless_reconnecting()

    def message(self, message: dict[str, Any]) -> None:
        """One JSON object from gpsd."""
        self._arm_stall()
        kind = message.get("class")
        if kind == "VERSION":
            release = message.get("release")
            self.version = str(release) if release is not None else ""
            self.post(f"connected to gpsd {self.version} at {self.where}", INFO)
        elif kind == "TPV":
            reading = tpv_reading(message)
            if reading is not None:
                self.report(self._completed(reading))

    def _completed(self, reading: Reading) -> Reading:
        """gpsd reports a cycle in several TPVs, each with what it knows so far (the
        altitude from one sentence, the speed from another): fill what this one
        lacks from the previous position if it is under :data:`INHERIT_WINDOW` old."""
        previous = self.location
        if reading.fix < FIX_2D or previous is None or not self.fixed \
                or self.clock.seconds() - previous.time > INHERIT_WINDOW:
            return reading
        alt = reading.alt
        if alt is None and reading.fix >= FIX_3D and previous.fix >= FIX_3D:
            alt = previous.alt
        return replace(
            reading, alt=alt,
            speed=reading.speed if reading.speed is not None else previous.speed,
            heading=reading.heading if reading.heading is not None else previous.heading,
            magheading=(reading.magheading if reading.magheading is not None
                        else previous.magheading))

    def bad_line(self, line: bytes) -> None:
        """gpsd sent something that is not JSON."""
        self.bad_lines += 1
        _log.warn("GPS {name}: ignoring a line from gpsd that is not JSON: {line!r}",
                  name=self.gps_name, line=line[:80])

    # -- stall detection ------------------------------------------------------------

    def _arm_stall(self) -> None:
        if self._stall_timer is not None and self._stall_timer.active():
            self._stall_timer.reset(self.stall)
        else:
            self._stall_timer = self.clock.callLater(self.stall, self._stalled)

    def _cancel_stall(self) -> None:
        if self._stall_timer is not None and self._stall_timer.active():
            self._stall_timer.cancel()
        self._stall_timer = None

    def _stalled(self) -> None:
        self._stall_timer = None
        protocol = self._protocol
        if protocol is not None and protocol.transport is not None:
            self.post(f"no data from gpsd at {self.where} for {self.stall:g} seconds; "
                      "reconnecting", ERROR)
            protocol.transport.loseConnection()
