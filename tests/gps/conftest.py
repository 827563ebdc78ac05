"""Shared pieces for the GPS tests: NMEA sentences, a fake gpsd link on a memory reactor."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
from twisted.internet.error import ConnectionDone, ConnectionRefusedError
from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.python.failure import Failure

from kismet_tx.gps.manager import GpsTracker
from kismet_tx.messagebus import MessageBus

START = 1_700_000_000.0


def nmea(body: str) -> str:
    """A sentence with its checksum: ``nmea("GPGGA,...")`` -> ``$GPGGA,...*hh``."""
    value = 0
    for char in body.encode("ascii"):
        value ^= char
    return f"${body}*{value:02X}"


def gga(time: str = "120000.00", lat: str = "4807.038", ns: str = "N", lon: str = "01131.000",
        ew: str = "E", quality: int = 1, alt: str = "545.4") -> str:
    return nmea(f"GPGGA,{time},{lat},{ns},{lon},{ew},{quality},08,0.9,{alt},M,46.9,M,,")


def rmc(time: str = "120000.00", status: str = "A", lat: str = "4807.038", ns: str = "N",
        lon: str = "01131.000", ew: str = "E", knots: str = "022.4", track: str = "084.4",
        var: str = "003.1", var_dir: str = "W") -> str:
    return nmea(f"GPRMC,{time},{status},{lat},{ns},{lon},{ew},{knots},{track},230394,{var},"
                f"{var_dir}")


def gsa(mode: int = 3) -> str:
    return nmea(f"GPGSA,A,{mode},04,05,,09,12,,,24,,,,,2.5,1.3,2.1")


@dataclass
class Link:
    """One connection attempt of a gpsd client on the memory reactor."""

    reactor: MemoryReactorClock
    index: int
    protocol: Any = None
    transport: StringTransport = field(default_factory=StringTransport)

    def accept(self) -> Link:
        """gpsd accepts: the client is connected."""
        factory = self.reactor.tcpClients[self.index][2]
        self.protocol = factory.buildProtocol(None)
        self.protocol.makeConnection(self.transport)
        return self

    def refuse(self) -> None:
        """Nothing listens there."""
        factory = self.reactor.tcpClients[self.index][2]
        factory.clientConnectionFailed(self.reactor.connectors[self.index],
                                       Failure(ConnectionRefusedError()))

    def send(self, *messages: dict[str, Any]) -> None:
        """gpsd sends JSON objects, one per line."""
        for message in messages:
            self.protocol.dataReceived(orjson.dumps(message) + b"\n")

    def drop(self) -> None:
        """gpsd goes away."""
        self.protocol.connectionLost(Failure(ConnectionDone()))

    def sent(self) -> bytes:
        return self.transport.value()


def tpv(mode: int = 3, lat: float = 48.1173, lon: float = 11.516666667, **extra: Any) -> dict:
    message = {"class": "TPV", "device": "/dev/pts/1", "mode": mode}
    if mode >= 2:
        message.update({"lat": lat, "lon": lon})
    message.update(extra)
    return message


def fixed_backoff(attempt: int) -> float:
    """Deterministic retry delays: 1, 2, 4, ... capped at 30 s."""
    return float(min(2 ** (attempt - 1), 30))


@dataclass
class Bench:
    """A GPS tracker on a memory reactor (which is also its clock)."""

    reactor: MemoryReactorClock
    bus: MessageBus
    tracker: GpsTracker

    def link(self, index: int = -1) -> Link:
        if index < 0:
            index = len(self.reactor.tcpClients) + index
        return Link(self.reactor, index)

    def texts(self) -> list[str]:
        return [m.text for m in self.bus.messages()]

    def advance(self, seconds: float) -> None:
        self.reactor.advance(seconds)


def make_bench() -> Bench:
    reactor = MemoryReactorClock()
    reactor.advance(START)
    bus = MessageBus(reactor, backlog=500)
    tracker = GpsTracker(clock=reactor, reactor=reactor, bus=bus, server_name="Kismet",
                         retry_policy=lambda: fixed_backoff)
    return Bench(reactor, bus, tracker)
