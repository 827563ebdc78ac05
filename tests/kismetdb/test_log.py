"""The kismetdb log inside the real service, on a memory reactor: what it writes and when."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import kismetdb
import pytest
from twisted.internet.testing import MemoryReactorClock

from kismet_tx.capture.linux import LinuxCaptureSystem
from kismet_tx.config import Config
from kismet_tx.kismetdb import schema
from kismet_tx.service import KNOWN_KEYS, KismetService, build_service
from tests.streams.helpers import DATA, INDUCTION

WIFITE = DATA / "wifite2_handshake_not_exists.cap"
START = 1_700_000_000.0


class Rig:
    """A started service with ``log_types=kismet`` on a memory reactor."""

    def __init__(self, tmp_path: Path, conf: str = "") -> None:
        self.reactor = MemoryReactorClock()
        self.reactor.advance(START)
        self.home = tmp_path
        text = (f"log_types=kismet\nlog_prefix={tmp_path}\nkis_log_commit_interval=0.01\n"
                + conf)
        config = Config.from_text(text, name="<test>", home=str(tmp_path),
                                  known_keys=KNOWN_KEYS)
        self.service: KismetService = build_service(config, tmp_path, self.reactor,
                                                    capture_system=LinuxCaptureSystem())
        self.service.startService()
        self.serialized: list[str] = []
        log = self.log
        assert log is not None
        record = log.inputs.device_record

        def counting(device: Any) -> Any:
            self.serialized.append(device.key)
            return record(device)

        log.inputs.device_record = counting

    @property
    def log(self) -> Any:
        return self.service.kismetdb

    @property
    def path(self) -> Path:
        assert self.log.path is not None
        return Path(self.log.path)

    def replay(self, capture: Path, name: str) -> None:
        source = self.service.datasources.add(f"{capture}:name={name}")
        while source.capturing:
            self.reactor.advance(0)

    def advance(self, seconds: float) -> None:
        """Move the clock, then let the cooperative scan run its slices."""
        self.reactor.advance(seconds)
        for _ in range(1000):
            if self.log._scan is None:
                break
            self.reactor.advance(0)

    def stop(self) -> None:
        done: list[object] = []
        self.service.stopService().addBoth(done.append)
        deadline = time.monotonic() + 30
        while not done:
            assert time.monotonic() < deadline, "the log did not close"
            self.reactor.advance(0.01)
            self.log.writer.join(0.01)


@contextmanager
def read(path: Path) -> Iterator[sqlite3.Connection]:
    db = sqlite3.connect(path)
    try:
        yield db
    finally:
        db.close()


def test_devices_are_the_rest_records_written_once_per_interval(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.replay(WIFITE, "first")
    tracker = rig.service.tracking.device_tracker
    total = len(tracker)
    assert rig.serialized == [], "nothing is serialised per packet"
    rig.advance(30)
    assert sorted(rig.serialized) == sorted(d.key for d in tracker.devices())
    rig.serialized.clear()
    rig.advance(30)
    assert rig.serialized == [], "unchanged devices are not written again"
    rig.replay(INDUCTION, "second")
    rig.advance(30)
    changed = set(rig.serialized)
    second = {d.key for d in tracker.devices() if d.seen_by_source(
        rig.service.datasources.sources()[1].uuid)}
    assert changed == second and len(changed) < len(tracker)
    rig.stop()
    with read(rig.path) as db:
        rows = db.execute("SELECT devkey, device, first_time, devmac, type FROM devices").fetchall()
        assert len(rows) == len(tracker) > total
        for key, blob, first_time, mac, kind in rows:
            device = tracker.get(key)
            assert device is not None
            rest = json.loads(rig.service.ctx.serializer.encode(
                rig.service.tracking.record(device), "json"))
            # An RRD's serial_time is the wall second it was serialised at.
            assert without_serial_time(json.loads(blob)) == without_serial_time(rest)
            assert (first_time, mac, kind) == (
                rest["kismet.device.base.first_time"], rest["kismet.device.base.macaddr"],
                rest["kismet.device.base.type"])
        assert db.execute("SELECT count(*) FROM packets").fetchone()[0] == 1112 + 1093
        names = {r[0] for r in db.execute("SELECT name FROM datasources")}
        assert names == {"first", "second"}
        [system] = db.execute("SELECT json FROM snapshots WHERE snaptype='SYSTEM' "
                              "ORDER BY ts_sec LIMIT 1").fetchall()
        assert json.loads(system[0])["kismet.system.server_uuid"] == tracker.server_uuid
        messages = [r[0] for r in db.execute("SELECT message FROM messages")]
        assert any("finished replaying" in m for m in messages)
    assert kismetdb.Kismet(str(rig.path)).kismet_uuid == tracker.server_uuid
    with read(rig.path) as db:
        [(name,)] = db.execute("SELECT json_extract(device, '$.\"kismet.device.base.name\"') "
                               "FROM devices WHERE devmac = '00:1D:D5:9B:11:00'").fetchall()
    assert name == "HOME-1102"


def test_version_10_is_the_2025_layout_and_the_pypi_reader_refuses_it(tmp_path: Path) -> None:
    rig = Rig(tmp_path, "kis_log_db_version=10\n")
    rig.replay(WIFITE, "v10")
    rig.stop()
    with read(rig.path) as db:
        assert db.execute("SELECT db_version FROM KISMET").fetchone() == (10,)
        columns = [r[1] for r in db.execute("PRAGMA table_info(packets)")]
        assert columns == list(schema.PACKETS_10)
        ids = [r[0] for r in db.execute("SELECT packetid FROM packets ORDER BY rowid")]
        assert ids == list(range(1, 1113))
    with pytest.raises(ValueError, match="Schema mismatch in packets table"):
        kismetdb.Packets(str(rig.path))
    six = Rig(tmp_path / "six")
    six.stop()
    assert kismetdb.Packets(str(six.path)).get_meta() == []


def test_filters_and_what_is_left_out(tmp_path: Path) -> None:
    ap = "00:1D:D5:9B:11:00"
    conf = ("kis_log_data_packets=false\nkis_log_messages=false\n"
            f"kis_log_packet_filter=IEEE802.11,source,{ap},block\n"
            "kis_log_device_filter_default=block\n"
            f"kis_log_device_filter=IEEE802.11,{ap},pass\n"
            "kis_log_device_filter=IEEE802.11,nonsense,pass\n")
    rig = Rig(tmp_path, conf)
    rig.replay(WIFITE, "filtered")
    rig.stop()
    errors = [m.text for m in rig.service.bus.messages() if "kis_log_device_filter" in m.text]
    assert errors == ["Skipping invalid kis_log_device_filter option 'IEEE802.11,nonsense,"
                      "pass', expected phyname,mac,filtertype but got error parsing "
                      "'nonsense' as a MAC address."]
    with read(rig.path) as db:
        assert db.execute("SELECT devmac FROM devices").fetchall() == [(ap,)]
        assert db.execute("SELECT count(*) FROM packets WHERE sourcemac = ?",
                          (ap,)).fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM messages").fetchone() == (0,)
        logged = db.execute("SELECT count(*) FROM packets").fetchone()[0]
    assert 0 < logged < 1112
    assert rig.log.filtered_packets == 1112 - logged


def test_ephemeral_leaves_nothing(tmp_path: Path) -> None:
    rig = Rig(tmp_path, "kis_log_ephemeral_dangerous=true\n")
    assert not rig.path.exists()
    rig.replay(WIFITE, "gone")
    assert rig.log.record()["kismet.logfile.open"] == 1
    rig.stop()
    assert rig.log.writer.written > 1112 and rig.log.dropped == 0
    assert [p for p in os.listdir(tmp_path) if ".kismet" in p] == []


def test_an_existing_name_is_refused_without_increment(tmp_path: Path) -> None:
    taken = tmp_path / "fixed.kismet"
    taken.write_bytes(b"someone else's")
    rig = Rig(tmp_path, f"log_template={taken}\n")
    assert rig.log.path is None and rig.log.writer is None
    [error] = [m.text for m in rig.service.bus.messages() if "kismetdb" in m.text]
    assert "already exists" in error
    assert taken.read_bytes() == b"someone else's"
    rig.service.stopService()


def test_alerts_and_gps_snapshots(tmp_path: Path) -> None:
    from kismet_tx.gps.location import Location

    rig = Rig(tmp_path)
    tracker = rig.service.alerts.alert_tracker
    tracker.define("TESTALERT", "an alert for the log")
    here = Location(lat=48.1173, lon=11.516667, alt=545.4, fix=3)
    rig.log.inputs.location = lambda: here
    rig.log.inputs.gps_records = lambda: [(here, {"kismet.gps.name": "car"}), (None, {})]
    alert = tracker.raise_alert("TESTALERT", "seen", source="00:11:22:33:44:55")
    rig.advance(10)
    rig.stop()
    with read(rig.path) as db:
        [(header, devmac, lat, blob)] = db.execute(
            "SELECT header, devmac, lat, json FROM alerts").fetchall()
        gps = db.execute("SELECT lat, lon, json FROM snapshots WHERE snaptype='GPS'").fetchall()
    assert (header, devmac, lat) == ("TESTALERT", "00:11:22:33:44:55", 48.1173)
    assert json.loads(blob) == json.loads(rig.service.ctx.serializer.encode(alert.record(),
                                                                              "json"))
    assert gps == [(48.1173, 11.516667, '{"kismet.gps.name":"car"}')]
    assert [row["header"] for row in kismetdb.Alerts(str(rig.path)).get_meta()] == ["TESTALERT"]


def test_duplicates_from_a_second_source_are_left_out(tmp_path: Path) -> None:
    rig = Rig(tmp_path, "kis_log_duplicate_packets=false\n")
    rig.replay(WIFITE, "one")
    rig.service.datasources.add(f"{WIFITE}:name=two,uuid=CCCCCCCC-0000-0000-0000-000000000003")
    source = rig.service.datasources.sources()[1]
    while source.capturing:
        rig.reactor.advance(0)
    rig.stop()
    with read(rig.path) as db:
        per_source = dict(db.execute("SELECT datasource, count(*) FROM packets "
                                     "GROUP BY datasource").fetchall())
    first = rig.service.datasources.sources()[0].uuid
    assert per_source == {first: 1112}, "the second radio heard nothing new"
    assert rig.log.filtered_packets == 1112


def test_a_missing_directory_is_a_clear_message(tmp_path: Path) -> None:
    rig = Rig(tmp_path, f"log_template={tmp_path}/missing/%n-%i.%l\n")
    assert rig.log.path is None
    [error] = [m.text for m in rig.service.bus.messages() if "kismetdb" in m.text]
    assert error.startswith(f"Failed to open kismetdb log '{tmp_path}/missing/Kismet-1.kismet'")
    assert error.endswith(": No such file or directory")
    rig.service.stopService()


def without_serial_time(value: Any) -> Any:
    """``value`` without ``kismet.common.rrd.serial_time`` anywhere inside it."""
    if isinstance(value, dict):
        return {k: without_serial_time(v) for k, v in value.items()
                if k != "kismet.common.rrd.serial_time"}
    if isinstance(value, list):
        return [without_serial_time(v) for v in value]
    return value
