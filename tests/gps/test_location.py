"""Location records, device aggregates, headings and the pcapng GPS option."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kismet_tx.gps.location import (
    FIX_2D,
    FIX_3D,
    Location,
    LocationAggregate,
    bearing,
    location_record,
)
from kismet_tx.gps.pcapng import KISMET_PEN, OPT_CUSTOM_BINARY, gps_option, parse_gps_option
from kismet_tx.streams.pcapng import encode_option

P = "kismet.common.location."


def test_location_record_has_the_k25_fields() -> None:
    location = Location(48.1, 11.5, 545.4, FIX_3D, 36.0, 84.4, 81.3, 1_700_000_000.25,
                        "UUID", "car")
    assert location.record(with_uuid=True) == {
        P + "geopoint": [11.5, 48.1], P + "alt": 545.4, P + "fix": 3, P + "speed": 36.0,
        P + "heading": 84.4, P + "magheading": 81.3, P + "time_sec": 1_700_000_000,
        P + "time_usec": 250_000, P + "gps_uuid": "UUID",
    }


def test_no_fix_record() -> None:
    assert location_record(None) == {P + "geopoint": [0.0, 0.0], P + "fix": 0}
    assert location_record(Location(1.0, 2.0, fix=1)) == {P + "geopoint": [0.0, 0.0],
                                                          P + "fix": 0}


def test_aggregate_bounds_average_and_last() -> None:
    aggregate = LocationAggregate()
    aggregate.add(Location(10.0, 20.0, 100.0, FIX_3D, time=1.0))
    aggregate.add(Location(12.0, 18.0, 0.0, FIX_2D, time=2.0))
    aggregate.add(Location(11.0, 22.0, 300.0, FIX_3D, time=3.0))
    aggregate.add(Location(50.0, 50.0, 0.0, 1, time=4.0))
    record = aggregate.record()
    assert record[P + "loc_fix"] == 3
    assert record[P + "min_loc"][P + "geopoint"] == [18.0, 10.0]
    assert record[P + "min_loc"][P + "alt"] == 100.0
    assert record[P + "max_loc"][P + "geopoint"] == [22.0, 12.0]
    assert record[P + "max_loc"][P + "alt"] == 300.0
    assert record[P + "avg_loc"][P + "geopoint"] == [pytest.approx(20.0), pytest.approx(11.0)]
    assert record[P + "avg_loc"][P + "alt"] == 200.0
    assert record[P + "last"][P + "geopoint"] == [22.0, 11.0]
    assert record[P + "last"][P + "time_sec"] == 3


def test_empty_aggregate() -> None:
    record = LocationAggregate().record()
    assert record[P + "loc_fix"] == 0
    assert record[P + "last"][P + "geopoint"] == [0.0, 0.0]


@pytest.mark.parametrize("to, expected", [
    ((1.0, 0.0), 0.0), ((0.0, 1.0), 90.0), ((-1.0, 0.0), 180.0), ((0.0, -1.0), 270.0),
])
def test_bearing(to: tuple[float, float], expected: float) -> None:
    assert bearing(0.0, 0.0, *to) == pytest.approx(expected)


def test_gps_option_layout() -> None:
    code, value = gps_option(Location(48.1173, 11.5166667, 545.4, FIX_3D))
    assert code == OPT_CUSTOM_BINARY == 2989
    assert int.from_bytes(value[:4], "little") == KISMET_PEN
    assert value[4:6] == b"\x47\x01"
    assert int.from_bytes(value[6:8], "little") == 12
    assert int.from_bytes(value[8:12], "little") == 0x2 | 0x4 | 0x8
    assert int.from_bytes(value[12:16], "little") == round((11.5166667 + 180) * 10**7)
    assert len(encode_option(code, value)) == 4 + 24


def test_gps_option_without_fix_or_altitude() -> None:
    assert gps_option(None) is None
    assert gps_option(Location(1.0, 2.0, fix=1)) is None
    _, value = gps_option(Location(1.0, 2.0, 50.0, FIX_2D))
    assert parse_gps_option(value) == (pytest.approx(1.0), pytest.approx(2.0), None)


@given(st.floats(-90, 90), st.floats(-180, 180), st.floats(-1000, 9000))
def test_gps_option_round_trip(lat: float, lon: float, alt: float) -> None:
    _, value = gps_option(Location(lat, lon, alt, FIX_3D))
    got_lat, got_lon, got_alt = parse_gps_option(value)
    assert got_lat == pytest.approx(lat, abs=1e-7)
    assert got_lon == pytest.approx(lon, abs=1e-7)
    if alt != 0:
        assert got_alt == pytest.approx(alt, abs=1e-4)
