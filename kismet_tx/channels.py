"""The channel tracker: packets, data, devices and signal per channel and frequency.

Subscribed to the packet chain, it keeps one record per centre frequency
(keyed in kHz, from the capture header) and one per logical channel (the
capture header's channel, or for captures without a radio header the channel
a beacon or probe response advertises), as Kismet's channel tracker does:
``kismet.channelrec.{channel, frequency, packets_rrd, data_rrd, device_rrd,
signal}``. ``device_rrd`` samples the transmitters seen on the channel within
the last :data:`DEVICE_DECAY` seconds. Three totals that Kismet lacks are
added: ``total_packets``, ``total_data`` and ``device_count`` (distinct
transmitter MACs ever seen).

Times are packet times, so a replayed capture fills its own seconds. Error
packets (bad FCS) still count on their frequency, whose radio header is
sound, but not on a channel or as a device: their addresses cannot be
trusted. Counts are gathered per second and folded into the RRDs when the
second changes or a record is read, so the per-packet cost stays small.

Active transmitters are counted incrementally: each record keeps, per second,
how many of its transmitters were last seen in that second, so the count for
the last :data:`DEVICE_DECAY` seconds sums a few dozen buckets instead of
scanning every transmitter ever seen.
"""

from __future__ import annotations

from typing import Any, Final

from kismet_tx.chain import Packet
from kismet_tx.dot11.frames import TYPE_DATA, TYPE_MGMT
from kismet_tx.dot11.packet import MHZ_SLOTS, Dot11Packet
from kismet_tx.fields import FieldDef
from kismet_tx.rrd import Rrd

#: Seconds a transmitter counts as active on a channel after its last frame.
DEVICE_DECAY: Final = 30
_NO_MIN: Final = 1 << 30
_NO_MAX: Final = -(1 << 30)
#: Before any bucket was dropped: every second is still counted.
_NO_FLOOR: Final = -(1 << 62)
#: Management subtypes whose body advertises a channel: probe response, beacon.
_ADVERTISING: Final = (5, 8)

SIGNAL_FIELDS: Final = (
    FieldDef("kismet.common.signal.type", "string", "signal type (dbm, rssi or none)"),
    FieldDef("kismet.common.signal.last_signal", "int32", "most recent signal"),
    FieldDef("kismet.common.signal.last_noise", "int32", "most recent noise"),
    FieldDef("kismet.common.signal.min_signal", "int32", "minimum signal"),
    FieldDef("kismet.common.signal.min_noise", "int32", "minimum noise"),
    FieldDef("kismet.common.signal.max_signal", "int32", "maximum signal"),
    FieldDef("kismet.common.signal.max_noise", "int32", "maximum noise"),
    FieldDef(
        "kismet.common.signal.maxseenrate",
        "double",
        "maximum observed data rate (not tracked per channel: 0)",
    ),
    FieldDef("kismet.common.signal.encodingset", "uint64", "bitset of observed encodings"),
)

CHANNEL_FIELDS: Final = (
    FieldDef(
        "kismet.channeltracker.frequency_map",
        "doublemap[kismet.channelrec]",
        "channel records by centre frequency, kHz",
    ),
    FieldDef(
        "kismet.channeltracker.channel_map",
        "stringmap[kismet.channelrec]",
        "channel records by logical channel",
    ),
    FieldDef("kismet.channelrec.channel", "string", "logical channel"),
    FieldDef("kismet.channelrec.frequency", "double", "physical frequency, kHz"),
    FieldDef("kismet.channelrec.packets_rrd", "kismet.common.rrd", "packet count RRD"),
    FieldDef("kismet.channelrec.data_rrd", "kismet.common.rrd", "byte count RRD"),
    FieldDef("kismet.channelrec.device_rrd", "kismet.common.rrd", "active devices RRD"),
    FieldDef("kismet.channelrec.signal", "kismet.common.signal", "signal records"),
    FieldDef(
        "kismet.channelrec.total_packets", "uint64", "packets seen on this channel (kismet_tx)"
    ),
    FieldDef(
        "kismet.channelrec.total_data",
        "uint64",
        "data frame payload bytes seen on this channel (kismet_tx)",
    ),
    FieldDef(
        "kismet.channelrec.device_count",
        "uint64",
        "distinct transmitters seen on this channel (kismet_tx)",
    ),
) + SIGNAL_FIELDS


class ChannelRecord:
    """One channel or frequency: RRDs, totals, transmitters and signal.

    A frequency record counts every packet once; the record of its logical
    channel is fed from it (its ``parent``) a second at a time, with the error
    packets left out, so a packet costs one update, not two.
    """

    __slots__ = (
        "channel",
        "frequency_khz",
        "packets_rrd",
        "data_rrd",
        "device_rrd",
        "devices",
        "_by_sec",
        "_floor",
        "total_packets",
        "total_data",
        "last_signal",
        "min_signal",
        "max_signal",
        "last_noise",
        "min_noise",
        "max_noise",
        "parent",
        "children",
        "_sec",
        "_sec_key",
        "_sec_new",
        "_sec_packets",
        "_sec_data",
        "_sec_errors",
        "_sec_error_data",
    )

    def __init__(
        self, channel: str, frequency_khz: int, parent: ChannelRecord | None = None
    ) -> None:
        self.channel = channel
        self.frequency_khz = frequency_khz
        self.packets_rrd = Rrd(aggregate_sum=True)
        self.data_rrd = Rrd(aggregate_sum=True)
        self.device_rrd = Rrd()
        #: transmitter MAC (bytes) -> last second seen (the record's one int
        #: object per second, shared by every transmitter seen in it)
        self.devices: dict[bytes, int] = {}
        #: second -> transmitters whose last second it is (seconds above ``_floor``),
        #: but for the current second's, counted in ``_sec_new`` until folded in
        self._by_sec: dict[int, int] = {}
        self._floor = _NO_FLOOR
        self.total_packets = 0
        self.total_data = 0
        self.last_signal = self.last_noise = 0
        self.min_signal = self.min_noise = _NO_MIN
        self.max_signal = self.max_noise = _NO_MAX
        self.parent = parent
        self.children: list[ChannelRecord] = []
        if parent is not None:
            parent.children.append(self)
        self._sec = -1
        # The current second as one object (Any: compiled code keeps it boxed),
        # so that storing it per transmitter makes no new int.
        self._sec_key: Any = -1
        self._sec_new = 0
        self._sec_packets = 0
        self._sec_data = 0
        self._sec_errors = 0
        self._sec_error_data = 0

    def count(
        self,
        sec: int,
        datasize: int,
        transmitter: bytes | None,
        signal: int | None,
        noise: int | None,
        ok: bool = True,
    ) -> None:
        """Count one packet seen at second ``sec``; ``ok`` False for an error packet."""
        if sec != self._sec:
            self.flush()
            self._sec = sec
            self._sec_key = sec
        self._sec_packets += 1
        if datasize:
            self._sec_data += datasize
        if ok:
            if transmitter is not None:
                self.saw(transmitter, sec)
        else:
            self._sec_errors += 1
            self._sec_error_data += datasize
        if signal is not None:
            self.last_signal = signal
            if signal < self.min_signal:
                self.min_signal = signal
            if signal > self.max_signal:
                self.max_signal = signal
            if noise is not None:
                self.add_noise(noise)

    def add_noise(self, noise: int) -> None:
        """Fold one noise reading in."""
        self.last_noise = noise
        if noise < self.min_noise:
            self.min_noise = noise
        if noise > self.max_noise:
            self.max_noise = noise

    def saw(self, transmitter: bytes, sec: int) -> None:
        """``transmitter`` sent a good packet at second ``sec``, the current one."""
        devices = self.devices
        key = self._sec_key
        last = devices.get(transmitter)
        if last is not key and last != sec:
            devices[transmitter] = key
            self._sec_new += 1
            if last is not None and last > self._floor:
                self._by_sec[last] -= 1

    def _fold_new(self) -> None:
        """Move the current second's new transmitters into its bucket."""
        if self._sec_new:
            by_sec = self._by_sec
            by_sec[self._sec] = by_sec.get(self._sec, 0) + self._sec_new
            self._sec_new = 0

    def _active(self, horizon: int) -> int:
        """Own transmitters last seen after ``horizon``; drops the buckets at or below it."""
        self._fold_new()
        if horizon < self._floor:
            # Time went back past dropped buckets: count the slow, exact way.
            return sum(1 for last in self.devices.values() if last > horizon)
        by_sec = self._by_sec
        active = 0
        old = []
        for second, count in by_sec.items():
            if second > horizon:
                active += count
            else:
                old.append(second)
        for second in old:
            del by_sec[second]
        self._floor = horizon
        return active

    def active_devices(self, sec: int) -> int:
        """Transmitters seen within :data:`DEVICE_DECAY` seconds before ``sec``."""
        horizon = sec - DEVICE_DECAY
        children = self.children
        if not children:
            return self._active(horizon)
        if len(children) == 1 and not self.devices:
            return children[0]._active(horizon)
        active = {mac for mac, last in self.devices.items() if last > horizon}
        for child in children:
            active.update(mac for mac, last in child.devices.items() if last > horizon)
        return len(active)

    def _add_second(self, sec: int, packets: int, data: int) -> None:
        self.total_packets += packets
        self.total_data += data
        self.packets_rrd.add_second(sec, packets)
        self.data_rrd.add_second(sec, data)
        self.device_rrd.add_second(sec, self.active_devices(sec))

    def flush(self) -> None:
        """Fold the current second's counts into the RRDs (and the parent's)."""
        sec = self._sec
        if sec < 0 or not self._sec_packets:
            return
        self._fold_new()
        self._add_second(sec, self._sec_packets, self._sec_data)
        good = self._sec_packets - self._sec_errors
        if self.parent is not None and good:
            self.parent._add_second(sec, good, self._sec_data - self._sec_error_data)
        self._sec_packets = self._sec_data = self._sec_errors = self._sec_error_data = 0

    def device_count(self) -> int:
        """Distinct transmitters ever seen here."""
        if not self.children:
            return len(self.devices)
        seen = set(self.devices)
        for child in self.children:
            seen.update(child.devices)
        return len(seen)

    def signal_record(self) -> dict[str, Any]:
        """The ``kismet.common.signal.*`` record (merged over the feeding frequencies)."""
        parts = [r for r in (*self.children, self) if r.max_signal != _NO_MAX]
        noisy = [r for r in (*self.children, self) if r.max_noise != _NO_MAX]
        return {
            "kismet.common.signal.type": "dbm" if parts else "none",
            "kismet.common.signal.last_signal": parts[-1].last_signal if parts else 0,
            "kismet.common.signal.last_noise": noisy[-1].last_noise if noisy else 0,
            "kismet.common.signal.min_signal": min((r.min_signal for r in parts), default=0),
            "kismet.common.signal.min_noise": min((r.min_noise for r in noisy), default=0),
            "kismet.common.signal.max_signal": max((r.max_signal for r in parts), default=0),
            "kismet.common.signal.max_noise": max((r.max_noise for r in noisy), default=0),
            "kismet.common.signal.maxseenrate": 0,
            "kismet.common.signal.encodingset": 0,
        }

    def record(self) -> dict[str, Any]:
        """The ``kismet.channelrec.*`` record."""
        for child in self.children:
            child.flush()
        self.flush()
        return {
            "kismet.channelrec.channel": self.channel,
            "kismet.channelrec.frequency": self.frequency_khz,
            "kismet.channelrec.packets_rrd": self.packets_rrd.record(),
            "kismet.channelrec.data_rrd": self.data_rrd.record(),
            "kismet.channelrec.device_rrd": self.device_rrd.record(),
            "kismet.channelrec.signal": self.signal_record(),
            "kismet.channelrec.total_packets": self.total_packets,
            "kismet.channelrec.total_data": self.total_data,
            "kismet.channelrec.device_count": self.device_count(),
        }


class ChannelTracker:
    """The packet chain subscriber behind ``/channels/channels``."""

    def __init__(self) -> None:
        self.frequencies: dict[int, ChannelRecord] = {}
        self.channels: dict[str, ChannelRecord] = {}
        # The records again, indexed by MHz (below MHZ_SLOTS): a list index
        # costs a packet less than a dictionary lookup by an int key.
        self._by_mhz: list[ChannelRecord | None] = [None] * MHZ_SLOTS

    def _channel_record(self, key: str, freq: int) -> ChannelRecord:
        record = self.channels.get(key)
        if record is None:
            record = self.channels[key] = ChannelRecord(key, freq * 1000)
        return record

    def _frequency_record(self, decoded: Dot11Packet, freq: int) -> ChannelRecord:
        channel = decoded.radio_channel
        key = str(channel) if channel else ""
        parent = self._channel_record(key, freq) if key else None
        record = self.frequencies[freq] = ChannelRecord(key, freq * 1000, parent)
        if freq < MHZ_SLOTS:
            self._by_mhz[freq] = record
        return record

    def __call__(self, packet: Packet) -> None:
        # Typed, so that compiled code reads its fields directly.
        decoded: Dot11Packet | None = packet.decoded
        if decoded is None:
            return
        error = packet.error
        sec = int(packet.ts)
        if decoded.type == TYPE_DATA:
            end = decoded.end
            offset = decoded.body_offset
            datasize = end - offset if end > offset else 0
        else:
            datasize = 0
        transmitter = decoded.addr2
        freq, signal, noise = decoded.radio_levels()
        if freq:
            mhz: int = freq  # a C int in compiled code: indexes with no boxing
            record = self._by_mhz[mhz] if mhz < MHZ_SLOTS else self.frequencies.get(mhz)
            if record is None:
                record = self._frequency_record(decoded, mhz)
            # ChannelRecord.count, inlined for the common case: this runs per packet.
            if sec != record._sec:
                record.flush()
                record._sec = sec
                record._sec_key = sec
            record._sec_packets += 1
            if datasize:
                record._sec_data += datasize
            if error:
                record._sec_errors += 1
                record._sec_error_data += datasize
            elif transmitter is not None:
                # ChannelRecord.saw, inlined.
                devices = record.devices
                key = record._sec_key
                last = devices.get(transmitter)
                if last is not key and (last is None or last != sec):
                    devices[transmitter] = key
                    record._sec_new += 1
                    if last is not None and last > record._floor:
                        record._by_sec[last] -= 1
            if signal is not None:
                dbm: int = signal
                record.last_signal = dbm
                if dbm < record.min_signal:
                    record.min_signal = dbm
                if dbm > record.max_signal:
                    record.max_signal = dbm
                if noise is not None:
                    record.add_noise(noise)
            return
        if error:
            return
        channel = decoded.radio_channel
        if channel is None and decoded.type == TYPE_MGMT and decoded.subtype in _ADVERTISING:
            channel = decoded.advertised_channel
        if channel:
            self._channel_record(str(channel), 0).count(sec, datasize, transmitter, signal, noise)

    def record(self) -> dict[str, Any]:
        """The ``/channels/channels`` body."""
        return {
            "kismet.channeltracker.frequency_map": {
                str(rec.frequency_khz): rec.record() for _, rec in sorted(self.frequencies.items())
            },
            "kismet.channeltracker.channel_map": {
                key: record
                for key, record in (
                    (key, rec.record())
                    for key, rec in sorted(
                        self.channels.items(), key=lambda item: _channel_order(item[0])
                    )
                )
                if record["kismet.channelrec.total_packets"]
            },
        }


def _channel_order(key: str) -> tuple[int, str]:
    digits = "".join(ch for ch in key if ch.isdigit())
    return (int(digits) if digits else 0, key)
