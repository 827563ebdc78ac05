"""Log file names and the logging settings: Kismet's ``kismet_logging.conf`` keys.

- ``enable_logging`` (default true): false opens no log at all;
- ``log_types``: comma-separated; ``pcapng`` is written by
  :mod:`kismet_tx.streams.logfile` and ``kismet`` by :mod:`kismet_tx.kismetdb.log`;
  any other type is reported on the message bus and skipped;
- ``log_prefix`` (default ``./``), ``log_title`` (default ``Kismet``);
- ``log_template`` (default ``%p/%n-%D-%t-%i.%l``), expanded by
  :func:`expand_log_template`.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from kismet_tx.config import Config

__all__ = [
    "DEFAULT_LOG_PREFIX",
    "DEFAULT_LOG_TEMPLATE",
    "DEFAULT_LOG_TITLE",
    "MAX_INCREMENT",
    "SEPARATE_LOG_TYPES",
    "SUPPORTED_LOG_TYPES",
    "LogSettings",
    "LogTemplateError",
    "expand_log_template",
]

_SLASHES = re.compile(r"/{2,}")

#: Kismet's default ``log_template``.
DEFAULT_LOG_TEMPLATE = "%p/%n-%D-%t-%i.%l"
DEFAULT_LOG_PREFIX = "./"
DEFAULT_LOG_TITLE = "Kismet"
#: The log types this server writes.
SUPPORTED_LOG_TYPES = ("pcapng", "kismet")
#: Log types another service writes (``kismet``: :mod:`kismet_tx.kismetdb.log`).
SEPARATE_LOG_TYPES = ("kismet",)
#: ``%i`` tries the numbers 1 .. MAX_INCREMENT - 1.
MAX_INCREMENT = 10_000


class LogTemplateError(ValueError):
    """The template cannot give a file name (every ``%i`` number is taken)."""


def _taken(path: str, exists: Callable[[str], bool]) -> bool:
    return exists(path) or exists(path + ".gz") or exists(path + ".bz2")


def expand_log_template(template: str, *, prefix: str, title: str, log_type: str,
                        start_time: float, home: str,
                        exists: Callable[[str], bool] = os.path.exists) -> str:
    """Expand Kismet's log naming codes.

    ``%p`` the prefix with a trailing ``/``; ``%n`` the title; ``%d`` the start
    date as ``Mmm-DD-YYYY``; ``%D`` as ``YYYYMMDD``; ``%t`` the start time as
    ``HH-MM-SS``; ``%T`` as ``HHMMSS``; ``%l`` the log type; ``%h`` the home
    directory; ``%i`` the lowest number from 1 for which neither the name nor
    the name plus ``.gz`` or ``.bz2`` exists, and ``%I`` the same padded to five
    digits. Dates and times are local. As in Kismet, any other code expands to
    nothing. Runs of ``/`` become one (``%p/`` would otherwise give two).
    """
    stamp = time.localtime(start_time)
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    codes = {
        "p": prefix, "n": title, "l": log_type, "h": home,
        "d": time.strftime("%b-%d-%Y", stamp), "D": time.strftime("%Y%m%d", stamp),
        "t": time.strftime("%H-%M-%S", stamp), "T": time.strftime("%H%M%S", stamp),
    }
    head: list[str] = []
    tail: list[str] = []
    increment: str | None = None
    out = head
    index = 0
    while index < len(template):
        char = template[index]
        if char != "%":
            out.append(char)
            index += 1
            continue
        code = template[index + 1:index + 2]
        index += 2
        if code in ("i", "I") and increment is None:
            increment = code
            out = tail
        else:
            out.append(codes.get(code, ""))
    before = _SLASHES.sub("/", "".join(head))
    after = _SLASHES.sub("/", "".join(tail))
    if increment is None:
        return before
    width = 5 if increment == "I" else 1
    for number in range(1, MAX_INCREMENT):
        candidate = f"{before}{number:0{width}d}{after}"
        if not _taken(candidate, exists):
            return candidate
    raise LogTemplateError(f"every log number of {before}%{increment}{after} is taken")


@dataclass(frozen=True, slots=True)
class LogSettings:
    """What the logging keys of the config say."""

    enabled: bool = True
    types: tuple[str, ...] = ()
    prefix: str = DEFAULT_LOG_PREFIX
    title: str = DEFAULT_LOG_TITLE
    template: str = DEFAULT_LOG_TEMPLATE

    @classmethod
    def from_config(cls, config: Config) -> LogSettings:
        """The settings from the logging keys of ``config``."""
        types: list[str] = []
        for value in config.get_list("log_types"):
            for name in value.split(","):
                name = name.strip().lower()
                if name and name not in types:
                    types.append(name)
        return cls(
            enabled=config.get_bool("enable_logging", True),
            types=tuple(types),
            prefix=config.get("log_prefix") or DEFAULT_LOG_PREFIX,
            title=config.get("log_title") or DEFAULT_LOG_TITLE,
            template=config.get("log_template") or DEFAULT_LOG_TEMPLATE,
        )
