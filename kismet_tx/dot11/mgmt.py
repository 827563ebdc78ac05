"""Management frame fixed fields (the bytes between the MAC header and the IEs).

:func:`parse_fixed` decodes them for any management subtype into a
:class:`MgmtFixed`; :data:`IE_OFFSETS` says where each subtype's tagged IEs
start.  Capability bits are exposed as ``CAP_*`` constants.
"""

from __future__ import annotations

import struct
from typing import Final

from .errors import MalformedFrame
from .frames import MGMT_FIXED_LEN

__all__ = ["MgmtFixed", "parse_fixed", "IE_OFFSETS", "CAP_ESS", "CAP_IBSS", "CAP_PRIVACY"]

CAP_ESS: Final = 0x0001
CAP_IBSS: Final = 0x0002
CAP_PRIVACY: Final = 0x0010
CAP_SHORT_PREAMBLE: Final = 0x0020
CAP_SPECTRUM_MGMT: Final = 0x0100
CAP_QOS: Final = 0x0200
CAP_SHORT_SLOT: Final = 0x0400
CAP_APSD: Final = 0x0800
CAP_RADIO_MEASUREMENT: Final = 0x1000

#: Subtype -> offset of the tagged IEs after the MAC header (subtypes with IEs only).
IE_OFFSETS: Final[dict[int, int]] = {0: 4, 1: 6, 2: 10, 3: 6, 4: 0, 5: 12, 8: 12}

#: Beacon and probe response fixed fields: timestamp, beacon interval, capability.
BEACON_FIXED: Final = struct.Struct("<QHH")
_HH: Final = struct.Struct("<HH")
_HHH: Final = struct.Struct("<HHH")
_ASSOC: Final = struct.Struct("<HH6s")
_U16: Final = struct.Struct("<H")


#: The fields of :class:`MgmtFixed`, in order (its slots and its repr).
_MGMT_FIXED_FIELDS: Final = (
    "timestamp",
    "beacon_interval",
    "capability",
    "listen_interval",
    "current_ap",
    "status",
    "aid",
    "auth_algorithm",
    "auth_seq",
    "reason",
    "category",
    "action",
)


class MgmtFixed:
    """Fixed fields of a management frame; fields the subtype lacks are ``None``.

    ``timestamp``/``beacon_interval``/``capability`` (beacon, probe response),
    ``listen_interval``/``current_ap`` (association requests), ``status``/``aid``
    (responses, authentication), ``auth_algorithm``/``auth_seq``,
    ``reason`` (deauthentication, disassociation), ``category``/``action``.
    """

    __slots__ = _MGMT_FIXED_FIELDS

    def __init__(self) -> None:
        self.timestamp: int | None = None
        self.beacon_interval: int | None = None
        self.capability: int | None = None
        self.listen_interval: int | None = None
        self.current_ap: bytes | None = None
        self.status: int | None = None
        self.aid: int | None = None
        self.auth_algorithm: int | None = None
        self.auth_seq: int | None = None
        self.reason: int | None = None
        self.category: int | None = None
        self.action: int | None = None

    @property
    def privacy(self) -> bool:
        """Capability privacy bit (WEP or any RSN protection required)."""
        return bool(self.capability and self.capability & CAP_PRIVACY)

    @property
    def ess(self) -> bool:
        """Capability ESS bit (infrastructure AP)."""
        return bool(self.capability and self.capability & CAP_ESS)

    @property
    def ibss(self) -> bool:
        """Capability IBSS bit (ad-hoc)."""
        return bool(self.capability and self.capability & CAP_IBSS)

    def __repr__(self) -> str:
        items = ", ".join(
            f"{k}={getattr(self, k)!r}" for k in _MGMT_FIXED_FIELDS if getattr(self, k) is not None
        )
        return f"MgmtFixed({items})"


def parse_fixed(subtype: int, data: bytes, off: int = 0, end: int | None = None) -> MgmtFixed:
    """Decode the fixed fields of management ``subtype`` from ``data[off:end]``."""
    if end is None:
        end = len(data)
    if off < 0 or end > len(data) or end - off < MGMT_FIXED_LEN.get(subtype, 0):
        raise MalformedFrame("management body shorter than its fixed fields")
    m = MgmtFixed()
    if subtype == 8 or subtype == 5:
        m.timestamp, m.beacon_interval, m.capability = BEACON_FIXED.unpack_from(data, off)
    elif subtype == 0:
        m.capability, m.listen_interval = _HH.unpack_from(data, off)
    elif subtype == 2:
        m.capability, m.listen_interval, m.current_ap = _ASSOC.unpack_from(data, off)
    elif subtype == 1 or subtype == 3:
        m.capability, m.status, aid = _HHH.unpack_from(data, off)
        m.aid = aid & 0x3FFF
    elif subtype == 11:
        m.auth_algorithm, m.auth_seq, m.status = _HHH.unpack_from(data, off)
    elif subtype == 10 or subtype == 12:
        m.reason = _U16.unpack_from(data, off)[0]
    elif subtype == 13 or subtype == 14:
        m.category = data[off]
        if end - off >= 2:
            m.action = data[off + 1]
    return m
