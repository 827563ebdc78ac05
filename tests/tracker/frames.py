"""802.11 frames built for the tracker tests (radiotap or plain 802.11)."""

from __future__ import annotations

import struct

from tests.dot11.builders import (
    beacon_body,
    data,
    ie,
    mgmt,
    rsn_ie,
    rt_basic,
    with_fcs,
    wpa_ie,
)

DLT_RADIOTAP = 127
DLT_80211 = 105

AP = bytes.fromhex("00c0ca112233")
AP2 = bytes.fromhex("00c0ca445566")
STA = bytes.fromhex("a4b1c1d1e1f1")
STA2 = bytes.fromhex("001b638a0b0c")
WIRED = bytes.fromhex("0016cb010203")
BCAST = b"\xff" * 6

__all__ = ["AP", "AP2", "BCAST", "DLT_80211", "DLT_RADIOTAP", "STA", "STA2", "WIRED",
           "assoc_req", "beacon", "data_frame", "deauth", "eapol_key", "probe_req",
           "probe_resp", "radio", "rsn_ie", "wds_frame", "with_fcs", "wpa_ie"]


def radio(frame: bytes, freq: int = 2437, signal: int = -50) -> bytes:
    """A frame behind a radiotap header with channel and dBm signal."""
    return rt_basic(freq=freq, signal=signal) + frame


def beacon(bssid: bytes = AP, ssid: bytes = b"Home", channel: int = 6,
           security: bytes = b"", capability: int = 0x0411, interval: int = 100,
           extra: bytes = b"") -> bytes:
    """A beacon advertising ``ssid`` on ``channel`` (DS parameter set)."""
    ies = ie(0, ssid) + ie(1, b"\x82\x84\x8b\x96\x0c\x12\x18\x24") + ie(3, bytes([channel]))
    return mgmt(8, beacon_body(ies + security + extra, capability, interval), a1=BCAST,
                a2=bssid, a3=bssid)


def probe_resp(bssid: bytes = AP, client: bytes = STA, ssid: bytes = b"Home",
               channel: int = 6, security: bytes = b"", capability: int = 0x0411) -> bytes:
    """A probe response from ``bssid`` to ``client``."""
    ies = ie(0, ssid) + ie(1, b"\x82\x84") + ie(3, bytes([channel])) + security
    return mgmt(5, beacon_body(ies, capability), a1=client, a2=bssid, a3=bssid)


def probe_req(client: bytes = STA, ssid: bytes = b"", bssid: bytes = BCAST,
              extra: bytes = b"") -> bytes:
    """A probe request (wildcard when ``ssid`` is empty)."""
    return mgmt(4, ie(0, ssid) + ie(1, b"\x82\x84\x8b\x96") + extra, a1=BCAST, a2=client,
                a3=bssid)


def assoc_req(client: bytes = STA, bssid: bytes = AP, ssid: bytes = b"Home",
              capability: int = 0x0431, security: bytes = b"") -> bytes:
    """An association request (capability, listen interval, IEs)."""
    body = struct.pack("<HH", capability, 10) + ie(0, ssid) + ie(1, b"\x82\x84") + security
    return mgmt(0, body, a1=bssid, a2=client, a3=bssid)


def deauth(bssid: bytes = AP, client: bytes = STA, reason: int = 7) -> bytes:
    """A deauthentication from the AP to a client."""
    return mgmt(12, struct.pack("<H", reason), a1=client, a2=bssid, a3=bssid)


def data_frame(ds: int, bssid: bytes = AP, src: bytes = STA, dst: bytes = WIRED,
               body: bytes = b"\xaa\xaa\x03\x00\x00\x00\x08\x00" + b"\x45" + b"\x00" * 27,
               subtype: int = 0, protected: bool = False, retry: bool = False,
               a4: bytes | None = None) -> bytes:
    """A data frame with the addresses placed as the DS bits say (3: WDS, ``a4`` = source)."""
    flags = ds | (0x40 if protected else 0) | (0x08 if retry else 0)
    if ds == 0:
        a1, a2, a3 = dst, src, bssid
    elif ds == 1:
        a1, a2, a3 = bssid, src, dst
    elif ds == 2:
        a1, a2, a3 = dst, bssid, src
    else:
        raise ValueError("use wds_frame for ds=3")
    return data(subtype, flags, a1=a1, a2=a2, a3=a3, a4=a4, body=body)


def wds_frame(receiver: bytes, transmitter: bytes, dst: bytes, src: bytes,
              protected: bool = True) -> bytes:
    """A 4-address (WDS) data frame."""
    flags = 0x03 | (0x40 if protected else 0)
    return data(8, flags, a1=receiver, a2=transmitter, a3=dst, a4=src, qos=0,
                body=b"\x00" * 40)


_KEY_INFO = {1: 0x008A, 2: 0x010A, 3: 0x13CA, 4: 0x030A}


def eapol_key(message: int, bssid: bytes = AP, client: bytes = STA, replay: int = 1,
              nonce: bytes | None = None, pmkid: bytes | None = None) -> bytes:
    """One frame of the 4-way handshake (1 and 3 from the AP, 2 and 4 from the client)."""
    key_data = b""
    if message == 2:
        key_data = rsn_ie()
    elif message == 3:
        key_data = b"\x00" * 56
    elif message == 1 and pmkid is not None:
        key_data = b"\xdd\x14\x00\x0f\xac\x04" + pmkid
    if nonce is None:
        nonce = bytes([message]) * 32 if message in (1, 2, 3) else bytes(32)
    mic = bytes(16) if message == 1 else b"\x11" * 16
    body = struct.pack(">BHHQ32s16s8s8x16sH", 2, _KEY_INFO[message], 16, replay, nonce,
                       bytes(16), bytes(8), mic, len(key_data)) + key_data
    eapol = struct.pack(">BBH", 2, 3, len(body)) + body
    llc = b"\xaa\xaa\x03\x00\x00\x00\x88\x8e" + eapol
    if message in (1, 3):
        return data(8, 0x02, a1=client, a2=bssid, a3=bssid, qos=0, body=llc)
    return data(8, 0x01, a1=bssid, a2=client, a3=bssid, qos=0, body=llc)
