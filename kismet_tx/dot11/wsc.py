"""WPS (Wi-Fi Simple Config) messages carried in EAP-WSC over 802.1X."""

from __future__ import annotations

import struct
from typing import Final

from .eapol import EAPOL_EAP

__all__ = ["WSC_M3", "wps_message_type"]

#: The WSC message type of M3, the message a PIN brute-force attack repeats.
WSC_M3: Final = 0x07

_U16BE: Final = struct.Struct(">H")
_WFA_SIMPLE_CONFIG: Final = b"\x00\x37\x2a\x00\x00\x00\x01"
_WSC_MSG: Final = 0x04
_WSC_MESSAGE_TYPE: Final = 0x1022


def wps_message_type(data: bytes, off: int, end: int) -> int | None:
    """The WSC message type of an 802.1X body at ``data[off:end]`` (EAP-WSC), else None."""
    # 802.1X header (4), EAP code/id/length (4), type 254 (expanded), vendor id and type (7).
    if end - off < 4 + 5 + 7 + 2 or data[off + 1] != EAPOL_EAP:
        return None
    eap = off + 4
    if data[eap] not in (1, 2) or data[eap + 4] != 254:
        return None
    pos = eap + 5
    if data[pos : pos + 7] != _WFA_SIMPLE_CONFIG:
        return None
    pos += 7
    opcode, flags = data[pos], data[pos + 1]
    pos += 2
    if opcode != _WSC_MSG:
        return None
    if flags & 0x02:
        pos += 2
    eap_end = min(end, eap + _U16BE.unpack_from(data, eap + 2)[0])
    while pos + 4 <= eap_end:
        kind, length = _U16BE.unpack_from(data, pos)[0], _U16BE.unpack_from(data, pos + 2)[0]
        pos += 4
        if pos + length > eap_end:
            return None
        if kind == _WSC_MESSAGE_TYPE and length >= 1:
            return data[pos]
        pos += length
    return None
