"""System status: memory, battery, uptime and device counts (``kismet.system.*``)."""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from twisted.application.service import Service
from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import LoopingCall

from kismet_tx import __version__
from kismet_tx.fields import FieldDef
from kismet_tx.rrd import Rrd

SYSTEM_FIELDS = (
    FieldDef("kismet.system.version", "string", "server version"),
    FieldDef("kismet.system.git", "string", "source revision"),
    FieldDef("kismet.system.build_time", "string", "build time"),
    FieldDef("kismet.system.user", "string", "user the server runs as"),
    FieldDef("kismet.system.server_name", "string", "server name (config server_name)"),
    FieldDef("kismet.system.server_description", "string", "config server_description"),
    FieldDef("kismet.system.server_location", "string", "config server_location"),
    FieldDef("kismet.system.timestamp.sec", "uint64", "server time, seconds"),
    FieldDef("kismet.system.timestamp.usec", "uint64", "server time, microseconds"),
    FieldDef("kismet.system.timestamp.start_sec", "uint64", "server start time, seconds"),
    FieldDef("kismet.system.battery.percentage", "int32", "battery charge, percent"),
    FieldDef("kismet.system.battery.charging", "string", "charging, discharging or charged"),
    FieldDef("kismet.system.battery.ac", "uint8", "on mains power"),
    FieldDef("kismet.system.battery.remaining", "uint32", "battery time left, seconds"),
    FieldDef("kismet.system.memory.rss", "uint64", "resident memory, kB"),
    FieldDef("kismet.system.memory.rrd", "kismet.common.rrd", "resident memory history, kB"),
    FieldDef("kismet.system.devices.count", "uint64", "devices tracked"),
    FieldDef("kismet.system.devices.rrd", "kismet.common.rrd", "devices tracked, history"),
    FieldDef("kismet.system.num_fields", "uint64", "registered field names"),
    FieldDef("kismet.system.num_components", "uint64", "running server components"),
    FieldDef("kismet.system.num_http_connections", "uint64", "open HTTP connections"),
    FieldDef("kismet.system.string_cache_size", "uint64", "strings in the string cache"),
    FieldDef("kismet.system.sensors.fan", "map[string, double]", "fan sensors, RPM"),
    FieldDef("kismet.system.sensors.temp", "map[string, double]", "temperature sensors, C"),
)

_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def read_rss_kb(statm: Path = Path("/proc/self/statm")) -> int:
    """Resident set size of this process, kB."""
    try:
        return int(statm.read_text().split()[1]) * _PAGE_KB
    except (OSError, ValueError, IndexError):
        return 0


def read_battery(root: Path = Path("/sys/class/power_supply")) -> dict[str, Any] | None:
    """Battery state from sysfs, or None when the machine has no battery."""
    try:
        supplies = sorted(root.iterdir())
    except OSError:
        return None
    battery: dict[str, Any] | None = None
    ac = 0
    for supply in supplies:
        kind = _read(supply / "type")
        if kind == "Mains" and _read(supply / "online") == "1":
            ac = 1
        if kind == "Battery" and battery is None:
            status = (_read(supply / "status") or "").lower()
            battery = {
                "kismet.system.battery.percentage": _read_int(supply / "capacity"),
                "kismet.system.battery.charging": {
                    "charging": "charging", "full": "charged"
                }.get(status, "discharging"),
                "kismet.system.battery.remaining": _remaining(supply),
            }
    if battery is None:
        return None
    battery["kismet.system.battery.ac"] = ac
    return battery


#: What ``status.json`` reports on a machine with no battery (Kismet's answer on mains).
NO_BATTERY: dict[str, Any] = {
    "kismet.system.battery.percentage": 0,
    "kismet.system.battery.charging": "unknown",
    "kismet.system.battery.ac": 1,
    "kismet.system.battery.remaining": 0,
}


def _remaining(supply: Path) -> int:
    now = _read(supply / "energy_now") or _read(supply / "charge_now")
    rate = _read(supply / "power_now") or _read(supply / "current_now")
    try:
        return int(int(now or 0) * 3600 / int(rate)) if rate and int(rate) > 0 else 0
    except ValueError:
        return 0


def _read_int(path: Path) -> int:
    """An integer sysfs attribute; 0 when missing or not a number (some drivers)."""
    try:
        return int(_read(path) or 0)
    except ValueError:
        return 0


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


class SystemMonitor(Service):
    """Samples memory and device counts once a second and builds the status record."""

    name = "sysmon"

    def __init__(self, clock: IReactorTime, *, server_name: str, server_description: str,
                 server_location: str, device_count: Callable[[], int],
                 num_fields: Callable[[], int], num_connections: Callable[[], int],
                 num_components: Callable[[], int],
                 battery_root: Path = Path("/sys/class/power_supply")) -> None:
        self._clock = clock
        self._info = (server_name, server_description, server_location)
        self._device_count = device_count
        self._num_fields = num_fields
        self._num_connections = num_connections
        self._num_components = num_components
        self._battery_root = battery_root
        self._start = clock.seconds()
        self._user = getpass.getuser()
        self.memory_rrd = Rrd()
        self.devices_rrd = Rrd()
        self._loop: LoopingCall | None = None

    def startService(self) -> None:
        Service.startService(self)
        self._start = self._clock.seconds()
        self._loop = LoopingCall(self.sample)
        self._loop.clock = self._clock
        self._loop.start(1.0, now=True)

    def stopService(self) -> Any:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        return Service.stopService(self)

    def sample(self) -> None:
        """Take one sample of memory and device count."""
        now = self._clock.seconds()
        self.memory_rrd.add(now, read_rss_kb())
        self.devices_rrd.add(now, self._device_count())

    @property
    def user(self) -> str:
        """The OS user the server runs as."""
        return self._user

    def timestamp(self) -> dict[str, int]:
        """``kismet.system.timestamp.*``."""
        # Round once, on the whole value: rounding only the fraction would turn
        # x.9999996 into (x, 0), half a microsecond becoming a second back.
        sec, usec = divmod(int(round(self._clock.seconds() * 1_000_000)), 1_000_000)
        return {
            "kismet.system.timestamp.sec": sec,
            "kismet.system.timestamp.usec": usec,
        }

    def battery(self) -> dict[str, Any]:
        """``kismet.system.battery.*``: from sysfs, or :data:`NO_BATTERY`."""
        return read_battery(self._battery_root) or dict(NO_BATTERY)

    def statistics(self) -> dict[str, Any]:
        """The ``STATISTICS`` event: fields, components, connections, memory, devices."""
        return {
            "kismet.system.num_fields": self._num_fields(),
            "kismet.system.num_components": self._num_components(),
            "kismet.system.num_http_connections": self._num_connections(),
            "kismet.system.memory.rss": read_rss_kb(),
            "kismet.system.devices.count": self._device_count(),
        }

    def status(self) -> dict[str, Any]:
        """The whole ``kismet.system.*`` status record."""
        name, description, location = self._info
        record: dict[str, Any] = {
            "kismet.system.version": __version__,
            "kismet.system.git": "",
            "kismet.system.build_time": "",
            "kismet.system.user": self._user,
            "kismet.system.server_name": name,
            "kismet.system.server_description": description,
            "kismet.system.server_location": location,
        }
        record.update(self.timestamp())
        record["kismet.system.timestamp.start_sec"] = int(self._start)
        record.update(self.battery())
        record["kismet.system.memory.rss"] = read_rss_kb()
        record["kismet.system.memory.rrd"] = self.memory_rrd.record(self._clock.seconds())
        record["kismet.system.devices.count"] = self._device_count()
        record["kismet.system.devices.rrd"] = self.devices_rrd.record(self._clock.seconds())
        record["kismet.system.num_fields"] = self._num_fields()
        record["kismet.system.num_components"] = self._num_components()
        record["kismet.system.num_http_connections"] = self._num_connections()
        record["kismet.system.string_cache_size"] = 0
        record["kismet.system.sensors.fan"] = {}
        record["kismet.system.sensors.temp"] = {}
        return record
