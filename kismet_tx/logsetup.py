"""Server log output: one line per event, to journald under systemd, else to a log file.

Use it as twistd's log observer factory::

    twistd -n --pidfile= --logger=kismet_tx.logsetup.observer kismet ...

Under systemd (``JOURNAL_STREAM`` or ``INVOCATION_ID`` in the environment) each
event is one line on stdout, prefixed with its syslog priority (``<3>`` error,
``<4>`` warning, ``<6>`` info, ``<7>`` debug) so journald files it at the right
level, with no timestamp since journald adds its own. Anywhere else each
event is one timestamped line in ``$KISMET_TX_LOGFILE`` (default
``~/.kismet/kismet_tx.log``), flushed per event, rotated at 10 MB with 5 old
files kept, and closed when the process exits (after twistd's last line).
Tracebacks stay on the event's line, their line breaks shown as ``" | "``.
"""

from __future__ import annotations

import atexit
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TextIO

from twisted.logger import (
    FileLogObserver,
    ILogObserver,
    LogLevel,
    formatEvent,
    formatTime,
)
from twisted.python.failure import Failure
from twisted.python.logfile import LogFile

#: Environment variable naming the log file (outside systemd).
LOGFILE_ENV = "KISMET_TX_LOGFILE"
DEFAULT_LOGFILE = "~/.kismet/kismet_tx.log"
ROTATE_BYTES = 10_000_000
ROTATED_FILES = 5

_PRIORITY = {
    LogLevel.critical: 2,
    LogLevel.error: 3,
    LogLevel.warn: 4,
    LogLevel.info: 6,
    LogLevel.debug: 7,
}


def under_systemd(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the process runs as a systemd unit (stdout goes to the journal)."""
    return "JOURNAL_STREAM" in environ or "INVOCATION_ID" in environ


def _one_line(text: str) -> str:
    return " | ".join(part for part in text.replace("\r", "").split("\n") if part.strip())


def event_text(event: Mapping[str, Any]) -> str:
    """``[namespace] message`` with any traceback, on one line."""
    text = formatEvent(dict(event))
    failure = event.get("log_failure")
    if isinstance(failure, Failure):
        text = f"{text} | {failure.getTraceback()}"
    namespace = event.get("log_namespace", "-")
    return f"[{namespace}] {_one_line(text)}"


def journal_line(event: Mapping[str, Any]) -> str:
    """One journal line: syslog priority prefix and the event text."""
    level = event.get("log_level", LogLevel.info)
    return f"<{_PRIORITY.get(level, 6)}>{event_text(event)}\n"


def file_line(event: Mapping[str, Any]) -> str:
    """One log file line: timestamp, level and the event text."""
    level = event.get("log_level", LogLevel.info)
    stamp = formatTime(event.get("log_time"), timeFormat="%Y-%m-%dT%H:%M:%S%z")
    return f"{stamp} {level.name.upper()} {event_text(event)}\n"


def journal_observer(stream: TextIO) -> ILogObserver:
    """One line per event on ``stream`` (stdout under systemd)."""
    return FileLogObserver(stream, journal_line)


class LogFileSink:
    """A rotating log file that can be closed once; later events are dropped."""

    def __init__(self, logfile: LogFile) -> None:
        self._file = logfile
        self.closed = False

    def write(self, text: str) -> None:
        if not self.closed:
            self._file.write(text)

    def flush(self) -> None:
        if not self.closed:
            self._file.flush()

    def close(self) -> None:
        """Flush and close the file."""
        if not self.closed:
            self.closed = True
            self._file.flush()
            self._file.close()


def file_observer(path: str | os.PathLike[str]) -> tuple[ILogObserver, LogFileSink]:
    """One line per event in a rotating log file; returns the observer and its sink."""
    target = Path(path).expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    sink = LogFileSink(LogFile.fromFullPath(str(target), rotateLength=ROTATE_BYTES,
                                            maxRotatedFiles=ROTATED_FILES))
    # Twisted annotates the file as IO[Any]; it only calls write() and flush().
    return FileLogObserver(sink, file_line), sink  # type: ignore[arg-type]


def observer(environ: Mapping[str, str] | None = None, stream: TextIO | None = None,
             at_exit: Callable[[Callable[[], None]], Any] = atexit.register) -> ILogObserver:
    """twistd ``--logger`` factory: journal lines under systemd, else the log file."""
    env = os.environ if environ is None else environ
    if under_systemd(env):
        return journal_observer(stream if stream is not None else sys.stdout)
    made, sink = file_observer(env.get(LOGFILE_ENV) or DEFAULT_LOGFILE)
    at_exit(sink.close)
    return made
