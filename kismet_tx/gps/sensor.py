"""Positions reported by remote sensors (``--fixed-gps``, or a sensor's own GPS).

A remote capture sensor may send a GPS block with its packets. The source
keeps the latest one (``sensor_gps``: lat, lon, alt, fix, name); this packet
chain subscriber, ahead of the server's own GPS tagging, gives the packets of
such a source the sensor's position instead of the server's. It is switched
off until some sensor has reported a position, so it costs nothing otherwise.
"""

from __future__ import annotations

from typing import Any

from kismet_tx.chain import PacketChain
from kismet_tx.gps.location import Location
from kismet_tx.gps.manager import TAG_PRIORITY

#: Runs just before the server's GPS tagging.
SENSOR_PRIORITY = TAG_PRIORITY - 1


class SensorGps:
    """Tags packets of remote sources with their sensor's reported position."""

    def __init__(self, chain: PacketChain, name: str = "sensorgps") -> None:
        self._chain = chain
        self._name = name
        self._cache: dict[int, tuple[Any, Location]] = {}
        chain.subscribe(self.tag, name, priority=SENSOR_PRIORITY)
        chain.set_enabled(name, False)

    def enable(self, source: Any = None) -> None:
        """A sensor reported a position: start tagging."""
        self._chain.set_enabled(self._name, True)

    def tag(self, packet: Any) -> None:
        """Packet-chain subscriber: the sensor's position, when its source has one."""
        source = packet.source
        reported = getattr(source, "sensor_gps", None)
        if reported is None or reported[3] < 2:  # no report, or no fix
            return
        cached = self._cache.get(id(source))
        if cached is None or cached[0] is not reported:
            lat, lon, alt, fix, name = reported
            cached = (reported, Location(lat, lon, alt, fix, gps_name=name,
                                         gps_uuid=getattr(source, "uuid", "")))
            self._cache[id(source)] = cached
        packet.location = cached[1].at(packet.ts)
