"""``/gps/*``: drivers, GPS, locations, adding and removing GPS, web GPS updates.

Reads are public. Adding, removing and ``/gps/web/update.cmd`` need a login.
An unknown GPS UUID is 404; a bad definition or position is 400 with the
reason; a second GPS of a single-instance type (or a UUID already used) is 409.
"""

from __future__ import annotations

from typing import Any

from klein import Klein

from kismet_tx.gps.base import GpsDefinitionError
from kismet_tx.gps.location import location_record
from kismet_tx.gps.manager import GpsConflict, GpsTracker
from kismet_tx.http.auth import ADMIN, WEBGPS, Access
from kismet_tx.http.context import HttpContext
from kismet_tx.http.errors import BadRequest, Conflict, NotFound
from kismet_tx.http.results import Text
from kismet_tx.http.routing import CMD, GET_POST, POST, ApiRequest, endpoint


def _fields(call: ApiRequest, record: Any) -> Any:
    spec = call.cmd.fields()
    if spec is None:
        return record
    if isinstance(record, list):
        return list(spec.apply_many(record))
    return spec.apply(record)


class GpsArea:
    """GPS endpoints."""

    app = Klein()
    #: Its records may name local files: hidden from anonymous callers.
    scrub_for_anonymous = True

    def __init__(self, ctx: HttpContext, gps: GpsTracker) -> None:
        self.ctx = ctx
        self._gps = gps

    @endpoint(app, "/gps/drivers", methods=GET_POST)
    def drivers(self, call: ApiRequest) -> Any:
        return _fields(call, self._gps.driver_records())

    @endpoint(app, "/gps/all_gps", methods=GET_POST)
    def all_gps(self, call: ApiRequest) -> Any:
        return _fields(call, self._gps.records())

    @endpoint(app, "/gps/location", methods=GET_POST)
    def location(self, call: ApiRequest) -> Any:
        return _fields(call, self._gps.location_record())

    @endpoint(app, "/gps/all_locations", methods=GET_POST)
    def all_locations(self, call: ApiRequest) -> Any:
        return self._gps.all_locations()

    @endpoint(app, "/gps/by-uuid/<uuid>/location", methods=GET_POST)
    def by_uuid_location(self, call: ApiRequest, uuid: str) -> Any:
        gps = self._gps.get(uuid)
        if gps is None:
            raise NotFound(call.request.path.decode("utf-8", "replace"), f"no GPS {uuid}")
        return _fields(call, location_record(gps.current(), with_uuid=True))

    @endpoint(app, "/gps/add_gps", ext=CMD, methods=POST, access=Access.LOGIN)
    def add_gps(self, call: ApiRequest) -> Any:
        definition = call.cmd.text("definition", required=True)
        try:
            gps = self._gps.add(definition)
        except GpsConflict as exc:
            raise Conflict(str(exc)) from None
        except GpsDefinitionError as exc:
            raise BadRequest(f"invalid GPS definition: {exc}") from None
        return gps.record()

    @endpoint(app, "/gps/by-uuid/<uuid>/remove_gps", ext=CMD, methods=GET_POST,
              access=Access.LOGIN)
    def remove_gps(self, call: ApiRequest, uuid: str) -> Text:
        if self._gps.remove(uuid) is None:
            raise NotFound(call.request.path.decode("utf-8", "replace"), f"no GPS {uuid}")
        return Text("Removed GPS\n")

    @endpoint(app, "/gps/web/update", ext=CMD, methods=POST, access=Access.LOGIN,
              roles=(ADMIN, WEBGPS))
    def web_update(self, call: ApiRequest) -> Text:
        gps = self._gps.web()
        if gps is None:
            raise NotFound(call.request.path.decode("utf-8", "replace"),
                           "no web GPS is defined; add gps=web to kismet.conf")
        cmd = call.cmd
        lat = cmd.number("lat", required=True)
        lon = cmd.number("lon", required=True)
        alt = cmd.number("alt")
        speed = cmd.number("spd")
        try:
            gps.update(lat, lon, alt, speed)
        except ValueError as exc:
            raise BadRequest(str(exc)) from None
        return Text("Updated\n")
