"""The kismetdb (``.kismet``) tables: Kismet's SQLite log layout.

A ``.kismet`` file holds one ``KISMET`` row (``kismet_version``,
``db_version``, ``db_module``) and the tables ``devices``, ``packets``,
``data``, ``datasources``, ``alerts``, ``messages`` and ``snapshots``, with
the columns of Kismet's ``kis_databaselogfile.cc``.

Two layouts are written (``kis_log_db_version``):

- **6** (the default): the layout the official ``kismetdb`` package on PyPI
  (2021.6.1, the one its ``kismet_log_*`` scripts install) reads. That package
  insists on the exact column list of the version it knows and refuses newer
  files ("Schema mismatch in packets table"). Kismet's own tools and its
  ``kismetdb`` replay source read version 6 too: they choose their queries by
  ``db_version``.
- **10**: the layout of the 2025 Kismet server: ``packets`` gains
  ``datarate``, ``hash``, ``packetid`` and ``packet_full_len`` and ``data``
  gains ``signal``, all after the version 6 columns, in that order.

Rows are built in the version 10 column order; a version 6 log takes the
leading columns (:func:`insert_sql` and :func:`trim`).
"""

from __future__ import annotations

import os
import re
import sqlite3

#: The layouts this server writes.
DB_VERSIONS = (6, 10)
DEFAULT_DB_VERSION = 6
#: ``db_module`` of the ``KISMET`` row (Kismet's log module name).
DB_MODULE = "kismetlog"

DEVICES = ("first_time", "last_time", "devkey", "phyname", "devmac", "strongest_signal",
           "min_lat", "min_lon", "max_lat", "max_lon", "avg_lat", "avg_lon",
           "bytes_data", "type", "device")
PACKETS_6 = ("ts_sec", "ts_usec", "phyname", "sourcemac", "destmac", "transmac",
             "frequency", "devkey", "lat", "lon", "alt", "speed", "heading",
             "packet_len", "signal", "datasource", "dlt", "packet", "error", "tags")
PACKETS_10 = PACKETS_6 + ("datarate", "hash", "packetid", "packet_full_len")
DATA_6 = ("ts_sec", "ts_usec", "phyname", "devmac", "lat", "lon", "alt", "speed",
          "heading", "datasource", "type", "json")
DATA_10 = DATA_6 + ("signal",)
DATASOURCES = ("uuid", "typestring", "definition", "name", "interface", "json")
ALERTS = ("ts_sec", "ts_usec", "phyname", "devmac", "lat", "lon", "header", "json")
MESSAGES = ("ts_sec", "lat", "lon", "msgtype", "message")
SNAPSHOTS = ("ts_sec", "ts_usec", "lat", "lon", "snaptype", "json")

_TYPES = {
    "first_time": "INT", "last_time": "INT", "strongest_signal": "INT", "bytes_data": "INT",
    "ts_sec": "INT", "ts_usec": "INT", "packet_len": "INT", "signal": "INT", "dlt": "INT",
    "error": "INT", "hash": "INT", "packetid": "INT", "packet_full_len": "INT",
    "min_lat": "REAL", "min_lon": "REAL", "max_lat": "REAL", "max_lon": "REAL",
    "avg_lat": "REAL", "avg_lon": "REAL", "frequency": "REAL", "lat": "REAL", "lon": "REAL",
    "alt": "REAL", "speed": "REAL", "heading": "REAL", "datarate": "REAL",
    "device": "BLOB", "packet": "BLOB", "json": "BLOB",
}
_UNIQUE = {"devices": "UNIQUE(phyname, devmac) ON CONFLICT REPLACE",
           "datasources": "UNIQUE(uuid) ON CONFLICT REPLACE"}


def columns(table: str, version: int) -> tuple[str, ...]:
    """The columns of ``table`` in a log of ``version``."""
    if table == "packets":
        return PACKETS_10 if version >= 10 else PACKETS_6
    if table == "data":
        return DATA_10 if version >= 10 else DATA_6
    return {"devices": DEVICES, "datasources": DATASOURCES, "alerts": ALERTS,
            "messages": MESSAGES, "snapshots": SNAPSHOTS}[table]


TABLES = ("devices", "packets", "data", "datasources", "alerts", "messages", "snapshots")


def create_sql(table: str, version: int) -> str:
    """``CREATE TABLE`` for ``table``."""
    parts = [f"{name} {_TYPES.get(name, 'TEXT')}" for name in columns(table, version)]
    if table in _UNIQUE:
        parts.append(_UNIQUE[table])
    return f"CREATE TABLE {table} ({', '.join(parts)})"


def insert_sql(table: str, version: int) -> str:
    """The ``INSERT`` of one row of ``table``."""
    names = columns(table, version)
    return (f"INSERT INTO {table} ({', '.join(names)}) "
            f"VALUES ({', '.join('?' * len(names))})")


def _mac_text(param: str) -> str:
    """SQL turning a bound 6-byte MAC (or NULL) into ``AA:BB:CC:DD:EE:FF``."""
    hexed = f"hex(coalesce({param}, zeroblob(6)))"
    return "||':'||".join(f"substr({hexed}, {i}, 2)" for i in range(1, 12, 2))


#: What the short row of an 802.11 packet without a GPS fix binds, in order:
#: the time as a float, the raw source, destination and transmitter MACs (or
#: None), the frequency in MHz and the signal (or None), the source UUID, the
#: link type, the frame and the error flag; version 10 adds the CRC-32, the
#: packet id and the original length. SQLite works the columns out of them
#: (outside the GIL): seconds and microseconds, MAC text, kHz, the length.
LEAN_PACKET_VALUES = {
    "ts_sec": "CAST(round(?1 * 1000000) AS INTEGER) / 1000000",
    "ts_usec": "CAST(round(?1 * 1000000) AS INTEGER) % 1000000",
    "phyname": "'IEEE802.11'",
    "sourcemac": _mac_text("?2"), "destmac": _mac_text("?3"), "transmac": _mac_text("?4"),
    "frequency": "coalesce(?5 * 1000.0, 0.0)", "devkey": "'0'",
    "lat": "0", "lon": "0", "alt": "0", "speed": "0", "heading": "0",
    "packet_len": "length(?9)", "signal": "coalesce(?6, 0)", "datasource": "?7",
    "dlt": "?8", "packet": "?9", "error": "?10", "tags": "''",
    "datarate": "0", "hash": "?11", "packetid": "?12", "packet_full_len": "?13",
}
LEAN_PACKET_WIDTH = {6: 10, 10: 13}


def statements(version: int) -> dict[str, dict[int, str]]:
    """``table -> {row width: INSERT}``: each table's full row, and for ``packets``
    also the short row of :data:`LEAN_PACKET_VALUES`."""
    out = {table: {len(columns(table, version)): insert_sql(table, version)}
           for table in TABLES}
    names = columns("packets", version)
    values = ", ".join(LEAN_PACKET_VALUES[name] for name in names)
    width = LEAN_PACKET_WIDTH[10 if version >= 10 else 6]
    out["packets"][width] = f"INSERT INTO packets ({', '.join(names)}) VALUES ({values})"
    return out


_PLAIN_PARAM = re.compile(r"\?(?!\d)")
_NUMBERED_PARAM = re.compile(r"\?(\d+)")


def multi_row_insert(sql: str, width: int, rows: int) -> str:
    """``sql`` (one row's ``INSERT ... VALUES (...)`` of ``width`` parameters) for
    ``rows`` rows in one statement, bound with the rows' values one after another."""
    head, _, group = sql.partition(" VALUES ")
    if _PLAIN_PARAM.search(group):
        numbers = iter(range(1, width + 1))
        group = _PLAIN_PARAM.sub(lambda _: f"?{next(numbers)}", group)
    groups = (_shifted(group, row * width) for row in range(rows))
    return f"{head} VALUES {', '.join(groups)}"


def _shifted(group: str, by: int) -> str:
    """A VALUES group with each ``?N`` parameter renumbered ``?N+by``."""
    return _NUMBERED_PARAM.sub(lambda m: f"?{int(m.group(1)) + by}", group)


def create(db: sqlite3.Connection, version: int, kismet_version: str) -> None:
    """Create the ``KISMET`` row and every table in an empty database."""
    with db:
        db.execute("CREATE TABLE KISMET (kismet_version TEXT, db_version INT, db_module TEXT)")
        db.execute("INSERT INTO KISMET (kismet_version, db_version, db_module) "
                   "VALUES (?, ?, ?)", (kismet_version, version, DB_MODULE))
        for table in TABLES:
            db.execute(create_sql(table, version))


def open_read_only(path: str) -> sqlite3.Connection:
    """A read-only connection to a kismetdb log; ``ValueError`` (with why) if it is not one."""
    if not os.path.isfile(path):
        raise ValueError(f"{path}: no such file")
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise ValueError(f"{path}: {exc}") from None
    try:
        db_version(db)
        db.execute("SELECT ts_sec, ts_usec, datasource, dlt, packet FROM packets LIMIT 1")
    except (sqlite3.Error, ValueError) as exc:
        db.close()
        message = str(exc) if str(exc).startswith("not a kismetdb log") else \
            f"not a kismetdb log ({exc})"
        raise ValueError(f"{path}: {message}") from None
    return db


def db_version(db: sqlite3.Connection) -> int:
    """The ``db_version`` of an open log; ``ValueError`` if it is not a kismetdb log."""
    try:
        row = db.execute("SELECT db_version FROM KISMET").fetchone()
    except sqlite3.DatabaseError as exc:
        raise ValueError(f"not a kismetdb log: {exc}") from None
    if row is None or not isinstance(row[0], int):
        raise ValueError("not a kismetdb log: no db_version in its KISMET table")
    return row[0]
