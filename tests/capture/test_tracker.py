"""The datasource tracker: definitions, drivers, UUIDs, interface listing."""

from __future__ import annotations

import os

import pytest

from kismet_tx.capture.datasourcetracker import SourceConflict
from kismet_tx.capture.linuxwifi import LinuxWifiSource
from kismet_tx.capture.pcapfile import PcapFileSource
from kismet_tx.capture.sourcecommands import parse_rate
from kismet_tx.capture.sourcerecord import SourceDefaults
from kismet_tx.capture.system import DLT_IEEE802_11
from kismet_tx.sourcedefinition import SourceDefinitionError
from tests.capture.conftest import DATA, RADIO, FakeFDReactor, Rig, beacon, make_rig


@pytest.fixture
def rig() -> Rig:
    rig = make_rig(reactor=FakeFDReactor())
    rig.system.add_file("/cap/a.pcap", DLT_IEEE802_11, [(1.0, beacon())])
    rig.system.add_file(os.path.abspath("capture-in-cwd"), DLT_IEEE802_11, [(1.0, beacon())])
    rig.system.add_interface("wlan0", mac="00:C0:CA:11:22:33", radio=RADIO)
    rig.system.add_interface("eth0", mac="02:00:00:00:00:09")
    return rig


def test_driver_is_picked_from_the_definition(rig: Rig) -> None:
    assert isinstance(rig.tracker.build("/cap/a.pcap"), PcapFileSource)
    assert isinstance(rig.tracker.build("capture-in-cwd:type=pcapfile"), PcapFileSource)
    assert isinstance(rig.tracker.build("capture-in-cwd"), PcapFileSource)
    assert isinstance(rig.tracker.build("wlan0"), LinuxWifiSource)
    assert isinstance(rig.tracker.build("wlan1"), LinuxWifiSource)
    with pytest.raises(SourceDefinitionError, match="unknown source type 'rtl433'"):
        rig.tracker.build("wlan0:type=rtl433")


def test_uuids_are_deterministic_and_unique(rig: Rig) -> None:
    first = rig.tracker.build("/cap/a.pcap")
    again = rig.tracker.build("/cap/a.pcap:name=other")
    assert first.uuid == again.uuid
    assert first.uuid.split("-")[1:4] == ["0000", "0000", "0000"]
    assert rig.tracker.build("wlan0").uuid.endswith("-00C0CA112233")
    given = rig.tracker.build("wlan0:uuid=5fe308bd-0000-0000-0000-00c0ca112233")
    assert given.uuid == "5FE308BD-0000-0000-0000-00C0CA112233"
    with pytest.raises(SourceDefinitionError, match="not a UUID"):
        rig.tracker.build("wlan0:uuid=nope")
    rig.tracker.add("/cap/a.pcap")
    with pytest.raises(SourceConflict, match="already exists"):
        rig.tracker.add("/cap/a.pcap")
    other = rig.tracker.add("/cap/a.pcap:uuid=11111111-2222-3333-4444-555555555555")
    assert rig.tracker.get(other.uuid.lower()) is other
    assert [s.number for s in rig.tracker.sources()] == [0, 1]


@pytest.mark.parametrize(
    "definition, reason",
    [
        ("", "empty"),
        ("   ", "empty"),
        (":name=x", "no interface"),
        ("wlan0:name", "has no '=value'"),
        ('wlan0:channels="1,6', "unterminated quote"),
        ("wlan0:channel=250", "unknown channel"),
        ("wlan0:channels=1,6", "has no '=value'"),
        ("wlan0:hop_rate=fast", "bad rate"),
        ("wlan0:hop_rate=0/sec", "hop rate"),
        ("wlan0:hop=perhaps", "true or false"),
        ("wlan0:batch=-1", "batch"),
        ("wlan0\n:name=x", "control characters"),
        ("/cap/none.pcap", "cannot read capture file"),
    ],
)
def test_bad_definitions_name_the_reason(rig: Rig, definition: str, reason: str) -> None:
    with pytest.raises(SourceDefinitionError, match=reason):
        rig.tracker.add(definition)
    assert rig.tracker.sources() == []


def test_unknown_options_are_reported_not_fatal(rig: Rig) -> None:
    rig.tracker.add("/cap/a.pcap:colour=blue,name=x")
    assert any("ignoring unknown options: colour" in t for t in rig.texts())


def test_add_from_command_drops_a_source_that_cannot_open(rig: Rig) -> None:
    rig.tracker.startService()
    with pytest.raises(SourceDefinitionError, match="could not open source: .*no interface"):
        rig.tracker.add_from_command("wlan9")
    assert rig.tracker.sources() == []
    source = rig.tracker.add_from_command("wlan0")
    assert source.capturing


def test_startup_source_that_cannot_open_waits_in_error(rig: Rig) -> None:
    rig.tracker.startService()
    source = rig.tracker.add("wlan9")
    assert source.error and source.retry_pending
    rig.system.add_interface("wlan9", radio=RADIO)
    rig.clock.advance(5)
    assert source.capturing


def test_types_defaults_and_interfaces(rig: Rig) -> None:
    types = {t["kismet.datasource.driver.type"]: t for t in rig.tracker.types()}
    assert set(types) == {"pcapfile", "linuxwifi", "kismetdb"}
    assert types["linuxwifi"]["kismet.datasource.driver.tuning_capable"] == 1
    assert types["pcapfile"]["kismet.datasource.driver.tuning_capable"] == 0
    defaults = rig.tracker.defaults.record()
    assert defaults["kismet.datasourcetracker.default.hop_rate"] == 5.0
    assert defaults["kismet.datasourcetracker.default.retry_on_error"] == 1
    rig.tracker.startService()
    source = rig.tracker.add("wlan0")
    listed = {i["kismet.datasource.probed.interface"]: i for i in rig.tracker.list_interfaces()}
    assert listed["wlan0"]["kismet.datasource.probed.wireless"] == 1
    assert listed["wlan0"]["kismet.datasource.probed.in_use_uuid"] == source.uuid
    assert "eth0" not in listed  # wired: not listed
    assert listed["wlan0mon"]["kismet.datasource.probed.in_use_uuid"] == source.uuid


def test_defaults_shape_new_sources() -> None:
    rig = make_rig(
        reactor=FakeFDReactor(),
        defaults=SourceDefaults(hop=False, hop_rate=2.0, retry_on_error=False),
    )
    rig.system.add_interface("wlan0", radio=RADIO)
    rig.tracker.startService()
    source = rig.tracker.add("wlan0")
    assert not source.hopping and source.hop_rate == 2.0 and not source.retry


@pytest.mark.parametrize(
    "text, rate", [("5", 5.0), ("5/sec", 5.0), ("30/min", 0.5), ("36/hour", 0.01), ("2.5/s", 2.5)]
)
def test_parse_rate(text: str, rate: float) -> None:
    assert parse_rate(text) == pytest.approx(rate)


def test_relative_file_paths_become_absolute(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    from kismet_tx.capture.linux import LinuxCaptureSystem

    monkeypatch.chdir(DATA)
    real = make_rig(system=LinuxCaptureSystem())
    source = real.tracker.build("./aircrack-ng_n-02.cap")
    assert source.interface == str(DATA / "aircrack-ng_n-02.cap")
    assert source.source_name == "aircrack-ng_n-02.cap"


def test_state_listeners_hear_every_change(rig: Rig) -> None:
    """What the eventbus publishes as NEW_DATASOURCE, DATASOURCE_OPENED/ERROR/CLOSED."""
    heard: list[tuple[str, str]] = []
    rig.tracker.state_listeners.append(lambda source, state: heard.append((source.uuid, state)))
    rig.tracker.startService()
    missing = rig.tracker.add("wlan9")  # no such interface yet: an error, then a re-try
    rig.system.add_interface("wlan9", radio=RADIO)
    rig.clock.advance(5)
    missing.close()
    uuid = missing.uuid
    assert heard == [(uuid, "new"), (uuid, "error"), (uuid, "opened"), (uuid, "closed")]
