"""End to end: the kismetdb log of a real twistd, read by the official ``kismetdb`` scripts.

Each server replays a capture from tests/data with ``log_types=kismet``; the
``.kismet`` file is then read by the PyPI ``kismetdb`` package's own console
scripts (``kismet_log_to_pcap``, ``kismet_log_devices_to_json``,
``kismet_log_to_csv``, ``kismet_log_to_kml``), by tshark and by sqlite3, and
replayed into a fresh server. Waiting is on the server's log lines, or on a
condition of the database or the REST API polled to a deadline.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests

from tests.e2e.conftest import START_TIMEOUT, RunningServer, start_server, stop_server
from tests.e2e.test_gps import GpsFake, free_port, write_nmea_log
from tests.e2e.test_ops import finish, wait_for
from tests.streams.helpers import DATA, INDUCTION, TSHARK, needs_tshark

BIN = Path(sys.executable).parent
WIFITE = DATA / "wifite2_handshake_not_exists.cap"
FAST = "kis_log_commit_interval=0.2\nkis_log_device_interval=1\n"
T = TypeVar("T")


def until(server: RunningServer, check: Callable[[], T], what: str,
          timeout: float = START_TIMEOUT) -> T:
    """Check ``check`` again at each of the server's log lines (its commits, replay
    passes, messages) until it returns something true; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"timed out waiting for {what}")
        try:
            server.read_next_line(remaining)
        except AssertionError:
            if value := check():
                return value
            raise AssertionError(f"timed out waiting for {what}") from None


def place(path: Path) -> Path:
    """A directory for one of several servers of a test."""
    path.mkdir(parents=True, exist_ok=True)
    return path


def script(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run one of the kismetdb package's console scripts; it must succeed."""
    done = subprocess.run([str(BIN / name), *args], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    return done


def tshark_count(path: Path) -> int:
    assert TSHARK is not None
    done = subprocess.run([TSHARK, "-r", str(path), "-T", "fields", "-e", "frame.number"],
                          capture_output=True, text=True, check=True, timeout=120)
    return len(done.stdout.split())


def active_logs(server: RunningServer) -> list[dict[str, Any]]:
    reply = requests.get(f"{server.url}/logging/active.json", timeout=10,
                         auth=(server.username, server.password))
    assert reply.status_code == 200
    return reply.json()


def kismetdb_log(server: RunningServer) -> dict[str, Any]:
    [log] = [r for r in active_logs(server) if r["kismet.logfile.type.class"] == "kismet"]
    return log


def device_keys(server: RunningServer) -> set[str]:
    reply = requests.get(f"{server.url}/devices/all_devices.ekjson", timeout=30)
    return {json.loads(line)["kismet_device_base_key"] for line in reply.text.splitlines()}


def devices_by_key(server: RunningServer) -> dict[str, dict[str, Any]]:
    reply = requests.get(f"{server.url}/devices/all_devices.json", timeout=30)
    return {d["kismet.device.base.key"]: d for d in reply.json()}


@contextmanager
def read_only(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection, closed afterwards (a tmpfs can then be unmounted)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        yield db
    finally:
        db.close()


def scalar(path: Path, sql: str) -> Any:
    """The one value ``sql`` selects from the log."""
    with read_only(path) as db:
        return db.execute(sql).fetchone()[0]


def integrity(path: Path) -> str:
    with read_only(path) as db:
        return db.execute("PRAGMA integrity_check").fetchone()[0]


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    where = tmp_path / "logs"
    where.mkdir()
    return where


@needs_tshark
def test_official_scripts_read_the_log_of_a_replay(tmp_path: Path, logs: Path) -> None:
    conf = f"log_types=kismet\nlog_prefix={logs}\nlog_title=Survey\n{FAST}"
    server = start_server(tmp_path, "-c", f"{INDUCTION}:name=induction", conf=conf)
    try:
        server.read_log_until("finished replaying")
        log = kismetdb_log(server)
        path = Path(log["kismet.logfile.path"])
        assert path.parent == logs and path.name.startswith("Survey-")
        assert path.suffix == ".kismet" and log["kismet.logfile.open"] == 1
        drivers = requests.get(f"{server.url}/logging/drivers.json", timeout=10).json()
        assert {d["kismet.logfile.type.class"] for d in drivers} == {"pcapng", "kismet"}
        keys = device_keys(server)
    finally:
        assert stop_server(server) == 0
    assert integrity(path) == "ok"
    with read_only(path) as db:
        assert db.execute("SELECT db_version, db_module FROM KISMET").fetchall() == [
            (6, "kismetlog")]
    pcap = tmp_path / "out.pcap"
    out = script("kismet_log_to_pcap", "--in", str(path), "--out", str(pcap)).stdout
    assert "Converted 1093 packets" in out
    assert tshark_count(pcap) == tshark_count(INDUCTION) == 1093

    devices_json = tmp_path / "devices.json"
    script("kismet_log_devices_to_json", "--in", str(path), "--out", str(devices_json))
    logged = [json.loads(blob) for blob in json.loads(devices_json.read_text())]
    assert {d["kismet.device.base.key"] for d in logged} == keys

    for table in ("devices", "packets", "datasources", "alerts"):
        csv_out = tmp_path / f"{table}.csv"
        script("kismet_log_to_csv", "--in", str(path), "--table", table, "--out", str(csv_out))
        rows = csv_out.read_text().splitlines()
        assert rows[0].split("\t")[0] in ("first_time", "ts_sec", "uuid")
        if table == "packets":
            assert len(rows) == 1 + 1093
        if table == "devices":
            assert len(rows) == 1 + len(keys)

    # kismet_tx-log, on the same records.
    cli = [sys.executable, "-m", "kismet_tx.kismetdb.cli"]
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    ekjson = subprocess.run([*cli, "devices", str(path)], capture_output=True, text=True,
                            check=True, env=env, timeout=120).stdout
    assert {json.loads(line)["kismet_device_base_key"] for line in ekjson.splitlines()} == keys
    split = tmp_path / "bss"
    subprocess.run([*cli, "pcap", str(path), "--by", "bssid", "--out-dir", str(split)],
                   check=True, env=env, timeout=120, capture_output=True)
    files = sorted(split.glob("*.pcapng"))
    assert files and all(tshark_count(f) > 0 for f in files)


def test_sqlite_reads_the_log_while_capture_runs_and_sighup_keeps_it(
        tmp_path: Path, logs: Path) -> None:
    conf = f"log_types=kismet\nlog_prefix={logs}\n{FAST}"
    server = start_server(tmp_path, "-c", f"{WIFITE}:name=live,realtime=true,loop=true",
                          conf=conf)
    try:
        path = Path(kismetdb_log(server)["kismet.logfile.path"])

        def packets() -> int:
            with read_only(path) as db:
                (count,) = db.execute("SELECT count(*) FROM packets").fetchone()
                (whole,) = db.execute("SELECT count(*) FROM packets WHERE packet IS NOT NULL "
                                      "AND length(packet) = packet_len").fetchone()
                assert whole == count
                return count

        first = until(server, packets, "packets in the log")
        assert integrity(path) == "ok"
        server.process.send_signal(signal.SIGHUP)
        wait_for(server, "Configuration reloaded")
        until(server, lambda: packets() > first, "more packets after SIGHUP")
        assert integrity(path) == "ok"
        # Devices are written by the periodic scan, while capture runs.
        until(server, lambda: scalar(path, "SELECT count(*) FROM devices"), "devices in the log")
        with read_only(path) as db:
            names = {row[0] for row in db.execute("SELECT name FROM datasources")}
            assert names == {"live"}
    finally:
        assert stop_server(server) == 0
    assert integrity(path) == "ok"


def test_replay_of_the_log_gives_the_same_devices(tmp_path: Path, logs: Path) -> None:
    conf = f"log_types=kismet\nlog_prefix={logs}\n"
    original = start_server(place(tmp_path / "a"), "-c", f"{WIFITE}:name=orig", conf=conf)
    try:
        original.read_log_until("finished replaying")
        before = devices_by_key(original)
        path = Path(kismetdb_log(original)["kismet.logfile.path"])
    finally:
        assert stop_server(original) == 0
    replayed = start_server(place(tmp_path / "b"), "-c", str(path))
    try:
        replayed.read_log_until("finished replaying .*: 1112 packets")
        after = devices_by_key(replayed)
        [source] = requests.get(f"{replayed.url}/datasource/all_sources.json",
                                timeout=10).json()
    finally:
        assert stop_server(replayed) == 0
    assert source["kismet.datasource.type_driver"]["kismet.datasource.driver.type"] == \
        "kismetdb"
    assert set(after) == set(before)
    for key, device in before.items():
        for field in ("kismet.device.base.packets.total", "kismet.device.base.first_time",
                      "kismet.device.base.last_time", "kismet.device.base.type",
                      "kismet.device.base.commonname"):
            assert after[key][field] == device[field], (key, field)
        # Packets come as from the source that captured them.
        assert [s["kismet.common.seenby.uuid"] for s in after[key]["kismet.device.base.seenby"]] \
            == [s["kismet.common.seenby.uuid"] for s in device["kismet.device.base.seenby"]]


@pytest.fixture
def gpsfake(tmp_path: Path) -> Iterator[GpsFake]:
    nmea = tmp_path / "track.nmea"
    write_nmea_log(nmea)
    fake = GpsFake(nmea, free_port(), tmp_path / "gpsfake.out")
    fake.start()
    yield fake
    fake.stop()


def test_kml_of_a_capture_with_gps(tmp_path: Path, logs: Path, gpsfake: GpsFake) -> None:
    conf = (f"log_types=kismet\nlog_prefix={logs}\n{FAST}"
            f"gps=gpsd:host=127.0.0.1,port={gpsfake.port},name=car\n")
    server = start_server(tmp_path, "-c", f"{WIFITE}:name=drive,realtime=true,loop=true",
                          conf=conf)
    try:
        wait_for(server, r"GPS 'car': acquired a 3D fix")
        path = Path(kismetdb_log(server)["kismet.logfile.path"])

        def located() -> int:
            with read_only(path) as db:
                return db.execute("SELECT count(*) FROM devices WHERE avg_lat > 48").fetchone()[0]

        until(server, located, "devices with a location in the log")
    finally:
        assert stop_server(server) == 0
    with read_only(path) as db:
        lat, lon, alt = db.execute("SELECT lat, lon, alt FROM packets WHERE lat != 0 "
                                   "LIMIT 1").fetchone()
    assert lat == pytest.approx(48.1173) and lon == pytest.approx(11.516667)
    kml = tmp_path / "out.kml"
    script("kismet_log_to_kml", "--in", str(path), "--out", str(kml), "--title", "Drive")
    root = ET.parse(kml).getroot()
    names = [e.text for e in root.iter() if e.tag.endswith("name")]
    assert "Drive" in names
    csv_out = tmp_path / "devices.csv"
    script("kismet_log_to_csv", "--in", str(path), "--out", str(csv_out))
    header, *rows = [line.split("\t") for line in csv_out.read_text().splitlines()]
    avg_lat = header.index("avg_lat")
    assert any(float(row[avg_lat]) == pytest.approx(48.1173) for row in rows)


# -- faults ---------------------------------------------------------------------------------


def _tmpfs(where: Path, size: str) -> bool:
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True, check=False)
    return done.returncode == 0


def test_full_disk_stops_the_log_and_capture_goes_on(tmp_path: Path) -> None:
    tiny = tmp_path / "tiny"
    if not _tmpfs(tiny, "256k"):
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        conf = f"log_types=kismet\nlog_prefix={tiny}\n{FAST}"
        server = start_server(tmp_path, "-c", f"{INDUCTION}:name=full,loop=true", conf=conf)
        try:
            line = wait_for(server, r"kismetdb log .* stopped writing after \d+ rows")
            assert "full" in line and "capture goes on" in line
            log = kismetdb_log(server)
            assert log["kismet.logfile.open"] == 0
            assert "full" in log["kismet.logfile.kismetdb.error"]
            sources = f"{server.url}/datasource/all_sources.json"

            def packets() -> int:
                return requests.get(sources, timeout=10).json()[0]["kismet.datasource.num_packets"]

            seen = packets()
            until(server, lambda: packets() > seen + 1093, "capture to go on")
            dropped = log["kismet.logfile.kismetdb.rows_dropped"]
            until(server, lambda: kismetdb_log(server)["kismet.logfile.kismetdb.rows_dropped"]
                  > dropped, "drops to be counted")
            path = Path(log["kismet.logfile.path"])
        finally:
            assert stop_server(server) == 0
        assert integrity(path) == "ok"
        with read_only(path) as db:
            assert db.execute("SELECT db_version FROM KISMET").fetchone() == (6,)
    finally:
        subprocess.run(["umount", str(tiny)], check=False)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_a_signal_mid_transaction_leaves_a_consistent_log(
        tmp_path: Path, logs: Path, sig: signal.Signals) -> None:
    conf = f"log_types=kismet\nlog_prefix={logs}\nkis_log_commit_interval=0.5\n"
    server = start_server(tmp_path, "-c", f"{INDUCTION}:name=busy,loop=true", conf=conf)
    path = Path(kismetdb_log(server)["kismet.logfile.path"])

    def committed() -> int:
        with read_only(path) as db:
            return db.execute("SELECT count(*) FROM packets").fetchone()[0]

    until(server, lambda: committed() > 2000, "two passes in the log")
    server.process.send_signal(sig)
    code = finish(server, terminate=False)
    assert code == (0 if sig == signal.SIGTERM else -signal.SIGKILL)
    assert integrity(path) == "ok"
    count = committed()
    assert count > 2000
    with read_only(path) as db:
        assert db.execute("SELECT count(*) FROM packets WHERE length(packet) = packet_len "
                          "AND datasource != ''").fetchone()[0] == count
        if sig == signal.SIGTERM:
            # A clean stop writes the devices and the closing SYSTEM snapshot.
            assert db.execute("SELECT count(*) FROM devices").fetchone()[0] > 0
            assert db.execute("SELECT count(*) FROM snapshots WHERE snaptype = 'SYSTEM'"
                              ).fetchone()[0] == 2
    pcap = tmp_path / "out.pcap"
    script("kismet_log_to_pcap", "--in", str(path), "--out", str(pcap), "--silent", "1")


def test_a_second_server_on_the_same_log_name(tmp_path: Path, logs: Path) -> None:
    fixed = f"log_types=kismet\nlog_template={logs}/shared.kismet\n{FAST}"
    first = start_server(place(tmp_path / "a"), "-c",
                         f"{WIFITE}:name=first,realtime=true,loop=true", conf=fixed)
    try:
        path = Path(kismetdb_log(first)["kismet.logfile.path"])
        assert path == logs / "shared.kismet"
        second = start_server(place(tmp_path / "b"), "-c", f"{WIFITE}:name=second", conf=fixed)
        try:
            line = wait_for(second, "Failed to open kismetdb log")
            assert "already exists" in line
            assert [r for r in active_logs(second)
                    if r["kismet.logfile.type.class"] == "kismet"] == []
        finally:
            assert stop_server(second) == 0
        # With %i in the template, a name another server holds moves on to the next number.
        numbered = f"log_types=kismet\nlog_prefix={logs}\nlog_template=%p/same-%i.%l\n"
        third = start_server(place(tmp_path / "c"), conf=numbered)
        fourth = start_server(place(tmp_path / "d"), conf=numbered)
        try:
            paths = {kismetdb_log(s)["kismet.logfile.path"] for s in (third, fourth)}
            assert paths == {str(logs / "same-1.kismet"), str(logs / "same-2.kismet")}
        finally:
            assert stop_server(third) == 0
            assert stop_server(fourth) == 0
        with read_only(path) as db:
            before = db.execute("SELECT count(*) FROM packets").fetchone()[0]
        until(first, lambda: scalar(path, "SELECT count(*) FROM packets") > before,
              "the first server to keep logging")
        assert kismetdb_log(first)["kismet.logfile.open"] == 1
    finally:
        assert stop_server(first) == 0
    assert integrity(path) == "ok"
    with read_only(path) as db:
        assert {r[0] for r in db.execute("SELECT name FROM datasources")} == {"first"}
