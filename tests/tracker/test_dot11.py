"""The 802.11 phy on frames built in the test: Kismet's device semantics, one rule at a time."""

from __future__ import annotations

from typing import Any

from kismet_tx.tracker.dot11state import Dot11Device
from tests.dot11.builders import ctrl, ie, rt_basic
from tests.tracker.frames import (
    AP,
    AP2,
    DLT_80211,
    DLT_RADIOTAP,
    STA,
    STA2,
    WIRED,
    assoc_req,
    beacon,
    data_frame,
    deauth,
    eapol_key,
    probe_req,
    probe_resp,
    radio,
    rsn_ie,
    wds_frame,
    with_fcs,
    wpa_ie,
)
from tests.tracker.replay import OTHER_SOURCE, SOURCE, START, Rig, make_rig

T0 = 1_600_000_000.0


def feed(rig: Rig, *frames: bytes, dlt: int = DLT_RADIOTAP, t0: float = T0,
         step: float = 0.001) -> None:
    rig.feed(dlt, [(t0 + i * step, f) for i, f in enumerate(frames)])


def dev(rig: Rig, mac: bytes) -> Dot11Device:
    found = rig.tracking.device_tracker.by_mac(mac)
    assert found, f"no device {mac.hex(':')}"
    return found[0]  # type: ignore[return-value]


def rec(rig: Rig, mac: bytes) -> Any:
    return rig.tracking.record(dev(rig, mac))


def d11(rig: Rig, mac: bytes) -> Any:
    return rec(rig, mac)["dot11.device"]


def macs(rig: Rig) -> set[str]:
    return {d.macaddr for d in rig.tracking.device_tracker.devices()}


def test_beacon_makes_an_access_point() -> None:
    rig = make_rig()
    feed(rig, radio(beacon(security=rsn_ie()), freq=2437, signal=-48))
    record = rec(rig, AP)
    assert record["kismet.device.base.key"] == "4202770D00000000_332211CAC000"
    assert record["kismet.device.base.macaddr"] == "00:C0:CA:11:22:33"
    assert record["kismet.device.base.phyname"] == "IEEE802.11"
    assert record["kismet.device.base.type"] == "Wi-Fi AP"
    assert record["kismet.device.base.basic_type_set"] == 1
    assert record["kismet.device.base.crypt"] == "WPA2 WPA2-PSK AES-CCMP"
    assert record["kismet.device.base.name"] == "Home"
    assert record["kismet.device.base.commonname"] == "Home"
    assert record["kismet.device.base.channel"] == "6"
    assert record["kismet.device.base.frequency"] == 2437000
    assert record["kismet.device.base.freq_khz_map"] == {"2437000": 1}
    assert record["kismet.device.base.first_time"] == int(T0)
    assert record["kismet.device.base.last_time"] == int(T0)
    assert record["kismet.device.base.mod_time"] == int(START)
    assert record["kismet.device.base.packets.total"] == 1
    assert record["kismet.device.base.packets.tx_total"] == 1
    assert record["kismet.device.base.packets.llc"] == 1
    assert "Alfa" in record["kismet.device.base.manuf"]
    signal = record["kismet.device.base.signal"]
    assert signal["kismet.common.signal.last_signal"] == -48
    dot11 = record["dot11.device"]
    assert dot11["dot11.device.typeset"] == 1
    assert dot11["dot11.device.last_bssid"] == "00:C0:CA:11:22:33"
    [ssid] = dot11["dot11.device.advertised_ssid_map"]
    assert ssid["dot11.advertisedssid.ssid"] == "Home"
    assert ssid["dot11.advertisedssid.ssidlen"] == 4
    assert ssid["dot11.advertisedssid.cloaked"] == 0
    assert ssid["dot11.advertisedssid.channel"] == "6"
    assert ssid["dot11.advertisedssid.crypt_string"] == "WPA2 WPA2-PSK AES-CCMP"
    assert ssid["dot11.advertisedssid.beacon"] == 1
    assert ssid["dot11.advertisedssid.beaconrate"] == 10
    assert ssid["dot11.advertisedssid.maxrate"] == 18.0
    assert rig.tracking.dot11.access_points == {AP: dev(rig, AP)}


def test_crypt_strings_follow_kismet() -> None:
    rig = make_rig()
    feed(rig, radio(beacon(AP, ssid=b"wpa1", security=wpa_ie())),
         radio(beacon(AP2, ssid=b"wep", capability=0x0411)),
         radio(beacon(STA2, ssid=b"open", capability=0x0401)))
    assert rec(rig, AP)["kismet.device.base.crypt"] == "WPA1 WPA1-PSK TKIP"
    assert rec(rig, AP2)["kismet.device.base.crypt"] == "WEP"
    assert rec(rig, STA2)["kismet.device.base.crypt"] == "Open"


def test_hidden_ssids_are_cloaked_and_unnamed() -> None:
    rig = make_rig()
    feed(rig, radio(beacon(AP, ssid=b"")), radio(beacon(AP2, ssid=b"\0\0\0\0")))
    for mac in (AP, AP2):
        record = rec(rig, mac)
        [ssid] = record["dot11.device"]["dot11.device.advertised_ssid_map"]
        assert ssid["dot11.advertisedssid.cloaked"] == 1
        assert ssid["dot11.advertisedssid.ssid"] == ""
        assert record["kismet.device.base.name"] == record["kismet.device.base.macaddr"]
    [ssid] = d11(rig, AP2)["dot11.device.advertised_ssid_map"]
    assert ssid["dot11.advertisedssid.ssidlen"] == 4


def test_probe_request_makes_a_client_with_probed_ssids() -> None:
    rig = make_rig()
    feed(rig, radio(probe_req(STA, b"Corp")), radio(probe_req(STA, b"")))
    record = rec(rig, STA)
    assert record["kismet.device.base.type"] == "Wi-Fi Client"
    assert record["kismet.device.base.basic_type_set"] == 2
    assert record["kismet.device.base.channel"] == "6"
    dot11 = record["dot11.device"]
    assert dot11["dot11.device.typeset"] == 0
    assert dot11["dot11.device.last_bssid"] == "00:00:00:00:00:00"
    assert sorted(p["dot11.probedssid.ssid"] for p in dot11["dot11.device.probed_ssid_map"]) == [
        "", "Corp"]
    assert macs(rig) == {"A4:B1:C1:D1:E1:F1"}
    assert not rig.tracking.dot11.access_points


def test_probe_response_is_a_responded_ssid_and_maps_no_client() -> None:
    rig = make_rig()
    feed(rig, radio(probe_resp(AP, STA, b"Home")))
    dot11 = d11(rig, AP)
    assert dot11["dot11.device.typeset"] == 256
    assert [s["dot11.advertisedssid.ssid"] for s in dot11["dot11.device.responded_ssid_map"]] == [
        "Home"]
    assert "dot11.device.advertised_ssid_map" not in dot11
    assert "dot11.device.associated_client_map" not in dot11
    assert rec(rig, STA)["kismet.device.base.type"] == "Wi-Fi Client"
    assert rec(rig, STA)["kismet.device.base.packets.rx_total"] == 1


def test_to_ds_data_links_client_and_bssid() -> None:
    rig = make_rig()
    feed(rig, radio(data_frame(1, AP, STA, WIRED), signal=-61))
    client = rec(rig, STA)
    assert client["kismet.device.base.type"] == "Wi-Fi Client"
    assert client["kismet.device.base.packets.tx_total"] == 1
    assert client["kismet.device.base.packets.data"] == 1
    assert client["kismet.device.base.datasize"] == 36
    assert client["kismet.device.base.signal"]["kismet.common.signal.last_signal"] == -61
    clients = client["dot11.device"]["dot11.device.client_map"]
    assert list(clients) == ["00:C0:CA:11:22:33"]
    entry = clients["00:C0:CA:11:22:33"]
    assert entry["dot11.client.bssid_key"] == dev(rig, AP).key
    assert entry["dot11.client.type"] == 2
    assert client["dot11.device"]["dot11.device.last_bssid"] == "00:C0:CA:11:22:33"
    # The BSSID of to-DS data is not typed by it (Kismet: "Wi-Fi Device" until it beacons).
    ap = rec(rig, AP)
    assert ap["kismet.device.base.type"] == "Wi-Fi Device"
    # Kismet links both ends of the frame to the BSSID, the wired destination too.
    assert ap["dot11.device"]["dot11.device.associated_client_map"] == {
        "A4:B1:C1:D1:E1:F1": dev(rig, STA).key, "00:16:CB:01:02:03": dev(rig, WIRED).key}
    assert rec(rig, WIRED)["kismet.device.base.type"] == "Wi-Fi Device"
    assert rec(rig, WIRED)["kismet.device.base.packets.rx_total"] == 1


def test_from_ds_data_makes_ap_and_bridged_source() -> None:
    rig = make_rig()
    feed(rig, radio(data_frame(2, AP, src=WIRED, dst=STA)))
    assert rec(rig, AP)["kismet.device.base.type"] == "Wi-Fi AP"
    assert rec(rig, WIRED)["kismet.device.base.type"] == "Wi-Fi Bridged"
    assert rec(rig, WIRED)["kismet.device.base.basic_type_set"] == 4
    assert rec(rig, STA)["kismet.device.base.type"] == "Wi-Fi Device"


def test_wds_frames_make_wds_aps() -> None:
    rig = make_rig()
    feed(rig, wds_frame(AP, AP2, dst=b"\x33\x33\x00\x00\x00\x16", src=AP2),
         wds_frame(AP2, AP, dst=STA, src=AP), dlt=DLT_80211)
    assert rec(rig, AP)["kismet.device.base.type"] == "Wi-Fi WDS AP"
    assert rec(rig, AP2)["kismet.device.base.type"] == "Wi-Fi WDS AP"
    assert rec(rig, AP)["kismet.device.base.basic_type_set"] == 1 | 8
    assert rec(rig, AP)["kismet.device.base.crypt"] == ""


def test_null_data_only_updates_known_devices() -> None:
    rig = make_rig()
    null = data_frame(1, AP, STA, AP, body=b"", subtype=4)
    feed(rig, radio(null))
    assert not macs(rig)
    feed(rig, radio(probe_req(STA)), radio(null), t0=T0 + 5)
    assert rec(rig, STA)["kismet.device.base.packets.total"] == 2
    assert rec(rig, STA)["kismet.device.base.last_time"] == int(T0 + 5)


def test_error_packets_reach_no_device() -> None:
    rig = make_rig()
    bad = rt_basic(flags=0x10) + with_fcs(beacon(), good=False)
    good = rt_basic(flags=0x10) + with_fcs(beacon(AP2))
    errors = rig.feed(DLT_RADIOTAP, [(T0, bad), (T0, b"\x00\x00\x08\x00\x00\x00\x00\x00\x88")])
    assert errors == 2
    assert not macs(rig)
    assert rig.feed(DLT_RADIOTAP, [(T0, good)]) == 0
    assert macs(rig) == {"00:C0:CA:44:55:66"}


def test_control_frames_make_no_devices() -> None:
    rig = make_rig()
    feed(rig, ctrl(13, AP), ctrl(11, AP, STA), dlt=DLT_80211)
    assert not macs(rig)
    assert rig.tracking.dot11.packets == 2


def test_wpa_handshake_list_and_frames() -> None:
    rig = make_rig()
    pmkid = bytes(range(16))
    feed(rig, radio(beacon(security=rsn_ie())),
         radio(eapol_key(1, pmkid=pmkid)), radio(eapol_key(2)),
         radio(eapol_key(3, replay=2)), radio(eapol_key(4, replay=2)))
    keys = d11(rig, AP)["dot11.device.wpa_handshake_list"]["A4:B1:C1:D1:E1:F1"]
    assert [k["dot11.eapol.message_num"] for k in keys] == [1, 2, 3, 4]
    assert [k["dot11.eapol.direction"] for k in keys] == [1, 2, 1, 2]
    assert [k["dot11.eapol.replay_counter"] for k in keys] == [1, 1, 2, 2]
    assert [k["dot11.eapol.install"] for k in keys] == [0, 0, 1, 0]
    assert keys[0]["dot11.eapol.nonce"] == "01" * 32
    assert keys[0]["dot11.eapol.rsn_pmkid"] == pmkid.hex()
    assert keys[0]["dot11.eapol.timestamp"] == T0 + 0.001
    tracker = rig.tracking.device_tracker
    frames = tracker.handshake_frames(dev(rig, AP).key)
    assert [ts for ts, _, _ in frames] == [T0 + i * 0.001 for i in range(5)]
    assert {dlt for _, dlt, _ in frames} == {DLT_RADIOTAP}
    assert frames[0][2] == radio(beacon(security=rsn_ie()))
    assert tracker.handshake_frames(AP, STA) == frames
    assert tracker.handshake_frames(AP, STA2) == []
    assert tracker.handshake_frames("00:C0:CA:11:22:33") == frames
    assert tracker.handshake_frames("4202770D00000000_FFFFFF") == []
    assert tracker.beacon_snapshot(AP) == frames[0]


def test_handshake_lists_are_bounded_keeping_a_full_set() -> None:
    rig = make_rig()
    feed(rig, *[radio(eapol_key(m)) for m in (1, 2, 3, 4)],
         *[radio(eapol_key(1, replay=r)) for r in range(40)])
    keys = d11(rig, AP)["dot11.device.wpa_handshake_list"]["A4:B1:C1:D1:E1:F1"]
    assert len(keys) == 16
    assert {k["dot11.eapol.message_num"] for k in keys} == {1, 2, 3, 4}


def test_seenby_per_source_and_views() -> None:
    rig = make_rig()
    feed(rig, radio(beacon()), radio(beacon()))
    rig.feed(DLT_RADIOTAP, [(T0 + 1, radio(beacon()))], OTHER_SOURCE)
    seen = rec(rig, AP)["kismet.device.base.seenby"]
    assert [(s["kismet.common.seenby.uuid"], s["kismet.common.seenby.num_packets"])
            for s in seen] == [(SOURCE.uuid, 2), (OTHER_SOURCE.uuid, 1)]
    assert seen[1]["kismet.common.seenby.first_time"] == int(T0 + 1)
    views = {v.id: v.size() for v in rig.tracking.views.all()}
    assert views[f"seenby-{OTHER_SOURCE.uuid}"] == 1


def test_signal_and_frequencies_accumulate() -> None:
    rig = make_rig()
    feed(rig, radio(beacon(), signal=-40), radio(beacon(), signal=-70, freq=2412),
         radio(beacon(), signal=-55))
    record = rec(rig, AP)
    signal = record["kismet.device.base.signal"]
    assert (signal["kismet.common.signal.last_signal"], signal["kismet.common.signal.min_signal"],
            signal["kismet.common.signal.max_signal"]) == (-55, -70, -40)
    assert record["kismet.device.base.freq_khz_map"] == {"2437000": 2, "2412000": 1}
    assert record["kismet.device.base.frequency"] == 2437000
    assert record["kismet.device.base.channel"] == "6"


def test_plain_80211_has_no_signal_or_frequency() -> None:
    rig = make_rig()
    feed(rig, beacon(), dlt=DLT_80211)
    record = rec(rig, AP)
    assert "kismet.device.base.signal" not in record
    assert record["kismet.device.base.freq_khz_map"] == {}
    assert record["kismet.device.base.channel"] == "6"


def test_disconnect_counters() -> None:
    rig = make_rig()
    feed(rig, radio(deauth()), radio(deauth()), radio(deauth()))
    dot11 = d11(rig, AP)
    assert dot11["dot11.device.client_disconnects"] == 3
    assert dot11["dot11.device.client_disconnects_last"] == int(T0)
    feed(rig, radio(deauth()), t0=T0 + 10)
    assert d11(rig, AP)["dot11.device.client_disconnects"] == 1


def test_ibss_beacon_is_ad_hoc_and_an_access_point() -> None:
    rig = make_rig()
    feed(rig, radio(beacon(capability=0x0002)))
    record = rec(rig, AP)
    assert record["kismet.device.base.type"] == "Wi-Fi Ad-Hoc"
    assert record["kismet.device.base.basic_type_set"] == 8
    assert record["dot11.device"]["dot11.device.typeset"] == 1 | 2
    assert AP in rig.tracking.dot11.access_points


def test_association_capability_is_read_where_it_is() -> None:
    # Kismet reads 2 bytes of the SSID text here ("eb" of "Neheb") as the capability,
    # finds the IBSS bit and calls client and AP "Ad-Hoc"; the real capability says ESS.
    rig = make_rig()
    feed(rig, radio(beacon(ssid=b"Neheb")), radio(assoc_req(STA, AP, b"Neheb")))
    client = rec(rig, STA)
    assert client["kismet.device.base.type"] == "Wi-Fi Client"
    assert client["dot11.device"]["dot11.device.typeset"] == 0
    [probed] = client["dot11.device"]["dot11.device.probed_ssid_map"]
    assert probed["dot11.probedssid.ssid"] == "Neheb"
    assert probed["dot11.probedssid.bssid"] == "00:C0:CA:11:22:33"
    assert d11(rig, AP)["dot11.device.typeset"] == 1
    assert rec(rig, AP)["kismet.device.base.type"] == "Wi-Fi AP"


def test_locally_administered_macs_say_so() -> None:
    rig = make_rig()
    feed(rig, radio(probe_req(bytes.fromhex("02aabbccddee"))))
    assert rec(rig, bytes.fromhex("02aabbccddee"))["kismet.device.base.manuf"] == (
        "Randomized (locally administered)")


def test_times_follow_packets_and_mod_time_the_clock() -> None:
    rig = make_rig()
    feed(rig, radio(beacon()))
    rig.clock.advance(30)
    feed(rig, radio(beacon(extra=b"\x2a\x01\x00")), t0=T0 + 100)
    record = rec(rig, AP)
    assert record["kismet.device.base.first_time"] == int(T0)
    assert record["kismet.device.base.last_time"] == int(T0 + 100)
    assert record["kismet.device.base.mod_time"] == int(START + 30)
    assert rig.tracking.device_tracker.packet_time == int(T0 + 100)


def test_probes_with_one_wps_uuid_relate_their_macs() -> None:
    rig = make_rig()
    uuid = bytes(range(16))
    wps = ie(221, b"\x00\x50\xf2\x04" + b"\x10\x4a\x00\x01\x10" + b"\x10\x47\x00\x10" + uuid)
    first, second = bytes.fromhex("02000000aa01"), bytes.fromhex("02000000aa02")
    feed(rig, radio(probe_req(first, b"", extra=wps)), radio(probe_req(second, b"", extra=wps)),
         radio(probe_req(STA, b"")))
    assert rec(rig, first)["kismet.device.base.related_devices"] == {
        "dot11_uuid_e": [dev(rig, second).key]}
    assert rec(rig, second)["kismet.device.base.related_devices"] == {
        "dot11_uuid_e": [dev(rig, first).key]}
    assert rec(rig, STA)["kismet.device.base.related_devices"] == {}
    [probed] = d11(rig, first)["dot11.device.probed_ssid_map"]
    assert probed["dot11.probedssid.wps_uuid_e"] == uuid.hex()


class _Aggregate:
    """A stand-in location aggregate: remembers what it was given."""

    def __init__(self) -> None:
        self.seen: list[object] = []

    def add(self, location: object) -> None:
        self.seen.append(location)

    def record(self) -> dict[str, object]:
        return {"kismet.common.location.last": self.seen[-1]}


def test_packet_locations_reach_the_transmitting_device() -> None:
    rig = make_rig(location_factory=_Aggregate)

    def tag(packet: Any) -> None:
        packet.location = f"fix@{packet.ts:.3f}"

    rig.chain.subscribe(tag, "gps", priority=-1)
    feed(rig, radio(beacon()), radio(data_frame(1, AP, STA, WIRED)))
    assert rec(rig, AP)["kismet.device.base.location"] == {
        "kismet.common.location.last": f"fix@{T0:.3f}"}
    assert dev(rig, STA).location.seen == [f"fix@{T0 + 0.001:.3f}"]
    # A destination is not where the packet was sent from.
    assert "kismet.device.base.location" not in rec(rig, WIRED)
