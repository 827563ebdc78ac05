"""The datasource record: Kismet's ``kismet.datasource.*`` fields and the parts they name.

The field definitions of a source, its driver and the tracker defaults
(Part B 2.4), the :class:`DriverInfo` and :class:`SourceDefaults` records,
and Kismet's per-source key.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

from kismet_tx.fields import FieldDef

DRIVER_FIELDS = (
    FieldDef("kismet.datasource.driver.type", "string", "datasource type"),
    FieldDef("kismet.datasource.driver.description", "string", "datasource description"),
    FieldDef(
        "kismet.datasource.driver.probe_capable", "uint8", "datasource can automatically probe"
    ),
    FieldDef("kismet.datasource.driver.probe_ipc", "uint8", "datasource needs IPC to probe"),
    FieldDef("kismet.datasource.driver.list_capable", "uint8", "datasource can list interfaces"),
    FieldDef(
        "kismet.datasource.driver.list_ipc", "uint8", "datasource needs IPC to list interfaces"
    ),
    FieldDef(
        "kismet.datasource.driver.local_capable", "uint8", "datasource can support local interfaces"
    ),
    FieldDef(
        "kismet.datasource.driver.local_ipc", "uint8", "datasource needs IPC for local interfaces"
    ),
    FieldDef(
        "kismet.datasource.driver.remote_capable", "uint8", "datasource can support remote capture"
    ),
    FieldDef(
        "kismet.datasource.driver.passive_capable",
        "uint8",
        "datasource can support passive capture",
    ),
    FieldDef("kismet.datasource.driver.tuning_capable", "uint8", "datasource can control channels"),
    FieldDef("kismet.datasource.driver.hop_capable", "uint8", "datasource can hop channels"),
)

DATASOURCE_FIELDS = (
    FieldDef("kismet.datasource.uuid", "uuid", "UUID"),
    FieldDef("kismet.datasource.source_key", "uint32", "hashed UUID key"),
    FieldDef(
        "kismet.datasource.source_number", "uint64", "internal source number per server instance"
    ),
    FieldDef("kismet.datasource.name", "string", "human-readable name"),
    FieldDef("kismet.datasource.definition", "string", "original source= definition"),
    FieldDef("kismet.datasource.interface", "string", "interface"),
    FieldDef("kismet.datasource.capture_interface", "string", "interface capturing packets"),
    FieldDef("kismet.datasource.hardware", "string", "hardware / chipset"),
    FieldDef("kismet.datasource.type_driver", "kismet.datasource.driver", "datasource driver"),
    FieldDef(
        "kismet.datasource.paused",
        "uint8",
        "capture is paused (no packets will be processed from this source)",
    ),
    FieldDef("kismet.datasource.running", "uint8", "capture is running"),
    FieldDef("kismet.datasource.remote", "uint8", "capture is connected from a remote server"),
    FieldDef("kismet.datasource.passive", "uint8", "capture is a post-able passive capture"),
    FieldDef("kismet.datasource.dlt", "uint32", "DLT (link type)"),
    FieldDef("kismet.datasource.linktype_override", "uint32", "overridden link type"),
    FieldDef("kismet.datasource.datasource_version", "string", "datasource binary version"),
    FieldDef("kismet.datasource.ipc_pid", "int64",
             "capture process (kismet_tx captures in its own process)"),
    FieldDef("kismet.datasource.remote_ip", "string", "IP if a remote datasource"),
    FieldDef("kismet.datasource.warning", "string", "warning or unusual interface state"),
    FieldDef("kismet.datasource.channels", "vector[string]", "supported channels"),
    FieldDef("kismet.datasource.hopping", "uint8", "source is channel hopping"),
    FieldDef("kismet.datasource.channel", "string", "current channel"),
    FieldDef("kismet.datasource.hop_rate", "double", "hop rate if channel hopping"),
    FieldDef("kismet.datasource.hop_channels", "vector[string]", "hop pattern if hopping"),
    FieldDef("kismet.datasource.hop_split", "uint8", "split hopping among same type interfaces"),
    FieldDef(
        "kismet.datasource.hop_offset", "uint32", "offset into hopping list for multiple sources"
    ),
    FieldDef("kismet.datasource.hop_shuffle", "uint8", "shuffle channels while hopping"),
    FieldDef(
        "kismet.datasource.hop_shuffle_skip",
        "uint32",
        "number of channels skipped by source during hop shuffling",
    ),
    FieldDef("kismet.datasource.error", "uint8", "source is in error state"),
    FieldDef("kismet.datasource.error_reason", "string", "last known reason for error state"),
    FieldDef("kismet.datasource.num_packets", "uint64", "number of packets seen by source"),
    FieldDef(
        "kismet.datasource.num_error_packets",
        "uint64",
        "number of invalid/error packets seen by source",
    ),
    FieldDef("kismet.datasource.packets_rrd", "kismet.common.rrd", "received packet rate RRD"),
    FieldDef(
        "kismet.datasource.packets_datasize_rrd",
        "kismet.common.rrd",
        "received data RRD (in bytes)",
    ),
    FieldDef("kismet.datasource.retry", "uint8", "source will try to re-open after failure"),
    FieldDef(
        "kismet.datasource.retry_attempts", "uint32", "consecutive unsuccessful retry attempts"
    ),
    FieldDef(
        "kismet.datasource.total_retry_attempts", "uint32", "total unsuccessful retry attempts"
    ),
    FieldDef("kismet.datasource.info.antenna_type", "string", "user-supplied antenna type"),
    FieldDef("kismet.datasource.info.antenna_gain", "double", "user-supplied antenna gain in dB"),
    FieldDef(
        "kismet.datasource.info.antenna_orientation", "double", "user-supplied antenna orientation"
    ),
    FieldDef(
        "kismet.datasource.info.antenna_beamwidth", "double", "user-supplied antenna beamwidth"
    ),
    FieldDef("kismet.datasource.info.amp_type", "string", "user-supplied amplifier type"),
    FieldDef("kismet.datasource.info.amp_gain", "double", "user-supplied amplifier gain in dB"),
)


@dataclass(frozen=True, slots=True)
class DriverInfo:
    """What a datasource type is and can do (``kismet.datasource.driver.*``)."""

    type: str
    description: str
    list_capable: bool = False
    local_capable: bool = True
    tune_capable: bool = False
    hop_capable: bool = False
    probe_capable: bool = False

    def record(self) -> dict[str, Any]:
        """The ``kismet.datasource.driver.*`` record."""
        return {
            "kismet.datasource.driver.type": self.type,
            "kismet.datasource.driver.description": self.description,
            "kismet.datasource.driver.probe_capable": int(self.probe_capable),
            "kismet.datasource.driver.probe_ipc": 0,
            "kismet.datasource.driver.list_capable": int(self.list_capable),
            "kismet.datasource.driver.list_ipc": 0,
            "kismet.datasource.driver.local_capable": int(self.local_capable),
            "kismet.datasource.driver.local_ipc": 0,
            "kismet.datasource.driver.remote_capable": 0,
            "kismet.datasource.driver.passive_capable": 0,
            "kismet.datasource.driver.tuning_capable": int(self.tune_capable),
            "kismet.datasource.driver.hop_capable": int(self.hop_capable),
        }


def source_key(uuid: str) -> int:
    """Kismet's per-source key: the Adler-32 of the UUID text."""
    return zlib.adler32(uuid.encode("ascii")) & 0xFFFFFFFF


@dataclass(frozen=True, slots=True)
class SourceDefaults:
    """Defaults for new sources (``kismet.datasourcetracker.default.*``)."""

    hop: bool = True
    hop_rate: float = 5.0
    split: bool = False
    random_order: bool = False
    retry_on_error: bool = True
    #: Remote capture TCP listener (``remote_capture_listen``/``_port``; empty when off).
    remote_listen: str = ""
    remote_port: int = 0

    def record(self) -> dict[str, Any]:
        """The ``/datasource/defaults`` record."""
        return {
            "kismet.datasourcetracker.default.hop_rate": self.hop_rate,
            "kismet.datasourcetracker.default.hop": int(self.hop),
            "kismet.datasourcetracker.default.split": int(self.split),
            "kismet.datasourcetracker.default.random_order": int(self.random_order),
            "kismet.datasourcetracker.default.retry_on_error": int(self.retry_on_error),
            "kismet.datasourcetracker.default.remote_cap_listen": self.remote_listen,
            "kismet.datasourcetracker.default.remote_cap_port": self.remote_port,
            "kismet.datasourcetracker.default.remote_cap_timestamp": 0,
        }


DEFAULTS_FIELDS = (
    FieldDef("kismet.datasourcetracker.default.hop_rate", "double", "default hop rate for sources"),
    FieldDef("kismet.datasourcetracker.default.hop", "uint8", "do sources hop by default"),
    FieldDef(
        "kismet.datasourcetracker.default.split",
        "uint8",
        "split channels among sources with the same type",
    ),
    FieldDef(
        "kismet.datasourcetracker.default.random_order",
        "uint8",
        "scramble channel order to maximize use of overlap",
    ),
    FieldDef(
        "kismet.datasourcetracker.default.retry_on_error",
        "uint8",
        "re-open sources if an error occurs",
    ),
    FieldDef(
        "kismet.datasourcetracker.default.remote_cap_listen",
        "string",
        "listen address for remote capture",
    ),
    FieldDef(
        "kismet.datasourcetracker.default.remote_cap_port",
        "uint32",
        "listen port for remote capture",
    ),
    FieldDef(
        "kismet.datasourcetracker.default.remote_cap_timestamp",
        "uint8",
        "overwrite remote capture timestamps with server time",
    ),
)
