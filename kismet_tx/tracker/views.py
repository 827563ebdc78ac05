"""Device views (``/devices/views/...``): named subsets of devices and their queries.

Built-in views, as Kismet's: ``all``, ``phy-<PHYNAME>`` per phy,
``phydot11_accesspoints`` (typeset has beacon AP, probe AP or ad-hoc, kept
as an index by the 802.11 phy) and ``seenby-<UUID>`` per datasource that has
seen a device (uppercase UUID).

A query runs in Kismet's order: time filter (``last_time >= since``), string
search over the requested fields (case-insensitive substring), regex filter,
stable sort, then the window. Unlike Kismet, a window that starts past the
end is empty (Kismet restarts at the first row, so a client paging past the
end would loop).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kismet_tx.slicing import Slicer, sliced_filter, sliced_sort
from kismet_tx.tracker.device import Device
from kismet_tx.tracker.devices import DeviceTracker
from kismet_tx.tracker.dot11phy import Dot11Phy

Record = Callable[[Device], Mapping[str, Any]]
Path = tuple[str, ...]

#: Sort paths served straight from device attributes (no record is built).
_FAST_SORT: dict[str, Callable[[Device], Any]] = {
    "kismet.device.base.last_time": operator.attrgetter("last_time"),
    "kismet.device.base.first_time": operator.attrgetter("first_time"),
    "kismet.device.base.mod_time": operator.attrgetter("mod_time"),
    "kismet.device.base.packets.total": operator.attrgetter("packets"),
    "kismet.device.base.packets.data": operator.attrgetter("data_packets"),
    "kismet.device.base.datasize": operator.attrgetter("datasize"),
    "kismet.device.base.macaddr": operator.attrgetter("mac"),
    "kismet.device.base.frequency": operator.attrgetter("frequency"),
    "kismet.device.base.num_alerts": operator.attrgetter("num_alerts"),
}


@dataclass(frozen=True)
class View:
    """One view: its id, description, members and size."""

    id: str
    description: str
    members: Callable[[], Iterable[Device]]
    size: Callable[[], int]
    indexed: bool

    def record(self) -> dict[str, Any]:
        """``kismet.devices.view.*``."""
        return {
            "kismet.devices.view.id": self.id,
            "kismet.devices.view.description": self.description,
            "kismet.devices.view.size": self.size(),
            "kismet.devices.view.indexed": int(self.indexed),
        }


@dataclass
class ViewQuery:
    """What to take from a view; every part is optional."""

    since: int | None = None
    search: str = ""
    search_paths: Sequence[Path] = ()
    match: Callable[[Mapping[str, Any]], bool] | None = None
    sort: Path = ()
    ascending: bool = False
    start: int = 0
    length: int = 0


@dataclass
class ViewResult:
    """A query's rows and the counts the wrappers report."""

    total: int
    filtered: int
    devices: list[Device] = field(default_factory=list)

    def last_page(self, length: int) -> int:
        """Pages of ``length`` rows in the filtered set (0 without a length)."""
        return math.ceil(self.filtered / length) if length > 0 else 0


def resolve(record: Any, path: Path) -> Any:
    """The value at a field path, or None where it does not resolve."""
    node = record
    for name in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(name)
        if node is None:
            return None
    return node


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, bool | int | float):
        return (0, value)
    if isinstance(value, str):
        return (1, value)
    if isinstance(value, bytes):
        return (1, value.hex())
    return (2, 0)


class Views:
    """The view registry of one device tracker."""

    def __init__(self, device_tracker: DeviceTracker, record: Record) -> None:
        self._device_tracker = device_tracker
        self._record = record

    def _builtin(self) -> list[View]:
        device_tracker = self._device_tracker
        views = [View("all", "All devices", device_tracker.devices,
                      lambda: len(device_tracker), True)]
        for phy in device_tracker.phys:
            views.append(View(f"phy-{phy.name}", f"{phy.name} devices",
                              phy.devices.values, phy.devices.__len__, True))
        for phy in device_tracker.phys:
            if isinstance(phy, Dot11Phy):
                views.append(View("phydot11_accesspoints", "IEEE802.11 access points",
                                  phy.access_points.values, phy.access_points.__len__, True))
        return views

    def _seenby(self, uuid: str) -> View:
        device_tracker = self._device_tracker

        def members() -> Iterable[Device]:
            return (d for d in device_tracker.devices() if d.seen_by_source(uuid))

        # Indexed, as in Kismet: the web UI offers only indexed views in its selector.
        return View(f"seenby-{uuid}", f"Devices seen by datasource {uuid}", members,
                    lambda: device_tracker.seen_counts.get(uuid, 0), True)

    def all(self) -> list[View]:
        """Every view, built-in first, then one per datasource that saw a device."""
        views = self._builtin()
        views.extend(self._seenby(source.uuid) for source in self._device_tracker.sources())
        return views

    def get(self, view_id: str) -> View | None:
        """A view by id (``seenby-`` ids are matched case-insensitively)."""
        for view in self._builtin():
            if view.id == view_id:
                return view
        if view_id.startswith("seenby-"):
            uuid = view_id[len("seenby-"):].upper()
            if uuid in self._device_tracker.seen_counts:
                return self._seenby(uuid)
        return None

    def query(self, view: View, query: ViewQuery) -> ViewResult:
        """Filter, sort and window a view's devices, all at once."""
        steps = self.query_steps(view, query)
        while True:
            try:
                next(steps)
            except StopIteration as done:
                result: ViewResult = done.value
                return result

    def query_steps(self, view: View, query: ViewQuery,
                    slicer: Slicer | None = None) -> Generator[None, None, ViewResult]:
        """:meth:`query` in slices of time: yields whenever ``slicer``'s slice is spent.

        Run through a cooperator, a search, regex or sort over 100,000 devices
        never holds the reactor for more than one slice.
        """
        slicer = slicer or Slicer()
        record = self._record
        devices: list[Device] = list(view.members())
        total = len(devices)
        if query.since is not None and query.since > 0:
            since = query.since
            devices = yield from sliced_filter(devices, lambda d: d.last_time >= since, slicer)
        if query.search and query.search_paths:
            needle = query.search.lower()
            paths = query.search_paths

            def found(device: Device) -> bool:
                rec = record(device)
                for path in paths:
                    value = resolve(rec, path)
                    if isinstance(value, str) and needle in value.lower():
                        return True
                return False

            devices = yield from sliced_filter(devices, found, slicer)
        if query.match is not None:
            match = query.match
            devices = yield from sliced_filter(devices, lambda d: match(record(d)), slicer)
        filtered = len(devices)
        start = max(query.start, 0)
        end = start + query.length if query.length > 0 else None
        if query.sort:
            devices = yield from self._sorted_steps(devices, query.sort, query.ascending,
                                                    slicer, end)
        return ViewResult(total, filtered, devices[start:end])

    def _sorted_steps(self, devices: list[Device], path: Path, ascending: bool,
                      slicer: Slicer, limit: int | None) -> Generator[None, None, list[Device]]:
        """``devices`` sorted by ``path``, or their first ``limit`` (a page's end)."""
        fast = _FAST_SORT.get(path[0]) if len(path) == 1 else None
        if fast is not None:
            return (yield from sliced_sort(devices, fast, not ascending, slicer, limit))
        record = self._record
        keyed: list[tuple[Any, Device]] = []
        for device in devices:
            keyed.append((resolve(record(device), path), device))
            if slicer.due():
                yield None
        present = [(v, d) for v, d in keyed if v is not None and _sort_key(v)[0] < 2]
        missing = [d for v, d in keyed if v is None or _sort_key(v)[0] == 2]
        ordered = yield from sliced_sort(present, lambda item: _sort_key(item[0]),
                                         not ascending, slicer, limit)
        return [d for _, d in ordered] + missing
