"""Device records in Kismet's dotted names, built lazily at request time.

:class:`DeviceRecord` is a read-only Mapping over one device: each top-level
field (``kismet.device.base.*``, ``dot11.device``) is computed only when it is
read, and ``dot11.device`` is itself a lazy Mapping. So ``fields`` with five
names over 100,000 devices builds five values per device and nothing else,
while a full record (``all_devices``, no ``fields``) is built one device at a
time as the serializer reaches it. Dynamic fields (Kismet leaves them out
when empty) are absent from iteration but a path to them still resolves to
``0`` through the field-spec engine.

Every name emitted here is declared in :data:`DEVICE_FIELDS` for the field
registry (``/system/tracked_fields.html``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from kismet_tx.dot11.crypt import crypt_to_legacy, crypt_to_simple_string
from kismet_tx.fields import FieldDef
from kismet_tx.keys import device_key, mac_str
from kismet_tx.tracker.devices import Device, DeviceTracker, SeenBy
from kismet_tx.tracker.dot11 import (
    AdvertisedSsid,
    ClientRecord,
    Dot11Device,
    EapolKey,
    ProbedSsid,
)
from kismet_tx.tracker.ssids import ssid_hash

_F = FieldDef

BASE_FIELDS = (
    _F("kismet.device.base.key", "string", "unique device key (phy hash and MAC)"),
    _F("kismet.device.base.macaddr", "mac_addr", "MAC address"),
    _F("kismet.device.base.phyname", "string", "phy name"),
    _F("kismet.device.base.name", "string", "device name (SSID of an AP, else the MAC)"),
    _F("kismet.device.base.username", "string", "name set by the user (set_name)"),
    _F("kismet.device.base.commonname", "string", "username, else name, else MAC"),
    _F("kismet.device.base.type", "string", "printable device type"),
    _F("kismet.device.base.basic_type_set", "uint64",
       "basic type bits: AP 1, client 2, wired 4, peer 8"),
    _F("kismet.device.base.crypt", "string", "printable encryption of the device"),
    _F("kismet.device.base.basic_crypt_set", "uint64",
       "basic encryption bits: encrypted 2, L2 4, L3 8, weak 16, decrypted 32"),
    _F("kismet.device.base.first_time", "uint64", "first time seen, packet time"),
    _F("kismet.device.base.last_time", "uint64", "last time seen, packet time"),
    _F("kismet.device.base.mod_time", "uint64", "server time of the last modification"),
    _F("kismet.device.base.packets.total", "uint64", "packets counted for the device"),
    _F("kismet.device.base.packets.rx_total", "uint64", "packets sent to the device"),
    _F("kismet.device.base.packets.tx_total", "uint64", "packets sent by the device"),
    _F("kismet.device.base.packets.llc", "uint64", "management and control packets"),
    _F("kismet.device.base.packets.error", "uint64",
       "error packets (always 0: error packets reach no device)"),
    _F("kismet.device.base.packets.data", "uint64", "data packets"),
    _F("kismet.device.base.packets.crypt", "uint64", "encrypted data packets"),
    _F("kismet.device.base.packets.filtered", "uint64", "filtered packets"),
    _F("kismet.device.base.datasize", "uint64", "data payload bytes"),
    _F("kismet.device.base.channel", "string", "channel (advertised, else from the radio)"),
    _F("kismet.device.base.frequency", "double", "last frequency, kHz"),
    _F("kismet.device.base.freq_khz_map", "doublemap[uint64]", "packets per frequency, kHz"),
    _F("kismet.device.base.signal", "kismet.common.signal", "signal records"),
    _F("kismet.device.base.manuf", "string", "manufacturer (OUI lookup)"),
    _F("kismet.device.base.num_alerts", "uint32", "alerts raised involving the device"),
    _F("kismet.device.base.tags", "stringmap", "user tags (set_tag)"),
    _F("kismet.device.base.seenby", "vector[kismet.common.seenby]",
       "datasources that saw the device"),
    _F("kismet.device.base.related_devices", "stringmap[vector[device_key]]",
       "related device keys by relationship"),
    _F("kismet.server.uuid", "uuid", "UUID of the server that tracks the device"),
    _F("dot11.device", "dot11.device", "IEEE802.11 device"),
)

SIGNAL_FIELDS = (
    _F("kismet.common.signal.type", "string", "signal type (dbm, rssi or none)"),
    _F("kismet.common.signal.last_signal", "int32", "most recent signal"),
    _F("kismet.common.signal.last_noise", "int32", "most recent noise"),
    _F("kismet.common.signal.min_signal", "int32", "minimum signal"),
    _F("kismet.common.signal.min_noise", "int32", "minimum noise"),
    _F("kismet.common.signal.max_signal", "int32", "maximum signal"),
    _F("kismet.common.signal.max_noise", "int32", "maximum noise"),
    _F("kismet.common.signal.maxseenrate", "double",
       "maximum observed data rate (not tracked per channel: 0)"),
    _F("kismet.common.signal.encodingset", "uint64", "bitset of observed encodings"),
    _F("kismet.common.signal.carrierset", "uint64", "bitset of observed carriers"),
)

SEENBY_FIELDS = (
    _F("kismet.common.seenby.uuid", "uuid", "datasource UUID"),
    _F("kismet.common.seenby.source", "kismet.datasource", "the datasource's record"),
    _F("kismet.device.base.packets.rrd", "kismet.common.rrd", "packets per second, minute, hour"),
    _F("kismet.device.base.datasize.rrd", "kismet.common.rrd",
       "data bytes per second, minute, hour"),
    _F("kismet.common.seenby.first_time", "uint64", "first time seen by this source"),
    _F("kismet.common.seenby.last_time", "uint64", "last time seen by this source"),
    _F("kismet.common.seenby.num_packets", "uint64", "packets seen by this source"),
)

DOT11_FIELDS = (
    _F("dot11.device.typeset", "uint64",
       "type bits: beacon AP 1, ad-hoc 2, client 4, wired 8, WDS 16, probe AP 256"),
    _F("dot11.device.num_client_aps", "uint64", "BSSIDs this device was a client of"),
    _F("dot11.device.num_advertised_ssids", "uint64", "advertised SSIDs"),
    _F("dot11.device.num_responded_ssids", "uint64", "SSIDs answered in probe responses"),
    _F("dot11.device.num_probed_ssids", "uint64", "probed SSIDs"),
    _F("dot11.device.num_associated_clients", "uint64", "associated clients"),
    _F("dot11.device.client_disconnects", "uint64", "recent deauth/disassoc run length"),
    _F("dot11.device.client_disconnects_last", "uint64", "time of the last deauth/disassoc"),
    _F("dot11.device.bss_timestamp", "uint64", "last BSS timestamp from a beacon"),
    _F("dot11.device.last_beacon_timestamp", "uint64", "time of the last beacon"),
    _F("dot11.device.num_fragments", "uint64", "fragmented data frames"),
    _F("dot11.device.num_retries", "uint64", "retried data frames"),
    _F("dot11.device.datasize", "uint64", "data bytes"),
    _F("dot11.device.datasize_retry", "uint64", "retried data bytes"),
    _F("dot11.device.last_bssid", "mac_addr", "last BSSID"),
    _F("dot11.device.last_beaconed_ssid_record", "dot11.advertisedssid",
       "the SSID last advertised (beacon, else probe response)"),
    _F("dot11.device.last_probed_ssid_record", "dot11.probedssid", "the SSID last probed for"),
    _F("dot11.device.pmkid_packet", "kismet.packet", "the EAPOL packet that carried a PMKID"),
    _F("kismet.packet.ts_sec", "uint64", "packet timestamp (second)"),
    _F("kismet.packet.ts_usec", "uint64", "packet timestamp (usec)"),
    _F("kismet.packet.dlt", "uint32", "packet DLT linktype"),
    _F("kismet.packet.source", "uint64", "packetsource id"),
    _F("kismet.packet.data", "byte_array", "packet data (hex)"),
    _F("dot11.device.advertised_ssid_map", "vector[dot11.advertisedssid]", "beaconed SSIDs"),
    _F("dot11.device.responded_ssid_map", "vector[dot11.advertisedssid]",
       "SSIDs answered in probe responses"),
    _F("dot11.device.probed_ssid_map", "vector[dot11.probedssid]", "probed SSIDs"),
    _F("dot11.device.client_map", "macmap[dot11.client]", "BSSIDs this device is a client of"),
    _F("dot11.device.associated_client_map", "macmap[device_key]", "associated clients"),
    _F("dot11.device.wpa_handshake_list", "macmap[vector[dot11.eapol.key]]",
       "EAPOL key frames per client"),
)

SSID_FIELDS = (
    _F("dot11.advertisedssid.ssid", "string", "SSID (printable)"),
    _F("dot11.advertisedssid.ssidlen", "uint32", "SSID length, bytes"),
    _F("dot11.advertisedssid.ssid_hash", "uint64", "SSID hash"),
    _F("dot11.advertisedssid.cloaked", "uint8", "hidden SSID (empty or all NUL)"),
    _F("dot11.advertisedssid.channel", "string", "advertised channel"),
    _F("dot11.advertisedssid.ht_mode", "string", "HT/VHT channel width"),
    _F("dot11.advertisedssid.crypt_bitfield", "uint64", "encryption bitset (dot11_crypt)"),
    _F("dot11.advertisedssid.crypt_set", "uint64", "legacy encryption bitset"),
    _F("dot11.advertisedssid.crypt_string", "string", "printable encryption"),
    _F("dot11.advertisedssid.first_time", "uint64", "first time seen"),
    _F("dot11.advertisedssid.last_time", "uint64", "last time seen"),
    _F("dot11.advertisedssid.beacon", "uint8", "seen in beacons"),
    _F("dot11.advertisedssid.probe_response", "uint8", "seen in probe responses"),
    _F("dot11.advertisedssid.beaconrate", "uint32", "beacons per second advertised"),
    _F("dot11.advertisedssid.beacons_sec", "uint32", "beacons seen in the last second"),
    _F("dot11.advertisedssid.maxrate", "double", "highest legacy rate, Mbit/s"),
    _F("dot11.advertisedssid.wpa_mfp_required", "uint8", "management frame protection required"),
    _F("dot11.advertisedssid.wpa_mfp_supported", "uint8", "management frame protection capable"),
    _F("dot11.advertisedssid.dot11d_country", "string", "802.11d country"),
    _F("dot11.advertisedssid.wps_state", "uint32", "WPS state bits"),
    _F("dot11.advertisedssid.wps_version", "uint8", "WPS version"),
    _F("dot11.advertisedssid.wps_config_methods", "uint16", "WPS configuration methods"),
    _F("dot11.advertisedssid.wps_device_name", "string", "WPS device name"),
    _F("dot11.advertisedssid.wps_manuf", "string", "WPS manufacturer"),
    _F("dot11.advertisedssid.wps_model_name", "string", "WPS model name"),
    _F("dot11.advertisedssid.wps_model_number", "string", "WPS model number"),
    _F("dot11.advertisedssid.wps_serial_number", "string", "WPS serial number"),
    _F("dot11.advertisedssid.wps_uuid_e", "string", "WPS UUID-E"),
)

PROBED_FIELDS = (
    _F("dot11.probedssid.ssid", "string", "probed SSID (printable, empty for wildcard)"),
    _F("dot11.probedssid.ssidlen", "uint32", "SSID length, bytes"),
    _F("dot11.probedssid.bssid", "mac_addr", "BSSID of an association request"),
    _F("dot11.probedssid.first_time", "uint64", "first time probed"),
    _F("dot11.probedssid.last_time", "uint64", "last time probed"),
    _F("dot11.probedssid.crypt_bitfield", "uint64", "requested encryption bitset"),
    _F("dot11.probedssid.crypt_set", "uint64", "legacy encryption bitset"),
    _F("dot11.probedssid.crypt_string", "string", "printable requested encryption"),
    _F("dot11.probedssid.wpa_mfp_required", "uint8", "management frame protection required"),
    _F("dot11.probedssid.wpa_mfp_supported", "uint8", "management frame protection capable"),
    _F("dot11.probedssid.wps_state", "uint32", "WPS state bits"),
    _F("dot11.probedssid.wps_manuf", "string", "WPS manufacturer"),
    _F("dot11.probedssid.wps_model_name", "string", "WPS model name"),
    _F("dot11.probedssid.wps_model_number", "string", "WPS model number"),
    _F("dot11.probedssid.wps_serial_number", "string", "WPS serial number"),
    _F("dot11.probedssid.wps_uuid_e", "string", "WPS UUID-E"),
)

CLIENT_FIELDS = (
    _F("dot11.client.bssid", "mac_addr", "BSSID"),
    _F("dot11.client.bssid_key", "device_key", "device key of the BSSID"),
    _F("dot11.client.first_time", "uint64", "first time seen with this BSSID"),
    _F("dot11.client.last_time", "uint64", "last time seen with this BSSID"),
    _F("dot11.client.type", "uint32",
       "direction of the last data frame: 0 none, 1 from-DS, 2 to-DS, 3 WDS, 4 ad-hoc"),
    _F("dot11.client.decrypted", "uint8", "decrypted (always 0)"),
    _F("dot11.client.datasize", "uint64", "data bytes"),
    _F("dot11.client.datasize_retry", "uint64", "retried data bytes"),
    _F("dot11.client.num_fragments", "uint64", "fragmented data frames"),
    _F("dot11.client.num_retries", "uint64", "retried data frames"),
)

EAPOL_FIELDS = (
    _F("dot11.eapol.timestamp", "double", "packet time"),
    _F("dot11.eapol.direction", "uint8", "1 from the AP, 2 to the AP, 3 WDS, 4 ad-hoc"),
    _F("dot11.eapol.message_num", "uint8", "4-way handshake message (1-4, 0 unknown)"),
    _F("dot11.eapol.replay_counter", "uint64", "key replay counter"),
    _F("dot11.eapol.install", "uint8", "install flag"),
    _F("dot11.eapol.nonce", "byte_array", "key nonce (hex)"),
    _F("dot11.eapol.rsn_pmkid", "byte_array", "PMKID from the key data (hex, empty if none)"),
)

PHY_FIELDS = (
    _F("kismet.phy.phy_name", "string", "phy name"),
    _F("kismet.phy.phy_id", "int32", "phy id"),
    _F("kismet.phy.device_count", "uint64", "devices of this phy"),
    _F("kismet.phy.packet_count", "uint64", "packets handled by this phy"),
)

VIEW_FIELDS = (
    _F("kismet.devices.view.id", "string", "view id"),
    _F("kismet.devices.view.description", "string", "view description"),
    _F("kismet.devices.view.size", "uint64", "devices in the view"),
    _F("kismet.devices.view.indexed", "uint8", "the view keeps its own index"),
)

DEVICE_FIELDS = (BASE_FIELDS + SIGNAL_FIELDS + SEENBY_FIELDS + DOT11_FIELDS + SSID_FIELDS
                 + PROBED_FIELDS + CLIENT_FIELDS + EAPOL_FIELDS + PHY_FIELDS + VIEW_FIELDS)

_B = "kismet.device.base."
_D = "dot11.device."


class LazyRecord(Mapping[str, Any]):
    """A Mapping whose values are computed by per-name getters on first read."""

    __slots__ = ("_obj", "_ctx")

    #: name -> getter(obj, ctx); subclasses fill it.
    GETTERS: dict[str, Callable[[Any, Any], Any]] = {}
    #: name -> predicate(obj): present (dynamic fields); absent means always present.
    PRESENT: dict[str, Callable[[Any], bool]] = {}
    #: Names whose getter returns another lazy record.
    NESTED: frozenset[str] = frozenset()
    #: ``(name, getter, predicate, nested)`` in field order, fixed with the subclass.
    _PLAN: tuple[tuple[str, Callable[[Any, Any], Any], Callable[[Any], bool] | None,
                       bool], ...] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._PLAN = tuple((name, getter, cls.PRESENT.get(name), name in cls.NESTED)
                          for name, getter in cls.GETTERS.items())

    def __init__(self, obj: Any, ctx: Any) -> None:
        self._obj = obj
        self._ctx = ctx

    def __getitem__(self, name: str) -> Any:
        getter = self.GETTERS.get(name)
        if getter is None:
            raise KeyError(name)
        present = self.PRESENT.get(name)
        if present is not None and not present(self._obj):
            raise KeyError(name)
        return getter(self._obj, self._ctx)

    def get(self, name: str, default: Any = None) -> Any:
        getter = self.GETTERS.get(name)
        if getter is None:
            return default
        present = self.PRESENT.get(name)
        if present is not None and not present(self._obj):
            return default
        return getter(self._obj, self._ctx)

    def __contains__(self, name: object) -> bool:
        if name not in self.GETTERS:
            return False
        present = self.PRESENT.get(name)  # type: ignore[arg-type]
        return present is None or present(self._obj)

    def __iter__(self) -> Iterator[str]:
        obj = self._obj
        present = self.PRESENT
        for name in self.GETTERS:
            check = present.get(name)
            if check is None or check(obj):
                yield name

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def to_dict(self) -> dict[str, Any]:
        """The whole record as plain dicts and lists, sub-records included.

        Serializers encode plain containers natively, so a full record goes out
        several times faster this way than through the Mapping protocol.
        """
        obj = self._obj
        ctx = self._ctx
        out: dict[str, Any] = {}
        for name, getter, present, nested in self._PLAN:
            if present is None or present(obj):
                value = getter(obj, ctx)
                out[name] = value.to_dict() if nested else value
        return out


def _signal(dev: Device, ctx: Any) -> dict[str, Any]:
    return {
        "kismet.common.signal.type": "dbm",
        "kismet.common.signal.last_signal": dev.sig_last or 0,
        "kismet.common.signal.last_noise": dev.noise_last or 0,
        "kismet.common.signal.min_signal": dev.sig_min or 0,
        "kismet.common.signal.min_noise": dev.noise_min or 0,
        "kismet.common.signal.max_signal": dev.sig_max or 0,
        "kismet.common.signal.max_noise": dev.noise_max or 0,
        "kismet.common.signal.maxseenrate": 0,
        "kismet.common.signal.encodingset": 0,
        "kismet.common.signal.carrierset": 0,
    }


def _freqs(dev: Device, ctx: Any) -> dict[str, int]:
    freqs = dev.freqs or []
    return {str(freqs[i]): freqs[i + 1] for i in range(0, len(freqs), 2)}


def _seenby(dev: Device, ctx: Any) -> list[dict[str, Any]]:
    return [seenby_record(s) for s in dev.seen_by()]


#: Datasource fields a device record leaves out: they name local files, and
#: device lists are public (``/datasource/by-uuid/U/source.json`` has them all).
_LOCAL_SOURCE_FIELDS = frozenset((
    "kismet.datasource.definition", "kismet.datasource.interface",
    "kismet.datasource.capture_interface"))
HIDDEN = "[hidden]"


def embedded_source(record: dict[str, Any]) -> dict[str, Any]:
    """A datasource's record as a device's seen-by entry embeds it: no file paths.

    A capture interface (``wlan0mon``) stays; a file source's path reads ``[hidden]``.
    """
    return {key: (HIDDEN if key in _LOCAL_SOURCE_FIELDS and isinstance(value, str)
                  and ("/" in value or key.endswith("definition")) else value)
            for key, value in record.items()}


def seenby_record(seen: SeenBy) -> dict[str, Any]:
    """``kismet.common.seenby.*``, with the datasource's record as Kismet embeds it."""
    source = seen.source
    describe = getattr(source, "record", None)
    return {
        "kismet.common.seenby.uuid": source.uuid,
        "kismet.common.seenby.source": (
            embedded_source(describe()) if describe is not None
            else {"kismet.datasource.uuid": source.uuid}),
        "kismet.common.seenby.first_time": seen.first_time,
        "kismet.common.seenby.last_time": seen.last_time,
        "kismet.common.seenby.num_packets": seen.packets,
    }


def _rrd(index: int) -> Callable[[Device, Any], dict[str, Any]]:
    def record(dev: Device, ctx: Any) -> dict[str, Any]:
        return dev.flush_rate()[index].record(ctx.wall_seconds())

    return record


class DeviceRecord(LazyRecord):
    """The Kismet record of one device, built field by field on demand."""

    __slots__ = ()

    GETTERS: dict[str, Callable[[Any, Any], Any]] = {
        _B + "key": lambda d, c: d.key,
        _B + "macaddr": lambda d, c: mac_str(d.mac),
        _B + "phyname": lambda d, c: d.phy.name,
        _B + "name": lambda d, c: d.name or mac_str(d.mac),
        _B + "username": lambda d, c: d.username,
        _B + "commonname": lambda d, c: d.commonname,
        _B + "type": lambda d, c: d.type_string,
        _B + "basic_type_set": lambda d, c: d.basic_type_set,
        _B + "crypt": lambda d, c: d.crypt_string,
        _B + "basic_crypt_set": lambda d, c: d.basic_crypt_set,
        _B + "first_time": lambda d, c: d.first_time,
        _B + "last_time": lambda d, c: d.last_time,
        _B + "mod_time": lambda d, c: d.mod_time,
        _B + "packets.total": lambda d, c: d.packets,
        _B + "packets.rx_total": lambda d, c: d.rx_packets,
        _B + "packets.tx_total": lambda d, c: d.tx_packets,
        _B + "packets.llc": lambda d, c: d.llc_packets,
        _B + "packets.error": lambda d, c: 0,
        _B + "packets.data": lambda d, c: d.data_packets,
        _B + "packets.crypt": lambda d, c: d.crypt_packets,
        _B + "packets.filtered": lambda d, c: 0,
        _B + "datasize": lambda d, c: d.datasize,
        _B + "channel": lambda d, c: d.channel,
        _B + "frequency": lambda d, c: d.frequency,
        _B + "freq_khz_map": _freqs,
        _B + "signal": _signal,
        _B + "manuf": lambda d, c: d.manuf,
        _B + "num_alerts": lambda d, c: d.num_alerts,
        _B + "tags": lambda d, c: dict(d.tags or {}),
        _B + "seenby": _seenby,
        _B + "related_devices": lambda d, c: {k: list(v) for k, v in (d.related or {}).items()},
        _B + "location": lambda d, c: d.location.record(),
        _B + "packets.rrd": _rrd(0),
        _B + "datasize.rrd": _rrd(1),
        "kismet.server.uuid": lambda d, c: c.server_uuid,
        "dot11.device": lambda d, c: Dot11Record(d, c),
    }
    PRESENT: dict[str, Callable[[Any], bool]] = {
        _B + "username": lambda d: d.username is not None,
        _B + "signal": lambda d: d.sig_last is not None,
        _B + "tags": lambda d: bool(d.tags),
        _B + "location": lambda d: d.location is not None,
        _B + "packets.rrd": lambda d: d.phy.tracker.track_rrds,
        _B + "datasize.rrd": lambda d: d.phy.tracker.track_rrds,
        "dot11.device": lambda d: isinstance(d, Dot11Device),
    }
    NESTED = frozenset({"dot11.device"})


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


def phy_record(phy: Any) -> dict[str, Any]:
    """``kismet.phy.*`` of one phy."""
    return {
        "kismet.phy.phy_name": phy.name,
        "kismet.phy.phy_id": phy.phy_id,
        "kismet.phy.device_count": len(phy.devices),
        "kismet.phy.packet_count": phy.packets,
    }


def record_of(tracker: DeviceTracker) -> Callable[[Device], DeviceRecord]:
    """A function giving the lazy record of a device of ``tracker``."""

    def record(device: Device) -> DeviceRecord:
        return DeviceRecord(device, tracker)

    return record
