"""The exporter and the aggregate consumer, built from the config.

Keys: ``amqp_url`` (``amqp://user:password@host:port/vhost``; empty: no
AMQP), ``mqtt_url`` (``mqtt://user:password@host:port``; empty: no MQTT; the
same records and settings, topics with ``/`` for ``.``), ``amqp_exchange``
(``kismet``), ``amqp_device_interval`` (5 s), ``amqp_packets`` (false),
``amqp_queue_limit`` (10000 messages), ``amqp_reconnect`` (5 s);
``aggregate_enabled`` (false), ``aggregate_amqp_url`` (default ``amqp_url``),
``aggregate_max_devices`` (200000).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pika

from kismet_tx.config import Config
from kismet_tx.configfile import ConfigError
from kismet_tx.export.aggregate import DEFAULT_MAX_DEVICES, AggregateConsumer, AggregateStore
from kismet_tx.export.amqp import DEFAULT_LIMIT, DEFAULT_RECONNECT, AmqpPublisher
from kismet_tx.export.feed import DEFAULT_INTERVAL, Exporter, FanOut, word
from kismet_tx.export.mqtt import MqttPublisher
from kismet_tx.messagebus import MessageBus

EXPORT_KEYS = frozenset({
    "amqp_url", "amqp_exchange", "amqp_device_interval", "amqp_packets", "amqp_queue_limit",
    "amqp_reconnect", "aggregate_enabled", "aggregate_amqp_url", "aggregate_max_devices",
    "mqtt_url",
})


def _url(config: Config, key: str, fallback: str = "") -> str:
    url = (config.get(key) or fallback).strip()
    if not url:
        return ""
    if not url.startswith("amqp://"):
        raise ConfigError(f"{key}: {url.split('@')[-1]!r} is not an amqp:// URL")
    try:
        parameters = pika.URLParameters(url)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{key}: not a usable AMQP URL: {exc}") from None
    if not parameters.host:
        raise ConfigError(f"{key}: the URL names no host")
    return url


def _positive(config: Config, key: str, default: float) -> float:
    value = config.get_float(key, default)
    if not value > 0:
        raise ConfigError(f"{key}: must be above 0, got {value!r}")
    return value


def build_export(config: Config, *, reactor: Any, bus: MessageBus, server_name: str,
                 devices: Callable[[], Any], record: Callable[[Any], Any],
                 encode: Callable[[Any], bytes], alert_listeners: list[Any],
                 chain: Any) -> Exporter | None:
    """The exporter, or None when neither ``amqp_url`` nor ``mqtt_url`` is set."""
    url = _url(config, "amqp_url")
    mqtt_url = (config.get("mqtt_url") or "").strip()
    if not url and not mqtt_url:
        return None
    limit = int(_positive(config, "amqp_queue_limit", DEFAULT_LIMIT))
    reconnect = _positive(config, "amqp_reconnect", DEFAULT_RECONNECT)
    publishers: list[Any] = []
    if url:
        publishers.append(AmqpPublisher(
            url=url, exchange=config.get("amqp_exchange", "kismet") or "kismet",
            reactor=reactor, bus=bus, limit=limit, reconnect_delay=reconnect))
    if mqtt_url:
        try:
            publishers.append(MqttPublisher(url=mqtt_url, reactor=reactor, bus=bus,
                                            client_id=f"kismet_tx-{word(server_name)}",
                                            limit=limit, reconnect_delay=reconnect))
        except ValueError as exc:
            raise ConfigError(f"mqtt_url: {exc}") from None
    publisher = publishers[0] if len(publishers) == 1 else FanOut(publishers)
    return Exporter(
        publisher=publisher, server_name=server_name, clock=reactor, devices=devices,
        record=record, encode=encode, bus=bus, alert_listeners=alert_listeners, chain=chain,
        packets=config.get_bool("amqp_packets", False),
        interval=_positive(config, "amqp_device_interval", DEFAULT_INTERVAL))


def build_aggregate(config: Config, *, reactor: Any,
                    bus: MessageBus) -> tuple[AggregateStore, AggregateConsumer | None]:
    """The aggregate store, and its consumer when ``aggregate_enabled`` is true."""
    store = AggregateStore(int(_positive(config, "aggregate_max_devices",
                                         DEFAULT_MAX_DEVICES)))
    if not config.get_bool("aggregate_enabled", False):
        return store, None
    url = _url(config, "aggregate_amqp_url", config.get("amqp_url") or "")
    if not url:
        raise ConfigError("aggregate_enabled: needs aggregate_amqp_url or amqp_url")
    consumer = AggregateConsumer(
        store=store, url=url, exchange=config.get("amqp_exchange", "kismet") or "kismet",
        reactor=reactor, bus=bus,
        reconnect_delay=_positive(config, "amqp_reconnect", DEFAULT_RECONNECT))
    return store, consumer
