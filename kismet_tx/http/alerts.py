"""``/alerts/*`` and ``/devices/alerts/mac/*``: alert definitions, the backlog, and commands.

Reads are public. Defining and raising alerts and the device watch lists need
a login. A definition without ``throttle`` and ``burst`` takes the ``alert=``
line for its name, else 10/min and 1/sec. ``/alerts/last-time/TS/alerts`` is
wrapped (``kismet.alert.list`` and ``kismet.alert.timestamp``) like its
``/alerts/wrapped/...`` twin; ``TS`` is a double, alerts newer than it
(strictly) are listed, and a negative ``TS`` is relative to now. An unknown
alert id is 404.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from klein import Klein

from kismet_tx.alerts.alert import PHY_ANY, AlertError, DuplicateAlert, Severity
from kismet_tx.alerts.alerttracker import AlertTracker
from kismet_tx.alerts.macs import mac_text
from kismet_tx.alerts.rates import DEFAULT_LIMIT, RateLimit
from kismet_tx.alerts.system import WATCH_KINDS, DeviceWatch
from kismet_tx.config import decimal_number
from kismet_tx.http.auth import Access
from kismet_tx.http.commands import Command
from kismet_tx.http.context import HttpContext
from kismet_tx.http.errors import BadRequest, Conflict, NotFound
from kismet_tx.http.results import Text
from kismet_tx.http.routing import CMD, GET_POST, POST, ApiRequest, endpoint
from kismet_tx.http.windows import window_records

_MAC_KEYS = ("bssid", "source", "dest", "other")


def parse_double(text: str, what: str) -> float:
    """A ``last-time`` stamp as a double (``sec.usec``)."""
    value = decimal_number(text)
    if value is None:
        raise BadRequest(f"{what} must be a finite number, got {text!r}")
    return value


def _shape(call: ApiRequest, records: list[dict[str, Any]]) -> list[Any]:
    """Apply the command's ``regex`` filter and ``fields`` to a list of records."""
    regex = call.cmd.regex()
    if regex is not None:
        records = list(regex.filter(records))
    spec = call.cmd.fields()
    return records if spec is None else list(spec.apply_many(records))


def _text_or_number(cmd: Command, key: str, default: str) -> str:
    value = cmd.data.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise BadRequest(f"'{key}' must be a string such as '10/min'")
    return str(value)


def _severity(cmd: Command) -> int:
    value = cmd.data.get("severity")
    if value is None:
        return Severity.LOW
    if isinstance(value, str):
        named = Severity.NAMES.get(value.strip().upper())
        if named is not None:
            return named
        if value.strip().isdigit():
            value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 255:
        raise BadRequest("'severity' must be 0-255 or one of info, low, medium, high, critical")
    return value


def _watch_macs(cmd: Command) -> list[str]:
    macs: list[str] = []
    single = cmd.text("mac")
    if single:
        macs.append(single)
    many = cmd.str_list("macs")
    if many:
        macs.extend(many)
    if not macs:
        raise BadRequest("expected 'mac' (a MAC address) and/or 'macs' (a list of them)")
    return macs


class AlertsArea:
    """Alert endpoints."""

    app = Klein()
    #: Its records may name local files: hidden from anonymous callers.
    scrub_for_anonymous = True

    def __init__(self, ctx: HttpContext, alerts: AlertTracker, watch: DeviceWatch) -> None:
        self.ctx = ctx
        self._alerts = alerts
        self._watch = watch

    # -- reads ------------------------------------------------------------------------

    @endpoint(app, "/alerts/definitions", methods=GET_POST)
    def definitions(self, call: ApiRequest) -> Any:
        return _shape(call, [d.record() for d in self._alerts.definitions()])

    @endpoint(app, "/alerts/all_alerts", methods=GET_POST)
    def all_alerts(self, call: ApiRequest) -> Any:
        return _shape(call, self._alerts.records())

    @endpoint(app, "/alerts/alerts_view", methods=GET_POST)
    def alerts_view(self, call: ApiRequest) -> Any:
        """The alert backlog, paged, searched and sorted like a device view."""
        return window_records(call, self._alerts.records())

    def _since(self, call: ApiRequest, ts: str) -> dict[str, Any]:
        now = self.ctx.clock.seconds()
        stamp = parse_double(ts, "timestamp")
        if stamp < 0:
            stamp = now + stamp
        return {
            "kismet.alert.list": _shape(call, self._alerts.records(self._alerts.since(stamp))),
            "kismet.alert.timestamp": now,
        }

    @endpoint(app, "/alerts/last-time/<ts>/alerts", methods=GET_POST)
    def last_time(self, call: ApiRequest, ts: str) -> Any:
        return self._since(call, ts)

    @endpoint(app, "/alerts/wrapped/last-time/<ts>/alerts", methods=GET_POST)
    def wrapped_last_time(self, call: ApiRequest, ts: str) -> Any:
        return self._since(call, ts)

    @endpoint(app, "/alerts/by-id/<alert_id>/alert", methods=GET_POST)
    def by_id(self, call: ApiRequest, alert_id: str) -> Any:
        alert = None
        if alert_id.isdigit():
            alert = self._alerts.by_hash(int(alert_id))
        if alert is None:
            raise NotFound(f"/alerts/by-id/{alert_id}/alert", f"No alert with id {alert_id}")
        record = alert.record()
        spec = call.cmd.fields()
        return record if spec is None else spec.apply(record)

    # -- commands -----------------------------------------------------------------------

    @endpoint(app, "/alerts/definitions/define_alert", ext=CMD, methods=POST,
              access=Access.LOGIN)
    def define_alert(self, call: ApiRequest) -> Any:
        cmd = call.cmd
        name = cmd.text("name", required=True).strip()
        if not name:
            raise BadRequest("'name' must not be empty")
        description = cmd.text("description", required=True)
        klass = cmd.text("class", default="OTHER").strip() or "OTHER"
        severity = _severity(cmd)
        limit: RateLimit | None = None
        if cmd.data.get("throttle") is not None or cmd.data.get("burst") is not None:
            try:
                limit = RateLimit.parse(
                    _text_or_number(cmd, "throttle", f"{DEFAULT_LIMIT.limit_rate}/min"),
                    _text_or_number(cmd, "burst", f"{DEFAULT_LIMIT.burst_rate}/sec"))
            except ValueError as exc:
                raise BadRequest(str(exc)) from None
        phyname = cmd.text("phyname")
        try:
            phyid = self._alerts.phy_id(phyname) if phyname else PHY_ANY
            self._alerts.define(name, description, klass=klass, severity=severity,
                                 phyid=phyid, limit=limit)
        except DuplicateAlert as exc:
            raise Conflict(f"Could not define alert: {exc}") from None
        except AlertError as exc:
            raise BadRequest(str(exc)) from None
        return Text("Alert defined\n")

    def _raise(self, call: ApiRequest) -> Any:
        cmd = call.cmd
        name = cmd.text("name", required=True)
        if self._alerts.definition(name) is None:
            raise BadRequest(f"Unknown alert type '{name}'")
        text = cmd.text("text", default="")
        macs: dict[str, str | None] = {}
        for key in _MAC_KEYS:
            value = cmd.text(key)
            try:
                macs[key] = mac_text(value) if value else None
            except ValueError:
                raise BadRequest(f"invalid MAC address in '{key}': {value!r}") from None
        channel = cmd.data.get("channel", "")
        if isinstance(channel, bool) or not isinstance(channel, (str, int, float)):
            raise BadRequest("'channel' must be a string")
        try:
            self._alerts.raise_alert(name, text, channel=str(channel), bssid=macs["bssid"],
                                     source=macs["source"], dest=macs["dest"],
                                     other=macs["other"])
        except AlertError as exc:
            raise BadRequest(str(exc)) from None
        return Text("Alert raised\n")

    @endpoint(app, "/alerts/raise_alert", ext=CMD, methods=POST, access=Access.LOGIN)
    def raise_alert(self, call: ApiRequest) -> Any:
        return self._raise(call)

    @endpoint(app, "/alerts/raise_alerts", ext=CMD, methods=POST, access=Access.LOGIN)
    def raise_alerts(self, call: ApiRequest) -> Any:
        return self._raise(call)

    # -- watched devices ------------------------------------------------------------------

    @staticmethod
    def _kind(kind: str) -> str:
        if kind not in WATCH_KINDS:
            raise NotFound(f"/devices/alerts/mac/{kind}",
                           f"Unknown device alert list '{kind}': use found, lost or both")
        return kind

    def _edit(self, call: ApiRequest, kind: str, action: str) -> Any:
        kind = self._kind(kind)
        macs: Iterable[str] = _watch_macs(call.cmd)
        try:
            if action == "add":
                self._watch.add(kind, macs)
            else:
                self._watch.remove(kind, macs)
        except ValueError as exc:
            raise BadRequest(str(exc)) from None
        return Text("")

    @endpoint(app, "/devices/alerts/mac/<kind>/add", ext=CMD, methods=POST,
              access=Access.LOGIN)
    def add_macs(self, call: ApiRequest, kind: str) -> Any:
        return self._edit(call, kind, "add")

    @endpoint(app, "/devices/alerts/mac/<kind>/remove", ext=CMD, methods=POST,
              access=Access.LOGIN)
    def remove_macs(self, call: ApiRequest, kind: str) -> Any:
        return self._edit(call, kind, "remove")

    @endpoint(app, "/devices/alerts/mac/<kind>/macs", methods=GET_POST, access=Access.LOGIN)
    def macs(self, call: ApiRequest, kind: str) -> Any:
        return self._watch.macs(self._kind(kind))
