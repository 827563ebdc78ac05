"""Kismet's radiation and ADSB endpoints, answered as Kismet does with no such hardware.

kismet_tx has no geiger counter or ADSB receiver: the radiation sensor map is
empty and the ADSB map has no aircraft and a zero bounding box. Kismet's web
UI polls both (its radiation and ADSB panels) and draws them empty.
"""

from __future__ import annotations

from typing import Any

from klein import Klein

from kismet_tx.fields import FieldDef
from kismet_tx.http.context import HttpContext
from kismet_tx.http.routing import GET_POST, ApiRequest, endpoint

_M = "kismet.adsb.map."

NOHARDWARE_FIELDS = (
    FieldDef(_M + "min_lat", "double", "ADSB map minimum latitude"),
    FieldDef(_M + "min_lon", "double", "ADSB map minimum longitude"),
    FieldDef(_M + "max_lat", "double", "ADSB map maximum latitude"),
    FieldDef(_M + "max_lon", "double", "ADSB map maximum longitude"),
    FieldDef(_M + "devices", "vector[device]", "ADSB map recent devices"),
)


class NoHardwareArea:
    """``/radiation/sensors/all_sensors`` and ``/phy/ADSB/map_data``."""

    app = Klein()

    def __init__(self, ctx: HttpContext) -> None:
        self.ctx = ctx

    @endpoint(app, "/radiation/sensors/all_sensors", methods=GET_POST)
    def all_sensors(self, call: ApiRequest) -> Any:
        return {}

    @endpoint(app, "/phy/ADSB/map_data", methods=GET_POST)
    def adsb_map(self, call: ApiRequest) -> Any:
        return {_M + "min_lat": 0.0, _M + "min_lon": 0.0, _M + "max_lat": 0.0,
                _M + "max_lon": 0.0, _M + "devices": []}
