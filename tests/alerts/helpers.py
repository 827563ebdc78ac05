"""Frames built in the tests and a WIDS harness driven by a task.Clock."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import pcapy
from twisted.internet import task

from kismet_tx.alerts.alert import Alert
from kismet_tx.alerts.alertsystem import AlertSystem, build_alerts
from kismet_tx.chain import PacketChain
from kismet_tx.config import Config
from kismet_tx.messagebus import MessageBus
from tests.dot11.builders import beacon_body, data, ie, mgmt, rsn_ie

DATA = Path(__file__).resolve().parents[1] / "data"
#: Server time when a harness starts.
START = 1_700_000_000.0

AP = bytes.fromhex("00c0ca112233")
AP2 = bytes.fromhex("00c0ca445566")
STA = bytes.fromhex("a4b1c1d1e1f1")
STA2 = bytes.fromhex("a4b1c1d1e1f2")
BCAST = b"\xff" * 6

DLT_80211 = 105
RSN_MFPC = 0x0080


def mac(raw: bytes) -> str:
    return raw.hex(":").upper()


def ssid_ie(ssid: bytes) -> bytes:
    return ie(0, ssid)


def ds_ie(channel: int) -> bytes:
    return ie(3, bytes([channel]))


def advert(subtype: int, *, bssid: bytes = AP, ssid: bytes = b"lab", channel: int | None = 6,
           interval: int = 100, tsf: int = 0, security: bytes | None = None,
           privacy: bool | None = None, dest: bytes = BCAST, extra: bytes = b"") -> bytes:
    """A beacon (8) or probe response (5). ``security`` is an RSN/WPA element (None: open)."""
    ies = ssid_ie(ssid) + ie(1, b"\x82\x84\x8b\x96")
    if channel is not None:
        ies += ds_ie(channel)
    if security is not None:
        ies += security
    capability = 0x0401
    if privacy if privacy is not None else security is not None:
        capability |= 0x0010
    body = beacon_body(ies + extra, capability=capability, interval=interval, timestamp=tsf)
    return mgmt(subtype, body, a1=dest, a2=bssid, a3=bssid)


def beacon(**kwargs: object) -> bytes:
    return advert(8, **kwargs)  # type: ignore[arg-type]


def probe_response(**kwargs: object) -> bytes:
    kwargs.setdefault("dest", STA)
    return advert(5, **kwargs)  # type: ignore[arg-type]


def probe_request(ssid: bytes, source: bytes = STA) -> bytes:
    return mgmt(4, ssid_ie(ssid) + ie(1, b"\x82\x84"), a1=BCAST, a2=source, a3=BCAST)


def wpa2(mfpc: bool = False) -> bytes:
    return rsn_ie(caps=RSN_MFPC if mfpc else 0)


def disconnect(subtype: int = 12, *, bssid: bytes = AP, source: bytes = AP,
               dest: bytes = STA, reason: int = 7) -> bytes:
    """A deauthentication (12) or disassociation (10)."""
    return mgmt(subtype, struct.pack("<H", reason), a1=dest, a2=source, a3=bssid)


def association(client: bytes = STA, bssid: bytes = AP, security: bytes | None = None,
                subtype: int = 0) -> bytes:
    """An (re)association request."""
    fixed = struct.pack("<HH", 0x0411, 10)
    if subtype == 2:
        fixed += bssid
    ies = ssid_ie(b"lab") + ie(1, b"\x82\x84") + (security or b"")
    return mgmt(subtype, fixed + ies, a1=bssid, a2=client, a3=bssid)


_SNAP_EAPOL = b"\xaa\xaa\x03\x00\x00\x00\x88\x8e"
KEY_M1 = 0x008A
KEY_M3 = 0x13CA
KEY_GROUP_EMPTY = 0x0302


def eapol_key(key_info: int, *, nonce: bytes, replay: int, ap: bytes = AP,
              client: bytes = STA, key_data: bytes = b"", retry: bool = False,
              to_client: bool = True) -> bytes:
    """An EAPOL-Key frame between an AP and a client (from-DS toward the client)."""
    body = struct.pack(">BHHQ32s16s8s8x16sH", 2, key_info, 16, replay, nonce, b"\x00" * 16,
                       b"\x00" * 8, b"\x00" * 16, len(key_data)) + key_data
    dot1x = struct.pack(">BBH", 2, 3, len(body)) + body
    flags = (0x02 if to_client else 0x01) | (0x08 if retry else 0)
    if to_client:
        return data(0, flags, a1=client, a2=ap, a3=ap, body=_SNAP_EAPOL + dot1x)
    return data(0, flags, a1=ap, a2=client, a3=ap, body=_SNAP_EAPOL + dot1x)


def wps_message(message_type: int, *, ap: bytes = AP, client: bytes = STA) -> bytes:
    """An EAP-WSC frame carrying WPS message ``message_type`` (7 = M3), sent by the AP."""
    tlvs = struct.pack(">HHB", 0x104A, 1, 0x10) + struct.pack(">HHB", 0x1022, 1, message_type)
    tlvs += struct.pack(">HH", 0x101A, 16) + b"\x11" * 16
    wsc = b"\x00\x37\x2a\x00\x00\x00\x01" + b"\x04\x00" + tlvs
    eap = struct.pack(">BBHB", 1, 9, 5 + len(wsc), 254) + wsc
    dot1x = struct.pack(">BBH", 1, 0, len(eap)) + eap
    return data(0, 0x02, a1=client, a2=ap, a3=ap, body=_SNAP_EAPOL + dot1x)


class _Source:
    uuid = "5FE308BD-0000-0000-0000-000000000001"
    source_name = "test"


@dataclass
class Wids:
    """An alert system whose WIDS and device watch get frames from the test."""

    clock: task.Clock
    bus: MessageBus
    system: AlertSystem
    chain: PacketChain
    alerts: list[Alert]

    @classmethod
    def build(cls, conf: str = "", start: float = START) -> Wids:
        clock = task.Clock()
        clock.advance(start)
        bus = MessageBus(clock)
        system = build_alerts(Config.from_text(conf), clock, bus)
        raised: list[Alert] = []
        system.alert_tracker.on_alert.append(raised.append)
        chain = PacketChain(clock)
        chain.subscribe(system.wids.handle, "alerts.wids")
        chain.subscribe(system.device_watch, "alerts.devices")
        return cls(clock, bus, system, chain, raised)

    def send(self, frame: bytes, ts: float | None = None, dlt: int = DLT_80211) -> None:
        """Hand one frame to the chain, captured at ``ts`` (the clock follows it)."""
        if ts is None:
            ts = self.clock.seconds()
        elif ts > self.clock.seconds():
            self.clock.advance(ts - self.clock.seconds())
        packet = self.chain.make_packet(_Source(), ts, dlt, frame)
        self.chain.inject(packet)
        assert self.chain.failures == {"alerts.wids": 0, "alerts.devices": 0}

    def headers(self) -> list[str]:
        return [alert.header for alert in self.alerts]

    def of(self, header: str) -> list[Alert]:
        return [alert for alert in self.alerts if alert.header == header]


def replay(path: Path, conf: str = "") -> Wids:
    """Replay a capture in capture time: the clock follows the packet timestamps."""
    reader = pcapy.open_offline(str(path))
    dlt = reader.datalink()
    first = True
    harness: Wids | None = None
    while True:
        try:
            header, blob = reader.next()
        except pcapy.PcapError:
            break  # a record cut short at the end of the file
        if header is None:
            break
        sec, usec = header.getts()
        ts = sec + usec * 1e-6
        if first:
            harness = Wids.build(conf, start=ts)
            first = False
        assert harness is not None
        harness.send(blob, ts, dlt)
    assert harness is not None
    return harness
