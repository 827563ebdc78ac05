"""The pcapfile datasource: every record of every capture, timing, loop, state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from twisted.internet import task

from kismet_tx.capture.datasourcetracker import DatasourceTracker
from kismet_tx.capture.linux import LinuxCaptureSystem
from kismet_tx.capture.memory import MemoryCaptureSystem
from kismet_tx.capture.pcapfile import CHUNK, REPLAY_SLICE, PcapFileSource
from kismet_tx.capture.sourcecommands import SourceStateError
from kismet_tx.capture.system import DLT_IEEE802_11
from kismet_tx.chain import PacketChain
from kismet_tx.messagebus import ERROR, MessageBus
from kismet_tx.sourcedefinition import SourceDefinitionError
from tests.capture.conftest import DATA, Recorder, Rig, beacon, make_rig

TRUTH = json.loads((DATA / "truth.json").read_text())["files"]
CUT_SHORT = "truncated dump file; tried to read 411 captured bytes, only got 179"


def corrupt_frames(truth: dict) -> int:
    """Frames tshark could not give an 802.11 type (protocol version != 0 or corrupt)."""
    return sum(n for name, n in truth["frame_types"].items() if name.startswith("no_wlan_fc"))


def replay(
    path: Path, definition_options: str = ""
) -> tuple[PcapFileSource, PacketChain, MessageBus]:
    """Replay a real capture at full speed through a real chain until it ends."""
    clock = task.Clock()
    bus = MessageBus(clock, backlog=500)
    chain = PacketChain(clock)
    tracker = DatasourceTracker(
        clock=clock, reactor=None, bus=bus, sink=chain.sink, system=LinuxCaptureSystem()
    )
    tracker.startService()
    source = tracker.add(f"{path}{definition_options}")
    assert isinstance(source, PcapFileSource)
    while source.capturing:
        clock.advance(0)
    return source, chain, bus


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_every_record_of_every_capture_reaches_the_chain(name: str) -> None:
    truth = TRUTH[name]
    source, chain, _ = replay(DATA / name)
    assert chain.packets == truth["frames"]
    assert source.num_packets == truth["frames"]
    assert source.packets_total == truth["frames"]
    assert source.dlt == truth["linktype"]
    # Kismet's rules for error packets: a frame whose FCS is present and wrong, and a
    # frame whose 802.11 header cannot be decoded (tshark's "no_wlan_fc": protocol
    # version != 0). tshark's other "malformed" frames (exceptions deep inside IEs)
    # are ordinary packets to Kismet and are not counted.
    assert chain.bad_fcs == truth["bad_fcs_frames"]
    assert chain.malformed == corrupt_frames(truth)
    assert source.num_error_packets == truth["bad_fcs_frames"] + corrupt_frames(truth)
    assert source.finished
    assert source.record()["kismet.datasource.replay.percent"] == 100.0
    if truth["truncated_last_record"]:
        assert source.error and "truncated" in source.error_reason
    else:
        assert not source.error and source.error_reason == ""


@pytest.mark.parametrize("batch", [1, 4096, 65536])
def test_truncated_capture_delivers_every_complete_record(batch: int) -> None:
    source, chain, bus = replay(DATA / "aircrack-ng_pmkid-not-recognized.cap", f":batch={batch}")
    assert chain.packets == 20_056
    assert source.num_packets == 20_056
    record = source.record()
    assert record["kismet.datasource.error"] == 1
    assert record["kismet.datasource.running"] == 0
    assert "truncated dump file" in record["kismet.datasource.error_reason"]
    errors = [m.text for m in bus.messages() if m.flags & ERROR]
    assert len(errors) == 1
    assert "20056 frames" in errors[0] and "truncated dump file" in errors[0]
    assert not source.retry_pending


def add_memory_file(
    rig: Rig, path: str, stamps: list[float], trailing_error: str | None = None
) -> None:
    rig.system.add_file(path, DLT_IEEE802_11, [(ts, beacon()) for ts in stamps], trailing_error)


def test_truncated_file_on_the_twin_too(rig: Rig) -> None:
    add_memory_file(rig, "/cap/cut.pcap", [1000 + i for i in range(5000)], CUT_SHORT)
    rig.tracker.startService()
    source = rig.tracker.add("/cap/cut.pcap:batch=4096")
    rig.run_until_idle()
    assert len(rig.sink.frames()) == 5000
    assert source.error and CUT_SHORT in source.error_reason


def test_full_speed_replay_yields_after_each_bounded_batch(rig: Rig) -> None:
    add_memory_file(rig, "/cap/big.pcap", [1000 + i / 1000 for i in range(1000)])
    rig.tracker.startService()
    source = rig.tracker.add("/cap/big.pcap:batch=100")
    delivered = []
    for _ in range(10):
        rig.step()
        delivered.append(len(rig.sink.frames()))
    assert delivered == [100 * (i + 1) for i in range(10)]
    rig.step()
    assert source.finished and not source.capturing


def test_full_speed_replay_yields_once_its_slice_of_time_is_spent() -> None:
    # Each look at the work timer finds 0.4 REPLAY_SLICE more spent: a batch of
    # 4096 frames still yields to the reactor after three CHUNKs of frames.
    looks = iter(range(10**6))
    rig = make_rig(work_timer=lambda: next(looks) * 0.4 * REPLAY_SLICE)
    add_memory_file(rig, "/cap/big.pcap", [1000 + i / 1000 for i in range(5000)])
    rig.tracker.startService()
    source = rig.tracker.add("/cap/big.pcap:batch=4096")
    delivered = []
    while source.capturing:
        rig.step()
        delivered.append(len(rig.sink.frames()))
    per_turn = [b - a for a, b in zip([0, *delivered], delivered, strict=False)]
    assert per_turn[:3] == [3 * CHUNK] * 3
    assert delivered[-1] == 5000


def test_realtime_replay_follows_capture_timing(rig: Rig) -> None:
    add_memory_file(rig, "/cap/rt.pcap", [500.0, 501.0, 501.5, 510.0])
    rig.tracker.startService()
    source = rig.tracker.add("/cap/rt.pcap:realtime=true")
    rig.clock.advance(0)
    assert len(rig.sink.frames()) == 1
    rig.clock.advance(0.99)
    assert len(rig.sink.frames()) == 1
    rig.clock.advance(0.01)
    assert len(rig.sink.frames()) == 2
    rig.clock.advance(0.5)
    assert len(rig.sink.frames()) == 3
    rig.clock.advance(8.4)
    assert len(rig.sink.frames()) == 3 and source.capturing
    rig.clock.advance(0.1)
    assert len(rig.sink.frames()) == 4
    rig.clock.advance(0)
    assert source.finished
    # The finish message says how long the replay took (the capture spans 10 s).
    assert any("finished replaying /cap/rt.pcap: 4 frames in 10.000 s, 0 error packets" in t
               for t in rig.texts())


def test_pause_and_resume_in_realtime(rig: Rig) -> None:
    add_memory_file(rig, "/cap/rt.pcap", [100.0, 101.0, 102.0, 103.0])
    rig.tracker.startService()
    source = rig.tracker.add("/cap/rt.pcap:realtime=true,name=rt")
    rig.clock.advance(0)
    source.pause()
    assert source.record()["kismet.datasource.paused"] == 1
    rig.clock.advance(60)
    assert len(rig.sink.frames()) == 1
    with pytest.raises(SourceStateError, match="already paused"):
        source.pause()
    source.resume()
    rig.clock.advance(0)
    assert len(rig.sink.frames()) == 2, "the next frame comes at once after a resume"
    rig.clock.advance(1)
    assert len(rig.sink.frames()) == 3
    with pytest.raises(SourceStateError, match="already running"):
        source.resume()
    texts = rig.texts()
    assert any("'rt'" in t and t.endswith("paused") for t in texts)
    assert any("'rt'" in t and t.endswith("resumed") for t in texts)


def test_loop_starts_again_at_the_end(rig: Rig) -> None:
    add_memory_file(rig, "/cap/loop.pcap", [10.0, 11.0, 12.0])
    rig.tracker.startService()
    source = rig.tracker.add("/cap/loop.pcap:loop=true")
    for _ in range(20):
        rig.step()
    assert source.capturing and source.passes >= 3
    assert len(rig.sink.frames()) >= 9
    assert source.packets_total == 3
    assert sum("looping" in t for t in rig.texts()) == 1
    source.close()
    count = len(rig.sink.frames())
    rig.clock.advance(10)
    assert len(rig.sink.frames()) == count


def test_realtime_loop_replays_with_the_same_timing(rig: Rig) -> None:
    add_memory_file(rig, "/cap/loop.pcap", [10.0, 12.0])
    rig.tracker.startService()
    rig.tracker.add("/cap/loop.pcap:loop=true,realtime=true")
    rig.clock.advance(0)
    seen = [len(rig.sink.frames())]
    for _ in range(4):
        rig.clock.advance(2)
        seen.append(len(rig.sink.frames()))
    # Each pass keeps the file's own spacing (2 s); the next pass starts at once.
    assert seen == [1, 3, 5, 7, 9]


def test_close_open_and_state_messages(rig: Rig) -> None:
    add_memory_file(rig, "/cap/rt.pcap", [100.0, 200.0])
    rig.tracker.startService()
    source = rig.tracker.add("/cap/rt.pcap:realtime=true,name=cap")
    rig.clock.advance(0)
    with pytest.raises(SourceStateError, match="already running"):
        source.open()
    source.close()
    assert not source.capturing and not source.enabled
    rig.clock.advance(500)
    assert len(rig.sink.frames()) == 1
    with pytest.raises(SourceStateError):
        source.pause()
    source.open()
    rig.clock.advance(0)
    assert source.capturing
    assert len(rig.sink.frames()) == 2, "a re-opened file starts from its beginning"
    texts = [t for t in rig.texts() if "'cap'" in t]
    assert [t.split(": ", 1)[1].split(" ")[0].rstrip(";") for t in texts] == [
        "opened",
        "closed",
        "opened",
    ]


def test_progress_in_record_and_messages() -> None:
    rig = make_rig(progress_interval=5.0)
    add_memory_file(rig, "/cap/slow.pcap", [float(i) for i in range(100)])
    rig.tracker.startService()
    source = rig.tracker.add("/cap/slow.pcap:realtime=true,name=slow")
    rig.clock.advance(0)
    for _ in range(10):
        rig.clock.advance(1)
    record = source.record()
    assert record["kismet.datasource.replay.packets_read"] == 11
    assert record["kismet.datasource.replay.file_size"] == 24 + 100 * (16 + len(beacon()))
    assert record["kismet.datasource.replay.bytes_read"] == 24 + 11 * (16 + len(beacon()))
    assert 0 < record["kismet.datasource.replay.percent"] < 100
    assert record["kismet.datasource.replay.packets_total"] == 0
    progress = [t for t in rig.texts() if "replaying" in t]
    assert len(progress) == 2
    size = 24 + 100 * (16 + len(beacon()))
    assert f"of {size} bytes" in progress[-1] and "(10%)" in progress[-1]


def test_bad_definitions_are_refused(rig: Rig) -> None:
    with pytest.raises(SourceDefinitionError, match="cannot read capture file"):
        rig.tracker.add("/cap/missing.pcap")
    add_memory_file(rig, "/cap/x.pcap", [1.0])
    for bad in (
        "/cap/x.pcap:realtime=maybe",
        "/cap/x.pcap:batch=0",
        "/cap/x.pcap:batch=2.5",
        "/cap/x.pcap:loop",
    ):
        with pytest.raises(SourceDefinitionError):
            rig.tracker.add(bad)
    assert rig.tracker.sources() == []


def test_file_that_fails_to_open_stays_in_error_without_retry() -> None:
    system = MemoryCaptureSystem()
    rig = make_rig(system=system)
    add_memory_file(rig, "/cap/gone.pcap", [1.0])
    source = rig.tracker.add("/cap/gone.pcap")
    del system.files["/cap/gone.pcap"]
    rig.tracker.startService()
    assert source.error and "No such file" in source.error_reason
    assert not source.retry_pending
    assert isinstance(rig.sink, Recorder) and rig.sink.frames() == []


def test_looping_over_a_truncated_file_reports_the_error_once(rig: Rig) -> None:
    add_memory_file(rig, "/cap/cut.pcap", [1.0, 2.0, 3.0], CUT_SHORT)
    rig.tracker.startService()
    source = rig.tracker.add("/cap/cut.pcap:loop=true")
    for _ in range(10):
        rig.step()
    assert source.capturing and source.passes >= 3
    assert CUT_SHORT in source.error_reason and not source.error
    assert "unreadable record after 3 frames" in source.warning
    errors = [m.text for m in rig.bus.messages() if m.flags & ERROR]
    assert len(errors) == 1 and CUT_SHORT in errors[0]
