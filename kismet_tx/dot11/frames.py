"""The 802.11 MAC header: :class:`Dot11Frame`, frame type constants, names.

A :class:`Dot11Frame` (filled by :func:`kismet_tx.dot11.decode_packet` or
:func:`kismet_tx.dot11.decode_frame`) holds frame control, the raw address
fields plus the derived roles (BSSID, source, destination, transmitter,
receiver, incl. 4-address WDS), sequence control, and on demand duration, QoS
and HT control.  Addresses are 6-byte ``bytes``; :func:`mac_str` renders
them Kismet-style.
"""

from __future__ import annotations

import struct
from typing import Final

__all__ = [
    "TYPE_MGMT",
    "TYPE_CTRL",
    "TYPE_DATA",
    "TYPE_EXT",
    "MGMT_SUBTYPES",
    "CTRL_SUBTYPES",
    "DATA_SUBTYPES",
    "BROADCAST",
    "Dot11Frame",
    "mac_str",
    "subtype_name",
]

TYPE_MGMT: Final = 0
TYPE_CTRL: Final = 1
TYPE_DATA: Final = 2
TYPE_EXT: Final = 3
TYPE_NAMES: Final[tuple[str, ...]] = ("mgmt", "ctrl", "data", "ext")

# Management subtypes.
ST_ASSOC_REQ: Final = 0
ST_ASSOC_RESP: Final = 1
ST_REASSOC_REQ: Final = 2
ST_REASSOC_RESP: Final = 3
ST_PROBE_REQ: Final = 4
ST_PROBE_RESP: Final = 5
ST_TIMING_ADV: Final = 6
ST_BEACON: Final = 8
ST_ATIM: Final = 9
ST_DISASSOC: Final = 10
ST_AUTH: Final = 11
ST_DEAUTH: Final = 12
ST_ACTION: Final = 13
ST_ACTION_NO_ACK: Final = 14

# Control subtypes.
ST_TRIGGER: Final = 2
ST_BF_POLL: Final = 4
ST_NDPA: Final = 5
ST_CTRL_EXT: Final = 6
ST_CTRL_WRAPPER: Final = 7
ST_BAR: Final = 8
ST_BA: Final = 9
ST_PSPOLL: Final = 10
ST_RTS: Final = 11
ST_CTS: Final = 12
ST_ACK: Final = 13
ST_CFEND: Final = 14
ST_CFEND_ACK: Final = 15

MGMT_SUBTYPES: dict[int, str] = {
    0: "assoc_req", 1: "assoc_resp", 2: "reassoc_req", 3: "reassoc_resp",
    4: "probe_req", 5: "probe_resp", 6: "timing_adv", 8: "beacon", 9: "atim",
    10: "disassoc", 11: "auth", 12: "deauth", 13: "action", 14: "action_no_ack",
}  # fmt: skip
CTRL_SUBTYPES: dict[int, str] = {
    2: "trigger", 3: "tack", 4: "bf_report_poll", 5: "ndp_announce", 6: "ctrl_ext",
    7: "ctrl_wrapper", 8: "block_ack_req", 9: "block_ack", 10: "ps_poll", 11: "rts",
    12: "cts", 13: "ack", 14: "cf_end", 15: "cf_end_ack",
}  # fmt: skip
DATA_SUBTYPES: dict[int, str] = {
    0: "data", 1: "data_cf_ack", 2: "data_cf_poll", 3: "data_cf_ack_poll", 4: "null",
    5: "cf_ack", 6: "cf_poll", 7: "cf_ack_poll", 8: "qos_data", 9: "qos_data_cf_ack",
    10: "qos_data_cf_poll", 11: "qos_data_cf_ack_poll", 12: "qos_null", 14: "qos_cf_poll",
    15: "qos_cf_ack_poll",
}  # fmt: skip
_SUBTYPE_TABLES: Final[tuple[dict[int, str], ...]] = (
    MGMT_SUBTYPES, CTRL_SUBTYPES, DATA_SUBTYPES, {})

BROADCAST: Final = b"\xff\xff\xff\xff\xff\xff"

# Minimum fixed-field bytes after the MAC header, per management subtype.
MGMT_FIXED_LEN: dict[int, int] = {
    ST_ASSOC_REQ: 4, ST_ASSOC_RESP: 6, ST_REASSOC_REQ: 10, ST_REASSOC_RESP: 6,
    ST_PROBE_RESP: 12, ST_BEACON: 12, ST_DISASSOC: 2, ST_AUTH: 6, ST_DEAUTH: 2,
    ST_ACTION: 1, ST_ACTION_NO_ACK: 1,
}  # fmt: skip

_U16: Final = struct.Struct("<H")
_U32: Final = struct.Struct("<I")


def mac_str(mac: bytes | None) -> str:
    """Kismet-style ``"AA:BB:CC:DD:EE:FF"``; ``""`` for ``None``."""
    return mac.hex(":").upper() if mac else ""


def subtype_name(ftype: int, subtype: int) -> str:
    """Short name such as ``"beacon"``, ``"ack"``, ``"qos_data"`` (``"reserved_N"``)."""
    return _SUBTYPE_TABLES[ftype & 3].get(subtype, f"reserved_{subtype}")


class Dot11Frame:
    """The decoded MAC header of one 802.11 frame.

    Addresses are 6-byte ``bytes`` or ``None`` when the frame has no such
    field/role.  ``start``/``end`` delimit the 802.11 frame inside ``raw``
    (``end`` excludes the FCS); ``body_offset`` is where the frame body starts
    (after QoS/HT control and any data padding), as an offset into ``raw``.
    ``seqctl`` is the raw sequence-control field (``seq``/``frag`` split it).
    """

    __slots__ = (
        "raw",
        "start",
        "end",
        "type",
        "subtype",
        "flags",
        "addr1",
        "addr2",
        "addr3",
        "bssid",
        "source",
        "dest",
        "seqctl",
        "body_offset",
    )

    raw: bytes
    start: int
    end: int
    type: int
    subtype: int
    flags: int
    addr1: bytes
    addr2: bytes | None
    addr3: bytes | None
    bssid: bytes | None
    source: bytes | None
    dest: bytes | None
    seqctl: int | None
    body_offset: int

    @property
    def receiver(self) -> bytes:
        """Receiver address (addr1)."""
        return self.addr1

    @property
    def transmitter(self) -> bytes | None:
        """Transmitter address (addr2); ``None`` for ACK/CTS and other RA-only frames."""
        return self.addr2

    @property
    def addr4(self) -> bytes | None:
        """Fourth address of a 4-address (WDS) data frame."""
        if self.type == TYPE_DATA and self.flags & 0x03 == 3:
            s = self.start
            return self.raw[s + 24 : s + 30]
        return None

    @property
    def duration(self) -> int:
        """Duration/ID field."""
        duration: int = _U16.unpack_from(self.raw, self.start + 2)[0]
        return duration

    @property
    def seq(self) -> int | None:
        """Sequence number (``None`` for control frames)."""
        sc = self.seqctl
        return None if sc is None else sc >> 4

    @property
    def frag(self) -> int | None:
        """Fragment number (``None`` for control frames)."""
        sc = self.seqctl
        return None if sc is None else sc & 0x0F

    @property
    def qos(self) -> int | None:
        """QoS control field of QoS data frames."""
        if self.type != TYPE_DATA or not self.subtype & 0x08:
            return None
        off = self.start + (30 if self.flags & 0x03 == 3 else 24)
        qos: int = _U16.unpack_from(self.raw, off)[0]
        return qos

    @property
    def ht_control(self) -> int | None:
        """HT control field (+HTC management and QoS data frames)."""
        if not self.flags & 0x80:
            return None
        if self.type == TYPE_MGMT:
            off = self.start + 24
        elif self.type == TYPE_DATA and self.subtype & 0x08:
            off = self.start + (32 if self.flags & 0x03 == 3 else 26)
        else:
            return None
        htc: int = _U32.unpack_from(self.raw, off)[0]
        return htc

    @property
    def tods(self) -> bool:
        """To-DS flag."""
        return bool(self.flags & 0x01)

    @property
    def fromds(self) -> bool:
        """From-DS flag."""
        return bool(self.flags & 0x02)

    @property
    def ds(self) -> int:
        """DS bits as a number: 0 none, 1 to-DS, 2 from-DS, 3 WDS (4-address)."""
        return self.flags & 0x03

    @property
    def morefrag(self) -> bool:
        """More-fragments flag."""
        return bool(self.flags & 0x04)

    @property
    def retry(self) -> bool:
        """Retry flag."""
        return bool(self.flags & 0x08)

    @property
    def pwrmgt(self) -> bool:
        """Power-management flag."""
        return bool(self.flags & 0x10)

    @property
    def moredata(self) -> bool:
        """More-data flag."""
        return bool(self.flags & 0x20)

    @property
    def protected(self) -> bool:
        """Protected-frame flag (WEP/TKIP/CCMP/GCMP body)."""
        return bool(self.flags & 0x40)

    @property
    def order(self) -> bool:
        """Order / +HTC flag."""
        return bool(self.flags & 0x80)

    @property
    def type_name(self) -> str:
        """``"mgmt"``, ``"ctrl"``, ``"data"`` or ``"ext"``."""
        return TYPE_NAMES[self.type]

    @property
    def subtype_name(self) -> str:
        """Subtype name, e.g. ``"beacon"`` or ``"qos_data"``."""
        return subtype_name(self.type, self.subtype)

    @property
    def length(self) -> int:
        """802.11 frame length in bytes, FCS excluded."""
        return self.end - self.start

    @property
    def body_len(self) -> int:
        """Bytes of frame body after the MAC header (FCS excluded)."""
        return self.end - self.body_offset if self.end > self.body_offset else 0

    @property
    def body(self) -> bytes:
        """The frame body (a copy), FCS excluded."""
        return self.raw[self.body_offset : self.end]

    @property
    def tid(self) -> int | None:
        """QoS traffic identifier, for QoS data frames."""
        q = self.qos
        return None if q is None else q & 0x0F

    @property
    def crypt_guess(self) -> str | None:
        """``"WEP"``, ``"TKIP"`` or ``"CCMP"`` guessed from a protected body's IV.

        No Extended-IV bit means WEP; with ExtIV, TKIP is recognised by its
        WEP-seed byte (``(TSC1 | 0x20) & 0x7F``), anything else is CCMP (or GCMP,
        which looks the same).  ``None`` when unprotected or too short.
        """
        if not self.flags & 0x40 or self.type == TYPE_CTRL:
            return None
        o = self.body_offset
        if self.end - o < 4:
            return None
        raw = self.raw
        if not raw[o + 3] & 0x20:
            return "WEP"
        if self.end - o < 8:
            return None
        if raw[o + 1] == (raw[o] | 0x20) & 0x7F:
            return "TKIP"
        return "CCMP"

    @property
    def key_id(self) -> int | None:
        """Key index from a protected body's IV."""
        if not self.flags & 0x40 or self.type == TYPE_CTRL or self.end - self.body_offset < 4:
            return None
        return self.raw[self.body_offset + 3] >> 6

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {TYPE_NAMES[self.type]}/{self.subtype_name} "
            f"ta={mac_str(self.transmitter)} ra={mac_str(self.receiver)} "
            f"bssid={mac_str(self.bssid)} len={self.end - self.start}>"
        )
