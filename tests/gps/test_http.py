"""``/gps/*`` over the real HTTP core (StubTreq, Clock)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgpack
import pytest

from kismet_tx.gps.manager import GpsTracker
from kismet_tx.http.context import HttpContext
from kismet_tx.http.gps import GpsArea
from kismet_tx.messagebus import MessageBus
from tests.http.conftest import Server, basic, build_server

AUTH = basic()
P = "kismet.common.location."


@dataclass
class Bench:
    server: Server
    tracker: GpsTracker
    bus: MessageBus

    def command(self, path: str, body: dict, auth: bool = True):
        headers = AUTH if auth else {}
        return self.server.post(path, data={"json": json.dumps(body)}, headers=headers)

    def texts(self) -> list[str]:
        return [m.text for m in self.bus.messages()]


@pytest.fixture
def gps(tmp_path: Path) -> Bench:
    made: dict[str, Any] = {}

    def area(ctx: HttpContext) -> GpsArea:
        made["bus"] = MessageBus(ctx.clock)
        made["tracker"] = GpsTracker(clock=ctx.clock, reactor=None, bus=made["bus"])
        return GpsArea(ctx, made["tracker"])

    server = build_server(tmp_path, extra_areas=[area])
    made["tracker"].startService()
    return Bench(server, made["tracker"], made["bus"])


def test_no_gps_means_no_fix(gps: Bench) -> None:
    reply = gps.server.get("/gps/location.json")
    assert reply.code == 200
    # Kismet's full location shape, zero without a fix.
    assert reply.json() == {P + "geopoint": [0.0, 0.0], P + "alt": 0.0, P + "fix": 0,
                            P + "speed": 0.0, P + "heading": 0.0, P + "magheading": 0.0,
                            P + "time_sec": 0, P + "time_usec": 0}
    assert gps.server.get("/gps/all_gps.json").json() == []


def test_web_gps_update_drives_the_location(gps: Bench) -> None:
    gps.tracker.add("web:name=phone")
    reply = gps.command("/gps/web/update.cmd", {"lat": 48.1, "lon": 11.5, "alt": 520,
                                                "spd": 12})
    assert (reply.code, reply.text) == (200, "Updated\n")
    where = gps.server.get("/gps/location.json").json()
    assert where[P + "geopoint"] == [11.5, 48.1]
    assert (where[P + "alt"], where[P + "fix"], where[P + "speed"]) == (520.0, 3, 12.0)
    assert where[P + "time_sec"] == int(gps.server.clock.seconds())
    assert where[P + "gps_uuid"] == gps.tracker.web().uuid
    packed = msgpack.unpackb(gps.server.get("/gps/location.msgpack").body)
    assert packed[P + "geopoint"] == [11.5, 48.1]
    gps.server.clock.advance(31)
    assert gps.server.get("/gps/location.json").json()[P + "fix"] == 0
    assert "GPS 'phone': lost its fix: no position for 30 seconds" in gps.texts()


def test_web_update_needs_a_login_a_web_gps_and_a_position(gps: Bench) -> None:
    assert gps.command("/gps/web/update.cmd", {"lat": 1, "lon": 2}, auth=False).code == 401
    missing = gps.command("/gps/web/update.cmd", {"lat": 1, "lon": 2})
    assert missing.code == 404
    assert "gps=web" in missing.text
    gps.tracker.add("web")
    bad = gps.command("/gps/web/update.cmd", {"lat": 1})
    assert (bad.code, bad.text) == (400, "Invalid request: missing 'lon' in command dictionary\n")
    far = gps.command("/gps/web/update.jcmd", {"lat": 100, "lon": 2})
    assert (far.code, far.text) == (400, "Invalid request: latitude 100.0 is outside -90..90\n")
    assert gps.command("/gps/web/update.cmd", {"lat": "x", "lon": 2}).code == 400
    assert gps.server.get("/gps/web/update.cmd", headers=AUTH).code == 405


def test_add_list_locate_and_remove(gps: Bench) -> None:
    added = gps.command("/gps/add_gps.cmd", {"definition": "virtual:lat=1.5,lon=2.5,name=v"})
    assert added.code == 200
    uuid = added.json()["kismet.gps.uuid"]
    assert added.json()["kismet.gps.name"] == "v"
    listed = gps.server.get("/gps/all_gps.json").json()
    assert [g["kismet.gps.uuid"] for g in listed] == [uuid]
    located = gps.server.get(f"/gps/by-uuid/{uuid.lower()}/location.json").json()
    assert located[P + "geopoint"] == [2.5, 1.5]
    assert gps.server.get("/gps/all_locations.json").json()[uuid][P + "fix"] == 2
    narrowed = gps.server.post("/gps/all_gps.json", data={
        "json": json.dumps({"fields": ["kismet.gps.name"]})}).json()
    assert narrowed == [{"kismet.gps.name": "v"}]
    assert gps.server.get(f"/gps/by-uuid/{uuid}/remove_gps.cmd").code == 401
    removed = gps.server.get(f"/gps/by-uuid/{uuid}/remove_gps.cmd", headers=AUTH)
    assert (removed.code, removed.text) == (200, "Removed GPS\n")
    assert gps.server.get(f"/gps/by-uuid/{uuid}/location.json").code == 404
    assert gps.server.get(f"/gps/by-uuid/{uuid}/remove_gps.cmd", headers=AUTH).code == 404


def test_add_gps_errors(gps: Bench) -> None:
    assert gps.command("/gps/add_gps.cmd", {"definition": "web"}, auth=False).code == 401
    unknown = gps.command("/gps/add_gps.cmd", {"definition": "garmin:x=1"})
    assert unknown.code == 400
    assert "unknown GPS type 'garmin'" in unknown.text
    assert gps.command("/gps/add_gps.cmd", {}).code == 400
    assert gps.command("/gps/add_gps.cmd", {"definition": "web"}).code == 200
    again = gps.command("/gps/add_gps.cmd", {"definition": "web:name=second"})
    assert (again.code, again.text) == (409, "only one web GPS may be defined\n")


def test_drivers(gps: Bench) -> None:
    drivers = gps.server.get("/gps/drivers.json").json()
    assert sorted(d["kismet.gps.type.class"] for d in drivers) == [
        "gpsd", "serial", "virtual", "web"]
