"""What every GPS driver shares: its definition, state, fix timeout and records.

A GPS is defined in Kismet's syntax, ``TYPE:opt=val,opt=val`` (``gps=`` lines
and ``/gps/add_gps.cmd``). Options every driver takes:

- ``name``: defaults to the driver's name (``gpsd``, ``serial``, ...);
- ``uuid``: defaults to Kismet's derivation, ``<A>-0000-0000-0000-0000<B>``
  with A the Adler-32 of ``kismet_gps`` and B the Adler-32 of server name + definition;
- ``priority``: breaks ties between GPS with the same fix; the lower number
  wins (Kismet's order: gpsd and serial -1000, web and virtual 0);
- ``dataonly``: the GPS is listed but never used for locations;
- ``reconnect``: reopen after an error (default true);
- ``timeout``: seconds without a position before the fix is lost.

A driver calls :meth:`Gps.report` with each :class:`~kismet_tx.gps.nmea.Reading`.
The fix is lost, with a message on the bus, when the receiver says so, when
the connection goes, or when no position arrives for ``timeout`` seconds.
"""

from __future__ import annotations

import uuid as uuidlib
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from twisted.application.service import Service
from twisted.internet.interfaces import IDelayedCall, IReactorTime

from kismet_tx.config import decimal_number
from kismet_tx.fields import FieldDef
from kismet_tx.gps.location import FIX_2D, Location, bearing, location_record
from kismet_tx.gps.nmea import Reading
from kismet_tx.messagebus import ERROR, INFO, MessageBus
from kismet_tx.sourcedefinition import SourceDefinitionError, parse_source_definition

#: Seconds without a position before a live GPS loses its fix.
DEFAULT_TIMEOUT = 5.0
#: Minimum movement, degrees, before a heading is derived from two positions.
_HEADING_MIN_MOVE = 1e-5

_T = "kismet.gps.type."
_G = "kismet.gps."

GPS_FIELDS = (
    FieldDef(_T + "class", "string", "GPS driver type"),
    FieldDef(_T + "description", "string", "GPS driver description"),
    FieldDef(_T + "priority", "int32", "default priority (lower wins ties)"),
    FieldDef(_T + "default_name", "string", "default GPS name"),
    FieldDef(_T + "singleton", "uint8", "only one GPS of this type may be defined"),
    FieldDef(_G + "name", "string", "GPS name"),
    FieldDef(_G + "description", "string", "GPS description"),
    FieldDef(_G + "connected", "uint8", "the GPS device is connected"),
    FieldDef(_G + "reconnect", "uint8", "the GPS reconnects after an error"),
    FieldDef(_G + "location", "kismet.common.location", "current location"),
    FieldDef(_G + "last_location", "kismet.common.location", "previous location"),
    FieldDef(_G + "uuid", "uuid", "GPS UUID"),
    FieldDef(_G + "definition", "string", "GPS definition"),
    FieldDef(_G + "priority", "int32", "priority among several GPS (lower wins ties)"),
    FieldDef(_G + "data_only", "uint8", "the GPS is never used for live locations"),
    FieldDef(_G + "fix_timeout", "double",
             "seconds without a position before the fix is lost (kismet_tx)"),
    FieldDef(_G + "type", "kismet.gps.type", "GPS driver"),
    FieldDef(_G + "instance", "kismet.gps.instance", "one GPS"),
)


class GpsDefinitionError(ValueError):
    """A GPS definition that cannot be used; the message says why."""


@dataclass(frozen=True, slots=True)
class GpsDriverInfo:
    """One GPS driver type (``/gps/drivers``)."""

    type: str
    description: str
    priority: int
    default_name: str
    singleton: bool
    timeout: float | None = DEFAULT_TIMEOUT

    def record(self) -> dict[str, Any]:
        """The ``kismet.gps.type.*`` record."""
        return {
            _T + "class": self.type,
            _T + "description": self.description,
            _T + "priority": self.priority,
            _T + "default_name": self.default_name,
            _T + "singleton": int(self.singleton),
        }


_TRUE = frozenset({"true", "yes", "1", "on"})
_FALSE = frozenset({"false", "no", "0", "off"})


@dataclass(frozen=True, slots=True)
class GpsDefinition:
    """A parsed ``TYPE:opt=val,...`` definition."""

    text: str
    type: str
    options: dict[str, str]

    @classmethod
    def parse(cls, text: str) -> GpsDefinition:
        """Split a definition; GpsDefinitionError if it is malformed."""
        if not isinstance(text, str) or not text.strip():
            raise GpsDefinitionError("empty GPS definition")
        if any(ord(ch) < 0x20 for ch in text):
            raise GpsDefinitionError("GPS definition contains control characters")
        try:
            kind, options = parse_source_definition(text)
        except SourceDefinitionError as exc:
            raise GpsDefinitionError(str(exc)) from None
        return cls(text.strip(), kind.lower(), options)

    def text_option(self, key: str, default: str | None = None) -> str | None:
        """An option's value, or ``default`` when absent or empty."""
        value = self.options.get(key)
        return value if value else default

    def flag(self, key: str, default: bool) -> bool:
        """A boolean option."""
        value = self.options.get(key)
        if value is None or value == "":
            return default
        word = value.lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise GpsDefinitionError(f"option {key}={value!r} is not true or false")

    def number(self, key: str, default: float | None = None) -> float | None:
        """A numeric option."""
        value = self.options.get(key)
        if value is None or value == "":
            return default
        result = decimal_number(value)
        if result is None:
            raise GpsDefinitionError(f"option {key}={value!r} is not a finite number")
        return result

    def integer(self, key: str, default: int) -> int:
        """An integer option."""
        value = self.options.get(key)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except ValueError:
            raise GpsDefinitionError(f"option {key}={value!r} is not an integer") from None


def gps_uuid(server_name: str, definition: GpsDefinition) -> str:
    """The UUID of a GPS: ``uuid=`` when given, else Kismet's derivation."""
    given = definition.text_option("uuid")
    if given is not None:
        try:
            return str(uuidlib.UUID(given)).upper()
        except ValueError:
            raise GpsDefinitionError(f"option uuid={given!r} is not a UUID") from None
    prefix = zlib.adler32(b"kismet_gps") & 0xFFFFFFFF
    suffix = zlib.adler32((server_name + definition.text).encode("utf-8", "replace"))
    return f"{prefix:08X}-0000-0000-0000-0000{suffix & 0xFFFFFFFF:08X}"


class Gps(Service):
    """One GPS: its settings, state, fix timeout and records.

    Subclasses set :attr:`info` and call :meth:`report`, :meth:`set_connected`
    and :meth:`lose_fix`; ``on_change`` is called whenever the usable location
    may have changed.
    """

    info: ClassVar[GpsDriverInfo]
    #: Options the driver understands beyond the common ones.
    options: ClassVar[frozenset[str]] = frozenset()
    common_options: ClassVar[frozenset[str]] = frozenset(
        {"name", "uuid", "priority", "dataonly", "reconnect", "timeout"})

    def __init__(self, definition: GpsDefinition, *, uuid: str, name: str, clock: IReactorTime,
                 bus: MessageBus) -> None:
        super().__init__()
        self.definition = definition
        self.uuid = uuid
        self.gps_name = name
        self.setName(name)
        self.clock = clock
        self.bus = bus
        self.priority = definition.integer("priority", self.info.priority)
        self.data_only = definition.flag("dataonly", False)
        self.reconnect = definition.flag("reconnect", True)
        timeout = definition.number("timeout", self.info.timeout)
        if timeout is not None and timeout <= 0:
            raise GpsDefinitionError(f"option timeout={timeout:g} must be positive")
        self.fix_timeout = timeout
        unknown = sorted(set(definition.options) - self.common_options - self.options)
        if unknown:
            raise GpsDefinitionError(
                f"unknown option(s) for a {self.info.type} GPS: {', '.join(unknown)}")
        self.connected = False
        self.location: Location | None = None
        self.last_location: Location | None = None
        self.fixed = False
        self.on_change: Callable[[Gps], None] | None = None
        self._expiry: IDelayedCall | None = None

    # -- state --------------------------------------------------------------------

    def post(self, text: str, flags: int = INFO) -> None:
        """Post a message about this GPS on the bus."""
        self.bus.post(f"GPS '{self.gps_name}': {text}", flags)

    def set_connected(self, connected: bool) -> None:
        """Record whether the device is reachable."""
        self.connected = connected

    def current(self) -> Location | None:
        """The usable location now: a fix that has not timed out, on a running GPS."""
        location = self.location
        if not self.running or not self.fixed or location is None:
            return None
        return location

    def report(self, reading: Reading) -> None:
        """Take one reading from the device."""
        if reading.fix < FIX_2D:
            self.lose_fix("the receiver reports no fix")
            return
        now = self.clock.seconds()
        previous = self.location
        heading = reading.heading
        if heading is None:
            heading = self._derived_heading(reading, previous)
        location = Location(
            lat=reading.lat, lon=reading.lon, alt=reading.alt or 0.0, fix=reading.fix,
            speed=reading.speed or 0.0, heading=heading,
            magheading=reading.magheading if reading.magheading is not None else 0.0,
            time=now, gps_uuid=self.uuid, gps_name=self.gps_name)
        if previous is not None:
            self.last_location = previous
        self.location = location
        self._arm_expiry()
        if not self.fixed or previous is None or previous.fix != location.fix:
            self.fixed = True
            self.post(f"acquired a {location.fix}D fix at {location.lat:.6f}, "
                      f"{location.lon:.6f}")
        self._changed()

    @staticmethod
    def _derived_heading(reading: Reading, previous: Location | None) -> float:
        if previous is None or not previous.valid:
            return 0.0
        if (abs(reading.lat - previous.lat) < _HEADING_MIN_MOVE
                and abs(reading.lon - previous.lon) < _HEADING_MIN_MOVE):
            return previous.heading
        return bearing(previous.lat, previous.lon, reading.lat, reading.lon)

    def lose_fix(self, reason: str, flags: int = ERROR) -> None:
        """Mark the location unusable, posting ``reason`` if there was a fix."""
        self._cancel_expiry()
        if self.fixed:
            self.fixed = False
            self.post(f"lost its fix: {reason}", flags)
            self._changed()

    def _arm_expiry(self) -> None:
        if self.fix_timeout is None:
            return
        if self._expiry is not None and self._expiry.active():
            self._expiry.reset(self.fix_timeout)
            return
        self._expiry = self.clock.callLater(self.fix_timeout, self._expired)

    def _cancel_expiry(self) -> None:
        if self._expiry is not None and self._expiry.active():
            self._expiry.cancel()
        self._expiry = None

    def _expired(self) -> None:
        self._expiry = None
        self.lose_fix(f"no position for {self.fix_timeout:g} seconds")

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self)

    # -- lifecycle --------------------------------------------------------------------

    def startService(self) -> None:
        Service.startService(self)

    def stopService(self) -> Any:
        self._cancel_expiry()
        self.fixed = False
        self.connected = False
        result = Service.stopService(self)
        self._changed()
        return result

    # -- records ----------------------------------------------------------------------

    def description(self) -> str:
        """A one-line description of the device."""
        return self.info.description

    def record(self) -> dict[str, Any]:
        """The ``kismet.gps.*`` record."""
        return {
            _G + "name": self.gps_name,
            _G + "description": self.description(),
            _G + "connected": int(self.connected),
            _G + "reconnect": int(self.reconnect),
            _G + "location": location_record(self.current()),
            _G + "last_location": location_record(self.last_location),
            _G + "uuid": self.uuid,
            _G + "definition": self.definition.text,
            _G + "priority": self.priority,
            _G + "data_only": int(self.data_only),
            _G + "fix_timeout": self.fix_timeout if self.fix_timeout is not None else 0.0,
            _G + "type": self.info.record(),
        }
