"""Reader for Kismet's ``kismet.conf`` family of configuration files.

Format, following Kismet's ``config_file``:

* One ``key=value`` per line; surrounding whitespace is stripped from the
  line, the key and the value.  Keys are case-insensitive (stored
  lowercased).  A line whose first non-blank character is ``#`` is a
  comment; a ``#`` anywhere else is part of the value.  Blank lines are
  ignored.  Values are kept raw: quotes are not removed.
* A repeated key accumulates values in file order.  :meth:`Config.get`
  returns the *first* value, as Kismet's ``fetch_opt`` does;
  :meth:`Config.get_list` returns them all.
* ``key+=value`` is an appending assignment.  In a normal file it behaves
  like ``key=value``; in an override file it appends to the values already
  read instead of replacing them (only when every line for that key in the
  override uses ``+=``, as in Kismet).
* A line with an empty value (``key=``) is ignored with a warning, as
  Kismet does.
* ``%h`` in a value is replaced by the home directory given to the reader.
  Every other ``%X`` sequence is left literal (log templates use them).
  Values added with :meth:`Config.set` / :meth:`Config.add` are not expanded.
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
import math
import os
import re
import stat
from dataclasses import dataclass

__all__ = [
    "Config",
    "ConfigError",
    "SourceDefinitionError",
    "parse_source_definition",
]

_INCLUDE = "include"
_OPT_INCLUDE = "opt_include"
_OPT_OVERRIDE = "opt_override"
_DIRECTIVES = frozenset({_INCLUDE, _OPT_INCLUDE, _OPT_OVERRIDE})

_TRUE = frozenset({"true", "yes", "1", "on"})
_FALSE = frozenset({"false", "no", "0", "off"})
_INT_RE = re.compile(r"[+-]?[0-9]+")
_FLOAT_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_PERCENT_RE = re.compile(r"%(.)", re.DOTALL)

#: Origin recorded for values given through :meth:`Config.set` / :meth:`Config.add`.
COMMAND_LINE = "<command line>"


class ConfigError(ValueError):
    """A configuration file or value is invalid; the message names its origin."""


class SourceDefinitionError(ValueError):
    """A capture source definition (``iface:opt=val,...``) is malformed."""


@dataclass(frozen=True, slots=True)
class _Entry:
    """One value of a key and where it came from."""

    value: str
    origin: str
    append: bool = False


_Values = dict[str, list[_Entry]]


def _expand(text: str, home: str) -> str:
    """Replace ``%h`` with ``home``; leave every other ``%X`` literal."""
    return _PERCENT_RE.sub(lambda m: home if m.group(1) == "h" else m.group(0), text)


def _reason(exc: BaseException) -> str:
    """A short human reason for an I/O failure."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)


def _is_regular_file(path: str) -> bool:
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


class Config:
    """Values read from Kismet config files, with their file:line origins."""

    def __init__(self, *, home: str = "~", known_keys: frozenset[str] | None = None) -> None:
        """An empty config; ``home`` replaces ``%h``, ``known_keys`` enables warnings."""
        self.home = home
        self.known_keys = None if known_keys is None else frozenset(k.lower() for k in known_keys)
        self.warnings: list[str] = []
        self._values: _Values = {}

    # -- construction -----------------------------------------------------

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        *,
        home: str,
        known_keys: frozenset[str] | None = None,
    ) -> Config:
        """Read the config file ``path`` (which must exist) and everything it includes."""
        config = cls(home=home, known_keys=known_keys)
        config.merge_file(path, optional=False)
        return config

    @classmethod
    def from_text(
        cls,
        text: str,
        *,
        name: str = "<string>",
        home: str = "~",
        base_dir: str | os.PathLike[str] | None = None,
        known_keys: frozenset[str] | None = None,
    ) -> Config:
        """Parse ``text`` as a config file called ``name``.

        Relative include paths are resolved against ``base_dir`` (the current
        directory when ``None``).
        """
        config = cls(home=home, known_keys=known_keys)
        base = "" if base_dir is None else os.fspath(base_dir)
        pending: list[tuple[str, str]] = []
        config._parse_text(text, name, base, config._values, (), pending)
        config._apply_overrides(pending)
        return config

    def merge_file(self, path: str | os.PathLike[str], *, optional: bool) -> None:
        """Read another top-level file into this config, appending its values.

        With ``optional`` a missing file is silently skipped.  Overrides named
        by the file are applied once it has been read completely.  On
        :class:`ConfigError` the config is left as it was.
        """
        name = os.fspath(path)
        if optional and not _is_regular_file(name):
            return
        saved = {key: list(entries) for key, entries in self._values.items()}
        warning_count = len(self.warnings)
        pending: list[tuple[str, str]] = []
        try:
            self._parse_file(name, None, self._values, (), pending)
            self._apply_overrides(pending)
        except ConfigError:
            self._values = saved
            del self.warnings[warning_count:]
            raise

    # -- parsing ----------------------------------------------------------

    def _parse_file(
        self,
        path: str,
        where: str | None,
        target: _Values,
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
        target: _Values,
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
            target.setdefault(key, []).append(_Entry(value, where, append))

    @staticmethod
    def _glob_files(pattern: str, where: str) -> list[str]:
        """Regular files matching ``pattern``, sorted; empty on no match."""
        try:
            matches = sorted(glob.glob(pattern))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{where}: bad include pattern {pattern!r}: {exc}") from exc
        return [m for m in matches if _is_regular_file(m)]

    def _apply_overrides(self, pending: list[tuple[str, str]]) -> None:
        """Read queued override files (and the overrides they name) and apply them."""
        applied: set[str] = set()
        while pending:
            pattern, where = pending.pop(0)
            override: _Values = {}
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
                    self._values.setdefault(key, []).extend(entries)
                else:
                    self._values[key] = list(entries)

    # -- access -----------------------------------------------------------

    def __contains__(self, key: object) -> bool:
        """Whether ``key`` has at least one value."""
        return isinstance(key, str) and key.lower() in self._values

    def keys(self) -> list[str]:
        """Every key with a value, lowercased, in first-seen order."""
        return list(self._values)

    def get(self, key: str, default: str | None = None) -> str | None:
        """The first value of ``key`` (Kismet's ``fetch_opt``), else ``default``."""
        entries = self._values.get(key.lower())
        return entries[0].value if entries else default

    def get_list(self, key: str) -> list[str]:
        """All values of ``key`` in the order read."""
        return [entry.value for entry in self._values.get(key.lower(), ())]

    def origin(self, key: str) -> str | None:
        """``file:line`` of the value :meth:`get` returns, or ``None`` if unset."""
        entries = self._values.get(key.lower())
        return entries[0].origin if entries else None

    def _first(self, key: str) -> _Entry | None:
        entries = self._values.get(key.lower())
        return entries[0] if entries else None

    def get_int(self, key: str, default: int) -> int:
        """The first value of ``key`` as a decimal integer, else ``default``."""
        entry = self._first(key)
        if entry is None:
            return default
        if not _INT_RE.fullmatch(entry.value):
            raise ConfigError(
                f"{entry.origin}: {key.lower()}: expected an integer, got {entry.value!r}"
            )
        return int(entry.value)

    def get_float(self, key: str, default: float) -> float:
        """The first value of ``key`` as a finite decimal number, else ``default``."""
        entry = self._first(key)
        if entry is None:
            return default
        result = float(entry.value) if _FLOAT_RE.fullmatch(entry.value) else math.nan
        if not math.isfinite(result):
            raise ConfigError(
                f"{entry.origin}: {key.lower()}: expected a number, got {entry.value!r}"
            )
        return result

    def get_bool(self, key: str, default: bool) -> bool:
        """The first value of ``key`` as a boolean (true/false, yes/no, on/off, 1/0)."""
        entry = self._first(key)
        if entry is None:
            return default
        word = entry.value.lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise ConfigError(
            f"{entry.origin}: {key.lower()}: expected a boolean "
            f"(true/false, yes/no, on/off, 1/0), got {entry.value!r}"
        )

    # -- modification -----------------------------------------------------

    @staticmethod
    def _key(key: str) -> str:
        norm = key.strip().lower()
        if not norm:
            raise ConfigError(f"empty config key {key!r}")
        return norm

    def set(self, key: str, value: str, *, origin: str = COMMAND_LINE) -> None:
        """Replace every value of ``key`` with ``value`` (command-line override)."""
        self._values[self._key(key)] = [_Entry(value, origin)]

    def add(self, key: str, value: str, *, origin: str = COMMAND_LINE) -> None:
        """Append ``value`` to the values of ``key`` (e.g. ``-c`` sources)."""
        self._values.setdefault(self._key(key), []).append(_Entry(value, origin, True))


def _split_options(text: str, definition: str) -> list[tuple[str, str]]:
    """Split ``opt=val,...`` at unquoted commas; quotes are removed from values."""
    pairs: list[tuple[str, str]] = []
    key: list[str] = []
    value: list[str] = []
    in_key = True
    in_quote = False

    def finish() -> None:
        name = "".join(key).strip()
        if in_key:
            if name:
                raise SourceDefinitionError(
                    f"source option {name!r} has no '=value' in {definition!r}"
                )
            raise SourceDefinitionError(f"empty source option in {definition!r}")
        if not name:
            raise SourceDefinitionError(f"source option with empty name in {definition!r}")
        pairs.append((name.lower(), "".join(value)))

    for char in text:
        if in_key:
            if char == "=":
                in_key = False
            elif char == ",":
                finish()  # always raises: the option has no value
            elif char == '"':
                raise SourceDefinitionError(
                    f"quote in source option name {''.join(key) + char!r} in {definition!r}"
                )
            else:
                key.append(char)
        elif char == '"':
            in_quote = not in_quote
        elif char == "," and not in_quote:
            finish()
            key.clear()
            value.clear()
            in_key = True
        else:
            value.append(char)
    if in_quote:
        raise SourceDefinitionError(f"unterminated quote in {definition!r}")
    finish()
    return pairs


def parse_source_definition(text: str) -> tuple[str, dict[str, str]]:
    """Split a Kismet source definition into its interface and options.

    The syntax is ``interface[:opt=val,opt=val,...]``, split at the first
    ``:`` as Kismet does.  Double quotes in a value protect commas and are
    removed (``channels="1,6,11"`` gives ``1,6,11``).  Option names are
    lowercased and stripped; values are kept verbatim.  A repeated option keeps
    its last value, and ``iface:`` with nothing after the colon has no options.
    """
    definition = text.strip()
    interface, colon, rest = definition.partition(":")
    interface = interface.strip()
    if not interface:
        raise SourceDefinitionError(f"source definition {text!r} has no interface")
    if not colon or not rest.strip():
        return interface, {}
    return interface, dict(_split_options(rest, definition))
