"""Kismet's 802.11 SSID tracker: one group per SSID, with the devices that show it.

Each SSID (by Kismet's SSID hash, the same as ``dot11.advertisedssid.ssid_hash``)
collects the devices that advertise it in beacons, answer probes for it, or
probe for it; hidden (empty) SSIDs are not grouped, as in Kismet. The group's
crypt is the one first seen; its first and last time span its devices'.
Devices the tracker has since forgotten drop out of their groups.
"""

from __future__ import annotations

import zlib
from typing import Any, Final

from kismet_tx.dot11.crypt import crypt_to_simple_string
from kismet_tx.fields import FieldDef

_G: Final = "dot11.ssidgroup."

SSIDGROUP_FIELDS: Final = (
    FieldDef(_G + "hash", "uint64", "unique hash of ssid and encryption options"),
    FieldDef(_G + "ssid", "string", "SSID"),
    FieldDef(_G + "ssid_len", "uint32", "Length of SSID"),
    FieldDef(_G + "crypt_set", "uint64", "Advertised encryption set"),
    FieldDef(_G + "crypt_string", "string", "printable encryption information"),
    FieldDef(_G + "first_time", "uint64", "First time seen (unix timestamp)"),
    FieldDef(_G + "last_time", "uint64", "Last time seen (unix timestamp)"),
    FieldDef(_G + "probing_devices", "vector[device_key]", "Probing device keys"),
    FieldDef(_G + "responding_devices", "vector[device_key]", "Responding device keys"),
    FieldDef(_G + "advertising_devices", "vector[device_key]", "Advertising device keys"),
    FieldDef(_G + "probing_devices_len", "uint64", "Number of probing devices"),
    FieldDef(_G + "responding_devices_len", "uint64", "Number of responding devices"),
    FieldDef(_G + "advertising_devices_len", "uint64", "Number of advertising devices"),
)

_ROLES: Final = ("advertised", "responded", "probed")


def ssid_hash(raw: bytes) -> int:
    """Kismet's SSID hash, as ``dot11.advertisedssid.ssid_hash`` carries it."""
    return zlib.crc32(raw)


class SsidGroup:
    """One SSID and its advertising, responding and probing devices."""

    __slots__ = ("hash", "ssid", "ssid_len", "crypt_set", "members")

    def __init__(self, raw: bytes, ssid: str, crypt_set: int) -> None:
        self.hash = ssid_hash(raw)
        self.ssid = ssid
        self.ssid_len = len(raw)
        self.crypt_set = crypt_set
        #: role -> {device MAC: device}, in the order devices joined (every member
        #: is an 802.11 device, so its MAC names it as its key does).
        self.members: dict[str, dict[bytes, Any]] = {role: {} for role in _ROLES}

    def devices(self, role: str) -> list[Any]:
        """The devices of ``role`` the tracker still knows."""
        return [d for d in self.members[role].values() if d.phy.devices.get(d.mac) is d]

    def record(self) -> dict[str, Any]:
        """The ``dot11.ssidgroup.*`` record."""
        advertising = self.devices("advertised")
        responding = self.devices("responded")
        probing = self.devices("probed")
        everyone = advertising + responding + probing
        return {
            _G + "hash": self.hash,
            _G + "ssid": self.ssid,
            _G + "ssid_len": self.ssid_len,
            _G + "crypt_set": self.crypt_set,
            _G + "crypt_string": crypt_to_simple_string(self.crypt_set),
            _G + "first_time": min((d.first_time for d in everyone), default=0),
            _G + "last_time": max((d.last_time for d in everyone), default=0),
            _G + "probing_devices": [d.key for d in probing],
            _G + "responding_devices": [d.key for d in responding],
            _G + "advertising_devices": [d.key for d in advertising],
            _G + "probing_devices_len": len(probing),
            _G + "responding_devices_len": len(responding),
            _G + "advertising_devices_len": len(advertising),
        }


class SsidTracker:
    """Groups by SSID hash, fed by the 802.11 phy's SSID hook."""

    def __init__(self, max_groups: int = 65536) -> None:
        self._groups: dict[int, SsidGroup] = {}
        self._max = max_groups

    def attach(self, dot11: Any) -> None:
        """Follow every SSID a device shows for the first time."""
        dot11.ssid_hooks.append(self.saw)

    def saw(self, role: str, device: Any, rec: Any, raw: bytes) -> None:
        """``device`` shows SSID ``raw`` as ``role`` (advertised, responded, probed)."""
        if not raw:
            return
        key = ssid_hash(raw)
        group = self._groups.get(key)
        if group is None:
            if len(self._groups) >= self._max:
                return
            group = self._groups[key] = SsidGroup(raw, rec.ssid, rec.crypt_set)
        group.members[role][device.mac] = device

    def groups(self) -> list[SsidGroup]:
        """Every group, oldest first."""
        return list(self._groups.values())

    def get(self, key: int) -> SsidGroup | None:
        """A group by its hash."""
        return self._groups.get(key)

    def __len__(self) -> int:
        return len(self._groups)
