"""``kismet_tx-log``: devices to ekjson/json/CSV and packets split per device or BSSID."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from kismet_tx.dot11 import decode_packet
from kismet_tx.kismetdb import cli
from tests.kismetdb.test_log import WIFITE, Rig
from tests.streams.helpers import parse_pcapng


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, list]:
    """A log of the wifite2 capture, the REST records of its devices, and its frames."""
    rig = Rig(tmp_path_factory.mktemp("cli"))
    rig.replay(WIFITE, "cap")
    tracking = rig.service.tracking
    records = {d.key: json.loads(rig.service.ctx.serializer.encode(
        tracking.record(d), "ekjson")) for d in tracking.device_tracker.devices()}
    rig.stop()
    import sqlite3
    db = sqlite3.connect(rig.path)
    frames = db.execute("SELECT dlt, packet FROM packets ORDER BY rowid").fetchall()
    db.close()
    return rig.path, records, frames


def test_devices_as_ekjson_are_the_rest_ekjson(logged: tuple[Path, dict, list],
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path, records, _ = logged
    assert cli.main(["devices", str(path)]) == 0
    out, err = capsys.readouterr()
    lines = [json.loads(line) for line in out.splitlines()]
    assert {d["kismet_device_base_key"]: d for d in lines} == records
    assert err == f"{len(records)} devices\n"


def test_devices_as_csv_and_json(logged: tuple[Path, dict, list], tmp_path: Path) -> None:
    path, records, _ = logged
    out = tmp_path / "d.csv"
    assert cli.main(["devices", str(path), "--format", "csv", "--out", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert {r["devkey"] for r in rows} == set(records)
    for row in rows:
        record = records[row["devkey"]]
        assert row["name"] == record["kismet_device_base_commonname"]
        assert int(row["packets"]) == record["kismet_device_base_packets_total"]
    out = tmp_path / "d.json"
    assert cli.main(["devices", str(path), "--format", "json", "--out", str(out)]) == 0
    assert len(json.loads(out.read_text())) == len(records)


def test_packets_per_bssid_and_per_device(logged: tuple[Path, dict, list],
                                          tmp_path: Path) -> None:
    path, records, frames = logged
    assert cli.main(["pcap", str(path), "--by", "bssid", "--out-dir", str(tmp_path / "b")]) == 0
    expected: dict[str, int] = {}
    for dlt, data in frames:
        bssid = decode_packet(dlt, data).bssid
        if bssid is not None and bssid not in (b"\xff" * 6, bytes(6)):
            name = bssid.hex("-").upper() + ".pcapng"
            expected[name] = expected.get(name, 0) + 1
    files = {p.name: len(parse_pcapng(p.read_bytes()).packets)
             for p in (tmp_path / "b").iterdir()}
    assert files == expected
    mac = next(iter(records.values()))["kismet_device_base_macaddr"]
    assert cli.main(["pcap", str(path), "--out-dir", str(tmp_path / "d"), "--only", mac]) == 0
    [one] = list((tmp_path / "d").iterdir())
    assert one.name == mac.replace(":", "-") + ".pcapng"
    capture = parse_pcapng(one.read_bytes())
    raw = bytes.fromhex(mac.replace(":", ""))
    involving = [data for dlt, data in frames if raw in {
        (d := decode_packet(dlt, data)).source, d.dest, d.addr2}]
    assert [p.data for p in capture.packets] == involving


def test_bad_input_is_a_clear_message(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      logged: tuple[Path, dict, list]) -> None:
    assert cli.main(["devices", str(tmp_path / "none.kismet")]) == 1
    assert capsys.readouterr().err == f"kismet_tx-log: {tmp_path}/none.kismet: no such file\n"
    junk = tmp_path / "junk.kismet"
    junk.write_text("hello")
    assert cli.main(["devices", str(junk)]) == 1
    assert "not a kismetdb log" in capsys.readouterr().err
    assert cli.main(["pcap", str(logged[0]), "--out-dir", str(tmp_path), "--only", "zz"]) == 1
    assert "invalid MAC address 'zz'" in capsys.readouterr().err
