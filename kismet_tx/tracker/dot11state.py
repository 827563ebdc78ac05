"""What the 802.11 phy keeps per device: the Wi-Fi device record and its parts.

:class:`Dot11Device` is the phy-generic :class:`~kismet_tx.tracker.device.Device`
plus ``dot11.device``: typeset bits, last BSSID, probed SSIDs, client records
and, for BSSIDs only, an :class:`ApState` (advertised and responded SSIDs,
associated clients, handshakes, the last changed beacon). The constants are
Kismet's (``phy_80211.h``): typeset bits, distribution directions, type strings.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Final

from kismet_tx.tracker.device import Device

if TYPE_CHECKING:
    from kismet_tx.dot11.vendor import WPSInfo
    from kismet_tx.tracker.device import Phy

PHY_NAME: Final = "IEEE802.11"

TYPESET_BEACON_AP: Final = 1
TYPESET_ADHOC: Final = 2
TYPESET_CLIENT: Final = 4
TYPESET_WIRED: Final = 8
TYPESET_WDS: Final = 16
TYPESET_TURBOCELL: Final = 32
TYPESET_INFERRED_WIRELESS: Final = 64
TYPESET_INFERRED_WIRED: Final = 128
TYPESET_PROBE_AP: Final = 256
#: Typeset bits that put a device in the ``phydot11_accesspoints`` view.
AP_TYPESET: Final = TYPESET_BEACON_AP | TYPESET_PROBE_AP | TYPESET_ADHOC

# Kismet's distribution directions (``dot11.eapol.direction``, ``dot11.client.type``).
DISTRIB_UNKNOWN: Final = 0
DISTRIB_FROM: Final = 1
DISTRIB_TO: Final = 2
DISTRIB_INTER: Final = 3
DISTRIB_ADHOC: Final = 4

TYPE_AP: Final = "Wi-Fi AP"
TYPE_CLIENT: Final = "Wi-Fi Client"
TYPE_BRIDGED: Final = "Wi-Fi Bridged"
TYPE_ADHOC: Final = "Wi-Fi Ad-Hoc"
TYPE_WDS: Final = "Wi-Fi WDS"
TYPE_WDS_AP: Final = "Wi-Fi WDS AP"
TYPE_DEVICE: Final = "Wi-Fi Device"
TYPE_INFERRED: Final = "Wi-Fi Device (Inferred)"

#: EAPOL-Key frames kept per AP and client.
MAX_EAPOL: Final = 16
#: Clients with a handshake list kept per AP.
MAX_HANDSHAKE_CLIENTS: Final = 256
#: Probed SSIDs kept per device.
MAX_PROBED: Final = 512
#: SSIDs kept per AP (advertised and responded each).
MAX_SSIDS: Final = 256

EMPTY_MAC: Final = bytes(6)
#: Kismet names VHT channel widths as HT ones in an advertised SSID.
HT_NAMES: Final = {"VHT80": "HT80", "VHT160": "HT160", "VHT80+80": "HT80+80"}


class AdvertisedSsid:
    """One SSID an AP beaconed (``advertised``) or answered probes for (``responded``)."""

    __slots__ = (
        "ssid", "ssidlen", "raw", "cloaked", "channel", "ht_mode", "crypt_set", "first_time",
        "last_time", "beacon", "probe_response", "beaconrate", "beacons_sec", "counting_sec",
        "counted_beacons", "maxrate", "mfp_required", "mfp_supported", "country", "wps",
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
        #: The second being counted, and its beacons so far (``count_beacon``).
        self.counting_sec = 0
        self.counted_beacons = 0
        self.maxrate = 0.0
        self.mfp_required = False
        self.mfp_supported = False
        self.country = ""
        self.wps: WPSInfo | None = None

    def count_beacon(self, sec: int) -> None:
        """One more beacon; ``beacons_sec`` is the count of the last whole second."""
        if sec != self.counting_sec:
            self.beacons_sec = self.counted_beacons if sec == self.counting_sec + 1 else 0
            self.counting_sec = sec
            self.counted_beacons = 0
        self.counted_beacons += 1


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
        self.wps: WPSInfo | None = None


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

    def __init__(self, mac: bytes, phy: Phy, sec: int, type_string: str,
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


def valid_mac(mac: bytes | None) -> bool:
    """A unicast, non-empty address (Kismet makes devices of no others)."""
    return mac is not None and not mac[0] & 1 and mac != EMPTY_MAC


def count_freq(freqs: list[int], khz: int) -> None:
    """Count a packet at ``khz`` in a flat ``[kHz, count, ...]`` list.

    Only the kHz slots are compared (a count that equals a frequency is not
    one), on C ints in compiled code; a frequency new to the device (a client
    scanning, 100k devices arriving) is found missing by that one scan.
    """
    n = len(freqs)
    i = 0
    while i < n:
        if freqs[i] == khz:
            freqs[i + 1] += 1
            return
        i += 2
    freqs.append(khz)
    freqs.append(1)


def beacon_rate(interval: int) -> int:
    """Kismet's beacons per second for a beacon interval in TU."""
    return math.ceil(1.0 / (interval * 1024 / 1_000_000)) if interval else 0


