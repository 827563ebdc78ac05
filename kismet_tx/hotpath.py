"""The per-frame modules that ``pip install .`` compiles with mypyc, and which are compiled now.

``setup.py`` reads :data:`MODULES`. Each compiled module keeps its pure-Python
source beside it; a build without a C compiler, or with ``KISMET_TX_PURE=1``,
installs the pure modules alone, which behave identically (the test suite runs
on both, and compares their device records on every capture in tests/data).
"""

from __future__ import annotations

import importlib
from importlib.machinery import EXTENSION_SUFFIXES

#: The decode-to-tracker inner loops: 802.11 decoding, chain, tracker, channels,
#: WIDS, stream feeds, the event bus and the tracker's event hooks (called for
#: every new device and SSID); and the field-spec engine and row cache, which
#: every device poll runs per row. ``dot11.radio`` stays pure: ``RadioInfo``
#: gets its field properties generated at import and is made by ``object.__new__``.
MODULES: tuple[str, ...] = (
    "kismet_tx.dot11.crypt",
    "kismet_tx.dot11.cryptbits",
    "kismet_tx.dot11.decode",
    "kismet_tx.dot11.eapol",
    "kismet_tx.dot11.elements",
    "kismet_tx.dot11.frames",
    "kismet_tx.dot11.ies",
    "kismet_tx.dot11.linklayer",
    "kismet_tx.dot11.mgmt",
    "kismet_tx.dot11.packet",
    "kismet_tx.dot11.peek",
    "kismet_tx.dot11.radiotap",
    "kismet_tx.dot11.rsn",
    "kismet_tx.dot11.text",
    "kismet_tx.dot11.vendor",
    "kismet_tx.dot11.wsc",
    "kismet_tx.chain",
    "kismet_tx.channels",
    "kismet_tx.eventbus",
    "kismet_tx.keys",
    "kismet_tx.packetstats",
    "kismet_tx.rrd",
    "kismet_tx.alerts.system",
    "kismet_tx.alerts.wids",
    "kismet_tx.alerts.wids.beacons",
    "kismet_tx.alerts.wids.crypto",
    "kismet_tx.alerts.wids.definitions",
    "kismet_tx.alerts.wids.detector",
    "kismet_tx.alerts.wids.disconnect",
    "kismet_tx.alerts.wids.malformed",
    "kismet_tx.alerts.wids.ssidrules",
    "kismet_tx.alerts.wids.state",
    "kismet_tx.streams.feed",
    "kismet_tx.streams.pcapng",
    "kismet_tx.tracker",
    "kismet_tx.tracker.basefields",
    "kismet_tx.tracker.changes",
    "kismet_tx.tracker.device",
    "kismet_tx.tracker.devicefields",
    "kismet_tx.tracker.devices",
    "kismet_tx.tracker.dot11data",
    "kismet_tx.tracker.dot11mgmt",
    "kismet_tx.tracker.dot11phy",
    "kismet_tx.tracker.dot11ssids",
    "kismet_tx.tracker.dot11state",
    "kismet_tx.tracker.dot11update",
    "kismet_tx.tracker.oui",
    "kismet_tx.tracker.ssids",
    "kismet_tx.tracker.views",
    "kismet_tx.http.fieldspec",
    "kismet_tx.http.rowcache",
    "kismet_tx.trackerevents",
)


def is_compiled(module: str) -> bool:
    """Whether ``module`` is imported from a compiled extension."""
    path = getattr(importlib.import_module(module), "__file__", None) or ""
    return path.endswith(tuple(EXTENSION_SUFFIXES))


def compiled_modules() -> list[str]:
    """The modules of :data:`MODULES` that run compiled in this process."""
    return [module for module in MODULES if is_compiled(module)]
