"""The tracking floor: GPS, devices, channels, streams and alerts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kismet_tx.alerts.alert import ALERT_FIELDS
from kismet_tx.alerts.alertsystem import AlertSystem, build_alerts
from kismet_tx.capture.datasourcetracker import DatasourceTracker
from kismet_tx.channels import ChannelTracker
from kismet_tx.config import Config
from kismet_tx.fields import FieldRegistry
from kismet_tx.gps.base import GPS_FIELDS
from kismet_tx.gps.location import LOCATION_FIELDS, LocationAggregate
from kismet_tx.gps.manager import GpsTracker
from kismet_tx.gps.pcapng import gps_option
from kismet_tx.messagebus import MessageBus
from kismet_tx.streams.pcapng import encode_options
from kismet_tx.streams.registry import STREAM_FIELDS, StreamRegistry
from kismet_tx.tracker import DEVICE_FIELDS, Tracking, build_tracking
from kismet_tx.tracker.oui import ManufDb


def gps_epb_options(packet: Any) -> bytes:
    """Encoded EPB options of a streamed packet: Kismet's GPS option when it has a fix."""
    location = getattr(packet, "location", None)
    if location is None:
        return b""
    option = gps_option(location)
    return b"" if option is None else encode_options((option,))


@dataclass
class TrackingFloor:
    """What the chain feeds before the datasources exist."""

    gps: GpsTracker
    devices: Tracking
    channels: ChannelTracker
    streams: StreamRegistry


def build_trackers(config: Config, reactor: Any, bus: MessageBus,
                   fields: FieldRegistry) -> TrackingFloor:
    """GPS, the device tracker, the channel tracker and the stream registry."""
    server_name = config.get("server_name", "Kismet") or "Kismet"
    fields.register(LOCATION_FIELDS + GPS_FIELDS)
    gps = GpsTracker(clock=reactor, reactor=reactor, bus=bus, server_name=server_name)
    fields.register(DEVICE_FIELDS)
    devices = build_tracking(
        reactor, ManufDb.load(),
        device_timeout=config.get_float("tracker_device_timeout", 0),
        max_devices=config.get_int("tracker_max_devices", 0),
        location_factory=LocationAggregate,
        track_rrds=config.get_bool("track_device_rrds", True))
    channels = ChannelTracker()
    fields.register(STREAM_FIELDS)
    streams = StreamRegistry(reactor, packet_options=gps_epb_options)
    return TrackingFloor(gps, devices, channels, streams)


def build_alert_system(config: Config, reactor: Any, bus: MessageBus, fields: FieldRegistry,
                       sources: DatasourceTracker, devices: Tracking) -> AlertSystem:
    """The alert tracker, WIDS and the device watch, counting against ``devices``."""
    fields.register(ALERT_FIELDS)
    alerts = build_alerts(config, reactor, bus, sources=sources.sources,
                          phys={phy.name: phy.phy_id for phy in devices.device_tracker.phys})
    alerts.count_on(devices.device_tracker.add_alert)
    return alerts
