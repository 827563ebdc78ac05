"""``linuxwifi``: live capture from a Linux interface, with nl80211 channel control.

Opening a wireless interface that is not in monitor mode first creates a
monitor interface on the same radio (``vif=`` option, default
``<interface>mon``) and captures there. The pcap handle is non-blocking and
its descriptor sits on the reactor (:class:`~kismet_tx.capture.reader.CaptureReader`).

Options: ``channel=6`` locks a channel; ``channels="1,6,11"`` sets the hop
list (default: every channel the radio supports); ``hop=true|false``;
``hop_rate=5/sec``; ``shuffle=true|false`` hops the list in a random order;
``vif=NAME``; ``batch=N`` frames per read (default 512).

An interface that is not wireless at all (a veth, an Ethernet port) is
captured in its own link type, with a warning and no channel control.
If the interface vanishes or reads fail, the source enters the error state
and re-opens on the retry backoff.
"""

from __future__ import annotations

import random
from typing import Any

from twisted.internet.interfaces import IReactorFDSet
from twisted.internet.task import LoopingCall

from kismet_tx.capture.channelspec import (
    ChannelError,
    WifiChannel,
    channel_text_for,
    parse_channel,
)
from kismet_tx.capture.channelspec import parse_channel_list as _parse_list
from kismet_tx.capture.datasource import Datasource
from kismet_tx.capture.reader import DEFAULT_BATCH, CaptureReader
from kismet_tx.capture.sourcecommands import SourceCommandError, SourceIncapable, SourceStateError
from kismet_tx.capture.sourcerecord import DriverInfo
from kismet_tx.capture.system import (
    CaptureError,
    CaptureHandle,
    CaptureSystem,
    InterfaceNotFound,
    WirelessInfo,
)
from kismet_tx.messagebus import ERROR
from kismet_tx.sourcedefinition import SourceDefinitionError

SNAPLEN = 65535
#: pcap packet buffer timeout; bounds the latency of a quiet interface.
TIMEOUT_MS = 50


class LinuxWifiSource(Datasource):
    """Captures from a live interface through the capture system."""

    driver = DriverInfo(
        "linuxwifi",
        "Linux Wi-Fi capture (pcap, nl80211 monitor mode)",
        list_capable=True,
        tune_capable=True,
        hop_capable=True,
        probe_capable=True,
    )

    def __init__(
        self,
        *,
        system: CaptureSystem,
        reactor: IReactorFDSet,
        rng: random.Random | None = None,
        **base: Any,
    ) -> None:
        super().__init__(**base)
        options = base["options"]
        self._system = system
        self._reactor = reactor
        self._rng = rng if rng is not None else random.Random()
        self.vif_name = options.text("vif") or f"{self.interface}mon"
        try:
            locked = options.text("channel")
            self._wanted_channel = parse_channel(locked) if locked else None
            listed = options.text("channels")
            self._wanted_list = _parse_list(listed) if listed else None
        except ChannelError as exc:
            raise SourceDefinitionError(str(exc)) from None
        batch = options.number("batch", DEFAULT_BATCH)
        if batch is None or batch != int(batch) or not 1 <= batch <= 65536:
            raise SourceDefinitionError("option batch must be a whole number from 1 to 65536")
        self.batch_size = int(batch)
        self.hopping_wanted = options.flag("hop", self.defaults.hop) and locked is None
        self.hop_rate = options.rate("hop_rate", self.defaults.hop_rate)
        self.hop_shuffle = options.flag("shuffle", self.defaults.random_order)
        if self._wanted_list is not None:
            self.hop_channels = [c.text for c in self._wanted_list]
        self.radio: WirelessInfo | None = None
        self._handle: CaptureHandle | None = None
        self._reader: CaptureReader | None = None
        self._hop_loop: LoopingCall | None = None
        self._hop_order: list[WifiChannel] = []
        self._hop_index = 0

    # -- capture hooks ------------------------------------------------------------

    def supported_frequencies(self) -> frozenset[int]:
        return frozenset(self.radio.frequencies) if self.radio is not None else frozenset()

    def _capture_target(self) -> str:
        """The interface to open, creating a monitor vif when needed."""
        radio = self._system.wireless_info(self.interface)
        self.radio = radio
        if radio is None:
            if not any(i.name == self.interface for i in self._system.interfaces()):
                raise InterfaceNotFound(f"no interface {self.interface!r}")
            self.warning = (
                f"{self.interface} is not a Wi-Fi interface: capturing its own "
                "link type, without monitor mode or channel control"
            )
            return self.interface
        self.warning = ""
        self.hardware = radio.hardware
        self.channels = [channel_text_for(f) for f in radio.frequencies]
        if radio.monitor:
            return self.interface
        existing = self._system.wireless_info(self.vif_name)
        if existing is None or not existing.monitor:
            self._system.create_monitor_vif(self.interface, self.vif_name)
            self.post(f"created monitor interface {self.vif_name}")
        return self.vif_name

    def _start_capture(self) -> None:
        target = self._capture_target()
        handle = self._system.open_live(
            target, snaplen=SNAPLEN, promisc=True, timeout_ms=TIMEOUT_MS
        )
        try:
            reader = CaptureReader(
                self._reactor, handle, target, self.deliver, self._reader_failed, self.batch_size
            )
        except CaptureError:
            handle.close()
            raise
        self.capture_interface = target
        self.dlt = handle.datalink()
        self._handle = handle
        self._reader = reader
        reader.start()
        if self.radio is not None:
            self._configure_channels()

    def _stop_capture(self) -> None:
        self._stop_hop_loop()
        if self._reader is not None:
            self._reader.stop()
            self._reader = None
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def _reader_failed(self, reason: str) -> None:
        self.fail(reason)

    # -- channels -------------------------------------------------------------------

    def _require_tuning(self) -> None:
        super()._require_tuning()
        if not self.capturing:
            raise SourceStateError("source is not running")
        if self.radio is None:
            raise SourceCommandError(
                f"{self.interface} is not a Wi-Fi interface; it has no channels"
            )

    def _configure_channels(self) -> None:
        """Apply the definition's channel settings after an open."""
        if self._wanted_channel is not None:
            if self._tune(self._wanted_channel):
                self.channel = self._wanted_channel.text
            self.hopping = False
            return
        specs = self._wanted_list
        if specs is None:
            specs = self._current_hop_list() or self._supported_list()
        if self.hopping_wanted and specs:
            self._begin_hopping(specs, self.hop_rate, self.hop_shuffle)

    def _supported_list(self) -> list[WifiChannel]:
        try:
            return _parse_list(self.channels) if self.channels else []
        except ChannelError:
            return []

    def _current_hop_list(self) -> list[WifiChannel]:
        try:
            return _parse_list(self.hop_channels) if self.hop_channels else []
        except ChannelError:
            return []

    def _tune(self, spec: WifiChannel) -> bool:
        """Tune the capture interface; a failure becomes the source's warning."""
        try:
            self._system.set_channel(self.capture_interface, spec.freq_mhz, spec.mode)
        except CaptureError as exc:
            warning = f"could not tune to channel {spec.text}: {exc}"
            if warning != self.warning:
                self.warning = warning
                self.post(warning, ERROR)
            return False
        if self.warning.startswith("could not tune"):
            self.warning = ""
        self.channel = spec.text
        return True

    def _lock_channel(self, spec: WifiChannel) -> None:
        try:
            self._system.set_channel(self.capture_interface, spec.freq_mhz, spec.mode)
        except CaptureError as exc:
            raise SourceIncapable(f"could not tune to channel {spec.text}: {exc}") from None
        self._stop_hop_loop()
        self.hopping = False
        self.hopping_wanted = False
        self._wanted_channel = spec
        self.channel = spec.text
        self.post(f"locked to channel {spec.text}")

    def _start_hopping(
        self, specs: list[WifiChannel] | None, rate: float | None, shuffle: bool | None
    ) -> None:
        channels = specs if specs is not None else self._current_hop_list()
        self._begin_hopping(
            channels,
            rate if rate is not None else self.hop_rate,
            self.hop_shuffle if shuffle is None else shuffle,
        )
        self.post(
            f"hopping over {len(channels)} channels at {self.hop_rate:g}/sec"
            + (" in shuffled order" if self.hop_shuffle else "")
        )

    def _begin_hopping(self, specs: list[WifiChannel], rate: float, shuffle: bool) -> None:
        self._stop_hop_loop()
        self._wanted_channel = None
        self._wanted_list = list(specs)
        self.hopping_wanted = True
        self.hop_channels = [s.text for s in specs]
        self.hop_rate = rate
        self.hop_shuffle = shuffle
        order = list(specs)
        if shuffle:
            self._rng.shuffle(order)
        self._hop_order = order
        self._hop_index = 0
        self.hopping = True
        loop = LoopingCall(self._hop)
        loop.clock = self._clock
        self._hop_loop = loop
        loop.start(1.0 / rate, now=True)

    def _hop(self) -> None:
        if not self._hop_order:
            return
        spec = self._hop_order[self._hop_index % len(self._hop_order)]
        self._hop_index += 1
        self._tune(spec)

    def _stop_hop_loop(self) -> None:
        if self._hop_loop is not None and self._hop_loop.running:
            self._hop_loop.stop()
        self._hop_loop = None
