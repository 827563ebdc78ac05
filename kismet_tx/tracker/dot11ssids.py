"""SSIDs in the 802.11 phy: what APs advertise and answer for, what devices probe for.

An AP's advertised (beacon) and responded (probe response) SSIDs are kept per
raw SSID, at most :data:`MAX_SSIDS` of each; a repeated beacon whose elements
did not change only counts (Kismet's IE checksum). A device's probed SSIDs
come from probe, association and reassociation requests. Devices probing
with one WPS UUID-E are related to each other (``dot11_uuid_e``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from twisted.logger import Logger

from kismet_tx.chain import Packet
from kismet_tx.dot11.crypt import crypt_to_simple_string
from kismet_tx.dot11.ies import IESet
from kismet_tx.dot11.packet import Dot11Packet
from kismet_tx.dot11.vendor import WPSInfo
from kismet_tx.tracker.device import (
    BASICCRYPT_ENCRYPTED,
    BASICCRYPT_L2,
)
from kismet_tx.tracker.dot11state import (
    HT_NAMES,
    MAX_PROBED,
    MAX_SSIDS,
    AdvertisedSsid,
    Dot11Device,
    ProbedSsid,
    beacon_rate,
    valid_mac,
)
from kismet_tx.tracker.dot11update import DeviceUpdate

_log: Final = Logger(namespace="kismet_tx.tracker")

ST_PROBE_REQ: Final = 4

#: WPS UUID-Es remembered for relating devices, and MACs kept per UUID-E.
_UUID_MAX: Final = 65536
_UUID_OWNERS_MAX: Final = 64

#: ``(kind, device, record, raw SSID)`` for every SSID a device shows for the first time.
SsidHook = Callable[[str, Dot11Device, Any, bytes], None]


def _request_facts(ies: IESet) -> tuple[bytes, int, int, bool, bool, WPSInfo | None]:
    """Raw SSID, crypt set (without, with the privacy bit), MFP required, MFP capable
    and WPS of a request's IEs: facts of the shared IE set, worked out once per set."""
    rsn = ies.rsn
    return (ies.ssid or b"", ies.crypt_set(False), ies.crypt_set(True),
            bool(rsn is not None and rsn.mfpr), bool(rsn is not None and rsn.mfpc), ies.wps)


class SsidUpdate(DeviceUpdate):
    """The phy's SSID maps and the hooks told of every new SSID."""

    def __init__(self, device_tracker: Any) -> None:
        super().__init__(device_tracker)
        #: Called for every SSID a device shows for the first time.
        self.ssid_hooks: list[SsidHook] = []
        #: WPS UUID-E -> MACs that probed with it
        self._uuid_owners: dict[str, list[bytes]] = {}

    def handle_advertised(self, dev: Dot11Device, d: Dot11Packet, packet: Packet,
                          beacon: bool, privacy: bool) -> None:
        """A beacon's or probe response's SSID, into the AP's advertised or responded map."""
        ies = d.ies
        if ies is None:
            return
        ap = self.ap_state(dev)
        sec = self._sec
        ies_hash = hash(ies.raw)
        if ies_hash == ap.last_ies_hash and ap.last_kind is beacon:
            last = ap.last_ssid
            if last is not None:
                if sec > last.last_time:
                    last.last_time = sec
                if beacon:
                    # AdvertisedSsid.count_beacon, inlined for the repeated beacon.
                    if sec == last.counting_sec:
                        last.counted_beacons += 1
                    else:
                        last.count_beacon(sec)
            return
        ap.last_ies_hash = ies_hash
        ap.last_kind = beacon
        if beacon:
            ap.beacon = (packet.ts, packet.dlt, packet.data)
        intern = self.device_tracker.intern
        advertised = ies.channel
        if advertised:
            chan = intern(str(advertised))
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
            ssid = intern(ies.ssid_str)
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
                rec.ht_mode = HT_NAMES.get(mode, mode)
            country = ies.country_code
            rec.country = country or ""
        else:
            rec.probe_response = True
        wps = ies.wps
        if wps is not None or rec.wps is not None:
            rec.wps = wps
        interval = d.beacon_interval
        if interval:
            rec.beaconrate = beacon_rate(interval)
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

    def handle_probed(self, dev: Dot11Device, d: Dot11Packet, sub: int, privacy: bool) -> None:
        """A request's SSID, into the device's probed map."""
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
            rec = probed[raw] = ProbedSsid(raw, self.device_tracker.intern(ies.ssid_str), sec)
            new = True
        elif sec > rec.last_time:
            rec.last_time = sec
        if sub != ST_PROBE_REQ and valid_mac(d.addr3):
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
