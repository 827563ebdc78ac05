"""The one device update of the 802.11 phy (Kismet's ``update_common_device``).

Every device a frame names goes through :meth:`DeviceUpdate.update` once per
frame, with the *roles* it has in that frame:

* :data:`SENT`: it transmitted the frame (packets, ``tx_packets``, data counters);
* :data:`RECEIVED`: the frame was addressed to it (packets, ``rx_packets``, ...);
* :data:`COUNTED`: the frame counts as its packet, in neither direction
  (a WDS frame's receiver that is no other party);
* no counting role: a BSSID that did not transmit (seen-by and times only);
* :data:`RADIO`: the frame's frequency, signal, noise and location are its own;
* :data:`EXISTING`: update only a device already known (null data frames).

The frame's facts the update needs (second, source, radio levels, data size,
protection) are set once per frame by the phy's chain subscriber, as the
per-frame context attributes below.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from kismet_tx.tracker.device import SeenBy, Source
from kismet_tx.tracker.devices import DeviceTracker
from kismet_tx.tracker.dot11state import (
    AP_TYPESET,
    ApState,
    ClientRecord,
    Dot11Device,
    count_freq,
)

if TYPE_CHECKING:
    from kismet_tx.tracker.device import Phy

#: The device counts the frame as a packet.
COUNTED: Final = 1
_TX: Final = 2
_RX: Final = 4
#: The device transmitted the frame.
SENT: Final = COUNTED | _TX
#: The frame was addressed to the device.
RECEIVED: Final = COUNTED | _RX
#: The frame's radio levels and location are the device's.
RADIO: Final = 8
#: Only a device already known is updated.
EXISTING: Final = 16
#: A BSSID named by a frame it did not transmit.
MEMBER: Final = 0
#: The frame's transmitter: it sent the frame, and the radio levels are its own.
TRANSMITTER: Final = SENT | RADIO

#: Canonical int objects for dBm values, so devices share them (typed optional, so
#: that compiled code hands the objects themselves on, not new ones).
DBM: Final[tuple[int | None, ...]] = tuple(range(-256, 256))


class DeviceUpdate:
    """Per-frame context and the one update every named device goes through."""

    device_tracker: DeviceTracker
    devices: dict[bytes, Dot11Device]
    access_points: dict[bytes, Dot11Device]

    def __init__(self, device_tracker: DeviceTracker) -> None:
        self.device_tracker = device_tracker
        self.devices = {}
        #: Devices with an access-point typeset bit (the AP view's index).
        self.access_points = {}
        self._manuf = device_tracker.manuf.lookup
        self._locations: Callable[[], Any] | None = device_tracker.location_factory
        # The frame's facts, set once per frame by the subscriber.
        self._sec = 0
        self._wall = 0
        self._source: Source | None = None
        self._is_data = False
        #: data payload bytes (0 for management frames)
        self._dsize = 0
        self._prot = False
        #: basic crypt bits the frame gives every device it names
        self._crypt = 0
        self._khz = 0
        self._chan = ""
        self._sig: int | None = None
        self._noise: int | None = None
        self._loc: Any = None

    def _create(self, mac: bytes, type_string: str) -> Dot11Device:
        phy: Phy = self  # type: ignore[assignment]  # Dot11Phy is both
        dev = Dot11Device(mac, phy, self._sec, type_string, self._manuf(mac))
        self.devices[mac] = dev
        self.device_tracker.created(dev)
        return dev

    def update(self, mac: bytes, roles: int, type_string: str) -> Dot11Device | None:
        """Update (or create) the device ``mac`` for its ``roles`` in this frame."""
        sec = self._sec
        dev = self.devices.get(mac)
        if dev is None:
            if roles & EXISTING:
                return None
            dev = self._create(mac, type_string)
        elif sec > dev.last_time:
            dev.last_time = sec
        dev.mod_time = self._wall
        dev.version += 1
        if roles & COUNTED:
            dev.packets += 1
            if roles & _TX:
                dev.tx_packets += 1
            elif roles & _RX:
                dev.rx_packets += 1
            dsize = self._dsize
            if dev.rate_sec == sec:
                dev.rate_packets += 1
                dev.rate_bytes += dsize
            else:
                dev.count_rate(sec, dsize, self.device_tracker.track_rrds)
            if self._is_data:
                dev.data_packets += 1
                dev.datasize += dsize
                if self._prot:
                    dev.crypt_packets += 1
            else:
                dev.llc_packets += 1
        if roles & RADIO:
            khz = self._khz
            if khz:
                dev.frequency = khz
                freqs = dev.freqs
                if freqs is None:
                    dev.freqs = [khz, 1]
                elif freqs[0] == khz:
                    freqs[1] += 1
                else:
                    count_freq(freqs, khz)
            sig = self._sig
            if sig is not None:
                dev.sig_last = sig
                low = dev.sig_min
                if low is None or sig < low:
                    dev.sig_min = sig
                high = dev.sig_max
                if high is None or sig > high:
                    dev.sig_max = sig
                noise = self._noise
                if noise is not None:
                    dev.noise_last = noise
                    low = dev.noise_min
                    if low is None or noise < low:
                        dev.noise_min = noise
                    high = dev.noise_max
                    if high is None or noise > high:
                        dev.noise_max = noise
            loc = self._loc
            if loc is not None:
                aggregate = dev.location
                if aggregate is None and self._locations is not None:
                    aggregate = dev.location = self._locations()
                if aggregate is not None:
                    aggregate.add(loc)
        seen = dev.seenby
        if type(seen) is SeenBy and seen.source is self._source:
            seen.last_time = sec
            seen.packets += 1
        else:
            self._seen(dev, sec)
        crypt = self._crypt
        if crypt:
            dev.basic_crypt_set |= crypt
        return dev

    def _seen(self, dev: Dot11Device, sec: int) -> None:
        """Count the frame in the device's seen-by entry for this frame's source."""
        source = self._source
        assert source is not None
        seen = dev.seenby
        if type(seen) is SeenBy and (seen.source is source or seen.source.uuid == source.uuid):
            entry = seen
        elif seen is None:
            entry = dev.seenby = SeenBy(source, sec)
            self.device_tracker.note_source(source)
        else:
            entry = self._seen_slow(dev, source, sec)
        entry.last_time = sec
        entry.packets += 1

    def _seen_slow(self, dev: Dot11Device, source: Source, sec: int) -> SeenBy:
        seen = dev.seenby
        entries: list[SeenBy] = [seen] if isinstance(seen, SeenBy) else list(seen or ())
        for entry in entries:
            if entry.source is source or entry.source.uuid == source.uuid:
                return entry
        entry = SeenBy(source, sec)
        entries.append(entry)
        dev.seenby = entries
        self.device_tracker.note_source(source)
        return entry

    def set_typeset(self, dev: Dot11Device, bits: int) -> None:
        """Add typeset bits; a first access-point bit puts the device in the AP index."""
        if not dev.typeset & AP_TYPESET and bits & AP_TYPESET:
            self.access_points[dev.mac] = dev
        dev.typeset |= bits

    def radio_channel(self, dev: Dot11Device) -> None:
        """Kismet sets the channel from the capture header unless an advertised one holds."""
        chan = self._chan
        if chan and (dev.ap is None or not dev.ap.adv_channel):
            dev.channel = chan

    @staticmethod
    def ap_state(dev: Dot11Device) -> ApState:
        """The device's BSSID state, made on first use."""
        ap = dev.ap
        if ap is None:
            ap = dev.ap = ApState()
        return ap

    def link_client(self, bssid_dev: Dot11Device, client: Dot11Device, flags: int,
                    distrib: int) -> None:
        """Kismet's process_client: link a client and a BSSID both ways."""
        sec = self._sec
        bssid = bssid_dev.mac
        records = client.clients
        if records is None:
            records = client.clients = {}
        rec = records.get(bssid)
        if rec is None:
            rec = records[bssid] = ClientRecord(bssid, sec)
        elif sec > rec.last_time:
            rec.last_time = sec
        client.last_bssid = bssid
        if self._is_data:
            rec.ctype = distrib
            dsize = self._dsize
            if flags & 0x04:
                rec.fragments += 1
            if flags & 0x08:
                rec.retries += 1
                rec.datasize_retry += dsize
            rec.datasize += dsize
        ap = self.ap_state(bssid_dev)
        associated = ap.associated
        if associated is None:
            associated = ap.associated = {}
        if client.mac not in associated:
            associated[client.mac] = None
