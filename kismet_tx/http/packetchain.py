"""``/packetchain/*``: the packet chain's RRDs (rate, errors, ...), as Kismet serves them."""

from __future__ import annotations

from typing import Any

from klein import Klein

from kismet_tx.http.context import HttpContext
from kismet_tx.http.errors import NotFound
from kismet_tx.http.routing import GET_POST, ApiRequest, endpoint
from kismet_tx.packetstats import PacketStats


class PacketchainArea:
    """Packet statistics: the whole map and each RRD."""

    app = Klein()

    def __init__(self, ctx: HttpContext, stats: PacketStats) -> None:
        self.ctx = ctx
        self._stats = stats

    @endpoint(app, "/packetchain/packet_<which>", methods=GET_POST)
    def packet_rrd(self, call: ApiRequest, which: str) -> Any:
        """``packet_stats``: the whole map; ``packet_rate``, ``_error``, ...: one RRD."""
        now = self.ctx.clock.seconds()
        if which == "stats":
            record = self._stats.record(now)
            spec = call.cmd.fields()
            return record if spec is None else spec.apply(record)
        one = self._stats.one(which, now)
        if one is None:
            raise NotFound(f"/packetchain/packet_{which}")
        return one
