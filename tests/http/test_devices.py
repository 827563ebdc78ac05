"""Every /devices and /phy endpoint through the real HTTP core (StubTreq, no TCP)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import msgpack
import orjson
import pytest

from kismet_tx.http.devices import DevicesArea
from kismet_tx.http.phy80211 import Phy80211Area
from kismet_tx.http.routing import routes_of
from tests.http.conftest import Server, basic, build_server, device_server, lines
from tests.tracker.frames import AP2, DLT_RADIOTAP, STA2, beacon, probe_req, radio
from tests.tracker.replay import SOURCE, Rig, make_rig

CAPTURE = "john-samples_wpa-Induction.pcapng"
AP = "00:0C:41:82:B2:55"
CLIENT = "00:0D:93:82:36:3A"
BRIDGED = "00:0C:41:82:B2:53"
PROBER = "00:0F:66:16:94:73"
NEWEST = 1167891326
MAC = "kismet.device.base.macaddr"


@pytest.fixture(scope="module")
def rig() -> Rig:
    rig = make_rig()
    rig.replay(CAPTURE)
    return rig


@pytest.fixture
def server(tmp_path: Path, rig: Rig) -> Server:
    return device_server(tmp_path, rig.tracking)


def key_of(rig: Rig, mac: str) -> str:
    return rig.tracking.device_tracker.lookup(mac).key  # type: ignore[union-attr]


def form(**command: Any) -> dict[str, Any]:
    return {"data": {"json": orjson.dumps(command).decode()}}


def all_macs(rig: Rig) -> list[str]:
    return [d.macaddr for d in rig.tracking.device_tracker.devices()]


# -- lists --------------------------------------------------------------------------


def test_all_devices_ekjson_is_one_underscored_record_per_line(server: Server,
                                                               rig: Rig) -> None:
    reply = server.get("/devices/all_devices.ekjson")
    assert reply.code == 200
    rows = lines(reply.body)
    assert [r["kismet_device_base_macaddr"] for r in rows] == all_macs(rig)
    assert rows[0]["dot11_device"]["dot11_device_typeset"] == 257


def test_all_devices_in_every_format(server: Server, rig: Rig) -> None:
    itjson = lines(server.get("/devices/all_devices.itjson").body)
    assert [r[MAC] for r in itjson] == all_macs(rig)
    as_json = server.get("/devices/all_devices.json").json()
    assert as_json == itjson
    packed = msgpack.unpackb(server.get("/devices/all_devices.msgpack").body)
    assert packed == as_json
    fields = server.post("/devices/all_devices.itjson", **form(fields=[MAC]))
    assert lines(fields.body) == [{MAC: m} for m in all_macs(rig)]


def test_summary_with_fields_regex_and_wrapper(server: Server) -> None:
    reply = server.post("/devices/summary/devices.json", **form(
        fields=[MAC, ["kismet.device.base.type", "type"]],
        regex=[["dot11.device/dot11.device.advertised_ssid_map/dot11.advertisedssid.ssid",
                "^Coh"]],
        wrapper="aaData"))
    assert reply.code == 200
    assert reply.json() == {"aaData": [{MAC: AP, "type": "Wi-Fi AP"}]}
    probers = server.post("/devices/summary/devices.json", **form(
        fields=[MAC], regex=[["dot11.device/dot11.device.probed_ssid_map/"
                              "dot11.probedssid.ssid", "linksys"]]))
    assert probers.json() == [{MAC: PROBER}]


def test_summary_msgpack_command_and_datatables(server: Server, rig: Rig) -> None:
    packed = base64.b64encode(msgpack.packb({"fields": [MAC]})).decode()
    reply = server.post("/devices/summary/devices.msgpack", data={"msgpack": packed})
    assert msgpack.unpackb(reply.body) == [{MAC: m} for m in all_macs(rig)]
    table = server.post("/devices/summary/devices.json", data={
        "json": orjson.dumps({"fields": [MAC], "datatable": True}).decode(),
        "draw": "3", "start": "1", "length": "2"})
    assert table.json() == {"draw": 3, "data": [{MAC: m} for m in all_macs(rig)[1:3]],
                            "recordsTotal": 4, "recordsFiltered": 4}


@pytest.mark.parametrize(("command", "reason"), [
    ({"fields": "nope"}, "Invalid field mapping"),
    ({"regex": [["a"]]}, "Invalid regex"),
    ({"regex": [["kismet.device.base.name", "("]]}, "Invalid regex"),
])
def test_bad_commands_are_400(server: Server, command: dict[str, Any], reason: str) -> None:
    for path in ("/devices/summary/devices.json", "/devices/last-time/0/devices.json",
                 "/devices/views/all/devices.json"):
        reply = server.post(path, **form(**command))
        assert reply.code == 400, path
        assert reason in reply.text


def test_last_time(server: Server, rig: Rig) -> None:
    everything = server.get("/devices/last-time/0/devices.json").json()
    assert [r[MAC] for r in everything] == all_macs(rig)
    for ts in ("0.0", "-0", "1167891300.5"):
        assert server.get(f"/devices/last-time/{ts}/devices.json").code == 200
    after = server.get("/devices/last-time/1167891300.9/devices.json").json()
    want = [d.macaddr for d in rig.tracking.device_tracker.devices() if d.last_time > 1167891300]
    assert [r[MAC] for r in after] == want and want
    # Negative TS counts back from the newest packet (2007 here), not the server clock.
    recent = server.get("/devices/last-time/-10/devices.json").json()
    want = [d.macaddr for d in rig.tracking.device_tracker.devices() if d.last_time > NEWEST - 10]
    assert [r[MAC] for r in recent] == want and want
    assert server.get(f"/devices/last-time/{NEWEST}/devices.json").json() == []
    posted = server.post("/devices/last-time/0/devices.itjson", **form(
        fields=[MAC], regex=[["kismet.device.base.type", "Bridged"]]))
    assert lines(posted.body) == [{MAC: BRIDGED}]
    assert server.get("/devices/last-time/soon/devices.json").code == 400


# -- single devices ----------------------------------------------------------------


def test_by_key(server: Server, rig: Rig) -> None:
    key = key_of(rig, AP)
    full = server.get(f"/devices/by-key/{key}/device.json").json()
    assert full["kismet.device.base.key"] == key
    assert full[MAC] == AP
    assert full["dot11.device"]["dot11.device.num_associated_clients"] == 2
    lower = server.get(f"/devices/by-key/{key.lower()}/device.json").json()
    assert lower[MAC] == AP
    simplified = server.post(f"/devices/by-key/{key}/device.json", **form(
        fields=[MAC, "kismet.device.base.signal/kismet.common.signal.last_signal",
                "kismet.no.such.field"]))
    assert list(simplified.json()) == [MAC, "kismet.common.signal.last_signal",
                                       "kismet.no.such.field"]
    assert simplified.json()["kismet.no.such.field"] == 0
    unknown = server.get("/devices/by-key/4202770D00000000_FFFFFFFFFFFF/device.json")
    assert unknown.code == 404
    malformed = server.get("/devices/by-key/not-a-key/device.json")
    assert malformed.code == 400 and "invalid device key" in malformed.text


def test_by_key_sub_key_form(server: Server, rig: Rig) -> None:
    key = key_of(rig, AP)
    mac = server.get(f"/devices/by-key/{key}/device.json/kismet.device.base.macaddr")
    assert mac.code == 200 and mac.json() == AP
    nested = server.post(f"/devices/by-key/{key}/device.json/dot11.device/"
                         "dot11.device.typeset", **form())
    assert nested.json() == 257
    sub_map = server.get(f"/devices/by-key/{key}/device.json/kismet.device.base.freq_khz_map")
    assert sub_map.json() == {"2412000": 449}
    handshake = server.get(f"/devices/by-key/{key}/device.json/dot11.device/"
                           "dot11.device.wpa_handshake_list").json()
    assert [k["dot11.eapol.message_num"] for k in handshake[CLIENT]] == [1, 2, 3, 4]
    missing = server.get(f"/devices/by-key/{key}/device.json/kismet.device.base.nothing")
    assert missing.code == 404
    assert server.get("/devices/by-key/4202770D00000000_1/device.json/x").code == 404


def test_by_mac(server: Server) -> None:
    found = server.get(f"/devices/by-mac/{CLIENT}/devices.json").json()
    assert [r[MAC] for r in found] == [CLIENT]
    fields = server.post(f"/devices/by-mac/{CLIENT.lower()}/devices.json", **form(fields=[MAC]))
    assert fields.json() == [{MAC: CLIENT}]
    assert server.get("/devices/by-mac/00:00:00:00:00:01/devices.json").code == 404
    assert server.get("/devices/by-mac/zz/devices.json").code == 400


def test_multimac(server: Server) -> None:
    reply = server.post("/devices/multimac/devices.itjson", **form(
        devices=[CLIENT, "00:0C:41:00:00:00/FF:FF:FF:00:00:00", "00:00:00:00:00:09"],
        fields=[MAC]))
    assert lines(reply.body) == [{MAC: CLIENT}, {MAC: AP}, {MAC: BRIDGED}]
    assert server.post("/devices/multimac/devices.json", **form()).code == 400
    bad = server.post("/devices/multimac/devices.json", **form(devices=["junk"]))
    assert bad.code == 400 and "invalid MAC" in bad.text
    assert server.post("/devices/multimac/devices.json", **form(devices="x")).code == 400


def test_multikey(server: Server, rig: Rig) -> None:
    keys = [key_of(rig, CLIENT), "4202770D00000000_FFFFFFFFFFFF", "junk", key_of(rig, AP)]
    reply = server.post("/devices/multikey/devices.json", **form(devices=keys, fields=[MAC]))
    assert reply.json() == [{MAC: CLIENT}, {MAC: AP}]
    as_object = server.post("/devices/multikey/as-object/devices.json",
                            **form(devices=keys, fields=[MAC]))
    assert as_object.json() == {keys[0]: {MAC: CLIENT}, keys[3]: {MAC: AP}}
    assert server.post("/devices/multikey/devices.json", **form()).code == 400


def test_set_name_and_tag_need_a_login(make_server: Any, tmp_path: Path) -> None:
    rig = make_rig()
    rig.feed(DLT_RADIOTAP, [(1_600_000_000, radio(beacon(AP2)))])
    tracking = rig.tracking
    server = make_server(extra_areas=[lambda ctx: DevicesArea(ctx, tracking)])
    key = tracking.device_tracker.by_mac(AP2)[0].key
    path = f"/devices/by-key/{key}/set_name.cmd"
    assert server.post(path, **form(username="lab")).code == 401
    reply = server.post(path, headers=basic(), **form(username="lab"))
    assert (reply.code, reply.text) == (200, "Device name set\n")
    tag = server.post(f"/devices/by-key/{key}/set_tag.jcmd", headers=basic(),
                      **form(tagname="owner", tagvalue="ops"))
    assert (tag.code, tag.text) == (200, "Device tag set\n")
    record = server.get(f"/devices/by-key/{key}/device.json").json()
    assert record["kismet.device.base.username"] == "lab"
    assert record["kismet.device.base.commonname"] == "lab"
    assert record["kismet.device.base.tags"] == {"owner": "ops"}
    assert server.post(path, headers=basic(), **form()).code == 400
    assert server.post(path, headers=basic(), **form(username=3)).code == 400
    assert server.post(f"/devices/by-key/{key}/set_tag.cmd", headers=basic(),
                       **form(tagname="")).code == 400
    unknown = server.post("/devices/by-key/4202770D00000000_FF/set_name.cmd",
                          headers=basic(), **form(username="x"))
    assert unknown.code == 404


# -- views ---------------------------------------------------------------------------


def test_all_views(server: Server) -> None:
    views = {v["kismet.devices.view.id"]: v["kismet.devices.view.size"]
             for v in server.get("/devices/views/all_views.json").json()}
    assert views == {"all": 4, "phy-IEEE802.11": 4, "phydot11_accesspoints": 1,
                     f"seenby-{SOURCE.uuid}": 4}


def test_view_pages_sorted_by_last_time(server: Server, rig: Rig) -> None:
    reply = server.get("/devices/views/all/devices.json?page=0&length=2"
                       "&sort=kismet.device.base.last_time")
    body = reply.json()
    newest = sorted(rig.tracking.device_tracker.devices(), key=lambda d: -d.last_time)
    assert [r[MAC] for r in body["data"]] == [d.macaddr for d in newest[:2]]
    assert (body["last_page"], body["last_row"], body["total_row"]) == (2, 4, 4)
    second = server.get("/devices/views/all/devices.json?page=1&size=3"
                        "&sort=kismet.device.base.last_time&sort_dir=asc").json()
    assert [r[MAC] for r in second["data"]] == [newest[0].macaddr]
    for bad in ("page=x", "page=-1", "page=0&length=y"):
        assert server.get(f"/devices/views/all/devices.json?{bad}").code == 400


def test_view_search_regex_and_fields(server: Server) -> None:
    reply = server.post("/devices/views/all/devices.json?search=b2:5", **form(
        fields=[MAC, "kismet.device.base.name"]))
    assert [r[MAC] for r in reply.json()] == [AP, BRIDGED]
    regex = server.post("/devices/views/phy-IEEE802.11/devices.itjson", **form(
        fields=[MAC], regex=[["kismet.device.base.type", "^Wi-Fi Client$"]]))
    assert lines(regex.body) == [{MAC: CLIENT}, {MAC: PROBER}]


def test_view_datatables(server: Server) -> None:
    reply = server.post("/devices/views/all/devices.json", data={
        "json": orjson.dumps({"fields": [MAC, "kismet.device.base.packets.total"],
                              "datatable": True,
                              "colmap": {"1": ["kismet.device.base.packets.total"]}}).decode(),
        "draw": "7", "start": "0", "length": "2", "search[value]": "00:0",
        "order[0][column]": "1", "order[0][dir]": "asc"})
    body = reply.json()
    assert body["draw"] == 7
    assert (body["recordsTotal"], body["recordsFiltered"]) == (4, 4)
    counts = [r["kismet.device.base.packets.total"] for r in body["data"]]
    assert counts == sorted(counts) and len(counts) == 2


def test_access_point_view_and_last_time(server: Server) -> None:
    aps = server.post("/devices/views/phydot11_accesspoints/devices.itjson",
                      **form(fields=[MAC], last_time=NEWEST - 100))
    assert lines(aps.body) == [{MAC: AP}]
    none = server.post("/devices/views/phydot11_accesspoints/devices.json",
                       **form(last_time=NEWEST + 1))
    assert none.json() == []
    relative = server.post("/devices/views/all/devices.json", **form(last_time=-3,
                                                                     fields=[MAC]))
    assert relative.json() == [{MAC: AP}]
    recent = server.get("/devices/views/all/last-time/-5/devices.json").json()
    assert all(r["kismet.device.base.last_time"] >= NEWEST - 5 for r in recent) and recent
    seen = server.get(f"/devices/views/seenby-{SOURCE.uuid.lower()}/devices.json").json()
    assert len(seen) == 4
    assert server.get("/devices/views/nope/devices.json").code == 404
    assert server.get("/devices/views/all/last-time/x/devices.json").code == 400


# -- phy -----------------------------------------------------------------------------


def test_all_phys(server: Server, rig: Rig) -> None:
    phys = server.get("/phy/all_phys.json").json()
    assert phys == [{"kismet.phy.phy_name": "IEEE802.11", "kismet.phy.phy_id": 0,
                     "kismet.phy.device_count": 4,
                     "kismet.phy.packet_count": rig.tracking.dot11.packets}]
    names = server.post("/phy/all_phys.json", **form(fields=["kismet.phy.phy_name"]))
    assert names.json() == [{"kismet.phy.phy_name": "IEEE802.11"}]


def test_ssid_and_probe_regex(server: Server) -> None:
    ssid = server.post("/phy/phy80211/ssid_regex.cmd", **form(essid=["^Coherer$"]))
    assert ssid.code == 401
    ssid = server.post("/phy/phy80211/ssid_regex.cmd", headers=basic(),
                       **form(essid=["^nothing$", "^Coh"], fields=[MAC]))
    assert ssid.json() == [{MAC: AP}]
    probe = server.post("/phy/phy80211/probe_regex.jcmd",
                        **form(essid=["^linksys$", "^Coherer$"], fields=[MAC]))
    assert probe.json() == [{MAC: CLIENT}, {MAC: PROBER}]
    assert server.post("/phy/phy80211/probe_regex.cmd", **form()).code == 400
    bad = server.post("/phy/phy80211/probe_regex.cmd", **form(essid=["("]))
    assert bad.code == 400 and bad.text.startswith("Invalid regex")


def test_clients_of_and_related_to(server: Server, rig: Rig) -> None:
    key = key_of(rig, AP)
    clients = server.post(f"/phy/phy80211/clients-of/{key}/clients.itjson",
                          **form(fields=[MAC]))
    assert lines(clients.body) == [{MAC: CLIENT}, {MAC: BRIDGED}]
    related = server.get(f"/phy/phy80211/related-to/{key}/devices.json").json()
    assert [r[MAC] for r in related] == [AP, CLIENT, BRIDGED]
    none = server.get(f"/phy/phy80211/clients-of/{key_of(rig, PROBER)}/clients.json")
    assert none.json() == []
    assert server.get("/phy/phy80211/clients-of/4202770D00000000_FF/clients.json").code == 404
    assert server.get("/phy/phy80211/related-to/junk/devices.json").code == 400


def test_system_status_counts_devices(server: Server) -> None:
    status = server.get("/system/status.json").json()
    assert status["kismet.system.devices.count"] == 4


def test_no_route_answers_500_to_garbage(server: Server) -> None:
    areas = [a for a in server.areas if isinstance(a, DevicesArea | Phy80211Area)]
    garbage = [{"headers": basic(),
                **form(fields=7, regex="x", devices=[1], essid=[None], username=[], colmap=5,
                       datatable="maybe", last_time="x")},
               {"data": b"\xff\xfe", "headers": {**basic(),
                                                   b"Content-Type": [b"application/json"]}},
               {"data": b"not json", "headers": {**basic(),
                                                 b"Content-Type": [b"application/json"]}}]
    for area in areas:
        for info in routes_of(area):
            path = info.path.replace("<key>", "4202770D00000000_55B282410C00")
            for name in ("<ts>", "<mac>", "<view_id>"):
                path = path.replace(name, "%ff%00")
            suffix = {"cmd": ".cmd"}.get(str(info.ext), ".json")
            for method in info.methods:
                for body in garbage:
                    reply = server.request(method, path + suffix, **body)
                    assert reply.code < 500, (method, path, reply.code, reply.text)


def test_new_devices_appear_between_lists(tmp_path: Path) -> None:
    rig = make_rig()
    rig.replay(CAPTURE)
    server = build_server(tmp_path, extra_areas=[lambda ctx: DevicesArea(ctx, rig.tracking)])
    before = len(server.get("/devices/all_devices.json").json())
    rig.feed(DLT_RADIOTAP, [(NEWEST + 1, radio(probe_req(STA2)))])
    after = server.get("/devices/all_devices.json").json()
    assert len(after) == before + 1
    assert after[-1][MAC] == "00:1B:63:8A:0B:0C"
    assert [r[MAC] for r in server.get("/devices/last-time/-1/devices.json").json()] == [
        "00:1B:63:8A:0B:0C"]
