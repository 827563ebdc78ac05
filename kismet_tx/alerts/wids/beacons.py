"""What networks advertise, compared over time: crypt, channel and beacon interval
changes (CRYPTODROP, ADVCRYPTCHANGE, CHANCHANGE, PROBECHAN, BEACONRATE), BSS
timestamps from two transmitters (BSSTIMESTAMP) and NULLPROBERESP."""

from __future__ import annotations

from typing import Final

from kismet_tx.alerts.wids.ssidrules import check_canary, check_spoof
from kismet_tx.alerts.wids.state import MAX_SSIDS_PER_BSS, BssState, SsidRecord, WidsState
from kismet_tx.chain import Packet
from kismet_tx.dot11.crypt import crypt_to_string
from kismet_tx.dot11.frames import mac_str
from kismet_tx.dot11.ies import IESet
from kismet_tx.dot11.packet import Dot11Packet
from kismet_tx.dot11.peek import beacon_fixed

__all__ = ["BSS_TS_JUMPS", "BSS_TS_RECENT", "BSS_TS_WINDOW", "BSS_TS_WOBBLE_US",
           "check_advertised"]

#: BSS timestamp checks: allowed drift (microseconds), how recent the previous
#: beacon must be (seconds), the window for repeated jumps and how many.
BSS_TS_WOBBLE_US: Final = 10_000_000
BSS_TS_RECENT: Final = 10.0
BSS_TS_WINDOW: Final = 5.0
BSS_TS_JUMPS: Final = 5


def check_advertised(w: WidsState, packet: Packet, p: Dot11Packet, ies: IESet,
                     ssid: bytes | None) -> None:
    """Beacons and probe responses."""
    bssid = p.bssid
    if bssid is None:
        return
    beacon = p.subtype == 8
    timestamp, interval, capability = beacon_fixed(p)
    if beacon:
        bss = w.bss.get(bssid)
        if bss is None:
            bss = w.bss_for(bssid)
        else:
            w.bss.move_to_end(bssid)
        fixed = interval << 16 | capability
        if bss.last_ies is ies and bss.last_fixed == fixed and not w.ssidcanary \
                and not w.apspoof:
            # The same beacon as last time: its SSID record already holds all of it.
            bss.mfp_capable = bss.last_mfp
            _timestamp(w, packet, p, bss, timestamp, capability)
            return
        bss.last_ies = ies
        bss.last_fixed = fixed
    else:
        if ssid is not None and len(ssid) == 0 and w.can("NULLPROBERESP"):
            w.raise_alert("NULLPROBERESP",
                          f"IEEE80211 probe response from {mac_str(p.source)} with a "
                          "zero-length SSID element", packet, p, bssid=bssid,
                          source=p.source, dest=p.dest)
        bss = w.bss_for(bssid)
    name = ies.ssid_str
    rsn = ies.rsn
    bss.mfp_capable = bool(rsn is not None and rsn.mfpc)
    if beacon:
        bss.last_mfp = bss.mfp_capable
    if name:
        verb = "advertising" if beacon else "responding for"
        check_canary(w, packet, p, name, verb)
        check_spoof(w, packet, p, name, verb)
    if beacon:
        _timestamp(w, packet, p, bss, timestamp, capability)
    # Only beacons are judged on their interval.
    advertised_interval = interval if beacon else None
    crypt = ies.crypt_set(bool(capability & 0x10))
    channel = ies.ds_channel
    records = bss.beacons if beacon else bss.responses
    key = ssid or b""
    record = records.get(key)
    if record is None:
        records[key] = SsidRecord(crypt, channel, advertised_interval)
        if len(records) > MAX_SSIDS_PER_BSS:
            records.popitem(last=False)
    else:
        records.move_to_end(key)
        _compare(w, packet, p, record, name, crypt, channel, advertised_interval, beacon)
    if not beacon and channel is not None:
        advertised = bss.beacons.get(key)
        if advertised is not None and advertised.channel is not None \
                and advertised.channel != channel and w.can("PROBECHAN"):
            w.raise_alert("PROBECHAN",
                          f"IEEE80211 Access Point BSSID {mac_str(bssid)} SSID \"{name}\" "
                          f"sent a probe response with channel {channel} while advertising "
                          f"channel {advertised.channel}, which may indicate spoofing or "
                          "impersonation, or a misbehaving access point or repeater",
                          packet, p, bssid=bssid, source=p.source, dest=p.dest,
                          channel=channel)


def _compare(w: WidsState, packet: Packet, p: Dot11Packet, record: SsidRecord, name: str,
             crypt: int, channel: int | None, interval: int | None, beacon: bool) -> None:
    """Changes in what a BSSID advertises for an SSID."""
    bssid = p.bssid
    if record.crypt == crypt and record.channel == channel and record.interval == interval:
        return
    where = f"IEEE80211 Access Point BSSID {mac_str(bssid)} SSID \"{name}\""
    if record.crypt != crypt:
        if record.crypt and not crypt:
            if w.can("CRYPTODROP"):
                w.raise_alert("CRYPTODROP",
                              f"{where} changed advertised encryption from "
                              f"{crypt_to_string(record.crypt)} to Open which may indicate "
                              "AP spoofing/impersonation", packet, p, bssid=bssid,
                              source=p.source, dest=p.dest)
        elif w.can("ADVCRYPTCHANGE"):
            w.raise_alert("ADVCRYPTCHANGE",
                          f"{where} changed advertised encryption from "
                          f"{crypt_to_string(record.crypt)} to {crypt_to_string(crypt)} "
                          "which may indicate AP spoofing/impersonation", packet, p,
                          bssid=bssid, source=p.source, dest=p.dest)
        record.crypt = crypt
    if beacon and channel is not None:
        if record.channel is not None and record.channel != channel \
                and w.can("CHANCHANGE"):
            w.raise_alert("CHANCHANGE",
                          f"{where} changed advertised channel from {record.channel} to "
                          f"{channel}, which may indicate spoofing or impersonation, or an "
                          "access point moving to a less congested channel", packet, p,
                          bssid=bssid, source=p.source, dest=p.dest, channel=channel)
        record.channel = channel
    if beacon and interval:
        if record.interval and record.interval != interval and w.can("BEACONRATE"):
            w.raise_alert("BEACONRATE",
                          f"{where} changed beacon interval from {record.interval} to "
                          f"{interval} TU which may indicate AP spoofing/impersonation",
                          packet, p, bssid=bssid, source=p.source, dest=p.dest)
        record.interval = interval


def _timestamp(w: WidsState, packet: Packet, p: Dot11Packet, bss: BssState, timestamp: int,
               capability: int) -> None:
    """BSS timestamps that disagree with the previous beacon, repeatedly."""
    if capability & 0x02:
        return
    ts = packet.ts
    previous = bss.beacon_time
    if previous is not None and 0 <= ts - previous <= BSS_TS_RECENT:
        # In floats, as Python mixes them anyway (compiled code then stays in C doubles).
        expected = float(bss.bss_ts) + (ts - previous) * 1_000_000
        if abs(float(timestamp) - expected) > BSS_TS_WOBBLE_US:
            if ts - bss.ts_jump_last > BSS_TS_WINDOW:
                bss.ts_jumps = 1
            else:
                bss.ts_jumps += 1
            bss.ts_jump_last = ts
            if bss.ts_jumps > BSS_TS_JUMPS:
                if w.can("BSSTIMESTAMP"):
                    w.raise_alert("BSSTIMESTAMP",
                                  f"Network {mac_str(p.bssid)} BSS timestamp fluctuating, "
                                  "which may indicate an 'evil twin' attack where the BSSID "
                                  "of a legitimate access point is being spoofed", packet,
                                  p, bssid=p.bssid, source=p.source, dest=p.dest)
                bss.ts_jumps = 0
    bss.beacon_time = ts
    bss.bss_ts = timestamp
