"""NMEA sentences into readings: fix, position, altitude, speed, course."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kismet_tx.gps.location import FIX_2D, FIX_3D, FIX_NONE
from kismet_tx.gps.nmea import KNOTS_KMH, NmeaReader, split_sentence

from .conftest import gga, gsa, nmea, rmc


def test_gga_gives_a_3d_position() -> None:
    reader = NmeaReader()
    reading = reader.feed(gga())
    assert reading.fix == FIX_3D
    assert reading.lat == pytest.approx(48.1173)
    assert reading.lon == pytest.approx(11.516666667)
    assert reading.alt == 545.4


def test_southern_western_hemispheres_are_negative() -> None:
    reading = NmeaReader().feed(gga(lat="3351.000", ns="S", lon="15112.000", ew="W"))
    assert reading.lat == pytest.approx(-33.85)
    assert reading.lon == pytest.approx(-151.2)


def test_rmc_gives_speed_course_and_magnetic_course() -> None:
    reader = NmeaReader()
    reader.feed(gga())
    reading = reader.feed(rmc())
    assert reading.speed == pytest.approx(22.4 * KNOTS_KMH)
    assert reading.heading == 84.4
    # West variation: magnetic course = true course + variation.
    assert reading.magheading == pytest.approx(87.5)
    assert reading.alt == 545.4


def test_gsa_mode_decides_the_fix() -> None:
    reader = NmeaReader()
    reader.feed(gsa(2))
    assert reader.feed(gga()).fix == FIX_2D
    assert reader.feed(gga()).alt is None


def test_no_fix_sentences() -> None:
    reader = NmeaReader()
    assert reader.feed(gga(quality=0)).fix == FIX_NONE
    assert reader.feed(rmc(status="V")).fix == FIX_NONE


def test_vtg_speed_in_kmh() -> None:
    reader = NmeaReader()
    reader.feed(nmea("GPVTG,054.7,T,034.4,M,005.5,N,010.2,K"))
    reading = reader.feed(gga())
    assert (reading.speed, reading.heading) == (10.2, 54.7)


def test_bad_checksums_and_garbage_are_rejected() -> None:
    reader = NmeaReader()
    good = gga()
    assert reader.feed(good[:-2] + "00") is None
    assert reader.feed("hello") is None
    assert reader.feed(nmea("GPGGA,120000,48XX.0,N,01131.000,E,1,08,0.9,1,M,,M,,")) is None
    assert reader.rejected == 3
    assert reader.feed(good) is not None
    assert reader.sentences == 1


def test_any_talker_is_accepted() -> None:
    assert NmeaReader().feed(gga().replace("$GP", "$GN").rsplit("*", 1)[0]).fix == FIX_3D


def test_split_sentence_checks_the_checksum() -> None:
    assert split_sentence(nmea("GPGSA,A,3")) == ["GPGSA", "A", "3"]
    assert split_sentence("$GPGSA,A,3*ZZ") is None
    assert split_sentence("GPGSA,A,3") is None


@given(st.floats(-89.99, 89.99), st.floats(-179.99, 179.99))
def test_coordinates_round_trip(lat: float, lon: float) -> None:
    def encode(value: float, width: int) -> str:
        degrees = int(abs(value))
        minutes = (abs(value) - degrees) * 60
        return f"{degrees:0{width}d}{minutes:07.4f}"

    sentence = gga(lat=encode(lat, 2), ns="N" if lat >= 0 else "S",
                   lon=encode(lon, 3), ew="E" if lon >= 0 else "W")
    reading = NmeaReader().feed(sentence)
    assert reading.lat == pytest.approx(lat, abs=1e-5)
    assert reading.lon == pytest.approx(lon, abs=1e-5)
