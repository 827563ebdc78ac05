"""Crypto rules: clients without MFP (NOCLIENTMFP), WPS brute force (WPSBRUTE),
handshake nonce degradation and reuse (NONCEDEGRADE, NONCEREUSE)."""

from __future__ import annotations

import zlib
from typing import Final

from kismet_tx.alerts.wids.state import MAX_NONCES, NonceRecord, WidsState, remember
from kismet_tx.chain import Packet
from kismet_tx.dot11.eapol import EAPOL
from kismet_tx.dot11.frames import mac_str
from kismet_tx.dot11.ies import IESet
from kismet_tx.dot11.packet import Dot11Packet
from kismet_tx.dot11.wsc import WSC_M3, wps_message_type

__all__ = ["NONCE_RETRY_WINDOW", "WPS_M3_LIMIT", "WPS_WINDOW", "check_association",
           "check_eapol"]

#: WPS M3 messages from one device within WPS_WINDOW seconds before WPSBRUTE.
WPS_M3_LIMIT: Final = 5
WPS_WINDOW: Final = 300.0
#: A handshake retransmission arrives within this many seconds.
NONCE_RETRY_WINDOW: Final = 1.0


def check_association(w: WidsState, packet: Packet, p: Dot11Packet, ies: IESet) -> None:
    """(Re)association requests: NOCLIENTMFP."""
    bssid = p.bssid
    client = p.source
    if bssid is None or client is None:
        return
    bss = w.bss.get(bssid)
    if bss is None or not bss.mfp_capable:
        return
    rsn = ies.rsn
    if rsn is not None and rsn.mfpc:
        return
    key = ("mfp", client, bssid)
    if key in w.reported or not w.can("NOCLIENTMFP"):
        return
    w.raise_alert("NOCLIENTMFP",
                  f"IEEE80211 client {mac_str(client)} associated to {mac_str(bssid)} "
                  "without management frame protection, which the network offers; "
                  "forged deauthentications can disconnect it", packet, p, bssid=bssid,
                  source=client, dest=p.dest)
    remember(w.reported, key)


def check_eapol(w: WidsState, packet: Packet, p: Dot11Packet) -> None:
    """An 802.1X frame: WPS M3 messages and EAPOL-Key handshakes."""
    llc = p.llc
    if llc is None:
        return
    kind = wps_message_type(p.raw, llc.payload_offset, p.end)
    if kind == WSC_M3:
        _wps_m3(w, packet, p)
        return
    e = p.eapol
    if e is not None and e.is_key:
        _handshake(w, packet, p, e)


def _wps_m3(w: WidsState, packet: Packet, p: Dot11Packet) -> None:
    source = p.source
    if source is None:
        return
    station = w.station(source)
    ts = packet.ts
    if ts - station.wps_last > WPS_WINDOW:
        station.wps_m3 = 1
    else:
        station.wps_m3 += 1
    station.wps_last = ts
    if station.wps_m3 > WPS_M3_LIMIT:
        if w.can("WPSBRUTE"):
            w.raise_alert("WPSBRUTE",
                          f"IEEE80211 AP {mac_str(p.bssid)} sending an excessive number of "
                          "WPS messages, which may indicate a WPS brute force attack such "
                          "as Reaver", packet, p, bssid=p.bssid, source=source, dest=p.dest)
        station.wps_m3 = 1


def _handshake(w: WidsState, packet: Packet, p: Dot11Packet, e: EAPOL) -> None:
    """NONCEDEGRADE and NONCEREUSE."""
    if e.mic_flag and not e.ack and not e.install and not e.key_data \
            and not e.pairwise and e.nonce_zero:
        if w.can("NONCEDEGRADE"):
            w.raise_alert("NONCEDEGRADE",
                          "WPA EAPOL RSN frame seen with an empty key and zero nonce; this "
                          "may indicate a WPA degradation attack such as the vanhoefm "
                          "attack against OpenBSD Wi-Fi supplicants", packet, p,
                          bssid=p.bssid, source=p.source, dest=p.dest)
        return
    message = e.message
    if message not in (1, 3) or e.nonce is None or e.nonce_zero or p.dest is None:
        return
    definition = w.alerts.definition("NONCEREUSE")
    if definition is None or definition.limit.disabled:
        return
    station = w.station(p.dest)
    table = station.anonces if message == 1 else station.nonces
    ts = packet.ts
    frame = zlib.crc32(memoryview(p.raw)[p.start : p.end])
    replay = e.replay_counter or 0
    seen = table.get(e.nonce)
    if seen is None:
        table[e.nonce] = NonceRecord(replay, ts, frame)
        if len(table) > MAX_NONCES:
            table.popitem(last=False)
        return
    table.move_to_end(e.nonce)
    gap = abs(ts - seen.time)
    if seen.frame == frame and gap <= NONCE_RETRY_WINDOW:
        return  # the same frame captured twice
    if replay > seen.replay:
        seen.replay, seen.time, seen.frame = replay, ts, frame
        return
    # An old replay counter: a retransmission (M3, or an M1 flagged as a retry)
    # arrives within the retry window; anything else re-uses the nonce.
    if message == 3 or p.retry:
        reused = gap > NONCE_RETRY_WINDOW
    else:
        reused = True
    if reused and w.can("NONCEREUSE"):
        word = "anonce" if message == 1 else "nonce"
        w.raise_alert("NONCEREUSE",
                      f"WPA EAPOL RSN frame seen with a previously used {word}; this may "
                      f"indicate a KRACK-style WPA attack ({word}: {e.nonce.hex().upper()})",
                      packet, p, bssid=p.bssid, source=p.source, dest=p.dest)
