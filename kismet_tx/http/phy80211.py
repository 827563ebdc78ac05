"""``/phy/...``: the phy list and the 802.11 endpoints (SSID and probe regex, clients).

``ssid_regex.cmd`` and ``probe_regex.cmd`` are the endpoint document's (Kismet
removed them in 2017): ``essid`` is a list of PCRE patterns matched, through
the shared regex engine, against advertised and responded SSIDs or against
probed SSIDs; a device matches when any pattern does.
"""

from __future__ import annotations

from typing import Any

from klein import Klein

from kismet_tx.http.auth import Access
from kismet_tx.http.context import HttpContext
from kismet_tx.http.devicequeries import DeviceQueries
from kismet_tx.http.errors import BadRequest
from kismet_tx.http.fieldspec import RegexFilter, RegexSpecError, compile_regex
from kismet_tx.http.results import Listing
from kismet_tx.http.routing import CMD, GET_POST, POST, ApiRequest, endpoint
from kismet_tx.tracker import Tracking
from kismet_tx.tracker.device import Device
from kismet_tx.tracker.dot11state import Dot11Device
from kismet_tx.tracker.records import phy_record

_ADVERTISED = ("dot11.device/dot11.device.advertised_ssid_map/dot11.advertisedssid.ssid",
               "dot11.device/dot11.device.responded_ssid_map/dot11.advertisedssid.ssid")
_PROBED = ("dot11.device/dot11.device.probed_ssid_map/dot11.probedssid.ssid",)


def essid_filter(call: ApiRequest, paths: tuple[str, ...]) -> RegexFilter:
    """The ``essid`` patterns of a command, applied to every path given."""
    patterns = call.cmd.str_list("essid", required=True)
    try:
        return compile_regex([[path, pattern] for pattern in patterns for path in paths])
    except RegexSpecError as exc:
        raise BadRequest(str(exc)) from None


class Phy80211Area:
    """Phy endpoints."""

    app = Klein()

    def __init__(self, ctx: HttpContext, tracking: Tracking) -> None:
        self.ctx = ctx
        self.q = DeviceQueries(tracking)
        self.devices = tracking.device_tracker

    @endpoint(app, "/phy/all_phys", methods=GET_POST)
    def all_phys(self, call: ApiRequest) -> Any:
        """Every phy with its device and packet counts."""
        records = [phy_record(phy) for phy in self.devices.phys]
        spec = call.cmd.fields()
        return records if spec is None else list(spec.apply_many(records))

    @endpoint(app, "/phy/phy80211/ssid_regex", ext=CMD, methods=POST, access=Access.LOGIN)
    def ssid_regex(self, call: ApiRequest) -> Any:
        """Devices advertising (or answering probes for) an SSID matching ``essid``."""
        return self._matching(call, essid_filter(call, _ADVERTISED))

    @endpoint(app, "/phy/phy80211/probe_regex", ext=CMD, methods=POST)
    def probe_regex(self, call: ApiRequest) -> Any:
        """Devices probing for an SSID matching ``essid`` (no login needed)."""
        return self._matching(call, essid_filter(call, _PROBED))

    def _matching(self, call: ApiRequest, match: RegexFilter) -> Any:
        """The devices ``match`` keeps (found in slices of time), simplified, as a list."""
        spec = call.cmd.fields()
        return self.q.matching(self.ctx, self.devices.devices(), match).addCallback(
            lambda kept: list(self.q.simplify(kept, spec)))

    @endpoint(app, "/phy/phy80211/clients-of/<key>/clients", methods=GET_POST)
    def clients_of(self, call: ApiRequest, key: str) -> Any:
        """Full records of the clients associated with an AP."""
        device = self.q.device_by_key(key)
        return Listing(self.q.rows(self._clients(device), call.cmd, regex=False))

    @endpoint(app, "/phy/phy80211/related-to/<key>/devices", methods=GET_POST)
    def related_to(self, call: ApiRequest, key: str) -> Any:
        """The device and, recursively, its associated clients (Kismet's walk)."""
        start = self.q.device_by_key(key)
        seen: dict[int, Device] = {}
        pending = [start]
        while pending:
            device = pending.pop()
            if id(device) in seen or not isinstance(device, Dot11Device):
                continue
            seen[id(device)] = device
            pending.extend(reversed(self._clients(device)))
        return Listing(self.q.rows(seen.values(), call.cmd, regex=False))

    def _clients(self, device: Device) -> list[Device]:
        ap = getattr(device, "ap", None)
        if ap is None or not ap.associated:
            return []
        found = []
        for mac in ap.associated:
            client = device.phy.devices.get(mac)
            if client is not None:
                found.append(client)
        return found
