"""End to end: real twistd servers export to a real rabbitmq-server; one aggregates.

A consumer in the test counts what arrives on the topic exchange. The broker is
a private ``rabbitmq-server`` node (tests/e2e/rabbit.py).
"""

from __future__ import annotations

import queue
import re
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import orjson
import pika
import pytest
import requests

from tests.e2e.conftest import REPO, RunningServer, start_server, stop_server
from tests.e2e.rabbit import Broker, running_broker

DATA = REPO / "tests" / "data"
ALERTING = DATA / "wifite2_handshake_not_exists.cap"
OTHER = DATA / "aircrack-ng_n-02.cap"
EXCHANGE = "kismet"


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    """A private rabbitmq-server for the test."""
    yield from running_broker(tmp_path)


class Consumer:
    """A queue bound to the exchange, read with pika's blocking client."""

    def __init__(self, broker: Broker, binding: str = "kismet.#") -> None:
        self.connection = pika.BlockingConnection(pika.URLParameters(broker.url))
        self.channel = self.connection.channel()
        self.channel.exchange_declare(EXCHANGE, exchange_type="topic", durable=True)
        self.queue = self.channel.queue_declare("", exclusive=True).method.queue
        self.channel.queue_bind(self.queue, EXCHANGE, routing_key=binding)

    def messages(self, timeout: float = 60.0) -> Iterator[tuple[str, dict, bytes]]:
        """(routing key, headers, body) as they arrive; ends after ``timeout`` of silence."""
        for method, properties, body in self.channel.consume(
                self.queue, auto_ack=True, inactivity_timeout=timeout):
            if method is None:
                return
            yield method.routing_key, properties.headers or {}, body

    def close(self) -> None:
        self.connection.close()


def device_keys(server: RunningServer) -> set[str]:
    reply = requests.post(f"{server.url}/devices/views/all/devices.json",
                          json={"fields": ["kismet.device.base.key"]}, timeout=30)
    return {row["kismet.device.base.key"] for row in reply.json()}


def exporter_conf(broker: Broker, name: str, extra: str = "") -> str:
    return (f"server_name={name}\namqp_url={broker.url}\namqp_exchange={EXCHANGE}\n"
            f"amqp_device_interval=0.5\namqp_reconnect=1\nremote_capture_enabled=false\n"
            + extra)


def test_every_alert_and_the_device_updates_reach_the_broker(
        tmp_path: Path, broker: Broker) -> None:
    consumer = Consumer(broker)
    server = start_server(tmp_path, "-c", f"{ALERTING}:name=replay",
                          conf=exporter_conf(broker, "sensor one"))
    try:
        server.read_log_until(r"Data source 'replay' .*finished replaying")
        alerts = requests.get(f"{server.url}/alerts/all_alerts.json", timeout=30).json()
        expected_alerts = sorted((a["kismet.alert.header"], a["kismet.alert.hash"])
                                 for a in alerts)
        devices = device_keys(server)
        assert len(expected_alerts) >= 2 and len(devices) > 30
        got_alerts, got_devices, messages = [], set(), []
        for key, headers, body in consumer.messages():
            record = orjson.loads(body)
            assert headers["kismet.server.name"] == "sensor one"
            if headers["kind"] == "alert":
                assert key == f"kismet.sensor_one.alert.{record['kismet.alert.header']}"
                got_alerts.append((record["kismet.alert.header"], record["kismet.alert.hash"]))
            elif headers["kind"] == "device":
                assert key == "kismet.sensor_one.device.IEEE802_11"
                got_devices.add(record["kismet.device.base.key"])
            elif headers["kind"] == "message":
                assert key.startswith("kismet.sensor_one.message.")
                messages.append(record["kismet.messagebus.message_string"])
            if sorted(got_alerts) == expected_alerts and got_devices >= devices:
                break
        assert sorted(got_alerts) == expected_alerts
        assert got_devices == devices
        assert any("finished replaying" in text for text in messages)
    finally:
        consumer.close()
        assert stop_server(server) == 0


def test_a_broker_restart_mid_replay_is_buffered_counted_and_survived(
        tmp_path: Path, broker: Broker) -> None:
    server = start_server(tmp_path, "-c", f"{ALERTING}:name=replay,realtime=true,loop=true",
                          conf=exporter_conf(broker, "restarts", "amqp_queue_limit=3\n"))
    try:
        server.read_log_until(r"AMQP exporter connected to 127\.0\.0\.1")
        broker.stop()
        server.read_log_until(r"AMQP exporter lost the broker")
        server.read_log_until(r"AMQP exporter cannot reach 127\.0\.0\.1")
        broker.start()
        line = server.read_log_until(
            r"AMQP exporter connected .*\(\d+ messages queued, [1-9]\d* dropped so far\)")
        dropped = int(re.search(r"(\d+) dropped so far", line).group(1))  # type: ignore[union-attr]
        assert dropped > 0
        consumer = Consumer(broker, "kismet.restarts.device.#")
        try:
            key, headers, body = next(consumer.messages())
            assert orjson.loads(body)["kismet.device.base.key"] in device_keys(server)
        finally:
            consumer.close()
        status = requests.get(f"{server.url}/export/status.json", timeout=30,
                              auth=(server.username, server.password)).json()
        (amqp,) = status["kismet.export.publishers"]
        assert amqp["kind"] == "amqp" and amqp["connected"] and amqp["connections"] == 2
        assert amqp["dropped"] >= dropped and amqp["confirmed"] > 0
        assert status["kismet.export.devices"] > 0
    finally:
        assert stop_server(server) == 0


def test_two_servers_replay_into_one_aggregate_view(tmp_path: Path, broker: Broker) -> None:
    for name in ("agg", "north", "south"):
        (tmp_path / name).mkdir()
    aggregator = start_server(
        tmp_path / "agg", conf=f"aggregate_enabled=true\naggregate_amqp_url={broker.url}\n"
                               "remote_capture_enabled=false\n")
    sensors: list[RunningServer] = []
    consumer = Consumer(broker, "kismet.*.device.#")
    try:
        aggregator.read_log_until(r"AMQP aggregate consumer connected")
        for name, capture in (("north", ALERTING), ("south", OTHER)):
            sensors.append(start_server(tmp_path / name, "-c", f"{capture}:name={name}",
                                        conf=exporter_conf(broker, name)))
        expected = {}
        for name, server in zip(("north", "south"), sensors, strict=True):
            server.read_log_until(rf"Data source '{name}' .*finished replaying")
            expected[name] = device_keys(server)
        seen: dict[str, set[str]] = {"north": set(), "south": set()}
        for _, headers, body in consumer.messages():
            seen[headers["kismet.server.name"]].add(orjson.loads(body)["kismet.device.base.key"])
            if all(seen[n] >= expected[n] for n in seen):
                break
        # A marker after the sensors' records: once the aggregator has it, it has them all.
        consumer.channel.basic_publish(
            EXCHANGE, "kismet.marker.device.x",
            orjson.dumps({"kismet.device.base.key": "MARKER"}),
            pika.BasicProperties(headers={"kismet.server.name": "marker"}))
        aggregator.read_log_until(r"Aggregate view: first device records from 'marker'")
        rows = requests.post(f"{aggregator.url}/aggregate/devices.json",
                             json={"fields": ["kismet.device.base.key", "kismet.server.name"]},
                             timeout=30).json()
        by_server: dict[str, set[str]] = {}
        for row in rows:
            by_server.setdefault(row["kismet.server.name"], set()).add(
                row["kismet.device.base.key"])
        assert by_server == {**expected, "marker": {"MARKER"}}
        servers = requests.get(f"{aggregator.url}/aggregate/servers.json", timeout=30).json()
        assert {s["kismet.server.name"]: s["kismet.aggregate.devices"] for s in servers} == {
            "north": len(expected["north"]), "south": len(expected["south"]), "marker": 1}
    finally:
        consumer.close()
        for server in sensors:
            stop_server(server)
        stop_server(aggregator)


@pytest.mark.parametrize("conf", ["amqp_url=http://x/\n", "amqp_device_interval=0\n"
                                  "amqp_url=amqp://127.0.0.1/\n", "aggregate_enabled=true\n"])
def test_bad_bus_settings_stop_the_server_with_the_key_named(tmp_path: Path, conf: str) -> None:
    with pytest.raises(AssertionError, match="amqp_url|amqp_device_interval|aggregate_enabled"):
        start_server(tmp_path, conf=conf)


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[int]:
    """A private mosquitto on a free loopback port; yields the port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                    f"log_dest stderr\nlog_type all\n")
    process = subprocess.Popen(["mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    try:
        assert process.stderr is not None
        for raw in process.stderr:  # readiness: "running", logged once it listens
            if b" running" in raw:
                break
        else:
            raise AssertionError("mosquitto did not start")
        threading.Thread(target=lambda: process.stderr.read(), daemon=True).start()
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_same_records_go_to_mqtt(tmp_path: Path, mosquitto: int) -> None:
    import paho.mqtt.client as mqtt

    received: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
    subscribed = threading.Event()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.on_connect = lambda c, *_: c.subscribe("kismet/#", qos=1)
    client.on_subscribe = lambda *_: subscribed.set()
    client.on_message = lambda c, u, message: received.put(message)
    client.connect("127.0.0.1", mosquitto)
    client.loop_start()
    server = None
    try:
        assert subscribed.wait(30)
        server = start_server(tmp_path, "-c", f"{ALERTING}:name=replay",
                              conf=f"server_name=mqtt one\nmqtt_url=mqtt://127.0.0.1:{mosquitto}\n"
                                   "amqp_device_interval=0.5\nremote_capture_enabled=false\n")
        server.read_log_until(r"Data source 'replay' .*finished replaying")
        devices = device_keys(server)
        alerts = {a["kismet.alert.header"]
                  for a in requests.get(f"{server.url}/alerts/all_alerts.json", timeout=30).json()}
        seen_devices: set[str] = set()
        seen_alerts: set[str] = set()
        while not (seen_devices >= devices and seen_alerts >= alerts):
            message = received.get(timeout=60)
            kind = message.topic.split("/")[2]
            record = orjson.loads(message.payload)
            props = dict(message.properties.UserProperty)
            assert props["kismet.server.name"] == "mqtt one" and props["kind"] == kind
            if kind == "device":
                assert message.topic == "kismet/mqtt_one/device/IEEE802_11"
                seen_devices.add(record["kismet.device.base.key"])
            elif kind == "alert":
                seen_alerts.add(record["kismet.alert.header"])
        assert seen_devices == devices and seen_alerts == alerts
    finally:
        client.loop_stop()
        client.disconnect()
        if server is not None:
            assert stop_server(server) == 0
