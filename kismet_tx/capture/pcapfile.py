"""``pcapfile``: replay a pcap or pcapng capture through the packet chain.

Options (in the definition, ``/path/file.pcapng:realtime=true,loop=true``):

- ``realtime`` (default false): honour the capture's own timing, scheduled on
  the injected clock; false replays as fast as the pipeline goes.
- ``loop`` (default false): start again at the end of the file.
- ``batch`` (default 1024): the most frames handed to the chain before yielding
  to the reactor. A full-speed replay also yields once it has worked for
  :data:`REPLAY_SLICE` seconds (timed by the injected ``work_timer``, checked
  every :data:`CHUNK` frames), however large the batch, so HTTP answers stay
  quick whatever each frame costs.

Reading uses ``next_batch``. pcapy-ng 2.1.0 raises on a record cut short at the
end of a file and loses the frames of the batch it was filling; the reader
then re-opens the file, skips the frames already delivered and reads the rest
one at a time with ``next``, so every complete record arrives and the error is
reported afterwards (``error_reason`` and an ERROR message). A source paused
here stops reading and resumes where it stopped. A file whose link type is not
an 802.11 one (``dot11.SUPPORTED_DLTS``) is not replayed: the source enters the
error state with the reason.

Progress (frames and estimated bytes read of the file size) is in the
record's ``kismet.datasource.replay.*`` fields, and posted as a message every
``progress_interval`` seconds while the first pass runs.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any, ClassVar

from twisted.internet.interfaces import IDelayedCall
from twisted.internet.task import LoopingCall

from kismet_tx.capture.datasource import Datasource
from kismet_tx.capture.sourcerecord import DriverInfo
from kismet_tx.capture.system import (
    META,
    META_SIZE,
    CaptureError,
    CaptureHandle,
    CaptureSystem,
    FrameBatch,
    batch_len,
    pack_batch,
    slice_batch,
)
from kismet_tx.dot11 import SUPPORTED_DLTS
from kismet_tx.fields import FieldDef
from kismet_tx.messagebus import ERROR
from kismet_tx.sourcedefinition import SourceDefinitionError

DEFAULT_BATCH = 1024
#: Longest run of replay work in one reactor turn, seconds.
REPLAY_SLICE = 0.005
#: Frames delivered between two looks at the time spent.
CHUNK = 128
MAX_BATCH = 65536
#: Seconds between progress messages.
PROGRESS_INTERVAL = 5.0
#: Per-record overhead used to estimate the bytes read: pcap record header;
#: pcapng Enhanced Packet Block framing.
_RECORD_OVERHEAD = {"pcap": 16, "pcapng": 32}
_FILE_HEADER = {"pcap": 24, "pcapng": 0}
#: Frames skipped per call while re-positioning after a read error.
_SKIP_BATCH = 8192

REPLAY_FIELDS = (
    FieldDef("kismet.datasource.replay.file_size", "uint64", "capture file size, bytes"),
    FieldDef(
        "kismet.datasource.replay.bytes_read",
        "uint64",
        "bytes of the file read so far in this pass (estimated for pcapng)",
    ),
    FieldDef("kismet.datasource.replay.packets_read", "uint64", "frames read so far in this pass"),
    FieldDef(
        "kismet.datasource.replay.packets_total",
        "uint64",
        "frames in the file (0 until a first pass has finished)",
    ),
    FieldDef("kismet.datasource.replay.percent", "double", "progress of this pass, percent"),
    FieldDef("kismet.datasource.replay.passes", "uint64", "completed passes over the file"),
    FieldDef("kismet.datasource.replay.realtime", "uint8", "replaying at capture speed"),
    FieldDef("kismet.datasource.replay.loop", "uint8", "starting again at the end"),
    FieldDef("kismet.datasource.replay.finished", "uint8", "the replay reached its end"),
)


class PumpSchedule:
    """One pending call of a replay's ``_pump`` (the class's own) on the source's clock."""

    _clock: Any
    _call: IDelayedCall | None
    _pump: Any

    def _schedule(self, delay: float) -> None:
        self._cancel_call()
        self._call = self._clock.callLater(max(0.0, delay), self._pump)

    def _cancel_call(self) -> None:
        if self._call is not None and self._call.active():
            self._call.cancel()
        self._call = None


class PcapFileSource(PumpSchedule, Datasource):
    """Replays one capture file."""

    driver = DriverInfo("pcapfile", "Pcap and pcapng file replay")
    retry_by_default: ClassVar[bool | None] = False

    def __init__(
        self, *, system: CaptureSystem, progress_interval: float = PROGRESS_INTERVAL,
        work_timer: Callable[[], float] = time.perf_counter, **base: Any
    ) -> None:
        super().__init__(**base)
        self._work_timer = work_timer
        options = base["options"]
        self._system = system
        self.path = self.interface
        if not options.text("name"):
            self.source_name = os.path.basename(self.path) or self.path
        self.realtime = options.flag("realtime", False)
        self.loop = options.flag("loop", False)
        size = options.number("batch", DEFAULT_BATCH)
        if size is None or size != int(size) or not 1 <= size <= MAX_BATCH:
            raise SourceDefinitionError(
                f"option batch must be a whole number from 1 to {MAX_BATCH}"
            )
        self.batch_size = int(size)
        self.progress_interval = progress_interval
        self.hardware = "pcapfile"
        self.file_size = 0
        self.file_format = "pcap"
        self.packets_read = 0
        self.bytes_read = 0
        self.packets_total = 0
        self.passes = 0
        self.finished = False
        self._handle: CaptureHandle | None = None
        self._call: IDelayedCall | None = None
        self._progress: LoopingCall | None = None
        self._reported_packets = -1
        self._pending: FrameBatch | None = None
        self._pending_index = 0
        self._frames_read = 0
        self._tail = False
        self._read_error: str | None = None
        self._reported_error = False
        self._anchor: tuple[float, float] | None = None
        self._rebase = False
        #: The clock's time when capture started (the finish message gives the duration).
        self._started = 0.0

    # -- record -----------------------------------------------------------------

    def percent(self) -> float:
        """Progress of this pass, percent of the file."""
        if self.finished:
            return 100.0
        if not self.file_size:
            return 0.0
        return round(min(100.0, 100.0 * self.bytes_read / self.file_size), 2)

    def record(self) -> dict[str, Any]:
        record = super().record()
        record.update(
            {
                "kismet.datasource.replay.file_size": self.file_size,
                "kismet.datasource.replay.bytes_read": self.bytes_read,
                "kismet.datasource.replay.packets_read": self.packets_read,
                "kismet.datasource.replay.packets_total": self.packets_total,
                "kismet.datasource.replay.percent": self.percent(),
                "kismet.datasource.replay.passes": self.passes,
                "kismet.datasource.replay.realtime": int(self.realtime),
                "kismet.datasource.replay.loop": int(self.loop),
                "kismet.datasource.replay.finished": int(self.finished),
            }
        )
        return record

    # -- capture hooks ------------------------------------------------------------

    def _start_capture(self) -> None:
        info = self._system.file_info(self.path)
        handle = self._system.open_offline(self.path)
        self.file_size = info.size
        self.file_format = info.format
        dlt = self.dlt = handle.datalink()
        if dlt not in SUPPORTED_DLTS:
            handle.close()
            names = ", ".join(str(n) for n in sorted(SUPPORTED_DLTS))
            raise CaptureError(f"{self.path}: unsupported link type DLT {dlt} "
                               f"(802.11 link types are {names})")
        self._handle = handle
        self._started = self._clock.seconds()
        self.finished = False
        self._read_error = None
        self._reported_error = False
        self._begin_pass()
        self._progress = LoopingCall(self._report_progress)
        self._progress.clock = self._clock
        self._progress.start(self.progress_interval, now=False)
        self._schedule(0)

    def _stop_capture(self) -> None:
        self._cancel_call()
        if self._progress is not None and self._progress.running:
            self._progress.stop()
        self._progress = None
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        self._pending = None

    def _pause_capture(self) -> None:
        self._cancel_call()

    def _resume_capture(self) -> None:
        self._rebase = True
        self._schedule(0)

    # -- reading --------------------------------------------------------------------

    def _begin_pass(self) -> None:
        self.packets_read = 0
        self._frames_read = 0
        self.bytes_read = _FILE_HEADER.get(self.file_format, 0)
        self._pending = None
        self._pending_index = 0
        self._tail = False
        self._anchor = None
        self._rebase = False

    def _account(self, batch: FrameBatch, start: int, stop: int) -> None:
        """Count frames ``start`` to ``stop`` of a batch as replayed (bytes estimated)."""
        meta = batch[1]
        first = META.unpack_from(meta, start * META_SIZE)
        last = META.unpack_from(meta, (stop - 1) * META_SIZE)
        data = last[2] + last[3] - first[2]
        count = stop - start
        self.packets_read += count
        overhead = _RECORD_OVERHEAD.get(self.file_format, 16)
        self.bytes_read = min(self.file_size, self.bytes_read + data + overhead * count)

    def _read(self, limit: int) -> FrameBatch | None:
        """The next frames of the file (at most ``limit``), or None at its end."""
        assert self._handle is not None
        if self._tail:
            frames: list[tuple[float, bytes]] = []
            while len(frames) < limit:
                try:
                    frame = self._handle.next()
                except CaptureError as exc:
                    self._read_error = str(exc)
                    break
                if frame is None:
                    break
                frames.append(frame)
            if not frames:
                return None
            batch = pack_batch(frames)
        else:
            try:
                batch = self._handle.next_batch(limit)
            except CaptureError:
                self._reposition()
                return self._read(limit)
            if not batch[1]:
                return None
        self._frames_read += batch_len(batch)
        return batch

    def _reposition(self) -> None:
        """After a batch read error: re-open, skip what was delivered, read one by one."""
        assert self._handle is not None
        self._handle.close()
        handle = self._system.open_offline(self.path)
        self._handle = handle
        remaining = self._frames_read
        while remaining > 0:
            skipped = batch_len(handle.next_batch(min(remaining, _SKIP_BATCH)))
            if not skipped:
                break
            remaining -= skipped
        self._tail = True

    def _due(self, ts: float) -> float:
        """When a frame stamped ``ts`` is due on the clock, in realtime mode."""
        now = self._clock.seconds()
        if self._anchor is None:
            self._anchor = (now, ts)
        elif self._rebase:
            self._anchor = (now - (ts - self._anchor[1]), self._anchor[1])
        self._rebase = False
        start, first_ts = self._anchor
        return start + (ts - first_ts)

    def _due_prefix(self, batch: FrameBatch, start: int, limit: int) -> tuple[int, float | None]:
        """How many frames from ``start`` are due now, and the wait for the next one."""
        now = self._clock.seconds()
        meta = batch[1]
        index = start
        while index < limit:
            sec, usec, _, _ = META.unpack_from(meta, index * META_SIZE)
            due = self._due(sec + usec * 1e-6)
            if due > now:
                return index, due - now
            index += 1
        return index, None

    def _pump(self) -> None:
        """Deliver up to one batch of due frames, then yield to the reactor."""
        self._call = None
        budget = self.batch_size
        timer = self._work_timer
        deadline = timer() + REPLAY_SLICE
        try:
            while budget > 0 and self.capturing and not self.paused:
                if self._pending is None:
                    batch = self._read(budget)
                    if batch is None:
                        self._end_of_pass()
                        return
                    self._pending = batch
                    self._pending_index = 0
                batch = self._pending
                start = self._pending_index
                count = batch_len(batch)
                limit = min(count, start + budget, start + CHUNK)
                if self.realtime:
                    stop, wait = self._due_prefix(batch, start, limit)
                else:
                    stop, wait = limit, None
                if stop > start:
                    self._pending_index = stop
                    budget -= stop - start
                    self._account(batch, start, stop)
                    self.deliver(slice_batch(batch, start, stop))
                if self._pending_index >= count:
                    self._pending = None
                if wait is not None:
                    if self.capturing and not self.paused:
                        self._schedule(wait)
                    return
                if timer() >= deadline:
                    break
        except CaptureError as exc:
            self.fail(str(exc))
            return
        if self.capturing and not self.paused:
            self._schedule(0)

    def _end_of_pass(self) -> None:
        frames = self.packets_read
        self.passes += 1
        self.packets_total = frames
        error = self._read_error
        if error is not None and not self._reported_error:
            self._reported_error = True
            self.error_reason = error
            self.warning = f"the file ends with an unreadable record after {frames} frames"
            if self.loop:
                self.post(f"{self.warning}: {error}; looping over the complete ones", ERROR)
        if self.loop and frames:
            if self.passes == 1:
                self.post(f"reached the end of {self.path} after {frames} frames; looping")
            assert self._handle is not None
            self._handle.close()
            try:
                self._handle = self._system.open_offline(self.path)
            except CaptureError as exc:
                self._handle = None
                self.fail(str(exc))
                return
            self._begin_pass()
            self._schedule(0)
            return
        self.finished = True
        self.bytes_read = self.file_size
        summary = (
            f"finished replaying {self.path}: {frames} frames in "
            f"{self._clock.seconds() - self._started:.3f} s, "
            f"{self.num_error_packets} error packets"
        )
        self.finish(summary, error)

    def _report_progress(self) -> None:
        if self.passes or self.packets_read == self._reported_packets:
            return
        self._reported_packets = self.packets_read
        self.post(
            f"replaying {self.path}: {self.packets_read} frames, {self.bytes_read} of "
            f"{self.file_size} bytes ({self.percent():.0f}%)"
        )
