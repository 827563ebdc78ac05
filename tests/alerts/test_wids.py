"""Each WIDS alert from frames built here (Part B 7.2 triggers)."""

from __future__ import annotations

import pytest

from kismet_tx.messagebus import ALERT
from tests.alerts.helpers import (
    AP,
    AP2,
    BCAST,
    KEY_GROUP_EMPTY,
    KEY_M1,
    KEY_M3,
    STA,
    STA2,
    START,
    Wids,
    association,
    beacon,
    disconnect,
    eapol_key,
    mac,
    probe_request,
    probe_response,
    wpa2,
    wps_message,
)
from tests.dot11.builders import ie, mgmt, rt_basic, with_fcs, wpa_ie

NONCE_ON = "alert=NONCEDEGRADE,10/min,5/sec\nalert=NONCEREUSE,10/min,5/sec\n"


# -- denial ------------------------------------------------------------------------------


def test_deauthflood_needs_more_than_ten_disconnects_each_within_a_second() -> None:
    wids = Wids.build()
    for i in range(10):
        wids.send(disconnect(12, reason=7), START + i * 0.5)
    assert wids.of("DEAUTHFLOOD") == []
    wids.send(disconnect(10, reason=8), START + 5.2)  # the 11th, a disassociation
    [alert] = wids.of("DEAUTHFLOOD")
    assert alert.text == f"Deauth/Disassociate flood on {mac(AP)}"
    assert alert.transmitter_mac == mac(AP)
    assert alert.klass == "DENIAL" and alert.severity == 10


def test_deauthflood_counter_restarts_after_a_pause() -> None:
    wids = Wids.build()
    for i in range(8):
        wids.send(disconnect(), START + i * 0.1)
    for i in range(8):  # 1.5 s later: a new run of eight, not sixteen in a row
        wids.send(disconnect(), START + 2.3 + i * 0.1)
    assert wids.of("DEAUTHFLOOD") == []


def test_deauthflood_is_counted_per_bssid() -> None:
    wids = Wids.build()
    for i in range(12):
        wids.send(disconnect(bssid=AP if i % 2 else AP2, source=AP if i % 2 else AP2),
                  START + i * 0.1)
    assert wids.of("DEAUTHFLOOD") == []


def test_bcastdiscon_on_a_broadcast_deauth_or_disassociation() -> None:
    wids = Wids.build()
    wids.send(disconnect(12, dest=STA))
    assert wids.of("BCASTDISCON") == []
    wids.send(disconnect(12, dest=BCAST))
    wids.clock.advance(2)
    wids.send(disconnect(10, dest=BCAST))
    first, second = wids.of("BCASTDISCON")
    assert "broadcast deauthentication" in first.text
    assert "broadcast disassociation" in second.text
    assert first.transmitter_mac == mac(AP) and first.dest_mac == mac(BCAST)


def test_nullproberesp_on_a_zero_length_ssid_element() -> None:
    wids = Wids.build()
    wids.send(probe_response(ssid=b"lab"))
    wids.send(beacon(ssid=b""))  # hidden beacons are normal
    assert wids.of("NULLPROBERESP") == []
    wids.send(probe_response(ssid=b""))
    [alert] = wids.of("NULLPROBERESP")
    assert alert.source_mac == mac(AP)


# -- exploits ----------------------------------------------------------------------------


def test_longssid_on_an_ssid_element_over_32_bytes() -> None:
    wids = Wids.build()
    wids.send(probe_request(b"x" * 32))
    assert wids.of("LONGSSID") == []
    wids.send(probe_request(b"x" * 33, source=STA2))
    [alert] = wids.of("LONGSSID")
    assert "33 bytes" in alert.text and alert.source_mac == mac(STA2)
    assert alert.severity == 20


@pytest.mark.parametrize(("frame", "reason"), [
    (beacon(extra=b"\x30\x10\x01\x00"), "runs past the end"),
    (probe_request(b"lab") + ie(72, b"\x00" * 16), "element 72 is 16 bytes long, it must be 1"),
    (beacon(extra=ie(61, b"\x06" * 5)), "element 61 is 5 bytes long, it must be 22"),
    (beacon(extra=ie(48, b"\x01\x00\x00\x0f")), "undecodable RSN element"),
])  # fmt: skip
def test_malformmgmt_on_malformed_elements(frame: bytes, reason: str) -> None:
    wids = Wids.build()
    wids.send(frame)
    [alert] = wids.of("MALFORMMGMT")
    assert reason in alert.text
    assert alert.source_mac == mac(frame[10:16])


def test_malformmgmt_on_a_management_frame_too_short_to_decode() -> None:
    wids = Wids.build()
    wids.send(mgmt(8, b"\x00" * 5))  # a beacon without room for its fixed fields
    [alert] = wids.of("MALFORMMGMT")
    assert "too short" in alert.text and alert.source_mac == mac(AP)


def test_malformmgmt_ignores_frames_with_a_bad_fcs_and_other_versions() -> None:
    wids = Wids.build()
    corrupt = beacon(extra=b"\x30\x10\x01\x00")
    wids.send(rt_basic(flags=0x10) + with_fcs(corrupt, good=False), dlt=127)
    wids.send(bytes([0x82]) + corrupt[1:])  # protocol version 2: noise, not a frame
    wids.send(rt_basic(flags=0x10) + with_fcs(beacon()), dlt=127)
    assert wids.alerts == []


def test_disconcodeinvalid_on_reserved_disassociation_reasons() -> None:
    wids = Wids.build()
    for reason in (1, 8, 24, 45):
        wids.clock.advance(1)
        wids.send(disconnect(10, reason=reason))
    assert wids.of("DISCONCODEINVALID") == []
    wids.clock.advance(1.5)
    wids.send(disconnect(10, reason=26))
    wids.clock.advance(1.5)
    wids.send(disconnect(10, reason=99))
    texts = [a.text for a in wids.of("DISCONCODEINVALID")]
    assert texts == [f"Unknown disassociation reason code 26 (0x001A) from network {mac(AP)}",
                     f"Unknown disassociation reason code 99 (0x0063) from network {mac(AP)}"]


def test_deauthcodeinvalid_is_off_unless_configured() -> None:
    wids = Wids.build()
    wids.send(disconnect(12, reason=99))
    assert wids.headers() == []
    enabled = Wids.build("alert=DEAUTHCODEINVALID,10/min,1/sec")
    enabled.send(disconnect(12, reason=99))
    assert enabled.headers() == ["DEAUTHCODEINVALID"]


def test_wpsbrute_after_more_than_five_m3_messages_in_five_minutes() -> None:
    wids = Wids.build()
    wids.send(wps_message(5), START)  # an M1, not counted
    for i in range(5):
        wids.send(wps_message(7), START + 1 + i * 50)
    assert wids.of("WPSBRUTE") == []
    wids.send(wps_message(7), START + 260)
    [alert] = wids.of("WPSBRUTE")
    assert alert.source_mac == mac(AP) and alert.severity == 20


def test_wpsbrute_count_restarts_after_five_quiet_minutes() -> None:
    wids = Wids.build()
    for i in range(5):
        wids.send(wps_message(7), START + i)
    for i in range(5):
        wids.send(wps_message(7), START + 400 + i)
    assert wids.of("WPSBRUTE") == []


# -- spoofing ----------------------------------------------------------------------------


def test_chanchange_when_a_beacon_moves_channel() -> None:
    wids = Wids.build()
    wids.send(beacon(channel=6))
    wids.send(beacon(channel=6))
    wids.send(beacon(ssid=b"other", channel=11))  # another SSID has its own record
    assert wids.of("CHANCHANGE") == []
    wids.send(beacon(channel=11))
    [alert] = wids.of("CHANCHANGE")
    assert "from 6 to 11" in alert.text and alert.channel == "11"
    assert alert.klass == "SPOOF" and alert.severity == 5


def test_chanchange_ignores_beacons_without_a_ds_channel() -> None:
    wids = Wids.build()
    wids.send(beacon(channel=36, extra=ie(61, bytes([36]) + b"\x00" * 21)))
    wids.send(beacon(channel=None, extra=ie(61, bytes([40]) + b"\x00" * 21)))
    assert wids.alerts == []


def test_probechan_when_a_probe_response_names_another_channel() -> None:
    wids = Wids.build()
    wids.send(probe_response(channel=1))  # no beacon yet: nothing to compare with
    wids.send(beacon(channel=6))
    wids.send(probe_response(channel=6))
    assert wids.of("PROBECHAN") == []
    wids.send(probe_response(channel=1))
    [alert] = wids.of("PROBECHAN")
    assert "channel 1 while advertising channel 6" in alert.text


def test_cryptodrop_when_an_encrypted_ssid_turns_open() -> None:
    wids = Wids.build()
    wids.send(beacon(security=wpa2()))
    wids.send(beacon(security=wpa2()))
    assert wids.alerts == []
    wids.send(beacon(security=None))
    [alert] = wids.of("CRYPTODROP")
    assert "changed advertised encryption from WPA2" in alert.text and "to Open" in alert.text
    assert wids.of("ADVCRYPTCHANGE") == []


def test_advcryptchange_on_any_other_change() -> None:
    wids = Wids.build()
    wids.send(beacon(security=wpa2()))
    wids.send(beacon(security=wpa_ie()))
    [alert] = wids.of("ADVCRYPTCHANGE")
    assert "from WPA2" in alert.text and "to WPA" in alert.text
    wids.clock.advance(2)
    wids.send(beacon(security=None, privacy=False))
    wids.clock.advance(2)
    wids.send(beacon(security=wpa2()))  # open -> encrypted is a change, not a drop
    assert wids.headers() == ["ADVCRYPTCHANGE", "CRYPTODROP", "ADVCRYPTCHANGE"]


def test_probe_responses_and_beacons_are_compared_separately() -> None:
    wids = Wids.build()
    wids.send(beacon(ssid=b"", security=wpa2()))  # hidden beacon
    wids.send(probe_response(ssid=b"lab", security=wpa2()))
    wids.send(probe_response(ssid=b"lab", security=None))
    assert wids.headers() == ["CRYPTODROP"]


def test_beaconrate_when_the_interval_changes() -> None:
    wids = Wids.build()
    wids.send(beacon(interval=100))
    wids.send(beacon(interval=100))
    assert wids.alerts == []
    wids.send(beacon(interval=200))
    [alert] = wids.of("BEACONRATE")
    assert "from 100 to 200 TU" in alert.text


def test_bsstimestamp_when_two_transmitters_share_a_bssid() -> None:
    wids = Wids.build()
    # One AP: timestamps advance with the capture time.
    for i in range(20):
        wids.send(beacon(tsf=5_000_000_000 + i * 102_400), START + i * 0.1024)
    assert wids.alerts == []
    # A twin with its own clock interleaves its beacons: every one jumps.
    base = START + 3
    for i in range(6):
        t = base + i * 0.1
        wids.send(beacon(tsf=5_000_000_000 + int((t - START) * 1e6)), t)
        wids.send(beacon(tsf=900_000_000_000 + i * 100_000), t + 0.05)
    [alert] = wids.of("BSSTIMESTAMP")
    assert alert.transmitter_mac == mac(AP) and "fluctuating" in alert.text


def test_bsstimestamp_ignores_one_reset() -> None:
    wids = Wids.build()
    for i in range(5):
        wids.send(beacon(tsf=5_000_000_000 + i * 102_400), START + i * 0.1024)
    for i in range(10):  # the AP rebooted: its timestamp starts again from zero
        wids.send(beacon(tsf=i * 102_400), START + 1 + i * 0.1024)
    assert wids.alerts == []


def test_apspoof_for_an_ssid_served_by_an_unlisted_mac() -> None:
    conf = f'apspoof=Lab:ssid="^lab$",validmacs="{mac(AP)}"\n'
    wids = Wids.build(conf)
    wids.send(beacon(bssid=AP, ssid=b"lab"))
    wids.send(beacon(bssid=AP2, ssid=b"lab2"))
    assert wids.alerts == []
    wids.send(beacon(bssid=AP2, ssid=b"lab"))
    wids.send(beacon(bssid=AP2, ssid=b"lab"))  # once per device and SSID
    wids.clock.advance(2)
    wids.send(probe_response(bssid=AP2, ssid=b"lab"))
    [alert] = wids.of("APSPOOF")
    assert alert.source_mac == mac(AP2)
    assert "advertising SSID 'lab', matching APSPOOF rule Lab" in alert.text


def test_apspoof_valid_macs_may_be_masked_and_ssids_are_regexes() -> None:
    conf = 'apspoof=Corp:ssid="(?i)^corp",validmacs="00:C0:CA:00:00:00/FF:FF:FF:00:00:00"\n'
    wids = Wids.build(conf)
    wids.send(beacon(bssid=AP, ssid=b"CORP-guest"))
    wids.send(beacon(bssid=AP2, ssid=b"Corporate"))
    assert wids.alerts == []
    rogue = bytes.fromhex("020000000001")
    wids.send(beacon(bssid=rogue, ssid=b"corp"))
    assert [a.source_mac for a in wids.of("APSPOOF")] == [mac(rogue)]


def test_ssidcanary_on_advertising_answering_and_probing() -> None:
    wids = Wids.build('ssidcanary=Trap:ssid="^honeypot-7$"\n')
    wids.send(beacon(ssid=b"lab"))
    wids.send(probe_request(b"honeypot-77"))
    assert wids.alerts == []
    wids.send(probe_request(b"honeypot-7"))
    wids.clock.advance(2)
    wids.send(beacon(bssid=AP2, ssid=b"honeypot-7"))
    wids.clock.advance(2)
    wids.send(probe_response(bssid=AP, ssid=b"honeypot-7"))
    texts = [a.text for a in wids.of("SSIDCANARY")]
    assert len(texts) == 3
    assert texts[0].startswith(f"IEEE80211 device {mac(STA)} probing for canary SSID")
    assert texts[1].startswith(f"IEEE80211 Access Point {mac(AP2)} advertising canary SSID")
    assert texts[2].startswith(f"IEEE80211 Access Point {mac(AP)} responding for canary SSID")


def test_noclientmfp_when_a_client_declines_the_protection_offered() -> None:
    wids = Wids.build()
    wids.send(association(client=STA, bssid=AP, security=wpa2()))  # AP not seen yet
    wids.send(beacon(bssid=AP, security=wpa2(mfpc=True)))
    wids.send(association(client=STA2, bssid=AP, security=wpa2(mfpc=True)))
    assert wids.alerts == []
    wids.send(association(client=STA, bssid=AP, security=wpa2()))
    wids.send(association(client=STA, bssid=AP, security=wpa2(), subtype=2))  # once per pair
    [alert] = wids.of("NOCLIENTMFP")
    assert alert.source_mac == mac(STA) and alert.transmitter_mac == mac(AP)
    assert alert.severity == 5


def test_noclientmfp_not_raised_for_networks_without_mfp() -> None:
    wids = Wids.build()
    wids.send(beacon(bssid=AP, security=wpa2()))
    wids.send(association(client=STA, bssid=AP, security=wpa2()))
    assert wids.alerts == []


# -- handshakes ----------------------------------------------------------------------------


def test_nonce_alerts_are_off_by_default() -> None:
    wids = Wids.build()
    nonce = bytes(range(32))
    wids.send(eapol_key(KEY_M3, nonce=nonce, replay=2), START)
    wids.send(eapol_key(KEY_M3, nonce=nonce, replay=2), START + 5)
    wids.send(eapol_key(KEY_GROUP_EMPTY, nonce=b"\x00" * 32, replay=3, to_client=False))
    assert wids.alerts == []
    defs = {d.header: d.limit for d in wids.system.alert_tracker.definitions()}
    assert defs["NONCEDEGRADE"].limit_rate == 0 and defs["NONCEREUSE"].limit_rate == 0


def test_noncedegrade_on_an_empty_group_key_message_with_a_zero_nonce() -> None:
    wids = Wids.build(NONCE_ON)
    # A normal M4: pairwise, zero nonce, no key data: not a degrade.
    wids.send(eapol_key(0x030A, nonce=b"\x00" * 32, replay=2, to_client=False))
    assert wids.alerts == []
    wids.send(eapol_key(KEY_GROUP_EMPTY, nonce=b"\x00" * 32, replay=3, to_client=False))
    [alert] = wids.of("NONCEDEGRADE")
    assert alert.source_mac == mac(STA) and alert.dest_mac == mac(AP)


def test_noncereuse_when_an_m3_is_replayed_later() -> None:
    wids = Wids.build(NONCE_ON)
    nonce = bytes(range(32))
    wids.send(eapol_key(KEY_M1, nonce=nonce, replay=1), START)
    wids.send(eapol_key(KEY_M3, nonce=nonce, replay=2), START + 0.01)
    wids.send(eapol_key(KEY_M3, nonce=nonce, replay=2, retry=True), START + 0.02)  # a retry
    wids.send(eapol_key(KEY_M3, nonce=nonce, replay=3), START + 0.5)  # a new counter
    assert wids.alerts == []
    wids.send(eapol_key(KEY_M3, nonce=nonce, replay=3), START + 4)  # KRACK: replayed M3
    [alert] = wids.of("NONCEREUSE")
    assert alert.dest_mac == mac(STA) and nonce.hex().upper() in alert.text


def test_noncereuse_when_an_anonce_is_resent_without_retry() -> None:
    wids = Wids.build(NONCE_ON)
    nonce = b"\x42" * 32
    wids.send(eapol_key(KEY_M1, nonce=nonce, replay=5), START)
    wids.send(eapol_key(KEY_M1, nonce=nonce, replay=5, retry=True), START + 0.1)
    frame = eapol_key(KEY_M1, nonce=nonce, replay=6)
    wids.send(frame, START + 0.2)
    wids.send(frame, START + 0.2)  # the same frame captured twice is a duplicate
    assert wids.alerts == []
    wids.send(eapol_key(KEY_M1, nonce=nonce, replay=4), START + 0.4)  # an old counter
    assert [a.text.split(";")[0] for a in wids.of("NONCEREUSE")] == [
        "WPA EAPOL RSN frame seen with a previously used anonce"]


def test_nonces_are_tracked_per_client() -> None:
    wids = Wids.build(NONCE_ON)
    nonce = b"\x07" * 32
    wids.send(eapol_key(KEY_M3, nonce=nonce, replay=2, client=STA), START)
    wids.send(eapol_key(KEY_M3, nonce=nonce, replay=2, client=STA2), START + 3)
    assert wids.alerts == []


# -- records and the bus -------------------------------------------------------------------


def test_wids_alerts_carry_channel_frequency_and_device_key() -> None:
    wids = Wids.build()
    wids.send(rt_basic(freq=2437) + probe_response(ssid=b""), dlt=127)
    [alert] = wids.alerts
    assert alert.channel == "6" and alert.frequency == 2437000.0
    assert alert.phy_id == 0
    assert alert.device_key == "4202770D00000000_332211CAC000"
    message = wids.bus.messages()[-1]
    assert message.flags == ALERT
    assert message.text == "NULLPROBERESP " + alert.text


def test_state_stays_bounded() -> None:
    wids = Wids.build()
    for i in range(5000):
        bssid = bytes([0x02, 0, 0, 0, i >> 8, i & 0xFF])
        wids.send(beacon(bssid=bssid, security=wpa2(mfpc=True)))
    assert len(wids.system.wids.bss) <= 4096
