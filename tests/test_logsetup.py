"""Server log output: journal lines under systemd, a rotating file otherwise."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from twisted.logger import Logger, LogLevel, LogPublisher

from kismet_tx.logsetup import LOGFILE_ENV, journal_line, observer, under_systemd


def emit(observe: Callable[[dict], None]) -> None:
    publisher = LogPublisher(observe)
    log = Logger(namespace="kismet_tx.test", observer=publisher)
    log.info("first {what}", what="event")
    log.warn("careful\nthere")
    try:
        raise ValueError("boom")
    except ValueError:
        log.failure("it failed")


def test_systemd_is_detected_from_its_environment() -> None:
    assert under_systemd({"JOURNAL_STREAM": "8:1"})
    assert under_systemd({"INVOCATION_ID": "abc"})
    assert not under_systemd({"HOME": "/root"})


def test_under_systemd_one_journal_line_per_event() -> None:
    out = io.StringIO()
    emit(observer({"INVOCATION_ID": "x"}, stream=out))
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[0] == "<6>[kismet_tx.test] first event"
    assert lines[1] == "<4>[kismet_tx.test] careful | there"
    assert lines[2].startswith("<2>[kismet_tx.test] it failed | Traceback (most recent call")
    assert lines[2].endswith("builtins.ValueError: boom")


def test_elsewhere_a_log_file_flushed_per_event_and_closed_at_exit(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "server.log"
    closers: list[Callable[[], None]] = []
    observe = observer({LOGFILE_ENV: str(path)}, at_exit=closers.append)
    emit(observe)
    lines = path.read_text().splitlines()
    assert len(lines) == 3
    assert lines[0].endswith(" INFO [kismet_tx.test] first event")
    assert lines[0][:4].isdigit() and lines[0][10] == "T"
    assert " CRITICAL [kismet_tx.test] it failed | Traceback" in lines[2]
    (close,) = closers
    close()
    observe({"log_level": LogLevel.info, "log_namespace": "late", "log_format": "after close",
             "log_time": 0.0})
    assert len(path.read_text().splitlines()) == 3


def test_journal_priorities() -> None:
    for level, prefix in ((LogLevel.debug, "<7>"), (LogLevel.info, "<6>"),
                          (LogLevel.warn, "<4>"), (LogLevel.error, "<3>"),
                          (LogLevel.critical, "<2>")):
        line = journal_line({"log_level": level, "log_namespace": "n", "log_format": "x"})
        assert line == f"{prefix}[n] x\n"
