"""802.11 intrusion detection: Kismet's WIDS alerts, raised from single packets.

:class:`Dot11Wids` is a packet-chain subscriber. It reads the decoded frame
and keeps its own small, bounded state per BSSID (advertised crypt, channel
and beacon interval per SSID, BSS timestamps, disconnect counters, MFP
capability) and per station (handshake nonces, WPS message counts). Windows
that belong to the traffic (a flood of deauths "each within 1 s", WPS M3s
"within 5 min") are measured on the capture timestamps, so a replayed capture
is judged as it was recorded; rate limits run on the server clock.

Error packets (bad FCS) are skipped: they are radio noise, not attacks. A
management frame that passes the FCS but is malformed raises MALFORMMGMT.
"""

from __future__ import annotations

import struct
import zlib
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from kismet_tx.alerts.builtin import BuiltinAlert, define_builtins
from kismet_tx.alerts.config import CanaryRule, SpoofRule
from kismet_tx.alerts.macs import DOT11_PHY
from kismet_tx.alerts.rates import DISABLED, RateLimit, TimeUnit
from kismet_tx.alerts.tracker import AlertTracker, Severity
from kismet_tx.chain import BAD_FCS, MALFORMED
from kismet_tx.dot11.crypt import crypt_to_string
from kismet_tx.dot11.eapol import EAPOL, EAPOL_EAP
from kismet_tx.dot11.errors import MalformedFrame
from kismet_tx.dot11.frames import BROADCAST, TYPE_DATA, TYPE_MGMT, mac_str
from kismet_tx.dot11.ies import IESet
from kismet_tx.dot11.linklayer import decode_link
from kismet_tx.dot11.packet import Dot11Packet
from kismet_tx.dot11.text import munge_to_printable
from kismet_tx.pcre import pcre_search

__all__ = [
    "DOT11_ALERTS",
    "FIXED_IE_LENGTHS",
    "Dot11Wids",
    "invalid_reason",
    "wps_message_type",
]


def _rate(limit: int, burst: int) -> RateLimit:
    return RateLimit(limit, TimeUnit.MIN, burst, TimeUnit.SEC)


#: The WIDS alert kinds, with the rates Kismet ships in kismet_alerts.conf.
DOT11_ALERTS = (
    BuiltinAlert("DEAUTHFLOOD", "DENIAL", Severity.MEDIUM,
                 "Many deauthentication or disassociation frames for one network in quick "
                 "succession. Without management frame protection these can be forged to "
                 "knock clients off a network (denial of service) or to make them "
                 "reconnect so their handshake can be captured.", _rate(5, 2)),
    BuiltinAlert("BCASTDISCON", "DENIAL", Severity.MEDIUM,
                 "A deauthentication or disassociation frame sent to every client of a "
                 "network at once. An access point shutting down may do this; otherwise "
                 "it is a denial of service or an attempt to force clients to reconnect.",
                 _rate(5, 2)),
    BuiltinAlert("CHANCHANGE", "SPOOF", Severity.LOW,
                 "An access point started advertising a different channel for an SSID. "
                 "Automatic channel selection does this, but so does an 'evil twin' "
                 "copying a network on another channel.", _rate(5, 1)),
    BuiltinAlert("PROBECHAN", "SPOOF", Severity.MEDIUM,
                 "A probe response names a different channel than the network's beacons. "
                 "A misbehaving repeater can do this; so can a spoofed access point.",
                 _rate(5, 1)),
    BuiltinAlert("CRYPTODROP", "SPOOF", Severity.HIGH,
                 "An SSID that was advertised with encryption is now advertised as open. "
                 "This is rarely a reconfiguration and often an impersonation attempt.",
                 _rate(5, 1)),
    BuiltinAlert("ADVCRYPTCHANGE", "SPOOF", Severity.HIGH,
                 "The encryption an SSID advertises changed. It may be a reconfiguration, "
                 "or a spoofed access point offering different security.", _rate(5, 1)),
    BuiltinAlert("BEACONRATE", "SPOOF", Severity.HIGH,
                 "The beacon interval advertised for an SSID changed, which may be a "
                 "reconfiguration or a second device imitating the network.", _rate(5, 1)),
    BuiltinAlert("BSSTIMESTAMP", "SPOOF", Severity.MEDIUM,
                 "The BSS timestamps in one network's beacons jump back and forth. Two "
                 "transmitters are using the same BSSID, as in an 'evil twin' attack.",
                 _rate(5, 1)),
    BuiltinAlert("LONGSSID", "EXPLOIT", Severity.CRITICAL,
                 "An SSID element longer than the 32 bytes the standard allows. Oversized "
                 "SSIDs have been used to exploit driver overflows.", _rate(5, 1)),
    BuiltinAlert("NULLPROBERESP", "DENIAL", Severity.MEDIUM,
                 "A probe response with a zero-length SSID element, a frame shape known to "
                 "crash the firmware of some older cards.", _rate(5, 1)),
    BuiltinAlert("MALFORMMGMT", "EXPLOIT", Severity.MEDIUM,
                 "A management frame with a malformed body: a truncated element list, an "
                 "element with the wrong fixed length, or an undecodable security element. "
                 "A faulty capture driver can cause this; so can attempts to crash "
                 "drivers that mishandle malformed frames.", _rate(5, 1)),
    BuiltinAlert("WPSBRUTE", "EXPLOIT", Severity.CRITICAL,
                 "A device sent many WPS M3 messages within a few minutes, the pattern of "
                 "a WPS PIN brute-force attack such as Reaver.", _rate(5, 1)),
    BuiltinAlert("DISCONCODEINVALID", "EXPLOIT", Severity.HIGH,
                 "A disassociation frame carries a reason code outside the defined set. "
                 "Invalid codes have been used to attack drivers that mishandle them.",
                 _rate(5, 1)),
    BuiltinAlert("DEAUTHCODEINVALID", "EXPLOIT", Severity.HIGH,
                 "A deauthentication frame carries a reason code outside the defined set. "
                 "Off by default.", DISABLED),
    BuiltinAlert("APSPOOF", "SPOOF", Severity.HIGH,
                 "An SSID listed in an apspoof= rule is served by a MAC address that is "
                 "not among the rule's valid MACs.", _rate(10, 1)),
    BuiltinAlert("SSIDCANARY", "SPOOF", Severity.HIGH,
                 "An SSID listed in an ssidcanary= rule was advertised, answered for or "
                 "probed for. Canary SSIDs exist only to be noticed: whoever uses one "
                 "learned it from the protected network.", _rate(5, 1)),
    BuiltinAlert("NOCLIENTMFP", "SPOOF", Severity.LOW,
                 "A client associated without management frame protection to a network "
                 "that offers it, so forged deauthentications can still disconnect it.",
                 _rate(10, 1)),
    BuiltinAlert("NONCEDEGRADE", "EXPLOIT", Severity.MEDIUM,
                 "A WPA group-key handshake message with an all-zero nonce and no key, as "
                 "sent by key-degradation attacks on some supplicants. Partial handshake "
                 "captures can look similar, so it is off by default.", DISABLED),
    BuiltinAlert("NONCEREUSE", "EXPLOIT", Severity.HIGH,
                 "A WPA handshake message re-used an earlier nonce with an old replay "
                 "counter, as key-reinstallation (KRACK) attacks do. Busy channels with "
                 "retransmissions can mimic it, so it is off by default.", DISABLED),
)

#: Elements whose body length the standard fixes (tag -> length).
FIXED_IE_LENGTHS: dict[int, int] = {
    3: 1,     # DS parameter set
    6: 2,     # IBSS parameter set
    32: 1,    # power constraint
    35: 2,    # TPC report
    37: 3,    # channel switch announcement
    42: 1,    # ERP information
    45: 26,   # HT capabilities
    54: 3,    # mobility domain
    61: 22,   # HT operation
    62: 1,    # secondary channel offset
    72: 1,    # 20/40 BSS coexistence
    74: 14,   # overlapping BSS scan parameters
    191: 12,  # VHT capabilities
    192: 5,   # VHT operation
}

#: Seconds between two disconnects that still count as one flood.
DISCONNECT_GAP = 1.0
#: More disconnects than this in a row is a flood.
DISCONNECT_FLOOD = 10
#: WPS M3 messages from one device within WPS_WINDOW seconds before WPSBRUTE.
WPS_M3_LIMIT = 5
WPS_WINDOW = 300.0
#: BSS timestamp checks: allowed drift (microseconds), how recent the previous
#: beacon must be (seconds), the window for repeated jumps and how many.
BSS_TS_WOBBLE_US = 10_000_000
BSS_TS_RECENT = 10.0
BSS_TS_WINDOW = 5.0
BSS_TS_JUMPS = 5
#: A handshake retransmission arrives within this many seconds.
NONCE_RETRY_WINDOW = 1.0
#: Bounds on the detector's memory.
MAX_BSS = 4096
MAX_STATIONS = 8192
MAX_SSIDS_PER_BSS = 16
MAX_NONCES = 16
MAX_REPORTED = 4096

_MGMT_WITH_IES = (0, 2, 4, 5, 8)
_SUBTYPE_TEXT = {0: "association request", 2: "reassociation request", 4: "probe request",
                 5: "probe response", 8: "beacon"}
_U16BE = struct.Struct(">H")
_WFA_SIMPLE_CONFIG = b"\x00\x37\x2a\x00\x00\x00\x01"
_WSC_MSG = 0x04
_WSC_MESSAGE_TYPE = 0x1022
_WSC_M3 = 0x07
#: Beacon / probe response fixed fields: timestamp, beacon interval, capability.
_BEACON_FIXED = struct.Struct("<QHH")
_EAPOL_TYPE = b"\x88\x8e"


def invalid_reason(code: int) -> bool:
    """Kismet's test for an invalid disconnect reason code (25-31, or above 45)."""
    return 25 <= code <= 31 or code > 45


def wps_message_type(data: bytes, off: int, end: int) -> int | None:
    """The WSC message type of an 802.1X body at ``data[off:end]`` (EAP-WSC), else None."""
    # 802.1X header (4), EAP code/id/length (4), type 254 (expanded), vendor id and type (7).
    if end - off < 4 + 5 + 7 + 2 or data[off + 1] != EAPOL_EAP:
        return None
    eap = off + 4
    if data[eap] not in (1, 2) or data[eap + 4] != 254:
        return None
    pos = eap + 5
    if data[pos : pos + 7] != _WFA_SIMPLE_CONFIG:
        return None
    pos += 7
    opcode, flags = data[pos], data[pos + 1]
    pos += 2
    if opcode != _WSC_MSG:
        return None
    if flags & 0x02:
        pos += 2
    eap_end = min(end, eap + _U16BE.unpack_from(data, eap + 2)[0])
    while pos + 4 <= eap_end:
        kind, length = _U16BE.unpack_from(data, pos)[0], _U16BE.unpack_from(data, pos + 2)[0]
        pos += 4
        if pos + length > eap_end:
            return None
        if kind == _WSC_MESSAGE_TYPE and length >= 1:
            return data[pos]
        pos += length
    return None


class _Ssid:
    """What one BSSID advertised for one SSID (beacons or probe responses)."""

    __slots__ = ("crypt", "channel", "interval")

    def __init__(self, crypt: int, channel: int | None, interval: int | None) -> None:
        self.crypt = crypt
        self.channel = channel
        self.interval = interval


class _Bss:
    """Per-BSSID state.

    ``last_ies``/``last_fixed``/``last_mfp`` describe the last beacon judged in
    full: a beacon repeating it (same shared element list, beacon interval and
    capability) can change nothing but the BSS timestamp checks.
    """

    __slots__ = ("beacons", "responses", "disconnects", "disconnect_last", "beacon_time",
                 "bss_ts", "ts_jumps", "ts_jump_last", "mfp_capable", "last_ies", "last_fixed",
                 "last_mfp")

    def __init__(self) -> None:
        self.beacons: OrderedDict[bytes, _Ssid] = OrderedDict()
        self.responses: OrderedDict[bytes, _Ssid] = OrderedDict()
        self.disconnects = 0
        self.disconnect_last = float("-inf")
        self.beacon_time: float | None = None
        self.bss_ts = 0
        self.ts_jumps = 0
        self.ts_jump_last = float("-inf")
        self.mfp_capable = False
        self.last_ies: IESet | None = None
        self.last_fixed = -1
        self.last_mfp = False


class _Nonce:
    """A handshake nonce as last seen: replay counter, capture time, frame checksum."""

    __slots__ = ("replay", "time", "frame")

    def __init__(self, replay: int, time: float, frame: int) -> None:
        self.replay = replay
        self.time = time
        self.frame = frame


class _Station:
    """Per-station state: nonces it was sent, WPS M3 messages it sent."""

    __slots__ = ("anonces", "nonces", "wps_m3", "wps_last")

    def __init__(self) -> None:
        self.anonces: OrderedDict[bytes, _Nonce] = OrderedDict()
        self.nonces: OrderedDict[bytes, _Nonce] = OrderedDict()
        self.wps_m3 = 0
        self.wps_last = float("-inf")


def _lru_get(table: OrderedDict[Any, Any], key: Any, factory: Any, cap: int) -> Any:
    item = table.get(key)
    if item is None:
        item = table[key] = factory()
        if len(table) > cap:
            table.popitem(last=False)
    else:
        table.move_to_end(key)
    return item


def _remember(table: OrderedDict[Any, None], key: Any, cap: int = MAX_REPORTED) -> None:
    table[key] = None
    if len(table) > cap:
        table.popitem(last=False)


def _ssid_text(raw: bytes | None) -> str:
    return "" if not raw or raw.count(0) == len(raw) else munge_to_printable(raw)


class Dot11Wids:
    """Kismet's 802.11 WIDS checks as one packet-chain subscriber."""

    def __init__(self, alerts: AlertTracker, *, apspoof: Iterable[SpoofRule] = (),
                 ssidcanary: Iterable[CanaryRule] = ()) -> None:
        self._alerts = alerts
        self.apspoof = tuple(apspoof)
        self.ssidcanary = tuple(ssidcanary)
        self._bss: OrderedDict[bytes, _Bss] = OrderedDict()
        self._stations: OrderedDict[bytes, _Station] = OrderedDict()
        self._reported: OrderedDict[tuple[Any, ...], None] = OrderedDict()
        phyid = alerts.phy_id(DOT11_PHY)
        define_builtins(alerts, DOT11_ALERTS, phyid)

    # -- plumbing ---------------------------------------------------------------------

    def _raise(self, header: str, text: str, packet: Any, p: Dot11Packet | None, *,
               bssid: bytes | None = None, source: bytes | None = None,
               dest: bytes | None = None, channel: int | None = None) -> None:
        channel_text = ""
        frequency = 0.0
        if p is not None:
            freq = p.freq_mhz
            if freq:
                frequency = freq * 1000.0
            if channel is None:
                channel = p.radio_channel
        if channel:
            channel_text = str(channel)
        self._alerts.raise_alert(header, text, bssid=bssid, source=source, dest=dest,
                                 channel=channel_text, frequency=frequency)

    def _can(self, header: str) -> bool:
        return self._alerts.potential(header)

    def _bss_for(self, bssid: bytes) -> _Bss:
        return _lru_get(self._bss, bssid, _Bss, MAX_BSS)

    def _station(self, mac: bytes) -> _Station:
        return _lru_get(self._stations, mac, _Station, MAX_STATIONS)

    # -- entry point --------------------------------------------------------------------

    def __call__(self, packet: Any) -> None:
        """Check one packet."""
        status = packet.status
        if status == BAD_FCS:
            return
        p = packet.decoded
        if p is None:
            if status == MALFORMED:
                self._short_management(packet)
            return
        ftype = p.type
        if ftype == TYPE_MGMT:
            self._management(packet, p)
        elif ftype == TYPE_DATA and not p.flags & 0x40 and not p.subtype & 0x04:
            # An 802.1X frame has its SNAP ethertype there; others skip the LLC decode.
            offset = p.body_offset
            if p.raw[offset + 6 : offset + 8] == _EAPOL_TYPE and p.is_eapol:
                self._eapol(packet, p)

    # -- management frames ----------------------------------------------------------------

    def _short_management(self, packet: Any) -> None:
        """A frame that did not decode: MALFORMMGMT if it is a management frame."""
        if not self._can("MALFORMMGMT"):
            return
        try:
            _radio, off = decode_link(packet.dlt, packet.data)
        except MalformedFrame:
            return
        data = packet.data
        if len(data) - off < 2 or data[off] & 0x0F != 0:
            return  # not version 0 + management
        transmitter = data[off + 10 : off + 16] if len(data) - off >= 16 else None
        self._raise("MALFORMMGMT",
                    f"Malformed management frame from {mac_str(transmitter) or 'unknown'}: "
                    f"{len(data) - off} bytes is too short for its header and fixed fields",
                    packet, None, source=transmitter)

    def _management(self, packet: Any, p: Dot11Packet) -> None:
        sub = p.subtype
        if sub == 10 or sub == 12:
            self._disconnect(packet, p)
            return
        if sub not in _MGMT_WITH_IES or p.flags & 0x40:
            return
        ies = p.ies
        if ies is None:
            return
        # Element lists are shared between identical frames: judge each one once.
        problem = ies.memo("wids.malformed", self._malformed_ies)
        if problem is not None:
            if self._can("MALFORMMGMT"):
                self._raise("MALFORMMGMT",
                            f"Malformed {_SUBTYPE_TEXT[sub]} from {mac_str(p.transmitter)}: "
                            f"{problem}", packet, p, bssid=p.bssid, source=p.source,
                            dest=p.dest)
            return
        ssid = ies.ssid
        if ssid is not None and len(ssid) > 32:
            if self._can("LONGSSID"):
                self._raise("LONGSSID",
                            f"Illegal SSID of {len(ssid)} bytes (more than 32) in a "
                            f"{_SUBTYPE_TEXT[sub]} from {mac_str(p.transmitter)}, which "
                            "likely indicates an exploit attempt", packet, p,
                            bssid=p.bssid, source=p.source, dest=p.dest)
            return
        if sub == 8 or sub == 5:
            self._advertised(packet, p, ies, ssid)
        elif sub == 4:
            if self.ssidcanary:
                self._canary(packet, p, _ssid_text(ssid), "probing for")
        else:
            self._association(packet, p, ies)

    @staticmethod
    def _malformed_ies(ies: IESet) -> str | None:
        """Why an element list is malformed, or None."""
        if ies.truncated:
            return "the element list runs past the end of the frame"
        for tag, _off, length in ies.tags:
            want = FIXED_IE_LENGTHS.get(tag)
            if want is not None and length != want:
                return f"element {tag} is {length} bytes long, it must be {want}"
        if 48 in ies and ies.rsn is None:
            return f"undecodable RSN element ({ies.errors.get('rsn', 'malformed')})"
        if ies.vendor(b"\x00\x50\xf2", 1) and ies.wpa is None:
            return f"undecodable WPA element ({ies.errors.get('wpa', 'malformed')})"
        return None

    def _disconnect(self, packet: Any, p: Dot11Packet) -> None:
        """Deauthentication / disassociation: floods, broadcasts, invalid reasons."""
        bssid = p.bssid
        kind = "Deauthentication" if p.subtype == 12 else "Disassociation"
        if bssid is not None and not bssid[0] & 1:
            bss = self._bss_for(bssid)
            ts = packet.ts
            if ts - bss.disconnect_last > DISCONNECT_GAP:
                bss.disconnects = 1
            else:
                bss.disconnects += 1
            bss.disconnect_last = ts
            if bss.disconnects > DISCONNECT_FLOOD:
                if self._can("DEAUTHFLOOD"):
                    self._raise("DEAUTHFLOOD", f"Deauth/Disassociate flood on {mac_str(bssid)}",
                                packet, p, bssid=bssid, source=p.source, dest=p.dest)
                bss.disconnects = 1
        if p.dest == BROADCAST and self._can("BCASTDISCON"):
            self._raise("BCASTDISCON",
                        f"IEEE80211 Access Point BSSID {mac_str(bssid)} broadcast "
                        f"{kind.lower()} of all clients; either the access point is shutting "
                        "down or this is a denial of service attack", packet, p,
                        bssid=bssid, source=p.source, dest=p.dest)
        reason = p.reason_code
        if reason is not None and invalid_reason(reason):
            header = "DEAUTHCODEINVALID" if p.subtype == 12 else "DISCONCODEINVALID"
            if self._can(header):
                self._raise(header, f"Unknown {kind.lower()} reason code {reason} "
                            f"(0x{reason:04X}) from network {mac_str(bssid)}", packet, p,
                            bssid=bssid, source=p.source, dest=p.dest)

    def _advertised(self, packet: Any, p: Dot11Packet, ies: IESet,
                    ssid: bytes | None) -> None:
        """Beacons and probe responses."""
        bssid = p.bssid
        if bssid is None:
            return
        beacon = p.subtype == 8
        timestamp, interval, capability = _BEACON_FIXED.unpack_from(p.raw, p.body_offset)
        if beacon:
            bss = self._bss.get(bssid)
            if bss is None:
                bss = self._bss_for(bssid)
            else:
                self._bss.move_to_end(bssid)
            fixed = interval << 16 | capability
            if bss.last_ies is ies and bss.last_fixed == fixed and not self.ssidcanary \
                    and not self.apspoof:
                # The same beacon as last time: its SSID record already holds all of it.
                bss.mfp_capable = bss.last_mfp
                self._timestamp(packet, p, bss, timestamp, capability)
                return
            bss.last_ies = ies
            bss.last_fixed = fixed
        else:
            if ssid is not None and len(ssid) == 0 and self._can("NULLPROBERESP"):
                self._raise("NULLPROBERESP",
                            f"IEEE80211 probe response from {mac_str(p.source)} with a "
                            "zero-length SSID element", packet, p, bssid=bssid,
                            source=p.source, dest=p.dest)
            bss = self._bss_for(bssid)
        name = ies.ssid_str
        rsn = ies.rsn
        bss.mfp_capable = bool(rsn is not None and rsn.mfpc)
        if beacon:
            bss.last_mfp = bss.mfp_capable
        if name:
            verb = "advertising" if beacon else "responding for"
            self._canary(packet, p, name, verb)
            self._spoof(packet, p, name, verb)
        if beacon:
            self._timestamp(packet, p, bss, timestamp, capability)
        else:
            interval = None
        crypt = ies.crypt_set(bool(capability & 0x10))
        channel = ies.ds_channel
        records = bss.beacons if beacon else bss.responses
        key = ssid or b""
        record = records.get(key)
        if record is None:
            records[key] = _Ssid(crypt, channel, interval)
            if len(records) > MAX_SSIDS_PER_BSS:
                records.popitem(last=False)
        else:
            records.move_to_end(key)
            self._compare(packet, p, record, name, crypt, channel, interval, beacon)
        if not beacon and channel is not None:
            advertised = bss.beacons.get(key)
            if advertised is not None and advertised.channel is not None \
                    and advertised.channel != channel and self._can("PROBECHAN"):
                self._raise("PROBECHAN",
                            f"IEEE80211 Access Point BSSID {mac_str(bssid)} SSID \"{name}\" "
                            f"sent a probe response with channel {channel} while advertising "
                            f"channel {advertised.channel}, which may indicate spoofing or "
                            "impersonation, or a misbehaving access point or repeater",
                            packet, p, bssid=bssid, source=p.source, dest=p.dest,
                            channel=channel)

    def _compare(self, packet: Any, p: Dot11Packet, record: _Ssid, name: str, crypt: int,
                 channel: int | None, interval: int | None, beacon: bool) -> None:
        """Changes in what a BSSID advertises for an SSID."""
        bssid = p.bssid
        if record.crypt == crypt and record.channel == channel and record.interval == interval:
            return
        where = f"IEEE80211 Access Point BSSID {mac_str(bssid)} SSID \"{name}\""
        if record.crypt != crypt:
            if record.crypt and not crypt:
                if self._can("CRYPTODROP"):
                    self._raise("CRYPTODROP",
                                f"{where} changed advertised encryption from "
                                f"{crypt_to_string(record.crypt)} to Open which may indicate "
                                "AP spoofing/impersonation", packet, p, bssid=bssid,
                                source=p.source, dest=p.dest)
            elif self._can("ADVCRYPTCHANGE"):
                self._raise("ADVCRYPTCHANGE",
                            f"{where} changed advertised encryption from "
                            f"{crypt_to_string(record.crypt)} to {crypt_to_string(crypt)} "
                            "which may indicate AP spoofing/impersonation", packet, p,
                            bssid=bssid, source=p.source, dest=p.dest)
            record.crypt = crypt
        if beacon and channel is not None:
            if record.channel is not None and record.channel != channel \
                    and self._can("CHANCHANGE"):
                self._raise("CHANCHANGE",
                            f"{where} changed advertised channel from {record.channel} to "
                            f"{channel}, which may indicate spoofing or impersonation, or an "
                            "access point moving to a less congested channel", packet, p,
                            bssid=bssid, source=p.source, dest=p.dest, channel=channel)
            record.channel = channel
        if beacon and interval:
            if record.interval and record.interval != interval and self._can("BEACONRATE"):
                self._raise("BEACONRATE",
                            f"{where} changed beacon interval from {record.interval} to "
                            f"{interval} TU which may indicate AP spoofing/impersonation",
                            packet, p, bssid=bssid, source=p.source, dest=p.dest)
            record.interval = interval

    def _timestamp(self, packet: Any, p: Dot11Packet, bss: _Bss, timestamp: int,
                   capability: int) -> None:
        """BSS timestamps that disagree with the previous beacon, repeatedly."""
        if capability & 0x02:
            return
        ts = packet.ts
        previous = bss.beacon_time
        if previous is not None and 0 <= ts - previous <= BSS_TS_RECENT:
            expected = bss.bss_ts + (ts - previous) * 1_000_000
            if abs(timestamp - expected) > BSS_TS_WOBBLE_US:
                if ts - bss.ts_jump_last > BSS_TS_WINDOW:
                    bss.ts_jumps = 1
                else:
                    bss.ts_jumps += 1
                bss.ts_jump_last = ts
                if bss.ts_jumps > BSS_TS_JUMPS:
                    if self._can("BSSTIMESTAMP"):
                        self._raise("BSSTIMESTAMP",
                                    f"Network {mac_str(p.bssid)} BSS timestamp fluctuating, "
                                    "which may indicate an 'evil twin' attack where the BSSID "
                                    "of a legitimate access point is being spoofed", packet,
                                    p, bssid=p.bssid, source=p.source, dest=p.dest)
                    bss.ts_jumps = 0
        bss.beacon_time = ts
        bss.bss_ts = timestamp

    def _canary(self, packet: Any, p: Dot11Packet, name: str, verb: str) -> None:
        if not name or not self.ssidcanary:
            return
        transmitter = p.transmitter
        for rule in self.ssidcanary:
            key = ("canary", transmitter, name, rule.name)
            if key in self._reported or not pcre_search(rule.pattern, name):
                continue
            if self._can("SSIDCANARY"):
                device = "Access Point" if verb != "probing for" else "device"
                self._raise("SSIDCANARY",
                            f"IEEE80211 {device} {mac_str(transmitter)} {verb} canary SSID "
                            f"\"{name}\" (rule {rule.name}: {rule.ssid})", packet, p,
                            bssid=p.bssid, source=p.source, dest=p.dest)
                _remember(self._reported, key)

    def _spoof(self, packet: Any, p: Dot11Packet, name: str, verb: str) -> None:
        if not self.apspoof:
            return
        source = p.source
        if source is None:
            return
        value = int.from_bytes(source, "big")
        for rule in self.apspoof:
            key = ("spoof", source, name, rule.name)
            if key in self._reported or rule.allows(value) \
                    or not pcre_search(rule.pattern, name):
                continue
            if self._can("APSPOOF"):
                self._raise("APSPOOF",
                            f"IEEE80211 Unauthorized device ({mac_str(source)}) {verb} SSID "
                            f"'{name}', matching APSPOOF rule {rule.name} which may indicate "
                            "spoofing or impersonation", packet, p, bssid=p.bssid,
                            source=source, dest=p.dest)
                _remember(self._reported, key)
            break

    def _association(self, packet: Any, p: Dot11Packet, ies: IESet) -> None:
        """(Re)association requests: NOCLIENTMFP."""
        bssid = p.bssid
        client = p.source
        if bssid is None or client is None:
            return
        bss = self._bss.get(bssid)
        if bss is None or not bss.mfp_capable:
            return
        rsn = ies.rsn
        if rsn is not None and rsn.mfpc:
            return
        key = ("mfp", client, bssid)
        if key in self._reported or not self._can("NOCLIENTMFP"):
            return
        self._raise("NOCLIENTMFP",
                    f"IEEE80211 client {mac_str(client)} associated to {mac_str(bssid)} "
                    "without management frame protection, which the network offers; "
                    "forged deauthentications can disconnect it", packet, p, bssid=bssid,
                    source=client, dest=p.dest)
        _remember(self._reported, key)

    # -- data frames: 802.1X -------------------------------------------------------------

    def _eapol(self, packet: Any, p: Dot11Packet) -> None:
        llc = p.llc
        if llc is None:
            return
        kind = wps_message_type(p.raw, llc.payload_offset, p.end)
        if kind == _WSC_M3:
            self._wps_m3(packet, p)
            return
        e = p.eapol
        if e is not None and e.is_key:
            self._handshake(packet, p, e)

    def _wps_m3(self, packet: Any, p: Dot11Packet) -> None:
        source = p.source
        if source is None:
            return
        station = self._station(source)
        ts = packet.ts
        if ts - station.wps_last > WPS_WINDOW:
            station.wps_m3 = 1
        else:
            station.wps_m3 += 1
        station.wps_last = ts
        if station.wps_m3 > WPS_M3_LIMIT:
            if self._can("WPSBRUTE"):
                self._raise("WPSBRUTE",
                            f"IEEE80211 AP {mac_str(p.bssid)} sending an excessive number of "
                            "WPS messages, which may indicate a WPS brute force attack such "
                            "as Reaver", packet, p, bssid=p.bssid, source=source, dest=p.dest)
            station.wps_m3 = 1

    def _handshake(self, packet: Any, p: Dot11Packet, e: EAPOL) -> None:
        """NONCEDEGRADE and NONCEREUSE."""
        if e.mic_flag and not e.ack and not e.install and not e.key_data \
                and not e.pairwise and e.nonce_zero:
            if self._can("NONCEDEGRADE"):
                self._raise("NONCEDEGRADE",
                            "WPA EAPOL RSN frame seen with an empty key and zero nonce; this "
                            "may indicate a WPA degradation attack such as the vanhoefm "
                            "attack against OpenBSD Wi-Fi supplicants", packet, p,
                            bssid=p.bssid, source=p.source, dest=p.dest)
            return
        message = e.message
        if message not in (1, 3) or e.nonce is None or e.nonce_zero or p.dest is None:
            return
        definition = self._alerts.definition("NONCEREUSE")
        if definition is None or definition.limit.disabled:
            return
        station = self._station(p.dest)
        table = station.anonces if message == 1 else station.nonces
        ts = packet.ts
        frame = zlib.crc32(memoryview(p.raw)[p.start : p.end])
        replay = e.replay_counter or 0
        seen = table.get(e.nonce)
        if seen is None:
            table[e.nonce] = _Nonce(replay, ts, frame)
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
        if reused and self._can("NONCEREUSE"):
            word = "anonce" if message == 1 else "nonce"
            self._raise("NONCEREUSE",
                        f"WPA EAPOL RSN frame seen with a previously used {word}; this may "
                        f"indicate a KRACK-style WPA attack ({word}: {e.nonce.hex().upper()})",
                        packet, p, bssid=p.bssid, source=p.source, dest=p.dest)
