"""The pcapng stream endpoints, the /streams/* registry and handshake pcaps over real HTTP.

Everything runs on one ``task.Clock``: real captures replayed by in-memory
datasources through the packet chain and the device tracker, and the real
twisted.web site. JSON endpoints are read with StubTreq; streams are read by
``StreamClient``, an HTTP/1.1 connection over an in-memory transport whose
buffer the test can fill (pause) and empty (resume), like a slow client's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from twisted.internet.address import IPv4Address
from twisted.internet.error import ConnectionDone
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure
from twisted.web.server import Site

from kismet_tx.capture.datasourcetracker import DatasourceTracker
from kismet_tx.capture.memory import MemoryCaptureSystem
from kismet_tx.chain import PacketChain
from kismet_tx.dot11 import decode_packet
from kismet_tx.http.datasources import DatasourcesArea
from kismet_tx.http.streams import StreamsArea
from kismet_tx.keys import mac_str
from kismet_tx.messagebus import MessageBus
from kismet_tx.streams.registry import StreamRegistry
from kismet_tx.tracker import Tracking, build_tracking
from tests.capture.conftest import FakeFDReactor
from tests.http.conftest import Server, basic, build_server
from tests.streams.helpers import (
    EPB,
    IDB,
    INDUCTION,
    PRISM,
    decode_chunked,
    parse_pcapng,
    read_pcap_frames,
)

AUTH = basic()
#: The AP of john-samples_wpa-Induction.pcapng ('Coherer') and a client of it.
COHERER = bytes.fromhex("000c4182b255")
CLIENT = bytes.fromhex("000d9382363a")
PCAP_TYPE = "application/vnd.tcpdump.pcap"


def _frames(path: Path) -> tuple[int, list[tuple[float, bytes]]]:
    dlt, frames = read_pcap_frames(path)
    return dlt, [(sec + usec / 1_000_000, data) for sec, usec, data, _ in frames]


@dataclass
class Rig:
    """A server with the stream, datasource and device machinery on one clock."""

    server: Server
    site: Site
    registry: StreamRegistry
    sources: DatasourceTracker
    tracking: Tracking
    clients: list[StreamClient]

    def add(self, definition: str) -> str:
        return self.sources.add(definition).uuid

    def run(self) -> None:
        """Run every due call (replays, feed flushes) until nothing more is due."""
        clock = self.server.clock
        for _ in range(100_000):
            if not any(c.getTime() <= clock.seconds() for c in clock.getDelayedCalls()):
                return
            clock.advance(0)
        raise AssertionError("the replay never settled")

    def stream(self, path: str, auth: bool = True) -> StreamClient:
        client = StreamClient(self.site, path, auth)
        self.clients.append(client)
        return client

    def streams(self) -> dict[str, Any]:
        reply = self.server.get("/streams/all_streams.json")
        assert reply.code == 200
        return reply.json()


class StreamClient:
    """One HTTP/1.1 connection: the request, then everything the server wrote."""

    def __init__(self, site: Site, path: str, auth: bool) -> None:
        self.channel = site.buildProtocol(IPv4Address("TCP", "127.0.0.1", 40000))
        self.transport = StringTransport()
        self.channel.makeConnection(self.transport)
        head = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if auth:
            head += "Authorization: " + AUTH[b"Authorization"][0].decode() + "\r\n"
        self.channel.dataReceived(head.encode() + b"\r\n")

    def response(self) -> tuple[int, dict[str, str], bytes, bool]:
        """Status, headers, de-chunked body so far, and whether the body has ended."""
        head, _, body = self.transport.value().partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = dict(line.split(": ", 1) for line in lines[1:])
        if headers.get("Transfer-Encoding") == "chunked":
            payload, ended = decode_chunked(body)
            return status, headers, payload, ended
        return status, headers, body, True

    def payload(self) -> bytes:
        return self.response()[2]

    def pause(self) -> None:
        """The client's socket buffer is full: the transport pauses the stream."""
        self.transport.producer.pauseProducing()

    def resume(self) -> None:
        self.transport.producer.resumeProducing()

    def disconnect(self) -> None:
        self.channel.connectionLost(Failure(ConnectionDone()))


def build_rig(tmp_path: Path, backlog: int = 512 * 1024) -> Rig:
    parts: dict[str, Any] = {}

    def areas(ctx: Any) -> list[Any]:
        clock = ctx.clock
        bus = MessageBus(clock, backlog=500)
        chain = PacketChain(clock)
        tracking = build_tracking(clock)
        chain.subscribe(tracking.dot11.handle, "devices", priority=10)
        registry = StreamRegistry(clock)
        chain.subscribe(registry.feed, "streams", priority=1000)
        system = MemoryCaptureSystem(clock.seconds)
        for path in (INDUCTION, PRISM):
            dlt, frames = _frames(path)
            system.add_file(f"/cap/{path.name}", dlt, frames)
        sources = DatasourceTracker(clock=clock, reactor=FakeFDReactor(), bus=bus,
                                    sink=chain.sink, system=system)
        sources.startService()
        parts.update(registry=registry, sources=sources, tracking=tracking)
        return [DatasourcesArea(ctx, sources),
                StreamsArea(ctx, registry, sources, backlog, devices=tracking.device_tracker)]

    made: list[Any] = []
    server = build_server(tmp_path / "server",
                          extra_areas=[lambda ctx: made.extend(areas(ctx)) or made[0],
                                       lambda ctx: made[1]])
    site = Site(server.root, reactor=server.clock)
    return Rig(server, site, parts["registry"], parts["sources"], parts["tracking"], [])


@pytest.fixture()
def rig(tmp_path: Path) -> Rig:
    return build_rig(tmp_path)


INDUCTION_SOURCE = f"/cap/{INDUCTION.name}:name=wlan0mon"
PRISM_SOURCE = f"/cap/{PRISM.name}:name=prism"


def _data(payload: bytes) -> list[bytes]:
    return [p.data for p in parse_pcapng(payload).packets]


# -- logins, headers, 404 ---------------------------------------------------------------

STREAM_PATHS = [
    "/pcap/all_packets.pcapng",
    "/datasource/pcap/all_sources.pcapng",
    "/datasource/pcap/by-uuid/U/U.pcapng",
    "/datasource/pcap/by-uuid/U/packets.pcapng",
    "/devices/by-key/K/pcap/K.pcapng",
    "/devices/pcap/by-key/K/packets.pcapng",
    "/phy/phy80211/by-bssid/00:0C:41:82:B2:55/pcap/00:0C:41:82:B2:55.pcapng",
    "/phy/phy80211/pcap/by-bssid/00:0C:41:82:B2:55/packets.pcapng",
    "/phy/phy80211/by-bssid/00:0C:41:82:B2:55/pcap/00:0C:41:82:B2:55-handshake.pcap",
    "/phy/phy80211/by-key/K/device/00:0D:93:82:36:3A/pcap/handshake.pcap",
]


@pytest.mark.parametrize("path", STREAM_PATHS)
def test_every_stream_needs_a_login(rig: Rig, path: str) -> None:
    reply = rig.server.get(path)
    assert reply.code == 401
    assert reply.header("WWW-Authenticate") == 'Basic realm="Kismet"'
    assert rig.streams() == {}


def test_unknown_things_are_404_before_any_stream(rig: Rig) -> None:
    uuid = rig.add(INDUCTION_SOURCE)
    rig.run()
    ap = mac_str(COHERER)
    key = rig.tracking.device_tracker.lookup(COHERER).key  # type: ignore[union-attr]
    for path in [
        "/datasource/pcap/by-uuid/5FE308BD-0000-0000-0000-00000000FFFF/packets.pcapng",
        f"/datasource/pcap/by-uuid/{uuid}/5FE308BD-0000-0000-0000-00000000FFFF.pcapng",
        "/devices/pcap/by-key/4202770D00000000_FFFFFFFFFFFF/packets.pcapng",
        f"/devices/by-key/{key}/pcap/4202770D00000000_FFFFFFFFFFFF.pcapng",
        "/phy/phy80211/pcap/by-bssid/02:00:00:00:00:99/packets.pcapng",
        "/phy/phy80211/pcap/by-bssid/not-a-mac/packets.pcapng",
        f"/phy/phy80211/by-bssid/{ap}/pcap/02:00:00:00:00:99.pcapng",
        "/phy/phy80211/by-bssid/02:00:00:00:00:99/pcap/02:00:00:00:00:99-handshake.pcap",
        f"/phy/phy80211/by-bssid/{ap}/pcap/{ap}-other.pcap",
        "/phy/phy80211/by-key/4202770D00000000_FFFFFFFFFFFF/device/"
        "00:0D:93:82:36:3A/pcap/handshake.pcap",
        f"/phy/phy80211/by-key/{key}/device/nope/pcap/handshake.pcap",
    ]:
        reply = rig.server.get(path, headers=AUTH)
        assert reply.code == 404, path
        assert reply.header("Content-Type") == "text/html; charset=utf-8"
    assert rig.streams() == {}
    assert rig.registry.feed_for(("probe",), None).members == ()


@pytest.mark.parametrize("path", ["/pcap/all_packets.pcapng",
                                  "/datasource/pcap/all_sources.pcapng"])
def test_all_packets_stream(rig: Rig, path: str) -> None:
    client = rig.stream(path)
    status, headers, payload, ended = client.response()
    assert (status, ended) == (200, False)
    assert headers["Content-Type"] == PCAP_TYPE
    assert headers["Content-Disposition"] == 'attachment; filename="kismet-all-packets.pcapng"'
    assert parse_pcapng(payload).shb_options[4].startswith(b"kismet_tx ")
    [record] = rig.streams().values()
    assert {k: record[k] for k in ("kismet.stream.name", "kismet.stream.type",
                                   "kismet.stream.path", "kismet.stream.description",
                                   "kismet.stream.packets", "kismet.stream.dropped_packets")} == {
        "kismet.stream.name": "kismet-all-packets.pcapng", "kismet.stream.type": "pcapng",
        "kismet.stream.path": "httpd", "kismet.stream.description": "pcapng of all packets",
        "kismet.stream.packets": 0, "kismet.stream.dropped_packets": 0}
    rig.add(INDUCTION_SOURCE)
    rig.add(PRISM_SOURCE)
    rig.run()
    parsed = parse_pcapng(client.payload())
    induction = [data for _, data in _frames(INDUCTION)[1]]
    prism = [data for _, data in _frames(PRISM)[1]]
    by_interface: dict[str, list[bytes]] = {"wlan0mon": [], "prism": []}
    for packet in parsed.packets:
        by_interface[parsed.interfaces[packet.interface_id].name].append(packet.data)
    assert by_interface == {"wlan0mon": induction, "prism": prism}
    assert sorted((i.name, i.linktype) for i in parsed.interfaces) == [
        ("prism", 119), ("wlan0mon", 127)]
    [record] = rig.streams().values()
    assert record["kismet.stream.packets"] == len(induction) + len(prism)
    assert record["kismet.stream.size"] == len(client.payload())


def test_per_source_stream_has_only_that_source(rig: Rig) -> None:
    uuid = rig.add(INDUCTION_SOURCE)
    prism_uuid = rig.add(PRISM_SOURCE)
    rig.run()
    old = rig.stream(f"/datasource/pcap/by-uuid/{uuid.lower()}/{uuid}.pcapng")
    new = rig.stream(f"/datasource/pcap/by-uuid/{prism_uuid}/packets.pcapng")
    for source in rig.sources.sources():
        source.open()                                # a second pass of each file
    rig.run()
    assert old.response()[1]["Content-Disposition"] == (
        f'attachment; filename="kismet-datasource-wlan0mon-{uuid}.pcapng"')
    assert _data(old.payload()) == [data for _, data in _frames(INDUCTION)[1]]
    assert _data(new.payload()) == [data for _, data in _frames(PRISM)[1]]
    names = sorted(r["kismet.stream.description"] for r in rig.streams().values())
    assert names == [f"pcapng of packets for datasource prism {prism_uuid}",
                     f"pcapng of packets for datasource wlan0mon {uuid}"]


def test_clients_of_one_filter_get_identical_bytes(rig: Rig) -> None:
    clients = [rig.stream("/pcap/all_packets.pcapng") for _ in range(3)]
    rig.add(INDUCTION_SOURCE)
    rig.run()
    payloads = {c.payload() for c in clients}
    assert len(payloads) == 1
    assert len(parse_pcapng(payloads.pop()).packets) == len(_frames(INDUCTION)[1])


# -- backpressure and disconnects -------------------------------------------------------


def test_paused_client_is_bounded_and_counted_while_a_fast_one_gets_everything(
        tmp_path: Path) -> None:
    limit = 20_000
    rig = build_rig(tmp_path, backlog=limit)
    slow = rig.stream("/pcap/all_packets.pcapng")
    fast = rig.stream("/pcap/all_packets.pcapng")
    before = len(slow.payload())
    slow.pause()
    rig.add(INDUCTION_SOURCE)
    rig.run()
    total = len(_frames(INDUCTION)[1])
    records = {r["kismet.stream.stream_id"]: r for r in rig.streams().values()}
    slow_record, fast_record = records[1], records[2]
    assert slow_record["kismet.stream.paused"] == 1
    assert slow_record["kismet.stream.packets"] == fast_record["kismet.stream.packets"] == total
    assert slow_record["kismet.stream.dropped_packets"] > 0
    assert fast_record["kismet.stream.dropped_packets"] == 0
    assert len(slow.payload()) == before, "nothing is written to a paused client"
    assert len(parse_pcapng(fast.payload()).packets) == total
    slow.resume()
    held = len(slow.payload()) - before
    interface_bytes = 40
    assert 0 < held <= limit + interface_bytes
    kept = parse_pcapng(slow.payload())
    assert len(kept.packets) == total - slow_record["kismet.stream.dropped_packets"]
    frames = [data for _, data in _frames(INDUCTION)[1]]
    assert [p.data for p in kept.packets] == frames[:len(kept.packets)]


def test_a_client_that_leaves_is_removed_at_once(rig: Rig) -> None:
    gone = rig.stream("/pcap/all_packets.pcapng")
    stays = rig.stream("/pcap/all_packets.pcapng")
    gone.pause()
    rig.add(INDUCTION_SOURCE)
    rig.clients[0].disconnect()
    assert [r["kismet.stream.stream_id"] for r in rig.streams().values()] == [2]
    rig.run()
    assert len(parse_pcapng(stays.payload()).packets) == len(_frames(INDUCTION)[1])
    stays.disconnect()
    assert rig.streams() == {}
    assert rig.registry.feed_for(("all",), None).members == ()


# -- the registry endpoints -------------------------------------------------------------


def test_close_stream_ends_the_response_cleanly(rig: Rig) -> None:
    client = rig.stream("/pcap/all_packets.pcapng")
    rig.add(INDUCTION_SOURCE)
    assert rig.server.get("/streams/by-id/1/close_stream.cmd").code == 401
    reply = rig.server.get("/streams/by-id/1/close_stream.cmd", headers=AUTH)
    assert (reply.code, reply.text) == (200, "OK\n")
    status, _, payload, ended = client.response()
    assert (status, ended) == (200, True)
    assert len(parse_pcapng(payload).packets) == len(_frames(INDUCTION)[1])
    assert rig.streams() == {}
    rig.sources.sources()[0].open()
    rig.run()
    assert client.payload() == payload, "nothing after the end"
    assert rig.server.get("/streams/by-id/1/close_stream.cmd", headers=AUTH).code == 404


@pytest.mark.parametrize("suffix", ["close_stream.jcmd", "close_stream.json",
                                    "close_stream.cmd?x=1"])
def test_close_stream_forms(rig: Rig, suffix: str) -> None:
    client = rig.stream("/pcap/all_packets.pcapng")
    reply = rig.server.post(f"/streams/by-id/1.0/{suffix}", headers=AUTH)
    assert (reply.code, reply.text) == (200, "OK\n")
    assert client.response()[3]


def test_stream_info(rig: Rig) -> None:
    rig.stream("/pcap/all_packets.pcapng")
    rig.stream("/pcap/all_packets.pcapng")
    info = rig.server.get("/streams/by-id/2/stream_info.json").json()
    assert info["kismet.stream.stream_id"] == 2
    assert info["kismet.stream.dropped_packets"] == 0
    fields = json.dumps({"fields": ["kismet.stream.name"]})
    assert rig.server.post("/streams/by-id/2/stream_info.json",
                           data={"json": fields}).json() == {
        "kismet.stream.name": "kismet-all-packets.pcapng"}
    assert rig.server.post("/streams/all_streams.json", data={"json": fields}).json() == {
        "1": {"kismet.stream.name": "kismet-all-packets.pcapng"},
        "2": {"kismet.stream.name": "kismet-all-packets.pcapng"}}
    for bad in ("3", "abc", "1.5", "-1"):
        assert rig.server.get(f"/streams/by-id/{bad}/stream_info.json").code == 404


# -- devices, BSSIDs, handshakes --------------------------------------------------------


def _replayed_twice(rig: Rig, *paths: str) -> list[StreamClient]:
    """Replay Induction once (the devices appear), open streams, replay it again."""
    rig.add(INDUCTION_SOURCE)
    rig.run()
    clients = [rig.stream(path) for path in paths]
    rig.sources.sources()[0].open()
    rig.run()
    return clients


def _decoded(payload: bytes) -> list[Any]:
    return [decode_packet(127, p.data) for p in parse_pcapng(payload).packets]


def test_device_streams_have_what_the_device_sent(rig: Rig) -> None:
    rig.add(INDUCTION_SOURCE)
    rig.run()
    key = rig.tracking.device_tracker.lookup(CLIENT).key  # type: ignore[union-attr]
    old = rig.stream(f"/devices/by-key/{key}/pcap/{key}.pcapng")
    new = rig.stream(f"/devices/pcap/by-key/{key.lower()}/packets.pcapng")
    rig.sources.sources()[0].open()
    rig.run()
    assert old.response()[1]["Content-Disposition"] == (
        f'attachment; filename="kismet-device-{key}.pcapng"')
    assert old.payload() == new.payload()
    frames = _decoded(old.payload())
    assert len(frames) > 10
    assert {frame.source for frame in frames} == {CLIENT}
    expected = 0
    for _, data in _frames(INDUCTION)[1]:
        try:
            decoded = decode_packet(127, data)
        except Exception:
            continue
        expected += decoded.source == CLIENT and not decoded.bad_fcs
    assert len(frames) == expected


def test_bssid_streams_have_the_bss(rig: Rig) -> None:
    ap = mac_str(COHERER)
    old, new = _replayed_twice(rig, f"/phy/phy80211/by-bssid/{ap}/pcap/{ap}.pcapng",
                               f"/phy/phy80211/pcap/by-bssid/{ap.lower()}/packets.pcapng")
    assert old.response()[1]["Content-Disposition"] == (
        'attachment; filename="kismet-80211-bssid-00_0C_41_82_B2_55.pcapng"')
    assert old.payload() == new.payload()
    frames = _decoded(old.payload())
    assert len(frames) > 100
    assert {frame.bssid for frame in frames} == {COHERER}
    [record, _] = rig.streams().values()
    assert record["kismet.stream.description"] == f"pcapng of packets for BSSID {ap}"


def test_handshake_pcaps(rig: Rig, tmp_path: Path) -> None:
    rig.add(INDUCTION_SOURCE)
    rig.run()
    ap = mac_str(COHERER)
    reply = rig.server.get(f"/phy/phy80211/by-bssid/{ap}/pcap/{ap}-handshake.pcap",
                           headers=AUTH)
    assert reply.code == 200
    assert reply.header("Content-Type") == PCAP_TYPE
    assert reply.header("Content-Disposition") == (
        'attachment; filename="kismet-handshake-00_0C_41_82_B2_55.pcap"')
    (tmp_path / "all.pcap").write_bytes(reply.body)
    dlt, frames = read_pcap_frames(tmp_path / "all.pcap")
    assert dlt == 127
    decoded = [decode_packet(dlt, data) for _, _, data, _ in frames]
    assert decoded[0].type == 0 and decoded[0].subtype == 8, "the beacon comes first"
    assert all(d.is_eapol for d in decoded[1:]) and len(decoded) >= 5
    key = rig.tracking.device_tracker.lookup(COHERER).key  # type: ignore[union-attr]
    one = rig.server.get(f"/phy/phy80211/by-key/{key}/device/{mac_str(CLIENT)}/pcap/"
                         "handshake.pcap", headers=AUTH)
    (tmp_path / "one.pcap").write_bytes(one.body)
    assert read_pcap_frames(tmp_path / "one.pcap")[1] == frames
    nobody = rig.server.get(f"/phy/phy80211/by-key/{key}/device/02:00:00:00:00:01/pcap/"
                            "handshake.pcap", headers=AUTH)
    client_key = rig.tracking.device_tracker.lookup(CLIENT).key  # type: ignore[union-attr]
    not_an_ap = rig.server.get(f"/phy/phy80211/by-key/{client_key}/device/{ap}/pcap/"
                               "handshake.pcap", headers=AUTH)
    for empty in (nobody, not_an_ap):
        assert empty.code == 200 and len(empty.body) == 24
        (tmp_path / "empty.pcap").write_bytes(empty.body)
        assert read_pcap_frames(tmp_path / "empty.pcap") == (105, [])


def test_block_kinds_in_a_stream(rig: Rig) -> None:
    client = rig.stream("/pcap/all_packets.pcapng")
    rig.add(INDUCTION_SOURCE)
    rig.run()
    kinds = parse_pcapng(client.payload()).block_types
    assert kinds[1] == IDB and set(kinds[2:]) == {EPB}
