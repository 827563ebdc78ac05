"""The datasource a remote sensor feeds (see :mod:`kismet_tx.capture.remote`).

It is a full :class:`~kismet_tx.capture.datasource.Datasource`: listed with the
local ones, its set_channel and hop go to the sensor as configure requests,
pause and resume act on the server, close shuts the sensor down, and it keeps
its UUID, counters and settings across reconnects.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeGuard

from twisted.application.service import Service

from kismet_tx.capture.channelspec import ChannelError, WifiChannel, parse_channel
from kismet_tx.capture.datasource import Datasource
from kismet_tx.capture.external.frames import V3, Message, ProtocolError
from kismet_tx.capture.sourcecommands import SourceStateError
from kismet_tx.capture.sourcerecord import DriverInfo
from kismet_tx.capture.system import CaptureError
from kismet_tx.fields import FieldDef
from kismet_tx.messagebus import ERROR

if TYPE_CHECKING:
    from kismet_tx.capture.remote import RemoteSession

REMOTE_FIELDS = (
    FieldDef("kismet.datasource.remote_ip", "string", "remote sensor address"),
    FieldDef("kismet.datasource.remote_protocol", "uint8",
             "external protocol framing the sensor speaks (0, 2 or 3; kismet_tx)"),
)


class RemoteSource(Datasource):
    """A datasource fed by a sensor over the external protocol."""

    retry_by_default = False

    def __init__(self, *, sourcetype: str,
                 gps_listeners: list[Callable[[RemoteSource], None]] | None = None,
                 **common: Any) -> None:
        super().__init__(**common)
        #: The sensor's last report: (lat, lon, alt, fix, GPS name), or None.
        self.sensor_gps: tuple[float, float, float, int, str] | None = None
        self._gps_listeners = gps_listeners if gps_listeners is not None else []
        self._gps_announced = False
        tunable = sourcetype != "pcapfile"
        self.driver = DriverInfo(
            type=sourcetype or "remote", description=f"remote {sourcetype or 'capture'} source",
            local_capable=False, tune_capable=tunable, hop_capable=tunable)
        self.sourcetype = sourcetype
        self.session: RemoteSession | None = None
        self.remote_ip = ""
        self.remote_protocol = V3
        #: Sensor connections so far (1 on the first, 2 after a reconnect, ...).
        self.connections = 0
        self._frequencies: frozenset[int] = frozenset()

    def startService(self) -> None:
        # Not opened here: the sensor's open report opens it (:meth:`attach`).
        Service.startService(self)

    def record(self) -> dict[str, Any]:
        record = super().record()
        driver = record["kismet.datasource.type_driver"]
        driver["kismet.datasource.driver.remote_capable"] = 1
        record["kismet.datasource.remote"] = 1
        record["kismet.datasource.remote_ip"] = self.remote_ip
        record["kismet.datasource.remote_protocol"] = self.remote_protocol
        return record

    # -- the sensor -------------------------------------------------------------

    def attach(self, session: RemoteSession, report: dict[str, Any]) -> None:
        """A sensor opened this source: take its report and start capturing."""
        if self.session is not None and self.session is not session:
            self.session.drop("replaced by a new connection of the same source")
        self.session = session
        self.remote_ip = session.peer
        self.remote_protocol = session.version
        self.dlt = int(report.get("dlt") or 0)
        self.capture_interface = str(report.get("capif") or self.interface)
        self.hardware = str(report.get("hardware") or "")
        self.warning = str(report.get("warning") or "")
        self.channels = [str(c) for c in report.get("channels") or []]
        self._frequencies = frozenset(
            spec.freq_mhz for spec in map(_channel_or_none, self.channels) if spec)
        self._apply_config(report)
        self.enabled = True
        self.connections += 1
        self.post(f"sensor {self.remote_ip} connected over {session.transport}, "
                  f"v{session.version} framing (connection {self.connections})")
        if not self.capturing:
            self.retry_attempts = 0
            self._try_open()

    def detach(self, session: RemoteSession, reason: str) -> None:
        """The sensor's connection ended."""
        if session is not self.session:
            return
        self.session = None
        if self.capturing:
            self.fail(f"remote sensor {self.remote_ip} disconnected: {reason}")

    def _enter_error(self, reason: str) -> None:
        self.error = True
        self.error_reason = reason
        self._notify("error")
        self.post(f"error: {reason}; waiting for the sensor to connect again", ERROR)

    def _apply_config(self, report: dict[str, Any]) -> None:
        hop = report.get("hop")
        if isinstance(hop, dict) and hop.get("channels"):
            self.hop_channels = [str(c) for c in hop["channels"]]
            if isinstance(hop.get("rate"), int | float) and hop["rate"] > 0:
                self.hop_rate = float(hop["rate"])
            self.hop_shuffle = bool(hop.get("shuffle", self.hop_shuffle))
            self.hopping = True
            self.channel = ""
        elif report.get("channel"):
            self.channel = str(report["channel"])
            self.hopping = False

    @staticmethod
    def parse_gps(block: Any) -> tuple[float, float, float, int, str]:
        """A sensor's GPS block (``--fixed-gps`` or its own receiver) as a position."""
        if not isinstance(block, dict):
            raise ProtocolError("GPS block is not a map")
        lat, lon = block.get("lat"), block.get("lon")
        alt, fix = block.get("alt", 0.0), block.get("fix", 3)
        if not (_finite(lat) and _finite(lon) and _finite(alt)) or not isinstance(fix, int):
            raise ProtocolError("GPS block without numeric lat, lon, alt and fix")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ProtocolError(f"GPS position {lat}, {lon} is off the globe")
        name = block.get("name")
        return float(lat), float(lon), float(alt), fix, name if isinstance(name, str) else "remote"

    def set_gps(self, reported: tuple[float, float, float, int, str]) -> None:
        """The sensor moved (or reported its first position)."""
        lat, lon, _, fix, name = reported
        self.sensor_gps = reported
        if fix >= 2 and not self._gps_announced:
            self._gps_announced = True
            self.post(f"the sensor reports its position ({lat:.5f}, {lon:.5f}, GPS '{name}'); "
                      "its packets carry it")
            for listener in list(self._gps_listeners):
                listener(self)

    def configured(self, message: Message) -> None:
        """The sensor answered a configure request."""
        if message.code != 0:
            text = message.body.get("msg") or "refused"
            self.warning = f"configure failed: {text}"
            self.post(f"the sensor refused the channel change: {text}", ERROR)
            return
        self._apply_config(message.body)

    # -- driver hooks -------------------------------------------------------------

    def _start_capture(self) -> None:
        if self.session is None:
            raise CaptureError("the remote sensor is not connected")

    def _stop_capture(self) -> None:
        session, self.session = self.session, None
        if session is not None and not self.enabled:
            session.shutdown("source closed by the server")

    def supported_frequencies(self) -> frozenset[int]:
        return self._frequencies

    def _lock_channel(self, spec: WifiChannel) -> None:
        session = self.session
        if session is None:
            raise SourceStateError("the remote sensor is not connected")
        session.send(Message("CONFIGREQ", {"channel": spec.text}))
        self.channel = spec.text
        self.hopping = False

    def _start_hopping(self, specs: list[WifiChannel] | None, rate: float | None,
                       shuffle: bool | None) -> None:
        session = self.session
        if session is None:
            raise SourceStateError("the remote sensor is not connected")
        channels = [s.text for s in specs] if specs is not None else list(self.hop_channels)
        hop = {"channels": channels, "rate": rate if rate is not None else self.hop_rate,
               "shuffle": self.hop_shuffle if shuffle is None else shuffle}
        session.send(Message("CONFIGREQ", {"hop": hop}))
        self._apply_config({"hop": hop})

    # -- frames -------------------------------------------------------------------

    def deliver_frames(self, dlt: int, buffer: bytes, meta: bytes) -> None:
        """One run of same-link-type packets from the sensor."""
        self.dlt = dlt
        self.deliver((buffer, meta))


def _finite(value: object) -> TypeGuard[float]:
    """A finite int or float (not a bool)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _channel_or_none(text: str) -> WifiChannel | None:
    try:
        return parse_channel(text)
    except ChannelError:
        return None
