"""The tracker: lookups, commands, expiry, the packet clock, records and views."""

from __future__ import annotations

import re
from typing import Any

import orjson
import pytest

from kismet_tx.capture.sourcerecord import DATASOURCE_FIELDS
from kismet_tx.fields import FieldRegistry
from kismet_tx.rrd import RRD_FIELDS
from kismet_tx.tracker import DEVICE_FIELDS
from kismet_tx.tracker.device import Device
from kismet_tx.tracker.devices import EXPIRY_INTERVAL
from kismet_tx.tracker.views import ViewQuery
from tests.tracker.frames import AP, AP2, DLT_RADIOTAP, STA, STA2, beacon, probe_req, radio
from tests.tracker.replay import CAPTURES_WITH_DEVICES, START, Rig, make_rig

T0 = 1_600_000_000


def feed_at(rig: Rig, ts: float, *frames: bytes) -> None:
    rig.feed(DLT_RADIOTAP, [(ts, radio(f)) for f in frames])


def mac_set(rig: Rig) -> set[bytes]:
    return {d.mac for d in rig.tracking.device_tracker.devices()}


def test_lookup_by_key_mac_and_string() -> None:
    rig = make_rig()
    feed_at(rig, T0, beacon(), probe_req(STA))
    tracker = rig.tracking.device_tracker
    ap = tracker.by_mac(AP)[0]
    assert tracker.get(ap.key) is ap
    assert tracker.get(ap.key.lower()) is ap
    assert tracker.lookup(ap.key) is ap
    assert tracker.lookup("00:c0:ca:11:22:33") is ap
    assert tracker.lookup(AP) is ap
    assert tracker.get("4202770D00000000_FFFFFFFFFFFF") is None
    assert tracker.get("garbage") is None
    assert tracker.lookup("not a mac") is None
    assert tracker.by_mac(AP2) == []
    assert [d.mac for d in tracker.by_mac_mask(bytes.fromhex("00c0ca000000"),
                                               bytes.fromhex("ffffff000000"))] == [AP]
    assert len(tracker) == 2


def test_add_alert_set_name_and_tags() -> None:
    rig = make_rig()
    feed_at(rig, T0, beacon())
    tracker = rig.tracking.device_tracker
    ap = tracker.by_mac(AP)[0]
    assert tracker.add_alert(ap.key) and tracker.add_alert(AP) and tracker.add_alert(ap)
    assert not tracker.add_alert("00:00:00:00:00:01")
    rig.clock.advance(5)
    tracker.set_username(ap, "lab router")
    tracker.set_tag(ap, "owner", "ops")
    record = rig.tracking.record(ap)
    assert record["kismet.device.base.num_alerts"] == 3
    assert record["kismet.device.base.username"] == "lab router"
    assert record["kismet.device.base.commonname"] == "lab router"
    assert record["kismet.device.base.name"] == "Home"
    assert record["kismet.device.base.tags"] == {"owner": "ops"}
    assert record["kismet.device.base.mod_time"] == int(START + 5)
    tracker.set_tag(ap, "owner", "")
    tracker.set_username(ap, "")
    record = rig.tracking.record(ap)
    assert "kismet.device.base.tags" not in record
    assert "kismet.device.base.username" not in record
    assert record["kismet.device.base.commonname"] == "Home"


def test_new_device_hooks_see_each_device_once() -> None:
    rig = make_rig()
    seen: list[Device] = []
    rig.tracking.device_tracker.new_device_hooks.append(seen.append)
    feed_at(rig, T0, beacon(), beacon(), probe_req(STA))
    assert [d.mac for d in seen] == [AP, STA]


def test_relative_last_time_counts_back_from_the_newest_packet() -> None:
    rig = make_rig()
    tracker = rig.tracking.device_tracker
    assert tracker.relative_time(-60) == int(START) - 60
    feed_at(rig, T0, beacon())
    rig.clock.advance(3600)
    assert tracker.relative_time(-60) == T0 - 60
    assert tracker.relative_time(T0 + 5) == T0 + 5


def test_idle_devices_expire_on_the_packet_clock() -> None:
    rig = make_rig(device_timeout=60)
    tracker = rig.tracking.device_tracker
    tracker.startService()
    feed_at(rig, T0, beacon(), probe_req(STA))
    feed_at(rig, T0 + 50, beacon())
    rig.clock.advance(EXPIRY_INTERVAL)
    assert mac_set(rig) == {AP, STA}
    # 20 more seconds of silence on the server clock: STA is 70 s idle, AP 20 s.
    rig.clock.advance(EXPIRY_INTERVAL)
    assert mac_set(rig) == {AP}
    assert tracker.expired == 1
    assert rig.tracking.dot11.access_points == {AP: tracker.by_mac(AP)[0]}
    rig.clock.advance(6 * EXPIRY_INTERVAL)
    assert mac_set(rig) == set()
    assert rig.tracking.dot11.access_points == {}
    assert tracker.seen_counts == {tracker.sources()[0].uuid: 0}
    tracker.stopService()


def test_max_devices_drops_the_least_recently_seen() -> None:
    rig = make_rig(max_devices=2)
    tracker = rig.tracking.device_tracker
    feed_at(rig, T0, probe_req(STA))
    feed_at(rig, T0 + 1, beacon(AP2))
    feed_at(rig, T0 + 2, beacon(AP))
    feed_at(rig, T0 + 3, probe_req(STA2))
    assert tracker.expire() == 2
    assert mac_set(rig) == {AP, STA2}


def test_no_expiry_by_default() -> None:
    rig = make_rig()
    rig.tracking.device_tracker.startService()
    feed_at(rig, T0, beacon())
    rig.clock.advance(10 * 86400)
    assert mac_set(rig) == {AP}
    rig.tracking.device_tracker.stopService()


_DATA_KEY = re.compile(r"^([0-9A-F]{2}:){5}[0-9A-F]{2}$|^\d+$")
#: Maps whose keys are user data (tag names), not field names.
_DATA_MAPS = {"kismet.device.base.tags", "kismet.device.base.related_devices"}


def _names(value: Any, found: set[str]) -> set[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if not _DATA_KEY.match(key):
                found.add(key)
            if key not in _DATA_MAPS:
                _names(item, found)
    elif isinstance(value, list):
        for item in value:
            _names(item, found)
    return found


@pytest.mark.parametrize("capture", CAPTURES_WITH_DEVICES)
def test_every_emitted_name_is_registered(capture: str) -> None:
    registry = FieldRegistry()
    # Records embed RRDs and (in seenby) their datasource's record.
    registry.register(DEVICE_FIELDS + RRD_FIELDS + DATASOURCE_FIELDS)
    rig = make_rig()
    rig.replay(capture)
    rig.tracking.device_tracker.set_username(next(rig.tracking.device_tracker.devices()), "x")
    rig.tracking.device_tracker.set_tag(next(rig.tracking.device_tracker.devices()), "t", "v")
    names: set[str] = set()
    for device in rig.tracking.device_tracker.devices():
        _names(orjson.loads(orjson.dumps(rig.tracking.record(device), default=dict)), names)
    assert names
    assert {n for n in names if registry.get(n) is None} == set()


def test_views_filter_sort_and_window() -> None:
    rig = make_rig()
    feed_at(rig, T0, beacon(AP, b"alpha"), probe_req(STA, b"x"))
    feed_at(rig, T0 + 10, beacon(AP2, b"beta"), beacon(AP2, b"beta"))
    feed_at(rig, T0 + 20, probe_req(STA2))
    views = rig.tracking.views
    all_view = views.get("all")
    assert all_view is not None
    result = views.query(all_view, ViewQuery())
    assert (result.total, result.filtered) == (4, 4)
    assert [d.mac for d in result.devices] == [AP, STA, AP2, STA2]
    newest = views.query(all_view, ViewQuery(sort=("kismet.device.base.last_time",), length=2))
    assert [d.mac for d in newest.devices] == [STA2, AP2]
    oldest = views.query(all_view, ViewQuery(sort=("kismet.device.base.last_time",),
                                             ascending=True, start=1, length=2))
    assert [d.mac for d in oldest.devices] == [STA, AP2]
    by_name = views.query(all_view, ViewQuery(sort=("kismet.device.base.name",), ascending=True))
    assert [d.mac for d in by_name.devices] == [STA2, STA, AP, AP2]
    since = views.query(all_view, ViewQuery(since=T0 + 10))
    assert [d.mac for d in since.devices] == [AP2, STA2]
    search = views.query(all_view, ViewQuery(
        search="BET", search_paths=[("kismet.device.base.name",)]))
    assert [d.mac for d in search.devices] == [AP2]
    assert search.filtered == 1 and search.total == 4
    past_end = views.query(all_view, ViewQuery(start=10, length=5))
    assert past_end.devices == [] and past_end.last_page(5) == 1
    aps = views.get("phydot11_accesspoints")
    assert aps is not None
    assert [d.mac for d in views.query(aps, ViewQuery()).devices] == [AP, AP2]
    assert views.get("nope") is None
    assert views.get("seenby-00000000-0000-0000-0000-000000000000") is None
