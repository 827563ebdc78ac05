"""Operations on a real twistd: the systemd unit, journal logging, SIGTERM and SIGHUP.

Servers run as under systemd (``JOURNAL_STREAM`` set, ``--logger
kismet_tx.logsetup.observer``), so their stdout is journal lines; readiness
comes from those lines and from process exits, never from sleeping.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.e2e.conftest import (
    REPO,
    START_TIMEOUT,
    TWISTD,
    RunningServer,
    _wait_for_line,
)

UNIT = REPO / "contrib" / "systemd" / "kismet-tx.service"
SAMPLE = REPO / "kismet_tx" / "data" / "sample.pcapng"
_LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)/")
#: A journal line: syslog priority, then ``[namespace] text``; no timestamp.
_JOURNAL_LINE = re.compile(r"^<[0-7]>\[[\w.#-]+\] \S")


def start_journal_server(tmp_path: Path, conf: str, *args: str,
                         pythonpath: tuple[Path, ...] = ()) -> RunningServer:
    """``twistd -n --logger=kismet_tx.logsetup.observer kismet`` as systemd runs it;
    ``pythonpath`` is searched after the source tree."""
    homedir = tmp_path / "home"
    conf_path = tmp_path / "kismet.conf"
    conf_path.write_text(conf)
    command = [*TWISTD, "-n", "--pidfile=", "--logger=kismet_tx.logsetup.observer", "kismet",
               "--port", "0", "--bind", "127.0.0.1", "--homedir", str(homedir),
               "--config", str(conf_path), *args]
    path = os.pathsep.join(str(p) for p in (REPO, *pythonpath))
    env = dict(os.environ, PYTHONPATH=path, PYTHONUNBUFFERED="1",
               JOURNAL_STREAM="8:12345", INVOCATION_ID="0123456789abcdef")
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, bufsize=0)
    log: list[str] = []
    try:
        line = _wait_for_line(process, _LISTENING, log, START_TIMEOUT)
    except AssertionError:
        process.kill()
        process.wait()
        raise
    url = _LISTENING.search(line).group(1)  # type: ignore[union-attr]
    values = dict(row.split("=", 1)
                  for row in (homedir / "kismet_httpd.conf").read_text().splitlines()
                  if "=" in row and not row.startswith("#"))
    return RunningServer(process, url, values["httpd_username"], values["httpd_password"],
                         homedir, log)


def wait_for(server: RunningServer, pattern: str, since: int = 0) -> str:
    """The first log line at or after index ``since`` matching ``pattern``."""
    for line in server.log[since:]:
        if re.search(pattern, line):
            return line
    fresh: list[str] = []
    try:
        return _wait_for_line(server.process, re.compile(pattern), fresh, START_TIMEOUT)
    finally:
        server.log.extend(fresh)


def finish(server: RunningServer, *, terminate: bool = True) -> int:
    """SIGTERM (unless already sent) and collect the rest of the output; returns the exit
    status. One signal only: a second one after the reactor restored the default
    handler would kill the process."""
    if terminate and server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
    out, _ = server.process.communicate(timeout=START_TIMEOUT)
    pending = getattr(server.process, "_kismet_pending", b"")
    server.log.extend((pending + (out or b"")).decode("utf-8", "replace").splitlines(True))
    return server.process.returncode


def write_beacons(path: Path, prefix: int, count: int) -> list[str]:
    """A radiotap capture of ``count`` beacons from BSSIDs ``prefix:00:00:00:00:NN``."""
    header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 127)
    records, macs = [], []
    for index in range(count):
        radiotap = struct.pack("<BBHIBxHHbx", 0, 0, 16, (1 << 1) | (1 << 3) | (1 << 5), 0,
                               2437, 0xA0, -40)
        bssid = bytes([prefix, 0, 0, 0, 0, index])
        body = struct.pack("<QHH", 0, 100, 0x0401) + b"\x00\x03ops\x03\x01\x06"
        frame = radiotap + b"\x80\x00\x00\x00" + b"\xff" * 6 + bssid + bssid + b"\x00\x00" + body
        records.append(struct.pack("<IIII", 1_600_000_000, index, len(frame), len(frame)) + frame)
        macs.append(bssid.hex(":").upper())
    path.write_bytes(header + b"".join(records))
    return macs


# -- the systemd unit ------------------------------------------------------------------


def verify_unit(text: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``systemd-analyze verify`` on the unit, its twistd path pointed at this venv."""
    twistd = Path(sys.executable).with_name("twistd")
    unit = tmp_path / "kismet-tx.service"
    unit.write_text(text.replace("/opt/kismet_tx/.venv/bin/twistd", str(twistd)))
    return subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True,
                          text=True, cwd=tmp_path, timeout=60)


def test_systemd_unit_is_accepted_by_systemd_analyze(tmp_path: Path) -> None:
    text = UNIT.read_text()
    done = verify_unit(text, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout + done.stderr == ""
    settings = dict(line.split("=", 1) for line in text.splitlines()
                    if "=" in line and not line.startswith("#"))
    assert " -n --pidfile= " in settings["ExecStart"]
    assert settings["ExecStart"].split(" kismet ", 1)[1].startswith(
        "--config /etc/kismet_tx/kismet.conf")
    assert "--logger=kismet_tx.logsetup.observer" in settings["ExecStart"]
    assert settings["DynamicUser"] == "yes" and settings["User"] == "kismet-tx"
    assert settings["AmbientCapabilities"] == "CAP_NET_RAW CAP_NET_ADMIN"
    assert settings["Restart"] == "on-failure"
    assert settings["StateDirectory"] == "kismet_tx"
    for key, value in (("ProtectSystem", "strict"), ("ProtectHome", "yes"),
                       ("NoNewPrivileges", "yes"), ("PrivateTmp", "yes")):
        assert settings[key] == value


def test_systemd_analyze_would_catch_a_broken_unit(tmp_path: Path) -> None:
    broken = UNIT.read_text().replace("ProtectHome=yes", "ProtectHome=sometimes")
    done = verify_unit(broken, tmp_path)
    assert "Failed to parse protect home value" in done.stdout + done.stderr


# -- SIGTERM ---------------------------------------------------------------------------------


def test_sigterm_ends_streams_closes_logs_and_exits_0_within_5_s(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    conf = (f"enable_logging=true\nlog_types=pcapng\nlog_prefix={logs}/\nlog_title=ops\n"
            f"gps=virtual:lat=48.1,lon=11.5\n")
    server = start_journal_server(tmp_path, conf, "-c",
                                  f"{SAMPLE}:name=sample,realtime=true,loop=true")
    stream = None
    try:
        wait_for(server, r"Data source 'sample' .*opened \(pcapfile")
        stream = requests.get(f"{server.url}/pcap/all_packets.pcapng", stream=True,
                              auth=(server.username, server.password), timeout=30)
        assert stream.status_code == 200
        chunks = stream.iter_content(65536)
        received = next(chunks)
        assert received[:4] == b"\x0a\x0d\x0d\x0a"
        started = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        # The stream ends cleanly (a proper end of the chunked body, no reset).
        received += b"".join(chunks)
        status = finish(server, terminate=False)
        elapsed = time.monotonic() - started
    finally:
        if stream is not None:
            stream.close()
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()
    assert status == 0, "".join(server.log[-30:])
    assert elapsed < 5.0
    text = "".join(server.log)
    assert "Received SIGTERM: closing sources, streams and logs" in text
    assert re.search(r"Stopping: 1 data source\(s\), 2 stream\(s\) and log\(s\), 1 GPS", text)
    assert "Server Shut Down." in server.log[-1]
    assert all(_JOURNAL_LINE.match(line) for line in server.log if line.strip()), [
        line for line in server.log if line.strip() and not _JOURNAL_LINE.match(line)]
    assert not [line for line in server.log if line.startswith("<3>")]
    # Both the HTTP stream and the log file are complete pcapng that tshark reads.
    (logfile,) = logs.glob("*.pcapng")
    streamed = tmp_path / "streamed.pcapng"
    streamed.write_bytes(received)
    for capture in (logfile, streamed):
        done = subprocess.run([shutil.which("tshark") or "tshark", "-r", str(capture), "-T",
                               "fields", "-e", "frame.number"],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert "cut short" not in done.stderr and "appears to be damaged" not in done.stderr


# -- SIGHUP ----------------------------------------------------------------------------------


def devices(server: RunningServer) -> set[str]:
    reply = requests.get(f"{server.url}/devices/views/all/devices.json", timeout=30)
    assert reply.status_code == 200
    return {d["kismet.device.base.macaddr"] for d in reply.json()}


def deauth_limit(server: RunningServer) -> int:
    definitions = requests.get(f"{server.url}/alerts/definitions.json", timeout=30).json()
    (deauth,) = [d for d in definitions
                 if d["kismet.alert.definition.header"] == "DEAUTHFLOOD"]
    return int(deauth["kismet.alert.definition.limit_rate"])


def gps_uuids(server: RunningServer) -> dict[str, str]:
    listed = requests.get(f"{server.url}/gps/all_gps.json", timeout=30).json()
    return {g["kismet.gps.name"]: g["kismet.gps.uuid"] for g in listed}


def test_sighup_reloads_sources_gps_and_alerts_without_dropping_devices(tmp_path: Path) -> None:
    first = write_beacons(tmp_path / "first.pcap", 0x02, 5)
    second = write_beacons(tmp_path / "second.pcap", 0x06, 4)
    conf = tmp_path / "kismet.conf"
    server = start_journal_server(
        tmp_path,
        f"source={tmp_path}/first.pcap:name=first\nalert=DEAUTHFLOOD,5/min,2/sec\n"
        "gps=virtual:lat=1,lon=2\ngps=web\n",
        "-c", f"{SAMPLE}:name=cli,realtime=true,loop=true")
    try:
        wait_for(server, r"Data source 'first' .*finished replaying")
        before = devices(server)
        assert set(first) <= before
        assert deauth_limit(server) == 5
        sources = requests.get(f"{server.url}/datasource/all_sources.json", timeout=30).json()
        cli_uuid = next(s["kismet.datasource.uuid"] for s in sources
                        if s["kismet.datasource.name"] == "cli")

        web_uuid = gps_uuids(server)["web"]
        conf.write_text(f"source={tmp_path}/second.pcap:name=second\n"
                        "alert=DEAUTHFLOOD,7/min,3/sec\ngps=web\ngps=virtual:lat=3,lon=4\n")
        mark = len(server.log)
        server.process.send_signal(signal.SIGHUP)
        reloaded = wait_for(server, r"Configuration reloaded", mark)
        assert "1 source(s) started, 1 stopped" in reloaded
        assert "alert settings reloaded" in reloaded
        wait_for(server, r"Data source 'second' .*finished replaying", mark)

        after = devices(server)
        assert before <= after
        assert set(second) <= after
        names = {s["kismet.datasource.name"]: s["kismet.datasource.uuid"] for s in
                 requests.get(f"{server.url}/datasource/all_sources.json", timeout=30).json()}
        assert set(names) == {"cli", "second"}
        assert names["cli"] == cli_uuid
        assert deauth_limit(server) == 7
        assert gps_uuids(server)["web"] == web_uuid
        where = requests.get(f"{server.url}/gps/location.json", timeout=30).json()
        assert where["kismet.common.location.geopoint"] == [4.0, 3.0]

        conf.write_text("alert=DEAUTHFLOOD,nonsense\n")
        mark = len(server.log)
        server.process.send_signal(signal.SIGHUP)
        kept = wait_for(server, r"Configuration reloaded", mark)
        assert "alert settings kept (the new ones are invalid)" in kept
        assert deauth_limit(server) == 7
        assert gps_uuids(server) == {}
        assert devices(server) == after
    finally:
        assert finish(server) == 0
