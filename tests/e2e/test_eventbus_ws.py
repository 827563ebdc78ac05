"""``/eventbus/events.ws`` on a real server, with a real websocket client (``websockets``).

Subscribe, unsubscribe, field simplification, login refused, bad messages,
a client that stops reading, and 100 clients at once.
"""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.e2e.conftest import RunningServer, start_server, stop_server

REPO = Path(__file__).resolve().parents[2]
CAPTURE = REPO / "tests" / "data" / "john-samples_wpa-Induction.pcapng"
#: Seconds a test waits for an event the server sends at least once a second.
WAIT = 10.0


def ws_url(server: RunningServer, path: str = "/eventbus/events.ws", login: bool = True) -> str:
    base = server.url.replace("http://", "ws://") + path
    if login:
        base += f"?user={quote(server.username)}&password={quote(server.password)}"
    return base


def wait_for(ws: ClientConnection, topic: str, timeout: float = WAIT) -> dict[str, Any]:
    """The next message carrying ``topic`` (others are skipped), within ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(ws.recv(timeout=max(0.0, deadline - time.monotonic())))
        if topic in message:
            return message


@pytest.fixture
def live(tmp_path: Path) -> Iterator[RunningServer]:
    running = start_server(tmp_path)
    yield running
    stop_server(running)


def test_subscribe_timestamp_and_messages(live: RunningServer) -> None:
    with connect(ws_url(live), open_timeout=WAIT) as ws:
        ws.send(json.dumps({"SUBSCRIBE": "TIMESTAMP"}))
        stamp = wait_for(ws, "TIMESTAMP")["TIMESTAMP"]
        assert set(stamp) == {"kismet.system.timestamp.sec", "kismet.system.timestamp.usec"}
        ws.send(json.dumps({"SUBSCRIBE": "MESSAGE",
                            "fields": ["kismet.messagebus.message_string"]}))
        ws.send(json.dumps({"SUBSCRIBE": "NEW_DATASOURCE"}))
        ws.send(json.dumps({"SUBSCRIBE": "DATASOURCE_OPENED"}))
        # Adding a source posts a message on the bus.
        reply = requests.post(live.url + "/datasource/add_source.cmd",
                              auth=(live.username, live.password),
                              data={"json": json.dumps({"definition": f"{CAPTURE}:name=wsfile"})},
                              timeout=WAIT)
        assert reply.status_code == 200
        uuid = reply.json()["kismet.datasource.uuid"]
        new = wait_for(ws, "NEW_DATASOURCE")["NEW_DATASOURCE"]
        assert new["kismet.datasource.uuid"] == uuid
        assert new["kismet.datasource.name"] == "wsfile"
        assert wait_for(ws, "DATASOURCE_OPENED")["DATASOURCE_OPENED"] == uuid
        message = wait_for(ws, "MESSAGE")["MESSAGE"]
        assert list(message) == ["kismet.messagebus.message_string"]
        assert "wsfile" in message["kismet.messagebus.message_string"]


def test_unsubscribe_stops_the_topic(live: RunningServer) -> None:
    with connect(ws_url(live), open_timeout=WAIT) as ws:
        ws.send(json.dumps({"SUBSCRIBE": "TIMESTAMP"}))
        wait_for(ws, "TIMESTAMP")
        ws.send(json.dumps({"UNSUBSCRIBE": "TIMESTAMP"}))
        ws.send(json.dumps({"SUBSCRIBE": "BATTERY"}))
        # Events are in order: once BATTERY arrives after the switch, at most the
        # TIMESTAMP already on its way can precede it; after that, none.
        wait_for(ws, "BATTERY")
        for _ in range(3):
            message = json.loads(ws.recv(timeout=WAIT))
            assert list(message) == ["BATTERY"]
            assert message["BATTERY"]["kismet.system.battery.charging"] in (
                "charging", "discharging", "charged", "unknown")


def test_login_is_required(live: RunningServer) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url(live, login=False), open_timeout=WAIT)
    assert refused.value.response.status_code == 401
    bad = ws_url(live, login=False) + f"?user={live.username}&password=wrong"
    with pytest.raises(InvalidStatus) as refused:
        connect(bad, open_timeout=WAIT)
    assert refused.value.response.status_code == 401


def test_session_cookie_logs_in(live: RunningServer) -> None:
    session = requests.get(live.url + "/session/check_session",
                           auth=(live.username, live.password), timeout=WAIT)
    token = session.cookies["KISMET"]
    with connect(ws_url(live, login=False), open_timeout=WAIT,
                 additional_headers={"Cookie": f"KISMET={token}"}) as ws:
        ws.send(json.dumps({"SUBSCRIBE": "TIMESTAMP"}))
        assert wait_for(ws, "TIMESTAMP")


def test_bad_messages_get_an_error_and_change_nothing(live: RunningServer) -> None:
    with connect(ws_url(live), open_timeout=WAIT) as ws:
        for bad in ("not json", "[1,2]", '{"SUBSCRIBE": 5}', '{"HELLO": "x"}',
                    '{"SUBSCRIBE": "TIMESTAMP", "fields": 7}',
                    '{"SUBSCRIBE": "TIMESTAMP", "format": "xml"}'):
            ws.send(bad)
            assert "ERROR" in json.loads(ws.recv(timeout=WAIT)), bad
        ws.send(json.dumps({"SUBSCRIBE": "TIMESTAMP"}))
        assert wait_for(ws, "TIMESTAMP")


def test_a_client_that_stops_reading_drops_events_and_the_server_stays_live(
        live: RunningServer) -> None:
    # A raw socket that subscribes to everything and floods bad messages (each
    # answered with an error) but never reads: its answers fill the socket, then
    # its backlog, then are dropped.
    host, port = live.url.removeprefix("http://").split(":")
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.connect((host, int(port)))
    query = f"?user={quote(live.username)}&password={quote(live.password)}"
    stalled.sendall((f"GET /eventbus/events.ws{query} HTTP/1.1\r\nHost: {host}\r\n"
                     "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n").encode())

    def frame(text: bytes) -> bytes:  # masked with a zero key: the payload as is
        return bytes([0x81, 0x80 | len(text)]) + b"\0\0\0\0" + text

    stalled.sendall(frame(json.dumps({"SUBSCRIBE": "*"}).encode()) + frame(b"x") * 40_000)
    # Meanwhile another client is served as ever.
    with connect(ws_url(live), open_timeout=WAIT) as ws:
        ws.send(json.dumps({"SUBSCRIBE": "TIMESTAMP"}))
        seconds = [wait_for(ws, "TIMESTAMP")["TIMESTAMP"]["kismet.system.timestamp.sec"]
                   for _ in range(3)]
        assert seconds == sorted(set(seconds))
    status = requests.get(live.url + "/system/status.json", timeout=WAIT)
    assert status.status_code == 200
    stalled.close()
    line = live.read_log_until(r"eventbus client \S+ left having dropped \d+ of \d+")
    dropped, total = (int(n) for n in re.findall(r"dropped (\d+) of (\d+)", line)[0])
    assert 0 < dropped < total


def test_a_websockets_client_that_never_receives_is_bounded(live: RunningServer) -> None:
    # The websockets library stops reading its socket once ``max_queue`` messages
    # wait unread: a real client that subscribes and never calls recv().
    with connect(ws_url(live), open_timeout=WAIT, max_queue=1) as stalled:
        stalled.send(json.dumps({"SUBSCRIBE": "*"}))
        for _ in range(40_000):
            stalled.send("x")  # each is answered with an error the client never reads
        with connect(ws_url(live), open_timeout=WAIT) as ws:
            ws.send(json.dumps({"SUBSCRIBE": "TIMESTAMP"}))
            assert wait_for(ws, "TIMESTAMP")
    line = live.read_log_until(r"eventbus client \S+ left having dropped \d+ of \d+")
    dropped, total = (int(n) for n in re.findall(r"dropped (\d+) of (\d+)", line)[0])
    assert 0 < dropped < total


def test_a_hundred_clients_get_every_timestamp(live: RunningServer) -> None:
    with ExitStack() as stack:
        clients = [stack.enter_context(connect(ws_url(live), open_timeout=WAIT))
                   for _ in range(100)]
        for ws in clients:
            ws.send(json.dumps({"SUBSCRIBE": "TIMESTAMP"}))
        seconds = [wait_for(ws, "TIMESTAMP")["TIMESTAMP"]["kismet.system.timestamp.sec"]
                   for ws in clients]
        assert all(sec > 0 for sec in seconds)
        nexts = [wait_for(ws, "TIMESTAMP")["TIMESTAMP"]["kismet.system.timestamp.sec"]
                 for ws in clients]
        assert all(b > a for a, b in zip(seconds, nexts, strict=True))


def test_capture_events_device_ssid_and_alert(live: RunningServer) -> None:
    with connect(ws_url(live), open_timeout=WAIT) as ws:
        ws.send(json.dumps({"SUBSCRIBE": "NEW_DEVICE",
                            "fields": ["kismet.device.base.macaddr"]}))
        ws.send(json.dumps({"SUBSCRIBE": "DOT11_NEW_SSID_BASEDEV",
                            "fields": ["kismet.device.base.macaddr",
                                       "dot11.advertisedssid.ssid", "dot11.probedssid.ssid"]}))
        ws.send(json.dumps({"SUBSCRIBE": "ALERT", "format": "ekjson"}))
        reply = requests.post(live.url + "/datasource/add_source.cmd",
                              auth=(live.username, live.password),
                              data={"json": json.dumps({"definition": f"{CAPTURE}:name=cap"})},
                              timeout=WAIT)
        assert reply.status_code == 200
        device = wait_for(ws, "NEW_DEVICE")["NEW_DEVICE"]
        assert re.fullmatch(r"([0-9A-F]{2}:){5}[0-9A-F]{2}", device["kismet.device.base.macaddr"])
        ssid_event = wait_for(ws, "DOT11_NEW_SSID_BASEDEV")
        kinds = set(ssid_event) - {"DOT11_NEW_SSID_BASEDEV"}
        assert kinds <= {"DOT11_ADVERTISED_SSID", "DOT11_RESPONSE_SSID", "DOT11_PROBED_SSID"}
        assert len(kinds) == 1
        # The capture's AP beacons "Coherer" (tests/data/README.md).
        ssids = []
        for _ in range(50):
            record = ssid_event.get("DOT11_ADVERTISED_SSID")
            if record is not None:
                ssids.append(record["dot11.advertisedssid.ssid"])
                break
            ssid_event = wait_for(ws, "DOT11_NEW_SSID_BASEDEV")
        assert "Coherer" in ssids
        auth = (live.username, live.password)
        defined = requests.post(live.url + "/alerts/definitions/define_alert.cmd", auth=auth,
                                data={"json": json.dumps({"name": "WSALERT",
                                                          "description": "from the test"})},
                                timeout=WAIT)
        assert defined.status_code == 200, defined.text
        raised = requests.post(live.url + "/alerts/raise_alert.cmd", auth=auth,
                               data={"json": json.dumps({"name": "WSALERT", "text": "hello"})},
                               timeout=WAIT)
        assert raised.status_code == 200, raised.text
        alert = wait_for(ws, "ALERT")["ALERT"]
        # ekjson: dots in names become underscores.
        assert alert["kismet_alert_header"] == "WSALERT"
        assert alert["kismet_alert_text"] == "hello"


def test_device_monitor(live: RunningServer) -> None:
    reply = requests.post(live.url + "/datasource/add_source.cmd",
                          auth=(live.username, live.password),
                          data={"json": json.dumps({"definition": f"{CAPTURE}:name=mon"})},
                          timeout=WAIT)
    assert reply.status_code == 200
    ap_key = "4202770D00000000_55B282410C00"
    mac = "kismet.device.base.macaddr"
    with connect(ws_url(live, "/devices/monitor.ws"), open_timeout=WAIT) as ws:
        # Every device once (all changed since "never"), simplified.
        ws.send(json.dumps({"monitor": "*", "request": 1, "rate": 1,
                            "fields": [mac, "kismet.device.base.key"]}))
        seen = {}
        while len(seen) < 4:
            record = json.loads(ws.recv(timeout=WAIT))
            assert list(record) == [mac, "kismet.device.base.key"]
            seen[record["kismet.device.base.key"]] = record[mac]
        assert seen[ap_key] == "00:0C:41:82:B2:55"
        ws.send(json.dumps({"cancel": 1}))
        # One device by key, and by MAC; a bad reference is an error.
        ws.send(json.dumps({"monitor": ap_key, "request": 2, "rate": 1, "fields": [mac]}))
        ws.send(json.dumps({"monitor": "nonsense", "request": 3, "rate": 1}))
        answers = [json.loads(ws.recv(timeout=WAIT)) for _ in range(2)]
        assert {"ERROR": "invalid device reference"} in answers
        assert {mac: "00:0C:41:82:B2:55"} in answers


def test_device_monitor_needs_a_login(live: RunningServer) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url(live, "/devices/monitor.ws", login=False), open_timeout=WAIT)
    assert refused.value.response.status_code == 401
