"""``dot11.device`` of a device record, and its SSID, client and EAPOL sub-records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kismet_tx.dot11.crypt import crypt_to_legacy, crypt_to_simple_string
from kismet_tx.keys import device_key, mac_str
from kismet_tx.tracker.dot11state import (
    AdvertisedSsid,
    ClientRecord,
    Dot11Device,
    EapolKey,
    ProbedSsid,
)
from kismet_tx.tracker.lazyrecord import LazyRecord
from kismet_tx.tracker.ssids import ssid_hash

_D = "dot11.device."


def _ap_count(attr: str) -> Callable[[Dot11Device, Any], int]:
    def count(d: Dot11Device, c: Any) -> int:
        ap = d.ap
        table = None if ap is None else getattr(ap, attr)
        return len(table) if table else 0

    return count


def _ap_value(attr: str) -> Callable[[Dot11Device, Any], int]:
    def value(d: Dot11Device, c: Any) -> int:
        return 0 if d.ap is None else getattr(d.ap, attr)

    return value


def _ap_has(attr: str) -> Callable[[Dot11Device], bool]:
    def has(d: Dot11Device) -> bool:
        return d.ap is not None and bool(getattr(d.ap, attr))

    return has


def _wps(wps: Any, prefix: str, full: bool) -> dict[str, Any]:
    if wps is None:
        return {}
    state = wps.kismet_state
    out: dict[str, Any] = {prefix + "wps_state": state}
    if full:
        out[prefix + "wps_version"] = wps.version or 0
        out[prefix + "wps_config_methods"] = wps.config_methods or 0
        out[prefix + "wps_device_name"] = wps.device_name or ""
    out[prefix + "wps_manuf"] = wps.manufacturer or ""
    out[prefix + "wps_model_name"] = wps.model_name or ""
    out[prefix + "wps_model_number"] = wps.model_number or ""
    out[prefix + "wps_serial_number"] = wps.serial_number or ""
    out[prefix + "wps_uuid_e"] = wps.uuid_e or ""
    return out


_AS = "dot11.advertisedssid."


def ssid_record(rec: AdvertisedSsid) -> dict[str, Any]:
    """``dot11.advertisedssid.*``."""
    out = {
        _AS + "ssid": rec.ssid,
        _AS + "ssidlen": rec.ssidlen,
        _AS + "ssid_hash": ssid_hash(rec.raw),
        _AS + "cloaked": int(rec.cloaked),
        _AS + "channel": rec.channel,
        _AS + "ht_mode": rec.ht_mode,
        _AS + "crypt_bitfield": rec.crypt_set,
        _AS + "crypt_set": crypt_to_legacy(rec.crypt_set),
        _AS + "crypt_string": crypt_to_simple_string(rec.crypt_set),
        _AS + "first_time": rec.first_time,
        _AS + "last_time": rec.last_time,
        _AS + "beacon": int(rec.beacon),
        _AS + "probe_response": int(rec.probe_response),
        _AS + "beaconrate": rec.beaconrate,
        _AS + "beacons_sec": rec.beacons_sec,
        _AS + "maxrate": rec.maxrate,
        _AS + "wpa_mfp_required": int(rec.mfp_required),
        _AS + "wpa_mfp_supported": int(rec.mfp_supported),
        _AS + "dot11d_country": rec.country,
    }
    out.update(_wps(rec.wps, _AS, True))
    return out


_PS = "dot11.probedssid."


def probed_record(rec: ProbedSsid) -> dict[str, Any]:
    """``dot11.probedssid.*``."""
    out: dict[str, Any] = {
        _PS + "ssid": rec.ssid,
        _PS + "ssidlen": rec.ssidlen,
        _PS + "bssid": mac_str(rec.bssid) if rec.bssid else "00:00:00:00:00:00",
        _PS + "first_time": rec.first_time,
        _PS + "last_time": rec.last_time,
        _PS + "crypt_bitfield": rec.crypt_set,
        _PS + "crypt_set": crypt_to_legacy(rec.crypt_set),
        _PS + "crypt_string": crypt_to_simple_string(rec.crypt_set) if rec.crypt_set else "",
        _PS + "wpa_mfp_required": int(rec.mfp_required),
        _PS + "wpa_mfp_supported": int(rec.mfp_supported),
    }
    out.update(_wps(rec.wps, _PS, False))
    return out


_CL = "dot11.client."


def client_record(rec: ClientRecord, spkey: str) -> dict[str, Any]:
    """``dot11.client.*``."""
    return {
        _CL + "bssid": mac_str(rec.bssid),
        _CL + "bssid_key": device_key(spkey, rec.bssid),
        _CL + "first_time": rec.first_time,
        _CL + "last_time": rec.last_time,
        _CL + "type": rec.ctype,
        _CL + "decrypted": 0,
        _CL + "datasize": rec.datasize,
        _CL + "datasize_retry": rec.datasize_retry,
        _CL + "num_fragments": rec.fragments,
        _CL + "num_retries": rec.retries,
    }


_EK = "dot11.eapol."


def eapol_record(key: EapolKey) -> dict[str, Any]:
    """``dot11.eapol.*`` (the frame itself is served by the handshake pcap)."""
    return {
        _EK + "timestamp": key.ts,
        _EK + "direction": key.direction,
        _EK + "message_num": key.message,
        _EK + "replay_counter": key.replay_counter,
        _EK + "install": int(key.install),
        _EK + "nonce": key.nonce.hex(),
        _EK + "rsn_pmkid": key.pmkid.hex() if key.pmkid else "",
    }


def _advertised(d: Dot11Device, c: Any) -> list[dict[str, Any]]:
    table = d.ap.advertised if d.ap is not None else None
    return [ssid_record(r) for r in (table or {}).values()]


def _responded(d: Dot11Device, c: Any) -> list[dict[str, Any]]:
    table = d.ap.responded if d.ap is not None else None
    return [ssid_record(r) for r in (table or {}).values()]


def _associated(d: Dot11Device, c: Any) -> dict[str, str]:
    spkey = d.phy.spkey
    table = d.ap.associated if d.ap is not None else None
    return {mac_str(m): device_key(spkey, m) for m in table or ()}


def _handshakes(d: Dot11Device, c: Any) -> dict[str, list[dict[str, Any]]]:
    table = d.ap.handshakes if d.ap is not None else None
    return {mac_str(m): [eapol_record(k) for k in keys] for m, keys in (table or {}).items()}


def packet_record(frame: tuple[float, int, bytes] | None) -> dict[str, Any]:
    """``kismet.packet.*`` of a kept frame ``(ts, dlt, data)``."""
    if frame is None:
        return {}
    ts, dlt, data = frame
    sec = int(ts)
    return {"kismet.packet.ts_sec": sec, "kismet.packet.ts_usec": int(round((ts - sec) * 1e6)),
            "kismet.packet.dlt": dlt, "kismet.packet.source": 0, "kismet.packet.data": data.hex()}


def _beaconed(d: Dot11Device) -> list[Any]:
    """The SSIDs a device advertised in beacons, else those it answered probes for."""
    ap = d.ap
    if ap is None:
        return []
    return list((ap.advertised or ap.responded or {}).values())


def _latest(records: list[Any]) -> Any:
    return max(records, key=lambda r: r.last_time)


class Dot11Record(LazyRecord):
    """``dot11.device``, built field by field on demand."""

    __slots__ = ()

    GETTERS: dict[str, Callable[[Any, Any], Any]] = {
        _D + "typeset": lambda d, c: d.typeset,
        _D + "num_client_aps": lambda d, c: len(d.clients) if d.clients else 0,
        _D + "num_advertised_ssids": _ap_count("advertised"),
        _D + "num_responded_ssids": _ap_count("responded"),
        _D + "num_probed_ssids": lambda d, c: len(d.probed) if d.probed else 0,
        _D + "num_associated_clients": _ap_count("associated"),
        _D + "client_disconnects": _ap_value("disconnects"),
        _D + "client_disconnects_last": _ap_value("disconnects_last"),
        _D + "bss_timestamp": _ap_value("bss_timestamp"),
        _D + "last_beacon_timestamp": _ap_value("last_beacon_timestamp"),
        _D + "num_fragments": lambda d, c: d.num_fragments,
        _D + "num_retries": lambda d, c: d.num_retries,
        _D + "datasize": lambda d, c: d.d11_datasize,
        _D + "datasize_retry": lambda d, c: d.d11_datasize_retry,
        _D + "last_bssid": lambda d, c: mac_str(d.last_bssid),
        _D + "advertised_ssid_map": _advertised,
        _D + "responded_ssid_map": _responded,
        _D + "probed_ssid_map": lambda d, c: [probed_record(r) for r in d.probed.values()],
        _D + "client_map": lambda d, c: {
            mac_str(m): client_record(r, d.phy.spkey) for m, r in d.clients.items()},
        _D + "associated_client_map": _associated,
        _D + "wpa_handshake_list": _handshakes,
        _D + "last_beaconed_ssid_record": lambda d, c: ssid_record(_latest(_beaconed(d))),
        _D + "last_probed_ssid_record": lambda d, c: probed_record(
            _latest(list(d.probed.values()))),
        _D + "pmkid_packet": lambda d, c: packet_record(d.pmkid_frame()),
    }
    PRESENT: dict[str, Callable[[Any], bool]] = {
        _D + "last_bssid": lambda d: d.last_bssid is not None,
        _D + "advertised_ssid_map": _ap_has("advertised"),
        _D + "responded_ssid_map": _ap_has("responded"),
        _D + "probed_ssid_map": lambda d: bool(d.probed),
        _D + "client_map": lambda d: bool(d.clients),
        _D + "associated_client_map": _ap_has("associated"),
        _D + "wpa_handshake_list": _ap_has("handshakes"),
        _D + "last_beaconed_ssid_record": lambda d: bool(_beaconed(d)),
        _D + "last_probed_ssid_record": lambda d: bool(d.probed),
        _D + "pmkid_packet": lambda d: d.pmkid_frame() is not None,
    }

