"""``/datasource/*``: list, add and control capture sources.

Reads are public; the interface list and every command need a login. An
unknown UUID is 404; a bad argument is 400 and a command that does not fit the
source's state (pausing a paused source, opening a running one) is 409, each
with the reason and with nothing changed. As in Kismet, a source that cannot be
opened, and a channel or hopping change the source cannot make (a pcapfile
source, a radio that refuses), are 500, with the reason. Commands answer with the source's
record. The state commands take GET as well as POST, since kismet_rest
2020.5.1 sends GET for pause, resume, open and close.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from klein import Klein

from kismet_tx.capture.datasource import Datasource
from kismet_tx.capture.datasourcetracker import DatasourceTracker, SourceConflict, SourceOpenError
from kismet_tx.capture.sourcecommands import SourceCommandError, SourceIncapable, SourceStateError
from kismet_tx.config import decimal_number
from kismet_tx.http.auth import ADMIN, Access
from kismet_tx.http.context import HttpContext
from kismet_tx.http.errors import BadRequest, CommandFailed, Conflict, NotFound
from kismet_tx.http.routing import CMD, GET_POST, POST, ApiRequest, endpoint
from kismet_tx.sourcedefinition import SourceDefinitionError

_BY_UUID = "/datasource/by-uuid/<uuid>"


def _strings(values: Any, key: str) -> list[str]:
    """A list of channel names; numbers are taken as their text."""
    if not isinstance(values, list):
        raise BadRequest(f"'{key}' must be a list of strings")
    out = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise BadRequest(f"'{key}' must be a list of strings")
        out.append(str(value))
    return out


def _rate(cmd: Any, key: str) -> float | None:
    """A hop rate: a number, or a number written as a string (kismet_rest's legacy
    connector sends ``"rate": "123"``)."""
    value = cmd.data.get(key)
    if isinstance(value, str):
        rate = decimal_number(value)
        if rate is None:
            raise BadRequest(f"'{key}' must be a number")
        return rate
    number: float | None = cmd.number(key)
    return number


class DatasourcesArea:
    """Datasource endpoints."""

    app = Klein()
    #: Its records may name local files: hidden from anonymous callers.
    scrub_for_anonymous = True

    def __init__(self, ctx: HttpContext, sources: DatasourceTracker) -> None:
        self.ctx = ctx
        self._sources = sources

    # -- reads --------------------------------------------------------------------

    @endpoint(app, "/datasource/all_sources", methods=GET_POST)
    def all_sources(self, call: ApiRequest) -> Any:
        records = [source.record() for source in self._sources.sources()]
        spec = call.cmd.fields()
        return records if spec is None else list(spec.apply_many(records))

    @endpoint(app, "/datasource/types", methods=GET_POST)
    def types(self, call: ApiRequest) -> Any:
        return self._sources.types()

    @endpoint(app, "/datasource/defaults", methods=GET_POST)
    def defaults(self, call: ApiRequest) -> Any:
        return self._sources.defaults.record()

    @endpoint(app, "/datasource/list_interfaces", methods=GET_POST, access=Access.LOGIN,
              roles=(ADMIN,))
    def list_interfaces(self, call: ApiRequest) -> Any:
        return self._sources.list_interfaces()

    @endpoint(app, _BY_UUID + "/source", methods=GET_POST)
    def source(self, call: ApiRequest, uuid: str) -> Any:
        record = self._find(call, uuid).record()
        spec = call.cmd.fields()
        return record if spec is None else spec.apply(record)

    # -- commands -------------------------------------------------------------------

    @endpoint(app, "/datasource/add_source", ext=CMD, methods=POST, access=Access.LOGIN)
    def add_source(self, call: ApiRequest) -> Any:
        definition = call.cmd.text("definition", required=True)
        try:
            source = self._sources.add_from_command(definition)
        except SourceConflict as exc:
            raise Conflict(str(exc)) from None
        except SourceOpenError as exc:
            # Kismet: "If the source cannot be created, HTTP 500 is returned."
            raise CommandFailed(str(exc)) from None
        except SourceDefinitionError as exc:
            raise BadRequest(str(exc)) from None
        return source.record()

    @endpoint(app, _BY_UUID + "/set_channel", ext=CMD, methods=POST, access=Access.LOGIN)
    def set_channel(self, call: ApiRequest, uuid: str) -> Any:
        source = self._find(call, uuid)
        cmd = call.cmd
        if "channel" in cmd:
            channel = cmd.data["channel"]
            if isinstance(channel, bool) or not isinstance(channel, (str, int)):
                raise BadRequest("'channel' must be a string")
            return self._run(source, lambda: source.set_channel(str(channel)))
        channels = _strings(cmd.data["channels"], "channels") if "channels" in cmd else None
        rate = _rate(cmd, "rate")
        if rate is None:
            rate = _rate(cmd, "hoprate")
        shuffle = cmd.flag("shuffle")
        if channels is None and rate is None:
            raise BadRequest(
                "channel control API requires either 'channel' or 'channels' and 'rate'"
            )
        return self._run(source, lambda: source.set_hopping(channels, rate, shuffle))

    @endpoint(app, _BY_UUID + "/set_hop", ext=CMD, methods=GET_POST, access=Access.LOGIN)
    def set_hop(self, call: ApiRequest, uuid: str) -> Any:
        source = self._find(call, uuid)
        return self._run(source, source.resume_hopping)

    @endpoint(app, _BY_UUID + "/close_source", ext=CMD, methods=GET_POST, access=Access.LOGIN)
    def close_source(self, call: ApiRequest, uuid: str) -> Any:
        source = self._find(call, uuid)
        return self._run(source, source.close)

    @endpoint(app, _BY_UUID + "/disable_source", ext=CMD, methods=GET_POST, access=Access.LOGIN)
    def disable_source(self, call: ApiRequest, uuid: str) -> Any:
        source = self._find(call, uuid)
        return self._run(source, source.close)

    @endpoint(app, _BY_UUID + "/open_source", ext=CMD, methods=GET_POST, access=Access.LOGIN)
    def open_source(self, call: ApiRequest, uuid: str) -> Any:
        source = self._find(call, uuid)
        return self._run(source, source.open)

    @endpoint(app, _BY_UUID + "/enable_source", ext=CMD, methods=GET_POST, access=Access.LOGIN)
    def enable_source(self, call: ApiRequest, uuid: str) -> Any:
        source = self._find(call, uuid)
        return self._run(source, source.open)

    @endpoint(app, _BY_UUID + "/pause_source", ext=CMD, methods=GET_POST, access=Access.LOGIN)
    def pause_source(self, call: ApiRequest, uuid: str) -> Any:
        source = self._find(call, uuid)
        return self._run(source, source.pause)

    @endpoint(app, _BY_UUID + "/resume_source", ext=CMD, methods=GET_POST, access=Access.LOGIN)
    def resume_source(self, call: ApiRequest, uuid: str) -> Any:
        source = self._find(call, uuid)
        return self._run(source, source.resume)

    # -- helpers ----------------------------------------------------------------------

    def _find(self, call: ApiRequest, uuid: str) -> Datasource:
        source = self._sources.get(uuid)
        if source is None:
            path = call.request.path.decode("utf-8", "replace")
            raise NotFound(path, f"no datasource with UUID {uuid}")
        return source

    @staticmethod
    def _run(source: Datasource, command: Callable[[], Any]) -> Any:
        try:
            command()
        except SourceIncapable as exc:
            # Kismet: "If the channel or hopping pattern cannot be set, HTTP 500."
            raise CommandFailed(str(exc)) from None
        except SourceCommandError as exc:
            raise BadRequest(str(exc)) from None
        except SourceStateError as exc:
            raise Conflict(str(exc)) from None
        return source.record()
