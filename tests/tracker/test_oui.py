"""Manufacturer lookup against the bundled IEEE-derived table."""

from __future__ import annotations

import pytest

from kismet_tx.tracker.oui import LOCALLY_ADMINISTERED, UNKNOWN, ManufDb


@pytest.fixture(scope="module")
def manuf() -> ManufDb:
    return ManufDb.load()


def test_bundled_table_has_all_registries(manuf: ManufDb) -> None:
    assert len(manuf) > 50_000


def test_well_known_blocks(manuf: ManufDb) -> None:
    assert "Cisco" in manuf.lookup(bytes.fromhex("00000c123456"))
    assert "Apple" in manuf.lookup(bytes.fromhex("f0b479000001"))


def test_longest_prefix_wins() -> None:
    db = ManufDb.from_text("00:1B:C5\tIEEE Registration Authority\n"
                           "00:1B:C5:00:00:00/36\tConverging Systems\n"
                           "70:B3:D5:00:00:00/28\tMA-M Holder\n")
    assert db.lookup(bytes.fromhex("001bc5000001")) == "Converging Systems"
    assert db.lookup(bytes.fromhex("001bc5ffffff")) == "IEEE Registration Authority"
    assert db.lookup(bytes.fromhex("70b3d5012345")) == "MA-M Holder"
    assert db.lookup(bytes.fromhex("70b3d5f12345")) == UNKNOWN


def test_randomized_and_bad_macs(manuf: ManufDb) -> None:
    assert manuf.lookup(bytes.fromhex("da a1 19 00 00 01".replace(" ", ""))) == LOCALLY_ADMINISTERED
    assert manuf.lookup(b"\x00\x01") == UNKNOWN


def test_malformed_lines_are_skipped() -> None:
    db = ManufDb.from_text("zz:zz\tBad\nno tab here\n00:00:0C\tCisco\n00:00:0D/99\tBad bits\n")
    assert len(db) == 1
