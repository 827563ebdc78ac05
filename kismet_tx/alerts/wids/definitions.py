"""The 802.11 WIDS alert kinds, with the rates Kismet ships in kismet_alerts.conf."""

from __future__ import annotations

from typing import Final

from kismet_tx.alerts.alert import Severity
from kismet_tx.alerts.builtin import BuiltinAlert
from kismet_tx.alerts.rates import DISABLED, RateLimit, TimeUnit

__all__ = ["DOT11_ALERTS"]


def _rate(limit: int, burst: int) -> RateLimit:
    return RateLimit(limit, TimeUnit.MIN, burst, TimeUnit.SEC)


#: The WIDS alert kinds, with the rates Kismet ships in kismet_alerts.conf.
DOT11_ALERTS: Final = (
    BuiltinAlert("DEAUTHFLOOD", "DENIAL", Severity.MEDIUM,
                 "Many deauthentication or disassociation frames for one network in quick "
                 "succession. Without management frame protection these can be forged to "
                 "knock clients off a network (denial of service) or to make them "
                 "reconnect so their handshake can be captured.", _rate(5, 2)),
    BuiltinAlert("BCASTDISCON", "DENIAL", Severity.MEDIUM,
                 "A deauthentication or disassociation frame sent to every client of a "
                 "network at once. An access point shutting down may do this; otherwise "
                 "it is a denial of service or an attempt to force clients to reconnect.",
                 _rate(5, 2)),
    BuiltinAlert("CHANCHANGE", "SPOOF", Severity.LOW,
                 "An access point started advertising a different channel for an SSID. "
                 "Automatic channel selection does this, but so does an 'evil twin' "
                 "copying a network on another channel.", _rate(5, 1)),
    BuiltinAlert("PROBECHAN", "SPOOF", Severity.MEDIUM,
                 "A probe response names a different channel than the network's beacons. "
                 "A misbehaving repeater can do this; so can a spoofed access point.",
                 _rate(5, 1)),
    BuiltinAlert("CRYPTODROP", "SPOOF", Severity.HIGH,
                 "An SSID that was advertised with encryption is now advertised as open. "
                 "This is rarely a reconfiguration and often an impersonation attempt.",
                 _rate(5, 1)),
    BuiltinAlert("ADVCRYPTCHANGE", "SPOOF", Severity.HIGH,
                 "The encryption an SSID advertises changed. It may be a reconfiguration, "
                 "or a spoofed access point offering different security.", _rate(5, 1)),
    BuiltinAlert("BEACONRATE", "SPOOF", Severity.HIGH,
                 "The beacon interval advertised for an SSID changed, which may be a "
                 "reconfiguration or a second device imitating the network.", _rate(5, 1)),
    BuiltinAlert("BSSTIMESTAMP", "SPOOF", Severity.MEDIUM,
                 "The BSS timestamps in one network's beacons jump back and forth. Two "
                 "transmitters are using the same BSSID, as in an 'evil twin' attack.",
                 _rate(5, 1)),
    BuiltinAlert("LONGSSID", "EXPLOIT", Severity.CRITICAL,
                 "An SSID element longer than the 32 bytes the standard allows. Oversized "
                 "SSIDs have been used to exploit driver overflows.", _rate(5, 1)),
    BuiltinAlert("NULLPROBERESP", "DENIAL", Severity.MEDIUM,
                 "A probe response with a zero-length SSID element, a frame shape known to "
                 "crash the firmware of some older cards.", _rate(5, 1)),
    BuiltinAlert("MALFORMMGMT", "EXPLOIT", Severity.MEDIUM,
                 "A management frame with a malformed body: a truncated element list, an "
                 "element with the wrong fixed length, or an undecodable security element. "
                 "A faulty capture driver can cause this; so can attempts to crash "
                 "drivers that mishandle malformed frames.", _rate(5, 1)),
    BuiltinAlert("WPSBRUTE", "EXPLOIT", Severity.CRITICAL,
                 "A device sent many WPS M3 messages within a few minutes, the pattern of "
                 "a WPS PIN brute-force attack such as Reaver.", _rate(5, 1)),
    BuiltinAlert("DISCONCODEINVALID", "EXPLOIT", Severity.HIGH,
                 "A disassociation frame carries a reason code outside the defined set. "
                 "Invalid codes have been used to attack drivers that mishandle them.",
                 _rate(5, 1)),
    BuiltinAlert("DEAUTHCODEINVALID", "EXPLOIT", Severity.HIGH,
                 "A deauthentication frame carries a reason code outside the defined set. "
                 "Off by default.", DISABLED),
    BuiltinAlert("APSPOOF", "SPOOF", Severity.HIGH,
                 "An SSID listed in an apspoof= rule is served by a MAC address that is "
                 "not among the rule's valid MACs.", _rate(10, 1)),
    BuiltinAlert("SSIDCANARY", "SPOOF", Severity.HIGH,
                 "An SSID listed in an ssidcanary= rule was advertised, answered for or "
                 "probed for. Canary SSIDs exist only to be noticed: whoever uses one "
                 "learned it from the protected network.", _rate(5, 1)),
    BuiltinAlert("NOCLIENTMFP", "SPOOF", Severity.LOW,
                 "A client associated without management frame protection to a network "
                 "that offers it, so forged deauthentications can still disconnect it.",
                 _rate(10, 1)),
    BuiltinAlert("NONCEDEGRADE", "EXPLOIT", Severity.MEDIUM,
                 "A WPA group-key handshake message with an all-zero nonce and no key, as "
                 "sent by key-degradation attacks on some supplicants. Partial handshake "
                 "captures can look similar, so it is off by default.", DISABLED),
    BuiltinAlert("NONCEREUSE", "EXPLOIT", Severity.HIGH,
                 "A WPA handshake message re-used an earlier nonce with an old replay "
                 "counter, as key-reinstallation (KRACK) attacks do. Busy channels with "
                 "retransmissions can mimic it, so it is off by default.", DISABLED),
)
