"""The kismetdb writer thread: one SQLite connection, WAL, batched transactions.

The reactor never touches the database. It appends rows to a list per table
(:meth:`DbWriter.add`, or straight to :meth:`DbWriter.rows_for` on the hot
path); every ``chunk`` rows, and on each tick of the owner's timer
(:meth:`DbWriter.hand_over`), what the lists hold goes to a bounded queue as
one chunk. The thread takes chunks and writes everything it has in one
transaction, at most every ``commit_interval`` seconds, each table's rows in
the order they came. When the queue holds about ``max_rows`` rows, a new
chunk is dropped whole and its rows are counted in :attr:`DbWriter.dropped`.

A write that fails (disk full, I/O error) rolls its transaction back, so the
file keeps every transaction committed before it; the writer stops writing,
keeps the reason in :attr:`DbWriter.failure` and counts every later row as
dropped. The owner polls :attr:`failure` from the reactor; nothing in this
thread calls back into Twisted.

:meth:`DbWriter.close` asks the thread to commit what it has and close the
connection; :attr:`DbWriter.done` tells when it has. The thread runs at a
lower scheduling priority (:data:`WRITER_NICENESS`), so that when the CPUs are
short, capture goes first and the queue absorbs the backlog.
"""

from __future__ import annotations

import itertools
import os
import queue
import sqlite3
import threading
import time
from collections import defaultdict
from collections.abc import Callable

from kismet_tx.kismetdb.rows import Row
from kismet_tx.kismetdb.schema import multi_row_insert

#: Rows handed to the thread at once.
DEFAULT_CHUNK = 512
#: Rows the queue may hold before chunks are dropped.
DEFAULT_MAX_ROWS = 200_000
#: Seconds between two commits while rows keep coming.
DEFAULT_COMMIT_INTERVAL = 1.0
#: Seconds a close may wait for room in a full queue.
CLOSE_WAIT = 2.0
#: Seconds after ``close`` within which the packet backlog is still written; past
#: it, queued packet rows are dropped (counted) so the stop fits the shutdown grace,
#: while the closing device, datasource and snapshot rows are still committed.
DRAIN_SECONDS = 2.0
#: Rows one transaction gathers at most: a commit stays well under a second, so a
#: stop never waits behind one huge transaction.
MAX_TRANSACTION_ROWS = 16_384
#: Rows bound into one multi-row INSERT (at most 24 parameters a row: below
#: SQLite's 32,766 bound parameters a statement).
ROWS_PER_STATEMENT = 1024

_STOP = None
Chunk = dict[str, list[Row]]


def open_database(path: str, *, wal: bool = True) -> sqlite3.Connection:
    """A connection in WAL mode, synchronous=NORMAL (WAL keeps each commit whole).

    ``wal=False`` keeps the rollback journal in memory instead: for a file
    deleted once opened, which no reader can share, and whose WAL and shared
    memory files would otherwise stay behind.
    """
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL" if wal else "PRAGMA journal_mode=MEMORY")
    db.execute("PRAGMA synchronous=NORMAL")
    return db


class DbWriter:
    """Writes rows from one thread; ``statements`` maps a table to its INSERT by row width.

    A table may take rows of several widths (a short one leaving out columns
    its INSERT writes as literals): consecutive rows of one width go in one
    ``executemany``, so the rows of a table keep their order.
    """

    def __init__(self, db: sqlite3.Connection, statements: dict[str, dict[int, str]], *,
                 chunk: int = DEFAULT_CHUNK, max_rows: int = DEFAULT_MAX_ROWS,
                 commit_interval: float = DEFAULT_COMMIT_INTERVAL,
                 on_commit: Callable[[], None] | None = None) -> None:
        self._db = db
        self._statements = statements
        #: ``(one-row INSERT, rows) -> multi-row INSERT``
        self._multi_row_sql: dict[tuple[str, int], str] = {}
        self._chunk_size = max(1, chunk)
        self._max_chunks = max(1, max_rows // self._chunk_size)
        self._commit_interval = commit_interval
        self._on_commit = on_commit
        self._queue: queue.Queue[Chunk | None] = queue.Queue(maxsize=self._max_chunks)
        self._pending: Chunk = {}
        self._closing = False
        self._drain_until: float | None = None
        #: Rows written and committed.
        self.written = 0
        #: Rows dropped (queue full, or after a failure).
        self.dropped = 0
        #: Transactions committed.
        self.commits = 0
        #: Why writing stopped (set by the thread), or None.
        self.failure: str | None = None
        self.done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kismetdb-writer", daemon=True)
        self._thread.start()

    # -- reactor side -----------------------------------------------------------

    def rows_for(self, table: str) -> list[Row]:
        """The list ``table``'s rows wait in (the same list for the writer's life).

        Appending to it is :meth:`add` without the chunk check: the caller
        calls :meth:`hand_over` when it holds ``chunk`` rows.
        """
        rows = self._pending.get(table)
        if rows is None:
            rows = self._pending[table] = []
        return rows

    @property
    def chunk(self) -> int:
        """Rows per chunk."""
        return self._chunk_size

    def add(self, table: str, row: Row) -> None:
        """Queue one row (hands a full chunk to the thread)."""
        rows = self.rows_for(table)
        rows.append(row)
        if len(rows) >= self._chunk_size:
            self.hand_over()

    def hand_over(self, wait: float = 0.0) -> None:
        """Give the rows gathered so far to the thread (or count them dropped).

        With ``wait``, a full queue is waited on for up to that many seconds
        (the last rows at close: devices and the closing snapshot).
        """
        chunk: Chunk = {}
        count = 0
        for table, rows in self._pending.items():
            if rows:
                chunk[table] = rows[:]
                count += len(rows)
                rows.clear()
        if not count:
            return
        if self.failure is not None or self._closing:
            self.dropped += count
            return
        try:
            if wait > 0 and self._thread.is_alive():
                self._queue.put(chunk, timeout=wait)
            else:
                self._queue.put_nowait(chunk)
        except queue.Full:
            self.dropped += count

    @property
    def queued(self) -> int:
        """Rows waiting for the thread (approximate)."""
        return (self._queue.qsize() * self._chunk_size
                + sum(len(rows) for rows in self._pending.values()))

    def close(self, wait: float = CLOSE_WAIT) -> None:
        """Hand over what is left and ask the thread to commit and finish.

        Blocks for up to ``wait`` seconds if the queue is full, so the last rows
        are not dropped behind a backlog of packets.
        """
        if self._closing:
            return
        self.hand_over(wait)
        self._closing = True
        self._drain_until = time.monotonic() + DRAIN_SECONDS
        while True:
            try:
                self._queue.put(_STOP, timeout=0.1)
                return
            except queue.Full:
                if not self._thread.is_alive():
                    return

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread (tests and process exit); True once it has finished."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # -- thread side --------------------------------------------------------------

    def _run(self) -> None:
        _lower_priority()
        try:
            self._loop()
        finally:
            try:
                self._db.close()
            except sqlite3.Error:
                pass
            self.done.set()

    def _loop(self) -> None:
        take = self._queue.get
        while True:
            chunk = take()
            if chunk is _STOP:
                return
            chunks = [chunk]
            stop = False
            deadline = time.monotonic() + self._commit_interval
            # Gather what arrives until the commit is due, so one transaction holds many
            # chunks; never more than the queue holds, so memory stays bounded.
            most = max(1, min(self._max_chunks, MAX_TRANSACTION_ROWS // self._chunk_size))
            while len(chunks) < most:
                remaining = deadline - time.monotonic()
                try:
                    more = take(timeout=remaining) if remaining > 0 else take_nowait(self._queue)
                except queue.Empty:
                    break
                if more is _STOP:
                    stop = True
                    break
                chunks.append(more)
            self._write(self._past_drain(chunks))
            if stop:
                return

    def _insert(self, sql: str, width: int, rows: list[Row]) -> None:
        """Insert ``rows`` with :data:`ROWS_PER_STATEMENT` of them bound per statement.

        sqlite3's ``executemany`` gives the GIL up and takes it back for every row,
        and while the reactor thread replays at full speed each taking back waits
        up to a switch interval (5 ms): a transaction of 16k rows then took minutes
        and a log could stay empty until shutdown. Bound in one statement, the rows
        cost one wait per statement.
        """
        db = self._db
        step = ROWS_PER_STATEMENT
        full = len(rows) - len(rows) % step
        if full:
            many = self._multi_row(sql, width, step)
            for start in range(0, full, step):
                db.execute(many, [value for row in rows[start:start + step] for value in row])
        if full < len(rows):
            rest = rows[full:]
            db.execute(self._multi_row(sql, width, len(rest)),
                       [value for row in rest for value in row])

    def _multi_row(self, sql: str, width: int, rows: int) -> str:
        key = (sql, rows)
        statement = self._multi_row_sql.get(key)
        if statement is None:
            statement = self._multi_row_sql[key] = multi_row_insert(sql, width, rows)
        return statement

    def _past_drain(self, chunks: list[Chunk]) -> list[Chunk]:
        """The chunks to write: past the drain deadline, without their packet rows."""
        drain_until = self._drain_until
        if drain_until is None or time.monotonic() <= drain_until:
            return chunks
        kept: list[Chunk] = []
        for chunk in chunks:
            packets = chunk.get("packets")
            if packets:
                self.dropped += len(packets)
                chunk = {table: rows for table, rows in chunk.items() if table != "packets"}
            if chunk:
                kept.append(chunk)
        return kept

    def _write(self, chunks: list[Chunk]) -> None:
        if self.failure is not None:
            self.dropped += sum(len(rows) for c in chunks for rows in c.values())
            return
        by_table: defaultdict[str, list[Row]] = defaultdict(list)
        count = 0
        for chunk in chunks:
            for table, rows in chunk.items():
                by_table[table].extend(rows)
                count += len(rows)
        db = self._db
        try:
            db.execute("BEGIN")
            for table, rows in by_table.items():
                inserts = self._statements[table]
                for width, run in itertools.groupby(rows, key=len):
                    self._insert(inserts[width], width, list(run))
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            try:
                db.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            self.failure = _reason(exc)
            self.dropped += count
            return
        self.written += count
        self.commits += 1
        if self._on_commit is not None:
            self._on_commit()


#: ``nice`` increment of the writer thread: capture comes first when CPUs are short.
WRITER_NICENESS = 10


def _lower_priority() -> None:
    """Lower the calling thread's scheduling priority (Linux: per thread), if allowed."""
    try:
        tid = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, min(19, current + WRITER_NICENESS))
    except (AttributeError, OSError):
        return


def take_nowait(q: queue.Queue[Chunk | None]) -> Chunk | None:
    """``q.get_nowait()``, a name for the gathering loop."""
    return q.get_nowait()


def _reason(exc: sqlite3.Error) -> str:
    text = str(exc) or type(exc).__name__
    code = getattr(exc, "sqlite_errorname", "")
    return f"{text} ({code})" if code and code not in text else text
