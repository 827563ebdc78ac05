"""End to end: a real twistd server, the official kismet_rest client and curl."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import kismet_rest
import requests

from tests.e2e.conftest import TWISTD, RunningServer, start_server, stop_server


def _client(cls: type, server: RunningServer, tmp_path: Path, password: str | None = None):
    return cls(host_uri=server.url, username=server.username,
               password=password if password is not None else server.password,
               sessioncache_path=str(tmp_path / "kismet_session"))


def test_kismet_rest_system_and_session(server: RunningServer, tmp_path: Path) -> None:
    system = _client(kismet_rest.System, server, tmp_path)
    status = system.get_status()
    assert status["kismet.system.server_name"] == "Kismet"
    assert status["kismet.system.memory.rss"] > 0
    assert status["kismet.system.devices.count"] == 0
    stamp = system.get_system_time()
    assert stamp["kismet.system.timestamp.sec"] > 1_600_000_000
    assert isinstance(system.get_system_time("iso"), str)
    assert system.check_session() is True
    # kismet_rest caches the session cookie; a fresh client with only the cache works.
    cached = (tmp_path / "kismet_session").read_text()
    assert len(cached) >= 32
    anonymous = kismet_rest.System(host_uri=server.url,
                                   sessioncache_path=str(tmp_path / "kismet_session"))
    assert anonymous.check_session() is True


def test_kismet_rest_wrong_password_fails_session(server: RunningServer, tmp_path: Path) -> None:
    system = _client(kismet_rest.System, server, tmp_path, password="wrong")
    assert system.check_session() is False


def test_kismet_rest_messages(server: RunningServer, tmp_path: Path) -> None:
    messages = _client(kismet_rest.Messages, server, tmp_path)
    wrapped = list(messages.all())
    assert len(wrapped) == 1
    texts = [m["kismet.messagebus.message_string"] for m in wrapped[0]["kismet.messagebus.list"]]
    assert any("listening on" in text for text in texts)


def _curl(*args: str) -> tuple[int, str]:
    done = subprocess.run(["curl", "-s", "-o", "-", "-w", "\n%{http_code}", *args],
                          capture_output=True, text=True, timeout=30, check=True)
    body, _, code = done.stdout.rpartition("\n")
    return int(code), body


def test_curl_logins(server: RunningServer) -> None:
    code, _ = _curl("-u", f"{server.username}:wrong", f"{server.url}/session/check_session")
    assert code == 401
    code, _ = _curl("-u", f"{server.username}:wrong", f"{server.url}/session/check_login")
    assert code == 403
    code, body = _curl("-u", f"{server.username}:{server.password}",
                       f"{server.url}/session/check_login")
    assert (code, body) == (200, "Login valid\n")


def test_bad_command_is_400_and_server_keeps_serving(server: RunningServer) -> None:
    auth = (server.username, server.password)
    bad = requests.post(f"{server.url}/system/status.json", data={"json": "{not json"},
                        auth=auth, timeout=30)
    assert bad.status_code == 400
    assert "not valid JSON" in bad.text
    assert "Traceback" not in bad.text
    bad_fields = requests.post(f"{server.url}/system/status.json",
                               data={"json": json.dumps({"fields": "nope"})}, timeout=30)
    assert bad_fields.status_code == 400
    good = requests.post(
        f"{server.url}/system/status.json",
        data={"json": json.dumps({"fields": ["kismet.system.user",
                                             ["kismet.system.memory.rss", "rss"]]})},
        timeout=30)
    assert good.status_code == 200
    assert list(good.json()) == ["kismet.system.user", "rss"]


def test_password_never_logged_and_clean_shutdown(tmp_path: Path) -> None:
    running = start_server(tmp_path)
    requests.get(f"{running.url}/session/check_session?user={running.username}"
                 f"&password={running.password}", timeout=30)
    requests.get(f"{running.url}/session/check_session", timeout=30,
                 auth=(running.username, running.password))
    # twistd re-raises SIGTERM after a clean shutdown, as Twisted does since 21.2.
    assert stop_server(running) in (0, -signal.SIGTERM)
    log = "".join(running.log)
    assert running.password not in log
    assert "Server Shut Down" in log
    conf = running.homedir / "kismet_httpd.conf"
    assert conf.stat().st_mode & 0o777 == 0o600
    assert str(conf) in log


def test_config_file_and_bad_config(tmp_path: Path) -> None:
    running = start_server(tmp_path, conf="server_name=Field Kit 7\nhttpd_auth_all=true\n")
    try:
        anon = requests.get(f"{running.url}/system/status.json", timeout=30)
        assert anon.status_code == 401
        authed = requests.get(f"{running.url}/system/status.json", timeout=30,
                              auth=(running.username, running.password))
        assert authed.json()["kismet.system.server_name"] == "Field Kit 7"
        assert requests.get(f"{running.url}/session/check_setup_ok", timeout=30).status_code == 200
    finally:
        stop_server(running)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "kismet.conf").write_text("server_name=x\nthis line is wrong\n")
    done = subprocess.run(
        [*TWISTD, "-n", "--pidfile=", "kismet",
         "--config", str(bad / "kismet.conf"), "--homedir", str(bad / "home"), "--port", "0"],
        capture_output=True, text=True, timeout=60,
        env=dict(os.environ, PYTHONPATH=str(Path(__file__).parents[2])))
    assert done.returncode != 0
    assert "kismet.conf:2" in done.stdout + done.stderr
