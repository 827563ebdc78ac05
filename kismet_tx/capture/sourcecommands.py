"""What a datasource is told: command errors, hop rates and definition options.

Commands that do not fit the current state raise :class:`SourceStateError`
(the HTTP layer answers 409); unusable arguments raise
:class:`SourceCommandError` (400), or :class:`SourceIncapable` (500) when the
source cannot do it at all.  :class:`SourceOptions` reads a definition's
``opt=val`` options.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from kismet_tx.config import decimal_number
from kismet_tx.sourcedefinition import SourceDefinitionError

#: Highest accepted hop rate, channels per second.
MAX_HOP_RATE = 100.0


class SourceCommandError(ValueError):
    """A command's arguments are unusable for this source (HTTP 400)."""


class SourceIncapable(SourceCommandError):
    """The source cannot do this at all (no tuning, no hopping) or the radio refused:
    Kismet answers 500, "the channel or hopping pattern cannot be set"."""


class SourceStateError(RuntimeError):
    """A command does not fit the source's current state (HTTP 409)."""

def parse_rate(text: str) -> float:
    """A hop rate in channels per second from ``5``, ``5/sec``, ``30/min`` or ``1/hour``."""
    value, _, unit = text.strip().lower().partition("/")
    divisor = {
        "": 1.0,
        "s": 1.0,
        "sec": 1.0,
        "second": 1.0,
        "m": 60.0,
        "min": 60.0,
        "minute": 60.0,
        "h": 3600.0,
        "hour": 3600.0,
    }.get(unit.strip())
    rate = decimal_number(value)
    if divisor is None or rate is None:
        raise ValueError(f"bad rate {text!r}: expected N, N/sec, N/min or N/hour")
    return rate / divisor


def check_hop_rate(rate: float) -> float:
    """Reject hop rates that are not finite, not positive or absurdly high."""
    if not math.isfinite(rate) or rate <= 0 or rate > MAX_HOP_RATE:
        raise SourceCommandError(
            f"hop rate must be above 0 and at most {MAX_HOP_RATE:g} "
            f"channels per second, got {rate!r}"
        )
    return rate


class SourceOptions:
    """A definition's ``opt=val`` options with typed accessors.

    Malformed values raise :class:`SourceDefinitionError` naming the option.
    """

    def __init__(self, options: Mapping[str, str]) -> None:
        self._options = dict(options)
        self.used: set[str] = set()

    def __contains__(self, key: str) -> bool:
        return key in self._options

    def text(self, key: str, default: str | None = None) -> str | None:
        """A string option."""
        self.used.add(key)
        return self._options.get(key, default)

    def flag(self, key: str, default: bool) -> bool:
        """A boolean option (true/false, yes/no, on/off, 1/0)."""
        self.used.add(key)
        value = self._options.get(key)
        if value is None:
            return default
        word = value.strip().lower()
        if word in ("true", "yes", "on", "1"):
            return True
        if word in ("false", "no", "off", "0"):
            return False
        raise SourceDefinitionError(f"option {key}={value!r} must be true or false")

    def number(self, key: str, default: float | None = None) -> float | None:
        """A numeric option."""
        self.used.add(key)
        value = self._options.get(key)
        if value is None:
            return default
        number = decimal_number(value)
        if number is None:
            raise SourceDefinitionError(f"option {key}={value!r} must be a number")
        return number

    def rate(self, key: str, default: float) -> float:
        """A hop rate option (``5/sec``)."""
        self.used.add(key)
        value = self._options.get(key)
        if value is None:
            return default
        try:
            return check_hop_rate(parse_rate(value))
        except (ValueError, SourceCommandError) as exc:
            raise SourceDefinitionError(f"option {key}: {exc}") from None

    def unknown(self) -> list[str]:
        """Options no accessor asked for."""
        return sorted(set(self._options) - self.used)
