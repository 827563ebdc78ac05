"""Management frames in the 802.11 phy: BSSIDs, clients, advertised and probed SSIDs.

As Kismet's common classifier does (``phy_80211.cc``): the BSSID (addr3), the
source (addr2) and a unicast destination (addr1) become devices; beacons and
probe responses feed the BSSID's advertised / responded SSIDs; probe,
association and reassociation requests feed the source's probed SSIDs.

One deliberate difference: Kismet reads the capability field of association
and reassociation requests 8 bytes too far (where a beacon's is), so the SSID
text decides whether the AP and client are "Ad-Hoc"; here the real capability
field (``Dot11Packet.fixed``) is read.
"""

from __future__ import annotations

from typing import Final

from kismet_tx.chain import Packet
from kismet_tx.dot11.packet import Dot11Packet
from kismet_tx.dot11.peek import beacon_fixed
from kismet_tx.tracker.device import (
    BASICTYPE_AP,
    BASICTYPE_CLIENT,
    BASICTYPE_PEER,
    BASICTYPE_WIRED,
)
from kismet_tx.tracker.dot11ssids import ST_PROBE_REQ, SsidUpdate
from kismet_tx.tracker.dot11state import (
    DISTRIB_ADHOC,
    DISTRIB_TO,
    DISTRIB_UNKNOWN,
    EMPTY_MAC,
    TYPE_ADHOC,
    TYPE_AP,
    TYPE_CLIENT,
    TYPE_DEVICE,
    TYPE_INFERRED,
    TYPESET_ADHOC,
    TYPESET_BEACON_AP,
    TYPESET_PROBE_AP,
)
from kismet_tx.tracker.dot11update import MEMBER, RECEIVED, TRANSMITTER

ST_ASSOC_REQ: Final = 0
ST_REASSOC_REQ: Final = 2
ST_PROBE_RESP: Final = 5
ST_BEACON: Final = 8
ST_DISASSOC: Final = 10
ST_DEAUTH: Final = 12


class ManagementFrames(SsidUpdate):
    """The phy's handling of management frames."""

    def general_management(self, d: Dot11Packet, packet: Packet) -> None:
        """Any management frame (the subscriber tries :meth:`beacon` and
        :meth:`probe_request` first for their commonest shapes)."""
        sub = d.subtype
        bssid = d.addr3
        src = d.addr2
        dst = d.addr1
        self._is_data = False
        self._dsize = 0
        self._crypt = 0
        protected = d.flags & 0x40
        ibss = False
        privacy = False
        distrib = DISTRIB_TO if sub == ST_PROBE_REQ else DISTRIB_UNKNOWN
        fixed = None if protected else d.fixed
        if fixed is not None:
            cap = fixed.capability
            if cap is not None:
                ibss = bool(cap & 0x02)
                privacy = bool(cap & 0x10)
                if ibss and not cap & 0x01:
                    distrib = DISTRIB_ADHOC
        bssid_dev = src_dev = dst_dev = None
        if bssid is not None and not bssid[0] & 1 and bssid != EMPTY_MAC:
            bssid_dev = self.update(bssid, TRANSMITTER if src == bssid else MEMBER, TYPE_DEVICE)
        if src != bssid and src is not None and not src[0] & 1 and src != EMPTY_MAC:
            src_dev = self.update(src, TRANSMITTER, TYPE_DEVICE)
        if dst != src and dst != bssid and not dst[0] & 1 and dst != EMPTY_MAC:
            dst_dev = self.update(dst, RECEIVED, TYPE_INFERRED)
        chan = self._chan

        if bssid_dev is not None:
            bssid_dev.last_bssid = bssid
            ap = bssid_dev.ap
            if chan and (ap is None or not ap.adv_channel):
                bssid_dev.channel = chan
            if sub == ST_BEACON and distrib != DISTRIB_ADHOC and fixed is not None \
                    and fixed.timestamp is not None:
                self.ap_state(bssid_dev).bss_timestamp = fixed.timestamp
            if ibss:
                bssid_dev.basic_type_set |= BASICTYPE_PEER
                bssid_dev.type_string = TYPE_ADHOC
                self.set_typeset(bssid_dev, TYPESET_ADHOC)
            else:
                basic = bssid_dev.basic_type_set | BASICTYPE_AP
                bssid_dev.basic_type_set = basic
                if basic & (BASICTYPE_AP | BASICTYPE_PEER) != (BASICTYPE_AP | BASICTYPE_PEER):
                    bssid_dev.type_string = TYPE_AP
            if sub == ST_BEACON:
                self.handle_advertised(bssid_dev, d, packet, True, privacy)
                self.ap_state(bssid_dev).last_beacon_timestamp = self._sec
                if not bssid_dev.typeset & TYPESET_BEACON_AP:
                    self.set_typeset(bssid_dev, TYPESET_BEACON_AP)
            elif sub == ST_PROBE_RESP:
                self.handle_advertised(bssid_dev, d, packet, False, privacy)
                if not bssid_dev.typeset & TYPESET_PROBE_AP:
                    self.set_typeset(bssid_dev, TYPESET_PROBE_AP)

        if src_dev is not None:
            src_dev.last_bssid = bssid if bssid_dev is not None else EMPTY_MAC
            if chan:
                ap = src_dev.ap
                if ap is None or not ap.adv_channel:
                    src_dev.channel = chan
            if ibss:
                src_dev.basic_type_set |= BASICTYPE_PEER
                src_dev.type_string = TYPE_ADHOC
                self.set_typeset(src_dev, TYPESET_ADHOC)
            else:
                basic = src_dev.basic_type_set
                if not basic & (BASICTYPE_CLIENT | BASICTYPE_AP):
                    src_dev.type_string = TYPE_CLIENT
                src_dev.basic_type_set = basic | BASICTYPE_CLIENT
            if sub == ST_PROBE_REQ or sub == ST_ASSOC_REQ or sub == ST_REASSOC_REQ:
                self.handle_probed(src_dev, d, sub, privacy)

        if dst_dev is not None:
            if bssid_dev is not None:
                dst_dev.last_bssid = bssid
            if not dst_dev.basic_type_set & (BASICTYPE_CLIENT | BASICTYPE_AP):
                dst_dev.type_string = TYPE_CLIENT
            dst_dev.basic_type_set = (dst_dev.basic_type_set & ~BASICTYPE_WIRED) | BASICTYPE_CLIENT

        if bssid_dev is not None:
            if src_dev is not None:
                self.link_client(bssid_dev, src_dev, d.flags, DISTRIB_UNKNOWN)
            if dst_dev is not None and sub != ST_PROBE_RESP:
                self.link_client(bssid_dev, dst_dev, d.flags, DISTRIB_UNKNOWN)
            if sub == ST_DISASSOC or sub == ST_DEAUTH:
                ap = self.ap_state(bssid_dev)
                now = self.device_tracker.packet_time
                if now - ap.disconnects_last > 1:
                    ap.disconnects = 1
                else:
                    ap.disconnects += 1
                ap.disconnects_last = now

    # beacon and probe_request are general_management for the two commonest management
    # frames in their commonest shape, with the branches that cannot apply left
    # out; any other shape returns False and goes the general way.

    def beacon(self, d: Dot11Packet, packet: Packet) -> bool:
        """A beacon from its BSSID to a group address, not IBSS."""
        bssid = d.addr3
        if d.addr2 != bssid or bssid is None or bssid[0] & 1 or bssid == EMPTY_MAC \
                or d.flags & 0x40:
            return False
        dst = d.addr1
        if not dst[0] & 1 and dst != EMPTY_MAC and dst != bssid:
            return False
        # An unprotected beacon decodes only with all its fixed fields.
        stamp, _interval, cap = beacon_fixed(d)
        if cap & 0x02:
            return False
        self._is_data = False
        self._dsize = 0
        self._crypt = 0
        dev = self.update(bssid, TRANSMITTER, TYPE_DEVICE)
        assert dev is not None
        dev.last_bssid = bssid
        ap = dev.ap
        if ap is None:
            ap = self.ap_state(dev)
        chan = self._chan
        if chan and not ap.adv_channel:
            dev.channel = chan
        ap.bss_timestamp = stamp
        basic = dev.basic_type_set | BASICTYPE_AP
        dev.basic_type_set = basic
        if basic & (BASICTYPE_AP | BASICTYPE_PEER) != (BASICTYPE_AP | BASICTYPE_PEER):
            dev.type_string = TYPE_AP
        sec = self._sec
        # _handle_ssid's repeated-beacon case, inlined.
        rec = ap.last_ssid
        ies = d.ies
        if ies is not None and hash(ies.raw) == ap.last_ies_hash and ap.last_kind is True:
            if rec is not None:
                if sec > rec.last_time:
                    rec.last_time = sec
                if sec == rec.counting_sec:
                    rec.counted_beacons += 1
                else:
                    rec.count_beacon(sec)
        else:
            self.handle_advertised(dev, d, packet, True, bool(cap & 0x10))
        ap.last_beacon_timestamp = sec
        if not dev.typeset & TYPESET_BEACON_AP:
            self.set_typeset(dev, TYPESET_BEACON_AP)
        return True

    def probe_request(self, d: Dot11Packet) -> bool:
        """A probe request to group addresses (no BSSID, no destination device)."""
        src = d.addr2
        bssid = d.addr3
        dst = d.addr1
        if src is None or bssid is None or d.flags & 0x40 or src[0] & 1 or src == EMPTY_MAC:
            return False
        if not bssid[0] & 1 and bssid != EMPTY_MAC:
            return False
        if dst != src and not dst[0] & 1 and dst != EMPTY_MAC:
            return False
        self._is_data = False
        self._dsize = 0
        self._crypt = 0
        dev = self.update(src, TRANSMITTER, TYPE_DEVICE)
        assert dev is not None
        dev.last_bssid = EMPTY_MAC
        chan = self._chan
        if chan:
            ap = dev.ap
            if ap is None or not ap.adv_channel:
                dev.channel = chan
        basic = dev.basic_type_set
        if not basic & (BASICTYPE_CLIENT | BASICTYPE_AP):
            dev.type_string = TYPE_CLIENT
        dev.basic_type_set = basic | BASICTYPE_CLIENT
        self.handle_probed(dev, d, ST_PROBE_REQ, False)
        return True
