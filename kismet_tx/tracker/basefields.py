"""Getters of a device's scalar ``kismet.device.base.*`` fields, compiled with the hot path.

Each is ``getter(device, ctx)``, as :class:`~kismet_tx.tracker.records.DeviceRecord`
calls it. Typed on :class:`Device`, so compiled code reads each field natively: a
device list's row calls several of these per device, and a poll remakes the rows of
every device that changed since the last one.
"""

from __future__ import annotations

from typing import Any

from kismet_tx.tracker.device import Device


def key(device: Device, ctx: Any) -> str:
    return device.key


def macaddr(device: Device, ctx: Any) -> str:
    return device.macaddr


def phyname(device: Device, ctx: Any) -> str:
    return device.phy.name


def name(device: Device, ctx: Any) -> str:
    return device.name or device.macaddr


def username(device: Device, ctx: Any) -> str | None:
    return device.username


def commonname(device: Device, ctx: Any) -> str:
    return device.commonname


def type_string(device: Device, ctx: Any) -> str:
    return device.type_string


def basic_type_set(device: Device, ctx: Any) -> int:
    return device.basic_type_set


def crypt_string(device: Device, ctx: Any) -> str:
    return device.crypt_string


def basic_crypt_set(device: Device, ctx: Any) -> int:
    return device.basic_crypt_set


def first_time(device: Device, ctx: Any) -> int:
    return device.first_time


def last_time(device: Device, ctx: Any) -> int:
    return device.last_time


def mod_time(device: Device, ctx: Any) -> int:
    return device.mod_time


def packets(device: Device, ctx: Any) -> int:
    return device.packets


def rx_packets(device: Device, ctx: Any) -> int:
    return device.rx_packets


def tx_packets(device: Device, ctx: Any) -> int:
    return device.tx_packets


def llc_packets(device: Device, ctx: Any) -> int:
    return device.llc_packets


def data_packets(device: Device, ctx: Any) -> int:
    return device.data_packets


def crypt_packets(device: Device, ctx: Any) -> int:
    return device.crypt_packets


def datasize(device: Device, ctx: Any) -> int:
    return device.datasize


def channel(device: Device, ctx: Any) -> str:
    return device.channel


def frequency(device: Device, ctx: Any) -> int:
    return device.frequency


def manuf(device: Device, ctx: Any) -> str:
    return device.manuf


def num_alerts(device: Device, ctx: Any) -> int:
    return device.num_alerts


def zero(device: Device, ctx: Any) -> int:
    """A counter Kismet keeps that is always 0 here (error, filtered)."""
    return 0
