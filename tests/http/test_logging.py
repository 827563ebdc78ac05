"""``/logging/drivers`` and ``/logging/active`` over the real HTTP core (StubTreq, Clock)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from kismet_tx.http.logging import LoggingArea
from kismet_tx.messagebus import MessageBus
from kismet_tx.streams.logcatalog import LogCatalog
from kismet_tx.streams.logfile import PacketLogService
from kismet_tx.streams.lognaming import LogSettings
from kismet_tx.streams.registry import StreamRegistry

from .conftest import Server, basic


def build(make_server: Callable[..., Server], tmp_path: Path,
          kismetdb: list[dict[str, Any]]) -> tuple[Server, PacketLogService]:
    parts: dict[str, Any] = {}

    def area(ctx: Any) -> LoggingArea:
        settings = LogSettings(types=("pcapng",), prefix=str(tmp_path), template="%p/%n.%l")
        logs = PacketLogService(settings, StreamRegistry(ctx.clock), MessageBus(ctx.clock),
                                ctx.clock, home=str(tmp_path))
        parts["logs"] = logs
        driver = {"kismet.logfile.type.class": "kismet"}
        return LoggingArea(ctx, LogCatalog(logs, [(driver, lambda: kismetdb)]))

    server = make_server(extra_areas=[area])
    return server, parts["logs"]


def test_drivers_and_open_logs(make_server: Callable[..., Server], tmp_path: Path) -> None:
    kismetdb = [{"kismet.logfile.path": "/x.kismet", "kismet.logfile.type.class": "kismet"}]
    server, logs = build(make_server, tmp_path, kismetdb)
    drivers = server.get("/logging/drivers.json", headers=basic()).json()
    assert [d["kismet.logfile.type.class"] for d in drivers] == ["pcapng", "kismet"]
    assert server.get("/logging/active.json", headers=basic()).json() == kismetdb
    logs.startService()
    first = server.get("/logging/active.json", headers=basic()).json()
    [pcapng] = [r for r in first if r["kismet.logfile.type.class"] == "pcapng"]
    assert pcapng["kismet.logfile.path"] == f"{tmp_path}/Kismet.pcapng"
    assert pcapng["kismet.logfile.open"] == 1
    assert pcapng["kismet.logfile.template"] == "%p/%n.%l"
    again = server.get("/logging/active.json", headers=basic()).json()
    assert again[0]["kismet.logfile.uuid"] == pcapng["kismet.logfile.uuid"], "a log keeps its UUID"
    simplified = server.post("/logging/active.json", headers=basic(),
                             json={"fields": ["kismet.logfile.path"]}).json()
    assert simplified == [{"kismet.logfile.path": f"{tmp_path}/Kismet.pcapng"},
                          {"kismet.logfile.path": "/x.kismet"}]
    logs.stopService()
    assert server.get("/logging/active.json", headers=basic()).json() == kismetdb


def test_anonymous_callers_see_no_log_path(make_server: Callable[..., Server],
                                           tmp_path: Path) -> None:
    kismetdb = [{"kismet.logfile.path": "/var/log/kismet/x.kismet",
                 "kismet.logfile.type.class": "kismet"}]
    server, logs = build(make_server, tmp_path, kismetdb)
    logs.startService()
    paths = [r["kismet.logfile.path"] for r in server.get("/logging/active.json").json()]
    assert paths == ["[hidden]", "[hidden]"]
    logs.stopService()
