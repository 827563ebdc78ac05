"""``/devices/...``: device lists, lookups, views and device commands.

Routes are thin: they validate the request, ask the tracker or a view for
devices, and hand back lazy records (simplified by ``fields`` and filtered by
``regex`` through the one field-spec engine). Lists are snapshots of the
device table streamed as a :class:`Listing`, so capture can keep adding
devices while a long list is written.

Both route generations answer: the endpoint document's (``summary``,
``last-time``, ``by-key`` with its sub-key form, ``by-mac``, ``all_devices``)
and current Kismet's (views, ``multimac``, ``multikey``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from klein import Klein

from kismet_tx.http.auth import Access
from kismet_tx.http.commands import Command
from kismet_tx.http.context import HttpContext
from kismet_tx.http.devicequeries import DeviceQueries
from kismet_tx.http.errors import BadRequest, NotFound
from kismet_tx.http.fieldspec import FieldSpec, split_path
from kismet_tx.http.results import Listing, Text
from kismet_tx.http.routing import CMD, GET_POST, POST, ApiRequest, endpoint
from kismet_tx.http.windows import parse_window, request_vars, uint_var
from kismet_tx.keys import MacError, parse_mac, parse_mac_mask
from kismet_tx.tracker import Tracking
from kismet_tx.tracker.device import Device
from kismet_tx.tracker.views import View, ViewQuery, ViewResult

_TS = re.compile(r"^\s*([+-]?\d+)")
#: Datatables windows are capped at this many rows, as Kismet caps them.
DATATABLE_MAX_LENGTH = 500


def parse_ts(text: str) -> int:
    """A ``last-time`` TS read as Kismet reads a long: ``"1600000000.5"`` is 1600000000."""
    match = _TS.match(text)
    if match is None:
        raise BadRequest(f"invalid timestamp {text!r}")
    return int(match.group(1))


class DevicesArea:
    """Device endpoints (old and current Kismet)."""

    app = Klein()

    def __init__(self, ctx: HttpContext, tracking: Tracking) -> None:
        self.ctx = ctx
        self.q = DeviceQueries(tracking)
        self.devices = tracking.device_tracker
        self.views = tracking.views

    # -- lists ---------------------------------------------------------------------

    @endpoint(app, "/devices/summary/devices", methods=GET_POST)
    def summary(self, call: ApiRequest) -> Any:
        """The endpoint document's summary: fields, regex, wrapper (datatables too)."""
        if call.cmd.flag("datatable", default=False) or "draw" in request_vars(call):
            return self._view_rows(call, self._view("all"), None, datatable=True)
        return self.q.listing(self.ctx, self.devices.devices(), call.cmd)

    @endpoint(app, "/devices/all_devices", methods=GET_POST)
    def all_devices(self, call: ApiRequest) -> Any:
        """Every device, one per line with ekjson/itjson."""
        return Listing(self.q.rows(self.devices.devices(), call.cmd, regex=False))

    @endpoint(app, "/devices/last-time/<ts>/devices", methods=GET_POST)
    def last_time(self, call: ApiRequest, ts: str) -> Any:
        """Devices seen after TS (negative: seconds before the newest packet)."""
        since = self.devices.relative_time(parse_ts(ts))
        return self.q.listing(self.ctx, self.devices.seen_after(since), call.cmd)

    # -- single devices -----------------------------------------------------------

    @endpoint(app, "/devices/by-key/<key>/device", methods=GET_POST)
    def by_key(self, call: ApiRequest, key: str) -> Any:
        """One device record, simplified by ``fields``."""
        return self.q.one(self.q.device_by_key(key), call.cmd)

    @endpoint(app, "/devices/by-key/<key>/device", methods=GET_POST, suffix="/<path:subkey>")
    def by_key_subkey(self, call: ApiRequest, key: str, subkey: str) -> Any:
        """The old sub-key form: the value at ``path/to/subkey`` alone."""
        device = self.q.device_by_key(key)
        node: Any = self.q.record(device)
        for name in split_path(subkey):
            if not isinstance(node, Mapping) or name not in node:
                raise NotFound(subkey, f"Invalid sub-key path {subkey}")
            node = node[name]
        spec = call.cmd.fields()
        if spec is not None and isinstance(node, Mapping):
            return spec.apply(node)
        return node

    @endpoint(app, "/devices/by-mac/<mac>/devices", methods=GET_POST)
    def by_mac(self, call: ApiRequest, mac: str) -> Any:
        """Devices with this MAC on any phy (404 when none)."""
        try:
            raw = parse_mac(mac)
        except MacError as exc:
            raise BadRequest(str(exc)) from None
        devices = self.devices.by_mac(raw)
        if not devices:
            raise NotFound(mac, f"No device with MAC {mac}")
        return list(self.q.rows(devices, call.cmd, regex=False))

    @endpoint(app, "/devices/multimac/devices", methods=POST)
    def multimac(self, call: ApiRequest) -> Any:
        """Devices matching any MAC or MAC/MASK of ``devices``."""
        wanted = call.cmd.str_list("devices", required=True)
        found: dict[int, Device] = {}
        for text in wanted:
            try:
                mac, mask = parse_mac_mask(text)
            except MacError as exc:
                raise BadRequest(str(exc)) from None
            for device in self.devices.by_mac_mask(mac, mask):
                found.setdefault(id(device), device)
        return Listing(self.q.rows(found.values(), call.cmd, regex=False))

    def _by_keys(self, cmd: Command) -> list[Device]:
        keys = cmd.str_list("devices", required=True)
        found: dict[int, Device] = {}
        for key in keys:
            device = self.devices.get(key)
            if device is not None:
                found.setdefault(id(device), device)
        return list(found.values())

    @endpoint(app, "/devices/multikey/devices", methods=POST)
    def multikey(self, call: ApiRequest) -> Any:
        """Devices for a list of keys (unknown keys are skipped)."""
        return Listing(self.q.rows(self._by_keys(call.cmd), call.cmd, regex=False))

    @endpoint(app, "/devices/multikey/as-object/devices", methods=POST)
    def multikey_object(self, call: ApiRequest) -> Any:
        """The same, as an object keyed by device key."""
        devices = self._by_keys(call.cmd)
        rows = self.q.rows(devices, call.cmd, regex=False)
        return {device.key: row for device, row in zip(devices, rows, strict=True)}

    # -- commands -------------------------------------------------------------------

    @endpoint(app, "/devices/by-key/<key>/set_name", ext=CMD, methods=POST, access=Access.LOGIN)
    def set_name(self, call: ApiRequest, key: str) -> Text:
        """Set the user's name of a device (``username``)."""
        device = self.q.device_by_key(key)
        self.devices.set_username(device, call.cmd.text("username", required=True))
        return Text("Device name set\n")

    @endpoint(app, "/devices/by-key/<key>/set_tag", ext=CMD, methods=POST, access=Access.LOGIN)
    def set_tag(self, call: ApiRequest, key: str) -> Text:
        """Set (or, with an empty value, remove) one tag of a device."""
        device = self.q.device_by_key(key)
        tag = call.cmd.text("tagname", required=True)
        if not tag:
            raise BadRequest("'tagname' must not be empty")
        self.devices.set_tag(device, tag, call.cmd.text("tagvalue", default="") or "")
        return Text("Device tag set\n")

    # -- views ------------------------------------------------------------------------

    @endpoint(app, "/devices/views/all_views", methods=GET_POST)
    def all_views(self, call: ApiRequest) -> Any:
        """Every view with its size."""
        records = [view.record() for view in self.views.all()]
        spec = call.cmd.fields()
        return records if spec is None else list(spec.apply_many(records))

    @endpoint(app, "/devices/views/<view_id>/devices", methods=GET_POST)
    def view_devices(self, call: ApiRequest, view_id: str) -> Any:
        """A view's devices: time filter, search, regex, sort, window (Part B 1.3)."""
        view = self._view(view_id)
        since = None
        last_time = call.cmd.int("last_time")
        if last_time is not None:
            since = self.devices.relative_time(last_time)
        return self._view_rows(call, view, since,
                               datatable=bool(call.cmd.flag("datatable", default=False)))

    @endpoint(app, "/devices/views/<view_id>/last-time/<ts>/devices", methods=GET_POST)
    def view_last_time(self, call: ApiRequest, view_id: str, ts: str) -> Any:
        """A view's devices seen at or after TS (negative: before the newest packet)."""
        view = self._view(view_id)
        since = self.devices.relative_time(parse_ts(ts))
        return self._view_rows(call, view, since, datatable=False, plain=True)

    def _view(self, view_id: str) -> View:
        view = self.views.get(view_id)
        if view is None:
            raise NotFound(view_id, f"No device view {view_id}")
        return view

    def _view_rows(self, call: ApiRequest, view: View, since: int | None, *,
                   datatable: bool, plain: bool = False) -> Any:
        cmd = call.cmd
        spec = cmd.fields()
        match = cmd.regex()
        variables = request_vars(call)
        query = ViewQuery(since=since, match=None if match is None else match.matches)
        mode = "list"
        draw = 0
        if datatable:
            mode = "datatable"
            query.start = uint_var(variables.get("start", "0") or "0", "start")
            query.length = min(uint_var(variables.get("length", "0") or "0", "length"),
                               DATATABLE_MAX_LENGTH)
            draw = uint_var(variables.get("draw", "0") or "0", "draw")
            query.search = variables.get("search[value]", "")
            column = variables.get("order[0][column]")
            direction = variables.get("order[0][dir]")
            if column is not None and direction is not None:
                query.sort = self._column_path(cmd, column)
                query.ascending = direction == "asc"
        else:
            window = parse_window(variables)
            if window.paged and not plain:
                mode = "page"
                query.start, query.length = window.start, window.length
            query.sort, query.ascending = window.sort, window.ascending
            query.search = window.search
        if query.search and spec is not None:
            query.search_paths = [path for _, path in spec.entries if path]
        # Filtered and sorted in slices of time, so capture and other clients
        # keep running while a search, regex or sort works through a big view.
        steps = self.views.query_steps(view, query, self.ctx.slicer())
        return self.ctx.run_steps(steps).addCallback(
            self._view_answer, spec, mode, draw, query.length)

    def _view_answer(self, result: ViewResult, spec: FieldSpec | None, mode: str, draw: int,
                     length: int) -> Any:
        """The view rows in the requested mode's wrapper."""
        rows = self.q.simplify(result.devices, spec)
        if mode == "datatable":
            return {"draw": draw, "data": list(rows), "recordsTotal": result.total,
                    "recordsFiltered": result.filtered}
        if mode == "page":
            # Streamed: a page may be the whole view.
            return Listing(rows, {"data": None, "last_page": result.last_page(length),
                                  "last_row": result.filtered, "total_row": result.total})
        return Listing(rows)

    @staticmethod
    def _column_path(cmd: Command, column: str) -> tuple[str, ...]:
        """The sort path datatables' column number names through ``colmap``."""
        colmap = cmd.dict("colmap", default={}) or {}
        entry = colmap.get(column)
        if isinstance(entry, list) and entry:
            first = entry[0]
            if isinstance(first, list) and first and isinstance(first[0], str):
                return split_path(first[0])
            if isinstance(first, str):
                return split_path(first)
        if isinstance(entry, str):
            return split_path(entry)
        return ()

