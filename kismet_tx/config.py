"""Kismet configuration: each key's values, looked up the way Kismet does.

:class:`Config` holds what :class:`~kismet_tx.configfile.ConfigFileReader` read
from ``kismet.conf`` and the files it includes (the file format is described
there), plus values a program sets (the command line's). Keys are
case-insensitive. A repeated key accumulates values in file order:
:meth:`Config.get` returns the *first* value, as Kismet's ``fetch_opt`` does;
:meth:`Config.get_list` returns them all. The typed getters (:meth:`Config.get_int`,
:meth:`Config.get_float`, :meth:`Config.get_bool`) raise
:class:`~kismet_tx.configfile.ConfigError` naming the value's ``file:line``.
"""

from __future__ import annotations

import math
import os
import re

from kismet_tx.configfile import (
    ConfigEntry,
    ConfigError,
    ConfigFileReader,
    ConfigValues,
    is_regular_file,
)

__all__ = ["COMMAND_LINE", "Config"]

_TRUE = frozenset({"true", "yes", "1", "on"})
_FALSE = frozenset({"false", "no", "0", "off"})
_INT_RE = re.compile(r"[+-]?[0-9]+")
_FLOAT_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def decimal_number(text: str) -> float | None:
    """The finite decimal number ``text`` spells (``12``, ``-0.5``, ``1e3``; spaces
    around it allowed), else None: never ``nan``, ``inf`` or Python's ``1_000``."""
    text = text.strip()
    if not _FLOAT_RE.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


#: Origin recorded for values given through :meth:`Config.set` / :meth:`Config.add`.
COMMAND_LINE = "<command line>"


class Config:
    """Values read from Kismet config files, with their file:line origins."""

    def __init__(self, *, home: str = "~", known_keys: frozenset[str] | None = None) -> None:
        """An empty config; ``home`` replaces ``%h``, ``known_keys`` enables warnings."""
        self.home = home
        self.known_keys = None if known_keys is None else frozenset(k.lower() for k in known_keys)
        self.warnings: list[str] = []
        self._values: ConfigValues = {}

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
        config._reader().read_text(text, name, base, config._values)
        return config

    def merge_file(self, path: str | os.PathLike[str], *, optional: bool) -> None:
        """Read another top-level file into this config, appending its values.

        With ``optional`` a missing file is silently skipped.  Overrides named
        by the file are applied once it has been read completely.  On
        :class:`ConfigError` the config is left as it was.
        """
        name = os.fspath(path)
        if optional and not is_regular_file(name):
            return
        saved = {key: list(entries) for key, entries in self._values.items()}
        warning_count = len(self.warnings)
        try:
            self._reader().read_file(name, self._values)
        except ConfigError:
            self._values = saved
            del self.warnings[warning_count:]
            raise

    def _reader(self) -> ConfigFileReader:
        return ConfigFileReader(home=self.home, known_keys=self.known_keys,
                                warnings=self.warnings)

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

    def _first(self, key: str) -> ConfigEntry | None:
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
        result = decimal_number(entry.value)
        if result is None:
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
        self._values[self._key(key)] = [ConfigEntry(value, origin)]

    def add(self, key: str, value: str, *, origin: str = COMMAND_LINE) -> None:
        """Append ``value`` to the values of ``key`` (e.g. ``-c`` sources)."""
        self._values.setdefault(self._key(key), []).append(ConfigEntry(value, origin, True))
