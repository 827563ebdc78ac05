"""The IEEE 802.11 phy: Kismet's device classification, from the packet chain.

:class:`Dot11Phy` is the chain subscriber. For every good 802.11 frame it
finds (or creates) the devices the frame names, as Kismet's common classifier
does (``phy_80211.cc``):

* management frames: the BSSID (addr3), the source (addr2) and a unicast
  destination (addr1); beacons and probe responses feed the BSSID's
  advertised / responded SSIDs; probe, association and reassociation requests
  feed the source's probed SSIDs;
* data frames: BSSID, source and destination as the DS bits place them, plus
  the transmitter and receiver of 4-address (WDS) frames; null data frames
  only update devices that already exist; unprotected EAPOL-Key frames go to
  the BSSID's ``wpa_handshake_list`` for the client;
* control frames create no devices (Kismet ignores them too).

Types, typeset bits, ``last_bssid`` and client maps follow Kismet's rules.
One deliberate difference: Kismet reads the capability field of association
and reassociation requests 8 bytes too far (where a beacon's is), so the SSID
text decides whether the AP and client are "Ad-Hoc"; here the real capability
field is read. Error packets (bad FCS, malformed) never reach a device: they
only count in the source's error counters.

Handshake frames: each AP keeps its last beacon whose contents changed and,
per client, the last :data:`MAX_EAPOL` EAPOL-Key frames (dropping a repeated
message number first, as Kismet does), for the handshake pcap endpoints.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from typing import Any

from twisted.logger import Logger

from kismet_tx.chain import Packet
from kismet_tx.dot11.crypt import crypt_to_simple_string
from kismet_tx.dot11.frames import TYPE_DATA, TYPE_MGMT
from kismet_tx.dot11.ies import IESet
from kismet_tx.keys import phy_hash, spkey_text
from kismet_tx.tracker.devices import (
    BASICCRYPT_ENCRYPTED,
    BASICCRYPT_L2,
    BASICTYPE_AP,
    BASICTYPE_CLIENT,
    BASICTYPE_PEER,
    BASICTYPE_WIRED,
    Device,
    DeviceTracker,
    SeenBy,
    Source,
)

_log = Logger(namespace="kismet_tx.tracker")

PHY_NAME = "IEEE802.11"

# dot11.device.typeset bits.
TYPESET_BEACON_AP = 1
TYPESET_ADHOC = 2
TYPESET_CLIENT = 4
TYPESET_WIRED = 8
TYPESET_WDS = 16
TYPESET_TURBOCELL = 32
TYPESET_INFERRED_WIRELESS = 64
TYPESET_INFERRED_WIRED = 128
TYPESET_PROBE_AP = 256
#: Typeset bits that put a device in the ``phydot11_accesspoints`` view.
AP_TYPESET = TYPESET_BEACON_AP | TYPESET_PROBE_AP | TYPESET_ADHOC

# Kismet's distribution directions (``dot11.eapol.direction``, ``dot11.client.type``).
DISTRIB_UNKNOWN = 0
DISTRIB_FROM = 1
DISTRIB_TO = 2
DISTRIB_INTER = 3
DISTRIB_ADHOC = 4

TYPE_AP = "Wi-Fi AP"
TYPE_CLIENT = "Wi-Fi Client"
TYPE_BRIDGED = "Wi-Fi Bridged"
TYPE_ADHOC = "Wi-Fi Ad-Hoc"
TYPE_WDS = "Wi-Fi WDS"
TYPE_WDS_AP = "Wi-Fi WDS AP"
TYPE_DEVICE = "Wi-Fi Device"
TYPE_INFERRED = "Wi-Fi Device (Inferred)"

#: EAPOL-Key frames kept per AP and client.
MAX_EAPOL = 16
#: Clients with a handshake list kept per AP.
MAX_HANDSHAKE_CLIENTS = 256
#: Probed SSIDs kept per device.
MAX_PROBED = 512
#: SSIDs kept per AP (advertised and responded each).
MAX_SSIDS = 256

EMPTY_MAC = bytes(6)

# update flags (Kismet's UCD_UPDATE_*)
_PACKETS = 1
_RADIO = 2
_SEENBY = 4
_EXISTING = 8

_ST_ASSOC_REQ = 0
_ST_REASSOC_REQ = 2
_ST_PROBE_REQ = 4
_ST_PROBE_RESP = 5
_ST_BEACON = 8
_ST_DISASSOC = 10
_ST_DEAUTH = 12
# Offset of the capability field in the body, per management subtype (-1: none).
_CAP_OFFSET = (0, 0, 0, 0, -1, 10, -1, -1, 10) + (-1,) * 7
_U16 = struct.Struct("<H")
_U64 = struct.Struct("<Q")
#: Beacon / probe response fixed fields: timestamp, beacon interval, capability.
_BEACON_FIXED = struct.Struct("<QHH")
_EAPOL_TYPE = b"\x88\x8e"
#: Canonical int objects for dBm values, so devices share them.
_DBM = tuple(range(-256, 256))
#: WPS UUID-Es remembered for relating devices, and MACs kept per UUID-E.
_UUID_MAX = 65536
_UUID_OWNERS_MAX = 64
_HT_NAMES = {"VHT80": "HT80", "VHT160": "HT160", "VHT80+80": "HT80+80"}


class AdvertisedSsid:
    """One SSID an AP beaconed (``advertised``) or answered probes for (``responded``)."""

    __slots__ = (
        "ssid", "ssidlen", "raw", "cloaked", "channel", "ht_mode", "crypt_set", "first_time",
        "last_time", "beacon", "probe_response", "beaconrate", "beacons_sec", "_bsec",
        "_bcount", "maxrate", "mfp_required", "mfp_supported", "country", "wps",
    )  # fmt: skip

    def __init__(self, raw: bytes, ssid: str, sec: int, crypt_set: int) -> None:
        self.raw = raw
        self.ssid = ssid
        self.ssidlen = len(raw)
        self.cloaked = not raw or raw.count(0) == len(raw)
        self.channel = ""
        self.ht_mode = ""
        self.crypt_set = crypt_set
        self.first_time = sec
        self.last_time = sec
        self.beacon = False
        self.probe_response = False
        self.beaconrate = 0
        self.beacons_sec = 0
        self._bsec = 0
        self._bcount = 0
        self.maxrate = 0.0
        self.mfp_required = False
        self.mfp_supported = False
        self.country = ""
        self.wps: Any = None

    def count_beacon(self, sec: int) -> None:
        """One more beacon; ``beacons_sec`` is the count of the last whole second."""
        if sec != self._bsec:
            self.beacons_sec = self._bcount if sec == self._bsec + 1 else 0
            self._bsec = sec
            self._bcount = 0
        self._bcount += 1


class ProbedSsid:
    """One SSID a device probed or (re)associated for."""

    __slots__ = ("ssid", "ssidlen", "bssid", "first_time", "last_time", "crypt_set",
                 "mfp_required", "mfp_supported", "wps")  # fmt: skip

    def __init__(self, raw: bytes, ssid: str, sec: int) -> None:
        self.ssid = ssid
        self.ssidlen = len(raw)
        self.bssid: bytes | None = None
        self.first_time = sec
        self.last_time = sec
        self.crypt_set = 0
        self.mfp_required = False
        self.mfp_supported = False
        self.wps: Any = None


class ClientRecord:
    """A device's record of one BSSID it talked to (``dot11.device.client_map``)."""

    __slots__ = ("bssid", "first_time", "last_time", "ctype", "datasize", "datasize_retry",
                 "fragments", "retries")  # fmt: skip

    def __init__(self, bssid: bytes, sec: int) -> None:
        self.bssid = bssid
        self.first_time = sec
        self.last_time = sec
        self.ctype = 0
        self.datasize = 0
        self.datasize_retry = 0
        self.fragments = 0
        self.retries = 0


class EapolKey:
    """One EAPOL-Key frame of a handshake, with the frame as captured."""

    __slots__ = ("ts", "direction", "message", "replay_counter", "install", "nonce", "pmkid",
                 "frame")  # fmt: skip

    def __init__(self, ts: float, direction: int, message: int, replay_counter: int,
                 install: bool, nonce: bytes, pmkid: bytes | None,
                 frame: tuple[float, int, bytes]) -> None:
        self.ts = ts
        self.direction = direction
        self.message = message
        self.replay_counter = replay_counter
        self.install = install
        self.nonce = nonce
        self.pmkid = pmkid
        self.frame = frame


class ApState:
    """What only BSSIDs carry: SSIDs, associated clients, handshakes, beacon."""

    __slots__ = ("advertised", "responded", "associated", "handshakes", "disconnects",
                 "disconnects_last", "bss_timestamp", "last_beacon_timestamp", "last_ies_hash",
                 "last_kind", "last_ssid", "beacon", "adv_channel")  # fmt: skip

    def __init__(self) -> None:
        self.advertised: dict[bytes, AdvertisedSsid] | None = None
        self.responded: dict[bytes, AdvertisedSsid] | None = None
        #: client MAC -> None, in first-seen order
        self.associated: dict[bytes, None] | None = None
        self.handshakes: dict[bytes, list[EapolKey]] | None = None
        self.disconnects = 0
        self.disconnects_last = 0
        self.bss_timestamp = 0
        self.last_beacon_timestamp = 0
        #: hash of the last IE bytes handled (Kismet's ietag checksum)
        self.last_ies_hash = 0
        self.last_kind = False
        self.last_ssid: AdvertisedSsid | None = None
        self.beacon: tuple[float, int, bytes] | None = None
        self.adv_channel = ""


class Dot11Device(Device):
    """A Wi-Fi device: the base record plus ``dot11.device``."""

    __slots__ = ("typeset", "last_bssid", "probed", "clients", "ap", "d11_datasize",
                 "d11_datasize_retry", "num_fragments", "num_retries")  # fmt: skip

    def __init__(self, mac: bytes, phy: Dot11Phy, sec: int, type_string: str,
                 manuf: str) -> None:
        super().__init__(mac, phy, sec, type_string, manuf)
        self.typeset = 0
        self.last_bssid: bytes | None = None
        self.probed: dict[bytes, ProbedSsid] | None = None
        self.clients: dict[bytes, ClientRecord] | None = None
        self.ap: ApState | None = None
        self.d11_datasize = 0
        self.d11_datasize_retry = 0
        self.num_fragments = 0
        self.num_retries = 0

    def handshake_frames(self, client: bytes | None = None) -> list[tuple[float, int, bytes]]:
        """Beacon snapshot, then EAPOL key frames (of one client or all), by time."""
        ap = self.ap
        if ap is None or not ap.handshakes:
            return []
        if client is None:
            keys = [k for ks in ap.handshakes.values() for k in ks]
        else:
            keys = list(ap.handshakes.get(client, ()))
        if not keys:
            return []
        frames = sorted((k.frame for k in keys), key=lambda f: f[0])
        return ([ap.beacon] if ap.beacon is not None else []) + frames

    def pmkid_frame(self) -> tuple[float, int, bytes] | None:
        """The first EAPOL key frame that carried an RSN PMKID, ``(ts, dlt, data)``."""
        ap = self.ap
        if ap is None or not ap.handshakes:
            return None
        keys = [k for ks in ap.handshakes.values() for k in ks if k.pmkid]
        return min((k.frame for k in keys), key=lambda f: f[0]) if keys else None

    def beacon_snapshot(self) -> tuple[float, int, bytes] | None:
        """The last beacon whose contents changed, ``(ts, dlt, data)``."""
        return None if self.ap is None else self.ap.beacon


def _valid(mac: bytes | None) -> bool:
    """A unicast, non-empty address (Kismet makes devices of no others)."""
    return mac is not None and not mac[0] & 1 and mac != EMPTY_MAC


def _count_freq(freqs: list[int], khz: int) -> None:
    """Count a packet at ``khz`` in a flat ``[kHz, count, ...]`` list."""
    i = 0
    while True:
        try:
            i = freqs.index(khz, i)
        except ValueError:
            freqs.append(khz)
            freqs.append(1)
            return
        if not i & 1:
            freqs[i + 1] += 1
            return
        i += 1  # a count that happens to equal khz


def _beacon_rate(interval: int) -> int:
    """Kismet's beacons per second for a beacon interval in TU."""
    return math.ceil(1.0 / (interval * 1024 / 1_000_000)) if interval else 0


def _request_facts(ies: IESet) -> tuple[bytes, int, int, bool, bool, Any]:
    """Raw SSID, crypt set (without, with the privacy bit), MFP required, MFP capable
    and WPS of a request's IEs: facts of the shared IE set, worked out once per set."""
    rsn = ies.rsn
    return (ies.ssid or b"", ies.crypt_set(False), ies.crypt_set(True),
            bool(rsn is not None and rsn.mfpr), bool(rsn is not None and rsn.mfpc), ies.wps)


class Dot11Phy:
    """The 802.11 phy handler and chain subscriber (call it with a packet)."""

    name = PHY_NAME

    def __init__(self, tracker: DeviceTracker, phy_id: int = 0) -> None:
        self.tracker = tracker
        self.phy_id = phy_id
        #: Called with ("advertised" | "responded" | "probed", device, record, raw
        #: SSID bytes) for every SSID a device shows for the first time.
        self.ssid_hooks: list[Callable[[str, Dot11Device, Any, bytes], None]] = []
        self.phash = phy_hash(PHY_NAME)
        self.spkey = spkey_text(self.phash)
        self.devices: dict[bytes, Dot11Device] = {}
        #: Devices with an access-point typeset bit (the AP view's index).
        self.access_points: dict[bytes, Dot11Device] = {}
        self.packets = 0
        self._manuf = tracker.manuf.lookup
        self._sec = 0
        self._wall = 0
        self._clock = tracker.wall_seconds
        #: frequency (MHz) -> (kHz, interned channel)
        self._radio_of: dict[int, tuple[int, str]] = {}
        #: WPS UUID-E -> MACs that probed with it
        self._uuid_owners: dict[str, list[bytes]] = {}
        # per-packet state read by _sender, _receiver, _member and _common
        self._source: Any = None
        self._src: bytes | None = None
        self._dst: bytes | None = None
        self._tx: bytes | None = None
        self._is_data = False
        self._dsize = 0
        self._prot = False
        self._crypt = 0
        self._khz = 0
        self._chan = ""
        self._sig: int | None = None
        self._noise: int | None = None
        self._loc: Any = None
        self._locations = tracker.location_factory

    def forget(self, device: Device) -> None:
        """Drop an expired device from the AP index."""
        self.access_points.pop(device.mac, None)

    # -- the chain subscriber ---------------------------------------------------

    def __call__(self, packet: Packet) -> None:
        if packet.error:
            return
        d = packet.decoded
        if d is None:
            return
        self.packets += 1
        ftype = d.type
        if ftype != TYPE_MGMT and ftype != TYPE_DATA:
            return
        sec = int(packet.ts)
        if sec != self._sec:
            # The server clock is read once per packet second: mod_time is a
            # second-resolution value and a clock read per frame costs.
            self._sec = sec
            self.tracker.saw_packet(sec)
            wall = int(self._clock())
            if wall != self._wall:
                self._wall = wall
        self._source = packet.source
        self._loc = packet.location if self._locations is not None else None
        freq, sig, noise = d.radio_levels()
        if freq:
            radio = self._radio_of.get(freq)
            if radio is None:
                radio = self._radio_for(d, freq)
            self._khz, self._chan = radio
        else:
            self._khz = 0
            channel = d.radio_channel
            self._chan = self.tracker.intern(str(channel)) if channel else ""
        if sig is not None:
            self._sig = _DBM[sig + 256] if -256 <= sig < 256 else sig
            self._noise = _DBM[noise + 256] if noise is not None and -256 <= noise < 256 else noise
        else:
            self._sig = None
            self._noise = None
        if ftype == TYPE_DATA:
            self._data(d, packet)
        else:
            sub = d.subtype
            if sub == _ST_BEACON:
                if not self._beacon(d, packet):
                    self._mgmt(d, packet)
            elif sub != _ST_PROBE_REQ or not self._probe_request(d):
                self._mgmt(d, packet)

    def _radio_for(self, d: Any, freq: int) -> tuple[int, str]:
        """``(kHz, channel)`` of a frequency, as the first packet on it gives them."""
        channel = d.radio_channel
        radio = self._radio_of[freq] = (freq * 1000,
                                        self.tracker.intern(str(channel)) if channel else "")
        return radio

    # -- update_common_device ------------------------------------------------------
    #
    # _sender, _receiver and _member are _common for the three roles a device has
    # in a frame with at most three addresses (the generic one serves WDS frames):
    # the transmitter (_PACKETS | _SEENBY, radio optional, counted as sent), the
    # destination (_PACKETS | _SEENBY, counted as received) and a BSSID that did not
    # transmit (_SEENBY). They run for nearly every frame, hence the repetition.

    def _create(self, mac: bytes, type_string: str) -> Dot11Device:
        dev = Dot11Device(mac, self, self._sec, type_string, self._manuf(mac))
        self.devices[mac] = dev
        self.tracker.created(dev)
        return dev

    def _sender(self, mac: bytes, type_string: str, existing: bool,
                radio: bool) -> Dot11Device | None:
        sec = self._sec
        dev = self.devices.get(mac)
        if dev is None:
            if existing:
                return None
            dev = self._create(mac, type_string)
        elif sec > dev.last_time:
            dev.last_time = sec
        dev.mod_time = self._wall
        dev.packets += 1
        dev.tx_packets += 1
        if dev.rate_sec == sec:
            dev.rate_packets += 1
            dev.rate_bytes += self._dsize if self._is_data else 0
        else:
            dev.count_rate(sec, self._dsize if self._is_data else 0)
        if self._is_data:
            dev.data_packets += 1
            dev.datasize += self._dsize
            if self._prot:
                dev.crypt_packets += 1
        else:
            dev.llc_packets += 1
        if radio:
            khz = self._khz
            if khz:
                dev.frequency = khz
                freqs = dev.freqs
                if freqs is None:
                    dev.freqs = [khz, 1]
                elif freqs[0] == khz:
                    freqs[1] += 1
                else:
                    _count_freq(freqs, khz)
            sig = self._sig
            if sig is not None:
                dev.sig_last = sig
                low = dev.sig_min
                if low is None or sig < low:
                    dev.sig_min = sig
                high = dev.sig_max
                if high is None or sig > high:
                    dev.sig_max = sig
                noise = self._noise
                if noise is not None:
                    dev.noise_last = noise
                    low = dev.noise_min
                    if low is None or noise < low:
                        dev.noise_min = noise
                    high = dev.noise_max
                    if high is None or noise > high:
                        dev.noise_max = noise
            loc = self._loc
            if loc is not None:
                aggregate = dev.location
                if aggregate is None:
                    aggregate = dev.location = self._locations()  # type: ignore[misc]
                aggregate.add(loc)
        seen = dev.seenby
        if type(seen) is SeenBy and seen.source is self._source:
            seen.last_time = sec
            seen.packets += 1
        else:
            self._seen(dev, sec)
        crypt = self._crypt
        if crypt:
            dev.basic_crypt_set |= crypt
        return dev

    def _receiver(self, mac: bytes, type_string: str, existing: bool) -> Dot11Device | None:
        sec = self._sec
        dev = self.devices.get(mac)
        if dev is None:
            if existing:
                return None
            dev = self._create(mac, type_string)
        elif sec > dev.last_time:
            dev.last_time = sec
        dev.mod_time = self._wall
        dev.packets += 1
        dev.rx_packets += 1
        if dev.rate_sec == sec:
            dev.rate_packets += 1
            dev.rate_bytes += self._dsize if self._is_data else 0
        else:
            dev.count_rate(sec, self._dsize if self._is_data else 0)
        if self._is_data:
            dev.data_packets += 1
            dev.datasize += self._dsize
            if self._prot:
                dev.crypt_packets += 1
        else:
            dev.llc_packets += 1
        seen = dev.seenby
        if type(seen) is SeenBy and seen.source is self._source:
            seen.last_time = sec
            seen.packets += 1
        else:
            self._seen(dev, sec)
        crypt = self._crypt
        if crypt:
            dev.basic_crypt_set |= crypt
        return dev

    def _member(self, mac: bytes, type_string: str, existing: bool) -> Dot11Device | None:
        sec = self._sec
        dev = self.devices.get(mac)
        if dev is None:
            if existing:
                return None
            dev = self._create(mac, type_string)
        elif sec > dev.last_time:
            dev.last_time = sec
        dev.mod_time = self._wall
        seen = dev.seenby
        if type(seen) is SeenBy and seen.source is self._source:
            seen.last_time = sec
            seen.packets += 1
        else:
            self._seen(dev, sec)
        crypt = self._crypt
        if crypt:
            dev.basic_crypt_set |= crypt
        return dev

    def _common(self, mac: bytes, flags: int, type_string: str) -> Dot11Device | None:
        sec = self._sec
        dev = self.devices.get(mac)
        if dev is None:
            if flags & _EXISTING:
                return None
            dev = Dot11Device(mac, self, sec, type_string, self._manuf(mac))
            self.devices[mac] = dev
            self.tracker.created(dev)
        elif sec > dev.last_time:
            dev.last_time = sec
        dev.mod_time = self._wall
        if flags & _PACKETS:
            dev.packets += 1
            if dev.rate_sec == sec:
                dev.rate_packets += 1
                dev.rate_bytes += self._dsize if self._is_data else 0
            else:
                dev.count_rate(sec, self._dsize if self._is_data else 0)
            if mac == self._src or mac == self._tx:
                dev.tx_packets += 1
            elif mac == self._dst:
                dev.rx_packets += 1
            if self._is_data:
                dev.data_packets += 1
                dev.datasize += self._dsize
                if self._prot:
                    dev.crypt_packets += 1
            else:
                dev.llc_packets += 1
        if flags & _RADIO:
            khz = self._khz
            if khz:
                dev.frequency = khz
                freqs = dev.freqs
                if freqs is None:
                    dev.freqs = [khz, 1]
                elif freqs[0] == khz:
                    freqs[1] += 1
                else:
                    _count_freq(freqs, khz)
            sig = self._sig
            if sig is not None:
                dev.sig_last = sig
                if dev.sig_min is None or sig < dev.sig_min:
                    dev.sig_min = sig
                if dev.sig_max is None or sig > dev.sig_max:
                    dev.sig_max = sig
                noise = self._noise
                if noise is not None:
                    dev.noise_last = noise
                    if dev.noise_min is None or noise < dev.noise_min:
                        dev.noise_min = noise
                    if dev.noise_max is None or noise > dev.noise_max:
                        dev.noise_max = noise
            loc = self._loc
            if loc is not None:
                aggregate = dev.location
                if aggregate is None:
                    aggregate = dev.location = self._locations()  # type: ignore[misc]
                aggregate.add(loc)
        if flags & _SEENBY:
            source = self._source
            seen = dev.seenby
            if type(seen) is SeenBy and seen.source is source:
                seen.last_time = sec
                seen.packets += 1
            else:
                self._seen(dev, sec)
        if self._crypt:
            dev.basic_crypt_set |= self._crypt
        return dev

    def _seen(self, dev: Dot11Device, sec: int) -> None:
        source = self._source
        seen = dev.seenby
        if type(seen) is SeenBy and (seen.source is source or seen.source.uuid == source.uuid):
            entry = seen
        elif seen is None:
            entry = dev.seenby = SeenBy(source, sec)
            self.tracker.note_source(source)
        else:
            entry = self._seen_slow(dev, source, sec)
        entry.last_time = sec
        entry.packets += 1

    def _seen_slow(self, dev: Dot11Device, source: Source, sec: int) -> SeenBy:
        seen = dev.seenby
        entries = [seen] if type(seen) is SeenBy else list(seen)  # type: ignore[arg-type]
        for entry in entries:
            if entry.source is source or entry.source.uuid == source.uuid:
                return entry
        entry = SeenBy(source, sec)
        entries.append(entry)
        dev.seenby = entries
        self.tracker.note_source(source)
        return entry

    def _set_typeset(self, dev: Dot11Device, bits: int) -> None:
        if not dev.typeset & AP_TYPESET and bits & AP_TYPESET:
            self.access_points[dev.mac] = dev
        dev.typeset |= bits

    def _radio_channel(self, dev: Dot11Device) -> None:
        """Kismet sets the channel from the capture header unless an advertised one holds."""
        chan = self._chan
        if chan and (dev.ap is None or not dev.ap.adv_channel):
            dev.channel = chan

    # -- management frames ------------------------------------------------------------

    def _mgmt(self, d: Any, packet: Packet) -> None:
        sub = d.subtype
        bssid = d.addr3
        src = d.addr2
        dst = d.addr1
        self._is_data = False
        self._crypt = 0
        protected = d.flags & 0x40
        ibss = False
        privacy = False
        distrib = DISTRIB_TO if sub == _ST_PROBE_REQ else DISTRIB_UNKNOWN
        if not protected:
            rel = _CAP_OFFSET[sub]
            if rel >= 0:
                offset = d.body_offset + rel
                if offset + 2 <= d.end:
                    cap = _U16.unpack_from(d.raw, offset)[0]
                    ibss = bool(cap & 0x02)
                    privacy = bool(cap & 0x10)
                    if ibss and not cap & 0x01:
                        distrib = DISTRIB_ADHOC
        bssid_dev = src_dev = dst_dev = None
        if bssid is not None and not bssid[0] & 1 and bssid != EMPTY_MAC:
            if src == bssid:
                bssid_dev = self._sender(bssid, TYPE_DEVICE, False, True)
            else:
                bssid_dev = self._member(bssid, TYPE_DEVICE, False)
        if src != bssid and src is not None and not src[0] & 1 and src != EMPTY_MAC:
            src_dev = self._sender(src, TYPE_DEVICE, False, True)
        if dst != src and dst != bssid and not dst[0] & 1 and dst != EMPTY_MAC:
            dst_dev = self._receiver(dst, TYPE_INFERRED, False)
        chan = self._chan

        if bssid_dev is not None:
            bssid_dev.last_bssid = bssid
            ap = bssid_dev.ap
            if chan and (ap is None or not ap.adv_channel):
                bssid_dev.channel = chan
            if sub == _ST_BEACON and distrib != DISTRIB_ADHOC and not protected:
                if d.body_offset + 8 <= d.end:
                    if ap is None:
                        ap = self._ap(bssid_dev)
                    ap.bss_timestamp = _U64.unpack_from(d.raw, d.body_offset)[0]
            if ibss:
                bssid_dev.basic_type_set |= BASICTYPE_PEER
                bssid_dev.type_string = TYPE_ADHOC
                self._set_typeset(bssid_dev, TYPESET_ADHOC)
            else:
                basic = bssid_dev.basic_type_set | BASICTYPE_AP
                bssid_dev.basic_type_set = basic
                if basic & (BASICTYPE_AP | BASICTYPE_PEER) != (BASICTYPE_AP | BASICTYPE_PEER):
                    bssid_dev.type_string = TYPE_AP
            if sub == _ST_BEACON:
                self._handle_ssid(bssid_dev, d, packet, True, privacy)
                (bssid_dev.ap or self._ap(bssid_dev)).last_beacon_timestamp = self._sec
                if not bssid_dev.typeset & TYPESET_BEACON_AP:
                    self._set_typeset(bssid_dev, TYPESET_BEACON_AP)
            elif sub == _ST_PROBE_RESP:
                self._handle_ssid(bssid_dev, d, packet, False, privacy)
                if not bssid_dev.typeset & TYPESET_PROBE_AP:
                    self._set_typeset(bssid_dev, TYPESET_PROBE_AP)

        if src_dev is not None:
            src_dev.last_bssid = bssid if bssid_dev is not None else EMPTY_MAC
            if chan:
                ap = src_dev.ap
                if ap is None or not ap.adv_channel:
                    src_dev.channel = chan
            if ibss:
                src_dev.basic_type_set |= BASICTYPE_PEER
                src_dev.type_string = TYPE_ADHOC
                self._set_typeset(src_dev, TYPESET_ADHOC)
            else:
                basic = src_dev.basic_type_set
                if not basic & (BASICTYPE_CLIENT | BASICTYPE_AP):
                    src_dev.type_string = TYPE_CLIENT
                src_dev.basic_type_set = basic | BASICTYPE_CLIENT
            if sub == _ST_PROBE_REQ or sub == _ST_ASSOC_REQ or sub == _ST_REASSOC_REQ:
                self._handle_probed(src_dev, d, sub, privacy)

        if dst_dev is not None:
            if bssid_dev is not None:
                dst_dev.last_bssid = bssid
            if not dst_dev.basic_type_set & (BASICTYPE_CLIENT | BASICTYPE_AP):
                dst_dev.type_string = TYPE_CLIENT
            dst_dev.basic_type_set = (dst_dev.basic_type_set & ~BASICTYPE_WIRED) | BASICTYPE_CLIENT

        if bssid_dev is not None:
            if src_dev is not None:
                self._client(bssid_dev, src_dev, d, DISTRIB_UNKNOWN)
            if dst_dev is not None and sub != _ST_PROBE_RESP:
                self._client(bssid_dev, dst_dev, d, DISTRIB_UNKNOWN)
            if sub == _ST_DISASSOC or sub == _ST_DEAUTH:
                ap = bssid_dev.ap or self._ap(bssid_dev)
                now = self.tracker.packet_time
                if now - ap.disconnects_last > 1:
                    ap.disconnects = 1
                else:
                    ap.disconnects += 1
                ap.disconnects_last = now

    # _beacon and _probe_request are _mgmt for the two commonest management frames
    # in their commonest shape, with the branches that cannot apply left out;
    # any other shape returns False and goes the generic way.

    def _beacon(self, d: Any, packet: Packet) -> bool:
        """A beacon from its BSSID to a group address, not IBSS."""
        bssid = d.addr3
        if d.addr2 != bssid or bssid[0] & 1 or bssid == EMPTY_MAC or d.flags & 0x40:
            return False
        dst = d.addr1
        if not dst[0] & 1 and dst != EMPTY_MAC and dst != bssid:
            return False
        # An unprotected beacon decodes only with all its fixed fields.
        stamp, _interval, cap = _BEACON_FIXED.unpack_from(d.raw, d.body_offset)
        if cap & 0x02:
            return False
        self._is_data = False
        self._crypt = 0
        dev: Dot11Device = self._sender(bssid, TYPE_DEVICE, False, True)  # type: ignore[assignment]
        dev.last_bssid = bssid
        ap = dev.ap
        if ap is None:
            ap = self._ap(dev)
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
        if hash(d.ies.raw) == ap.last_ies_hash and ap.last_kind is True:
            if rec is not None:
                if sec > rec.last_time:
                    rec.last_time = sec
                if sec == rec._bsec:
                    rec._bcount += 1
                else:
                    rec.count_beacon(sec)
        else:
            self._handle_ssid(dev, d, packet, True, bool(cap & 0x10))
        ap.last_beacon_timestamp = sec
        if not dev.typeset & TYPESET_BEACON_AP:
            self._set_typeset(dev, TYPESET_BEACON_AP)
        return True

    def _probe_request(self, d: Any) -> bool:
        """A probe request to group addresses (no BSSID, no destination device)."""
        src = d.addr2
        bssid = d.addr3
        dst = d.addr1
        if d.flags & 0x40 or src[0] & 1 or src == EMPTY_MAC:
            return False
        if not bssid[0] & 1 and bssid != EMPTY_MAC:
            return False
        if dst != src and not dst[0] & 1 and dst != EMPTY_MAC:
            return False
        self._is_data = False
        self._crypt = 0
        dev: Dot11Device = self._sender(src, TYPE_DEVICE, False, True)  # type: ignore[assignment]
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
        self._handle_probed(dev, d, _ST_PROBE_REQ, False)
        return True

    def _ap(self, dev: Dot11Device) -> ApState:
        ap = dev.ap = ApState()
        return ap

    def _handle_ssid(self, dev: Dot11Device, d: Any, packet: Packet, beacon: bool,
                     privacy: bool) -> None:
        ies = d.ies
        if ies is None:
            return
        ap = dev.ap or self._ap(dev)
        sec = self._sec
        ies_hash = hash(ies.raw)
        if ies_hash == ap.last_ies_hash and ap.last_kind is beacon:
            rec = ap.last_ssid
            if rec is not None:
                if sec > rec.last_time:
                    rec.last_time = sec
                if beacon:
                    # AdvertisedSsid.count_beacon, inlined for the repeated beacon.
                    if sec == rec._bsec:
                        rec._bcount += 1
                    else:
                        rec.count_beacon(sec)
            return
        ap.last_ies_hash = ies_hash
        ap.last_kind = beacon
        if beacon:
            ap.beacon = (packet.ts, packet.dlt, packet.data)
        advertised = ies.channel
        if advertised:
            chan = self.tracker.intern(str(advertised))
            ap.adv_channel = chan
            dev.channel = chan
        else:
            chan = self._chan
            if chan:
                dev.channel = chan
        raw = ies.ssid or b""
        if beacon:
            table = ap.advertised
            if table is None:
                table = ap.advertised = {}
        else:
            table = ap.responded
            if table is None:
                table = ap.responded = {}
        crypt = ies.crypt_set(privacy)
        rec = table.get(raw)
        new = False
        if rec is None:
            if len(table) >= MAX_SSIDS:
                return
            ssid = self.tracker.intern(ies.ssid_str)
            rec = table[raw] = AdvertisedSsid(raw, ssid, sec, crypt)
            dev.crypt_string = crypt_to_simple_string(crypt)
            if ssid:
                dev.name = ssid
            new = True
        elif sec > rec.last_time:
            rec.last_time = sec
        ap.last_ssid = rec
        if rec.crypt_set != crypt:
            rec.crypt_set = crypt
            dev.crypt_string = crypt_to_simple_string(crypt)
        if crypt:
            dev.basic_crypt_set |= BASICCRYPT_ENCRYPTED | BASICCRYPT_L2
        if chan:
            rec.channel = chan
        rsn = ies.rsn
        rec.mfp_required = bool(rsn is not None and rsn.mfpr)
        rec.mfp_supported = bool(rsn is not None and rsn.mfpc)
        if beacon:
            rec.beacon = True
            rec.count_beacon(sec)
            mode = ies.ht_mode
            if mode:
                rec.ht_mode = _HT_NAMES.get(mode, mode)
            country = ies.country_code
            rec.country = country or ""
        else:
            rec.probe_response = True
        wps = ies.wps
        if wps is not None or rec.wps is not None:
            rec.wps = wps
        interval = d.beacon_interval
        if interval:
            rec.beaconrate = _beacon_rate(interval)
        rate = ies.max_rate
        if rate is not None:
            rec.maxrate = rate
        if new and self.ssid_hooks:
            self._new_ssid("advertised" if beacon else "responded", dev, rec, raw)

    def _new_ssid(self, kind: str, dev: Dot11Device, rec: Any, raw: bytes) -> None:
        for hook in list(self.ssid_hooks):
            try:
                hook(kind, dev, rec, raw)
            except Exception:
                _log.failure("SSID hook failed")

    def _handle_probed(self, dev: Dot11Device, d: Any, sub: int, privacy: bool) -> None:
        ies = d.ies
        if ies is None:
            return
        raw, open_crypt, private_crypt, mfp_required, mfp_supported, wps = ies.memo(
            "tracker.probe", _request_facts)
        probed = dev.probed
        if probed is None:
            probed = dev.probed = {}
        rec = probed.get(raw)
        sec = self._sec
        new = False
        if rec is None:
            if len(probed) >= MAX_PROBED:
                return
            rec = probed[raw] = ProbedSsid(raw, self.tracker.intern(ies.ssid_str), sec)
            new = True
        elif sec > rec.last_time:
            rec.last_time = sec
        if sub != _ST_PROBE_REQ and _valid(d.addr3):
            rec.bssid = d.addr3
        rec.crypt_set = private_crypt if privacy else open_crypt
        rec.mfp_required = mfp_required
        rec.mfp_supported = mfp_supported
        if wps is not None:
            if wps.uuid_e and (rec.wps is None or rec.wps.uuid_e != wps.uuid_e):
                self._relate_uuid(dev, wps.uuid_e)
            rec.wps = wps
        if new and self.ssid_hooks:
            self._new_ssid("probed", dev, rec, raw)

    def _relate_uuid(self, dev: Dot11Device, uuid_e: str) -> None:
        """Relate devices that probe with the same WPS UUID-E (``dot11_uuid_e``).

        Phones rotating random MACs often keep their WPS UUID-E, so this
        links the MACs of one device, as Kismet does.
        """
        owners = self._uuid_owners.get(uuid_e)
        if owners is None:
            if len(self._uuid_owners) >= _UUID_MAX:
                self._uuid_owners.clear()
            owners = self._uuid_owners[uuid_e] = []
        if dev.mac in owners or len(owners) >= _UUID_OWNERS_MAX:
            return
        key = dev.key
        for mac in owners:
            other = self.devices.get(mac)
            if other is not None:
                other.add_related("dot11_uuid_e", key)
                dev.add_related("dot11_uuid_e", other.key)
        owners.append(dev.mac)

    def _client(self, bssid_dev: Dot11Device, client: Dot11Device, d: Any,
                distrib: int) -> None:
        """Kismet's process_client: link a client and a BSSID both ways."""
        sec = self._sec
        bssid = bssid_dev.mac
        records = client.clients
        if records is None:
            records = client.clients = {}
        rec = records.get(bssid)
        if rec is None:
            rec = records[bssid] = ClientRecord(bssid, sec)
        elif sec > rec.last_time:
            rec.last_time = sec
        client.last_bssid = bssid
        if self._is_data:
            rec.ctype = distrib
            flags = d.flags
            if flags & 0x04:
                rec.fragments += 1
            if flags & 0x08:
                rec.retries += 1
                rec.datasize_retry += self._dsize
            rec.datasize += self._dsize
        ap = bssid_dev.ap or self._ap(bssid_dev)
        associated = ap.associated
        if associated is None:
            associated = ap.associated = {}
        if client.mac not in associated:
            associated[client.mac] = None

    # -- data frames --------------------------------------------------------------------

    def _data(self, d: Any, packet: Packet) -> None:
        fl = d.flags
        ds = fl & 0x03
        if ds == 3:
            self._data_wds(d, packet)
            return
        sub = d.subtype
        existing = sub == 4 or sub == 12
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
        self._is_data = True
        self._dsize = dsize
        self._prot = protected
        self._crypt = BASICCRYPT_ENCRYPTED | BASICCRYPT_L2 if protected else 0

        bssid_dev = src_dev = dst_dev = None
        if bssid is not None and not bssid[0] & 1 and bssid != EMPTY_MAC:
            if src == bssid:
                bssid_dev = self._sender(bssid, TYPE_DEVICE, existing, True)
            else:
                bssid_dev = self._member(bssid, TYPE_DEVICE, existing)
        if src != bssid and src is not None and not src[0] & 1 and src != EMPTY_MAC:
            src_dev = self._sender(src, TYPE_DEVICE, existing, distrib == DISTRIB_TO)
        if dst != src and dst != bssid and dst is not None and not dst[0] & 1 \
                and dst != EMPTY_MAC:
            dst_dev = self._receiver(dst, TYPE_INFERRED, existing)

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
            bssid_dev.d11_datasize += dsize
            if frag:
                bssid_dev.num_fragments += 1
            if retry:
                bssid_dev.num_retries += 1
                bssid_dev.d11_datasize_retry += dsize

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
            src_dev.d11_datasize += dsize
            if frag:
                src_dev.num_fragments += 1
            if retry:
                src_dev.num_retries += 1
                src_dev.d11_datasize_retry += dsize

        if dst_dev is not None:
            if distrib == DISTRIB_ADHOC:
                dst_dev.basic_type_set |= BASICTYPE_PEER
                dst_dev.type_string = TYPE_ADHOC
            elif dst_dev.basic_type_set == 0:
                dst_dev.type_string = TYPE_DEVICE
            dst_dev.d11_datasize += dsize
            if frag:
                dst_dev.num_fragments += 1
            if retry:
                dst_dev.num_retries += 1
                dst_dev.d11_datasize_retry += dsize

        if bssid_dev is not None:
            eapol_frame = (not protected and (sub == 0 or sub == 8)
                           and d.raw[offset + 6:offset + 8] == _EAPOL_TYPE)
            if src_dev is not None:
                self._client(bssid_dev, src_dev, d, distrib)
                if eapol_frame:
                    self._eapol(bssid_dev, src_dev, d, packet, distrib)
            if dst_dev is not None:
                self._client(bssid_dev, dst_dev, d, distrib)
                if eapol_frame:
                    self._eapol(bssid_dev, dst_dev, d, packet, distrib)

    def _data_wds(self, d: Any, packet: Packet) -> None:
        """4-address (WDS) data frames: transmitter and receiver are devices too."""
        sub = d.subtype
        fl = d.flags
        existing = _EXISTING if sub == 4 or sub == 12 else 0
        protected = bool(fl & 0x40)
        src = d.source
        dst = d.dest
        bssid = d.bssid
        distrib = DISTRIB_INTER
        tx = d.addr2
        rx = d.addr1
        dsize = d.body_len
        self._src = src
        self._dst = dst
        self._tx = tx
        self._is_data = True
        self._dsize = dsize
        self._prot = protected
        self._crypt = BASICCRYPT_ENCRYPTED | BASICCRYPT_L2 if protected else 0

        bssid_dev = src_dev = dst_dev = tx_dev = rx_dev = None
        if bssid is not None and not bssid[0] & 1 and bssid != EMPTY_MAC:
            flags = _SEENBY | existing | (_PACKETS | _RADIO if src == bssid else 0)
            bssid_dev = self._common(bssid, flags, TYPE_DEVICE)
        if src != bssid and src is not None and not src[0] & 1 and src != EMPTY_MAC:
            src_dev = self._common(src, _PACKETS | _SEENBY | existing, TYPE_DEVICE)
        if dst != src and dst != bssid and _valid(dst):
            dst_dev = self._common(dst, _SEENBY | _PACKETS | existing, TYPE_INFERRED)
        if tx is not None and tx != src and tx != dst and tx != bssid and _valid(tx):
            tx_dev = self._common(tx, _RADIO | _SEENBY | _PACKETS | existing, TYPE_DEVICE)
        if rx is not None and rx != src and rx != dst and rx != bssid and _valid(rx):
            rx_dev = self._common(rx, _SEENBY | _PACKETS | existing, TYPE_DEVICE)

        retry = fl & 0x08
        frag = fl & 0x04
        if bssid_dev is not None:
            bssid_dev.last_bssid = bssid_dev.mac
            self._radio_channel(bssid_dev)
            self._dot11_data(bssid_dev, dsize, frag, retry)

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
            self._dot11_data(src_dev, dsize, frag, retry)

        if dst_dev is not None:
            dst_dev.basic_type_set |= BASICTYPE_PEER
            if dst_dev.basic_type_set == BASICTYPE_PEER:
                dst_dev.type_string = TYPE_WDS
            self._dot11_data(dst_dev, dsize, frag, retry)

        for wds in (tx_dev, rx_dev):
            if wds is not None:
                if wds is tx_dev:
                    self._radio_channel(wds)
                wds.basic_type_set |= BASICTYPE_AP | BASICTYPE_PEER
                wds.type_string = TYPE_WDS_AP
                self._dot11_data(wds, dsize, frag, retry)

        eapol_frame = (not protected and (sub == 0 or sub == 8)
                       and d.raw[d.body_offset + 6:d.body_offset + 8] == _EAPOL_TYPE)
        if bssid_dev is not None:
            if src_dev is not None:
                self._client(bssid_dev, src_dev, d, distrib)
                if eapol_frame:
                    self._eapol(bssid_dev, src_dev, d, packet, distrib)
            if dst_dev is not None:
                self._client(bssid_dev, dst_dev, d, distrib)
                if eapol_frame:
                    self._eapol(bssid_dev, dst_dev, d, packet, distrib)
        if tx_dev is not None:
            if src_dev is not None:
                self._client(tx_dev, src_dev, d, distrib)
            if dst_dev is not None:
                self._client(tx_dev, dst_dev, d, distrib)

    @staticmethod
    def _dot11_data(dev: Dot11Device, dsize: int, frag: int, retry: int) -> None:
        dev.d11_datasize += dsize
        if frag:
            dev.num_fragments += 1
        if retry:
            dev.num_retries += 1
            dev.d11_datasize_retry += dsize

    def _eapol(self, bssid_dev: Dot11Device, client: Dot11Device, d: Any, packet: Packet,
               distrib: int) -> None:
        eapol = d.eapol
        if eapol is None or not eapol.is_key:
            return
        ap = bssid_dev.ap or self._ap(bssid_dev)
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
