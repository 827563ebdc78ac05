"""The gpsd driver on a memory reactor: WATCH, TPV, losing gpsd, backoff, stalls."""

from __future__ import annotations

import pytest

from kismet_tx.gps.gpsd import WATCH, tpv_reading
from kismet_tx.gps.location import FIX_2D, FIX_3D

from .conftest import Bench, make_bench, tpv


@pytest.fixture
def bench() -> Bench:
    made = make_bench()
    made.tracker.startService()
    return made


def started(bench: Bench, definition: str = "gpsd:host=127.0.0.1,port=2947") -> object:
    return bench.tracker.add(definition)


def test_connects_watches_and_reports_a_3d_fix(bench: Bench) -> None:
    gps = started(bench, "gpsd:host=127.0.0.1,port=29470,name=car")
    assert bench.reactor.tcpClients[0][:2] == ("127.0.0.1", 29470)
    link = bench.link().accept()
    assert link.sent() == WATCH
    link.send({"class": "VERSION", "release": "3.22"}, tpv(3, altMSL=545.4, alt=592.3,
                                                           speed=10.0, track=84.4,
                                                           magtrack=81.3))
    best = bench.tracker.best()
    assert best is not None
    assert (best.lat, best.lon, best.fix) == (48.1173, 11.516666667, FIX_3D)
    assert best.alt == 545.4
    assert best.speed == pytest.approx(36.0)
    assert (best.heading, best.magheading) == (84.4, 81.3)
    assert best.time == bench.reactor.seconds()
    assert best.gps_uuid == gps.uuid
    assert "GPS 'car': connected to gpsd 3.22 at 127.0.0.1:29470" in bench.texts()
    assert "GPS 'car': acquired a 3D fix at 48.117300, 11.516667" in bench.texts()
    record = gps.record()
    assert record["kismet.gps.connected"] == 1
    assert record["kismet.gps.description"] == "gpsd 3.22 at 127.0.0.1:29470"


def test_tpv_without_position_is_ignored_and_mode_1_loses_the_fix(bench: Bench) -> None:
    started(bench)
    link = bench.link().accept()
    link.send({"class": "TPV", "mode": 3})
    assert bench.tracker.best() is None
    link.send(tpv(2))
    assert bench.tracker.best().fix == FIX_2D
    link.send(tpv(1))
    assert bench.tracker.best() is None
    assert "GPS 'gpsd': lost its fix: the receiver reports no fix" in bench.texts()


def test_partial_tpvs_of_one_cycle_are_merged(bench: Bench) -> None:
    started(bench)
    link = bench.link().accept()
    link.send(tpv(3, speed=10.0, track=84.4))
    link.send(tpv(3, altMSL=545.4))
    best = bench.tracker.best()
    assert (best.alt, best.speed, best.heading) == (545.4, 36.0, 84.4)
    bench.advance(2.5)
    link.send(tpv(3, lat=48.1174))
    best = bench.tracker.best()
    assert (best.alt, best.speed) == (0.0, 0.0)


def test_gpsd_going_away_loses_the_fix_and_backoff_brings_it_back(bench: Bench) -> None:
    started(bench)
    link = bench.link().accept()
    link.send(tpv(3))
    link.drop()
    assert bench.tracker.best() is None
    assert any("lost its fix: connection to gpsd at 127.0.0.1:2947 lost" in t
               for t in bench.texts())
    # Retries at 1 s, then 2 s, 4 s while nothing listens; one message for the outage.
    assert len(bench.reactor.tcpClients) == 1
    bench.advance(1)
    assert len(bench.reactor.tcpClients) == 2
    bench.link().refuse()
    bench.advance(1.9)
    assert len(bench.reactor.tcpClients) == 2
    bench.advance(0.1)
    assert len(bench.reactor.tcpClients) == 3
    bench.link().refuse()
    assert sum("cannot reach gpsd" in t for t in bench.texts()) == 0
    bench.advance(4)
    back = bench.link().accept()
    back.send(tpv(3, lat=1.5, lon=2.5))
    assert (bench.tracker.best().lat, bench.tracker.best().lon) == (1.5, 2.5)
    assert bench.texts()[-1] == "GPS 'gpsd': acquired a 3D fix at 1.500000, 2.500000"


def test_unreachable_gpsd_is_reported_once_per_outage(bench: Bench) -> None:
    started(bench)
    bench.link().refuse()
    bench.advance(1)
    bench.link().refuse()
    errors = [t for t in bench.texts() if "cannot reach gpsd" in t]
    assert errors == ["GPS 'gpsd': cannot reach gpsd at 127.0.0.1:2947: Connection was refused "
                      "by other side; retrying with backoff"]


def test_no_position_for_the_timeout_loses_the_fix(bench: Bench) -> None:
    started(bench, "gpsd:host=127.0.0.1,timeout=3")
    link = bench.link().accept()
    link.send(tpv(3))
    bench.advance(2.9)
    link.send(tpv(3))
    bench.advance(2.9)
    assert bench.tracker.best() is not None
    bench.advance(0.2)
    assert bench.tracker.best() is None
    assert bench.texts()[-1] == "GPS 'gpsd': lost its fix: no position for 3 seconds"
    link.send(tpv(3))
    assert bench.tracker.best() is not None


def test_a_silent_connection_is_dropped_and_retried(bench: Bench) -> None:
    started(bench, "gpsd:host=127.0.0.1,stall=10")
    link = bench.link().accept()
    bench.advance(10)
    assert link.transport.disconnecting
    assert "GPS 'gpsd': no data from gpsd at 127.0.0.1:2947 for 10 seconds; reconnecting" \
        in bench.texts()


def test_reconnect_false_gives_up(bench: Bench) -> None:
    started(bench, "gpsd:host=127.0.0.1,reconnect=false")
    link = bench.link().accept()
    link.drop()
    bench.advance(60)
    assert len(bench.reactor.tcpClients) == 1
    assert any("reconnect=false, not reconnecting" in t for t in bench.texts())


def test_garbage_lines_are_counted_not_fatal(bench: Bench) -> None:
    gps = started(bench)
    link = bench.link().accept()
    link.protocol.dataReceived(b"not json\n\n[1, 2]\n")
    link.send(tpv(3))
    assert gps.bad_lines == 1
    assert bench.tracker.best() is not None


def test_stopping_closes_the_connection_without_reconnecting(bench: Bench) -> None:
    started(bench)
    link = bench.link().accept()
    link.send(tpv(3))
    bench.tracker.stopService()
    link.drop()
    bench.advance(60)
    assert len(bench.reactor.tcpClients) == 1
    assert bench.tracker.best() is None


@pytest.mark.parametrize("message, expected", [
    ({"class": "TPV", "mode": 3, "lat": 1.0, "lon": 2.0, "alt": 7.0}, (3, 1.0, 2.0, 7.0)),
    ({"class": "TPV", "mode": 2, "lat": 1.0, "lon": 2.0, "alt": 7.0}, (2, 1.0, 2.0, None)),
    ({"class": "TPV", "mode": 3, "lat": 1.0}, None),
    ({"class": "TPV", "mode": "3", "lat": 1.0, "lon": 2.0}, None),
    ({"class": "TPV", "mode": 3, "lat": True, "lon": 2.0}, None),
])
def test_tpv_fields(message: dict, expected: tuple | None) -> None:
    reading = tpv_reading(message)
    if expected is None:
        assert reading is None
    else:
        assert (reading.fix, reading.lat, reading.lon, reading.alt) == expected
