"""The packet chain's stages filled, in the order of ``chain.STAGES``.

``sensorgps`` (``builders/capture.py``), ``plugins``, ``kismetdb`` and ``export``
subscribe themselves at their stage when they start.
"""

from __future__ import annotations

from kismet_tx.alerts.alertsystem import AlertSystem
from kismet_tx.chain import PacketChain, stage_position
from kismet_tx.channels import ChannelTracker
from kismet_tx.gps.manager import GpsTracker
from kismet_tx.streams.registry import StreamRegistry
from kismet_tx.tracker import Tracking


def fill_chain(chain: PacketChain, *, gps: GpsTracker, devices: Tracking,
               channels: ChannelTracker, alerts: AlertSystem,
               streams: StreamRegistry) -> None:
    """Register each subscriber the service owns by its stage name."""
    # First: every later stage sees packet.location (off while there is no fix).
    gps.attach(chain, "gps")
    chain.register("devices", devices.dot11.handle)
    chain.register("channels", channels)
    # After the device tracker, so the devices an alert counts against exist.
    chain.register("alerts", alerts.wids.handle)
    alerts.device_watch.attach(chain, "devicewatch", priority=stage_position("devicewatch"))
    # Streams and logs see each packet after every tracker (Kismet's logging position).
    # A batch stage: the feeds encode a whole batch in one loop. Off while no stream is open.
    chain.register("streams", streams.feed_batch, batch=True)
    chain.set_enabled("streams", streams.active)
    streams.listeners.append(lambda active: chain.set_enabled("streams", active))
