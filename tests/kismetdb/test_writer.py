"""The kismetdb writer thread: batched transactions, a bounded queue with counted drops,
a failing disk, and a clean close."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

from kismet_tx.kismetdb import schema
from kismet_tx.kismetdb.writer import DbWriter, open_database

STATEMENTS = {"messages": {5: schema.insert_sql("messages", 6)}}


def _message(n: int) -> tuple:
    return (n, 0.0, 0.0, "INFO", f"message {n}")


def _log(tmp_path: Path) -> tuple[Path, sqlite3.Connection]:
    path = tmp_path / "t.kismet"
    db = open_database(str(path))
    schema.create(db, 6, "test")
    return path, db


def test_rows_arrive_in_order_in_batched_transactions(tmp_path: Path) -> None:
    path, db = _log(tmp_path)
    writer = DbWriter(db, STATEMENTS, chunk=10, commit_interval=0.05)
    for n in range(1000):
        writer.add("messages", _message(n))
    writer.close()
    assert writer.join(10)
    assert writer.written == 1000 and writer.dropped == 0 and writer.failure is None
    assert 1 <= writer.commits < 100, "many rows per transaction"
    check = sqlite3.connect(path)
    assert [r[0] for r in check.execute("SELECT ts_sec FROM messages")] == list(range(1000))
    assert check.execute("PRAGMA journal_mode").fetchone() == ("wal",)


class StalledDb:
    """A connection whose first statement waits until released (a slow disk)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.rows = 0

    def execute(self, sql: str, *args: Any) -> None:
        self.release.wait(10)
        if sql.startswith("INSERT"):
            self.rows += sql.count("), (") + 1  # the writer binds many rows a statement

    def close(self) -> None:
        pass


def test_a_full_queue_drops_whole_chunks_and_counts_them() -> None:
    db = StalledDb()
    writer = DbWriter(db, STATEMENTS, chunk=10, max_rows=30, commit_interval=0.01)  # type: ignore[arg-type]
    for n in range(200):
        writer.add("messages", _message(n))
    writer.hand_over()
    # The thread holds one chunk; the queue holds three more; the rest was dropped.
    assert 200 - 40 <= writer.dropped <= 200 - 30
    db.release.set()
    writer.close()
    assert writer.join(10)
    assert writer.written + writer.dropped == 200
    assert db.rows == writer.written


class FullDisk(StalledDb):
    def execute(self, sql: str, *args: Any) -> None:
        if sql.startswith("INSERT"):
            raise sqlite3.OperationalError("database or disk is full")


def test_a_failing_write_is_rolled_back_and_later_rows_are_dropped() -> None:
    db = FullDisk()
    db.release.set()
    writer = DbWriter(db, STATEMENTS, chunk=5, commit_interval=0.01)  # type: ignore[arg-type]
    for n in range(5):
        writer.add("messages", _message(n))
    writer.close()
    assert writer.join(10)
    assert writer.failure == "database or disk is full"
    assert writer.written == 0 and writer.dropped == 5
    writer.add("messages", _message(9))
    writer.hand_over()
    assert writer.dropped == 6


def test_a_failure_keeps_what_was_committed(tmp_path: Path) -> None:
    path, db = _log(tmp_path)
    statements = dict(STATEMENTS, broken={1: "INSERT INTO nowhere VALUES (?)"})
    writer = DbWriter(db, statements, chunk=10, commit_interval=0.01)
    writer.add("messages", _message(1))
    writer.hand_over()
    while writer.written == 0:
        writer.join(0.01)
    writer.add("messages", _message(2))
    writer.add("broken", (1,))
    writer.close()  # both in one chunk: one transaction
    assert writer.join(10)
    assert writer.failure is not None and "nowhere" in writer.failure
    rows = sqlite3.connect(path).execute("SELECT ts_sec FROM messages").fetchall()
    assert rows == [(1,)], "the failed transaction is rolled back whole"


def test_rows_of_two_widths_keep_their_order(tmp_path: Path) -> None:
    """Lean packet rows (SQLite works out the columns) and full ones, interleaved."""
    path, db = _log(tmp_path)
    writer = DbWriter(db, schema.statements(6), chunk=1000, commit_interval=0.01)
    full = (2, 0, "Unknown", "00", "00", "00", 0.0, "0", 48.1, 11.5, 0.0, 0.0, 0.0, 3, 0,
            "U", 105, b"xyz", 1, "")
    for ts in range(10):
        if ts % 3:
            writer.add("packets", (ts + 0.999999, b"\x00\x1d\xd5\x9b\x11\x0a", None,
                                   b"\xff" * 6, 2412, None, "U", 105, b"abcd", False))
        else:
            writer.add("packets", (ts,) + full[1:])
    writer.close()
    assert writer.join(10) and writer.failure is None
    check = sqlite3.connect(path)
    got = check.execute("SELECT ts_sec, ts_usec, phyname, sourcemac, destmac, transmac, "
                        "frequency, signal, packet_len, lat, tags, error FROM packets "
                        "ORDER BY rowid").fetchall()
    assert [r[0] for r in got] == list(range(10))
    assert got[1] == (1, 999_999, "IEEE802.11", "00:1D:D5:9B:11:0A", "00:00:00:00:00:00",
                      "FF:FF:FF:FF:FF:FF", 2412000.0, 0, 4, 0, "", 0)
    assert got[3] == (3, 0, "Unknown", "00", "00", "00", 0.0, 0, 3, 48.1, "", 1)
