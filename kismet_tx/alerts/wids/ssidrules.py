"""The configured SSID rules: ``ssidcanary=`` (SSIDCANARY) and ``apspoof=`` (APSPOOF)."""

from __future__ import annotations

from kismet_tx.alerts.wids.state import WidsState, remember
from kismet_tx.chain import Packet
from kismet_tx.dot11.frames import mac_str
from kismet_tx.dot11.packet import Dot11Packet
from kismet_tx.dot11.text import munge_to_printable
from kismet_tx.pcre import pcre_search

__all__ = ["check_canary", "check_spoof", "ssid_text"]


def ssid_text(raw: bytes | None) -> str:
    """An SSID as text: empty for a missing or all-zero (hidden) SSID."""
    return "" if not raw or raw.count(0) == len(raw) else munge_to_printable(raw)


def check_canary(w: WidsState, packet: Packet, p: Dot11Packet, name: str, verb: str) -> None:
    """SSIDCANARY: an SSID named by an ``ssidcanary=`` rule was used."""
    if not name or not w.ssidcanary:
        return
    transmitter = p.transmitter
    for rule in w.ssidcanary:
        key = ("canary", transmitter, name, rule.name)
        if key in w.reported or not pcre_search(rule.pattern, name):
            continue
        if w.can("SSIDCANARY"):
            device = "Access Point" if verb != "probing for" else "device"
            w.raise_alert("SSIDCANARY",
                          f"IEEE80211 {device} {mac_str(transmitter)} {verb} canary SSID "
                          f"\"{name}\" (rule {rule.name}: {rule.ssid})", packet, p,
                          bssid=p.bssid, source=p.source, dest=p.dest)
            remember(w.reported, key)


def check_spoof(w: WidsState, packet: Packet, p: Dot11Packet, name: str, verb: str) -> None:
    """APSPOOF: an ``apspoof=`` SSID served by a MAC the rule does not allow."""
    if not w.apspoof:
        return
    source = p.source
    if source is None:
        return
    value = int.from_bytes(source, "big")
    for rule in w.apspoof:
        key = ("spoof", source, name, rule.name)
        if key in w.reported or rule.allows(value) \
                or not pcre_search(rule.pattern, name):
            continue
        if w.can("APSPOOF"):
            w.raise_alert("APSPOOF",
                          f"IEEE80211 Unauthorized device ({mac_str(source)}) {verb} SSID "
                          f"'{name}', matching APSPOOF rule {rule.name} which may indicate "
                          "spoofing or impersonation", packet, p, bssid=p.bssid,
                          source=source, dest=p.dest)
            remember(w.reported, key)
        break
