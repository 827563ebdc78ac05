"""kismet_rest's own integration suite for the legacy ``KismetConnector``, against kismet_tx.

The calls and expectations are those of python-kismet-rest's
``tests/integration/test_integration_legacy.py`` (2020.5.1): the "noauth"
connectors share the session cache the logged-in ones wrote, the "fail" tests
expect kismet_rest's login exception (which it raises for 401 and 500: Kismet
answers 500 when a source cannot be opened or tuned), and the suite adds a
pcap file as a source. It runs in the suite's order, except that the alert is
defined before it is raised (raising an undefined alert is a 400 in Kismet too).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from kismet_rest import KismetConnector
from kismet_rest.exceptions import KismetLoginException

from tests.e2e.conftest import REPO, RunningServer, start_server, stop_server

CAPTURE = REPO / "tests" / "data" / "john-samples_wpa-Induction.pcapng"
SUITE_SOURCE = REPO / "tests" / "data" / "aircrack-ng_n-02.cap"


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, Path]]:
    tmp = tmp_path_factory.mktemp("legacy")
    running = start_server(tmp, "-c", f"{CAPTURE}:name=induction")
    running.read_log_until(r"finished replaying")
    yield running, tmp / "pykismet_session"
    stop_server(running)


def noauth(suite: tuple[RunningServer, Path]) -> KismetConnector:
    server, cache = suite
    return KismetConnector(host_uri=server.url, sessioncache_path=str(cache))


def auth(suite: tuple[RunningServer, Path]) -> KismetConnector:
    server, cache = suite
    return KismetConnector(host_uri=server.url, username=server.username,
                           password=server.password, sessioncache_path=str(cache))


def test_reads(suite: tuple[RunningServer, Path]) -> None:
    assert isinstance(auth(suite).location(), dict)  # logs in: the session is cached
    connector = noauth(suite)
    summary = connector.device_summary()
    assert isinstance(summary, list) and isinstance(summary[0], dict)
    assert isinstance(connector.messages(), dict)
    assert isinstance(connector.alerts(), dict)
    assert isinstance(list(auth(suite).datasource_list_interfaces()), list)
    assert isinstance(connector.datasources(), list)
    assert isinstance(connector.system_status(), dict)
    target = connector.smart_device_list()[0]
    assert isinstance(connector.device(target["kismet.device.base.key"]), dict)
    assert isinstance(connector.device(target["kismet.device.base.key"],
                                       "kismet.device.base.type"), str)
    assert isinstance(connector.device_by_mac(target["kismet.device.base.macaddr"]), list)
    ap = connector.dot11_access_points()[0]["kismet.device.base.key"]
    assert isinstance(connector.dot11_clients_of(ap), list)


def test_define_then_raise_alert(suite: tuple[RunningServer, Path]) -> None:
    auth(suite).location()
    assert noauth(suite).define_alert("ScaryAlert", "Super scary things on your wireless.")
    assert auth(suite).raise_alert("ScaryAlert", "Super scary things on your wireless.")
    headers = [a["kismet.alert.header"] for a in noauth(suite).alerts()["kismet.alert.list"]]
    assert "SCARYALERT" in headers


def test_add_datasource_fail(suite: tuple[RunningServer, Path]) -> None:
    auth(suite).location()
    with pytest.raises(KismetLoginException, match="500"):
        noauth(suite).add_datasource("MY_DATA_SOURCE")


@pytest.mark.parametrize("call", [
    lambda c, uuid: c.config_datasource_set_hop(uuid),
    lambda c, uuid: c.config_datasource_set_hop_channels(uuid, "123", [1, 2, 3]),
    lambda c, uuid: c.config_datasource_set_hop_rate(uuid, "123"),
    lambda c, uuid: c.config_datasource_set_channel(uuid, "1"),
], ids=["set_hop_fail", "set_hop_channels", "set_hop_rate", "set_channel"])
def test_channel_control_on_a_pcapfile_source(suite: tuple[RunningServer, Path],
                                              call: object) -> None:
    auth(suite).location()
    connector = noauth(suite)
    uuid = connector.datasources()[0]["kismet.datasource.uuid"]
    with pytest.raises(KismetLoginException, match="500"):
        call(connector, uuid)  # type: ignore[operator]


def test_add_datasource(suite: tuple[RunningServer, Path]) -> None:
    connector = auth(suite)
    connector.login()
    assert connector.add_datasource(f"{SUITE_SOURCE}:name=reconsume_this_yo")
    names = [s["kismet.datasource.name"] for s in connector.datasources()]
    assert "reconsume_this_yo" in names
