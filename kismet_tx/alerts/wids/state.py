"""What the WIDS remembers, bounded: per BSSID, per station, and what it reported.

Windows that belong to the traffic (a flood of deauths "each within 1 s", WPS
M3s "within 5 min") are measured on the capture timestamps kept here, so a
replayed capture is judged as it was recorded; rate limits run on the server clock.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any, Final, TypeVar

from kismet_tx.alerts.alerttracker import AlertTracker
from kismet_tx.alerts.config import CanaryRule, SpoofRule
from kismet_tx.dot11.ies import IESet
from kismet_tx.dot11.packet import Dot11Packet

__all__ = [
    "MAX_BSS",
    "MAX_NONCES",
    "MAX_REPORTED",
    "MAX_SSIDS_PER_BSS",
    "MAX_STATIONS",
    "BssState",
    "NonceRecord",
    "SsidRecord",
    "StationState",
    "WidsState",
    "remember",
]

#: Bounds on the detector's memory.
MAX_BSS: Final = 4096
MAX_STATIONS: Final = 8192
MAX_SSIDS_PER_BSS: Final = 16
MAX_NONCES: Final = 16
MAX_REPORTED: Final = 4096

_K = TypeVar("_K", bound=Hashable)
_V = TypeVar("_V")


class SsidRecord:
    """What one BSSID advertised for one SSID (beacons or probe responses)."""

    __slots__ = ("crypt", "channel", "interval")

    def __init__(self, crypt: int, channel: int | None, interval: int | None) -> None:
        self.crypt = crypt
        self.channel = channel
        self.interval = interval


class BssState:
    """Per-BSSID state.

    ``last_ies``/``last_fixed``/``last_mfp`` describe the last beacon judged in
    full: a beacon repeating it (same shared element list, beacon interval and
    capability) can change nothing but the BSS timestamp checks.
    """

    __slots__ = ("beacons", "responses", "disconnects", "disconnect_last", "beacon_time",
                 "bss_ts", "ts_jumps", "ts_jump_last", "mfp_capable", "last_ies", "last_fixed",
                 "last_mfp")

    def __init__(self) -> None:
        self.beacons: OrderedDict[bytes, SsidRecord] = OrderedDict()
        self.responses: OrderedDict[bytes, SsidRecord] = OrderedDict()
        self.disconnects = 0
        self.disconnect_last = float("-inf")
        self.beacon_time: float | None = None
        self.bss_ts = 0
        self.ts_jumps = 0
        self.ts_jump_last = float("-inf")
        self.mfp_capable = False
        self.last_ies: IESet | None = None
        self.last_fixed = -1
        self.last_mfp = False


class NonceRecord:
    """A handshake nonce as last seen: replay counter, capture time, frame checksum."""

    __slots__ = ("replay", "time", "frame")

    def __init__(self, replay: int, time: float, frame: int) -> None:
        self.replay = replay
        self.time = time
        self.frame = frame


class StationState:
    """Per-station state: nonces it was sent, WPS M3 messages it sent."""

    __slots__ = ("anonces", "nonces", "wps_m3", "wps_last")

    def __init__(self) -> None:
        self.anonces: OrderedDict[bytes, NonceRecord] = OrderedDict()
        self.nonces: OrderedDict[bytes, NonceRecord] = OrderedDict()
        self.wps_m3 = 0
        self.wps_last = float("-inf")


def _lru_get(table: OrderedDict[_K, _V], key: _K, factory: Callable[[], _V], cap: int) -> _V:
    item = table.get(key)
    if item is None:
        item = table[key] = factory()
        if len(table) > cap:
            table.popitem(last=False)
    else:
        table.move_to_end(key)
    return item


def remember(table: OrderedDict[_K, None], key: _K, cap: int = MAX_REPORTED) -> None:
    """Add ``key`` to a bounded set of things already reported."""
    table[key] = None
    if len(table) > cap:
        table.popitem(last=False)


class WidsState:
    """The detector's alerts, rules and bounded tables, shared by every rule family."""

    def __init__(self, alerts: AlertTracker, *, apspoof: Iterable[SpoofRule] = (),
                 ssidcanary: Iterable[CanaryRule] = ()) -> None:
        self.alerts = alerts
        self.apspoof = tuple(apspoof)
        self.ssidcanary = tuple(ssidcanary)
        self.bss: OrderedDict[bytes, BssState] = OrderedDict()
        self.stations: OrderedDict[bytes, StationState] = OrderedDict()
        self.reported: OrderedDict[tuple[Any, ...], None] = OrderedDict()

    def raise_alert(self, header: str, text: str, packet: Any, p: Dot11Packet | None, *,
                    bssid: bytes | None = None, source: bytes | None = None,
                    dest: bytes | None = None, channel: int | None = None) -> None:
        """Raise ``header`` with the radio channel and frequency of ``p``."""
        channel_text = ""
        frequency = 0.0
        if p is not None:
            freq = p.freq_mhz
            if freq:
                frequency = freq * 1000.0
            if channel is None:
                channel = p.radio_channel
        if channel:
            channel_text = str(channel)
        self.alerts.raise_alert(header, text, bssid=bssid, source=source, dest=dest,
                                channel=channel_text, frequency=frequency)

    def can(self, header: str) -> bool:
        """``header`` could be raised now (defined, enabled, not throttled)."""
        return self.alerts.potential(header)

    def bss_for(self, bssid: bytes) -> BssState:
        """The state of ``bssid``, made or refreshed (least recently seen go first)."""
        return _lru_get(self.bss, bssid, BssState, MAX_BSS)

    def station(self, mac: bytes) -> StationState:
        """The state of station ``mac``, made or refreshed."""
        return _lru_get(self.stations, mac, StationState, MAX_STATIONS)
