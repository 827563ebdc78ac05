"""Pure 802.11 decoding for kismet_tx (no Twisted, no I/O).

Entry point: :func:`decode_packet` ``(dlt, data) -> Dot11Packet``.  Layers:

* :mod:`.radiotap`, :mod:`.linklayer` - radiotap / PPI / Prism / AVS / raw 802.11
  capture headers (:func:`decode_link`), giving a lazy :class:`RadioInfo`
  (:mod:`.radio`);
* :mod:`.frames` - the MAC header object (:class:`Dot11Frame`, :func:`mac_str`);
* :mod:`.decode` - :func:`decode_packet`, :func:`decode_frame`; :mod:`.packet` -
  :class:`Dot11Packet`, the decoded record with its lazy bodies;
* :mod:`.mgmt` - management fixed fields; :mod:`.ies` - lazy, cached IEs, with
  single-IE bodies in :mod:`.elements`;
* :mod:`.rsn`, :mod:`.vendor` - RSN/WPA/WPS/WMM; :mod:`.cryptbits`,
  :mod:`.crypt` - Kismet's crypt bitsets and strings; :mod:`.eapol` - LLC and EAPOL.

Every decoder returns a result or raises :class:`MalformedFrame`.
"""

from __future__ import annotations

from .crypt import crypt_set, crypt_to_legacy, crypt_to_simple_string, crypt_to_string
from .decode import decode_frame, decode_packet
from .eapol import EAPOL, LLC, parse_eapol, parse_llc
from .errors import MalformedFrame, UnsupportedLinkType
from .frames import (
    BROADCAST,
    TYPE_CTRL,
    TYPE_DATA,
    TYPE_EXT,
    TYPE_MGMT,
    Dot11Frame,
    mac_str,
    subtype_name,
)
from .ies import IESet, clear_ie_cache, ies_for
from .linklayer import (
    DLT_AVS,
    DLT_IEEE802_11,
    DLT_PPI,
    DLT_PRISM,
    DLT_RADIOTAP,
    SUPPORTED_DLTS,
    decode_link,
)
from .mgmt import MgmtFixed, parse_fixed
from .packet import Dot11Packet
from .radio import RadioInfo, channel_to_freq, freq_to_channel
from .rsn import SecurityInfo, parse_rsn, parse_wpa
from .text import munge_to_printable

__all__ = [
    "BROADCAST",
    "DLT_AVS",
    "DLT_IEEE802_11",
    "DLT_PPI",
    "DLT_PRISM",
    "DLT_RADIOTAP",
    "EAPOL",
    "IESet",
    "LLC",
    "SUPPORTED_DLTS",
    "TYPE_CTRL",
    "TYPE_DATA",
    "TYPE_EXT",
    "TYPE_MGMT",
    "Dot11Frame",
    "Dot11Packet",
    "MalformedFrame",
    "MgmtFixed",
    "RadioInfo",
    "SecurityInfo",
    "UnsupportedLinkType",
    "channel_to_freq",
    "clear_ie_cache",
    "crypt_set",
    "crypt_to_legacy",
    "crypt_to_simple_string",
    "crypt_to_string",
    "decode_frame",
    "decode_link",
    "decode_packet",
    "freq_to_channel",
    "ies_for",
    "mac_str",
    "munge_to_printable",
    "parse_eapol",
    "parse_fixed",
    "parse_llc",
    "parse_rsn",
    "parse_wpa",
    "subtype_name",
]
