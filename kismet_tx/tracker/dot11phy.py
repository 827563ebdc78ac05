"""The IEEE 802.11 phy: Kismet's device classification, as a packet chain subscriber.

For every good 802.11 frame :class:`Dot11Phy` sets the frame's facts once
(second, source, channel, signal, location), then hands it to the management
(:mod:`~kismet_tx.tracker.dot11mgmt`) or data (:mod:`~kismet_tx.tracker.dot11data`)
classifier; both put every device the frame names through the one update of
:mod:`~kismet_tx.tracker.dot11update`. Control frames create no devices
(Kismet ignores them too). Error packets (bad FCS, malformed) never reach a
device: they only count in the source's error counters.
"""

from __future__ import annotations

from kismet_tx.chain import Packet
from kismet_tx.dot11.frames import TYPE_DATA, TYPE_MGMT
from kismet_tx.dot11.packet import MHZ_SLOTS, Dot11Packet
from kismet_tx.keys import phy_hash, spkey_text
from kismet_tx.tracker.device import Device
from kismet_tx.tracker.devices import DeviceTracker
from kismet_tx.tracker.dot11data import DataFrames
from kismet_tx.tracker.dot11mgmt import ST_BEACON
from kismet_tx.tracker.dot11ssids import ST_PROBE_REQ
from kismet_tx.tracker.dot11state import PHY_NAME
from kismet_tx.tracker.dot11update import DBM as _DBM


class Dot11Phy(DataFrames):
    """The 802.11 phy handler and chain subscriber (call it with a packet)."""

    name = PHY_NAME

    def __init__(self, device_tracker: DeviceTracker, phy_id: int = 0) -> None:
        super().__init__(device_tracker)
        self.phy_id = phy_id
        self.phash = phy_hash(PHY_NAME)
        self.spkey = spkey_text(self.phash)
        self.packets = 0
        self._clock = device_tracker.wall_seconds
        #: frequency (MHz) -> (kHz, interned channel)
        self._radio_of: dict[int, tuple[int, str]] = {}
        #: the same, indexed by MHz below MHZ_SLOTS (a list index costs a packet
        #: less than a dictionary lookup by an int key)
        self._radio_by_mhz: list[tuple[int, str] | None] = [None] * MHZ_SLOTS

    def forget(self, device: Device) -> None:
        """Drop an expired device from the AP index."""
        self.access_points.pop(device.mac, None)

    def handle(self, packet: Packet) -> None:
        """Classify one chain packet and update every device it names (the chain
        subscriber; no ``__call__``: mypyc 2.4 crashes calling a ``__call__``
        that a subclass defines)."""
        if packet.error:
            return
        d: Dot11Packet | None = packet.decoded
        if d is None:
            return
        self.packets += 1
        ftype = d.type
        if ftype != TYPE_MGMT and ftype != TYPE_DATA:
            return
        sec = int(packet.ts)
        if sec != self._sec:
            # The server clock is read once per packet second: mod_time is a
            # second-resolution value and a clock read per frame costs.
            self._sec = sec
            self.device_tracker.saw_packet(sec)
            self._wall = int(self._clock())
        self._source = packet.source
        self._loc = packet.location if self._locations is not None else None
        freq, sig, noise = d.radio_levels()
        if freq:
            mhz: int = freq  # a C int in compiled code: indexes with no boxing
            radio = self._radio_by_mhz[mhz] if mhz < MHZ_SLOTS else self._radio_of.get(mhz)
            if radio is None:
                radio = self._radio_for(d, mhz)
            self._khz, self._chan = radio
        else:
            self._khz = 0
            channel = d.radio_channel
            self._chan = self.device_tracker.intern(str(channel)) if channel else ""
        # Signal and noise as shared int objects (_DBM), inlined: this runs per frame.
        if sig is not None:
            self._sig = _DBM[sig + 256] if -256 <= sig < 256 else sig
            self._noise = _DBM[noise + 256] if noise is not None and -256 <= noise < 256 \
                else noise
        else:
            self._sig = None
            self._noise = None
        if ftype == TYPE_DATA:
            self.data(d, packet)
        else:
            # ManagementFrames.management, inlined: the commonest shapes first.
            sub = d.subtype
            if sub == ST_BEACON:
                if not self.beacon(d, packet):
                    self.general_management(d, packet)
            elif sub != ST_PROBE_REQ or not self.probe_request(d):
                self.general_management(d, packet)

    def _radio_for(self, d: Dot11Packet, freq: int) -> tuple[int, str]:
        """``(kHz, channel)`` of a frequency, as the first packet on it gives them."""
        channel = d.radio_channel
        radio = self._radio_of[freq] = (
            freq * 1000, self.device_tracker.intern(str(channel)) if channel else "")
        if freq < MHZ_SLOTS:
            self._radio_by_mhz[freq] = radio
        return radio
