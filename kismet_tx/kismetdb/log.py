"""The kismetdb log (``log_types=kismet``): a ``.kismet`` SQLite file per session.

Named by ``log_template`` with log type ``kismet`` like every log. The file
is created exclusively: with ``%i`` in the template a name another server
took in the meantime moves on to the next number (Kismet's ``-N``); without
it an existing file is refused with an ERROR message, never opened twice.

What is written, and when:

- packets as they pass the chain (after every tracker, so with the GPS
  location where there is a fix);
- devices whose ``mod_time`` moved, found by a scan every
  ``kis_log_device_interval`` seconds in cooperative slices
  (:mod:`kismet_tx.tracker.changes`), as the REST API's device JSON, and
  once more when the log closes;
- datasources on the same scan; alerts and messages as they are raised;
  a ``SYSTEM`` snapshot when the log opens and closes, and a ``GPS`` snapshot
  per GPS with a fix every :data:`GPS_SNAPSHOT_INTERVAL` seconds.

Rows go to the writer thread (:mod:`kismet_tx.kismetdb.writer`). When it
fails (disk full), an ERROR message says so once, capture goes on, and every
later row is counted in :attr:`KismetdbLog.dropped`.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import uuid as uuidlib
from collections.abc import Callable
from typing import Any

from twisted.application.service import Service
from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

from kismet_tx import __version__
from kismet_tx.kismetdb import rows, schema
from kismet_tx.kismetdb.inputs import LogInputs
from kismet_tx.kismetdb.selection import PacketSelection
from kismet_tx.kismetdb.settings import KismetdbSettings
from kismet_tx.kismetdb.writer import DbWriter, open_database
from kismet_tx.messagebus import ERROR, INFO, Message
from kismet_tx.streams.lognaming import LogSettings, LogTemplateError, expand_log_template
from kismet_tx.tracker.changes import cooperator_on, scan_changed

_log = Logger(namespace="kismet_tx.kismetdb")

LOG_TYPE = "kismet"
#: Seconds between GPS track snapshots (Kismet's gps tracker logs every 10 s).
GPS_SNAPSHOT_INTERVAL = 10.0
#: Seconds between hand-overs to the writer and checks of its state.
TICK_INTERVAL = 0.5
#: Kismet's log driver record for this log type.
DRIVER = {
    "kismet.logfile.type.class": LOG_TYPE,
    "kismet.logfile.type.name": "Kismet Unified Log",
    "kismet.logfile.type.stream": 1,
    "kismet.logfile.type.singleton": 1,
    "kismet.logfile.type.description": "Unified Kismet log containing device, data source, "
                                       "packet, alert, and other runtime data",
}


class KismetdbLog(Service):
    """One ``.kismet`` log for the life of the server."""

    def __init__(self, settings: KismetdbSettings, naming: LogSettings, inputs: LogInputs,
                 clock: IReactorTime, *, home: str, tick: float = TICK_INTERVAL) -> None:
        self.setName("kismetdb")
        self.settings = settings
        self.naming = naming
        self.inputs = inputs
        self._clock = clock
        self._home = home
        self._tick_interval = tick
        self.uuid = str(uuidlib.uuid4()).upper()
        self.path: str | None = None
        self.template = naming.template
        self.open = False
        self.writer: DbWriter | None = None
        self._rows = rows.PacketRows(settings.db_version)
        self._timers: list[LoopingCall] = []
        self._cooperator = cooperator_on(clock)
        self._scan: Deferred[int] | None = None
        self._scanned_from = 0
        self._failure_reported = False
        self._commits_logged = 0
        # The per-packet path, bound once the writer runs (see startService).
        self._writing = False
        self._selection = PacketSelection(settings)
        self._packet_rows: list[rows.Row] = []
        #: Packets not logged because the writer had stopped.
        self.lost_packets = 0
        #: Packets left out by the packet filter, data or duplicate settings.
        self.filtered_packets = 0

    # -- state -----------------------------------------------------------------------

    @property
    def dropped(self) -> int:
        """Rows dropped: queue full, or after the writer failed."""
        writer = self.writer
        return (writer.dropped if writer is not None else 0) + self.lost_packets

    @property
    def failure(self) -> str | None:
        """Why the log stopped writing, or None."""
        return self.writer.failure if self.writer is not None else None

    def record(self) -> dict[str, Any]:
        """The ``/logging/active`` record (Kismet's fields, plus this log's counters)."""
        writer = self.writer
        record: dict[str, Any] = {
            "kismet.logfile.uuid": self.uuid,
            "kismet.logfile.description": DRIVER["kismet.logfile.type.description"],
            "kismet.logfile.path": self.path or "",
            "kismet.logfile.template": self.template,
            "kismet.logfile.open": int(self.open and self.failure is None),
        }
        record.update(DRIVER)
        record.update({
            "kismet.logfile.kismetdb.db_version": self.settings.db_version,
            "kismet.logfile.kismetdb.rows_written": writer.written if writer else 0,
            "kismet.logfile.kismetdb.rows_dropped": self.dropped,
            "kismet.logfile.kismetdb.rows_queued": writer.queued if writer else 0,
            "kismet.logfile.kismetdb.error": self.failure or "",
        })
        return record

    # -- opening -----------------------------------------------------------------------

    def _create_file(self, start: float) -> str:
        """Expand the template and create the file exclusively; OSError/LogTemplateError."""
        naming = self.naming
        for _ in range(100):
            path = expand_log_template(naming.template, prefix=naming.prefix,
                                       title=naming.title, log_type=LOG_TYPE,
                                       start_time=start, home=self._home)
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                if "%i" in naming.template or "%I" in naming.template:
                    continue
                raise FileExistsError(
                    f"'{path}' already exists (another server's log, or an old one); "
                    "kismetdb logs are never appended to: move it away or put %i in "
                    "log_template") from None
            os.close(fd)
            return path
        raise LogTemplateError(f"no free log name for {naming.template}")

    def startService(self) -> None:
        Service.startService(self)
        bus = self.inputs.bus
        for warning in self.settings.warnings:
            bus.post(warning, ERROR)
        try:
            path = self._create_file(self._clock.seconds())
        except (OSError, LogTemplateError) as exc:
            where = getattr(exc, "filename", None)
            reason = getattr(exc, "strerror", None) or str(exc)
            bus.post(f"Failed to open kismetdb log{f' {where!r}' if where else ''}: {reason}",
                     ERROR)
            return
        try:
            db = open_database(path, wal=not self.settings.ephemeral)
            schema.create(db, self.settings.db_version, f"kismet_tx-{__version__}")
        except (OSError, sqlite3.Error) as exc:
            # The disk or the file system refused: leave no half-made log behind.
            bus.post(f"Failed to open kismetdb log '{path}': {exc}", ERROR)
            with contextlib.suppress(OSError):
                os.unlink(path)
            return
        self.path = path
        self.writer = DbWriter(db, schema.statements(self.settings.db_version),
                               max_rows=self.settings.max_rows,
                               commit_interval=self.settings.commit_interval)
        self.open = True
        self._packet_rows = self.writer.rows_for("packets")
        self._writing = True
        bus.post(f"Opened kismetdb log file '{path}'", INFO)
        if self.settings.ephemeral:
            bus.post("KISMETDB LOG IS IN EPHEMERAL MODE.  LOG WILL *** NOT *** BE PRESERVED "
                     "WHEN KISMET EXITS.", INFO)
            os.unlink(path)
        self._snapshot_system()
        inputs = self.inputs
        if self.settings.messages:
            bus.subscribe(self._message)
        if self.settings.alerts and inputs.alert_listeners is not None:
            inputs.alert_listeners.append(self._alert)
        if self.settings.packets:
            inputs.chain.subscribe(self._packet_handler(), "kismetdb", priority=1000)
            bus.post("Saving packets to the Kismet database log.", INFO)
        else:
            bus.post("Packets will not be saved to the Kismet database log.", INFO)
        self._every(self._tick_interval, self._tick)
        self._every(self.settings.device_interval, self._scan_devices)
        if self.settings.gps_track:
            self._every(GPS_SNAPSHOT_INTERVAL, self._snapshot_gps)

    def _every(self, interval: float, work: Callable[[], Any]) -> None:
        loop = LoopingCall(work)
        loop.clock = self._clock
        loop.start(interval, now=False)
        self._timers.append(loop)

    # -- what is written ---------------------------------------------------------------

    def _packet_handler(self) -> Callable[[Any], None]:
        """The chain subscriber: the general one, or a lean one for the common case
        (version 6, no packet filtering) with the short row built inline."""
        writer = self.writer
        assert writer is not None
        rows = self._packet_rows
        append = rows.append
        chunk = writer.chunk
        hand_over = writer.hand_over
        full_row = self._rows.row
        if self._selection.active or self._rows.full:
            return self._packet

        def lean(packet: Any) -> None:
            if not self._writing:
                self.lost_packets += 1
                return
            decoded = packet.decoded
            if decoded is not None and packet.location is None:
                # schema.LEAN_PACKET_VALUES; radio_levels() is memoized on the packet.
                freq, signal, _ = decoded.radio_levels()
                append((packet.ts, decoded.source, decoded.dest, decoded.addr2, freq, signal,
                        packet.source.uuid, packet.dlt, packet.data, packet.error))
            else:
                append(full_row(packet))
            if len(rows) >= chunk:
                hand_over()

        return lean

    def _packet(self, packet: Any) -> None:
        if not self._writing:
            self.lost_packets += 1
            return
        if self._selection.active and self._selection.leaves_out(packet):
            self.filtered_packets += 1
            return
        rows = self._packet_rows
        rows.append(self._rows.row(packet))
        writer = self.writer
        if writer is not None and len(rows) >= writer.chunk:
            writer.hand_over()

    def _message(self, message: Message) -> None:
        writer = self.writer
        if writer is not None and writer.failure is None:
            writer.add("messages", rows.message_row(message, self.inputs.location()))

    def _alert(self, alert: Any) -> None:
        writer = self.writer
        if writer is not None and writer.failure is None:
            phyname = self.inputs.phy_name(alert.phy_id) or "any"
            writer.add("alerts", rows.alert_row(alert, phyname, self.inputs.location(),
                                                self.inputs.encode))

    def _device(self, device: Any) -> None:
        writer = self.writer
        if writer is None or writer.failure is not None:
            return
        record = self.inputs.device_record(device)
        if self.settings.device_filter.active and self.settings.device_filter.blocks(
                record["kismet.device.base.phyname"], device.mac):
            return
        writer.add("devices", rows.device_row(record, self.inputs.encode))

    def _datasources(self) -> None:
        writer = self.writer
        if writer is None:
            return
        for record in self.inputs.datasources():
            writer.add("datasources", rows.datasource_row(record, self.inputs.encode))

    def _snapshot_system(self) -> None:
        if self.writer is not None:
            self.writer.add("snapshots", rows.snapshot_row(
                self._clock.seconds(), self.inputs.location(), "SYSTEM",
                self.inputs.system_record(), self.inputs.encode))

    def _snapshot_gps(self) -> None:
        writer = self.writer
        if writer is None or writer.failure is not None:
            return
        now = self._clock.seconds()
        for location, record in self.inputs.gps_records():
            if location is not None:
                writer.add("snapshots", rows.snapshot_row(now, location, "GPS", record,
                                                          self.inputs.encode))

    def _scan_devices(self) -> Deferred[int] | None:
        """Write the devices changed since the last scan (cooperatively) and the sources."""
        self._datasources()
        if not self.settings.devices or self._scan is not None:
            return None
        since = self._scanned_from
        self._scanned_from = int(self._clock.seconds())
        scan = scan_changed(self.inputs.devices(), since, self._device,
                            cooperator=self._cooperator)
        self._scan = scan

        def finished(count: int) -> int:
            self._scan = None
            return count

        scan.addBoth(finished)
        return scan

    def _tick(self) -> None:
        writer = self.writer
        if writer is None:
            return
        writer.hand_over()
        if writer.commits != self._commits_logged:
            # A debug line per tick with new commits: what a reader of the file
            # (and the end-to-end tests) can wait on.
            self._commits_logged = writer.commits
            _log.debug("kismetdb log: {commits} commits, {rows} rows written",
                       commits=writer.commits, rows=writer.written)
        if writer.failure is not None and not self._failure_reported:
            self._failure_reported = True
            self._writing = False
            self.inputs.bus.post(
                f"kismetdb log '{self.path}' stopped writing after {writer.written} rows: "
                f"{writer.failure}; capture goes on, what it would have logged is counted "
                "as dropped", ERROR)

    # -- closing -----------------------------------------------------------------------

    def stopService(self) -> Deferred[None]:
        Service.stopService(self)
        for loop in self._timers:
            if loop.running:
                loop.stop()
        self._timers = []
        writer = self.writer
        if writer is None:
            return succeed(None)
        inputs = self.inputs
        if self.settings.packets and "kismetdb" in {s.name for s in inputs.chain.subscribers()}:
            inputs.chain.unsubscribe("kismetdb")
        inputs.bus.unsubscribe(self._message)
        if inputs.alert_listeners is not None and self._alert in inputs.alert_listeners:
            inputs.alert_listeners.remove(self._alert)
        if self._scan is not None:
            self._scan.cancel()
        if writer.failure is None:
            self._datasources()
            if self.settings.devices:
                for device in list(inputs.devices()):
                    if device.mod_time >= self._scanned_from:
                        self._device(device)
            self._snapshot_system()
        self._writing = False
        writer.close()
        self.open = False
        done: Deferred[None] = Deferred()

        def check() -> None:
            if writer.done.is_set():
                poll.stop()
                self._tick()
                done.callback(None)

        poll = LoopingCall(check)
        poll.clock = self._clock
        poll.start(0.01, now=True)
        return done
