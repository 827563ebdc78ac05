"""``/logging/drivers`` and ``/logging/active``: the log types and the logs, as Kismet lists them.

A log record has Kismet's ``kismet.logfile.uuid``, ``description``, ``path``,
``template`` and ``open`` fields followed by its driver's
``kismet.logfile.type.*`` fields (class, name, stream, singleton,
description). pcapng logs get a UUID when first listed, kept while they live.
"""

from __future__ import annotations

import uuid as uuidlib
import weakref
from collections.abc import Callable, Mapping
from typing import Any

from kismet_tx.fields import FieldDef
from kismet_tx.streams.logfile import PacketLogService

#: Kismet's pcapng log driver record.
PCAPNG_DRIVER = {
    "kismet.logfile.type.class": "pcapng",
    "kismet.logfile.type.name": "PcapNG pcap",
    "kismet.logfile.type.stream": 1,
    "kismet.logfile.type.singleton": 0,
    "kismet.logfile.type.description": "PcapNG multi-interface capture with full per-packet "
                                       "metadata",
}

_F = "kismet.logfile."
LOG_FIELDS = (
    FieldDef(_F + "uuid", "uuid", "unique log id"),
    FieldDef(_F + "description", "string", "log description"),
    FieldDef(_F + "path", "string", "filesystem path to log"),
    FieldDef(_F + "template", "string", "log name template"),
    FieldDef(_F + "open", "uint8", "log is currently open"),
    FieldDef(_F + "type.class", "string", "class/type"),
    FieldDef(_F + "type.name", "string", "base type name"),
    FieldDef(_F + "type.stream", "uint8", "continual streaming"),
    FieldDef(_F + "type.singleton", "uint8", "single instance of log"),
    FieldDef(_F + "type.description", "string", "base description"),
    FieldDef(_F + "kismetdb.db_version", "uint32", "kismetdb layout version written"),
    FieldDef(_F + "kismetdb.rows_written", "uint64", "rows committed to the file"),
    FieldDef(_F + "kismetdb.rows_dropped", "uint64",
             "rows not written: queue full, or the file failed"),
    FieldDef(_F + "kismetdb.rows_queued", "uint64", "rows waiting for the writer"),
    FieldDef(_F + "kismetdb.error", "string", "why the log stopped writing, if it did"),
)

RecordSource = Callable[[], list[Mapping[str, Any]]]


class LogCatalog:
    """The log drivers and the open logs of every log service."""

    def __init__(self, pcapng: PacketLogService,
                 others: list[tuple[Mapping[str, Any], RecordSource]]) -> None:
        self._pcapng = pcapng
        self._others = others
        self._uuids: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()

    def drivers(self) -> list[dict[str, Any]]:
        """Every log type this server writes."""
        return [dict(PCAPNG_DRIVER)] + [dict(driver) for driver, _ in self._others]

    def active(self) -> list[dict[str, Any]]:
        """Every log opened, pcapng first."""
        out = []
        template = self._pcapng.settings.template
        for log in list(self._pcapng.logs):
            uuid = self._uuids.get(log)
            if uuid is None:
                uuid = self._uuids[log] = str(uuidlib.uuid4()).upper()
            record: dict[str, Any] = {
                _F + "uuid": uuid,
                _F + "description": PCAPNG_DRIVER[_F + "type.description"],
                _F + "path": log.path,
                _F + "template": template,
                _F + "open": int(not log.closed),
            }
            record.update(PCAPNG_DRIVER)
            out.append(record)
        for _, records in self._others:
            out.extend(dict(r) for r in records())
        return out
