"""The WIDS on the shared real captures (tests/data), replayed in capture time.

Every capture raises exactly the alerts its contents justify; each expectation
below says why. The clock follows the packet timestamps, so the rate limits
behave as they would have live. NONCEDEGRADE and NONCEREUSE are enabled here
(they are off by default) so the handshakes in these files are checked too.
"""

from __future__ import annotations

from collections import Counter
from functools import cache

import pytest

from kismet_tx.alerts.alert import Alert
from tests.alerts.helpers import DATA, Wids, replay

ENABLE_NONCE = "alert=NONCEDEGRADE,10/min,1/sec\nalert=NONCEREUSE,10/min,1/sec\n"
WML = "8C:DE:F9:D0:B4:61"  # the AP 'WML' of the pmkid capture


@cache
def replayed(name: str) -> Wids:
    return replay(DATA / name, ENABLE_NONCE)


def by_header(alerts: list[Alert]) -> dict[str, set[str]]:
    """Header -> the MACs the alerts are about (transmitter for network alerts)."""
    out: dict[str, set[str]] = {}
    for alert in alerts:
        about = alert.source_mac
        if alert.header in ("DEAUTHFLOOD", "BCASTDISCON", "ADVCRYPTCHANGE"):
            about = alert.transmitter_mac
        out.setdefault(alert.header, set()).add(about)
    return out


def test_deauth_flood_capture() -> None:
    wids = replayed("aircrack-ng_pmkid-not-recognized.cap")
    assert by_header(wids.alerts) == {
        # 6,145 deauthentications (reason 7) against WML, many within a second of each other.
        "DEAUTHFLOOD": {WML},
        # Frame 16052: WML deauthenticates every client at once (to FF:FF:FF:FF:FF:FF).
        "BCASTDISCON": {WML},
        # WML advertises MFP capable; these three clients associate without it. The other
        # three clients that associate (28:6C:07:1B:DB:3D, AC:76:4C:E7:D2:A3,
        # 44:23:7C:DD:DD:0C) are MFP capable and raise nothing.
        "NOCLIENTMFP": {"24:DF:A7:95:54:E6", "52:D2:F5:03:B7:1E", "00:9E:C8:E7:36:1C"},
        # Frames 16710-16712: three probe responses from WML offer WPA2-PSK only where
        # every other beacon and response offers WPA3 SAE+PSK, a downgrade.
        "ADVCRYPTCHANGE": {WML},
        # Not raised: NONCEREUSE. The AP resends M1 and M3 (frames 19107-19122), but each
        # resend either carries a higher replay counter or the retry flag within 1 s.
    }
    flood = [a for a in wids.alerts if a.header == "DEAUTHFLOOD"]
    assert flood[0].text == f"Deauth/Disassociate flood on {WML}"
    [downgrade] = [a for a in wids.alerts if a.header == "ADVCRYPTCHANGE"]
    assert "from WPA3 WPA3-PSK WPA3-SAE AES-CCMP to WPA2 WPA2-PSK AES-CCMP" in downgrade.text


def test_deauth_flood_respects_the_rate_limit() -> None:
    """DEAUTHFLOOD ships as 5/min, 2/sec: no minute of the replay holds more than 5."""
    times = [a.timestamp for a in replayed("aircrack-ng_pmkid-not-recognized.cap").alerts
             if a.header == "DEAUTHFLOOD"]
    assert len(times) >= 5  # the flood lasts several minutes
    for i, start in enumerate(times):
        assert sum(1 for t in times[i:] if t - start < 60) <= 5
        assert sum(1 for t in times[i:] if t - start < 1) <= 2


def test_malformed_frames_capture() -> None:
    wids = replayed("wifite2_handshake_not_exists.cap")
    assert by_header(wids.alerts) == {
        # The 21 frames tshark calls malformed: probe requests from three Sonos devices
        # (OUI 00:0E:58) whose 20/40 BSS coexistence element is 16 bytes, not 1.
        "MALFORMMGMT": {"00:0E:58:E9:36:B3", "00:0E:58:F8:0B:B5", "00:0E:58:FA:7C:61"},
        # Frame 1011: a 60-byte probe response from 00:00:00:00:00:00 with a zero-length
        # SSID element.
        "NULLPROBERESP": {"00:00:00:00:00:00"},
    }
    texts = {a.text for a in wids.alerts if a.header == "MALFORMMGMT"}
    assert all("element 72 is 16 bytes long, it must be 1" in t for t in texts)


@pytest.mark.parametrize(("name", "why"), [
    ("aircrack-ng_capture_wds-01.cap", "one WDS link and its handshake; one ordinary deauth"),
    ("aircrack-ng_n-02.cap", "an 802.11w network whose client is MFP capable"),
    ("aircrack-ng_wep_64_ptw_01.cap", "WEP data and ACKs only"),
    ("aircrack-ng_wpa-prism.cap", "one WPA1 handshake behind Prism headers"),
    ("fragattacks_eapol-inject-fromclient.pcapng",
     "a handshake whose frames are captured twice (userspace and kernel copies): "
     "duplicates, not nonce re-use"),
    ("john-samples_wpa-Induction.pcapng",
     "one handshake; its corrupt frames have protocol version 2/3 or a bad FCS"),
    ("probingpatterns_iPhoneXR-L_anonymized.pcap", "every frame has a bad FCS"),
    ("tcpdump_ieee802.11_exthdr.pcap", "an open AP and one client"),
])  # fmt: skip
def test_clean_captures_raise_nothing(name: str, why: str) -> None:
    wids = replayed(name)
    assert Counter(wids.headers()) == Counter(), why
