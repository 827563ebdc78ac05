"""Locations: one GPS reading, its ``kismet.common.location.*`` record, device aggregates.

Pure code (no Twisted). A :class:`Location` is immutable; times are seconds
since the epoch on the server clock when the reading arrived (as Kismet stamps
them), speed is km/h, heading and magnetic heading are degrees.

Record shapes follow K25:

- a location: ``geopoint`` ``[lon, lat]``, ``alt``, ``fix``, ``speed``,
  ``heading``, ``magheading``, ``time_sec``, ``time_usec`` (plus ``gps_uuid``
  for ``/gps/location``);
- no fix: ``geopoint`` ``[0, 0]`` and ``fix`` 0 (K25 sends only the geopoint;
  the explicit fix saves clients an inference);
- a device (``kismet.device.base.location``): ``loc_fix`` (best fix seen),
  ``min_loc``, ``max_loc``, ``avg_loc`` and ``last``, each with ``geopoint``,
  ``alt``, ``fix``, ``time_sec`` and ``time_usec``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from kismet_tx.fields import FieldDef

#: ``fix`` values (gpsd's ``mode``): 0 unknown / none, 1 no fix, 2 2D, 3 3D.
NO_FIX = 0
FIX_NONE = 1
FIX_2D = 2
FIX_3D = 3

_P = "kismet.common.location."

LOCATION_FIELDS = (
    FieldDef(_P + "geopoint", "vector[double]", "location as [longitude, latitude]"),
    FieldDef(_P + "alt", "double", "altitude, meters"),
    FieldDef(_P + "fix", "uint8", "fix: 0 none, 2 2D, 3 3D"),
    FieldDef(_P + "speed", "double", "speed, km/h"),
    FieldDef(_P + "heading", "double", "heading, degrees"),
    FieldDef(_P + "magheading", "double", "magnetic heading, degrees"),
    FieldDef(_P + "time_sec", "uint64", "time of the location, seconds since the epoch"),
    FieldDef(_P + "time_usec", "uint64", "time of the location, microseconds part"),
    FieldDef(_P + "gps_uuid", "uuid", "UUID of the GPS reporting the location"),
    FieldDef(_P + "loc_fix", "uint8", "best fix of any location seen for the device"),
    FieldDef(_P + "min_loc", "kismet.common.location", "minimum latitude, longitude, altitude"),
    FieldDef(_P + "max_loc", "kismet.common.location", "maximum latitude, longitude, altitude"),
    FieldDef(_P + "avg_loc", "kismet.common.location", "average location"),
    FieldDef(_P + "last", "kismet.common.location", "last location seen"),
    FieldDef("kismet.device.base.location", "kismet.common.location_aggregate",
             "where the device was seen: best fix, min, max, average and last location"),
)


def _time_parts(ts: float) -> tuple[int, int]:
    sec = int(ts)
    return sec, int(round((ts - sec) * 1_000_000)) % 1_000_000


@dataclass(frozen=True, slots=True)
class Location:
    """One reading from one GPS."""

    lat: float
    lon: float
    alt: float = 0.0
    fix: int = FIX_2D
    speed: float = 0.0
    heading: float = 0.0
    magheading: float = 0.0
    time: float = 0.0
    gps_uuid: str = ""
    gps_name: str = ""

    @property
    def valid(self) -> bool:
        """A usable position (a 2D or 3D fix)."""
        return self.fix >= FIX_2D

    def at(self, time: float) -> Location:
        """The same reading stamped with another time."""
        return replace(self, time=time)

    def record(self, *, with_uuid: bool = False) -> dict[str, Any]:
        """The ``kismet.common.location.*`` record."""
        sec, usec = _time_parts(self.time)
        out: dict[str, Any] = {
            _P + "geopoint": [self.lon, self.lat],
            _P + "alt": self.alt,
            _P + "fix": self.fix,
            _P + "speed": self.speed,
            _P + "heading": self.heading,
            _P + "magheading": self.magheading,
            _P + "time_sec": sec,
            _P + "time_usec": usec,
        }
        if with_uuid:
            out[_P + "gps_uuid"] = self.gps_uuid
        return out


def no_fix_record() -> dict[str, Any]:
    """The record of a location when there is no fix."""
    return {_P + "geopoint": [0.0, 0.0], _P + "fix": NO_FIX}


def full_location_record(location: Location | None) -> dict[str, Any]:
    """``/gps/location``: every field of Kismet's full location, zero without a fix,
    with the GPS's ``gps_uuid`` when there is one."""
    if location is not None and location.valid:
        return location.record(with_uuid=True)
    return {
        _P + "geopoint": [0.0, 0.0], _P + "alt": 0.0, _P + "fix": NO_FIX, _P + "speed": 0.0,
        _P + "heading": 0.0, _P + "magheading": 0.0, _P + "time_sec": 0, _P + "time_usec": 0,
    }


def location_record(location: Location | None, *, with_uuid: bool = False) -> dict[str, Any]:
    """``location``'s record, or the no-fix record."""
    if location is None or not location.valid:
        return no_fix_record()
    return location.record(with_uuid=with_uuid)


def bearing(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial great-circle bearing from point 1 to point 2, degrees 0-360."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    x = math.sin(dl) * math.cos(p2)
    y = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(x, y)) % 360.0


def _triplet(lat: float, lon: float, alt: float, fix: int, time: float) -> dict[str, Any]:
    sec, usec = _time_parts(time)
    return {
        _P + "geopoint": [lon, lat],
        _P + "alt": alt,
        _P + "fix": fix,
        _P + "time_sec": sec,
        _P + "time_usec": usec,
    }


class LocationAggregate:
    """Where one device was seen: best fix, bounds, running average and last location.

    Feed it each valid location of a packet from the device with :meth:`add`;
    altitude enters the bounds and the average only from 3D fixes.
    """

    __slots__ = ("fix", "min_lat", "min_lon", "min_alt", "max_lat", "max_lon", "max_alt",
                 "sum_lat", "sum_lon", "sum_alt", "count", "alt_count", "last")

    def __init__(self) -> None:
        self.fix = NO_FIX
        self.min_lat = self.min_lon = self.min_alt = math.inf
        self.max_lat = self.max_lon = self.max_alt = -math.inf
        self.sum_lat = self.sum_lon = self.sum_alt = 0.0
        self.count = 0
        self.alt_count = 0
        self.last: Location | None = None

    def add(self, location: Location) -> None:
        """Take one location; readings without a fix are ignored."""
        if not location.valid:
            return
        lat, lon = location.lat, location.lon
        self.fix = max(self.fix, location.fix)
        self.min_lat = min(self.min_lat, lat)
        self.min_lon = min(self.min_lon, lon)
        self.max_lat = max(self.max_lat, lat)
        self.max_lon = max(self.max_lon, lon)
        self.sum_lat += lat
        self.sum_lon += lon
        self.count += 1
        if location.fix >= FIX_3D:
            alt = location.alt
            self.min_alt = min(self.min_alt, alt)
            self.max_alt = max(self.max_alt, alt)
            self.sum_alt += alt
            self.alt_count += 1
        self.last = location

    def record(self) -> dict[str, Any]:
        """The ``kismet.device.base.location`` record (empty locations before any fix)."""
        last = self.last
        if last is None:
            empty = _triplet(0.0, 0.0, 0.0, NO_FIX, 0.0)
            return {_P + "loc_fix": NO_FIX, _P + "min_loc": empty, _P + "max_loc": dict(empty),
                    _P + "avg_loc": dict(empty), _P + "last": dict(empty)}
        has_alt = self.alt_count > 0
        min_alt = self.min_alt if has_alt else 0.0
        max_alt = self.max_alt if has_alt else 0.0
        avg_alt = self.sum_alt / self.alt_count if has_alt else 0.0
        return {
            _P + "loc_fix": self.fix,
            _P + "min_loc": _triplet(self.min_lat, self.min_lon, min_alt, self.fix, last.time),
            _P + "max_loc": _triplet(self.max_lat, self.max_lon, max_alt, self.fix, last.time),
            _P + "avg_loc": _triplet(self.sum_lat / self.count, self.sum_lon / self.count,
                                     avg_alt, self.fix, last.time),
            _P + "last": _triplet(last.lat, last.lon, last.alt if last.fix >= FIX_3D else 0.0,
                                  last.fix, last.time),
        }
