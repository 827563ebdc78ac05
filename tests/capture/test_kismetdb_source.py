"""The ``kismetdb`` source: a .kismet log's packets, with their own times, link types and
sources, through the sink; realtime on the clock; logs it cannot read."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kismet_tx.capture.kismetdb import KismetdbSource
from kismet_tx.capture.system import META, META_SIZE, iter_batch
from kismet_tx.kismetdb import schema
from kismet_tx.sourcedefinition import SourceDefinitionError
from tests.capture.conftest import Rig, beacon, make_rig, radiotap_beacon

A = "AAAAAAAA-0000-0000-0000-000000000001"
B = "BBBBBBBB-0000-0000-0000-000000000002"


def write_log(path: Path, rows: list[tuple[int, int, str, int, bytes]]) -> None:
    db = sqlite3.connect(path)
    schema.create(db, 6, "test")
    with db:
        db.execute(schema.insert_sql("datasources", 6), (A, "pcapfile", "x", "alpha", "x", b"{}"))
        for sec, usec, uuid, dlt, data in rows:
            db.execute(schema.insert_sql("packets", 6), (
                sec, usec, "IEEE802.11", "", "", "", 0.0, "0", 0.0, 0.0, 0.0, 0.0, 0.0,
                len(data), 0, uuid, dlt, data, 0, ""))
    db.close()


def frames(rig: Rig) -> list[tuple[str, str, int, int, int, bytes]]:
    out = []
    for source, dlt, batch in rig.sink.batches:
        meta = batch[1]
        for index, (_, data) in enumerate(iter_batch(batch)):
            sec, usec, _, _ = META.unpack_from(meta, index * META_SIZE)
            out.append((source.uuid, source.source_name, dlt, sec, usec, bytes(data)))
    return out


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "day.kismet"
    write_log(path, [
        (100, 999_999, A, 105, beacon(channel=1)),
        (101, 0, A, 105, beacon(channel=6)),
        (101, 5, B, 127, radiotap_beacon()),
        (102, 0, A, 0, b""),
        (103, 1, A, 105, beacon(channel=11)),
    ])
    return path


def test_packets_come_as_from_their_own_sources_with_their_own_times(log: Path) -> None:
    rig = make_rig()
    rig.tracker.startService()
    source = rig.tracker.add(str(log))
    assert isinstance(source, KismetdbSource)
    rig.clock.advance(0)
    got = frames(rig)
    assert [(u, n, d, s, us) for u, n, d, s, us, _ in got] == [
        (A, "alpha", 105, 100, 999_999), (A, "alpha", 105, 101, 0),
        (B, B, 127, 101, 5), (A, "alpha", 105, 103, 1)]
    assert got[2][5] == radiotap_beacon()
    assert source.finished and source.num_packets == 4 and not source.error
    record = source.record()
    assert record["kismet.datasource.replay.packets_total"] == 4
    assert record["kismet.datasource.type_driver"]["kismet.datasource.driver.type"] == "kismetdb"
    assert any("finished replaying" in t and "4 packets" in t for t in rig.texts())


def test_realtime_keeps_the_logged_timing(log: Path) -> None:
    rig = make_rig()
    rig.tracker.startService()
    rig.tracker.add(f"{log}:realtime=true")
    rig.clock.advance(0)
    assert len(frames(rig)) == 1, "the next row is a microsecond later: not due yet"
    rig.clock.advance(0.5)
    assert len(frames(rig)) == 3
    rig.clock.advance(1.4)
    assert len(frames(rig)) == 3, "the last row is due two seconds after the first"
    rig.clock.advance(0.2)
    assert len(frames(rig)) == 4


def test_a_file_that_is_not_a_kismetdb_log(tmp_path: Path) -> None:
    rig = make_rig()
    rig.tracker.startService()
    junk = tmp_path / "junk.kismet"
    junk.write_bytes(b"not sqlite at all" * 100)
    source = rig.tracker.add(str(junk))
    assert source.error and "not a kismetdb log" in source.error_reason
    empty = tmp_path / "empty.kismet"
    sqlite3.connect(empty).execute("CREATE TABLE x (y)").connection.close()
    source = rig.tracker.add(f"{empty}:name=empty")
    assert source.error and "not a kismetdb log" in source.error_reason
    with pytest.raises(SourceDefinitionError, match="no such file"):
        rig.tracker.add(str(tmp_path / "missing.kismet"))
    with pytest.raises(SourceDefinitionError, match="batch"):
        rig.tracker.add(f"{empty}:batch=0,uuid=CCCCCCCC-0000-0000-0000-000000000003")
    assert rig.sink.batches == []
