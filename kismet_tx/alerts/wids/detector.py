"""The 802.11 WIDS as one packet-chain subscriber: each frame to its family of rules.

Error packets (bad FCS) are skipped: they are radio noise, not attacks. A
management frame that passes the FCS but is malformed raises MALFORMMGMT.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from kismet_tx.alerts.alerttracker import AlertTracker
from kismet_tx.alerts.builtin import define_builtins
from kismet_tx.alerts.config import CanaryRule, SpoofRule
from kismet_tx.alerts.macs import DOT11_PHY
from kismet_tx.alerts.wids.beacons import check_advertised
from kismet_tx.alerts.wids.crypto import check_association, check_eapol
from kismet_tx.alerts.wids.definitions import DOT11_ALERTS
from kismet_tx.alerts.wids.disconnect import check_disconnect
from kismet_tx.alerts.wids.malformed import check_elements, check_short_management
from kismet_tx.alerts.wids.ssidrules import check_canary, ssid_text
from kismet_tx.alerts.wids.state import WidsState
from kismet_tx.chain import BAD_FCS, MALFORMED, Packet
from kismet_tx.dot11.frames import TYPE_DATA, TYPE_MGMT
from kismet_tx.dot11.packet import Dot11Packet
from kismet_tx.dot11.peek import may_be_eapol

__all__ = ["Dot11Wids"]

_MGMT_WITH_IES: Final = (0, 2, 4, 5, 8)


class Dot11Wids(WidsState):
    """Kismet's 802.11 WIDS checks as one packet-chain subscriber."""

    def __init__(self, alerts: AlertTracker, *, apspoof: Iterable[SpoofRule] = (),
                 ssidcanary: Iterable[CanaryRule] = ()) -> None:
        super().__init__(alerts, apspoof=apspoof, ssidcanary=ssidcanary)
        define_builtins(alerts, DOT11_ALERTS, alerts.phy_id(DOT11_PHY))

    def handle(self, packet: Packet) -> None:
        """Check one packet (the chain subscriber; see ``Dot11Phy.handle`` on why
        not ``__call__``)."""
        status = packet.status
        if status == BAD_FCS:
            return
        p: Dot11Packet | None = packet.decoded  # typed: compiled code reads fields directly
        if p is None:
            if status == MALFORMED:
                check_short_management(self, packet)
            return
        ftype = p.type
        if ftype == TYPE_MGMT:
            self._management(packet, p)
        elif ftype == TYPE_DATA and not p.flags & 0x40 and not p.subtype & 0x04:
            # The SNAP ethertype bytes first: other data frames skip the LLC decode.
            if may_be_eapol(p) and p.is_eapol:
                check_eapol(self, packet, p)

    def _management(self, packet: Packet, p: Dot11Packet) -> None:
        sub = p.subtype
        if sub == 10 or sub == 12:
            check_disconnect(self, packet, p)
            return
        if sub not in _MGMT_WITH_IES or p.flags & 0x40:
            return
        ies = p.ies
        if ies is None:
            return
        ssid = ies.ssid
        if check_elements(self, packet, p, ies, ssid):
            return
        if sub == 8 or sub == 5:
            check_advertised(self, packet, p, ies, ssid)
        elif sub == 4:
            if self.ssidcanary:
                check_canary(self, packet, p, ssid_text(ssid), "probing for")
        else:
            check_association(self, packet, p, ies)
