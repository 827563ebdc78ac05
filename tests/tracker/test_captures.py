"""Fidelity on real captures: our devices against tshark (truth.json) and real Kismet (kismet-k25).

For every capture in tests/data the tracker must find the access points tshark
finds (BSSID, SSIDs, hidden SSIDs, channel, encryption), the clients and their
BSSIDs, the EAPOL-Key messages per client, and the same devices, types,
typesets, crypt strings and probed SSIDs as Kismet 2025-09-R1. Every place we
deliberately differ from Kismet is listed in DIFFERENCES with the reason.
Packet counts are not compared: Kismet drops repeated identical frames as
duplicates before counting them, we count every frame the radio delivered.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest

from kismet_tx.tracker.dot11state import AP_TYPESET, Dot11Device
from tests.tracker.replay import DATA, Rig, make_rig

TRUTH = json.loads((DATA / "truth.json").read_text())["files"]
CAPTURES = sorted(TRUTH)
EMPTY = "00:00:00:00:00:00"

# Kismet reads the capability of (re)association requests 8 bytes too far, where
# a beacon keeps it: the SSID's text then sets "IBSS" ("eb" of "Neheb", "er" of
# "Coherer", "ne" of "testnetwork"), and client and AP get the Ad-Hoc type and
# typeset bit. We read the capability field itself: plain client, plain AP.
_ASSOC_CAPABILITY = "association request capability read at its real offset"
DIFFERENCES: dict[tuple[str, str, str], tuple[Any, Any, str]] = {
    ("aircrack-ng_n-02.cap", "2C:F0:A2:DD:BC:D0", "type"):
        ("Wi-Fi Ad-Hoc", "Wi-Fi Client", _ASSOC_CAPABILITY),
    ("aircrack-ng_n-02.cap", "2C:F0:A2:DD:BC:D0", "typeset"): (2, 0, _ASSOC_CAPABILITY),
    ("aircrack-ng_n-02.cap", "B0:B9:8A:56:8D:EA", "typeset"): (259, 257, _ASSOC_CAPABILITY),
    ("aircrack-ng_pmkid-not-recognized.cap", "8C:DE:F9:D0:B4:61", "typeset"):
        (259, 257, _ASSOC_CAPABILITY),
    ("fragattacks_eapol-inject-fromclient.pcapng", "64:70:02:2F:D7:67", "type"):
        ("Wi-Fi Ad-Hoc", "Wi-Fi Client", _ASSOC_CAPABILITY),
    ("fragattacks_eapol-inject-fromclient.pcapng", "64:70:02:2F:D7:67", "typeset"):
        (2, 0, _ASSOC_CAPABILITY),
    ("fragattacks_eapol-inject-fromclient.pcapng", "BC:AE:C5:88:8C:20", "typeset"):
        (259, 257, _ASSOC_CAPABILITY),
    ("john-samples_wpa-Induction.pcapng", "00:0D:93:82:36:3A", "type"):
        ("Wi-Fi Ad-Hoc", "Wi-Fi Client", _ASSOC_CAPABILITY),
    ("john-samples_wpa-Induction.pcapng", "00:0D:93:82:36:3A", "typeset"):
        (2, 0, _ASSOC_CAPABILITY),
    ("john-samples_wpa-Induction.pcapng", "00:0C:41:82:B2:55", "typeset"):
        (259, 257, _ASSOC_CAPABILITY),
    ("tcpdump_ieee802.11_exthdr.pcap", "90:A4:DE:C0:46:0A", "typeset"):
        (258, 256, _ASSOC_CAPABILITY),
    # The AP's frames carry an extended radiotap header that Kismet reads as
    # 51625 MHz; the AP advertises channel 1 (tshark's DS parameter set agrees).
    ("tcpdump_ieee802.11_exthdr.pcap", "90:A4:DE:C0:46:0A", "channel"):
        ("51625MHz", "1", "advertised channel, not a misread radio header"),
    # The client's last frames are its association request and null-data frames
    # to the AP, which name the AP as BSSID; Kismet still reports no BSSID.
    ("tcpdump_ieee802.11_exthdr.pcap", "90:A4:DE:C0:46:11", "last_bssid"):
        (EMPTY, "90:A4:DE:C0:46:0A", "the association names the AP"),
    # Kismet keeps the BSSID of this Sonos device's ad-hoc data frames (itself);
    # its last frames are probe requests, which name no BSSID, and we apply them.
    ("wifite2_handshake_not_exists.cap", "00:0E:58:F8:0B:B5", "last_bssid"):
        ("00:0E:58:F8:0B:B5", EMPTY, "the last frames are broadcast probe requests"),
}

# tshark's clients that are no device, in Kismet either: every frame of theirs
# is an error packet or a null-data frame (which only updates known devices).
NOT_DEVICES = {
    "john-samples_wpa-Induction.pcapng": {
        "00:0D:1D:06:E0:F2": "its one frame has a bad FCS",
        "4A:91:5A:A3:E4:0B": "its one frame has a bad FCS",
    },
    "wifite2_handshake_not_exists.cap": {
        "10:40:F3:93:13:FA": "null-data frames only",
        "3A:01:44:32:C8:5C": "null-data frames only",
    },
}

# Kismet has no Prism decoder and reports no device for this capture; we decode
# it and find tshark's AP and client.
EXTRA_DEVICES = {
    "aircrack-ng_wpa-prism.cap": {"00:09:5B:91:53:5D", "00:0D:93:EB:B0:8C"},
}

# EAPOL-Key message numbers per (BSSID, client), in capture order, from
#   tshark -r CAPTURE -Y "eapol.type == 3" -T fields -e wlan.bssid -e wlan.sa \
#          -e wlan.da -e wlan_rsna_eapol.keydes.msgnr
EAPOL = {
    "aircrack-ng_capture_wds-01.cap": {("00:11:22:00:00:00", "00:11:22:00:00:01"): [1, 2, 3, 4]},
    "aircrack-ng_n-02.cap": {("B0:B9:8A:56:8D:EA", "2C:F0:A2:DD:BC:D0"): [1, 2, 3, 4]},
    "aircrack-ng_pmkid-not-recognized.cap": {
        ("8C:DE:F9:D0:B4:61", "52:D2:F5:03:B7:1E"): [1, 3],
        ("8C:DE:F9:D0:B4:61", "36:CA:0B:23:C2:67"): [1, 3],
        ("8C:DE:F9:D0:B4:61", "AC:76:4C:E7:D2:A3"): [1, 2, 2, 3, 1, 3],
        ("8C:DE:F9:D0:B4:61", "28:6C:07:1B:DB:3D"): [1, 2, 3],
        ("8C:DE:F9:D0:B4:61", "00:9E:C8:E7:36:1C"): [1, 2, 3, 4],
        ("8C:DE:F9:D0:B4:61", "60:7E:A4:4C:EE:73"): [1, 1, 1, 1, 3, 3, 3],
        ("8C:DE:F9:D0:B4:61", "44:23:7C:DD:DD:0C"): [1, 3],
    },
    "aircrack-ng_wep_64_ptw_01.cap": {},
    "aircrack-ng_wpa-prism.cap": {("00:0D:93:EB:B0:8C", "00:09:5B:91:53:5D"): [1, 2, 3, 4]},
    "fragattacks_eapol-inject-fromclient.pcapng": {
        ("BC:AE:C5:88:8C:20", "64:70:02:2F:D7:67"): [1, 2, 2, 3, 4, 4]},
    "john-samples_wpa-Induction.pcapng": {("00:0C:41:82:B2:55", "00:0D:93:82:36:3A"): [1, 2, 3, 4]},
    "probingpatterns_iPhoneXR-L_anonymized.pcap": {},
    "tcpdump_ieee802.11_exthdr.pcap": {},
    "wifite2_handshake_not_exists.cap": {("00:1D:D5:9B:11:00", "54:35:30:23:62:8E"): [1]},
}

_ENCRYPTION_WORD = {"WPA2/RSN": ("WPA2", "WPA3"), "WPA1": ("WPA1",), "WEP": ("WEP",),
                    "OPEN": ("Open",)}


@cache
def replayed(capture: str) -> Rig:
    rig = make_rig()
    rig.replay(capture)
    return rig


def kismet(capture: str) -> dict[str, dict[str, Any]]:
    doc = json.loads((DATA / "kismet-k25" / f"{capture}.json").read_text())
    return {device["mac"]: device for device in doc["devices"]}


def ours(capture: str) -> dict[str, Dot11Device]:
    return {d.macaddr: d for d in replayed(capture).tracking.device_tracker.devices()}  # type: ignore[misc]


def summary(device: Dot11Device) -> dict[str, Any]:
    ap = device.ap
    ssids: set[str] = set()
    if ap is not None:
        for table in (ap.advertised, ap.responded):
            ssids.update(s.ssid for s in (table or {}).values())
    return {
        "type": device.type_string,
        "typeset": device.typeset,
        "crypt": device.crypt_string,
        "channel": device.channel,
        "ssids": sorted(ssids),
        "probed": sorted(p.ssid for p in (device.probed or {}).values()),
        "last_bssid": device.last_bssid.hex(":").upper() if device.last_bssid else EMPTY,
    }


def expected(capture: str, mac: str, field: str, kismet_value: Any) -> Any:
    difference = DIFFERENCES.get((capture, mac, field))
    if difference is None:
        return kismet_value
    assert kismet_value == difference[0], f"Kismet's value changed for {mac} {field}"
    return difference[1]


@pytest.mark.parametrize("capture", CAPTURES)
def test_same_devices_as_kismet(capture: str) -> None:
    want = set(kismet(capture)) | EXTRA_DEVICES.get(capture, set())
    assert set(ours(capture)) == want


@pytest.mark.parametrize("capture", CAPTURES)
@pytest.mark.parametrize("field", ["type", "typeset", "crypt", "ssids", "probed", "last_bssid"])
def test_device_fields_match_kismet(capture: str, field: str) -> None:
    mine = ours(capture)
    for mac, device in kismet(capture).items():
        value = device[field]
        if field in ("ssids", "probed"):
            value = sorted(set(value))
        assert summary(mine[mac])[field] == expected(capture, mac, field, value), mac


@pytest.mark.parametrize("capture", CAPTURES)
def test_access_point_channels_match_kismet(capture: str) -> None:
    mine = ours(capture)
    for mac, device in kismet(capture).items():
        if device["typeset"] & AP_TYPESET:
            want = expected(capture, mac, "channel", device["channel"])
            assert mine[mac].channel == want, mac


@pytest.mark.parametrize("capture", CAPTURES)
def test_access_points_match_tshark(capture: str) -> None:
    mine = ours(capture)
    access_points = replayed(capture).tracking.dot11.access_points
    networks = {b.upper(): n for b, n in TRUTH[capture]["networks"].items() if b.upper() != EMPTY}
    assert {d.macaddr for d in access_points.values()} == set(networks)
    for bssid, network in networks.items():
        device = mine[bssid]
        info = summary(device)
        assert [s for s in info["ssids"] if s] == sorted(network["ssids"]), bssid
        advertised = device.ap.advertised or {} if device.ap else {}
        assert any(s.cloaked for s in advertised.values()) == network["hidden_in_beacon"], bssid
        assert info["channel"] == str(network["ds_channels"][0]), bssid
        words = {w for kind in network["encryption"] for w in _ENCRYPTION_WORD[kind]}
        assert any(info["crypt"].startswith(w) for w in words), (bssid, info["crypt"])


@pytest.mark.parametrize("capture", CAPTURES)
def test_clients_and_their_bssids(capture: str) -> None:
    mine = ours(capture)
    truth = TRUTH[capture]
    if truth["bad_fcs_frames"] == truth["frames"]:
        assert not mine
        return
    missing = {c.upper() for c in truth["clients"]} - set(mine)
    assert missing == set(NOT_DEVICES.get(capture, {}))
    assert not missing & set(kismet(capture))
    for client in {c.upper() for c in truth["clients"]} - missing:
        assert mine[client].type_string in ("Wi-Fi Client", "Wi-Fi Ad-Hoc", "Wi-Fi WDS AP")
    # Each client is linked both ways with BSSIDs that are devices themselves
    # (last_bssid itself is compared with Kismet's in test_device_fields_match_kismet).
    devices = replayed(capture).tracking.dot11.devices
    for mac, device in mine.items():
        for bssid in device.clients or {}:
            ap = devices[bssid].ap
            assert ap is not None and ap.associated and device.mac in ap.associated, mac


@pytest.mark.parametrize("capture", CAPTURES)
def test_eapol_messages_per_client(capture: str) -> None:
    found = {}
    for device in ours(capture).values():
        if device.ap is not None and device.ap.handshakes:
            for client, keys in device.ap.handshakes.items():
                found[(device.macaddr, client.hex(":").upper())] = [k.message for k in keys]
    assert found == EAPOL[capture]


def test_bad_fcs_capture_makes_no_devices_and_counts_errors() -> None:
    rig = make_rig()
    errors = rig.replay("probingpatterns_iPhoneXR-L_anonymized.pcap")
    assert errors == TRUTH["probingpatterns_iPhoneXR-L_anonymized.pcap"]["bad_fcs_frames"]
    assert len(rig.tracking.device_tracker) == 0


def test_corrupt_frames_of_wpa_induction_are_errors() -> None:
    truth = TRUTH["john-samples_wpa-Induction.pcapng"]
    rig = make_rig()
    errors = rig.replay("john-samples_wpa-Induction.pcapng")
    corrupt = truth["frame_types"]["no_wlan_fc (unknown 802.11 protocol version / corrupt)"]
    assert errors == truth["bad_fcs_frames"] + corrupt
