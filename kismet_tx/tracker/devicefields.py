"""Every device field the tracker emits, declared for the field registry.

``/system/tracked_fields.html`` lists these: name, type and description of each
``kismet.device.base.*`` and ``dot11.*`` field a device record can carry.
"""

from __future__ import annotations

from typing import Final

from kismet_tx.fields import FieldDef

_F: Final = FieldDef

BASE_FIELDS: Final = (
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

SIGNAL_FIELDS: Final = (
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

SEENBY_FIELDS: Final = (
    _F("kismet.common.seenby.uuid", "uuid", "datasource UUID"),
    _F("kismet.common.seenby.source", "kismet.datasource", "the datasource's record"),
    _F("kismet.device.base.packets.rrd", "kismet.common.rrd", "packets per second, minute, hour"),
    _F("kismet.device.base.datasize.rrd", "kismet.common.rrd",
       "data bytes per second, minute, hour"),
    _F("kismet.common.seenby.first_time", "uint64", "first time seen by this source"),
    _F("kismet.common.seenby.last_time", "uint64", "last time seen by this source"),
    _F("kismet.common.seenby.num_packets", "uint64", "packets seen by this source"),
)

DOT11_FIELDS: Final = (
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

SSID_FIELDS: Final = (
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

PROBED_FIELDS: Final = (
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

CLIENT_FIELDS: Final = (
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

EAPOL_FIELDS: Final = (
    _F("dot11.eapol.timestamp", "double", "packet time"),
    _F("dot11.eapol.direction", "uint8", "1 from the AP, 2 to the AP, 3 WDS, 4 ad-hoc"),
    _F("dot11.eapol.message_num", "uint8", "4-way handshake message (1-4, 0 unknown)"),
    _F("dot11.eapol.replay_counter", "uint64", "key replay counter"),
    _F("dot11.eapol.install", "uint8", "install flag"),
    _F("dot11.eapol.nonce", "byte_array", "key nonce (hex)"),
    _F("dot11.eapol.rsn_pmkid", "byte_array", "PMKID from the key data (hex, empty if none)"),
)

PHY_FIELDS: Final = (
    _F("kismet.phy.phy_name", "string", "phy name"),
    _F("kismet.phy.phy_id", "int32", "phy id"),
    _F("kismet.phy.device_count", "uint64", "devices of this phy"),
    _F("kismet.phy.packet_count", "uint64", "packets handled by this phy"),
)

VIEW_FIELDS: Final = (
    _F("kismet.devices.view.id", "string", "view id"),
    _F("kismet.devices.view.description", "string", "view description"),
    _F("kismet.devices.view.size", "uint64", "devices in the view"),
    _F("kismet.devices.view.indexed", "uint8", "the view keeps its own index"),
)

DEVICE_FIELDS: Final = (BASE_FIELDS + SIGNAL_FIELDS + SEENBY_FIELDS + DOT11_FIELDS + SSID_FIELDS
                        + PROBED_FIELDS + CLIENT_FIELDS + EAPOL_FIELDS + PHY_FIELDS + VIEW_FIELDS)
