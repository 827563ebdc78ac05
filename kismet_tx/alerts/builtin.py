"""Built-in alert kinds: name, class, severity, shipped rate limit and description."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kismet_tx.alerts.alert import PHY_ANY, AlertDefinition
from kismet_tx.alerts.alerttracker import AlertTracker
from kismet_tx.alerts.rates import DEFAULT_LIMIT, RateLimit

__all__ = ["BuiltinAlert", "define_builtins"]


@dataclass(frozen=True, slots=True)
class BuiltinAlert:
    """A built-in alert kind. ``limit`` is the shipped rate (Kismet's kismet_alerts.conf);
    an ``alert=`` line for the name replaces it."""

    header: str
    klass: str
    severity: int
    description: str
    limit: RateLimit = DEFAULT_LIMIT


def define_builtins(alerts: AlertTracker, builtins: Iterable[BuiltinAlert],
                    phyid: int = PHY_ANY) -> list[AlertDefinition]:
    """Define each built-in kind that is not defined yet; returns their definitions."""
    out = []
    for item in builtins:
        existing = alerts.definition(item.header)
        if existing is None:
            existing = alerts.define(item.header, item.description, klass=item.klass,
                                     severity=item.severity, phyid=phyid,
                                     default_limit=item.limit)
        out.append(existing)
    return out
