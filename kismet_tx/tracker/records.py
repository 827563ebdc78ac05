"""Device records in Kismet's dotted names, built lazily at request time.

:class:`DeviceRecord` is a read-only Mapping over one device: each top-level
field (``kismet.device.base.*``, ``dot11.device``) is computed only when it is
read, and ``dot11.device`` is itself a lazy Mapping. So ``fields`` with five
names over 100,000 devices builds five values per device and nothing else,
while a full record (``all_devices``, no ``fields``) is built one device at a
time as the serializer reaches it. Dynamic fields (Kismet leaves them out
when empty) are absent from iteration but a path to them still resolves to
``0`` through the field-spec engine.

Every name emitted here is declared in :data:`DEVICE_FIELDS` for the field
registry (``/system/tracked_fields.html``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kismet_tx.tracker import basefields as base
from kismet_tx.tracker.device import Device, SeenBy
from kismet_tx.tracker.devices import DeviceTracker
from kismet_tx.tracker.dot11records import Dot11Record
from kismet_tx.tracker.dot11state import (
    Dot11Device,
)
from kismet_tx.tracker.lazyrecord import LazyRecord

_B = "kismet.device.base."


def _signal(dev: Device, ctx: Any) -> dict[str, Any]:
    return {
        "kismet.common.signal.type": "dbm",
        "kismet.common.signal.last_signal": dev.sig_last or 0,
        "kismet.common.signal.last_noise": dev.noise_last or 0,
        "kismet.common.signal.min_signal": dev.sig_min or 0,
        "kismet.common.signal.min_noise": dev.noise_min or 0,
        "kismet.common.signal.max_signal": dev.sig_max or 0,
        "kismet.common.signal.max_noise": dev.noise_max or 0,
        "kismet.common.signal.maxseenrate": 0,
        "kismet.common.signal.encodingset": 0,
        "kismet.common.signal.carrierset": 0,
    }


def _freqs(dev: Device, ctx: Any) -> dict[str, int]:
    freqs = dev.freqs or []
    return {str(freqs[i]): freqs[i + 1] for i in range(0, len(freqs), 2)}


def _seenby(dev: Device, ctx: Any) -> list[dict[str, Any]]:
    return [seenby_record(s) for s in dev.seen_by()]


#: Datasource fields a device record leaves out: they name local files, and
#: device lists are public (``/datasource/by-uuid/U/source.json`` has them all).
_LOCAL_SOURCE_FIELDS = frozenset((
    "kismet.datasource.definition", "kismet.datasource.interface",
    "kismet.datasource.capture_interface"))
HIDDEN = "[hidden]"


def embedded_source(record: dict[str, Any]) -> dict[str, Any]:
    """A datasource's record as a device's seen-by entry embeds it: no file paths.

    A capture interface (``wlan0mon``) stays; a file source's path reads ``[hidden]``.
    """
    return {key: (HIDDEN if key in _LOCAL_SOURCE_FIELDS and isinstance(value, str)
                  and ("/" in value or key.endswith("definition")) else value)
            for key, value in record.items()}


def seenby_record(seen: SeenBy) -> dict[str, Any]:
    """``kismet.common.seenby.*``, with the datasource's record as Kismet embeds it."""
    source = seen.source
    describe = getattr(source, "record", None)
    return {
        "kismet.common.seenby.uuid": source.uuid,
        "kismet.common.seenby.source": (
            embedded_source(describe()) if describe is not None
            else {"kismet.datasource.uuid": source.uuid}),
        "kismet.common.seenby.first_time": seen.first_time,
        "kismet.common.seenby.last_time": seen.last_time,
        "kismet.common.seenby.num_packets": seen.packets,
    }


def _rrd(index: int) -> Callable[[Device, Any], dict[str, Any]]:
    def record(dev: Device, ctx: Any) -> dict[str, Any]:
        return dev.flush_rate()[index].record(ctx.wall_seconds())

    return record


class DeviceRecord(LazyRecord):
    """The Kismet record of one device, built field by field on demand."""

    __slots__ = ()

    GETTERS: dict[str, Callable[[Any, Any], Any]] = {
        _B + "key": base.key,
        _B + "macaddr": base.macaddr,
        _B + "phyname": base.phyname,
        _B + "name": base.name,
        _B + "username": base.username,
        _B + "commonname": base.commonname,
        _B + "type": base.type_string,
        _B + "basic_type_set": base.basic_type_set,
        _B + "crypt": base.crypt_string,
        _B + "basic_crypt_set": base.basic_crypt_set,
        _B + "first_time": base.first_time,
        _B + "last_time": base.last_time,
        _B + "mod_time": base.mod_time,
        _B + "packets.total": base.packets,
        _B + "packets.rx_total": base.rx_packets,
        _B + "packets.tx_total": base.tx_packets,
        _B + "packets.llc": base.llc_packets,
        _B + "packets.error": base.zero,
        _B + "packets.data": base.data_packets,
        _B + "packets.crypt": base.crypt_packets,
        _B + "packets.filtered": base.zero,
        _B + "datasize": base.datasize,
        _B + "channel": base.channel,
        _B + "frequency": base.frequency,
        _B + "freq_khz_map": _freqs,
        _B + "signal": _signal,
        _B + "manuf": base.manuf,
        _B + "num_alerts": base.num_alerts,
        _B + "tags": lambda d, c: dict(d.tags or {}),
        _B + "seenby": _seenby,
        _B + "related_devices": lambda d, c: {k: list(v) for k, v in (d.related or {}).items()},
        _B + "location": lambda d, c: d.location.record(),
        _B + "packets.rrd": _rrd(0),
        _B + "datasize.rrd": _rrd(1),
        "kismet.server.uuid": lambda d, c: c.server_uuid,
        "dot11.device": lambda d, c: Dot11Record(d, c),
    }
    PRESENT: dict[str, Callable[[Any], bool]] = {
        _B + "username": lambda d: d.username is not None,
        _B + "signal": lambda d: d.sig_last is not None,
        _B + "tags": lambda d: bool(d.tags),
        _B + "location": lambda d: d.location is not None,
        _B + "packets.rrd": lambda d: d.phy.device_tracker.track_rrds,
        _B + "datasize.rrd": lambda d: d.phy.device_tracker.track_rrds,
        "dot11.device": lambda d: isinstance(d, Dot11Device),
    }
    NESTED = frozenset({"dot11.device"})
    #: Fields whose values change only with the device's ``version`` (a frame naming
    #: it, a command on it): no clock, no other object. Rows of these alone may be
    #: reused while the version stands (``kismet_tx.http.rowcache``).
    VERSIONED = frozenset(GETTERS) - {
        _B + "seenby", _B + "location", _B + "packets.rrd", _B + "datasize.rrd", "dot11.device"}


def phy_record(phy: Any) -> dict[str, Any]:
    """``kismet.phy.*`` of one phy."""
    return {
        "kismet.phy.phy_name": phy.name,
        "kismet.phy.phy_id": phy.phy_id,
        "kismet.phy.device_count": len(phy.devices),
        "kismet.phy.packet_count": phy.packets,
    }


def record_of(device_tracker: DeviceTracker) -> Callable[[Device], DeviceRecord]:
    """A function giving the lazy record of a device of ``device_tracker``."""

    def record(device: Device) -> DeviceRecord:
        return DeviceRecord(device, device_tracker)

    return record
