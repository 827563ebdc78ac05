"""The packet chain: every captured frame, decoded once, handed to each subscriber.

A datasource hands the chain a batch of frames (:data:`FrameBatch`); the chain
decodes each frame once (``dot11.decode_packet``), wraps it in a
:class:`Packet` carrying the decoded frame and its classification, and calls
the subscribers in priority order (lowest first). A subscriber can be switched
off while it has nothing to do (:meth:`PacketChain.set_enabled`: the GPS
tagger without a location, the device watch without a watched MAC), so an idle
feature costs nothing per packet.

Error packets follow Kismet: a frame whose FCS is present and bad, or that
cannot be decoded at all (``MalformedFrame``), is an *error packet*. It still
reaches every subscriber, flagged, so trackers skip it while counters and
logs can see it; the chain counts it, and returns the count to the source for
its ``num_error_packets``. A link type with no decoder is not an error: the
packet goes through undecoded and is counted as ``unsupported``.

One subscriber raising never stops the others: the exception is logged (once
per subscriber per minute of repeats, not per packet) and counted against
that subscriber.

:data:`STAGES` is the frame's path through the chain, top to bottom: each
stage's name and position (its priority). The service registers each
subscriber by stage name (:meth:`PacketChain.register`); the chain knows the
stages but none of the floors above it that fill them.
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Protocol, cast

from mypy_extensions import i64, mypyc_attr
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from kismet_tx.capture.system import META, META_SIZE, FrameBatch
from kismet_tx.dot11.decode import decode_packet
from kismet_tx.dot11.errors import MalformedFrame, UnsupportedLinkType

_log: Final = Logger(namespace="kismet_tx.chain")
_NATIVE_LITTLE: Final = sys.byteorder == "little"
_LITTLE_META: Final = struct.Struct("<4I")

#: Decoding outcomes (``Packet.status``).
OK: Final = 0
BAD_FCS: Final = 1
MALFORMED: Final = 2
UNSUPPORTED: Final = 3
STATUS_NAMES: Final[tuple[str, ...]] = ("ok", "bad_fcs", "malformed", "unsupported")

#: ``decoder(dlt, data)`` returns a decoded packet or raises ``MalformedFrame``.
Decoder = Callable[[int, bytes], Any]
Subscriber = Callable[["Packet"], Any]
#: A batch subscriber: called with the list of a batch's packets.
BatchSubscriber = Callable[[list["Packet"]], Any]


def _u32(data: bytes, position: i64) -> i64:
    """The little-endian 32-bit unsigned int at ``position`` of ``data`` (i64:
    compiled code shifts and ors plain C integers; each byte goes into a typed
    local, as an ``i64()`` call would be a Python call per byte interpreted)."""
    b0: i64 = data[position]
    b1: i64 = data[position + 1]
    b2: i64 = data[position + 2]
    b3: i64 = data[position + 3]
    return b0 | b1 << 8 | b2 << 16 | b3 << 24


def _little_endian_meta(meta: bytes) -> bytes:
    """A batch's meta records (native byte order) in little-endian order, as bytes."""
    if len(meta) % META_SIZE:
        raise ValueError(f"frame batch meta of {len(meta)} bytes: not whole records")
    if _NATIVE_LITTLE:
        return meta
    return b"".join(_LITTLE_META.pack(*record) for record in META.iter_unpack(meta))


class PacketSource(Protocol):
    """What a packet knows of the source that captured it (read only)."""

    @property
    def uuid(self) -> str: ...

    @property
    def source_name(self) -> str: ...


def default_decoder() -> Decoder:
    """The dot11 decoder (``kismet_tx.dot11.decode_packet``)."""
    return decode_packet


def is_bad_fcs(decoded: Any) -> bool:
    """Whether a decoded packet carries an FCS that failed."""
    return bool(getattr(decoded, "bad_fcs", False))


def classify(decoder: Decoder, dlt: int, data: bytes) -> tuple[Any, int]:
    """``(decoded or None, status)`` of one frame."""
    try:
        decoded = decoder(dlt, data)
    except UnsupportedLinkType:
        return None, UNSUPPORTED
    except MalformedFrame:
        return None, MALFORMED
    return decoded, BAD_FCS if is_bad_fcs(decoded) else OK


class Packet:
    """One captured frame on its way through the chain, decoded and classified.

    ``decoded`` is the decoded frame, or None if it could not be decoded;
    ``status`` is :data:`OK`, :data:`BAD_FCS`, :data:`MALFORMED` or
    :data:`UNSUPPORTED`; ``error`` is True for an error packet (bad FCS or
    malformed: trackers skip it). ``length`` is the captured length: pcapy-ng's
    batch records carry no wire length, so it stands for the original length
    too. ``location`` is where the packet was captured (a
    :class:`kismet_tx.gps.location.Location`, set by the GPS tracker's
    subscriber before all others), or None without a GPS fix.
    """

    __slots__ = ("source", "ts", "dlt", "data", "length", "location", "decoded", "status",
                 "error")

    def __init__(self, source: PacketSource, ts: float, dlt: int, data: bytes, length: int,
                 decoded: Any, status: int) -> None:
        self.source = source
        self.ts = ts
        self.dlt = dlt
        self.data = data
        self.length = length
        self.location: Any = None
        self.decoded: Any = decoded
        self.status = status
        self.error = status == BAD_FCS or status == MALFORMED

    # What a stream needs (``kismet_tx.streams.packet.StreamPacket``): a chain packet
    # is fanned out to streams as it is, with no per-frame wrapper.

    @property
    def source_uuid(self) -> str:
        """UUID of the datasource that captured the frame."""
        return self.source.uuid

    @property
    def source_name(self) -> str:
        """Name of that datasource."""
        return self.source.source_name

    @property
    def original_length(self) -> int:
        """Length on the air (the captured length: see the class docstring)."""
        return self.length

    def __repr__(self) -> str:
        return (
            f"<Packet {getattr(self.source, 'source_name', '?')} ts={self.ts:.6f} "
            f"dlt={self.dlt} len={self.length} {STATUS_NAMES[self.status]}>"
        )


@dataclass(frozen=True, slots=True)
class Subscription:
    """One subscriber: its name, priority and callback."""

    name: str
    priority: int
    callback: Subscriber | BatchSubscriber
    #: Called once per batch with the list of its packets, after the per-packet
    #: subscribers have seen them all (for stages that only pass packets on).
    batch: bool = False


@dataclass(frozen=True, slots=True)
class Stage:
    """One step of a frame's path: who runs there, and at which position."""

    name: str
    position: int
    what: str


#: The frame's path, first to last. Equal positions run in registration order.
STAGES: tuple[Stage, ...] = (
    Stage("sensorgps", -1001, "a remote sensor's reported position (gps/sensor.py)"),
    Stage("gps", -1000, "the best GPS location, for every later stage (gps/manager.py)"),
    Stage("devices", 10, "the device tracker's 802.11 phy (tracker/dot11phy.py)"),
    Stage("channels", 50, "per-channel packet and device counts (channels.py)"),
    Stage("alerts", 60, "WIDS rules, after the devices they count against (alerts/)"),
    Stage("devicewatch", 61, "devicefound/devicelost watch of chosen MACs (alerts/)"),
    Stage("plugins", 500, "plugin packet callbacks, unless they ask otherwise (plugins/)"),
    Stage("streams", 1000, "pcapng streams and the pcapng log, per batch (streams/registry.py)"),
    Stage("kismetdb", 1000, "the .kismet log's packet rows (kismetdb/log.py)"),
    Stage("export", 1001, "packets published to the message bus (export/feed.py)"),
)

_POSITIONS: Final = {stage.name: stage.position for stage in STAGES}


@mypyc_attr(native_class=False)  # a KeyError: compiled classes cannot inherit it
class UnknownStage(KeyError):
    """A subscriber was registered under a name :data:`STAGES` does not hold."""


def stage_position(name: str) -> int:
    """The position of the stage ``name``; :class:`UnknownStage` if there is none."""
    try:
        return _POSITIONS[name]
    except KeyError:
        raise UnknownStage(name) from None


#: Seconds between two logged tracebacks of the same failing subscriber.
FAILURE_LOG_INTERVAL: Final = 60.0


class PacketChain:
    """Fans packets out to subscribers and keeps the chain's counters."""

    def __init__(self, clock: IReactorTime, decoder: Decoder | None = None) -> None:
        self._decoder = decoder if decoder is not None else default_decoder()
        self._clock = clock
        self._subscriptions: list[Subscription] = []
        self._callbacks: tuple[tuple[str, Subscriber], ...] = ()
        self._batch_callbacks: tuple[tuple[str, BatchSubscriber], ...] = ()
        self._disabled: set[str] = set()
        self.packets = 0
        self.errors = 0
        self.by_status = [0, 0, 0, 0]
        self.failures: dict[str, int] = {}
        self._last_logged: dict[str, float] = {}

    # -- subscribers ------------------------------------------------------------

    def subscribe(self, callback: Subscriber | BatchSubscriber, name: str, priority: int = 0, *,
                  batch: bool = False) -> Subscription:
        """Call ``callback(packet)`` for every packet; lower priorities run first.

        Subscribers of equal priority run in subscription order. Names are unique.
        With ``batch``, ``callback(packets)`` gets each batch's packets as a list
        instead, once every per-packet subscriber has seen them.
        """
        if any(s.name == name for s in self._subscriptions):
            raise ValueError(f"a subscriber named {name!r} is already subscribed")
        subscription = Subscription(name, priority, callback, batch)
        self._subscriptions.append(subscription)
        self._subscriptions.sort(key=lambda s: s.priority)
        self.failures.setdefault(name, 0)
        self._rebuild()
        return subscription

    def register(self, stage: str, callback: Subscriber | BatchSubscriber, *,
                 batch: bool = False) -> Subscription:
        """Subscribe ``callback`` as the stage ``stage`` of :data:`STAGES`, at its
        position; :class:`UnknownStage` if the table has no such stage."""
        return self.subscribe(callback, stage, stage_position(stage), batch=batch)

    def unsubscribe(self, name: str) -> None:
        """Stop calling the subscriber ``name``."""
        self._subscriptions = [s for s in self._subscriptions if s.name != name]
        self._disabled.discard(name)
        self._rebuild()

    def set_enabled(self, name: str, enabled: bool) -> None:
        """Switch a subscriber on or off; an off one stays subscribed but is not called.

        For a subscriber that has nothing to do for a while (no GPS location, no
        watched MAC), so it costs nothing per packet meanwhile.
        """
        if enabled:
            self._disabled.discard(name)
        else:
            self._disabled.add(name)
        self._rebuild()

    def is_enabled(self, name: str) -> bool:
        """Whether the subscriber ``name`` is subscribed and switched on."""
        return any(s.name == name for s in self._subscriptions) and name not in self._disabled

    def subscribers(self) -> list[Subscription]:
        """Current subscribers in call order (switched-off ones included)."""
        return list(self._subscriptions)

    def _rebuild(self) -> None:
        enabled = [s for s in self._subscriptions if s.name not in self._disabled]
        self._callbacks = tuple((s.name, cast(Subscriber, s.callback))
                                for s in enabled if not s.batch)
        self._batch_callbacks = tuple((s.name, cast(BatchSubscriber, s.callback))
                                      for s in enabled if s.batch)

    # -- counters -----------------------------------------------------------------

    @property
    def malformed(self) -> int:
        """Packets that could not be decoded."""
        return self.by_status[MALFORMED]

    @property
    def bad_fcs(self) -> int:
        """Packets whose FCS failed."""
        return self.by_status[BAD_FCS]

    @property
    def unsupported(self) -> int:
        """Packets of a link type with no decoder."""
        return self.by_status[UNSUPPORTED]

    def stats(self) -> dict[str, Any]:
        """Every counter, for status reports and tests."""
        return {
            "packets": self.packets,
            "errors": self.errors,
            "malformed": self.malformed,
            "bad_fcs": self.bad_fcs,
            "unsupported": self.unsupported,
            "subscriber_failures": dict(self.failures),
        }

    # -- processing -------------------------------------------------------------

    def process(self, source: PacketSource, dlt: int, batch: FrameBatch) -> int:
        """Run every frame of a batch through the chain; returns its error-packet count."""
        buffer, meta = batch
        callbacks = self._callbacks
        batch_callbacks = self._batch_callbacks
        packets: list[Packet] | None = [] if batch_callbacks else None
        decoder = self._decoder
        # The default decoder is called directly: compiled code makes that a C
        # call, and reads the Dot11Packet it returns natively.
        dot11 = decoder is decode_packet
        count = 0
        errors = 0
        # Counts of the statuses other than OK (C ints in compiled code).
        bad_fcs = malformed = unsupported = 0
        decoded: Any
        # The meta records are read by index (C ints in compiled code: no
        # struct call and no int objects per frame).
        records = _little_endian_meta(meta)
        position: i64 = 0
        size: i64 = len(records)
        step: i64 = META_SIZE
        while position < size:
            sec = _u32(records, position)
            usec = _u32(records, position + 4)
            offset = _u32(records, position + 8)
            caplen = _u32(records, position + 12)
            position += step
            data = buffer[offset : offset + caplen]
            # classify(), inlined: this loop is the hot path.
            try:
                if dot11:
                    frame = decode_packet(dlt, data)
                    decoded = frame
                    status = BAD_FCS if frame.bad_fcs else OK
                else:
                    decoded = decoder(dlt, data)
                    status = BAD_FCS if is_bad_fcs(decoded) else OK
            except UnsupportedLinkType:
                decoded = None
                status = UNSUPPORTED
            except MalformedFrame:
                decoded = None
                status = MALFORMED
            packet = Packet(source, float(sec) + float(usec) * 1e-6, dlt, data, int(caplen),
                            decoded, status)
            if packet.error:
                errors += 1
            for name, callback in callbacks:
                try:
                    callback(packet)
                except Exception:
                    self._subscriber_failed(name, packet)
            if packets is not None:
                packets.append(packet)
            if status != OK:
                if status == BAD_FCS:
                    bad_fcs += 1
                elif status == MALFORMED:
                    malformed += 1
                else:
                    unsupported += 1
            count += 1
        by_status = self.by_status
        by_status[OK] += count - bad_fcs - malformed - unsupported
        by_status[BAD_FCS] += bad_fcs
        by_status[MALFORMED] += malformed
        by_status[UNSUPPORTED] += unsupported
        self.packets += count
        self.errors += errors
        if packets:
            self._hand_batch(batch_callbacks, packets)
        return errors

    def _hand_batch(self, callbacks: tuple[tuple[str, BatchSubscriber], ...],
                    packets: list[Packet]) -> None:
        for name, callback in callbacks:
            try:
                callback(packets)
            except Exception:
                self._subscriber_failed(name, packets[0])

    def sink(self, source: PacketSource, dlt: int, batch: FrameBatch) -> int:
        """The datasources' packet sink (same as :meth:`process`)."""
        return self.process(source, dlt, batch)

    def inject(self, packet: Packet) -> bool:
        """Run one ready-made packet through the chain; True if it is an error packet."""
        for name, callback in self._callbacks:
            try:
                callback(packet)
            except Exception:
                self._subscriber_failed(name, packet)
        if self._batch_callbacks:
            self._hand_batch(self._batch_callbacks, [packet])
        status = packet.status
        self.by_status[status] += 1
        self.packets += 1
        error = status == BAD_FCS or status == MALFORMED
        self.errors += error
        return error

    def make_packet(self, source: PacketSource, ts: float, dlt: int, data: bytes) -> Packet:
        """A packet decoded with this chain's decoder (for synthetic sources and tests)."""
        decoded, status = classify(self._decoder, dlt, data)
        return Packet(source, ts, dlt, data, len(data), decoded, status)

    def _subscriber_failed(self, name: str, packet: Packet) -> None:
        self.failures[name] = self.failures.get(name, 0) + 1
        now = self._clock.seconds()
        last = self._last_logged.get(name)
        if last is not None and now - last < FAILURE_LOG_INTERVAL:
            return
        self._last_logged[name] = now
        _log.failure(
            "packet chain subscriber {name} failed on {packet} ({count} failures so far)",
            name=name,
            packet=packet,
            count=self.failures[name],
        )
