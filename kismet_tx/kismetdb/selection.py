"""Which packets the kismetdb log leaves out: data frames, the packet filter, duplicates.

Only consulted when a setting can leave something out
(:attr:`PacketSelection.active`); the usual configuration never calls it.
A duplicate is a frame whose 802.11 bytes (capture header left aside) another
source delivered within the last second: one frame heard by two radios. The
same bytes again from the same source (an ACK to the same station) are not.
"""

from __future__ import annotations

import zlib
from typing import Any

from kismet_tx.dot11.frames import TYPE_DATA
from kismet_tx.kismetdb.settings import KismetdbSettings

DOT11 = "IEEE802.11"
#: Frame hashes remembered for the duplicate check before old ones are pruned.
_RECENT_LIMIT = 65536


class PacketSelection:
    """``leaves_out(packet)`` by the ``kis_log_*`` settings."""

    def __init__(self, settings: KismetdbSettings) -> None:
        self.settings = settings
        self.active = (not settings.data_packets or not settings.duplicate_packets
                       or settings.packet_filter.active)
        self._recent: dict[int, tuple[str, int]] = {}

    def leaves_out(self, packet: Any) -> bool:
        """Whether ``packet`` stays out of the log."""
        settings = self.settings
        decoded = packet.decoded
        if not settings.data_packets and decoded is not None and decoded.type == TYPE_DATA:
            return True
        verdict = self._filter(decoded)
        if verdict is not None:
            return verdict
        if not settings.duplicate_packets and decoded is not None:
            return self._duplicate(packet, decoded)
        return False

    def _filter(self, decoded: Any) -> bool | None:
        """The packet filter's verdict (None: no rule and the default passes)."""
        packet_filter = self.settings.packet_filter
        if not packet_filter.active:
            return None
        if decoded is None:
            return True if packet_filter.default_block else None
        rules = packet_filter.rules
        for block, mac in (("source", decoded.source), ("destination", decoded.dest),
                           ("network", decoded.bssid), ("transmitter", decoded.addr2)):
            if mac is None:
                continue
            verdict = rules.get((DOT11, block, mac))
            if verdict is None:
                verdict = rules.get((DOT11, "any", mac))
            if verdict is not None:
                return verdict
        return True if packet_filter.default_block else None

    def _duplicate(self, packet: Any, decoded: Any) -> bool:
        digest = zlib.crc32(decoded.raw[decoded.start:decoded.end])
        sec = int(packet.ts)
        uuid = packet.source.uuid
        recent = self._recent
        seen = recent.get(digest)
        if len(recent) > _RECENT_LIMIT:
            self._recent = recent = {k: v for k, v in recent.items() if v[1] >= sec - 1}
        if seen is not None and seen[1] >= sec - 1 and seen[0] != uuid:
            return True
        # First heard here (or long enough ago): this source now owns the frame.
        recent[digest] = (uuid, sec)
        return False
