"""Vendor-specific (IE 221) elements: WPS, WMM and the OWE transition element.

Each parser takes the vendor body *after* the 3-byte OUI and 1-byte type.
"""

from __future__ import annotations

import struct
from typing import Final

from .errors import MalformedFrame
from .text import munge_to_printable

__all__ = [
    "WPSInfo",
    "WMMInfo",
    "parse_wps",
    "parse_wmm",
    "parse_owe_transition",
    "WPS_CONFIGURED",
    "WPS_NOT_CONFIGURED",
    "WPS_LOCKED",
]

# Kismet's DOT11_WPS_* state bits.
WPS_CONFIGURED: Final = 0x01
WPS_NOT_CONFIGURED: Final = 0x02
WPS_LOCKED: Final = 0x04

_TLV: Final = struct.Struct(">HH")
_WPS_TEXT: Final = {
    0x1011: "device_name",
    0x1021: "manufacturer",
    0x1023: "model_name",
    0x1024: "model_number",
    0x1042: "serial_number",
}


#: The fields of :class:`WPSInfo`, in order (its slots and its repr).
_WPS_INFO_FIELDS: Final = (
    "version",
    "state",
    "ap_setup_locked",
    "selected_registrar",
    "device_name",
    "manufacturer",
    "model_name",
    "model_number",
    "serial_number",
    "uuid_e",
    "uuid_r",
    "config_methods",
    "primary_device_type",
    "truncated",
)


class WPSInfo:
    """Wi-Fi Protected Setup attributes; absent ones are ``None``.

    ``state`` is the raw WPS state (1 unconfigured, 2 configured); text fields
    are munged to printable strings; ``uuid_e`` is lowercase hex.
    ``truncated`` is set when the attribute list ended mid-attribute.
    """

    __slots__ = _WPS_INFO_FIELDS

    def __init__(self) -> None:
        self.version: int | None = None
        self.state: int | None = None
        self.ap_setup_locked: bool | None = None
        self.selected_registrar: bool | None = None
        self.device_name: str | None = None
        self.manufacturer: str | None = None
        self.model_name: str | None = None
        self.model_number: str | None = None
        self.serial_number: str | None = None
        self.uuid_e: str | None = None
        self.uuid_r: str | None = None
        self.config_methods: int | None = None
        self.primary_device_type: bytes | None = None
        self.truncated = False

    @property
    def kismet_state(self) -> int:
        """Kismet's WPS bitfield: configured / not configured, plus locked."""
        bits = 0
        if self.state == 2:
            bits |= WPS_CONFIGURED
        elif self.state is not None:
            bits |= WPS_NOT_CONFIGURED
        if self.ap_setup_locked:
            bits |= WPS_LOCKED
        return bits

    def __repr__(self) -> str:
        items = ", ".join(
            f"{k}={getattr(self, k)!r}"
            for k in _WPS_INFO_FIELDS
            if getattr(self, k) not in (None, False)
        )
        return f"WPSInfo({items})"


def parse_wps(data: bytes) -> WPSInfo:
    """Decode WPS TLV attributes (concatenate fragmented WPS IEs first); never raises."""
    w = WPSInfo()
    off, n = 0, len(data)
    while off + 4 <= n:
        t, ln = _TLV.unpack_from(data, off)
        off += 4
        if off + ln > n:
            w.truncated = True
            break
        v = data[off : off + ln]
        off += ln
        if t == 0x104A and ln >= 1:
            w.version = v[0]
        elif t == 0x1044 and ln >= 1:
            w.state = v[0]
        elif t == 0x1057 and ln >= 1:
            w.ap_setup_locked = bool(v[0])
        elif t == 0x1041 and ln >= 1:
            w.selected_registrar = bool(v[0])
        elif t in _WPS_TEXT:
            setattr(w, _WPS_TEXT[t], munge_to_printable(bytes(v).rstrip(b"\x00")))
        elif t == 0x1047:
            w.uuid_e = bytes(v).hex()
        elif t == 0x1048:
            w.uuid_r = bytes(v).hex()
        elif t == 0x1008 and ln >= 2:
            w.config_methods = int.from_bytes(v[:2], "big")
        elif t == 0x1054:
            w.primary_device_type = bytes(v)
    if off < n and not w.truncated:
        w.truncated = True
    return w


class WMMInfo:
    """WMM/WME information or parameter element.

    ``subtype`` 0 = information, 1 = parameter, 2 = TSPEC; ``qos_info`` is the
    QoS info byte; ``ac_params`` holds ``(aci_aifsn, ecw, txop)`` per access
    category for the parameter element.
    """

    __slots__ = ("subtype", "version", "qos_info", "ac_params")

    def __init__(self, subtype: int, version: int) -> None:
        self.subtype = subtype
        self.version = version
        self.qos_info: int | None = None
        self.ac_params: tuple[tuple[int, int, int], ...] = ()

    @property
    def uapsd(self) -> bool:
        """U-APSD advertised (AP QoS info bit 7)."""
        return bool(self.qos_info and self.qos_info & 0x80)

    def __repr__(self) -> str:
        return f"WMMInfo(subtype={self.subtype}, version={self.version}, qos={self.qos_info})"


_AC: Final = struct.Struct("<BBH")


def parse_wmm(data: bytes) -> WMMInfo:
    """Decode a WMM element body (after ``00:50:F2:02``)."""
    if len(data) < 2:
        raise MalformedFrame("WMM element shorter than 2 bytes")
    w = WMMInfo(data[0], data[1])
    if w.subtype in (0, 1):
        if len(data) < 3:
            raise MalformedFrame("WMM element without QoS info")
        w.qos_info = data[2]
    if w.subtype == 1:
        if len(data) < 20:
            raise MalformedFrame("WMM parameter element shorter than 20 bytes")
        w.ac_params = tuple(_AC.unpack_from(data, 4 + 4 * i) for i in range(4))
    return w


def parse_owe_transition(data: bytes) -> tuple[bytes, bytes]:
    """Decode the OWE transition element (after ``50:6F:9A:1C``): ``(bssid, ssid)``."""
    if len(data) < 7:
        raise MalformedFrame("OWE transition element shorter than 7 bytes")
    ln = data[6]
    if 7 + ln > len(data):
        raise MalformedFrame("OWE transition SSID runs past the element")
    return bytes(data[:6]), bytes(data[7 : 7 + ln])
