"""Data frames in the 802.11 phy: BSSID, source and destination, WDS, handshakes.

BSSID, source and destination become devices as the DS bits place them, plus
the transmitter and receiver of 4-address (WDS) frames; null data frames only
update devices that already exist; unprotected EAPOL-Key frames go to the
BSSID's handshake list for the client (the last :data:`MAX_EAPOL` per client,
dropping a repeated message number first, as Kismet does).
"""

from __future__ import annotations

from typing import Final

from kismet_tx.chain import Packet
from kismet_tx.dot11.packet import Dot11Packet
from kismet_tx.dot11.peek import may_be_eapol
from kismet_tx.tracker.device import (
    BASICCRYPT_ENCRYPTED,
    BASICCRYPT_L2,
    BASICTYPE_AP,
    BASICTYPE_CLIENT,
    BASICTYPE_PEER,
    BASICTYPE_WIRED,
)
from kismet_tx.tracker.dot11mgmt import ManagementFrames
from kismet_tx.tracker.dot11state import (
    DISTRIB_ADHOC,
    DISTRIB_FROM,
    DISTRIB_INTER,
    DISTRIB_TO,
    EMPTY_MAC,
    MAX_EAPOL,
    MAX_HANDSHAKE_CLIENTS,
    TYPE_ADHOC,
    TYPE_AP,
    TYPE_BRIDGED,
    TYPE_CLIENT,
    TYPE_DEVICE,
    TYPE_INFERRED,
    TYPE_WDS,
    TYPE_WDS_AP,
    Dot11Device,
    EapolKey,
    valid_mac,
)
from kismet_tx.tracker.dot11update import (
    COUNTED,
    EXISTING,
    MEMBER,
    RECEIVED,
    SENT,
    TRANSMITTER,
)

_CRYPT_PROTECTED: Final = BASICCRYPT_ENCRYPTED | BASICCRYPT_L2


def _count_data(dev: Dot11Device, dsize: int, frag: int, retry: int) -> None:
    """``dot11.device`` data size, fragment and retry counters."""
    dev.d11_datasize += dsize
    if frag:
        dev.num_fragments += 1
    if retry:
        dev.num_retries += 1
        dev.d11_datasize_retry += dsize


def _drop_one(keys: list[EapolKey]) -> None:
    """Drop the oldest key whose message number repeats, else the oldest."""
    seen = 0
    for i, key in enumerate(keys):
        bit = 1 << key.message
        if seen & bit:
            del keys[i]
            return
        seen |= bit
    del keys[0]


class DataFrames(ManagementFrames):
    """The phy's handling of data frames (on top of management frames: one line of
    single inheritance, which compiled classes need)."""

    def data(self, d: Dot11Packet, packet: Packet) -> None:
        """A data frame with at most three addresses (4-address ones go to WDS)."""
        fl = d.flags
        ds = fl & 0x03
        if ds == 3:
            self._wds(d, packet)
            return
        sub = d.subtype
        existing = EXISTING if sub == 4 or sub == 12 else 0
        protected = bool(fl & 0x40)
        src = d.source
        dst = d.dest
        bssid = d.bssid
        if ds == 0:
            distrib = DISTRIB_ADHOC
            if bssid == EMPTY_MAC:
                bssid = src
        elif ds == 1:
            distrib = DISTRIB_TO
        else:
            distrib = DISTRIB_FROM
        end = d.end
        offset = d.body_offset
        dsize = end - offset if end > offset else 0
        self._data_facts(dsize, protected)

        bssid_dev = src_dev = dst_dev = None
        if bssid is not None and not bssid[0] & 1 and bssid != EMPTY_MAC:
            roles = TRANSMITTER if src == bssid else MEMBER
            bssid_dev = self.update(bssid, roles | existing, TYPE_DEVICE)
        if src != bssid and src is not None and not src[0] & 1 and src != EMPTY_MAC:
            roles = TRANSMITTER if distrib == DISTRIB_TO else SENT
            src_dev = self.update(src, roles | existing, TYPE_DEVICE)
        if dst != src and dst != bssid and dst is not None and not dst[0] & 1 \
                and dst != EMPTY_MAC:
            dst_dev = self.update(dst, RECEIVED | existing, TYPE_INFERRED)

        retry = fl & 0x08
        frag = fl & 0x04
        chan = self._chan
        if bssid_dev is not None:
            bssid_dev.last_bssid = bssid_dev.mac
            if chan:
                ap = bssid_dev.ap
                if ap is None or not ap.adv_channel:
                    bssid_dev.channel = chan
            if distrib == DISTRIB_ADHOC:
                bssid_dev.basic_type_set |= BASICTYPE_PEER
                bssid_dev.type_string = TYPE_ADHOC
            elif distrib == DISTRIB_FROM:
                bssid_dev.basic_type_set |= BASICTYPE_AP
                bssid_dev.type_string = TYPE_AP
            _count_data(bssid_dev, dsize, frag, retry)

        if src_dev is not None:
            if bssid_dev is not None:
                src_dev.last_bssid = bssid_dev.mac
            if distrib == DISTRIB_TO and chan:
                ap = src_dev.ap
                if ap is None or not ap.adv_channel:
                    src_dev.channel = chan
            basic = src_dev.basic_type_set
            if existing:
                if not basic & (BASICTYPE_CLIENT | BASICTYPE_AP):
                    src_dev.type_string = TYPE_CLIENT
                src_dev.basic_type_set = basic | BASICTYPE_CLIENT
            elif distrib == DISTRIB_FROM:
                if not basic & (BASICTYPE_CLIENT | BASICTYPE_AP):
                    src_dev.type_string = TYPE_BRIDGED
                src_dev.basic_type_set = basic | BASICTYPE_WIRED
            else:
                if not basic & (BASICTYPE_CLIENT | BASICTYPE_AP):
                    src_dev.type_string = TYPE_CLIENT
                src_dev.basic_type_set = basic | BASICTYPE_CLIENT
            _count_data(src_dev, dsize, frag, retry)

        if dst_dev is not None:
            if distrib == DISTRIB_ADHOC:
                dst_dev.basic_type_set |= BASICTYPE_PEER
                dst_dev.type_string = TYPE_ADHOC
            elif dst_dev.basic_type_set == 0:
                dst_dev.type_string = TYPE_DEVICE
            _count_data(dst_dev, dsize, frag, retry)

        if bssid_dev is not None:
            self._link(bssid_dev, src_dev, dst_dev, d, packet, distrib)

    def _data_facts(self, dsize: int, protected: bool) -> None:
        """The frame's data facts every device update reads."""
        self._is_data = True
        self._dsize = dsize
        self._prot = protected
        self._crypt = _CRYPT_PROTECTED if protected else 0

    def _wds(self, d: Dot11Packet, packet: Packet) -> None:
        """4-address (WDS) data frames: transmitter and receiver are devices too."""
        sub = d.subtype
        fl = d.flags
        existing = EXISTING if sub == 4 or sub == 12 else 0
        protected = bool(fl & 0x40)
        src = d.source
        dst = d.dest
        bssid = d.bssid
        tx = d.addr2
        rx = d.addr1
        dsize = d.body_len
        self._data_facts(dsize, protected)

        def direction(mac: bytes) -> int:
            return SENT if mac == src or mac == tx else RECEIVED if mac == dst else COUNTED

        bssid_dev = src_dev = dst_dev = tx_dev = rx_dev = None
        if bssid is not None and not bssid[0] & 1 and bssid != EMPTY_MAC:
            roles = TRANSMITTER if src == bssid else MEMBER
            bssid_dev = self.update(bssid, roles | existing, TYPE_DEVICE)
        if src != bssid and src is not None and not src[0] & 1 and src != EMPTY_MAC:
            src_dev = self.update(src, SENT | existing, TYPE_DEVICE)
        if dst is not None and dst != src and dst != bssid and valid_mac(dst):
            dst_dev = self.update(dst, direction(dst) | existing, TYPE_INFERRED)
        if tx is not None and tx != src and tx != dst and tx != bssid and valid_mac(tx):
            tx_dev = self.update(tx, TRANSMITTER | existing, TYPE_DEVICE)
        if rx is not None and rx != src and rx != dst and rx != bssid and rx != tx \
                and valid_mac(rx):
            rx_dev = self.update(rx, direction(rx) | existing, TYPE_DEVICE)

        retry = fl & 0x08
        frag = fl & 0x04
        if bssid_dev is not None:
            bssid_dev.last_bssid = bssid_dev.mac
            self.radio_channel(bssid_dev)
            _count_data(bssid_dev, dsize, frag, retry)

        if src_dev is not None:
            if bssid_dev is not None:
                src_dev.last_bssid = bssid_dev.mac
            basic = src_dev.basic_type_set
            if existing:
                if not basic & (BASICTYPE_CLIENT | BASICTYPE_AP):
                    src_dev.type_string = TYPE_CLIENT
                src_dev.basic_type_set = basic | BASICTYPE_CLIENT
            else:
                if basic == BASICTYPE_PEER:
                    src_dev.type_string = TYPE_WDS
                src_dev.basic_type_set = basic | BASICTYPE_PEER
            _count_data(src_dev, dsize, frag, retry)

        if dst_dev is not None:
            dst_dev.basic_type_set |= BASICTYPE_PEER
            if dst_dev.basic_type_set == BASICTYPE_PEER:
                dst_dev.type_string = TYPE_WDS
            _count_data(dst_dev, dsize, frag, retry)

        for wds in (tx_dev, rx_dev):
            if wds is not None:
                if wds is tx_dev:
                    self.radio_channel(wds)
                wds.basic_type_set |= BASICTYPE_AP | BASICTYPE_PEER
                wds.type_string = TYPE_WDS_AP
                _count_data(wds, dsize, frag, retry)

        if bssid_dev is not None:
            self._link(bssid_dev, src_dev, dst_dev, d, packet, DISTRIB_INTER)
        if tx_dev is not None:
            if src_dev is not None:
                self.link_client(tx_dev, src_dev, fl, DISTRIB_INTER)
            if dst_dev is not None:
                self.link_client(tx_dev, dst_dev, fl, DISTRIB_INTER)

    def _link(self, bssid_dev: Dot11Device, src_dev: Dot11Device | None,
              dst_dev: Dot11Device | None, d: Dot11Packet, packet: Packet,
              distrib: int) -> None:
        """Link source and destination to the BSSID as clients; keep EAPOL-Key frames."""
        sub = d.subtype
        eapol_frame = (sub == 0 or sub == 8) and not d.flags & 0x40 and may_be_eapol(d) \
            and d.is_eapol
        fl = d.flags
        if src_dev is not None:
            self.link_client(bssid_dev, src_dev, fl, distrib)
            if eapol_frame:
                self._eapol(bssid_dev, src_dev, d, packet, distrib)
        if dst_dev is not None:
            self.link_client(bssid_dev, dst_dev, fl, distrib)
            if eapol_frame:
                self._eapol(bssid_dev, dst_dev, d, packet, distrib)

    def _eapol(self, bssid_dev: Dot11Device, client: Dot11Device, d: Dot11Packet,
               packet: Packet, distrib: int) -> None:
        eapol = d.eapol
        if eapol is None or not eapol.is_key:
            return
        ap = self.ap_state(bssid_dev)
        lists = ap.handshakes
        if lists is None:
            lists = ap.handshakes = {}
        keys = lists.get(client.mac)
        if keys is None:
            if len(lists) >= MAX_HANDSHAKE_CLIENTS:
                return
            keys = lists[client.mac] = []
        if len(keys) >= MAX_EAPOL:
            _drop_one(keys)
        keys.append(EapolKey(packet.ts, distrib, eapol.message, eapol.replay_counter or 0,
                             eapol.install, eapol.nonce or b"", eapol.pmkid,
                             (packet.ts, packet.dlt, packet.data)))
