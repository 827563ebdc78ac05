"""The alert tracker: definitions, configured rates, the backlog, the bus and listeners."""

from __future__ import annotations

import pytest
from twisted.internet import task

from kismet_tx.alerts.alert import (
    ALERT_FIELDS,
    Alert,
    AlertError,
    DuplicateAlert,
    UnknownAlert,
    UnknownPhy,
)
from kismet_tx.alerts.alertsystem import build_alerts
from kismet_tx.alerts.alerttracker import AlertTracker
from kismet_tx.alerts.config import AlertConfig
from kismet_tx.alerts.rates import RateLimit, TimeUnit
from kismet_tx.config import Config
from kismet_tx.configfile import ConfigError
from kismet_tx.fields import FieldRegistry
from kismet_tx.messagebus import ALERT, MessageBus

NOW = 1_700_000_000.5


def make(backlog: int = 50, rates: dict[str, RateLimit] | None = None
         ) -> tuple[task.Clock, MessageBus, AlertTracker]:
    clock = task.Clock()
    clock.advance(NOW)
    bus = MessageBus(clock)
    return clock, bus, AlertTracker(clock, bus, backlog=backlog, rates=rates)


def test_definition_record_has_every_field() -> None:
    _, _, tracker = make()
    definition = tracker.define("mine", "my alert", klass="probe", severity=15,
                                limit=RateLimit(4, TimeUnit.HOUR, 2, TimeUnit.MIN))
    assert definition.record() == {
        "kismet.alert.definition.header": "MINE",
        "kismet.alert.definition.class": "PROBE",
        "kismet.alert.definition.severity": 15,
        "kismet.alert.definition.description": "my alert",
        "kismet.alert.definition.phyid": -1,
        "kismet.alert.definition.limit_unit": 2,
        "kismet.alert.definition.limit_rate": 4,
        "kismet.alert.definition.burst_unit": 1,
        "kismet.alert.definition.limit_burst": 2,
        "kismet.alert.definition.burst_sent": 0,
        "kismet.alert.definition.total_sent": 0,
        "kismet.alert.definition.time_last": 0.0,
    }


def test_defaults_are_ten_a_minute_and_one_a_second() -> None:
    _, _, tracker = make()
    record = tracker.define("PLAIN", "no limits given").record()
    assert (record["kismet.alert.definition.limit_rate"],
            record["kismet.alert.definition.limit_unit"],
            record["kismet.alert.definition.limit_burst"],
            record["kismet.alert.definition.burst_unit"]) == (10, 1, 1, 0)
    assert record["kismet.alert.definition.class"] == "OTHER"
    assert record["kismet.alert.definition.severity"] == 5


def test_alert_lines_set_the_rates_of_defined_alerts() -> None:
    _, _, tracker = make(rates={"mine": RateLimit(0, TimeUnit.MIN, 0, TimeUnit.SEC)})
    assert tracker.define("Mine", "x").limit.disabled
    # A rate given with the definition itself (define_alert.cmd) wins.
    _, _, tracker = make(rates={"MINE": RateLimit(0, TimeUnit.MIN, 0, TimeUnit.SEC)})
    assert not tracker.define("MINE", "x", limit=RateLimit(1, TimeUnit.MIN, 1,
                                                            TimeUnit.SEC)).limit.disabled


def test_duplicate_names_and_unknown_phys_are_refused() -> None:
    _, _, tracker = make()
    tracker.define("ONE", "first")
    with pytest.raises(DuplicateAlert, match="'ONE' is already defined"):
        tracker.define("one", "again")
    assert tracker.phy_id("IEEE802.11") == 0
    with pytest.raises(UnknownPhy, match="unknown phy 'Bluetooth'"):
        tracker.phy_id("Bluetooth")
    with pytest.raises(AlertError):
        tracker.define("  ", "no name")
    with pytest.raises(UnknownAlert, match="Unknown alert type 'NOPE'"):
        tracker.raise_alert("NOPE", "x")


def test_raised_alert_record_bus_message_and_listener() -> None:
    clock, bus, tracker = make()
    tracker.define("TEST", "a test", klass="SPOOF", severity=10, phyid=0)
    heard: list[Alert] = []
    tracker.on_alert.append(heard.append)
    alert = tracker.raise_alert("test", "something odd", bssid="00:c0:ca:11:22:33",
                                source=bytes.fromhex("a4b1c1d1e1f1"), channel="6",
                                frequency=2437000.0)
    assert heard == [alert]
    record = alert.record()
    assert record["kismet.alert.header"] == "TEST"
    assert record["kismet.alert.class"] == "SPOOF"
    assert record["kismet.alert.severity"] == 10
    assert record["kismet.alert.phy_id"] == 0
    assert record["kismet.alert.timestamp"] == NOW
    assert record["kismet.alert.transmitter_mac"] == "00:C0:CA:11:22:33"
    assert record["kismet.alert.source_mac"] == "A4:B1:C1:D1:E1:F1"
    assert record["kismet.alert.dest_mac"] == "00:00:00:00:00:00"
    assert record["kismet.alert.other_mac"] == "00:00:00:00:00:00"
    assert record["kismet.alert.channel"] == "6"
    assert record["kismet.alert.frequency"] == 2437000.0
    assert record["kismet.alert.text"] == "something odd"
    assert record["kismet.alert.device_key"] == "4202770D00000000_F1E1D1C1B1A4"
    assert isinstance(record["kismet.alert.hash"], int) and record["kismet.alert.hash"] > 0
    assert "kismet.alert.location" in record
    assert alert.devices() == ["00:C0:CA:11:22:33", "A4:B1:C1:D1:E1:F1"]
    [message] = bus.messages()
    assert (message.text, message.flags) == ("TEST something odd", ALERT)


def test_a_failing_listener_does_not_stop_the_alert() -> None:
    _, _, tracker = make()
    tracker.define("TEST", "x")
    heard: list[Alert] = []

    def broken(alert: Alert) -> None:
        raise RuntimeError("boom")

    tracker.on_alert[:] = [broken, heard.append]
    tracker.raise_alert("TEST", "still raised")
    assert len(heard) == 1 and len(tracker.alerts()) == 1


def test_bad_macs_are_refused() -> None:
    _, _, tracker = make()
    tracker.define("TEST", "x")
    with pytest.raises(ValueError, match="invalid MAC"):
        tracker.raise_alert("TEST", "x", source="not-a-mac")
    assert tracker.alerts() == []


def test_backlog_keeps_the_newest_and_lookup_by_hash_and_time() -> None:
    clock, _, tracker = make(backlog=3)
    tracker.define("TEST", "x", limit=RateLimit(100, TimeUnit.SEC, 100, TimeUnit.SEC))
    raised = []
    for i in range(5):
        raised.append(tracker.raise_alert("TEST", f"number {i}"))
        clock.advance(0.25)
    assert [a.text for a in tracker.alerts()] == ["number 2", "number 3", "number 4"]
    assert len({a.hash for a in raised}) == 5
    assert tracker.by_hash(raised[4].hash) is raised[4]
    assert tracker.by_hash(raised[0].hash) is None  # dropped from the backlog
    assert [a.text for a in tracker.since(raised[3].timestamp)] == ["number 4"]  # strict >
    assert [a.text for a in tracker.since(raised[3].timestamp - 0.1)] == ["number 3",
                                                                        "number 4"]


def test_alert_config_from_kismet_conf() -> None:
    config = Config.from_text(
        "alert=DEAUTHFLOOD,1/hour,1/min\n"
        "alert=noncereuse,10/min,1/sec\n"
        "alertbacklog=7\n"
        'apspoof=Corp:ssid="^corp$",validmacs="00:11:22:33:44:55,aa:bb:cc:dd:ee:ff"\n'
        'ssidcanary=Trap:ssid="(?i:honey)"\n'
        "devicefound=00:11:22:33:44:55\n"
        "devicefound=00:AA:00:00:00:00/FF:FF:00:00:00:00,02:00:00:00:00:01\n"
        "devicelost=00:11:22:33:44:55\n"
        "devicelost_timeout=30\n")
    settings = AlertConfig.from_config(config)
    assert settings.backlog == 7
    assert str(settings.rates["DEAUTHFLOOD"]) == "1/hour,1/min"
    assert settings.apspoof[0].name == "Corp" and len(settings.apspoof[0].validmacs) == 2
    assert settings.ssidcanary[0].ssid == "(?i:honey)"
    assert [m.text for m in settings.devicefound] == [
        "00:11:22:33:44:55", "00:AA:00:00:00:00/FF:FF:00:00:00:00", "02:00:00:00:00:01"]
    assert settings.lost_timeout == 30 and settings.found_timeout == 60
    clock = task.Clock()
    system = build_alerts(config, clock, MessageBus(clock))
    defs = {d.header: d for d in system.alert_tracker.definitions()}
    assert str(defs["DEAUTHFLOOD"].limit) == "1/hour,1/min"
    assert not defs["NONCEREUSE"].limit.disabled
    assert defs["NONCEDEGRADE"].limit.disabled


@pytest.mark.parametrize(("line", "message"), [
    ("alert=DEAUTHFLOOD,5/min", "malformed alert limits"),
    ("alert=DEAUTHFLOOD,5/fortnight,1/sec", "invalid time unit"),
    ("alertbacklog=0", "alertbacklog"),
    ('apspoof=Corp:ssid="corp"', "no validmacs"),
    ('apspoof=Corp:ssid="corp",validmacs="zz"', "invalid MAC"),
    ('apspoof=Corp:ssid="(unclosed",validmacs="00:11:22:33:44:55"', "invalid ssid regex"),
    ('apspoof=Corp:validmacs="00:11:22:33:44:55"', "no ssid"),
    ('ssidcanary=Trap:ssid="x",colour="red"', "unknown option"),
    ("ssidcanary=justaname", "expected NAME:ssid"),
    ("devicefound=nonsense", "invalid MAC"),
    ("devicelost_timeout=-5", "must be positive"),
])  # fmt: skip
def test_bad_alert_settings_name_the_problem(line: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        AlertConfig.from_config(Config.from_text(line + "\n"))


def test_builtin_definitions_and_fields_register() -> None:
    clock = task.Clock()
    system = build_alerts(Config.from_text(""), clock, MessageBus(clock))
    defs = {d.header: d for d in system.alert_tracker.definitions()}
    on = ["DEAUTHFLOOD", "BCASTDISCON", "CHANCHANGE", "PROBECHAN", "CRYPTODROP",
          "ADVCRYPTCHANGE", "BEACONRATE", "BSSTIMESTAMP", "LONGSSID", "NULLPROBERESP",
          "MALFORMMGMT", "WPSBRUTE", "DISCONCODEINVALID", "APSPOOF", "SSIDCANARY",
          "NOCLIENTMFP", "SOURCEERROR", "DEVICEFOUND", "DEVICELOST"]
    for name in on:
        assert not defs[name].limit.disabled, name
    for name in ("NONCEDEGRADE", "NONCEREUSE", "DEAUTHCODEINVALID"):
        assert defs[name].limit.disabled, name
    assert str(defs["DEAUTHFLOOD"].limit) == "5/min,2/sec"
    assert (defs["LONGSSID"].klass, defs["LONGSSID"].severity) == ("EXPLOIT", 20)
    assert defs["DEAUTHFLOOD"].phyid == 0 and defs["SOURCEERROR"].phyid == -1
    registry = FieldRegistry()
    registry.register(ALERT_FIELDS)
    record = system.alert_tracker.define("X", "y").record()
    assert all(registry.get(name) is not None for name in record)


def test_reconfigure_applies_new_settings_and_keeps_state() -> None:
    clock = task.Clock()
    clock.advance(NOW)
    system = build_alerts(Config.from_text("alertbacklog=5\n"), clock, MessageBus(clock))
    tracker = system.alert_tracker
    tracker.define("PINNED", "rate given by its definer",
                   limit=RateLimit(3, TimeUnit.MIN, 3, TimeUnit.SEC))
    for i in range(3):
        tracker.raise_alert("PINNED", f"n{i}")
    system.device_watch.add("found", ["02:00:00:00:00:09"])  # added over HTTP
    system.reconfigure(Config.from_text(
        "alertbacklog=2\nalert=NONCEREUSE,10/min,1/sec\nalert=PINNED,0/min,0/sec\n"
        'ssidcanary=Trap:ssid="^trap$"\ndevicefound=00:11:22:33:44:55\n'))
    defs = {d.header: d for d in tracker.definitions()}
    assert str(defs["NONCEREUSE"].limit) == "10/min,1/sec"
    assert str(defs["DEAUTHFLOOD"].limit) == "5/min,2/sec"
    assert str(defs["PINNED"].limit) == "3/min,3/sec"
    assert [a.text for a in tracker.alerts()] == ["n1", "n2"]
    assert [r.name for r in system.wids.ssidcanary] == ["Trap"]
    assert system.device_watch.macs("found") == ["02:00:00:00:00:09", "00:11:22:33:44:55"]
    # Dropping the line restores the built-in rate; a bad file changes nothing.
    system.reconfigure(Config.from_text("alertbacklog=2\n"))
    assert tracker.definition("NONCEREUSE").limit.disabled
    assert system.device_watch.macs("found") == ["02:00:00:00:00:09"]
    with pytest.raises(ConfigError):
        system.reconfigure(Config.from_text("alertbacklog=9\nalert=DEAUTHFLOOD,oops\n"))
    assert len(tracker.alerts()) == 2 and tracker.definition("NONCEREUSE").limit.disabled
