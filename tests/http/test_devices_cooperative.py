"""Big device queries run in slices of time, so the reactor is never held by one search.

The server's slice timer is replaced by one that advances a millisecond per
reading, so a slice (5 ms) covers a handful of devices and the slicing is
deterministic; the real reactor bound is measured in
``tests/hardening/test_regex_reactor.py``.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from kismet_tx.http.devices import DevicesArea
from kismet_tx.http.phy80211 import Phy80211Area
from tests.http.conftest import Server, build_server, fired
from tests.tracker.frames import DLT_RADIOTAP, probe_req, radio
from tests.tracker.replay import make_rig

CLIENTS = 3000


def counting_timer() -> Any:
    """A timer that advances 1 ms each time it is read."""
    ticks = itertools.count()
    return lambda: next(ticks) / 1000


@pytest.fixture
def big(tmp_path: Path) -> Server:
    rig = make_rig()
    frames = [
        (1_700_000_000 + i * 0.001,
         radio(probe_req(bytes([0x02, 0, 0, i >> 16 & 255, i >> 8 & 255, i & 255]),
                         ssid=b"net-%d" % (i % 7))))
        for i in range(CLIENTS)
    ]
    rig.feed(DLT_RADIOTAP, frames)
    tracking = rig.tracking
    server = build_server(tmp_path, extra_areas=[lambda ctx: DevicesArea(ctx, tracking),
                                                 lambda ctx: Phy80211Area(ctx, tracking)])
    server.ctx.timer = counting_timer()
    return server


PROBED = "dot11.device/dot11.device.probed_ssid_map/dot11.probedssid.ssid"
COMMAND = {"fields": ["kismet.device.base.macaddr"], "regex": [[PROBED, "^net-3$"]]}
EXPECTED = {i for i in range(CLIENTS) if i % 7 == 3}


def index_of(row: dict[str, Any]) -> int:
    return int(row["kismet.device.base.macaddr"].replace(":", "")[6:], 16)


def answer_after_slices(server: Server, path: str, command: dict[str, Any]) -> Any:
    """POST, check the answer waits for later cooperator rounds, then return its body."""
    pending = server.send("POST", path, data={"json": json.dumps(command)})
    responses: list[Any] = []
    pending.addCallback(responses.append)
    server.flush()
    # The first slice ran; the answer waits for the cooperator's later rounds.
    assert responses == []
    server.step(2)
    assert responses == []
    server.pump()
    (response,) = responses
    assert response.code == 200
    body_d = response.content()
    server.pump()
    return fired(body_d)


def test_regex_over_a_big_view_is_sliced_and_correct(big: Server) -> None:
    body = answer_after_slices(big, "/devices/views/all/devices.json?page=0&length=5000",
                               COMMAND)
    answer = orjson.loads(body)
    assert answer["last_row"] == len(EXPECTED)
    assert answer["total_row"] == CLIENTS
    assert {index_of(row) for row in answer["data"]} == EXPECTED


@pytest.mark.parametrize("path", ["/devices/last-time/0/devices.json",
                                  "/devices/summary/devices.json"])
def test_regex_over_the_device_lists_is_sliced_and_correct(big: Server, path: str) -> None:
    """The lists filter before streaming, in slices, not inside the stream's first pull."""
    rows = orjson.loads(answer_after_slices(big, path, COMMAND))
    assert {index_of(row) for row in rows} == EXPECTED


def test_probe_regex_is_sliced_and_correct(big: Server) -> None:
    command = {"essid": ["^net-3$"], "fields": ["kismet.device.base.macaddr"]}
    rows = orjson.loads(answer_after_slices(big, "/phy/phy80211/probe_regex.cmd", command))
    assert {index_of(row) for row in rows} == EXPECTED


def test_a_sort_over_a_big_view_is_sliced_and_stable(big: Server) -> None:
    path = ("/devices/views/all/devices.json?page=0&length=5000"
            "&sort=kismet.device.base.macaddr&sort_dir=asc")
    answer = orjson.loads(answer_after_slices(big, path, COMMAND))
    assert [index_of(row) for row in answer["data"]] == sorted(EXPECTED)


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_a_sorted_page_is_those_rows_of_the_whole_sort(big: Server, direction: str) -> None:
    """Pages narrow the sort to their rows (not the whole view sorted): same rows,
    in the same stable order (many devices share a last_time second)."""
    def page(number: int, length: int) -> list[int]:
        path = (f"/devices/views/all/devices.json?page={number}&length={length}"
                f"&sort=kismet.device.base.last_time&sort_dir={direction}")
        pending = big.send("POST", path, data={"json": json.dumps(
            {"fields": ["kismet.device.base.macaddr"]})})
        responses: list[Any] = []
        pending.addCallback(responses.append)
        big.pump()
        (response,) = responses
        body = response.content()
        big.pump()
        return [index_of(row) for row in orjson.loads(fired(body))["data"]]

    whole = page(0, CLIENTS)
    assert page(0, 50) == whole[:50]
    assert page(3, 50) == whole[150:200]


def test_cancelling_sliced_work_stops_it(big: Server) -> None:
    """Klein cancels a route's Deferred when its client goes away: the work stops
    (the disconnect itself is tested on a real reactor in tests/hardening)."""
    steps: list[int] = []

    def work() -> Any:
        for index in range(1000):
            steps.append(index)
            yield None
        return "done"

    result = big.ctx.run_steps(work())
    big.step(3)
    assert not result.called and 1 < len(steps) < 10
    result.cancel()
    result.addErrback(lambda failure: failure.trap(Exception))
    big.pump()
    big.step(20)
    assert len(steps) < 10, "the work kept running after it was cancelled"
    assert not big.ticks.pending()


@pytest.mark.parametrize("verb", ["(*NO_JIT)", "(*NO_START_OPT)", "(*NO_AUTO_POSSESS)",
                                  "(*NO_DOTSTAR_ANCHOR)", "(*LIMIT_MATCH=100000000)",
                                  "(*LIMIT_DEPTH=100000000)", "(*LIMIT_HEAP=100000000)",
                                  "(*UTF)(*LIMIT_RECURSION=99999999)"])
def test_verbs_that_switch_off_optimisations_or_limits_are_refused(big: Server,
                                                                     verb: str) -> None:
    command = {"regex": [["kismet.device.base.macaddr", verb + "(.+)+Q"]]}
    for path in ("/devices/last-time/0/devices.json", "/devices/summary/devices.json",
                 "/devices/views/all/devices.json"):
        reply = big.post(path, data={"json": json.dumps(command)})
        assert reply.code == 400, (path, reply.text)
        assert reply.text.startswith("Invalid regex: ") and "not allowed" in reply.text


def test_allowed_start_items_still_work(big: Server) -> None:
    command = {"fields": ["kismet.device.base.macaddr"],
               "regex": [[PROBED, "(*UTF)(*UCP)^net-3$"]]}
    rows = orjson.loads(big.post("/devices/last-time/0/devices.json",
                                 data={"json": json.dumps(command)}).body)
    assert {index_of(row) for row in rows} == EXPECTED
