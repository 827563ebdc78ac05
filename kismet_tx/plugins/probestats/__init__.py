"""probestats: per-SSID probe request statistics (the example plugin).

Every 802.11 probe request is counted under the SSID it asks for (``""`` is
the wildcard probe): how many probes, from how many distinct clients, first
and last seen, last signal and where (with a GPS fix). It serves

- ``/plugin/probestats/ssids.json`` (any serializer suffix; GET, or POST with
  ``min_probes``, ``limit``, ``fields``): the SSIDs, most probed first;
- ``/plugin/probestats/reset.cmd`` (POST, login): clear the statistics;
- ``/plugin/probestats/``: a small web page over ``ssids.json``;

and raises ``PROBESTATS_POPULAR`` once per SSID when ``POPULAR_CLIENTS``
distinct clients have probed for it. Enable with
``plugin=kismet_tx.plugins.probestats`` in kismet.conf.

The plugin imports no Twisted: its hooks use the API it is handed and txaio futures
(through :mod:`kismet_tx.plugins.futures`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zope.interface import implementer

from kismet_tx.dot11.frames import ST_PROBE_REQ, TYPE_MGMT, mac_str
from kismet_tx.plugins import futures
from kismet_tx.plugins.api import IKismetPlugin, PluginApi, PluginHttpError, PluginRequest

#: Distinct clients probing one SSID before PROBESTATS_POPULAR is raised.
POPULAR_CLIENTS = 10
#: SSIDs kept; when full, the one seen longest ago is dropped.
MAX_SSIDS = 10_000
#: Distinct client MACs remembered per SSID (the count stops growing beyond).
MAX_CLIENTS = 4096
ALERT = "PROBESTATS_POPULAR"
WEB = Path(__file__).resolve().parent / "web"

_F = "probestats.ssid."
FIELDS = (
    (_F + "ssid", "string", "SSID asked for in probe requests ('' is the wildcard probe)"),
    (_F + "probes", "uint64", "probe requests for the SSID"),
    (_F + "clients", "uint64", "distinct clients that probed for the SSID"),
    (_F + "first_time", "double", "time of the first probe (packet time)"),
    (_F + "last_time", "double", "time of the last probe (packet time)"),
    (_F + "last_signal", "int32", "signal of the last probe, dBm (0 if unknown)"),
    (_F + "last_client", "string", "MAC of the last client probing for the SSID"),
    (_F + "last_location", "vector[double]", "[lon, lat] of the last probe seen with a GPS fix"),
)


@dataclass(slots=True)
class SsidStats:
    """Probe statistics of one SSID."""

    ssid: str
    first_time: float
    last_time: float
    probes: int = 0
    clients: set[str] = field(default_factory=set)
    last_signal: int = 0
    last_client: str = ""
    last_location: list[float] | None = None
    alerted: bool = False

    def record(self) -> dict[str, Any]:
        """The ``probestats.ssid.*`` record."""
        return {
            _F + "ssid": self.ssid,
            _F + "probes": self.probes,
            _F + "clients": len(self.clients),
            _F + "first_time": self.first_time,
            _F + "last_time": self.last_time,
            _F + "last_signal": self.last_signal,
            _F + "last_client": self.last_client,
            _F + "last_location": self.last_location or [0.0, 0.0],
        }


@implementer(IKismetPlugin)
class ProbeStats:
    """Counts probe requests per SSID."""

    name = "probestats"
    description = "Per-SSID probe request statistics"
    version = "1.0"
    author = "kismet_tx"

    def __init__(self) -> None:
        self.ssids: dict[str, SsidStats] = {}
        self.api: PluginApi | None = None
        self.alerts = False

    # -- hooks ----------------------------------------------------------------------

    def setup(self, api: PluginApi) -> Any:
        """Register fields, routes, the packet callback, static content and the alert."""
        self.api = api
        api.add_fields(FIELDS)
        api.add_route("ssids", self.list_ssids, methods=("GET", "POST"))
        api.add_route("reset.cmd", self.reset, methods=("POST",), login=True, formats=False)
        api.add_static(WEB)
        api.subscribe_packets(self.packet)
        try:
            api.define_alert(ALERT, f"An SSID was probed for by {POPULAR_CLIENTS} distinct "
                                    "clients", klass="PROBE", severity=5)
            self.alerts = True
        except Exception as exc:  # no alert tracker, or already defined: stats still work
            api.post_message(f"alerts unavailable ({exc}); statistics only")
        return futures.create_future_success(None)

    def teardown(self) -> Any:
        """Say what was counted."""
        if self.api is not None:
            probes = sum(s.probes for s in self.ssids.values())
            self.api.post_message(f"counted {probes} probe requests for "
                                  f"{len(self.ssids)} SSIDs")
        return futures.create_future_success(None)

    def packet(self, packet: Any) -> None:
        """Count one packet if it is a probe request."""
        frame = packet.decoded
        if frame is None or packet.error or frame.type != TYPE_MGMT \
                or frame.subtype != ST_PROBE_REQ:
            return
        raw = frame.ssid
        ssid = raw.decode("utf-8", "replace") if raw else ""
        stats = self.ssids.get(ssid)
        if stats is None:
            if len(self.ssids) >= MAX_SSIDS:
                oldest = min(self.ssids.values(), key=lambda s: s.last_time)
                del self.ssids[oldest.ssid]
            stats = self.ssids[ssid] = SsidStats(ssid, packet.ts, packet.ts)
        stats.probes += 1
        stats.last_time = max(stats.last_time, packet.ts)
        client = mac_str(frame.source)
        if client:
            stats.last_client = client
            if len(stats.clients) < MAX_CLIENTS:
                stats.clients.add(client)
        signal = frame.signal_dbm
        if signal is not None:
            stats.last_signal = signal
        location = packet.location
        if location is not None:
            stats.last_location = [location.lon, location.lat]
        if ssid and not stats.alerted and len(stats.clients) >= POPULAR_CLIENTS:
            stats.alerted = True
            self._popular(stats)

    def _popular(self, stats: SsidStats) -> None:
        if not self.alerts or self.api is None:
            return
        self.api.raise_alert(ALERT, f"SSID '{stats.ssid}' was probed for by "
                                    f"{len(stats.clients)} distinct clients",
                             source=stats.last_client)

    # -- routes ---------------------------------------------------------------------

    def list_ssids(self, request: PluginRequest) -> list[dict[str, Any]]:
        """The SSIDs, most probed first; ``min_probes`` and ``limit`` narrow the list."""
        options = dict(request.query)
        options.update(request.command)
        min_probes = _whole(options.get("min_probes", 0), "min_probes")
        limit = _whole(options.get("limit", 0), "limit")
        ranked = sorted(self.ssids.values(), key=lambda s: (-s.probes, s.ssid))
        records = [s.record() for s in ranked if s.probes >= min_probes]
        if limit:
            records = records[:limit]
        wanted = request.command.get("fields")
        if wanted is not None:
            if not isinstance(wanted, list) or not all(isinstance(f, str) for f in wanted):
                raise PluginHttpError(400, "fields must be a list of field names")
            records = [{f: r[f] for f in wanted if f in r} for r in records]
        return records

    def reset(self, request: PluginRequest) -> str:
        """Forget every statistic."""
        count = len(self.ssids)
        self.ssids.clear()
        return f"Cleared {count} SSIDs\n"


def _whole(value: Any, key: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise PluginHttpError(400, f"{key} must be a whole number") from None
    if number < 0 or isinstance(value, bool):
        raise PluginHttpError(400, f"{key} must be a whole number")
    return number


#: What ``plugin=kismet_tx.plugins.probestats`` loads.
plugin = ProbeStats
