"""LLC/SNAP and 802.1X / EAPOL decoding for 802.11 data frame payloads.

:func:`parse_llc` reads the LLC (and SNAP) header at the start of an
unprotected data body; :func:`parse_eapol` decodes the 802.1X header and an
EAPOL-Key body (RSN/WPA descriptors), including the PMKID KDE and Kismet's
4-way handshake message number.
"""

from __future__ import annotations

import struct
from typing import Final

from .errors import MalformedFrame

__all__ = [
    "LLC",
    "EAPOL",
    "parse_llc",
    "parse_eapol",
    "ETHERTYPE_EAPOL",
    "EAPOL_EAP",
    "EAPOL_START",
    "EAPOL_LOGOFF",
    "EAPOL_KEY",
]

ETHERTYPE_EAPOL: Final = 0x888E
ETHERTYPE_IPV4: Final = 0x0800
ETHERTYPE_ARP: Final = 0x0806
ETHERTYPE_IPV6: Final = 0x86DD

EAPOL_EAP: Final = 0
EAPOL_START: Final = 1
EAPOL_LOGOFF: Final = 2
EAPOL_KEY: Final = 3

_SNAP: Final = struct.Struct(">BBB3sH")
_EAPOL_HDR: Final = struct.Struct(">BBH")
_KEY: Final = struct.Struct(">BHHQ32s16s8s8x16sH")
_EAP: Final = struct.Struct(">BBH")
_PMKID_KDE: Final = b"\x00\x0f\xac\x04"


class LLC:
    """An 802.2 LLC header: ``dsap``, ``ssap``, ``control``; with SNAP also
    ``oui`` (3 bytes) and ``ethertype``.  ``payload_offset`` follows it."""

    __slots__ = ("dsap", "ssap", "control", "oui", "ethertype", "payload_offset")

    def __init__(self, dsap: int, ssap: int, control: int, oui: bytes | None,
                 ethertype: int | None, payload_offset: int) -> None:  # fmt: skip
        self.dsap = dsap
        self.ssap = ssap
        self.control = control
        self.oui = oui
        self.ethertype = ethertype
        self.payload_offset = payload_offset

    @property
    def is_snap(self) -> bool:
        """SNAP encapsulation (AA AA 03)."""
        return self.oui is not None

    def __repr__(self) -> str:
        et = f" ethertype=0x{self.ethertype:04x}" if self.ethertype is not None else ""
        return f"LLC(dsap=0x{self.dsap:02x} ssap=0x{self.ssap:02x}{et})"


def parse_llc(data: bytes, off: int = 0, end: int | None = None) -> LLC:
    """Decode the LLC/SNAP header at ``data[off:end]``."""
    if end is None:
        end = len(data)
    if off < 0 or end > len(data) or end - off < 3:
        raise MalformedFrame("LLC header shorter than 3 bytes")
    dsap, ssap, ctrl = data[off], data[off + 1], data[off + 2]
    if dsap == 0xAA and ssap == 0xAA and ctrl == 0x03:
        if end - off < 8:
            raise MalformedFrame("SNAP header shorter than 8 bytes")
        _d, _s, _c, oui, et = _SNAP.unpack_from(data, off)
        return LLC(dsap, ssap, ctrl, oui, et, off + 8)
    return LLC(dsap, ssap, ctrl, None, None, off + 3)


class EAPOL:
    """An 802.1X frame; key fields are ``None`` unless ``type`` is EAPOL-Key.

    ``version``, ``type``, ``length``; for EAP packets ``eap_code``/``eap_id``/
    ``eap_type``; for keys ``descriptor_type``, ``key_info``, ``key_length``,
    ``replay_counter``, ``nonce``, ``key_iv``, ``key_rsc``, ``mic``,
    ``key_data``, ``pmkid`` (from the PMKID KDE) and ``message`` (1-4, 0 when
    the key-info bits fit no 4-way message).
    """

    __slots__ = (
        "version",
        "type",
        "length",
        "eap_code",
        "eap_id",
        "eap_type",
        "descriptor_type",
        "key_info",
        "key_length",
        "replay_counter",
        "nonce",
        "key_iv",
        "key_rsc",
        "mic",
        "key_data",
        "pmkid",
    )

    def __init__(self, version: int, ptype: int, length: int) -> None:
        self.version = version
        self.type = ptype
        self.length = length
        self.eap_code: int | None = None
        self.eap_id: int | None = None
        self.eap_type: int | None = None
        self.descriptor_type: int | None = None
        self.key_info: int | None = None
        self.key_length: int | None = None
        self.replay_counter: int | None = None
        self.nonce: bytes | None = None
        self.key_iv: bytes | None = None
        self.key_rsc: bytes | None = None
        self.mic: bytes | None = None
        self.key_data: bytes | None = None
        self.pmkid: bytes | None = None

    def _ki(self, bit: int) -> bool:
        return bool(self.key_info is not None and self.key_info & bit)

    @property
    def is_key(self) -> bool:
        """EAPOL-Key frame."""
        return self.type == EAPOL_KEY

    @property
    def descriptor_version(self) -> int | None:
        """Key descriptor version (1 HMAC-MD5/RC4, 2 HMAC-SHA1/AES, 3 AES-CMAC)."""
        return None if self.key_info is None else self.key_info & 0x07

    @property
    def pairwise(self) -> bool:
        """Pairwise key (key-info bit 3)."""
        return self._ki(0x0008)

    @property
    def install(self) -> bool:
        """Install flag (bit 6)."""
        return self._ki(0x0040)

    @property
    def ack(self) -> bool:
        """Key ACK flag (bit 7)."""
        return self._ki(0x0080)

    @property
    def mic_flag(self) -> bool:
        """Key MIC flag (bit 8)."""
        return self._ki(0x0100)

    @property
    def secure(self) -> bool:
        """Secure flag (bit 9)."""
        return self._ki(0x0200)

    @property
    def error(self) -> bool:
        """Error flag (bit 10)."""
        return self._ki(0x0400)

    @property
    def request(self) -> bool:
        """Request flag (bit 11)."""
        return self._ki(0x0800)

    @property
    def encrypted_key_data(self) -> bool:
        """Encrypted key data flag (bit 12)."""
        return self._ki(0x1000)

    @property
    def mic_present(self) -> bool:
        """The MIC field holds a non-zero value."""
        return bool(self.mic and self.mic.count(0) != len(self.mic))

    @property
    def nonce_zero(self) -> bool:
        """The nonce is all zeros."""
        return bool(self.nonce is not None and self.nonce.count(0) == len(self.nonce))

    @property
    def message(self) -> int:
        """4-way handshake message number as Kismet derives it (0 = not one of 1-4)."""
        if self.key_info is None:
            return 0
        ack, mic, inst = self.ack, self.mic_flag, self.install
        if ack and not mic and not inst:
            return 1
        if mic and not ack and not inst:
            return 2 if self.key_data else 4
        if mic and ack:
            return 3
        return 0

    def __repr__(self) -> str:
        if self.type == EAPOL_KEY:
            return (
                f"EAPOL(key msg={self.message} info=0x{self.key_info:04x} "
                f"replay={self.replay_counter} pmkid={self.pmkid is not None})"
            )
        return f"EAPOL(type={self.type} len={self.length})"


def _find_pmkid(kd: bytes) -> bytes | None:
    off, n = 0, len(kd)
    while off + 2 <= n:
        tag, ln = kd[off], kd[off + 1]
        if off + 2 + ln > n:
            return None
        if tag == 0xDD and ln >= 20 and kd[off + 2 : off + 6] == _PMKID_KDE:
            return kd[off + 6 : off + 22]
        off += 2 + ln
    return None


def parse_eapol(data: bytes, off: int = 0, end: int | None = None) -> EAPOL:
    """Decode an 802.1X frame at ``data[off:end]`` (after the LLC/SNAP header)."""
    if end is None:
        end = len(data)
    if off < 0 or end > len(data) or end - off < 4:
        raise MalformedFrame("802.1X header shorter than 4 bytes")
    version, ptype, length = _EAPOL_HDR.unpack_from(data, off)
    e = EAPOL(version, ptype, length)
    body = off + 4
    if ptype == EAPOL_EAP:
        if end - body >= 4:
            e.eap_code, e.eap_id, _len = _EAP.unpack_from(data, body)
            if e.eap_code in (1, 2) and end - body >= 5:
                e.eap_type = data[body + 4]
        return e
    if ptype != EAPOL_KEY:
        return e
    if end - body < _KEY.size:
        raise MalformedFrame("EAPOL-Key body shorter than 95 bytes")
    (e.descriptor_type, e.key_info, e.key_length, e.replay_counter, nonce, iv, rsc, mic,
     kd_len) = _KEY.unpack_from(data, body)  # fmt: skip
    e.nonce = nonce
    e.key_iv = iv
    e.key_rsc = rsc
    e.mic = mic
    kd_off = body + _KEY.size
    if kd_off + kd_len > end:
        raise MalformedFrame("EAPOL-Key data runs past the frame")
    kd = bytes(data[kd_off : kd_off + kd_len])
    e.key_data = kd
    if kd and not e.key_info & 0x1000:
        e.pmkid = _find_pmkid(kd)
    return e
