"""Reading Kismet's ``kismet.conf`` family of configuration files into values.

:class:`ConfigFileReader` turns files and text into each key's
:class:`ConfigEntry` list (value, ``file:line`` origin); :mod:`kismet_tx.config`'s
:class:`~kismet_tx.config.Config` looks values up in it.

Format, following Kismet's ``config_file``:

* One ``key=value`` per line; surrounding whitespace is stripped from the
  line, the key and the value.  Keys are case-insensitive (stored
  lowercased).  A line whose first non-blank character is ``#`` is a
  comment; a ``#`` anywhere else is part of the value.  Blank lines are
  ignored.  Values are kept raw: quotes are not removed.
* A repeated key accumulates values in file order.  :meth:`~kismet_tx.config.Config.get`
  returns the *first* value, as Kismet's ``fetch_opt`` does;
  :meth:`~kismet_tx.config.Config.get_list` returns them all.
* ``key+=value`` is an appending assignment.  In a normal file it behaves
  like ``key=value``; in an override file it appends to the values already
  read instead of replacing them (only when every line for that key in the
  override uses ``+=``, as in Kismet).
* A line with an empty value (``key=``) is ignored with a warning, as
  Kismet does.
* ``%h`` in a value is replaced by the home directory given to the reader.
  Every other ``%X`` sequence is left literal (log templates use them).
  Values a program sets on a :class:`~kismet_tx.config.Config` are not expanded.
* ``include=PATH`` reads another file, which must exist.  ``opt_include=PATH``
  reads every regular file matching the glob ``PATH`` and silently skips it
  when nothing matches.  ``opt_override=PATH`` (also a glob, optional) is
  read after the whole top-level file: for each key it defines, its values
  replace every value read so far, so later base lines cannot undo it.
  Paths expand ``%h`` and ``~`` and are relative to the directory of the file
  that names them (Kismet itself resolves them against the working
  directory).  A file including itself, directly or not, is an error.
"""

from __future__ import annotations

import glob
import os
import re
import stat
from dataclasses import dataclass

__all__ = ["ConfigEntry", "ConfigError", "ConfigFileReader", "ConfigValues", "is_regular_file"]

_INCLUDE = "include"
_OPT_INCLUDE = "opt_include"
_OPT_OVERRIDE = "opt_override"
_DIRECTIVES = frozenset({_INCLUDE, _OPT_INCLUDE, _OPT_OVERRIDE})

_PERCENT_RE = re.compile(r"%(.)", re.DOTALL)


class ConfigError(ValueError):
    """A configuration file or value is invalid; the message names its origin."""


@dataclass(frozen=True, slots=True)
class ConfigEntry:
    """One value of a key and where it came from (``file:line``); ``append`` marks a
    ``key+=value`` line."""

    value: str
    origin: str
    append: bool = False


#: Each key (lowercased) and its values, in the order read.
ConfigValues = dict[str, list[ConfigEntry]]


def _expand(text: str, home: str) -> str:
    """Replace ``%h`` with ``home``; leave every other ``%X`` literal."""
    return _PERCENT_RE.sub(lambda m: home if m.group(1) == "h" else m.group(0), text)


def _reason(exc: BaseException) -> str:
    """A short human reason for an I/O failure."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)


def is_regular_file(path: str) -> bool:
    """Whether ``path`` names an existing regular file (never raises)."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def _read_text(path: str, prefix: str) -> str:
    """Read a config file as UTF-8, raising :class:`ConfigError` prefixed by ``prefix``."""
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            raise ConfigError(f"{prefix}: not a regular file")
        with open(path, encoding="utf-8", errors="surrogateescape") as fh:
            return fh.read()
    except (OSError, ValueError) as exc:
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(f"{prefix}: {_reason(exc)}") from exc


def _realpath(path: str) -> str:
    """``os.path.realpath`` that falls back to ``abspath`` on unusable paths."""
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return os.path.abspath(path)


class ConfigFileReader:
    """Reads config files and text into a :data:`ConfigValues` mapping.

    ``home`` replaces ``%h``; with ``known_keys`` an unknown key is a warning.
    Warnings (empty values, unknown keys, overrides read twice) are appended to
    ``warnings``.
    """

    def __init__(self, *, home: str, known_keys: frozenset[str] | None,
                 warnings: list[str]) -> None:
        self.home = home
        self.known_keys = known_keys
        self.warnings = warnings

    def read_file(self, path: str, values: ConfigValues) -> None:
        """Read the top-level file ``path`` and everything it includes into ``values``,
        then the overrides it names."""
        pending: list[tuple[str, str]] = []
        self._parse_file(path, None, values, (), pending)
        self._apply_overrides(values, pending)

    def read_text(self, text: str, name: str, base_dir: str, values: ConfigValues) -> None:
        """Read ``text`` as the file called ``name`` (relative include paths against
        ``base_dir``, the current directory when empty) into ``values``."""
        pending: list[tuple[str, str]] = []
        self._parse_text(text, name, base_dir, values, (), pending)
        self._apply_overrides(values, pending)

    def _parse_file(
        self,
        path: str,
        where: str | None,
        target: ConfigValues,
        stack: tuple[str, ...],
        pending: list[tuple[str, str]],
        *,
        kind: str = "include file",
    ) -> None:
        """Parse the file ``path`` named at ``where`` (``None`` for a top-level file).

        ``stack`` holds the real paths of the files currently being read.
        """
        real = _realpath(path)
        if real in stack:
            raise ConfigError(f"{where}: include loop: {path!r} is already being read")
        prefix = path if where is None else f"{where}: cannot read {kind} {path!r}"
        text = _read_text(path, prefix)
        self._parse_text(text, path, os.path.dirname(path), target, stack + (real,), pending)

    def _parse_text(
        self,
        text: str,
        name: str,
        base_dir: str,
        target: ConfigValues,
        stack: tuple[str, ...],
        pending: list[tuple[str, str]],
    ) -> None:
        """Parse config ``text`` from the file called ``name`` into ``target``."""
        for lineno, raw in enumerate(text.split("\n"), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            where = f"{name}:{lineno}"
            key, sep, value = line.partition("=")
            if not sep:
                raise ConfigError(f"{where}: expected key=value, got {line!r}")
            append = key.endswith("+")
            if append:
                key = key[:-1]
            key = key.strip().lower()
            if not key:
                raise ConfigError(f"{where}: empty key in {line!r}")
            value = value.strip()
            if not value:
                self.warnings.append(f"{where}: empty value for {key!r} ignored")
                continue
            value = _expand(value, self.home)
            if key in _DIRECTIVES:
                path = os.path.join(base_dir, os.path.expanduser(value))
                if key == _INCLUDE:
                    self._parse_file(path, where, target, stack, pending)
                elif key == _OPT_INCLUDE:
                    for match in self._glob_files(path, where):
                        self._parse_file(match, where, target, stack, pending)
                else:
                    pending.append((path, where))
                continue
            if self.known_keys is not None and key not in self.known_keys:
                self.warnings.append(f"{where}: unknown key {key!r}")
            target.setdefault(key, []).append(ConfigEntry(value, where, append))

    @staticmethod
    def _glob_files(pattern: str, where: str) -> list[str]:
        """Regular files matching ``pattern``, sorted; empty on no match."""
        try:
            matches = sorted(glob.glob(pattern))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{where}: bad include pattern {pattern!r}: {exc}") from exc
        return [m for m in matches if is_regular_file(m)]

    def _apply_overrides(self, values: ConfigValues, pending: list[tuple[str, str]]) -> None:
        """Read queued override files (and the overrides they name) and apply them."""
        applied: set[str] = set()
        while pending:
            pattern, where = pending.pop(0)
            override: ConfigValues = {}
            for path in self._glob_files(pattern, where):
                real = _realpath(path)
                if real in applied:
                    self.warnings.append(
                        f"{where}: override file {path!r} already applied, skipped"
                    )
                    continue
                applied.add(real)
                self._parse_file(path, where, override, (), pending, kind="override file")
            for key, entries in override.items():
                if all(entry.append for entry in entries):
                    values.setdefault(key, []).extend(entries)
                else:
                    values[key] = list(entries)
