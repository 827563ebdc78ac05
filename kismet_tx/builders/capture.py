"""The capture floor: the datasource tracker, remote capture and sensors' positions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kismet_tx.capture.datasourcetracker import DatasourceTracker
from kismet_tx.capture.remote import REMOTE_FIELDS
from kismet_tx.capture.remotecapture import RemoteCaptureService
from kismet_tx.capture.sourcecommands import parse_rate
from kismet_tx.capture.sourcerecord import SourceDefaults
from kismet_tx.capture.system import CaptureSystem
from kismet_tx.chain import PacketChain
from kismet_tx.config import Config
from kismet_tx.configfile import ConfigError
from kismet_tx.fields import FieldRegistry
from kismet_tx.gps.sensor import SensorGps
from kismet_tx.messagebus import MessageBus


def source_defaults(config: Config) -> SourceDefaults:
    """Datasource defaults from ``channel_hop``, ``channel_hop_speed`` and friends."""
    speed = config.get("channel_hop_speed")
    try:
        rate = parse_rate(speed) if speed else SourceDefaults().hop_rate
    except ValueError as exc:
        raise ConfigError(f"{config.origin('channel_hop_speed')}: channel_hop_speed: "
                          f"{exc}") from None
    remote = config.get_bool("remote_capture_enabled", True)
    return SourceDefaults(
        hop=config.get_bool("channel_hop", True),
        hop_rate=rate,
        split=config.get_bool("split_source_hopping", False),
        random_order=config.get_bool("randomized_hopping", False),
        retry_on_error=config.get_bool("retry_on_source_error", True),
        remote_listen=(config.get("remote_capture_listen", "127.0.0.1") or "127.0.0.1")
        if remote else "",
        remote_port=config.get_int("remote_capture_port", 3501) if remote else 0,
    )


@dataclass
class CaptureFloor:
    """Every datasource, the remote capture listener, and sensors' reported positions."""

    sources: DatasourceTracker
    remote: RemoteCaptureService
    sensor_gps: SensorGps


def build_capture(config: Config, reactor: Any, bus: MessageBus, fields: FieldRegistry,
                  chain: PacketChain, system: CaptureSystem | None) -> CaptureFloor:
    """Sources feed ``chain``; ``system`` is the hardware (Linux unless given)."""
    if system is None:
        from kismet_tx.capture.linux import LinuxCaptureSystem

        system = LinuxCaptureSystem()
    sources = DatasourceTracker(clock=reactor, reactor=reactor, bus=bus, sink=chain.sink,
                                system=system, defaults=source_defaults(config))
    fields.register(REMOTE_FIELDS)
    remote = RemoteCaptureService(config, sources, bus, reactor)
    # The sensor tagger subscribes itself at the chain's ``sensorgps`` stage.
    sensor_gps = SensorGps(chain, "sensorgps")
    remote.capture.gps_listeners.append(sensor_gps.enable)
    return CaptureFloor(sources, remote, sensor_gps)
