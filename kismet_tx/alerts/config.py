"""Alert settings read from kismet.conf.

- ``alert=NAME,rate/unit,burst/unit``: rate limits (repeatable);
- ``alertbacklog=N``: raised alerts kept (default 50);
- ``apspoof=NAME:ssid="regex",validmacs="MAC,MAC"``: SSIDs only these MACs may serve;
- ``ssidcanary=NAME:ssid="regex"``: SSIDs nobody should advertise, answer or probe for;
- ``devicefound=MAC[/MASK]`` / ``devicelost=MAC[/MASK]``: watched devices;
- ``devicefound_timeout`` / ``devicelost_timeout``: seconds idle before a device
  counts as found again / lost (default 60).

SSID patterns are PCRE, searched unanchored as Kismet does (``^...$`` for an
exact name).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import pcre2

from kismet_tx.alerts.alert import DEFAULT_BACKLOG
from kismet_tx.alerts.macs import MacMatch
from kismet_tx.alerts.rates import RateLimit, parse_alert_line
from kismet_tx.config import Config
from kismet_tx.configfile import ConfigError
from kismet_tx.pcre import PcreError, compile_pcre
from kismet_tx.sourcedefinition import SourceDefinitionError, parse_source_definition

__all__ = [
    "AlertConfig",
    "CanaryRule",
    "DEFAULT_IDLE_TIMEOUT",
    "SpoofRule",
    "parse_canary",
    "parse_spoof",
]

#: Seconds a watched device may be silent before it is lost (or found again).
DEFAULT_IDLE_TIMEOUT = 60.0

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class SpoofRule:
    """An ``apspoof=`` rule: SSIDs matching ``ssid`` may only come from ``validmacs``."""

    name: str
    ssid: str
    pattern: pcre2.Pattern
    validmacs: tuple[MacMatch, ...]

    def allows(self, mac: int) -> bool:
        """Whether the 48-bit MAC is one of the valid ones."""
        return any(valid.matches(mac) for valid in self.validmacs)


@dataclass(frozen=True, slots=True)
class CanaryRule:
    """An ``ssidcanary=`` rule: SSIDs matching ``ssid`` should never be seen."""

    name: str
    ssid: str
    pattern: pcre2.Pattern


def _options(text: str, key: str, allowed: frozenset[str]) -> tuple[str, dict[str, str]]:
    try:
        name, options = parse_source_definition(text)
    except SourceDefinitionError as exc:
        raise ValueError(f"malformed {key} rule {text!r}: {exc}") from None
    if ":" not in text:
        raise ValueError(f"malformed {key} rule {text!r}: expected NAME:ssid=\"...\"")
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ValueError(f"{key} rule {name!r}: unknown option(s) {', '.join(unknown)}")
    if not options.get("ssid"):
        raise ValueError(f"{key} rule {name!r} has no ssid=\"...\"")
    return name, options


def _pattern(name: str, key: str, ssid: str) -> pcre2.Pattern:
    try:
        return compile_pcre(ssid)
    except PcreError as exc:
        raise ValueError(f"{key} rule {name!r}: invalid ssid regex {ssid!r}: {exc}") from None


def parse_spoof(text: str) -> SpoofRule:
    """Parse one ``apspoof=`` value; ValueError naming what is wrong."""
    name, options = _options(text, "apspoof", frozenset({"ssid", "validmacs"}))
    macs = [m.strip() for m in options.get("validmacs", "").split(",") if m.strip()]
    if not macs:
        raise ValueError(f"apspoof rule {name!r} has no validmacs=\"...\"")
    try:
        valid = tuple(MacMatch(mac) for mac in macs)
    except ValueError as exc:
        raise ValueError(f"apspoof rule {name!r}: {exc}") from None
    return SpoofRule(name, options["ssid"], _pattern(name, "apspoof", options["ssid"]), valid)


def parse_canary(text: str) -> CanaryRule:
    """Parse one ``ssidcanary=`` value; ValueError naming what is wrong."""
    name, options = _options(text, "ssidcanary", frozenset({"ssid"}))
    return CanaryRule(name, options["ssid"], _pattern(name, "ssidcanary", options["ssid"]))


@dataclass(frozen=True)
class AlertConfig:
    """Every alert setting, validated."""

    backlog: int = DEFAULT_BACKLOG
    rates: dict[str, RateLimit] = field(default_factory=dict)
    apspoof: tuple[SpoofRule, ...] = ()
    ssidcanary: tuple[CanaryRule, ...] = ()
    devicefound: tuple[MacMatch, ...] = ()
    devicelost: tuple[MacMatch, ...] = ()
    found_timeout: float = DEFAULT_IDLE_TIMEOUT
    lost_timeout: float = DEFAULT_IDLE_TIMEOUT

    @classmethod
    def from_config(cls, config: Config) -> AlertConfig:
        """Read and check the alert keys; ConfigError names the bad line's key."""
        backlog = config.get_int("alertbacklog", DEFAULT_BACKLOG)
        if backlog < 1:
            raise ConfigError(f"{config.origin('alertbacklog')}: alertbacklog: must be at "
                              f"least 1, got {backlog}")
        found_timeout = config.get_float("devicefound_timeout", DEFAULT_IDLE_TIMEOUT)
        lost_timeout = config.get_float("devicelost_timeout", DEFAULT_IDLE_TIMEOUT)
        for key, value in (("devicefound_timeout", found_timeout),
                           ("devicelost_timeout", lost_timeout)):
            if value <= 0:
                raise ConfigError(f"{config.origin(key)}: {key}: must be positive")
        rates: dict[str, RateLimit] = {}
        for line in config.get_list("alert"):
            name, limit = _checked("alert", line, parse_alert_line)
            rates[name] = limit
        return cls(
            backlog=backlog,
            rates=rates,
            apspoof=tuple(_checked("apspoof", line, parse_spoof)
                          for line in config.get_list("apspoof")),
            ssidcanary=tuple(_checked("ssidcanary", line, parse_canary)
                             for line in config.get_list("ssidcanary")),
            devicefound=tuple(_checked("devicefound", line, MacMatch)
                              for line in _mac_lines(config, "devicefound")),
            devicelost=tuple(_checked("devicelost", line, MacMatch)
                             for line in _mac_lines(config, "devicelost")),
            found_timeout=found_timeout,
            lost_timeout=lost_timeout,
        )


def _mac_lines(config: Config, key: str) -> list[str]:
    """Values of a MAC-list key; one line may hold several comma-separated MACs."""
    return [mac.strip() for line in config.get_list(key) for mac in line.split(",")
            if mac.strip()]


def _checked(key: str, line: str, parse: Callable[[str], _T]) -> _T:
    try:
        return parse(line)
    except ValueError as exc:
        raise ConfigError(f"{key}={line}: {exc}") from None
