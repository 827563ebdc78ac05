"""``kismetdb``: replay the packets of a ``.kismet`` log through the packet chain.

``-c /path/Kismet-....kismet`` (a ``.kismet`` name, or ``type=kismetdb``)
hands the log's ``packets`` rows to the chain in the order they were logged,
with their own times, link types and sources: each packet comes as from the
datasource that captured it (its UUID and name from the log's
``datasources`` table), so devices' ``seenby`` lists name the original
sources. Rows without a link type (``dlt`` 0) carry no frame and are skipped.

Options: ``realtime`` (default false) keeps the log's own timing on the
injected clock; ``batch`` (default 1024) rows are read and handed on before
yielding to the reactor. A file that is not a kismetdb log leaves the source
in the error state with the reason.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from typing import Any, ClassVar

from twisted.internet.interfaces import IDelayedCall

from kismet_tx.capture.datasource import Datasource
from kismet_tx.capture.pcapfile import PumpSchedule
from kismet_tx.capture.sourcerecord import DriverInfo
from kismet_tx.capture.system import META, CaptureError, FrameBatch
from kismet_tx.kismetdb.schema import open_read_only
from kismet_tx.sourcedefinition import SourceDefinitionError

DEFAULT_BATCH = 1024
MAX_BATCH = 65536
SUFFIX = ".kismet"


@dataclass(frozen=True, slots=True)
class LoggedSource:
    """The datasource that captured a logged packet, as the chain sees a source."""

    uuid: str
    source_name: str


def open_log(path: str) -> sqlite3.Connection:
    """A read-only connection to a kismetdb log; CaptureError if it is not one."""
    try:
        return open_read_only(path)
    except ValueError as exc:
        raise CaptureError(str(exc)) from None


def logged_sources(db: sqlite3.Connection) -> dict[str, LoggedSource]:
    """The sources named in a log's ``datasources`` table, by UUID."""
    try:
        rows = db.execute("SELECT uuid, name FROM datasources").fetchall()
    except sqlite3.Error:
        return {}
    return {str(uuid).upper(): LoggedSource(str(uuid).upper(), str(name or uuid))
            for uuid, name in rows}


def _batch(rows: list[tuple[int, int, bytes]]) -> FrameBatch:
    parts: list[bytes] = []
    meta = bytearray()
    offset = 0
    pack = META.pack
    for sec, usec, data in rows:
        meta += pack(sec, usec, offset, len(data))
        parts.append(data)
        offset += len(data)
    return b"".join(parts), bytes(meta)


class KismetdbSource(PumpSchedule, Datasource):
    """Replays the packets of one kismetdb log."""

    driver = DriverInfo("kismetdb", "KismetDB log replay")
    retry_by_default: ClassVar[bool | None] = False

    def __init__(self, *, system: Any = None, **base: Any) -> None:
        super().__init__(**base)
        options = base["options"]
        self.path = self.interface
        if not options.text("name"):
            self.source_name = os.path.basename(self.path) or self.path
        self.realtime = options.flag("realtime", False)
        size = options.number("batch", DEFAULT_BATCH)
        if size is None or size != int(size) or not 1 <= size <= MAX_BATCH:
            raise SourceDefinitionError(f"option batch must be a whole number from 1 to "
                                        f"{MAX_BATCH}")
        self.batch_size = int(size)
        self.hardware = "kismetdb"
        self.packets_read = 0
        self.packets_total = 0
        self.finished = False
        self._db: sqlite3.Connection | None = None
        self._cursor: sqlite3.Cursor | None = None
        self._sources: dict[str, LoggedSource] = {}
        self._pending: list[tuple[int, int, str, int, bytes]] = []
        self._call: IDelayedCall | None = None
        self._anchor: tuple[float, float] | None = None

    def record(self) -> dict[str, Any]:
        record = super().record()
        record.update({
            "kismet.datasource.replay.packets_read": self.packets_read,
            "kismet.datasource.replay.packets_total": self.packets_total,
            "kismet.datasource.replay.realtime": int(self.realtime),
            "kismet.datasource.replay.finished": int(self.finished),
        })
        return record

    # -- capture hooks ------------------------------------------------------------

    def _start_capture(self) -> None:
        db = open_log(self.path)
        try:
            self._sources = logged_sources(db)
            (self.packets_total,) = db.execute(
                "SELECT count(*) FROM packets WHERE dlt > 0").fetchone()
            first = db.execute("SELECT dlt FROM packets WHERE dlt > 0 ORDER BY rowid "
                               "LIMIT 1").fetchone()
            self._cursor = db.execute("SELECT ts_sec, ts_usec, datasource, dlt, packet "
                                      "FROM packets WHERE dlt > 0 ORDER BY rowid")
        except sqlite3.Error as exc:
            db.close()
            raise CaptureError(f"{self.path}: {exc}") from None
        self._db = db
        self.dlt = first[0] if first else 0
        self.finished = False
        self.packets_read = 0
        self._pending = []
        self._anchor = None
        self._schedule(0)

    def _stop_capture(self) -> None:
        self._cancel_call()
        if self._db is not None:
            self._db.close()
        self._db = self._cursor = None
        self._pending = []

    def _pause_capture(self) -> None:
        self._cancel_call()

    def _resume_capture(self) -> None:
        self._anchor = None
        self._schedule(0)

    # -- reading ------------------------------------------------------------------

    def _source(self, uuid: str) -> LoggedSource:
        key = str(uuid).upper()
        known = self._sources.get(key)
        if known is None:
            known = self._sources[key] = LoggedSource(key, key)
        return known

    def _wait(self, sec: int, usec: int) -> float:
        """Seconds until a row stamped ``sec.usec`` is due (realtime mode)."""
        ts = sec + usec / 1e6
        now: float = self._clock.seconds()
        if self._anchor is None:
            self._anchor = (now, ts)
        start, first = self._anchor
        return start + (ts - first) - now

    def _pump(self) -> None:
        self._call = None
        if not self.capturing or self.paused or self._cursor is None:
            return
        try:
            if not self._pending:
                self._pending = self._cursor.fetchmany(self.batch_size)
        except sqlite3.Error as exc:
            self.fail(f"{self.path}: {exc}")
            return
        rows = self._pending
        if not rows:
            self._finish()
            return
        count = len(rows)
        wait = None
        if self.realtime:
            due = 0
            while due < count:
                wait = self._wait(rows[due][0], rows[due][1])
                if wait > 0:
                    break
                due += 1
                wait = None
        else:
            due = count
        self._deliver_rows(rows[:due])
        self._pending = rows[due:]
        if self.capturing and not self.paused:
            self._schedule(wait if wait is not None else 0)

    def _deliver_rows(self, rows: list[tuple[int, int, str, int, bytes]]) -> None:
        """Hand rows on in runs of one source and link type."""
        start = 0
        while start < len(rows):
            _, _, uuid, dlt, _ = rows[start]
            stop = start + 1
            while stop < len(rows) and rows[stop][2] == uuid and rows[stop][3] == dlt:
                stop += 1
            frames = [(r[0], r[1], bytes(r[4] or b"")) for r in rows[start:stop]]
            self.deliver(_batch(frames), origin=self._source(uuid), dlt=dlt)
            self.packets_read += stop - start
            start = stop

    def _finish(self) -> None:
        self.finished = True
        self.finish(f"finished replaying {self.path}: {self.packets_read} packets, "
                    f"{self.num_error_packets} error packets")
