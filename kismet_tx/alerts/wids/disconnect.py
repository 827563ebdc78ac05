"""Deauthentication and disassociation rules: floods, broadcasts, invalid reason codes."""

from __future__ import annotations

from typing import Final

from kismet_tx.alerts.wids.state import WidsState
from kismet_tx.chain import Packet
from kismet_tx.dot11.frames import BROADCAST, mac_str
from kismet_tx.dot11.packet import Dot11Packet

__all__ = ["DISCONNECT_FLOOD", "DISCONNECT_GAP", "check_disconnect", "invalid_reason"]

#: Seconds between two disconnects that still count as one flood.
DISCONNECT_GAP: Final = 1.0
#: More disconnects than this in a row is a flood.
DISCONNECT_FLOOD: Final = 10


def invalid_reason(code: int) -> bool:
    """Kismet's test for an invalid disconnect reason code (25-31, or above 45)."""
    return 25 <= code <= 31 or code > 45


def check_disconnect(w: WidsState, packet: Packet, p: Dot11Packet) -> None:
    """Deauthentication / disassociation: floods, broadcasts, invalid reasons."""
    bssid = p.bssid
    kind = "Deauthentication" if p.subtype == 12 else "Disassociation"
    if bssid is not None and not bssid[0] & 1:
        bss = w.bss_for(bssid)
        ts = packet.ts
        if ts - bss.disconnect_last > DISCONNECT_GAP:
            bss.disconnects = 1
        else:
            bss.disconnects += 1
        bss.disconnect_last = ts
        if bss.disconnects > DISCONNECT_FLOOD:
            if w.can("DEAUTHFLOOD"):
                w.raise_alert("DEAUTHFLOOD", f"Deauth/Disassociate flood on {mac_str(bssid)}",
                              packet, p, bssid=bssid, source=p.source, dest=p.dest)
            bss.disconnects = 1
    if p.dest == BROADCAST and w.can("BCASTDISCON"):
        w.raise_alert("BCASTDISCON",
                      f"IEEE80211 Access Point BSSID {mac_str(bssid)} broadcast "
                      f"{kind.lower()} of all clients; either the access point is shutting "
                      "down or this is a denial of service attack", packet, p,
                      bssid=bssid, source=p.source, dest=p.dest)
    reason = p.reason_code
    if reason is not None and invalid_reason(reason):
        header = "DEAUTHCODEINVALID" if p.subtype == 12 else "DISCONCODEINVALID"
        if w.can(header):
            w.raise_alert(header, f"Unknown {kind.lower()} reason code {reason} "
                          f"(0x{reason:04X}) from network {mac_str(bssid)}", packet, p,
                          bssid=bssid, source=p.source, dest=p.dest)
