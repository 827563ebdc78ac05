"""The ``web`` and ``virtual`` drivers: positions given over HTTP, or fixed ones.

``gps=web:name=webgps`` takes positions from ``POST /gps/web/update.cmd``
(``lat``, ``lon``, optional ``alt`` and ``spd`` in km/h); with an altitude the
fix is 3D, without 2D. A browser posts seldom, so its fix lasts 30 s by default.

``gps=virtual:lat=..,lon=..[,alt=..]`` is a fixed position that never times out.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.interfaces import IReactorTime

from kismet_tx.gps.base import Gps, GpsDefinition, GpsDefinitionError, GpsDriverInfo
from kismet_tx.gps.location import FIX_2D, FIX_3D, Location
from kismet_tx.gps.nmea import Reading
from kismet_tx.messagebus import MessageBus

#: Seconds a web position stays usable.
WEB_TIMEOUT = 30.0


def check_position(lat: float, lon: float) -> None:
    """ValueError unless ``lat``/``lon`` are a real position."""
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"latitude {lat} is outside -90..90")
    if not -180.0 <= lon <= 180.0:
        raise ValueError(f"longitude {lon} is outside -180..180")


class WebGps(Gps):
    """Positions posted by a web client."""

    info = GpsDriverInfo("web", "Web-based GPS using client browser", 0, "web", True,
                         WEB_TIMEOUT)

    def __init__(self, definition: GpsDefinition, *, uuid: str, name: str, clock: IReactorTime,
                 bus: MessageBus, **_: Any) -> None:
        super().__init__(definition, uuid=uuid, name=name, clock=clock, bus=bus)

    def startService(self) -> None:
        super().startService()
        self.set_connected(True)

    def update(self, lat: float, lon: float, alt: float | None = None,
               speed: float | None = None) -> None:
        """Take one position; ValueError if it is not one."""
        check_position(lat, lon)
        fix = FIX_3D if alt is not None else FIX_2D
        self.report(Reading(fix, lat, lon, alt, speed))


class VirtualGps(Gps):
    """A fixed position."""

    info = GpsDriverInfo("virtual", "Virtual fixed-location GPS", 0, "virtual", True, None)
    options = frozenset({"lat", "lon", "alt"})

    def __init__(self, definition: GpsDefinition, *, uuid: str, name: str, clock: IReactorTime,
                 bus: MessageBus, **_: Any) -> None:
        super().__init__(definition, uuid=uuid, name=name, clock=clock, bus=bus)
        lat = definition.number("lat")
        lon = definition.number("lon")
        if lat is None or lon is None:
            raise GpsDefinitionError("a virtual GPS needs lat= and lon=")
        try:
            check_position(lat, lon)
        except ValueError as exc:
            raise GpsDefinitionError(str(exc)) from None
        self._fixed_reading = Reading(FIX_3D if "alt" in definition.options else FIX_2D,
                                      lat, lon, definition.number("alt"))

    def description(self) -> str:
        reading = self._fixed_reading
        return f"fixed position {reading.lat:.6f}, {reading.lon:.6f}"

    def startService(self) -> None:
        super().startService()
        self.set_connected(True)
        self.report(self._fixed_reading)

    def current(self) -> Location | None:
        location = super().current()
        return None if location is None else location.at(self.clock.seconds())
