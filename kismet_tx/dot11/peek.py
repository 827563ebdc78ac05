"""Cheap reads of a decoded frame for per-frame fast paths: no object is built.

They agree with :class:`~kismet_tx.dot11.packet.Dot11Packet`'s lazy decodes
(``fixed``, ``is_eapol``), with the same layouts (``mgmt.BEACON_FIXED``, the
SNAP ethertype of ``eapol``), but cost a slice or one unpack, where those build a
:class:`~kismet_tx.dot11.mgmt.MgmtFixed` or an LLC header for every frame asked.
"""

from __future__ import annotations

from typing import Final

from .eapol import ETHERTYPE_EAPOL
from .errors import MalformedFrame
from .frames import Dot11Frame
from .mgmt import BEACON_FIXED

__all__ = ["beacon_fixed", "may_be_eapol"]

_EAPOL_ETHERTYPE: Final = ETHERTYPE_EAPOL.to_bytes(2, "big")
_BEACON_FIXED_SIZE: Final[int] = BEACON_FIXED.size


def beacon_fixed(p: Dot11Frame) -> tuple[int, int, int]:
    """``(timestamp, beacon interval, capability)`` of a beacon or probe response
    whose fixed fields were captured (a frame whose tagged IEs decoded)."""
    # BEACON_FIXED's layout (<QHH) by index: compiled, this stays in C ints.
    raw = p.raw
    o = p.body_offset
    if o + _BEACON_FIXED_SIZE > len(raw):
        raise MalformedFrame("beacon fixed fields run past the frame")
    low = raw[o] | raw[o + 1] << 8 | raw[o + 2] << 16 | raw[o + 3] << 24
    high = raw[o + 4] | raw[o + 5] << 8 | raw[o + 6] << 16 | raw[o + 7] << 24
    return high << 32 | low, raw[o + 8] | raw[o + 9] << 8, raw[o + 10] | raw[o + 11] << 8


def may_be_eapol(p: Dot11Frame) -> bool:
    """An unprotected data frame's SNAP ethertype bytes say 802.1X (``is_eapol`` confirms)."""
    offset = p.body_offset
    return p.raw[offset + 6 : offset + 8] == _EAPOL_ETHERTYPE
