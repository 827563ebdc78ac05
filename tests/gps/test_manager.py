"""Several GPS: the best location, definitions, and locations on chain packets."""

from __future__ import annotations

import zlib

import pytest

from kismet_tx.capture.system import pack_batch
from kismet_tx.chain import PacketChain
from kismet_tx.gps.base import GpsDefinitionError
from kismet_tx.gps.location import FIX_2D, FIX_3D, Location
from kismet_tx.gps.manager import TAG_PRIORITY, GpsConflict
from kismet_tx.gps.web import WebGps
from kismet_tx.plugins.testing import FakeSource

from .conftest import Bench, make_bench, tpv


@pytest.fixture
def bench() -> Bench:
    made = make_bench()
    made.tracker.startService()
    return made


def test_best_is_highest_fix_then_lowest_priority(bench: Bench) -> None:
    tracker = bench.tracker
    tracker.add("web:name=phone")
    tracker.add("gpsd:host=127.0.0.1,name=a")
    tracker.add("gpsd:host=127.0.0.2,name=b,priority=-2000")
    a, b = bench.link(0).accept(), bench.link(1).accept()
    phone = tracker.web()
    phone.update(1.0, 1.0, alt=10.0)
    a.send(tpv(2, lat=2.0, lon=2.0))
    assert tracker.best().gps_name == "phone"  # 3D beats 2D whatever the priority
    b.send(tpv(3, lat=3.0, lon=3.0))
    assert tracker.best().gps_name == "b"  # same fix: -2000 beats 0
    b.send(tpv(1))
    assert tracker.best().gps_name == "phone"
    a.send(tpv(3, lat=2.0, lon=2.0))
    assert tracker.best().gps_name == "a"  # -1000 beats 0
    bench.advance(5)  # gpsd fixes time out after 5 s, the web one after 30 s
    assert tracker.best().gps_name == "phone"
    bench.advance(25)
    assert tracker.best() is None


def test_equal_fix_and_priority_prefers_the_first_defined(bench: Bench) -> None:
    bench.tracker.add("gpsd:host=127.0.0.1,name=first")
    bench.tracker.add("gpsd:host=127.0.0.2,name=second")
    second, first = bench.link(1).accept(), bench.link(0).accept()
    second.send(tpv(3))
    first.send(tpv(3))
    assert bench.tracker.best().gps_name == "first"


def test_dataonly_gps_is_never_used(bench: Bench) -> None:
    gps = bench.tracker.add("virtual:lat=1,lon=2,dataonly=true")
    assert gps.current() is not None
    assert bench.tracker.best() is None
    assert gps.record()["kismet.gps.data_only"] == 1


def test_virtual_gps_is_always_fixed_and_stamped_now(bench: Bench) -> None:
    bench.tracker.add("virtual:lat=48.1,lon=11.5,alt=500")
    bench.advance(1000)
    best = bench.tracker.best()
    assert (best.lat, best.lon, best.alt, best.fix) == (48.1, 11.5, 500.0, FIX_3D)
    assert best.time == bench.reactor.seconds()
    assert bench.tracker.remove(bench.tracker.all()[0].uuid) is not None
    assert bench.tracker.best() is None
    bench.tracker.add("virtual:lat=1,lon=1,name=other")
    assert bench.tracker.best().fix == FIX_2D
    assert "GPS 'virtual' (17220437-0000-0000-0000-0000" in "".join(bench.texts())


def test_packets_get_the_best_location_before_other_subscribers(bench: Bench) -> None:
    chain = PacketChain(bench.reactor, decoder=lambda dlt, data: None)
    seen: list[Location | None] = []
    chain.subscribe(lambda packet: seen.append(packet.location), "early", priority=-999)
    chain.subscribe(bench.tracker.tag, "gps", priority=TAG_PRIORITY)
    chain.inject(chain.make_packet(FakeSource(), 1.0, 105, b"x"))
    bench.tracker.add("web")
    bench.tracker.web().update(10.0, 20.0)
    chain.inject(chain.make_packet(FakeSource(), 2.0, 105, b"x"))
    own = chain.make_packet(FakeSource(), 3.0, 105, b"x")
    own.location = Location(5.0, 5.0)
    chain.inject(own)
    assert seen[0] is None
    assert (seen[1].lat, seen[1].lon, seen[1].fix) == (10.0, 20.0, FIX_2D)
    assert seen[2].lat == 5.0


def test_attached_tagging_is_switched_off_without_a_location(bench: Bench) -> None:
    chain = PacketChain(bench.reactor, decoder=lambda dlt, data: None)
    bench.tracker.attach(chain)
    [subscription] = chain.subscribers()
    assert subscription.priority == TAG_PRIORITY and not chain.is_enabled("gps")
    gps = bench.tracker.add("virtual:lat=3,lon=4")
    assert chain.is_enabled("gps")
    bench.tracker.remove(gps.uuid)
    assert not chain.is_enabled("gps")


def test_captured_batches_carry_the_location(bench: Bench) -> None:
    chain = PacketChain(bench.reactor, decoder=lambda dlt, data: None)
    seen: list[Location | None] = []
    chain.subscribe(bench.tracker.tag, "gps", priority=TAG_PRIORITY)
    chain.subscribe(lambda packet: seen.append(packet.location), "after")
    chain.process(FakeSource(), 105, pack_batch([(1.0, b"a")]))
    bench.tracker.add("virtual:lat=3,lon=4")
    chain.process(FakeSource(), 105, pack_batch([(2.0, b"b"), (3.0, b"c")]))
    assert seen[0] is None
    assert [(s.lat, s.lon) for s in seen[1:]] == [(3.0, 4.0), (3.0, 4.0)]


def test_uuid_is_kismets_derivation_unless_given(bench: Bench) -> None:
    gps = bench.tracker.add("virtual:lat=1,lon=2")
    prefix = zlib.adler32(b"kismet_gps")
    suffix = zlib.adler32(b"Kismetvirtual:lat=1,lon=2")
    assert gps.uuid == f"{prefix:08X}-0000-0000-0000-0000{suffix:08X}"
    given = bench.tracker.add("gpsd:host=h,uuid=0a0b0c0d-0000-0000-0000-000000000001")
    assert given.uuid == "0A0B0C0D-0000-0000-0000-000000000001"


def test_names_are_made_unique(bench: Bench) -> None:
    names = [bench.tracker.add(f"gpsd:host=10.0.0.{i}").gps_name for i in range(3)]
    assert names == ["gpsd", "gpsd1", "gpsd2"]


@pytest.mark.parametrize("definition, error", [
    ("", "empty GPS definition"),
    ("garmin:device=/dev/x", "unknown GPS type 'garmin'"),
    ("gpsd", "a gpsd GPS needs host="),
    ("gpsd:host=h,port=99999", "outside 1-65535"),
    ("gpsd:host=h,speed=3", "unknown option(s) for a gpsd GPS: speed"),
    ("serial", "a serial GPS needs device="),
    ("serial:device=/dev/ttyS0,baud=1234", "baud=1234 is not a serial speed"),
    ("virtual:lat=91,lon=0", "latitude 91.0 is outside -90..90"),
    ("virtual:lat=1", "a virtual GPS needs lat= and lon="),
    ("virtual:lat=1,lon=1,timeout=-1", "must be positive"),
    ("virtual:lat=nan,lon=1", "lat='nan' is not a finite number"),
    ("virtual:lat=1,lon=inf", "lon='inf' is not a finite number"),
    ("virtual:lat=1,lon=1_0", "lon='1_0' is not a finite number"),
    ("web:reconnect=maybe", "is not true or false"),
    ("web:uuid=nope", "is not a UUID"),
])
def test_bad_definitions(bench: Bench, definition: str, error: str) -> None:
    with pytest.raises(GpsDefinitionError, match=error.replace("(", r"\(").replace(")", r"\)")):
        bench.tracker.add(definition)
    assert bench.tracker.all() == []


def test_single_instance_types_and_duplicate_uuids(bench: Bench) -> None:
    bench.tracker.add("web")
    with pytest.raises(GpsConflict, match="only one web GPS"):
        bench.tracker.add("web:name=again")
    bench.tracker.add("gpsd:host=h")
    with pytest.raises(GpsConflict, match="already exists"):
        bench.tracker.add("gpsd:host=h")


def test_web_positions_are_checked(bench: Bench) -> None:
    gps = bench.tracker.add("web")
    assert isinstance(gps, WebGps)
    with pytest.raises(ValueError, match="longitude 200.0"):
        gps.update(1.0, 200.0)
    gps.update(1.0, 2.0, speed=12.5)
    assert bench.tracker.best().speed == 12.5
    gps.update(1.001, 2.0)
    assert bench.tracker.best().heading == pytest.approx(0.0)
    gps.update(1.001, 2.001)
    assert bench.tracker.best().heading == pytest.approx(90.0, abs=0.1)


def test_records(bench: Bench) -> None:
    gps = bench.tracker.add("gpsd:host=127.0.0.1,port=3000,name=car")
    bench.link().accept().send(tpv(3))
    drivers = {d["kismet.gps.type.class"]: d for d in bench.tracker.driver_records()}
    assert set(drivers) == {"gpsd", "serial", "web", "virtual"}
    assert drivers["web"]["kismet.gps.type.singleton"] == 1
    assert drivers["gpsd"]["kismet.gps.type.priority"] == -1000
    record = bench.tracker.records()[0]
    assert record["kismet.gps.name"] == "car"
    assert record["kismet.gps.definition"] == "gpsd:host=127.0.0.1,port=3000,name=car"
    assert record["kismet.gps.location"]["kismet.common.location.fix"] == 3
    assert record["kismet.gps.type"]["kismet.gps.type.class"] == "gpsd"
    where = bench.tracker.location_record()
    assert where["kismet.common.location.gps_uuid"] == gps.uuid
    assert bench.tracker.all_locations()[gps.uuid]["kismet.common.location.geopoint"] == [
        11.516666667, 48.1173]
