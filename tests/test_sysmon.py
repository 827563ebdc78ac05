"""System monitor, message bus and field registry, driven by a Clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from twisted.internet import task
from twisted.logger import globalLogPublisher

from kismet_tx.fields import FieldDef, FieldRegistry
from kismet_tx.messagebus import ALERT, ERROR, INFO, MessageBus
from kismet_tx.sysmon import SYSTEM_FIELDS, SystemMonitor, read_battery, read_rss_kb


def monitor(
    clock: task.Clock, battery_root: Path, devices: list[int] | None = None
) -> SystemMonitor:
    counts = devices if devices is not None else [0]
    return SystemMonitor(
        clock,
        server_name="Kismet",
        server_description="",
        server_location="",
        device_count=lambda: counts[0],
        num_fields=lambda: 1,
        num_connections=lambda: 0,
        num_components=lambda: 1,
        battery_root=battery_root,
    )


def supply(root: Path, name: str, **attributes: str) -> None:
    path = root / name
    path.mkdir(parents=True)
    for key, value in attributes.items():
        (path / key).write_text(value + "\n")


# -- memory ---------------------------------------------------------------------------


def test_rss_of_this_process_is_real() -> None:
    rss = read_rss_kb()
    assert 1024 < rss < 64 * 1024 * 1024  # between 1 MiB and 64 GiB, in kB


def test_rss_unreadable_is_zero(tmp_path: Path) -> None:
    assert read_rss_kb(tmp_path / "missing") == 0
    (tmp_path / "statm").write_text("garbage")
    assert read_rss_kb(tmp_path / "statm") == 0


# -- battery --------------------------------------------------------------------------


def test_no_power_supply_means_no_battery(tmp_path: Path) -> None:
    assert read_battery(tmp_path / "missing") is None
    supply(tmp_path, "AC", type="Mains", online="1")
    assert read_battery(tmp_path) is None


def test_charging_battery_on_mains(tmp_path: Path) -> None:
    supply(tmp_path, "AC", type="Mains", online="1")
    supply(
        tmp_path,
        "BAT0",
        type="Battery",
        status="Charging",
        capacity="55",
        charge_now="2000000",
        current_now="1000000",
    )
    assert read_battery(tmp_path) == {
        "kismet.system.battery.percentage": 55,
        "kismet.system.battery.charging": "charging",
        "kismet.system.battery.remaining": 7200,
        "kismet.system.battery.ac": 1,
    }


@pytest.mark.parametrize(
    "status, expect",
    [
        ("Full", "charged"),
        ("Discharging", "discharging"),
        ("Not charging", "discharging"),
        ("Unknown", "discharging"),
    ],
)
def test_battery_status_words(tmp_path: Path, status: str, expect: str) -> None:
    supply(tmp_path, "BAT1", type="Battery", status=status, capacity="100")
    assert read_battery(tmp_path)["kismet.system.battery.charging"] == expect


def test_odd_sysfs_values_do_not_break_status(tmp_path: Path) -> None:
    # Some drivers leave attributes empty or non-numeric; the status must still answer.
    supply(
        tmp_path,
        "BAT0",
        type="Battery",
        status="Discharging",
        capacity="unknown",
        energy_now="x",
        power_now="0",
    )
    battery = read_battery(tmp_path)
    assert battery["kismet.system.battery.percentage"] == 0
    assert battery["kismet.system.battery.remaining"] == 0
    status = monitor(task.Clock(), tmp_path).status()
    assert status["kismet.system.battery.percentage"] == 0


# -- status and sampling -------------------------------------------------------------


def test_status_names_are_all_registered(tmp_path: Path) -> None:
    supply(tmp_path, "BAT0", type="Battery", status="Full", capacity="100")
    names = {f.name for f in SYSTEM_FIELDS}
    status = monitor(task.Clock(), tmp_path).status()
    assert set(status) <= names
    assert set(status) == names  # with a battery, every declared field is present


def test_service_samples_every_second(tmp_path: Path) -> None:
    clock = task.Clock()
    clock.advance(1_700_000_000)
    devices = [3]
    mon = monitor(clock, tmp_path, devices)
    mon.startService()
    devices[0] = 4
    clock.advance(1)
    devices[0] = 9
    clock.advance(1)
    rrd = mon.status()["kismet.system.devices.rrd"]
    # Slot t % 60 holds second t, as Kismet lays it out.
    assert [rrd["kismet.common.rrd.minute_vec"][(1_700_000_000 + i) % 60] for i in range(3)] \
        == [3, 4, 9]
    assert rrd["kismet.common.rrd.last_time"] == 1_700_000_002
    assert mon.status()["kismet.system.timestamp.start_sec"] == 1_700_000_000
    mem = mon.status()["kismet.system.memory.rrd"]["kismet.common.rrd.minute_vec"]
    assert all(mem[(1_700_000_000 + i) % 60] > 0 for i in range(3))
    mon.stopService()
    assert clock.getDelayedCalls() == []


@pytest.mark.parametrize(
    "now, sec, usec",
    [
        (5.0, 5, 0),
        (5.25, 5, 250000),
        (5.9999996, 6, 0),
        (5.0000004, 5, 0),
        (1_700_000_000.123456, 1_700_000_000, 123456),
    ],
)
def test_timestamp_never_goes_back(tmp_path: Path, now: float, sec: int, usec: int) -> None:
    clock = task.Clock()
    clock.advance(now)
    assert monitor(clock, tmp_path).timestamp() == {
        "kismet.system.timestamp.sec": sec,
        "kismet.system.timestamp.usec": usec,
    }


# -- message bus ----------------------------------------------------------------------


def test_message_bus_keeps_the_last_n_and_logs_each(tmp_path: Path) -> None:
    events: list[dict[str, Any]] = []
    globalLogPublisher.addObserver(events.append)
    try:
        clock = task.Clock()
        bus = MessageBus(clock, backlog=3)
        for i, flags in enumerate((INFO, ERROR, ALERT, INFO)):
            clock.advance(1)
            bus.post(f"message {{{i}}}", flags)
    finally:
        globalLogPublisher.removeObserver(events.append)
    assert [m.text for m in bus.messages()] == ["message {1}", "message {2}", "message {3}"]
    ours = [e for e in events if e.get("log_namespace") == "kismet_tx.messagebus"]
    assert [e["text"] for e in ours] == [f"message {{{i}}}" for i in range(4)]
    assert [e["log_level"].name for e in ours] == ["info", "error", "warn", "info"]


def test_message_bus_listeners_and_since(tmp_path: Path) -> None:
    clock = task.Clock()
    clock.advance(100.7)
    bus = MessageBus(clock)
    heard: list[str] = []

    def broken(message: Any) -> None:
        raise RuntimeError("listener bug")

    bus.subscribe(broken)
    bus.subscribe(lambda m: heard.append(m.text))
    bus.post("a")
    clock.advance(1)
    bus.post("b")
    assert heard == ["a", "b"]  # a failing listener does not stop the others
    assert [m.text for m in bus.since(100)] == ["b"]
    assert [m.text for m in bus.since(99)] == ["a", "b"]
    bus.unsubscribe(broken)
    bus.unsubscribe(broken)
    assert bus.post("c").record()["kismet.messagebus.message_time"] == 101


# -- field registry -------------------------------------------------------------------


def test_field_registry() -> None:
    reg = FieldRegistry()
    reg.register([FieldDef("b.field", "uint8", "second <b>"), FieldDef("a.field", "string", "x")])
    reg.register([FieldDef("b.field", "uint8", "second <b>")])
    assert len(reg) == 2
    assert reg.describe("b.field") == "uint8, second <b>"
    assert reg.describe("nope") is None
    with pytest.raises(ValueError):
        reg.register([FieldDef("a.field", "uint64", "x")])
    html = reg.html()
    assert html.index("a.field") < html.index("b.field")
    assert "second &lt;b&gt;" in html and "<b>" not in html.split("<body>")[1]


def test_no_battery_reports_kismets_mains_answer(tmp_path: Path) -> None:
    status = monitor(task.Clock(), tmp_path / "no-power").status()
    assert status["kismet.system.battery.charging"] == "unknown"
    assert status["kismet.system.battery.ac"] == 1
    assert status["kismet.system.battery.percentage"] == 0
    assert status["kismet.system.battery.remaining"] == 0
