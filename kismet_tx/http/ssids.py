"""``/phy/phy80211/ssids/...``: Kismet's SSID tracker, paged like a device view."""

from __future__ import annotations

from typing import Any

from klein import Klein

from kismet_tx.http.context import HttpContext
from kismet_tx.http.errors import BadRequest, NotFound
from kismet_tx.http.routing import GET_POST, ApiRequest, endpoint
from kismet_tx.http.windows import window_records
from kismet_tx.tracker.ssids import SsidTracker


class SsidsArea:
    """SSID groups: the paged view and one group by hash."""

    app = Klein()

    def __init__(self, ctx: HttpContext, ssids: SsidTracker) -> None:
        self.ctx = ctx
        self._ssids = ssids

    @endpoint(app, "/phy/phy80211/ssids/views/ssids", methods=GET_POST)
    def ssids(self, call: ApiRequest) -> Any:
        """Every SSID group; ``last_time`` (negative: seconds before now) drops older ones."""
        records = [group.record() for group in self._ssids.groups()]
        last_time = call.cmd.int("last_time", default=0) or 0
        if last_time < 0:
            last_time = int(self.ctx.clock.seconds()) + last_time
        if last_time > 0:
            records = [r for r in records if r["dot11.ssidgroup.last_time"] >= last_time]
        return window_records(call, records)

    @endpoint(app, "/phy/phy80211/ssids/by-hash/<ssid_hash>/ssid", methods=GET_POST)
    def by_hash(self, call: ApiRequest, ssid_hash: str) -> Any:
        """One SSID group by its ``dot11.ssidgroup.hash``."""
        try:
            value = int(ssid_hash)
        except ValueError:
            raise BadRequest(f"invalid SSID hash {ssid_hash!r}") from None
        group = self._ssids.get(value)
        if group is None:
            raise NotFound(f"/phy/phy80211/ssids/by-hash/{ssid_hash}/ssid", "Unknown SSID hash")
        record = group.record()
        spec = call.cmd.fields()
        return record if spec is None else spec.apply(record)
