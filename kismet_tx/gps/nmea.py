"""NMEA 0183 parsing for serial GPS receivers (pure, no Twisted).

:class:`NmeaReader` takes one sentence at a time and keeps the receiver's
state across an epoch: ``GSA`` gives the fix mode, ``GGA`` the position,
quality and altitude, ``RMC`` the position, validity, speed and course, ``VTG``
speed and course. Each ``GGA`` or ``RMC`` yields a :class:`Reading`, the state
as it stands. Any talker (``GP``, ``GN``, ``GL``, ``GA``, ``BD``) is accepted.
Sentences with a wrong checksum or malformed fields are dropped and counted.
"""

from __future__ import annotations

from dataclasses import dataclass

from kismet_tx.gps.location import FIX_2D, FIX_3D, FIX_NONE

#: Knots to km/h.
KNOTS_KMH = 1.852


@dataclass(frozen=True, slots=True)
class Reading:
    """What a receiver reported; ``fix`` below 2 means no position."""

    fix: int
    lat: float = 0.0
    lon: float = 0.0
    alt: float | None = None
    speed: float | None = None
    heading: float | None = None
    magheading: float | None = None


def checksum(body: str) -> int:
    """XOR of the characters between ``$`` and ``*``."""
    value = 0
    for char in body.encode("ascii", "replace"):
        value ^= char
    return value


def split_sentence(line: str) -> list[str] | None:
    """The comma-separated fields of a sentence whose checksum (if any) is right."""
    line = line.strip()
    if not line.startswith(("$", "!")):
        return None
    body, star, given = line[1:].partition("*")
    if star:
        try:
            if int(given[:2], 16) != checksum(body):
                return None
        except ValueError:
            return None
    return body.split(",")


def _coordinate(value: str, hemisphere: str, degree_digits: int) -> float:
    if len(value) < degree_digits + 2:
        raise ValueError(f"bad coordinate {value!r}")
    degrees = int(value[:degree_digits])
    minutes = float(value[degree_digits:])
    result = degrees + minutes / 60.0
    if hemisphere in ("S", "W"):
        return -result
    if hemisphere not in ("N", "E"):
        raise ValueError(f"bad hemisphere {hemisphere!r}")
    return result


def _number(value: str) -> float | None:
    return float(value) if value else None


class NmeaReader:
    """Receiver state built from successive sentences."""

    def __init__(self) -> None:
        self.mode = 0
        self.lat = 0.0
        self.lon = 0.0
        self.alt: float | None = None
        self.speed: float | None = None
        self.heading: float | None = None
        self.magheading: float | None = None
        self.has_position = False
        self.sentences = 0
        self.rejected = 0

    def feed(self, line: str) -> Reading | None:
        """Take one sentence; returns a reading after ``GGA`` or ``RMC``."""
        fields = split_sentence(line)
        if fields is None or not fields[0]:
            if line.strip():
                self.rejected += 1
            return None
        kind = fields[0][-3:]
        try:
            if kind == "GSA":
                self._gsa(fields)
                result = None
            elif kind == "VTG":
                self._vtg(fields)
                result = None
            elif kind == "GGA":
                result = self._gga(fields)
            elif kind == "RMC":
                result = self._rmc(fields)
            else:
                return None
        except (ValueError, IndexError):
            self.rejected += 1
            return None
        self.sentences += 1
        return result

    def _reading(self, fix: int) -> Reading:
        if fix < FIX_2D or not self.has_position:
            return Reading(FIX_NONE)
        return Reading(fix, self.lat, self.lon, self.alt if fix >= FIX_3D else None,
                       self.speed, self.heading, self.magheading)

    def _fix(self, default: int) -> int:
        return self.mode if self.mode >= FIX_2D else default

    def _gsa(self, fields: list[str]) -> None:
        self.mode = int(fields[2]) if fields[2] else 0

    def _vtg(self, fields: list[str]) -> None:
        self.heading = _number(fields[1])
        kmh = _number(fields[7]) if len(fields) > 7 else None
        if kmh is not None:
            self.speed = kmh

    def _gga(self, fields: list[str]) -> Reading:
        quality = int(fields[6]) if fields[6] else 0
        if quality == 0:
            self.mode = FIX_NONE
            return Reading(FIX_NONE)
        self.lat = _coordinate(fields[2], fields[3], 2)
        self.lon = _coordinate(fields[4], fields[5], 3)
        self.alt = _number(fields[9])
        self.has_position = True
        return self._reading(self._fix(FIX_3D if self.alt is not None else FIX_2D))

    def _rmc(self, fields: list[str]) -> Reading:
        if fields[2] != "A":
            self.mode = FIX_NONE
            return Reading(FIX_NONE)
        self.lat = _coordinate(fields[3], fields[4], 2)
        self.lon = _coordinate(fields[5], fields[6], 3)
        knots = _number(fields[7])
        if knots is not None:
            self.speed = knots * KNOTS_KMH
        self.heading = _number(fields[8])
        variation = _number(fields[10]) if len(fields) > 10 else None
        if self.heading is not None and variation is not None:
            sign = -1.0 if len(fields) > 11 and fields[11].startswith("E") else 1.0
            self.magheading = (self.heading + sign * variation) % 360.0
        self.has_position = True
        return self._reading(self._fix(FIX_3D if self.alt is not None else FIX_2D))
