"""Big view queries run in slices, so the reactor is never held by one search."""

from __future__ import annotations

import json
from pathlib import Path

import orjson

from kismet_tx.http.devices import DevicesArea
from kismet_tx.tracker.views import SLICE
from tests.http.conftest import build_server
from tests.tracker.frames import DLT_RADIOTAP, probe_req, radio
from tests.tracker.replay import make_rig

CLIENTS = SLICE * 3


def test_regex_over_a_big_view_is_sliced_and_correct(tmp_path: Path) -> None:
    rig = make_rig()
    frames = [
        (1_700_000_000 + i * 0.001,
         radio(probe_req(bytes([0x02, 0, 0, i >> 16 & 255, i >> 8 & 255, i & 255]),
                         ssid=b"net-%d" % (i % 7))))
        for i in range(CLIENTS)
    ]
    rig.feed(DLT_RADIOTAP, frames)
    tracking = rig.tracking
    server = build_server(tmp_path, extra_areas=[lambda ctx: DevicesArea(ctx, tracking)])
    command = {
        "fields": ["kismet.device.base.macaddr"],
        "regex": [["dot11.device/dot11.device.probed_ssid_map/dot11.probedssid.ssid",
                   "^net-3$"]],
    }
    pending = server.send("POST", "/devices/views/all/devices.json?page=0&length=5000",
                          data={"json": json.dumps(command)})
    responses: list = []
    pending.addCallback(responses.append)
    server.flush()
    # The first slice ran; the answer waits for the cooperator's later rounds.
    assert responses == []
    server.step(2)
    assert responses == []
    server.pump()
    response = responses[0]
    assert response.code == 200
    body_d = response.content()
    server.pump()
    answer = orjson.loads(body_d.result)
    expected = {i for i in range(CLIENTS) if i % 7 == 3}
    assert answer["last_row"] == len(expected)
    assert answer["total_row"] == CLIENTS
    macs = {int(row["kismet.device.base.macaddr"].replace(":", "")[6:], 16)
            for row in answer["data"]}
    assert macs == expected
