"""``/alerts/*`` and ``/devices/alerts/mac/*`` through the real HTTP core."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import msgpack
import orjson
import pytest

from kismet_tx.alerts.alertsystem import AlertSystem, build_alerts
from kismet_tx.config import Config
from kismet_tx.http.alerts import AlertsArea
from kismet_tx.http.root import ApiRoot
from kismet_tx.messagebus import ALERT

from .conftest import START, Server, basic, lines

Make = Callable[..., tuple[Server, AlertSystem]]
FORM = {b"Content-Type": [b"application/x-www-form-urlencoded"]}


@pytest.fixture
def make_alerts(make_server: Callable[..., Server]) -> Make:
    """A server with the alerts area, built from kismet.conf text."""

    def make(conf: str = "", **options: Any) -> tuple[Server, AlertSystem]:
        server = make_server(**options)
        system = build_alerts(Config.from_text(conf), server.clock, server.bus)
        server.areas.append(AlertsArea(server.ctx, system.alert_tracker, system.device_watch))
        server.root = ApiRoot(server.areas)
        return server, system

    return make


@pytest.fixture
def alerts(make_alerts: Make) -> tuple[Server, AlertSystem]:
    return make_alerts()


def command(server: Server, path: str, payload: dict[str, Any], login: bool = True) -> Any:
    """POST a command the way kismet_rest does (form field json=)."""
    headers = dict(FORM)
    if login:
        headers.update(basic())
    return server.post(path, data={"json": json.dumps(payload)}, headers=headers)


def define(server: Server, name: str = "JSONALERT", **extra: Any) -> Any:
    payload = {"name": name, "description": "Dynamic alert added at runtime",
               "throttle": "10/min", "burst": "1/sec", **extra}
    return command(server, "/alerts/definitions/define_alert.cmd", payload)


# -- definitions ---------------------------------------------------------------------------


def test_definitions_list_builtins_in_every_serializer(alerts: tuple[Server, AlertSystem]
                                                       ) -> None:
    server, _ = alerts
    reply = server.get("/alerts/definitions.json")
    assert reply.code == 200
    by_name = {d["kismet.alert.definition.header"]: d for d in reply.json()}
    flood = by_name["DEAUTHFLOOD"]
    assert (flood["kismet.alert.definition.class"], flood["kismet.alert.definition.severity"],
            flood["kismet.alert.definition.limit_rate"],
            flood["kismet.alert.definition.limit_unit"],
            flood["kismet.alert.definition.limit_burst"],
            flood["kismet.alert.definition.burst_unit"]) == ("DENIAL", 10, 5, 1, 2, 0)
    assert by_name["NONCEREUSE"]["kismet.alert.definition.limit_rate"] == 0
    packed = msgpack.unpackb(server.get("/alerts/definitions.msgpack").body)
    assert packed == reply.json()
    ek = lines(server.get("/alerts/definitions.ekjson").body)
    assert ek[0]["kismet_alert_definition_header"] == reply.json()[0][
        "kismet.alert.definition.header"]
    simplified = server.post("/alerts/definitions.json", data={"json": json.dumps(
        {"fields": ["kismet.alert.definition.header"]})}, headers=FORM).json()
    assert simplified[0] == {"kismet.alert.definition.header": "SOURCEERROR"}


def test_define_alert_with_defaults_and_phy(alerts: tuple[Server, AlertSystem]) -> None:
    server, system = alerts
    reply = command(server, "/alerts/definitions/define_alert.cmd",
                    {"name": "plain", "description": "no class, severity or rates"})
    assert (reply.code, reply.text) == (200, "Alert defined\n")
    plain = system.alert_tracker.definition("PLAIN").record()
    assert plain["kismet.alert.definition.class"] == "OTHER"
    assert plain["kismet.alert.definition.severity"] == 5
    assert plain["kismet.alert.definition.phyid"] == -1
    assert (plain["kismet.alert.definition.limit_rate"],
            plain["kismet.alert.definition.limit_burst"]) == (10, 1)
    reply = define(server, "WIFI", phyname="IEEE802.11", severity="high", **{"class": "spoof"})
    assert reply.code == 200
    wifi = system.alert_tracker.definition("WIFI").record()
    assert (wifi["kismet.alert.definition.phyid"], wifi["kismet.alert.definition.class"],
            wifi["kismet.alert.definition.severity"]) == (0, "SPOOF", 15)
    reply = server.post("/alerts/definitions/define_alert.jcmd", headers=basic(),
                        data=json.dumps({"name": "RAW", "description": "raw json body",
                                         "severity": 20}).encode())
    assert reply.code == 200 and system.alert_tracker.definition("RAW").severity == 20


@pytest.mark.parametrize(("payload", "status", "message"), [
    ({"name": "JSONALERT", "description": "again"}, 409, "already defined"),
    ({"name": "X", "description": "d", "phyname": "Bluetooth"}, 400, "unknown phy 'Bluetooth'"),
    ({"name": "X", "description": "d", "throttle": "10/fortnight"}, 400, "invalid time unit"),
    ({"name": "X", "description": "d", "burst": "1/hour", "throttle": "1/min"}, 400,
     "burst unit"),
    ({"name": "X", "description": "d", "severity": 300}, 400, "'severity'"),
    ({"description": "no name"}, 400, "missing 'name'"),
    ({"name": "X"}, 400, "missing 'description'"),
])  # fmt: skip
def test_define_alert_errors(alerts: tuple[Server, AlertSystem], payload: dict[str, Any],
                             status: int, message: str) -> None:
    server, _ = alerts
    assert define(server).code == 200
    reply = command(server, "/alerts/definitions/define_alert.cmd", payload)
    assert reply.code == status
    assert message in reply.text
    assert "Traceback" not in reply.text


def test_commands_need_a_login(alerts: tuple[Server, AlertSystem]) -> None:
    server, system = alerts
    for path in ("/alerts/definitions/define_alert.cmd", "/alerts/raise_alert.cmd",
                 "/alerts/raise_alerts.cmd", "/devices/alerts/mac/found/add.cmd",
                 "/devices/alerts/mac/found/remove.cmd"):
        reply = command(server, path, {"name": "DEVICEFOUND", "description": "x",
                                       "mac": "00:11:22:33:44:55"}, login=False)
        assert reply.code == 401, path
    assert server.get("/devices/alerts/mac/found/macs.json").code == 401
    assert system.alert_tracker.alerts() == [] and system.device_watch.macs("both") == []
    # Reads need no login.
    for path in ("/alerts/definitions.json", "/alerts/all_alerts.json",
                 "/alerts/last-time/0/alerts.json", "/alerts/wrapped/last-time/0/alerts.json"):
        assert server.get(path).code == 200, path


# -- raising and reading alerts --------------------------------------------------------------


def test_raised_alert_is_visible_everywhere(alerts: tuple[Server, AlertSystem]) -> None:
    server, _ = alerts
    assert define(server).code == 200
    reply = command(server, "/alerts/raise_alert.cmd", {
        "name": "JSONALERT", "text": "Something happened", "bssid": "00:c0:ca:11:22:33",
        "source": "a4:b1:c1:d1:e1:f1", "dest": "ff:ff:ff:ff:ff:ff", "channel": "6"})
    assert (reply.code, reply.text) == (200, "Alert raised\n")
    [record] = server.get("/alerts/all_alerts.json").json()
    assert record["kismet.alert.header"] == "JSONALERT"
    assert record["kismet.alert.text"] == "Something happened"
    assert record["kismet.alert.transmitter_mac"] == "00:C0:CA:11:22:33"
    assert record["kismet.alert.source_mac"] == "A4:B1:C1:D1:E1:F1"
    assert record["kismet.alert.dest_mac"] == "FF:FF:FF:FF:FF:FF"
    assert record["kismet.alert.other_mac"] == "00:00:00:00:00:00"
    assert record["kismet.alert.channel"] == "6"
    assert record["kismet.alert.timestamp"] == START
    assert record["kismet.alert.device_key"] == "4202770D00000000_F1E1D1C1B1A4"
    for path in ("/alerts/last-time/0/alerts.json",
                 "/alerts/wrapped/last-time/0/alerts.json"):
        wrapped = server.get(path).json()
        assert wrapped == {"kismet.alert.list": [record], "kismet.alert.timestamp": START}
    alert_id = record["kismet.alert.hash"]
    assert server.get(f"/alerts/by-id/{alert_id}/alert.json").json() == record
    for fmt in ("json", "prettyjson", "tjson"):
        body = server.get(f"/alerts/all_alerts.{fmt}").body
        assert b"Something happened" in body and b"\n\n" not in body
    assert msgpack.unpackb(server.get("/alerts/all_alerts.msgpack").body) == [record]
    assert lines(server.get("/alerts/all_alerts.itjson").body) == [record]
    ek = lines(server.get("/alerts/all_alerts.ekjson").body)
    assert ek[0]["kismet_alert_text"] == "Something happened"
    assert lines(server.get("/alerts/last-time/0/alerts.itjson").body) == [
        {"kismet.alert.list": [record], "kismet.alert.timestamp": START}]
    messages = server.get("/messagebus/all_messages.json").json()
    assert {"kismet.messagebus.message_string": "JSONALERT Something happened",
            "kismet.messagebus.message_flags": ALERT,
            "kismet.messagebus.message_time": int(START)} in messages


def test_raise_alerts_plural_and_errors(alerts: tuple[Server, AlertSystem]) -> None:
    server, _ = alerts
    assert define(server).code == 200
    unknown = command(server, "/alerts/raise_alerts.cmd", {"name": "NOPE", "text": "x"})
    assert (unknown.code, unknown.text) == (400, "Invalid request: Unknown alert type 'NOPE'\n")
    bad_mac = command(server, "/alerts/raise_alerts.cmd",
                      {"name": "JSONALERT", "text": "x", "source": "00:11:22"})
    assert bad_mac.code == 400 and "invalid MAC address in 'source'" in bad_mac.text
    assert command(server, "/alerts/raise_alerts.cmd",
                   {"name": "JSONALERT", "text": "first"}).code == 200
    throttled = command(server, "/alerts/raise_alerts.cmd", {"name": "JSONALERT", "text": "x"})
    assert (throttled.code, throttled.text) == (
        400, "Invalid request: alert throttle reached, alert not raised.\n")
    server.clock.advance(1.5)
    assert command(server, "/alerts/raise_alert.jcmd",
                   {"name": "JSONALERT", "text": "second"}).code == 200
    disabled = command(server, "/alerts/raise_alerts.cmd", {"name": "NONCEREUSE", "text": "x"})
    assert disabled.code == 400 and "disabled" in disabled.text
    texts = [a["kismet.alert.text"] for a in server.get("/alerts/all_alerts.json").json()]
    assert texts == ["first", "second"]


def test_last_time_is_a_strict_double_and_negative_is_relative(
        alerts: tuple[Server, AlertSystem]) -> None:
    server, _ = alerts
    assert define(server, throttle="100/sec", burst="100/sec").code == 200
    stamps = []
    for i in range(3):
        command(server, "/alerts/raise_alert.cmd", {"name": "JSONALERT", "text": f"n{i}"})
        stamps.append(server.clock.seconds())
        server.clock.advance(0.25)

    def since(ts: str) -> list[str]:
        body = server.get(f"/alerts/last-time/{ts}/alerts.json").json()
        assert body["kismet.alert.timestamp"] == server.clock.seconds()
        return [a["kismet.alert.text"] for a in body["kismet.alert.list"]]

    assert since(repr(stamps[0])) == ["n1", "n2"]  # strictly after
    assert since(repr(stamps[0] - 0.000001)) == ["n0", "n1", "n2"]
    assert since(f"{int(stamps[1])}.{int(round((stamps[1] % 1) * 1e6)):06d}") == ["n2"]
    assert since("-0.4") == ["n2"]  # relative to now (0.25 s after n2)
    assert since("-10") == ["n0", "n1", "n2"]
    assert server.get("/alerts/last-time/soon/alerts.json").code == 400
    assert server.get("/alerts/wrapped/last-time/nan/alerts.json").code == 400
    for bad in ("inf", "-infinity", "1_700_000_000"):
        assert server.get(f"/alerts/last-time/{bad}/alerts.json").code == 400, bad


def test_by_id_unknown_is_404(alerts: tuple[Server, AlertSystem]) -> None:
    server, _ = alerts
    assert server.get("/alerts/by-id/12345/alert.json").code == 404
    assert server.get("/alerts/by-id/abc/alert.json").code == 404


def test_backlog_size_from_config(make_alerts: Make) -> None:
    server, _ = make_alerts("alertbacklog=2\nalert=JSONALERT,100/sec,100/sec\n")
    assert define(server, throttle=None, burst=None).code == 200
    for i in range(4):
        command(server, "/alerts/raise_alert.cmd", {"name": "JSONALERT", "text": f"n{i}"})
    texts = [a["kismet.alert.text"] for a in server.get("/alerts/all_alerts.json").json()]
    assert texts == ["n2", "n3"]


# -- device watch lists ------------------------------------------------------------------------


def test_device_watch_lists(alerts: tuple[Server, AlertSystem]) -> None:
    server, system = alerts
    add = command(server, "/devices/alerts/mac/found/add.cmd",
                  {"mac": "00:11:22:33:44:55", "macs": ["aa:bb:cc:00:00:00/ff:ff:ff:00:00:00"]})
    assert add.code == 200
    assert command(server, "/devices/alerts/mac/both/add.cmd",
                   {"macs": ["02:00:00:00:00:01"]}).code == 200
    found = server.get("/devices/alerts/mac/found/macs.json", headers=basic()).json()
    assert found == ["00:11:22:33:44:55", "02:00:00:00:00:01",
                     "AA:BB:CC:00:00:00/FF:FF:FF:00:00:00"]
    assert server.get("/devices/alerts/mac/lost/macs.json",
                      headers=basic()).json() == ["02:00:00:00:00:01"]
    assert command(server, "/devices/alerts/mac/found/remove.cmd",
                   {"mac": "00:11:22:33:44:55"}).code == 200
    assert "00:11:22:33:44:55" not in system.device_watch.macs("found")
    bad = command(server, "/devices/alerts/mac/found/add.cmd", {"mac": "nope"})
    assert bad.code == 400 and "invalid MAC" in bad.text
    empty = command(server, "/devices/alerts/mac/found/add.cmd", {})
    assert empty.code == 400 and "'mac'" in empty.text
    assert command(server, "/devices/alerts/mac/sideways/add.cmd",
                   {"mac": "00:11:22:33:44:55"}).code == 404
    assert orjson.loads(server.get("/devices/alerts/mac/both/macs.json",
                                   headers=basic()).body) == system.device_watch.macs("both")
