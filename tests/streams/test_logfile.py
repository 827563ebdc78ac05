"""pcapng logs on disk: Kismet's naming template, the registry, clean close, failing disks."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from twisted.internet import task

from kismet_tx.config import Config
from kismet_tx.messagebus import ERROR, MessageBus
from kismet_tx.streams.feed import ALL_PACKETS
from kismet_tx.streams.logfile import FLUSH_INTERVAL, PacketLogService
from kismet_tx.streams.lognaming import (
    DEFAULT_LOG_TEMPLATE,
    LogSettings,
    LogTemplateError,
    expand_log_template,
)
from kismet_tx.streams.packet import Packet
from kismet_tx.streams.registry import StreamRegistry
from tests.streams.helpers import needs_tshark, parse_pcapng, tshark_fields

#: 2024-03-05 14:07:09 local time.
START = time.mktime((2024, 3, 5, 14, 7, 9, 0, 0, -1))


def _expand(template: str, exists: set[str] | None = None, **overrides: str) -> str:
    taken = exists or set()
    options = dict(prefix="/logs", title="Kismet", log_type="pcapng", home="/home/k")
    options.update(overrides)
    return expand_log_template(template, start_time=START, exists=taken.__contains__,
                               **options)


def test_kismet_default_template() -> None:
    assert DEFAULT_LOG_TEMPLATE == "%p/%n-%D-%t-%i.%l"
    assert _expand(DEFAULT_LOG_TEMPLATE) == "/logs/Kismet-20240305-14-07-09-1.pcapng"
    assert _expand(DEFAULT_LOG_TEMPLATE, prefix="./") == "./Kismet-20240305-14-07-09-1.pcapng"


def test_every_code() -> None:
    assert _expand("%h/%n_%d_%T.%l") == "/home/k/Kismet_Mar-05-2024_140709.pcapng"
    assert _expand("%pa") == "/logs/a"
    assert _expand("x%Qy%") == "xy", "unknown codes expand to nothing, as in Kismet"
    assert _expand("plain/name.pcapng") == "plain/name.pcapng"


def test_increment_skips_taken_names_and_compressed_copies() -> None:
    taken = {"/l/K-1.pcapng", "/l/K-2.pcapng.gz", "/l/K-3.pcapng.bz2"}
    assert _expand("/l/%n-%i.%l", taken, title="K") == "/l/K-4.pcapng"
    assert _expand("/l/%n-%I.%l", {"/l/K-00001.pcapng"}, title="K") == "/l/K-00002.pcapng"


def test_increment_runs_out() -> None:
    with pytest.raises(LogTemplateError):
        expand_log_template("/l/%i", prefix="", title="", log_type="", start_time=START,
                            home="", exists=lambda path: True)


def test_settings_from_config() -> None:
    config = Config.from_text("log_types=kismet,pcapng\nlog_types=PCAPNG\nlog_prefix=/var/log\n"
                              "log_title=Survey\nlog_template=%p%n.%l\nenable_logging=false\n")
    settings = LogSettings.from_config(config)
    assert settings == LogSettings(False, ("kismet", "pcapng"), "/var/log", "Survey", "%p%n.%l")
    assert LogSettings.from_config(Config.from_text("")) == LogSettings()


class World:
    """A registry, a bus and a log service on a clock."""

    def __init__(self, tmp_path: Path, **settings: object) -> None:
        self.clock = task.Clock()
        self.clock.advance(START)
        self.bus = MessageBus(self.clock, backlog=100)
        self.registry = StreamRegistry(self.clock)
        options: dict[str, object] = dict(types=("pcapng",), prefix=str(tmp_path))
        options.update(settings)
        self.service = PacketLogService(LogSettings(**options),  # type: ignore[arg-type]
                                        self.registry, self.bus, self.clock, home="/home/k")
        self.failures: list[tuple[str, str]] = []
        self.service.subscribe_failures(lambda path, reason: self.failures.append((path, reason)))

    def packets(self, count: int, start: int = 0) -> None:
        for index in range(start, start + count):
            self.registry.feed(Packet("a", "wlan0", 127, 1_700_000_000 + index,
                                        index.to_bytes(4, "little") * 30, 120))
        self.clock.advance(0)

    def errors(self) -> list[str]:
        return [m.text for m in self.bus.messages() if m.flags & ERROR]


def _indices(data: bytes) -> list[int]:
    return [int.from_bytes(p.data[:4], "little") for p in parse_pcapng(data).packets]


def test_log_is_a_registered_stream_written_and_closed_on_stop(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.service.startService()
    [record] = world.registry.all_streams().values()
    path = record["kismet.stream.path"]
    assert path == f"{tmp_path}/Kismet-20240305-14-07-09-1.pcapng"
    assert record["kismet.stream.name"] == os.path.basename(path)
    assert record["kismet.stream.type"] == "pcapng"
    world.packets(50)
    record = world.registry.get(int(record["kismet.stream.stream_id"]))
    assert record is not None and record["kismet.stream.packets"] == 50
    world.service.stopService()
    data = Path(path).read_bytes()
    assert _indices(data) == list(range(50))
    assert len(data) == record["kismet.stream.size"]
    assert world.registry.all_streams() == {}
    assert world.errors() == []


def test_a_second_start_takes_the_next_number(tmp_path: Path) -> None:
    (tmp_path / "Kismet-20240305-14-07-09-1.pcapng").write_bytes(b"older")
    world = World(tmp_path)
    world.service.startService()
    [record] = world.registry.all_streams().values()
    assert record["kismet.stream.path"].endswith("-2.pcapng")
    world.service.stopService()
    assert (tmp_path / "Kismet-20240305-14-07-09-1.pcapng").read_bytes() == b"older"


def test_the_log_is_flushed_while_it_runs(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.service.startService()
    [log] = world.service.logs
    world.packets(5)
    world.clock.advance(FLUSH_INTERVAL)
    assert _indices(Path(log.path).read_bytes()) == list(range(5))
    world.service.stopService()


def test_close_stream_closes_the_log_and_later_packets_are_not_written(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.service.startService()
    [log] = world.service.logs
    world.packets(3)
    assert world.registry.close(1)
    world.packets(3, start=3)
    assert _indices(Path(log.path).read_bytes()) == [0, 1, 2]
    assert world.registry.all_streams() == {} and world.service.logs == []
    world.service.stopService()


def test_packets_taken_in_the_last_turn_are_written_on_close(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.service.startService()
    [log] = world.service.logs
    for index in range(4):
        world.registry.feed(Packet("a", "wlan0", 127, 1.0 + index, bytes([index]) * 8, 8))
    world.service.stopService()                      # no reactor turn in between
    assert len(parse_pcapng(Path(log.path).read_bytes()).packets) == 4


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_stops_the_log_with_an_error_and_nothing_else(tmp_path: Path) -> None:
    world = World(tmp_path, template="/dev/full")
    world.service.startService()
    assert len(world.registry) == 1
    world.packets(3_000)                             # more than the write buffer
    world.clock.advance(FLUSH_INTERVAL)
    assert world.failures == [("/dev/full", os.strerror(28))]
    [error] = world.errors()
    assert "pcapng log '/dev/full' stopped" in error and "No space left" in error
    assert world.registry.all_streams() == {} and world.service.logs == []
    world.packets(10)                                # the chain goes on
    world.service.stopService()
    assert len(world.errors()) == 1


def test_an_unwritable_place_is_reported_at_start(tmp_path: Path) -> None:
    world = World(tmp_path, prefix=str(tmp_path / "missing"))
    world.service.startService()
    [error] = world.errors()
    assert error.startswith(f"Failed to open pcapng log '{tmp_path}/missing/")
    assert "No such file or directory" in error
    assert len(world.failures) == 1
    assert world.registry.all_streams() == {}
    world.packets(2)
    world.service.stopService()


def test_other_log_types_and_disabled_logging(tmp_path: Path) -> None:
    world = World(tmp_path, types=("wiglecsv", "kismet", "pcapng"))
    world.service.startService()
    # ``kismet`` is the kismetdb log's (its own service): not refused, not opened here.
    assert world.errors() == ["Log type 'wiglecsv' is not supported by this server; "
                              "supported: pcapng, kismet"]
    assert len(world.registry) == 1
    world.service.stopService()
    off = World(tmp_path / "off", enabled=False)
    off.service.startService()
    assert off.registry.all_streams() == {} and off.errors() == []


def test_log_shares_the_all_packets_feed(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.service.startService()
    feed = world.registry.feed_for(ALL_PACKETS, None)
    assert world.service.logs[0] in feed.members
    world.service.stopService()


@needs_tshark
def test_tshark_reads_the_log(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.service.startService()
    [log] = world.service.logs
    world.packets(20)
    world.service.stopService()
    rows, done = tshark_fields(log.path, ["frame.interface_name", "frame.len"])
    assert done.returncode == 0, done.stderr
    assert rows == [["wlan0", "120"]] * 20
