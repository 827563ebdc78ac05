"""Rows polled by many clients are encoded once per change of a device."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from kismet_tx.http.rowcache import CachedRows, RowCache
from kismet_tx.http.serialize import Serializer
from tests.http.conftest import Server, basic, device_server, lines
from tests.tracker.frames import AP2, DLT_RADIOTAP, beacon, radio
from tests.tracker.replay import Rig, make_rig

CAPTURE = "john-samples_wpa-Induction.pcapng"
MAC = "kismet.device.base.macaddr"
PACKETS = "kismet.device.base.packets.total"
POLL = [MAC, "kismet.device.base.commonname", [PACKETS, "packets"]]


def form(**command: Any) -> dict[str, Any]:
    return {"data": {"json": orjson.dumps(command).decode()}}


@pytest.fixture
def rig() -> Rig:
    rig = make_rig()
    rig.replay(CAPTURE)
    return rig


@pytest.fixture
def server(tmp_path: Path, rig: Rig) -> Server:
    return device_server(tmp_path, rig.tracking)


def _poll(server: Server, suffix: str = "json", fields: list[Any] = POLL) -> bytes:
    reply = server.post(f"/devices/last-time/0/devices.{suffix}", **form(fields=fields))
    assert reply.code == 200
    return reply.body


def test_a_repeated_poll_is_answered_from_the_cache(server: Server) -> None:
    cache = server.ctx.serializer.rows
    first = _poll(server)
    encoded = cache.misses
    assert encoded > 0 and cache.hits == 0
    assert _poll(server) == first
    assert cache.misses == encoded and cache.hits == encoded


def test_a_frame_naming_a_device_changes_its_row(server: Server, rig: Rig) -> None:
    _poll(server)
    rig.feed(DLT_RADIOTAP, [(1_600_000_000, radio(beacon(AP2)))] * 3)
    rows = {row[MAC]: row for row in orjson.loads(_poll(server))}
    ap2 = ":".join(f"{b:02X}" for b in AP2)
    assert rows[ap2]["packets"] == 3
    rig.feed(DLT_RADIOTAP, [(1_600_000_001, radio(beacon(AP2)))])
    rows = {row[MAC]: row for row in orjson.loads(_poll(server))}
    assert rows[ap2]["packets"] == 4


def test_a_command_changes_its_row(server: Server, rig: Rig) -> None:
    device = next(iter(rig.tracking.device_tracker.devices()))
    _poll(server)
    reply = server.post(f"/devices/by-key/{device.key}/set_name.cmd", headers=basic(),
                        **form(username="lab bench"))
    assert reply.code == 200
    rows = {row[MAC]: row for row in orjson.loads(_poll(server))}
    assert rows[device.macaddr]["kismet.device.base.commonname"] == "lab bench"


@pytest.mark.parametrize("suffix", ["json", "ekjson", "itjson", "msgpack", "prettyjson",
                                    "tjson"])
def test_cached_answers_equal_uncached_ones(tmp_path: Path, rig: Rig, suffix: str) -> None:
    cached = device_server(tmp_path / "a", rig.tracking)
    plain = device_server(tmp_path / "b", rig.tracking)
    # The same fields with a regex take the uncached path.
    everything = [["kismet.device.base.key", ".*"]]
    for _ in range(2):
        want = plain.post(f"/devices/last-time/0/devices.{suffix}",
                          **form(fields=POLL, regex=everything)).body
        assert _poll(cached, suffix) == want
    # msgpack and prettyjson are encoded whole, from the plain rows.
    assert (cached.ctx.serializer.rows.hits > 0) == (suffix not in ("msgpack", "prettyjson"))


def test_ekjson_and_json_rows_are_kept_apart(server: Server) -> None:
    assert MAC in lines(_poll(server, "itjson"))[0]
    assert MAC.replace(".", "_") in lines(_poll(server, "ekjson"))[0]
    assert MAC in orjson.loads(_poll(server, "json"))[0]


def test_rows_with_clock_or_source_fields_are_not_cached(server: Server) -> None:
    cache = server.ctx.serializer.rows
    _poll(server, fields=[MAC, "kismet.device.base.seenby"])
    _poll(server, fields=[MAC, "kismet.device.base.packets.rrd"])
    assert cache.hits == cache.misses == 0


class Owner:
    def __init__(self) -> None:
        self.version = 1


def _encode(cache: RowCache, owners: list[Owner], kind: str = "k") -> list[bytes]:
    rows = CachedRows(owners, kind, lambda o: {"v": o.version, "pad": "x" * 100})
    return [row for run in cache.encoded(rows, False, orjson.dumps) for row in run]


def test_the_cache_keeps_to_its_budget() -> None:
    cache = RowCache(budget=3000)
    owners = [Owner() for _ in range(40)]
    for kind in ("a", "b"):
        _encode(cache, owners[:5], kind)
    assert cache.size <= 3000 and len(cache) == 10
    _encode(cache, owners, "c")
    assert cache.size <= 3000
    # The older kinds went first.
    assert ("a", False) not in cache._kinds and ("b", False) not in cache._kinds


def test_a_new_version_is_encoded_again() -> None:
    cache = RowCache()
    owner = Owner()
    assert orjson.loads(_encode(cache, [owner])[0])["v"] == 1
    assert orjson.loads(_encode(cache, [owner])[0])["v"] == 1
    owner.version = 2
    assert orjson.loads(_encode(cache, [owner])[0])["v"] == 2
    assert (cache.hits, cache.misses, len(cache)) == (1, 2, 1)


def test_rows_come_in_order_in_short_runs() -> None:
    cache = RowCache()
    owners = [Owner() for _ in range(40)]
    for number, owner in enumerate(owners):
        owner.version = number
    rows = CachedRows(owners, "k", lambda o: {"v": o.version})
    list(cache.encoded(rows, False, orjson.dumps))
    owners[20].version = 99  # one changed row amid cached ones
    runs = list(cache.encoded(rows, False, orjson.dumps, run=16))
    assert [len(run) for run in runs] == [16, 16, 8]
    assert [orjson.loads(row)["v"] for run in runs for row in run] == [
        99 if number == 20 else number for number in range(40)]
    assert (cache.hits, cache.misses) == (39, 41)


def test_iterated_rows_are_plain_values() -> None:
    owner = Owner()
    assert list(CachedRows([owner], "k", lambda o: {"v": o.version})) == [{"v": 1}]


def test_a_poll_of_cached_rows_goes_out_in_one_chunk_unless_its_slice_ends() -> None:
    owners = [Owner() for _ in range(3000)]
    rows = CachedRows(owners, "k", lambda o: {"v": o.version})
    serializer = Serializer()
    whole = list(serializer.encode_list(rows, "json", lambda: False))
    assert len(whole) == 1 and len(orjson.loads(whole[0])) == 3000
    # Every slice spent at once: a chunk per run of rows, all of them still there.
    sliced = list(serializer.encode_list(rows, "json", lambda: True))
    assert len(sliced) > 100
    assert orjson.loads(b"".join(sliced)) == orjson.loads(whole[0])
