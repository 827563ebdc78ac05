"""The datasource base: one capture as a Twisted ``Service`` with Kismet's record.

A datasource opens its capture when started, hands every batch of frames to
its sink (the packet chain) and keeps the ``kismet.datasource.*`` record of
Part B 2.4. Every state change (open, close, pause, resume, error, retry)
posts a message on the bus. A capture that fails goes to the error state and,
with ``retry`` on, is re-opened on a backoff: 5 s, 10 s, 20 s, 40 s, then every
60 s until it opens or is closed.

Commands that do not fit the current state raise
:class:`~kismet_tx.capture.sourcecommands.SourceStateError`, unusable arguments
:class:`~kismet_tx.capture.sourcecommands.SourceCommandError`; both are raised
before anything changes.  The record's fields are in :mod:`.sourcerecord`.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

from twisted.application.service import Service
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger

from kismet_tx import __version__
from kismet_tx.capture.channelspec import ChannelError, WifiChannel, parse_channel
from kismet_tx.capture.sourcecommands import (
    SourceCommandError,
    SourceIncapable,
    SourceOptions,
    SourceStateError,
    check_hop_rate,
)
from kismet_tx.capture.sourcerecord import DriverInfo, SourceDefaults, source_key
from kismet_tx.capture.system import CaptureError, FrameBatch, batch_len
from kismet_tx.messagebus import ERROR, INFO, MessageBus
from kismet_tx.rrd import Rrd

_log = Logger(namespace="kismet_tx.capture")

#: Retry delays after consecutive failures, seconds; the last one repeats.
RETRY_DELAYS = (5.0, 10.0, 20.0, 40.0, 60.0)

#: ``sink(source, dlt, batch)`` hands a batch to the packet chain and returns
#: how many of its frames were error packets (bad FCS, malformed).
PacketSink = Callable[["Datasource", int, FrameBatch], int]


class Datasource(Service, ABC):
    """The common life of every capture; drivers implement the ``_*_capture`` hooks."""

    #: What this source type is and can do; a class attribute unless a source sets its own.
    driver: DriverInfo
    #: ``retry`` when the definition does not say; None follows the defaults.
    retry_by_default: ClassVar[bool | None] = None

    def __init__(
        self,
        *,
        interface: str,
        options: SourceOptions,
        definition: str,
        uuid: str,
        number: int,
        clock: IReactorTime,
        bus: MessageBus,
        sink: PacketSink,
        defaults: SourceDefaults,
    ) -> None:
        self.uuid = uuid.upper()
        self.setName(self.uuid)
        self.number = number
        self.interface = interface
        self.capture_interface = interface
        self.definition = definition
        self.source_name = options.text("name") or interface
        self.hardware = ""
        self._clock = clock
        self._bus = bus
        self._sink = sink
        self.defaults = defaults
        default_retry = self.retry_by_default
        self.retry = options.flag(
            "retry", defaults.retry_on_error if default_retry is None else default_retry
        )
        self.info = {
            "antenna_type": options.text("info_antenna_type", "") or "",
            "antenna_gain": options.number("info_antenna_gain", 0.0),
            "antenna_orientation": options.number("info_antenna_orientation", 0.0),
            "antenna_beamwidth": options.number("info_antenna_beamwidth", 0.0),
            "amp_type": options.text("info_amp_type", "") or "",
            "amp_gain": options.number("info_amp_gain", 0.0),
        }
        options.text("type")
        options.text("uuid")
        self.enabled = True
        self.capturing = False
        self.paused = False
        self.error = False
        self.error_reason = ""
        self.warning = ""
        self.retry_attempts = 0
        self.total_retry_attempts = 0
        self.num_packets = 0
        self.num_error_packets = 0
        self.packets_rrd = Rrd(aggregate_sum=True)
        self.datasize_rrd = Rrd(aggregate_sum=True)
        self.dlt = 0
        self.channel = ""
        self.channels: list[str] = []
        self.hop_channels: list[str] = []
        self.hopping = False
        self.hop_rate = defaults.hop_rate
        self.hop_shuffle = defaults.random_order
        self._retry_call: IDelayedCall | None = None
        #: The capture's address when it comes from a remote capture, else "".
        self.remote_ip = ""
        #: Called with (source, "opened" | "closed" | "error") on each state change.
        self.state_listeners: list[Callable[[Datasource, str], None]] = []

    # -- reporting ------------------------------------------------------------

    def post(self, text: str, flags: int = INFO) -> None:
        """Post a message about this source on the bus."""
        self._bus.post(f"Data source '{self.source_name}' ({self.interface}): {text}", flags)

    def record(self) -> dict[str, Any]:
        """The ``kismet.datasource.*`` record."""
        return {
            "kismet.datasource.uuid": self.uuid,
            "kismet.datasource.source_key": source_key(self.uuid),
            "kismet.datasource.source_number": self.number,
            "kismet.datasource.name": self.source_name,
            "kismet.datasource.definition": self.definition,
            "kismet.datasource.interface": self.interface,
            "kismet.datasource.capture_interface": self.capture_interface,
            "kismet.datasource.hardware": self.hardware,
            "kismet.datasource.type_driver": self.driver.record(),
            "kismet.datasource.paused": int(self.paused),
            "kismet.datasource.running": int(self.capturing),
            "kismet.datasource.remote": 0,
            "kismet.datasource.passive": 0,
            "kismet.datasource.dlt": self.dlt,
            "kismet.datasource.linktype_override": 0,
            "kismet.datasource.datasource_version": __version__,
            "kismet.datasource.ipc_pid": os.getpid(),
            "kismet.datasource.remote_ip": self.remote_ip,
            "kismet.datasource.warning": self.warning,
            "kismet.datasource.channels": list(self.channels),
            "kismet.datasource.hopping": int(self.hopping),
            "kismet.datasource.channel": self.channel,
            "kismet.datasource.hop_rate": self.hop_rate,
            "kismet.datasource.hop_channels": list(self.hop_channels),
            "kismet.datasource.hop_split": int(self.defaults.split),
            "kismet.datasource.hop_offset": 0,
            "kismet.datasource.hop_shuffle": int(self.hop_shuffle),
            "kismet.datasource.hop_shuffle_skip": 0,
            "kismet.datasource.error": int(self.error),
            "kismet.datasource.error_reason": self.error_reason,
            "kismet.datasource.num_packets": self.num_packets,
            "kismet.datasource.num_error_packets": self.num_error_packets,
            "kismet.datasource.packets_rrd": self.packets_rrd.record(self._clock.seconds()),
            "kismet.datasource.packets_datasize_rrd":
                self.datasize_rrd.record(self._clock.seconds()),
            "kismet.datasource.retry": int(self.retry),
            "kismet.datasource.retry_attempts": self.retry_attempts,
            "kismet.datasource.total_retry_attempts": self.total_retry_attempts,
            **{f"kismet.datasource.info.{key}": value for key, value in self.info.items()},
        }

    # -- service --------------------------------------------------------------

    def startService(self) -> None:
        Service.startService(self)
        if self.enabled and not self.capturing:
            self._try_open()

    def stopService(self) -> Any:
        self._cancel_retry()
        if self.capturing:
            self._stop_capture()
            self.capturing = False
        return Service.stopService(self)

    # -- commands -------------------------------------------------------------

    def open(self) -> None:
        """Open a closed (or failed) source; ``open_source``/``enable_source``."""
        if self.capturing:
            raise SourceStateError("source already running")
        self.enabled = True
        self.retry_attempts = 0
        self._cancel_retry()
        self._try_open()

    def close(self) -> None:
        """Stop capturing and cancel any re-open; ``close_source``/``disable_source``."""
        was_running = self.capturing
        self.enabled = False
        self._cancel_retry()
        if was_running:
            self._stop_capture()
        self.capturing = False
        self.paused = False
        self.post("closed; it will not be re-opened until opened again")
        self._notify("closed")

    def pause(self) -> None:
        """Stop processing packets, keeping the capture open."""
        if self.paused:
            raise SourceStateError("Source already paused")
        if not self.capturing:
            raise SourceStateError("source is not running")
        self.paused = True
        self._pause_capture()
        self.post("paused")

    def resume(self) -> None:
        """Process packets again after :meth:`pause`."""
        if not self.paused:
            raise SourceStateError("Source already running")
        self.paused = False
        self._resume_capture()
        self.post("resumed")

    def set_channel(self, channel: str) -> None:
        """Lock to one channel (stops hopping)."""
        self._require_tuning()
        spec = self.check_channel(channel)
        self._lock_channel(spec)

    def set_hopping(
        self, channels: list[str] | None, rate: float | None, shuffle: bool | None
    ) -> None:
        """Hop over ``channels`` at ``rate``; None keeps the current value."""
        self._require_tuning()
        if not self.driver.hop_capable:
            raise SourceIncapable(f"a {self.driver.type} source cannot hop channels")
        specs = [self.check_channel(c) for c in channels] if channels is not None else None
        if specs is not None and not specs:
            raise SourceCommandError("the channel list is empty")
        if rate is not None:
            check_hop_rate(rate)
        if specs is None and not self.hop_channels:
            raise SourceCommandError("no channels to hop over: give 'channels'")
        self._start_hopping(specs, rate, shuffle)

    def resume_hopping(self) -> None:
        """Hop again over the existing list (``set_hop``)."""
        self.set_hopping(None, None, None)

    def check_channel(self, channel: object) -> WifiChannel:
        """Parse ``channel`` and check this source supports it."""
        try:
            spec = parse_channel(channel)
        except ChannelError as exc:
            raise SourceCommandError(str(exc)) from None
        supported = self.supported_frequencies()
        if supported and spec.freq_mhz not in supported:
            raise SourceCommandError(
                f"channel {spec.text} ({spec.freq_mhz} MHz) is not "
                f"supported by {self.capture_interface}"
            )
        return spec

    def supported_frequencies(self) -> frozenset[int]:
        """Frequencies this source can tune to (empty: unknown, not checked)."""
        return frozenset()

    def _require_tuning(self) -> None:
        if not self.driver.tune_capable:
            raise SourceIncapable(f"a {self.driver.type} source cannot change channels")

    # -- driver hooks -----------------------------------------------------------

    @abstractmethod
    def _start_capture(self) -> None:
        """Open the capture and begin delivering; raise CaptureError on failure."""

    @abstractmethod
    def _stop_capture(self) -> None:
        """Stop delivering and release the capture."""

    def _pause_capture(self) -> None:
        """Called on pause; by default frames keep arriving and are dropped."""

    def _resume_capture(self) -> None:
        """Called on resume."""

    def _lock_channel(self, spec: WifiChannel) -> None:
        raise SourceIncapable(f"a {self.driver.type} source cannot change channels")

    def _start_hopping(
        self, specs: list[WifiChannel] | None, rate: float | None, shuffle: bool | None
    ) -> None:
        raise SourceIncapable(f"a {self.driver.type} source cannot hop channels")

    # -- frames ---------------------------------------------------------------

    def deliver(self, batch: FrameBatch, *, origin: Any = None, dlt: int | None = None) -> None:
        """Hand a batch to the sink and count it (dropped while paused).

        A replay of a log hands its packets on as from the source that first
        captured them (``origin``: an object with ``uuid`` and ``source_name``)
        and with their own link type (``dlt``).
        """
        if self.paused or not self.capturing:
            return
        count = batch_len(batch)
        if not count:
            return
        errors = self._sink(self if origin is None else origin,
                            self.dlt if dlt is None else dlt, batch)
        self.num_packets += count
        self.num_error_packets += errors
        now = self._clock.seconds()
        self.packets_rrd.add(now, count)
        self.datasize_rrd.add(now, len(batch[0]))

    # -- state changes -----------------------------------------------------------

    def _try_open(self) -> bool:
        try:
            self._start_capture()
        except (CaptureError, OSError) as exc:
            self._enter_error(str(exc))
            return False
        self.capturing = True
        self.paused = False
        self.error = False
        self.error_reason = ""
        self.retry_attempts = 0
        self.post(
            f"opened ({self.driver.type}, capture interface {self.capture_interface}, "
            f"DLT {self.dlt})"
        )
        self._notify("opened")
        return True

    def fail(self, reason: str) -> None:
        """The running capture broke: release it, enter the error state, maybe retry."""
        if self.capturing:
            self._stop_capture()
        self.capturing = False
        self.paused = False
        self._enter_error(reason)

    def finish(self, text: str, error: str | None = None) -> None:
        """The capture came to its end (a file was read through); no retry.

        With ``error`` the source ends in the error state with that reason.
        """
        self._stop_capture()
        self.capturing = False
        self.paused = False
        if error is not None:
            self.error = True
            self.error_reason = error
            self.post(f"{text}: {error}", ERROR)
            self._notify("error")
        else:
            self.post(text)
        self._notify("closed")

    def _notify(self, state: str) -> None:
        for listener in list(self.state_listeners):
            try:
                listener(self, state)
            except Exception:
                _log.failure("datasource state listener failed")

    def _enter_error(self, reason: str) -> None:
        self.error = True
        self.error_reason = reason
        self._notify("error")
        if not (self.retry and self.enabled):
            self.post(f"error: {reason}; not configured to re-try, it will remain closed", ERROR)
            return
        self.retry_attempts += 1
        self.total_retry_attempts += 1
        delay = RETRY_DELAYS[min(self.retry_attempts, len(RETRY_DELAYS)) - 1]
        self.post(
            f"error: {reason}; will try to re-open in {delay:g} seconds "
            f"({self.retry_attempts} consecutive failures)",
            ERROR,
        )
        self._retry_call = self._clock.callLater(delay, self._retry)

    def _retry(self) -> None:
        self._retry_call = None
        if not self.enabled or self.capturing:
            return
        self.post("attempting to re-open")
        self._try_open()

    def _cancel_retry(self) -> None:
        if self._retry_call is not None and self._retry_call.active():
            self._retry_call.cancel()
        self._retry_call = None

    @property
    def retry_pending(self) -> bool:
        """A re-open is scheduled."""
        return self._retry_call is not None and self._retry_call.active()
