"""The GPS tracker: every GPS, the best location, and locations on packets.

GPS come from ``gps=`` lines and ``/gps/add_gps.cmd``. Several may run at once;
the *best* location is the usable one (a 2D or 3D fix that has not timed out,
from a GPS that is not ``dataonly``) with the highest fix, then the lowest
``priority``, then the GPS defined first. It is recomputed whenever a GPS
changes, so tagging a packet costs one attribute write, and nothing at all
while there is no location (:meth:`GpsTracker.attach` switches the subscriber
off then).

:meth:`GpsTracker.tag` is the packet-chain subscriber: it runs before every
other subscriber and sets ``packet.location`` to the best location (or None),
unless the packet already carries one (a capture format with its own GPS).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twisted.application.service import MultiService
from twisted.internet.interfaces import IReactorTime

from kismet_tx.chain import PacketChain
from kismet_tx.gps.base import Gps, GpsDefinition, GpsDefinitionError, gps_uuid
from kismet_tx.gps.gpsd import EndpointFactory, GpsdGps, RetryPolicy, default_endpoint
from kismet_tx.gps.location import Location, full_location_record, location_record
from kismet_tx.gps.serial import SerialGps
from kismet_tx.gps.web import VirtualGps, WebGps
from kismet_tx.messagebus import INFO, MessageBus

#: Chain priority of the tagging subscriber: before everything else.
TAG_PRIORITY = -1000


class GpsConflict(GpsDefinitionError):
    """The GPS would clash with one already defined (UUID, or a single-instance type)."""


class GpsTracker(MultiService):
    """Holds every GPS and answers "where are we?"."""

    drivers: dict[str, type[Gps]] = {
        "gpsd": GpsdGps,
        "serial": SerialGps,
        "web": WebGps,
        "virtual": VirtualGps,
    }

    def __init__(self, *, clock: IReactorTime, reactor: Any, bus: MessageBus,
                 server_name: str = "Kismet",
                 endpoint_factory: EndpointFactory = default_endpoint,
                 retry_policy: Callable[[], RetryPolicy] | None = None) -> None:
        MultiService.__init__(self)
        self.setName("gps")
        self._clock = clock
        self._reactor = reactor
        self._bus = bus
        self._server_name = server_name
        self._endpoint_factory = endpoint_factory
        self._retry_policy = retry_policy
        self._gps: list[Gps] = []
        self._best: Location | None = None
        #: Called with the new best location (or None) whenever it changes.
        self.listeners: list[Callable[[Location | None], None]] = []

    # -- defining -------------------------------------------------------------------

    def build(self, text: str) -> Gps:
        """A new, unstarted GPS for a definition; GpsDefinitionError says what is wrong."""
        definition = GpsDefinition.parse(text)
        driver = self.drivers.get(definition.type)
        if driver is None:
            known = ", ".join(sorted(self.drivers))
            raise GpsDefinitionError(f"unknown GPS type {definition.type!r}; known: {known}")
        if driver.info.singleton and any(type(g) is driver for g in self._gps):
            raise GpsConflict(f"only one {definition.type} GPS may be defined")
        uuid = gps_uuid(self._server_name, definition)
        if self.get(uuid) is not None:
            raise GpsConflict(f"a GPS with UUID {uuid} already exists; give this one a "
                              "different uuid= or name=")
        name = self._unique_name(definition.text_option("name", driver.info.default_name) or "")
        extra: dict[str, Any] = {"reactor": self._reactor}
        if driver is GpsdGps:
            extra["endpoint_factory"] = self._endpoint_factory
            if self._retry_policy is not None:
                extra["retry_policy"] = self._retry_policy()
        return driver(definition, uuid=uuid, name=name, clock=self._clock, bus=self._bus,
                      **extra)

    def _unique_name(self, name: str) -> str:
        taken = {g.gps_name for g in self._gps}
        if name not in taken:
            return name
        number = 1
        while f"{name}{number}" in taken:
            number += 1
        return f"{name}{number}"

    def add(self, text: str) -> Gps:
        """Define a GPS and start it (when the tracker runs)."""
        gps = self.build(text)
        gps.on_change = self._gps_changed
        self._gps.append(gps)
        gps.setServiceParent(self)
        self._bus.post(f"GPS '{gps.gps_name}' ({gps.info.type}) defined as {gps.uuid}", INFO)
        self._recompute()
        return gps

    def remove(self, uuid: str) -> Gps | None:
        """Stop and forget a GPS; returns it, or None if there is no such GPS."""
        gps = self.get(uuid)
        if gps is None:
            return None
        self._gps.remove(gps)
        gps.on_change = None
        gps.disownServiceParent()
        self._bus.post(f"GPS '{gps.gps_name}' ({gps.uuid}) removed", INFO)
        self._recompute()
        return gps

    def definitions(self) -> list[str]:
        """The definition text of every GPS, in order."""
        return [g.definition.text for g in self._gps]

    # -- queries ----------------------------------------------------------------------

    def all(self) -> list[Gps]:
        """Every GPS, in definition order."""
        return list(self._gps)

    def get(self, uuid: str) -> Gps | None:
        """A GPS by UUID (any case)."""
        wanted = uuid.upper()
        return next((g for g in self._gps if g.uuid == wanted), None)

    def web(self) -> WebGps | None:
        """The web GPS, if one is defined."""
        return next((g for g in self._gps if isinstance(g, WebGps)), None)

    def best(self) -> Location | None:
        """The best usable location now."""
        chosen = self._choose()
        return None if chosen is None else chosen.current()

    def _choose(self) -> Gps | None:
        best: tuple[int, int, int] | None = None
        chosen = None
        for index, gps in enumerate(self._gps):
            if gps.data_only:
                continue
            location = gps.current()
            if location is None:
                continue
            key = (-location.fix, gps.priority, index)
            if best is None or key < best:
                best, chosen = key, gps
        return chosen

    def _gps_changed(self, gps: Gps) -> None:
        self._recompute()

    def _recompute(self) -> None:
        best = self.best()
        if best == self._best:
            return
        self._best = best
        for listener in list(self.listeners):
            listener(best)

    def tag(self, packet: Any) -> None:
        """Packet-chain subscriber: attach the best location to the packet."""
        if packet.location is None:
            packet.location = self._best

    def attach(self, chain: PacketChain, name: str = "gps") -> None:
        """Subscribe :meth:`tag` to ``chain`` before everything else, switched off
        while there is no location (when tagging would change nothing)."""
        chain.subscribe(self.tag, name, priority=TAG_PRIORITY)
        chain.set_enabled(name, self._best is not None)
        self.listeners.append(lambda best: chain.set_enabled(name, best is not None))

    # -- records ----------------------------------------------------------------------

    def driver_records(self) -> list[dict[str, Any]]:
        """``/gps/drivers``."""
        return [driver.info.record() for driver in self.drivers.values()]

    def records(self) -> list[dict[str, Any]]:
        """``/gps/all_gps``."""
        return [g.record() for g in self._gps]

    def location_record(self) -> dict[str, Any]:
        """``/gps/location``: the best location in Kismet's full shape, with its GPS UUID."""
        return full_location_record(self.best())

    def all_locations(self) -> dict[str, dict[str, Any]]:
        """``/gps/all_locations``: each GPS's location by UUID."""
        return {g.uuid: location_record(g.current()) for g in self._gps}

    # -- lifecycle ----------------------------------------------------------------------

    def startService(self) -> None:
        MultiService.startService(self)
        self._recompute()

    def stopService(self) -> Any:
        result = MultiService.stopService(self)
        self._recompute()
        return result
