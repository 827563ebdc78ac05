"""Malformed management frames: MALFORMMGMT (short frames, bad element lists) and LONGSSID."""

from __future__ import annotations

from typing import Final

from kismet_tx.alerts.wids.state import WidsState
from kismet_tx.chain import Packet
from kismet_tx.dot11.errors import MalformedFrame
from kismet_tx.dot11.frames import mac_str
from kismet_tx.dot11.ies import IESet
from kismet_tx.dot11.linklayer import decode_link
from kismet_tx.dot11.packet import Dot11Packet

__all__ = ["FIXED_IE_LENGTHS", "SUBTYPE_TEXT", "check_elements", "check_short_management",
           "malformed_ies"]

#: Elements whose body length the standard fixes (tag -> length).
FIXED_IE_LENGTHS: Final[dict[int, int]] = {
    3: 1,     # DS parameter set
    6: 2,     # IBSS parameter set
    32: 1,    # power constraint
    35: 2,    # TPC report
    37: 3,    # channel switch announcement
    42: 1,    # ERP information
    45: 26,   # HT capabilities
    54: 3,    # mobility domain
    61: 22,   # HT operation
    62: 1,    # secondary channel offset
    72: 1,    # 20/40 BSS coexistence
    74: 14,   # overlapping BSS scan parameters
    191: 12,  # VHT capabilities
    192: 5,   # VHT operation
}

#: Management subtypes that carry tagged elements, by name.
SUBTYPE_TEXT: Final = {0: "association request", 2: "reassociation request", 4: "probe request",
                       5: "probe response", 8: "beacon"}


def check_short_management(w: WidsState, packet: Packet) -> None:
    """A frame that did not decode: MALFORMMGMT if it is a management frame."""
    if not w.can("MALFORMMGMT"):
        return
    try:
        _radio, off = decode_link(packet.dlt, packet.data)
    except MalformedFrame:
        return
    data = packet.data
    if len(data) - off < 2 or data[off] & 0x0F != 0:
        return  # not version 0 + management
    transmitter = data[off + 10 : off + 16] if len(data) - off >= 16 else None
    w.raise_alert("MALFORMMGMT",
                  f"Malformed management frame from {mac_str(transmitter) or 'unknown'}: "
                  f"{len(data) - off} bytes is too short for its header and fixed fields",
                  packet, None, source=transmitter)


def malformed_ies(ies: IESet) -> str | None:
    """Why an element list is malformed, or None."""
    if ies.truncated:
        return "the element list runs past the end of the frame"
    for tag, _off, length in ies.tags:
        want = FIXED_IE_LENGTHS.get(tag)
        if want is not None and length != want:
            return f"element {tag} is {length} bytes long, it must be {want}"
    if 48 in ies and ies.rsn is None:
        return f"undecodable RSN element ({ies.errors.get('rsn', 'malformed')})"
    if ies.vendor(b"\x00\x50\xf2", 1) and ies.wpa is None:
        return f"undecodable WPA element ({ies.errors.get('wpa', 'malformed')})"
    return None


def check_elements(w: WidsState, packet: Packet, p: Dot11Packet, ies: IESet,
                   ssid: bytes | None) -> bool:
    """MALFORMMGMT for a bad element list, LONGSSID for an oversized SSID.

    True when the frame is malformed, so no other rule judges it.
    """
    sub = p.subtype
    # Element lists are shared between identical frames: judge each one once.
    problem = ies.memo("wids.malformed", malformed_ies)
    if problem is not None:
        if w.can("MALFORMMGMT"):
            w.raise_alert("MALFORMMGMT",
                          f"Malformed {SUBTYPE_TEXT[sub]} from {mac_str(p.transmitter)}: "
                          f"{problem}", packet, p, bssid=p.bssid, source=p.source,
                          dest=p.dest)
        return True
    if ssid is not None and len(ssid) > 32:
        if w.can("LONGSSID"):
            w.raise_alert("LONGSSID",
                          f"Illegal SSID of {len(ssid)} bytes (more than 32) in a "
                          f"{SUBTYPE_TEXT[sub]} from {mac_str(p.transmitter)}, which "
                          "likely indicates an exploit attempt", packet, p,
                          bssid=p.bssid, source=p.source, dest=p.dest)
        return True
    return False
