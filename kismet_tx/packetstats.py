"""Packet chain statistics as Kismet's ``/packetchain/packet_stats`` reports them.

Sampled once a second from the chain's counters: every packet, error
packets, and the per-second peak. kismet_tx runs the chain synchronously as
each batch arrives, so nothing is ever queued, deduplicated away or dropped
by the chain; those RRDs are kept (the web UI graphs them) and stay zero.
"""

from __future__ import annotations

from typing import Any, Final

from kismet_tx.fields import FieldDef
from kismet_tx.rrd import Rrd

_P: Final = "kismet.packetchain."

PACKETSTATS_FIELDS: Final = (
    FieldDef(_P + "peak_packets_rrd", "kismet.common.rrd", "incoming packets peak rrd"),
    FieldDef(_P + "packets_rrd", "kismet.common.rrd", "total packet rate rrd"),
    FieldDef(_P + "error_packets_rrd", "kismet.common.rrd", "error packet rate rrd"),
    FieldDef(_P + "dupe_packets_rrd", "kismet.common.rrd", "duplicate packet rate rrd"),
    FieldDef(_P + "queued_packets_rrd", "kismet.common.rrd", "packet backlog queue rrd"),
    FieldDef(_P + "dropped_packets_rrd", "kismet.common.rrd",
             "lost packet / queue overfull rrd"),
    FieldDef(_P + "processed_packets_rrd", "kismet.common.rrd", "processed packet rrd"),
)

#: The RRD names, in Kismet's order; ``/packetchain/packet_<short>`` serves one.
SHORT_NAMES: Final = {
    "peak": "peak_packets_rrd", "rate": "packets_rrd", "error": "error_packets_rrd",
    "dupe": "dupe_packets_rrd", "drop": "dropped_packets_rrd",
    "processed": "processed_packets_rrd",
}


class PacketStats:
    """Per-second RRDs of a chain's ``packets`` and ``errors`` counters."""

    def __init__(self, chain: Any) -> None:
        self._chain = chain
        self._last_packets = chain.packets
        self._last_errors = chain.errors
        self.rrds = {
            "peak_packets_rrd": Rrd(),
            "packets_rrd": Rrd(aggregate_sum=True),
            "error_packets_rrd": Rrd(aggregate_sum=True),
            "dupe_packets_rrd": Rrd(aggregate_sum=True),
            "queued_packets_rrd": Rrd(),
            "dropped_packets_rrd": Rrd(aggregate_sum=True),
            "processed_packets_rrd": Rrd(aggregate_sum=True),
        }

    def sample(self, now: float) -> None:
        """Take one second's sample of the chain's counters."""
        packets, errors = self._chain.packets, self._chain.errors
        new = max(0, packets - self._last_packets)
        bad = max(0, errors - self._last_errors)
        self._last_packets, self._last_errors = packets, errors
        rrds = self.rrds
        rrds["peak_packets_rrd"].add(now, new)
        rrds["packets_rrd"].add(now, new)
        rrds["processed_packets_rrd"].add(now, new)
        rrds["error_packets_rrd"].add(now, bad)
        for name in ("dupe_packets_rrd", "queued_packets_rrd", "dropped_packets_rrd"):
            rrds[name].add(now, 0)

    def record(self, now: float | None = None) -> dict[str, Any]:
        """The ``kismet.packetchain.*`` map of RRDs."""
        return {_P + name: rrd.record(now) for name, rrd in self.rrds.items()}

    def one(self, short: str, now: float | None = None) -> dict[str, Any] | None:
        """One RRD by its short route name (``rate``, ``error``, ...), or None."""
        name = SHORT_NAMES.get(short)
        return None if name is None else self.rrds[name].record(now)
