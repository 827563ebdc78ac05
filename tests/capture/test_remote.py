"""Remote capture in one process: our sensor's Wi-Fi source, the server's remote source.

The sensor (:class:`Sensor`) runs a linuxwifi source on the in-memory twin;
its bytes reach a :class:`RemoteSession` through two queues (as a socket
would carry them), so every command a REST client gives the remote source is
seen acting on the sensor's radio.
"""

from __future__ import annotations

from collections import deque

import pytest

from kismet_tx.capture.external.frames import V2, V3, Message, encode
from kismet_tx.capture.memory import MemoryCaptureSystem
from kismet_tx.capture.remote import (
    HANDSHAKE_TIMEOUT,
    PEER_TIMEOUT,
    PING_INTERVAL,
    RemoteSource,
)
from kismet_tx.capture.remotecapture import RemoteCapture
from kismet_tx.capture.sensor import Sensor, parse_args
from kismet_tx.capture.sourcecommands import SourceCommandError, SourceStateError
from kismet_tx.capture.system import WirelessInfo, iter_batch
from kismet_tx.messagebus import ERROR
from tests.capture.conftest import RADIO, FakeFDReactor, make_rig, radiotap_beacon


class Link:
    """A sensor and a server joined by two byte queues."""

    def __init__(self, protocol: int = V3) -> None:
        self.server = make_rig()
        self.capture = RemoteCapture(sources=self.server.tracker, bus=self.server.bus,
                                     clock=self.server.clock)
        self.server.tracker.startService()
        self.fd = FakeFDReactor()
        system = MemoryCaptureSystem()
        radio = WirelessInfo("wlan0", RADIO.phy, "managed", RADIO.frequencies,
                             RADIO.hardware, RADIO.iftypes)
        system.add_interface("wlan0", dlt=1, mac="00:C0:CA:11:22:33", radio=radio)
        self.system = system
        self.sensor_rig = make_rig(system=system, reactor=self.fd)
        options = parse_args(["--connect", "127.0.0.1:3501", "--source", "wlan0:name=mast",
                              "--protocol", str(protocol)])
        self.sensor = Sensor(options, self.sensor_rig.clock, sources=self.sensor_rig.tracker)
        self.sensor_rig.tracker._sink = self.sensor._sink
        self.to_server: deque[bytes] = deque()
        self.to_sensor: deque[bytes] = deque()
        self.closed = False
        self.session = self.capture.session("192.0.2.7", self.to_sensor.append, self._close,
                                            "tcp")
        self.sensor_rig.tracker.startService()
        self.sensor.connected(self.to_server.append, self._close)
        self.pump()

    def _close(self) -> None:
        self.closed = True

    def pump(self) -> None:
        """Carry bytes both ways until both queues are empty."""
        while self.to_server or self.to_sensor:
            while self.to_server:
                self.session.data_received(self.to_server.popleft())
            while self.to_sensor:
                self.sensor.data_received(self.to_sensor.popleft())

    @property
    def remote(self) -> RemoteSource:
        (source,) = self.server.tracker.sources()
        assert isinstance(source, RemoteSource)
        return source


@pytest.mark.parametrize("protocol", [V3, V2, 0])
def test_a_sensor_radio_becomes_a_remote_source(protocol: int) -> None:
    link = Link(protocol)
    record = link.remote.record()
    assert record["kismet.datasource.remote"] == 1
    assert record["kismet.datasource.remote_ip"] == "192.0.2.7"
    assert record["kismet.datasource.remote_protocol"] == protocol
    assert record["kismet.datasource.running"] == 1
    assert record["kismet.datasource.name"] == "mast"
    assert record["kismet.datasource.capture_interface"] == "wlan0mon"
    assert record["kismet.datasource.channels"] == ["1", "6", "11", "36", "40"]
    assert record["kismet.datasource.hopping"] == 1
    assert record["kismet.datasource.type_driver"]["kismet.datasource.driver.type"] == \
        "linuxwifi"
    assert record["kismet.datasource.uuid"] == link.sensor.source.uuid  # type: ignore[union-attr]


def test_frames_cross_with_their_timestamps() -> None:
    link = Link()
    frames = [radiotap_beacon(2437) for _ in range(3)]
    for index, frame in enumerate(frames):
        link.system.inject("wlan0mon", frame, ts=1_700_000_100.25 + index)
    link.fd.poll()
    link.pump()
    received = [(ts, data) for _, _, batch in link.server.sink.batches
                for ts, data in iter_batch(batch)]
    assert received == [(1_700_000_100.25 + i, frame) for i, frame in enumerate(frames)]
    assert link.remote.num_packets == 3


def test_set_channel_and_hop_reach_the_sensor_radio() -> None:
    link = Link()
    link.remote.set_channel("6")
    link.pump()
    local = link.sensor.source
    assert local is not None and local.channel == "6" and not local.hopping
    assert link.system.calls[-1][:3] == ("set_channel", "wlan0mon", "2437")
    assert link.remote.channel == "6" and not link.remote.hopping
    link.remote.set_hopping(["1", "11"], 2.0, None)
    link.pump()
    assert local.hopping and local.hop_channels == ["1", "11"] and local.hop_rate == 2.0
    assert link.remote.record()["kismet.datasource.hop_channels"] == ["1", "11"]
    with pytest.raises(SourceCommandError, match="not supported"):
        link.remote.set_channel("165")


def test_a_refused_configure_is_reported() -> None:
    link = Link()
    link.session.send(Message("CONFIGREQ", {"channel": "165"}))
    link.pump()
    assert "configure failed" in link.remote.warning
    assert any("refused the channel change" in m.text and m.flags == ERROR
               for m in link.server.bus.messages())


def test_pause_drops_frames_and_close_shuts_the_sensor_down() -> None:
    link = Link()
    link.remote.pause()
    link.system.inject("wlan0mon", radiotap_beacon(2412), ts=1_700_000_200.0)
    link.fd.poll()
    link.pump()
    assert link.remote.num_packets == 0
    link.remote.resume()
    link.remote.close()
    link.pump()
    assert link.closed and link.sensor.source is None
    assert link.remote.record()["kismet.datasource.running"] == 0
    with pytest.raises(SourceStateError, match="not connected"):
        link.remote.set_channel("1")


def test_a_lost_sensor_leaves_an_error_and_the_same_source_comes_back() -> None:
    link = Link()
    first = link.remote
    link.session.connection_lost("connection reset")
    link.sensor.lost("connection reset")
    assert first.error and "disconnected: connection reset" in first.error_reason
    assert not first.capturing
    again = Link.__new__(Link)
    again.__dict__.update(link.__dict__)
    again.to_server, again.to_sensor = deque(), deque()
    again.session = link.capture.session("192.0.2.8", again.to_sensor.append, again._close,
                                         "websocket")
    link.sensor.connected(again.to_server.append, again._close)
    again.pump()
    assert again.remote is first
    assert first.capturing and not first.error and first.remote_ip == "192.0.2.8"
    assert first.connections == 2


def test_silent_peers_time_out() -> None:
    rig = make_rig()
    capture = RemoteCapture(sources=rig.tracker, bus=rig.bus, clock=rig.clock)
    dropped: list[bool] = []
    capture.session("192.0.2.9", lambda data: None, lambda: dropped.append(True), "tcp")
    rig.clock.advance(HANDSHAKE_TIMEOUT)
    assert dropped and capture.dropped == 1 and not capture.sessions
    link = Link()
    link.server.clock.advance(PING_INTERVAL)
    assert link.to_sensor  # a PING
    link.pump()  # ... answered
    assert not link.closed
    link.server.clock.advance(PEER_TIMEOUT + PING_INTERVAL)  # the sensor went quiet
    assert link.closed and link.remote.error
    assert "nothing heard from the sensor for 30 seconds" in link.remote.error_reason


def test_sensor_arguments_follow_kismet_capture_tools() -> None:
    ws = parse_args(["--connect", "ws://10.0.0.1:2501", "--user", "u", "--password", "p w",
                     "--source", "wlan0"])
    assert ws.url == "ws://10.0.0.1:2501/datasource/remote/remotesource.ws?user=u&password=p%20w"
    key = parse_args(["--connect", "10.0.0.1:2501", "--apikey", "K", "--source", "wlan0"])
    assert key.scheme == "ws" and key.url.endswith("remotesource.ws?KISMET=K")
    tcp = parse_args(["--connect", "10.0.0.1:3501", "--source", "wlan0", "--fixed-gps",
                      "48.1,11.5"])
    assert (tcp.scheme, tcp.host, tcp.port, tcp.gps) == ("tcp", "10.0.0.1", 3501,
                                                         [48.1, 11.5, 0.0])
    for bad in (["--connect", "nowhere", "--source", "x"],
                ["--connect", "ws://h:1", "--source", "x"],
                ["--connect", "h:1", "--source", "x", "--user", "u"],
                ["--connect", "h:1", "--source", "x", "--fixed-gps", "north"]):
        with pytest.raises(SystemExit):
            parse_args(bad)


def test_the_installed_entry_point_is_the_sensor() -> None:
    from importlib.metadata import entry_points

    (point,) = [p for p in entry_points(group="console_scripts") if p.name == "kismet_tx-capture"]
    assert point.value == "kismet_tx.capture.sensor:main"


def test_a_sensor_position_is_kept_and_nonsense_positions_drop_the_sensor() -> None:
    link = Link()
    packet = {"dlt": 127, "ts_s": 1, "ts_us": 0, "content": radiotap_beacon(2412)}
    gps = {"lat": 48.1, "lon": 11.5, "alt": 520.0, "fix": 3, "name": "mast"}
    link.session.data_received(encode(Message("PACKET", {"packet": packet, "gps": gps}, 90), V3))
    assert link.remote.sensor_gps == (48.1, 11.5, 520.0, 3, "mast")
    assert not link.closed and link.remote.num_packets == 1
    off = {"lat": 148.1, "lon": 11.5}
    link.session.data_received(encode(Message("PACKET", {"packet": packet, "gps": off}, 91), V3))
    assert link.closed
    assert "off the globe" in " ".join(m.text for m in link.server.bus.messages())
