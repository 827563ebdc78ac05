"""``/datasource/*`` and ``/channels/channels`` over the real HTTP core (StubTreq, Clock)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kismet_tx.capture.datasourcetracker import NO_UUID, DatasourceTracker
from kismet_tx.capture.linux import LinuxCaptureSystem
from kismet_tx.capture.memory import MemoryCaptureSystem
from kismet_tx.capture.system import DLT_IEEE802_11
from kismet_tx.chain import PacketChain
from kismet_tx.channels import ChannelTracker
from kismet_tx.http.channels import ChannelsArea
from kismet_tx.http.datasources import DatasourcesArea
from kismet_tx.messagebus import MessageBus
from tests.capture.conftest import RADIO, FakeFDReactor, beacon

from .conftest import Server, basic, lines

DATA = Path(__file__).resolve().parents[1] / "data"
AUTH = basic()


@dataclass
class Bench:
    """A server with the datasource and channel areas over a capture system."""

    server: Server
    tracker: DatasourceTracker
    system: Any
    bus: MessageBus
    channels: ChannelTracker
    reactor: FakeFDReactor

    def uuid(self, index: int = 0) -> str:
        return self.tracker.sources()[index].uuid

    def command(self, path: str, body: Any = None, method: str = "POST") -> Any:
        if method == "GET":
            return self.server.get(path, headers=AUTH)
        form = {"json": json.dumps(body if body is not None else {})}
        return self.server.post(path, data=form, headers=AUTH)


def build_bench(make_server: Callable[..., Server], system: Any = None) -> Bench:
    parts: dict[str, Any] = {}

    def datasources(ctx: Any) -> DatasourcesArea:
        bus = MessageBus(ctx.clock, backlog=500)
        chain = PacketChain(ctx.clock)
        channels = ChannelTracker()
        chain.subscribe(channels, "channels")
        capture = system if system is not None else MemoryCaptureSystem(ctx.clock.seconds)
        reactor = FakeFDReactor()
        tracker = DatasourceTracker(
            clock=ctx.clock, reactor=reactor, bus=bus, sink=chain.sink, system=capture
        )
        tracker.startService()
        parts.update(tracker=tracker, system=capture, bus=bus, channels=channels, reactor=reactor)
        return DatasourcesArea(ctx, tracker)

    server = make_server(
        extra_areas=[datasources, lambda ctx: ChannelsArea(ctx, parts["channels"])]
    )
    return Bench(server, **parts)


@pytest.fixture
def bench(make_server: Callable[..., Server]) -> Bench:
    bench = build_bench(make_server)
    bench.system.add_interface("wlan0", mac="00:C0:CA:11:22:33", radio=RADIO)
    bench.system.add_interface("eth0")
    bench.system.add_file(
        "/cap/slow.pcap", DLT_IEEE802_11, [(1000.0 + 10 * i, beacon()) for i in range(50)]
    )
    return bench


def test_reads_are_public_and_follow_the_suffix(bench: Bench) -> None:
    assert bench.server.get("/datasource/all_sources.json").json() == []
    bench.tracker.add("wlan0:name=radio")
    bench.tracker.add("/cap/slow.pcap:realtime=true")
    reply = bench.server.get("/datasource/all_sources.itjson")
    assert reply.code == 200
    records = lines(reply.body)
    assert [r["kismet.datasource.name"] for r in records] == ["radio", "slow.pcap"]
    assert records[0]["kismet.datasource.uuid"] == bench.uuid(0)
    assert (
        records[1]["kismet.datasource.type_driver"]["kismet.datasource.driver.type"] == "pcapfile"
    )
    simplified = bench.server.post(
        "/datasource/all_sources.json",
        json={"fields": ["kismet.datasource.name", ["kismet.datasource.running", "up"]]},
    ).json()
    assert simplified == [
        {"kismet.datasource.name": "radio", "up": 1},
        {"kismet.datasource.name": "slow.pcap", "up": 1},
    ]
    ek = bench.server.get("/datasource/all_sources.ekjson")
    assert "kismet_datasource_uuid" in lines(ek.body)[0]
    types = bench.server.get("/datasource/types.json").json()
    assert {t["kismet.datasource.driver.type"] for t in types} == {
        "pcapfile", "linuxwifi", "kismetdb"}
    defaults = bench.server.get("/datasource/defaults.json").json()
    assert defaults["kismet.datasourcetracker.default.hop_rate"] == 5.0


def test_source_by_uuid(bench: Bench) -> None:
    source = bench.tracker.add("wlan0")
    reply = bench.server.get(f"/datasource/by-uuid/{source.uuid.lower()}/source.json")
    assert reply.code == 200
    assert reply.json()["kismet.datasource.uuid"] == source.uuid
    missing = bench.server.get(
        "/datasource/by-uuid/00000000-1111-2222-3333-444444444444/source.json"
    )
    assert missing.code == 404
    assert "no datasource with UUID" in missing.text


def test_list_interfaces_needs_a_login_and_lists_only_wifi(bench: Bench) -> None:
    assert bench.server.get("/datasource/list_interfaces.json").code == 401
    reply = bench.server.get("/datasource/list_interfaces.json", headers=AUTH)
    assert reply.code == 200
    found = {r["kismet.datasource.probed.interface"]: r for r in reply.json()}
    assert found["wlan0"]["kismet.datasource.probed.wireless"] == 1
    assert found["wlan0"]["kismet.datasource.probed.in_use_uuid"] == NO_UUID
    # A wired interface is no capture candidate (Kismet lists nl80211 interfaces).
    assert "eth0" not in found


def test_add_source(bench: Bench) -> None:
    path = "/datasource/add_source.cmd"
    assert bench.server.post(path, data={"json": json.dumps({"definition": "wlan0"})}).code == 401
    assert bench.tracker.sources() == []
    reply = bench.command(path, {"definition": "wlan0:name=radio,channel=6"})
    assert reply.code == 200, reply.text
    record = reply.json()
    assert record["kismet.datasource.name"] == "radio"
    assert record["kismet.datasource.running"] == 1
    assert record["kismet.datasource.channel"] == "6"
    assert (
        bench.server.get(f"/datasource/by-uuid/{record['kismet.datasource.uuid']}/source.json").code
        == 200
    )
    jcmd = bench.server.post(
        "/datasource/add_source.jcmd",
        headers=AUTH,
        json={"definition": "/cap/slow.pcap:realtime=true"},
    )
    assert jcmd.code == 200
    assert len(bench.tracker.sources()) == 2
    assert any("'radio'" in m.text and "opened" in m.text for m in bench.bus.messages())


@pytest.mark.parametrize(
    "body, status, reason",
    [
        ({}, 400, "missing 'definition'"),
        ({"definition": 5}, 400, "must be a string"),
        ({"definition": ""}, 400, "empty source definition"),
        ({"definition": "wlan0:channel=250"}, 400, "unknown channel"),
        # Kismet: "If the source cannot be created, HTTP 500 is returned."
        ({"definition": "wlan9"}, 500, "could not open source"),
        ({"definition": "/cap/none.pcap"}, 400, "cannot read capture file"),
        ({"definition": "wlan0:type=bogus"}, 400, "unknown source type"),
        ({"definition": 'wlan0:channels="1'}, 400, "unterminated quote"),
    ],
)
def test_add_source_rejects_bad_definitions(
    bench: Bench, body: Any, status: int, reason: str
) -> None:
    reply = bench.command("/datasource/add_source.cmd", body)
    assert reply.code == status
    assert reason in reply.text
    assert reply.text.startswith("Invalid request" if status == 400 else "ERROR: ")
    assert bench.tracker.sources() == []


def test_add_source_conflict_and_wrong_verb(bench: Bench) -> None:
    assert bench.command("/datasource/add_source.cmd", {"definition": "wlan0"}).code == 200
    again = bench.command("/datasource/add_source.cmd", {"definition": "wlan0:name=two"})
    assert again.code == 409 and "already exists" in again.text
    assert bench.server.get("/datasource/add_source.cmd", headers=AUTH).code == 405
    bad = bench.server.post("/datasource/add_source.cmd", headers=AUTH, data={"json": "{not json"})
    assert bad.code == 400
    assert len(bench.tracker.sources()) == 1


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_state_commands(bench: Bench, method: str) -> None:
    source = bench.tracker.add("/cap/slow.pcap:realtime=true,name=slow")
    base = f"/datasource/by-uuid/{source.uuid}"
    paused = bench.command(f"{base}/pause_source.cmd", method=method)
    assert paused.code == 200 and paused.json()["kismet.datasource.paused"] == 1
    again = bench.command(f"{base}/pause_source.cmd", method=method)
    assert again.code == 409 and "already paused" in again.text
    resumed = bench.command(f"{base}/resume_source.cmd", method=method)
    assert resumed.json()["kismet.datasource.paused"] == 0
    assert bench.command(f"{base}/resume_source.cmd", method=method).code == 409
    closed = bench.command(f"{base}/close_source.cmd", method=method)
    assert closed.json()["kismet.datasource.running"] == 0
    assert (
        bench.command(f"{base}/open_source.cmd", method=method).json()["kismet.datasource.running"]
        == 1
    )
    assert bench.command(f"{base}/open_source.cmd", method=method).code == 409
    assert (
        bench.command(f"{base}/disable_source.cmd", method=method).json()[
            "kismet.datasource.running"
        ]
        == 0
    )
    assert (
        bench.command(f"{base}/enable_source.cmd", method=method).json()[
            "kismet.datasource.running"
        ]
        == 1
    )
    texts = [m.text for m in bench.bus.messages() if "'slow'" in m.text]
    assert [t.split(": ", 1)[1].split(" ")[0].rstrip(";") for t in texts] == [
        "opened",
        "paused",
        "resumed",
        "closed",
        "opened",
        "closed",
        "opened",
    ]


def test_commands_need_a_login_and_a_known_uuid(bench: Bench) -> None:
    source = bench.tracker.add("wlan0")
    for command in (
        "pause_source",
        "resume_source",
        "close_source",
        "open_source",
        "disable_source",
        "enable_source",
        "set_hop",
        "set_channel",
    ):
        path = f"/datasource/by-uuid/{source.uuid}/{command}.cmd"
        assert bench.server.post(path, data={"json": "{}"}).code == 401
        unknown = bench.command(f"/datasource/by-uuid/{NO_UUID}/{command}.cmd", {"channel": "6"})
        assert unknown.code == 404
    assert source.capturing and not source.paused


def test_set_channel_and_set_hop(bench: Bench) -> None:
    source = bench.tracker.add("wlan0")
    path = f"/datasource/by-uuid/{source.uuid}/set_channel.cmd"
    locked = bench.command(path, {"channel": "11"}).json()
    assert locked["kismet.datasource.channel"] == "11"
    assert locked["kismet.datasource.hopping"] == 0
    hop = bench.command(f"/datasource/by-uuid/{source.uuid}/set_hop.cmd", {"hop": True}).json()
    assert hop["kismet.datasource.hopping"] == 1
    listed = bench.command(path, {"channels": ["1", "6"], "rate": 2, "shuffle": 0}).json()
    assert listed["kismet.datasource.hop_channels"] == ["1", "6"]
    assert listed["kismet.datasource.hop_rate"] == 2.0
    rate_only = bench.command(path, {"hoprate": 1}).json()
    assert rate_only["kismet.datasource.hop_channels"] == ["1", "6"]
    assert rate_only["kismet.datasource.hop_rate"] == 1.0
    shuffled = bench.command(path, {"channels": ["1", "6", "11"], "shuffle": 1}).json()
    assert shuffled["kismet.datasource.hop_shuffle"] == 1
    assert shuffled["kismet.datasource.hop_rate"] == 1.0
    tuned = [c for c in bench.system.calls if c[0] == "set_channel"]
    assert ("set_channel", "wlan0mon", "2462", "") in tuned


@pytest.mark.parametrize(
    "body, reason",
    [
        ({}, "requires either 'channel' or 'channels' and 'rate'"),
        ({"shuffle": 1}, "requires either"),
        ({"channel": "250"}, "unknown channel"),
        ({"channel": "13"}, "not supported"),
        ({"channel": ["6"]}, "must be a string"),
        ({"channel": True}, "must be a string"),
        ({"channels": "1,6"}, "must be a list"),
        ({"channels": [1.5]}, "must be a list of strings"),
        ({"channels": []}, "empty"),
        ({"channels": ["1", "999"]}, "unknown channel"),
        ({"channels": ["1"], "rate": 0}, "hop rate"),
        ({"channels": ["1"], "rate": -3}, "hop rate"),
        ({"channels": ["1"], "rate": "fast"}, "must be a number"),
        ({"channels": ["1"], "rate": 1e6}, "hop rate"),
        ({"channels": ["1"], "shuffle": "sometimes"}, "must be a boolean"),
    ],
)
def test_set_channel_bad_input_is_400_and_changes_nothing(
    bench: Bench, body: Any, reason: str
) -> None:
    source = bench.tracker.add("wlan0")
    before = source.record()
    tunes = len(bench.system.calls)
    reply = bench.command(f"/datasource/by-uuid/{source.uuid}/set_channel.cmd", body)
    assert reply.code == 400, reply.text
    assert reason in reply.text
    after = source.record()
    for key in ("channel", "hopping", "hop_rate", "hop_channels", "hop_shuffle", "running"):
        assert after[f"kismet.datasource.{key}"] == before[f"kismet.datasource.{key}"]
    assert len(bench.system.calls) == tunes


def test_channel_commands_on_a_file_source_are_500_as_in_kismet(bench: Bench) -> None:
    # Kismet: "If the channel or hopping pattern cannot be set, HTTP 500 is returned."
    source = bench.tracker.add("/cap/slow.pcap:realtime=true")
    reply = bench.command(f"/datasource/by-uuid/{source.uuid}/set_channel.cmd", {"channel": "6"})
    assert reply.code == 500 and "cannot change channels" in reply.text
    hop = bench.command(f"/datasource/by-uuid/{source.uuid}/set_hop.cmd")
    assert hop.code == 500
    # The legacy connector's rate as a string and channels as numbers are read.
    legacy = bench.command(f"/datasource/by-uuid/{source.uuid}/set_channel.cmd",
                           {"rate": "123", "channels": [1, 2, 3]})
    assert legacy.code == 500 and "cannot change channels" in legacy.text


@pytest.mark.parametrize(
    "raw",
    [
        "json=%7Bbroken",
        "json=%5B1%2C2%5D",
        "msgpack=%%%",
        "json=%22text%22",
    ],
)
def test_undecodable_commands_are_400_everywhere(bench: Bench, raw: str) -> None:
    source = bench.tracker.add("wlan0")
    before = source.record()
    for command in (
        "add_source",
        f"by-uuid/{source.uuid}/set_channel",
        f"by-uuid/{source.uuid}/pause_source",
        f"by-uuid/{source.uuid}/close_source",
    ):
        reply = bench.server.post(
            f"/datasource/{command}.cmd",
            data=raw.encode(),
            headers={**AUTH, b"Content-Type": [b"application/x-www-form-urlencoded"]},
        )
        assert reply.code == 400, (command, reply.code, reply.text)
    assert source.record()["kismet.datasource.running"] == before["kismet.datasource.running"]
    assert not source.paused and len(bench.tracker.sources()) == 1


def test_channels_after_replaying_a_real_capture(make_server: Callable[..., Server]) -> None:
    bench = build_bench(make_server, LinuxCaptureSystem())
    path = DATA / "tcpdump_ieee802.11_exthdr.pcap"
    reply = bench.command("/datasource/add_source.cmd", {"definition": f"{path}:name=exthdr"})
    assert reply.code == 200
    source = bench.tracker.sources()[0]
    assert source.finished and source.num_packets == 26
    record = bench.server.get(f"/datasource/by-uuid/{source.uuid}/source.json").json()
    assert record["kismet.datasource.replay.packets_total"] == 26
    assert record["kismet.datasource.replay.percent"] == 100.0
    channels = bench.server.get("/channels/channels.json").json()
    # truth.json: one radio channel (1) at 2412 MHz. Only 18 of the 26 frames carry
    # a radiotap channel field (tshark: radiotap.present.channel); of the other 8,
    # the 6 probe responses advertise channel 1 in their DS parameter set.
    assert list(channels["kismet.channeltracker.frequency_map"]) == ["2412000"]
    freq = channels["kismet.channeltracker.frequency_map"]["2412000"]
    assert freq["kismet.channelrec.total_packets"] == 18
    one = channels["kismet.channeltracker.channel_map"]["1"]
    assert one["kismet.channelrec.total_packets"] == 18 + 6
    assert one["kismet.channelrec.frequency"] == 2412000
    assert one["kismet.channelrec.device_count"] == 2
    assert one["kismet.channelrec.signal"]["kismet.common.signal.type"] == "dbm"
    simplified = bench.server.post(
        "/channels/channels.json", json={"fields": ["kismet.channeltracker.channel_map"]}
    ).json()
    assert list(simplified) == ["kismet.channeltracker.channel_map"]
