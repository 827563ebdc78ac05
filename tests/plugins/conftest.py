"""A plugin manager over real server parts on a manual clock."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from twisted.internet import task

from kismet_tx.alerts.alerttracker import AlertTracker
from kismet_tx.chain import PacketChain
from kismet_tx.fields import FieldRegistry
from kismet_tx.messagebus import MessageBus
from kismet_tx.plugins.api import PluginHost
from kismet_tx.plugins.manager import PluginManager
from kismet_tx.plugins.testing import FakeSource

START = 1_700_000_000.0


@dataclass
class Host:
    clock: task.Clock
    bus: MessageBus
    fields: FieldRegistry
    chain: PacketChain
    alerts: AlertTracker
    host: PluginHost

    def manager(self, *configured: str, discover: bool = False,
                package: ModuleType | None = None, group: str = "kismet_tx.plugins.none"
                ) -> PluginManager:
        return PluginManager(self.host, configured=configured, discover=discover,
                             twisted_package=package, entry_point_group=group)

    def texts(self) -> list[str]:
        return [m.text for m in self.bus.messages()]

    def packet(self) -> Any:
        packet = self.chain.make_packet(FakeSource(), self.clock.seconds(), 105, b"\x00" * 24)
        self.chain.inject(packet)
        return packet


def make_host(clock: task.Clock | None = None) -> Host:
    clock = clock or task.Clock()
    if clock.seconds() == 0:
        clock.advance(START)
    bus = MessageBus(clock, backlog=1000)
    fields = FieldRegistry()
    chain = PacketChain(clock, decoder=lambda dlt, data: None)
    alerts = AlertTracker(clock, bus)
    host = PluginHost(clock, bus, fields, chain, alerts=lambda: alerts)
    return Host(clock, bus, fields, chain, alerts, host)


@pytest.fixture
def host() -> Host:
    return make_host()


@pytest.fixture
def on_path(tmp_path: Path) -> Iterator[Path]:
    """``tmp_path/lib`` on ``sys.path`` (modules imported from it are forgotten after)."""
    lib = tmp_path / "lib"
    lib.mkdir()
    sys.path.insert(0, str(lib))
    before = set(sys.modules)
    yield lib
    sys.path.remove(str(lib))
    for name in set(sys.modules) - before:
        module = sys.modules.get(name)
        if module is not None and str(getattr(module, "__file__", "") or "").startswith(
                str(lib)):
            del sys.modules[name]
