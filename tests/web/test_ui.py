"""The web UI in headless Chromium against a real server replaying real captures.

The server replays ``wifite2_handshake_not_exists.cap`` in real time on a
loop (a live source to pause and resume; 23 beaconing networks, no radio
header) and ``fragattacks_eapol-inject-fromclient.pcapng`` once (radiotap, so
devices with a signal). Every step asserts what a user sees.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.e2e.conftest import REPO, RunningServer, start_server, stop_server
from tests.web.conftest import choose_view, login, names, rows, screenshot

WIFITE = REPO / "tests" / "data" / "wifite2_handshake_not_exists.cap"
FRAG = REPO / "tests" / "data" / "fragattacks_eapol-inject-fromclient.pcapng"
TRUTH = json.loads((REPO / "tests" / "data" / "truth.json").read_text())["files"]
#: The networks of wifite2_handshake_not_exists.cap that beacon an SSID (TShark's count).
WIFITE_SSIDS = TRUTH["wifite2_handshake_not_exists.cap"]["beacon_ssids"]
HOME_1102 = "00:1D:D5:9B:11:00"
HOME_1102_KEY = "4202770D00000000_119BD51D00"
HOME_1102_CLIENTS = ["00:1D:D5:9B:11:01", "54:35:30:23:62:8E", "00:0E:58:F8:0B:B4"]
HANDSHAKE_CLIENT = "54:35:30:23:62:8E"
PCAP_MAGIC = bytes.fromhex("d4c3b2a1")
PCAPNG_MAGIC = bytes.fromhex("0a0d0d0a")


def exact(text: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(text) + "$")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("webui"),
                           "-c", f"{WIFITE}:name=wifite,realtime=true,loop=true",
                           "-c", f"{FRAG}:name=frag",
                           conf="gps=web\nplugin=kismet_tx.plugins.probestats\n")
    try:
        running.read_log_until(r"Data source 'frag' .*finished replaying")
        running.read_log_until(r"Data source 'wifite' .*opened")
        yield running
    finally:
        stop_server(running)


def api(server: RunningServer) -> requests.Session:
    session = requests.Session()
    session.auth = (server.username, server.password)
    return session


def open_device(page: Page, name: str) -> None:
    """Search the device list for ``name`` (one match in the view) and open it."""
    page.get_by_label("Search").fill(name)
    expect(page.locator(".table-status")).to_contain_text("Showing 1–1 of 1 device ")
    link = rows(page).locator("td[data-col=name] a", has_text=exact(name))
    expect(link).to_have_count(1)
    link.click()
    expect(page.locator("#detail-title")).to_have_text(name)


def test_login_then_access_points_with_their_ssids(server: RunningServer, page: Page) -> None:
    page.goto(server.url + "/")
    expect(page.get_by_role("heading", name="kismet_tx")).to_be_visible()
    expect(page.locator("#login-hint")).to_contain_text("kismet_httpd.conf")
    screenshot(page, "01-login")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong user name or password.")

    page.get_by_label("Password").fill(server.password)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#conn-state")).to_have_text("Live")
    expect(page.get_by_role("table", name="Devices")).to_be_visible()
    choose_view(page, "Access points")
    for ssid in WIFITE_SSIDS:
        expect(page.locator("table.devices td[data-col=name] a", has_text=exact(ssid)).first
               ).to_be_visible()
    ap_rows = rows(page).filter(has=page.locator("td[data-col=type]", has_text="Wi-Fi AP"))
    expect(ap_rows.filter(has_text="HOME-1102")).to_contain_text(HOME_1102)
    expect(ap_rows.filter(has_text="HOME-1102")).to_contain_text("WPA2 WPA2-PSK TKIP AES-CCMP")
    expect(page.locator(".table-status")).to_contain_text(
        re.compile(r"Showing 1–\d+ of \d+ devices"))
    screenshot(page, "02-access-points")

    choose_view(page, "Seen by frag")
    expect(rows(page).locator("td[data-col=name] a", has_text=exact("testnetwork"))).to_be_visible()
    expect(rows(page).filter(has_text="HOME-1102")).to_have_count(0)


def test_sort_by_signal_then_search_by_ssid(server: RunningServer, page: Page) -> None:
    login(page, server)
    choose_view(page, "All devices")
    signal_header = page.locator("th[data-col=signal]")
    signal_header.get_by_role("button").click()
    expect(signal_header).to_have_attribute("aria-sort", "descending")
    signals = page.locator("table.devices td[data-col=signal]")
    # The three devices of the radiotap capture that report a signal, strongest first.
    expect(signals.nth(0)).to_have_text("-35 dBm")
    expect(signals.nth(1)).to_have_text("-37 dBm")
    expect(signals.nth(2)).to_have_text("-50 dBm")
    expect(rows(page).nth(2)).to_contain_text("testnetwork")
    screenshot(page, "03-sorted-by-signal")
    rows(page).nth(2).get_by_role("link", name="testnetwork").click()
    expect(page.locator("#detail-title")).to_have_text("testnetwork")
    history = page.get_by_role("img", name=re.compile(r"^Signal history: Last -50 dBm"))
    expect(history).to_be_visible()
    page.get_by_role("button", name="Close device details").click()

    choose_view(page, "Access points")
    expect(rows(page).first).to_contain_text("testnetwork")
    page.get_by_label("Search").fill("HOME")
    expect(rows(page)).to_have_count(4)
    assert sorted(names(page)) == ["HOME-0E3C", "HOME-1102", "HOME-89B5-2.4", "HOME-E5F2"]
    expect(page.locator(".table-status")).to_contain_text("Showing 1–4 of 4 devices")
    expect(signal_header).to_have_attribute("aria-sort", "descending")
    page.get_by_label("Search").fill("xfinity")
    expect(rows(page)).to_have_count(3)
    assert names(page) == ["xfinitywifi"] * 3
    screenshot(page, "04-searched-by-ssid")


def test_access_point_clients_and_handshake(server: RunningServer, page: Page,
                                            tmp_path: Path) -> None:
    login(page, server)
    choose_view(page, "Access points")
    open_device(page, "HOME-1102")
    detail = page.get_by_role("complementary", name="HOME-1102")
    expect(detail).to_contain_text(f"Wi-Fi AP · {HOME_1102}")
    clients = detail.get_by_role("list", name="Associated clients")
    for mac in HOME_1102_CLIENTS:
        expect(clients.get_by_role("link", name=mac)).to_be_visible()
    handshakes = detail.get_by_role("table", name="Handshakes")
    expect(handshakes).to_contain_text(HANDSHAKE_CLIENT)
    link = handshakes.get_by_role("link", name="Handshake pcap")
    expect(link).to_have_attribute("href", f"phy/phy80211/by-key/{HOME_1102_KEY}/device/"
                                           f"{HANDSHAKE_CLIENT}/pcap/handshake.pcap")
    expect(detail.get_by_role("link", name="Live pcapng stream")).to_have_attribute(
        "href", f"devices/pcap/by-key/{HOME_1102_KEY}/packets.pcapng")
    screenshot(page, "05-access-point-detail")

    with page.expect_download() as download:
        link.click()
    saved = tmp_path / "handshake.pcap"
    download.value.save_as(saved)
    data = saved.read_bytes()
    assert data[:4] == PCAP_MAGIC
    assert len(data) > 24 + 16

    clients.get_by_role("link", name=HANDSHAKE_CLIENT).click()
    expect(page.locator("#detail-title")).to_have_text(HANDSHAKE_CLIENT)
    client = page.get_by_role("complementary", name=HANDSHAKE_CLIENT)
    expect(client).to_contain_text("Wi-Fi Client")
    expect(client.get_by_role("list", name="Access points this device used")
           .get_by_role("link", name=HOME_1102)).to_be_visible()
    client.get_by_role("button", name="Close device details").click()
    expect(page.get_by_role("complementary")).to_be_hidden()


def test_set_name_and_tag(server: RunningServer, page: Page) -> None:
    login(page, server)
    choose_view(page, "Access points")
    open_device(page, "Rolston123")
    detail = page.get_by_role("complementary")
    detail.get_by_label("Name", exact=True).fill("Neighbour's router")
    detail.get_by_role("button", name="Set name").click()
    expect(page.locator("#detail-title")).to_have_text("Neighbour's router")
    page.get_by_label("Search").fill("Neighbour")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("named by you")
    detail.get_by_label("Tag", exact=True).fill("owner")
    detail.get_by_label("Value").fill("flat 3")
    detail.get_by_role("button", name="Set tag").click()
    tags = detail.get_by_role("list", name="Tags")
    expect(tags).to_contain_text("owner: flat 3")
    screenshot(page, "06-name-and-tag")
    tags.get_by_role("button", name="Remove tag owner").click()
    expect(detail).to_contain_text("No tags.")


def test_pause_and_resume_source(server: RunningServer, page: Page) -> None:
    login(page, server)
    page.get_by_role("link", name="Data sources").click()
    card = page.locator("article.source-card", has=page.get_by_role("heading", name="wifite"))
    state = card.locator(".state")
    expect(state).to_have_text("running")
    expect(card.get_by_role("progressbar", name="Replay progress")).to_be_visible()
    expect(card).to_contain_text("real time, looping")
    card.get_by_role("button", name="Pause").click()
    expect(state).to_have_text("paused")
    expect(card.get_by_role("button", name="Resume")).to_be_visible()
    expect(card.get_by_role("button", name="Pause")).to_be_hidden()
    screenshot(page, "07-source-paused")
    card.get_by_role("button", name="Resume").click()
    expect(state).to_have_text("running")
    expect(card.get_by_role("button", name="Pause")).to_be_visible()

    frag = page.locator("article.source-card", has=page.get_by_role("heading", name="frag"))
    expect(frag.locator(".state")).to_have_text("finished")
    progress = frag.get_by_role("progressbar", name="Replay progress")
    expect(progress).to_have_attribute("value", "100")

    page.get_by_label("Add a source (Kismet definition)").fill("/no/such/capture.pcapng")
    page.get_by_role("button", name="Add source").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Could not add the source: Invalid request: cannot read capture file")
    screenshot(page, "08-sources")


def test_alert_raised_through_the_api_appears_live(server: RunningServer, page: Page) -> None:
    login(page, server)
    page.get_by_role("link", name="Alerts").click()
    expect(page.get_by_role("heading", name="Alerts")).to_be_visible()
    page.evaluate("window.notReloaded = true")
    session = api(server)
    defined = session.post(server.url + "/alerts/definitions/define_alert.cmd", json={
        "name": "WEBUI_TEST", "description": "raised by the web UI test",
        "class": "SYSTEM", "severity": 20})
    assert defined.status_code == 200, defined.text
    raised = session.post(server.url + "/alerts/raise_alert.cmd", json={
        "name": "WEBUI_TEST", "text": "Rogue access point next to HOME-1102", "bssid": HOME_1102})
    assert raised.status_code == 200, raised.text

    alerts = page.get_by_role("list", name="Alerts, newest first")
    raised_item = alerts.get_by_role("listitem").filter(has_text="WEBUI_TEST")
    expect(raised_item).to_contain_text("Rogue access point next to HOME-1102")
    expect(raised_item.locator(".sev")).to_have_text("critical")
    expect(raised_item).to_have_class(re.compile(r"\bsev-critical\b"))
    assert page.evaluate("window.notReloaded") is True
    times = alerts.locator("time").evaluate_all("els => els.map(e => Date.parse(e.dateTime))")
    assert times == sorted(times, reverse=True)
    screenshot(page, "09-alert-live")
    raised_item.get_by_role("link", name="Open device").click()
    expect(page.locator("#detail-title")).to_have_text("HOME-1102")


def test_close_a_stream_from_the_streams_panel(server: RunningServer, page: Page,
                                               tmp_path: Path) -> None:
    login(page, server)
    choose_view(page, "Access points")
    open_device(page, "HOME-1102")
    with page.expect_download() as started:
        page.get_by_role("link", name="Live pcapng stream").click()
    download = started.value
    page.get_by_role("link", name="Streams").click()
    table = page.get_by_role("table", name="Streams")
    stream = table.get_by_role("row").filter(has_text=f"kismet-device-{HOME_1102_KEY}.pcapng")
    expect(stream).to_have_count(1)
    expect(stream).to_contain_text("pcapng")
    screenshot(page, "10-streams")
    stream.get_by_role("button", name=re.compile("^Close stream")).click()
    expect(stream).to_have_count(0)
    expect(page.get_by_text("No active streams.")).to_be_visible()
    saved = tmp_path / "device.pcapng"
    download.save_as(saved)
    assert download.failure() is None
    assert saved.read_bytes()[:4] == PCAPNG_MAGIC


def test_alerts_messages_and_time_come_over_the_eventbus(server: RunningServer,
                                                          page: Page) -> None:
    frames: list[str] = []
    sockets: list[Any] = []

    def watch(socket: Any) -> None:
        if "/eventbus/events.ws" in socket.url:
            sockets.append(socket)
            socket.on("framereceived", lambda payload: frames.append(str(payload)))

    page.on("websocket", watch)
    login(page, server)
    page.get_by_role("link", name="Alerts").click()
    session = api(server)
    assert session.post(server.url + "/alerts/definitions/define_alert.cmd", json={
        "name": "BUS_TEST", "description": "over the eventbus"}).status_code == 200
    assert session.post(server.url + "/alerts/raise_alert.cmd", json={
        "name": "BUS_TEST", "text": "pushed, not polled"}).status_code == 200
    alerts = page.get_by_role("list", name="Alerts, newest first")
    expect(alerts.get_by_role("listitem").filter(has_text="BUS_TEST")).to_contain_text(
        "pushed, not polled")
    page.get_by_role("link", name="Messages").click()
    # Raising the alert posted a message too; it came as an eventbus MESSAGE.
    expect(page.get_by_role("list", name="Messages, newest first")).to_contain_text(
        "pushed, not polled")
    assert sockets and not sockets[0].is_closed()
    assert any('"ALERT"' in f and "BUS_TEST" in f for f in frames)
    assert any('"MESSAGE"' in f and "pushed, not polled" in f for f in frames)
    # The server clock comes once a second.
    if not any('"TIMESTAMP"' in f for f in frames):
        sockets[0].wait_for_event("framereceived", predicate=lambda f: '"TIMESTAMP"' in str(f))


def test_channels_messages_gps_and_header(server: RunningServer, page: Page) -> None:
    login(page, server)
    expect(page.locator("#rate-value")).not_to_have_text(re.compile(r"^0(\.0)?$"))
    expect(page.locator("#device-count")).not_to_have_text("0")
    expect(page.locator("#gps-badge")).to_have_text(re.compile(r"^GPS: (no fix|3D fix )"))
    page.get_by_role("link", name="Channels").click()
    channels = page.get_by_role("table", name="Channels")
    for channel in ("5", "6", "7"):
        expect(channels.get_by_role("rowheader", name=channel, exact=True)).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("^Channel usage: channel 5"))).to_be_visible()
    screenshot(page, "11-channels")
    page.get_by_role("link", name="Messages").click()
    expect(page.get_by_role("list", name="Messages, newest first")).to_contain_text(
        "REST server listening")
    page.get_by_role("link", name="GPS").click()
    gps_list = page.get_by_role("table", name="GPS devices")
    expect(gps_list).to_contain_text("web")
    update = api(server).post(server.url + "/gps/web/update.cmd",
                              json={"lat": 52.520008, "lon": 13.404954, "alt": 34.0, "spd": 4.0})
    assert update.status_code == 200, update.text
    expect(page.locator("#gps-badge")).to_have_text("GPS: 3D fix 52.520008, 13.404954")
    location = page.get_by_role("region", name="Current location")
    expect(location).to_contain_text("3D fix")
    expect(location).to_contain_text("52.520008, 13.404954")
    expect(location).to_contain_text("34.0 m")
    screenshot(page, "12-gps")


def test_plugin_page_inside_the_ui(server: RunningServer, page: Page) -> None:
    login(page, server)
    page.get_by_role("link", name="Plugins").click()
    card = page.locator("article.card", has=page.get_by_role("heading", name="probestats"))
    expect(card).to_contain_text("probe")
    card.get_by_role("link", name="Open page").click()
    frame = page.frame_locator("iframe.plugin-frame")
    expect(frame.get_by_role("heading", name="Probe requests by SSID")).to_be_visible()
    expect(frame.locator("#status")).to_contain_text("SSIDs, updated")


def test_lock_channel_and_hop_controls(server: RunningServer, page: Page) -> None:
    """A Wi-Fi card's channel controls, against answers shaped like a linuxwifi source's.

    The test machine has no radio, so the datasource list and the two channel
    commands are answered in the browser (Playwright routing); the requests
    the UI sends are checked, and every other request goes to the real server.
    """
    real = requests.get(server.url + "/datasource/all_sources.json", timeout=10).json()[0]
    uuid = "5FE308BD-0000-0000-0000-00C0CA112233"
    radio = dict(real, **{
        "kismet.datasource.uuid": uuid, "kismet.datasource.name": "radio",
        "kismet.datasource.interface": "wlan0", "kismet.datasource.capture_interface": "wlan0mon",
        "kismet.datasource.type_driver": {"kismet.datasource.driver.type": "linuxwifi"},
        "kismet.datasource.running": 1, "kismet.datasource.paused": 0,
        "kismet.datasource.channels": ["1", "6", "11"], "kismet.datasource.hopping": 1,
        "kismet.datasource.hop_channels": ["1", "6", "11"], "kismet.datasource.hop_rate": 5.0,
        "kismet.datasource.channel": ""})
    for key in [k for k in radio if k.startswith("kismet.datasource.replay.")]:
        del radio[key]
    sent: list[tuple[str, str]] = []

    def sources(route: object) -> None:
        route.fulfill(json=[radio])  # type: ignore[attr-defined]

    def command(route: object) -> None:
        request = route.request  # type: ignore[attr-defined]
        path = request.url.rsplit("/", 1)[1]
        sent.append((path, request.post_data or ""))
        if path == "close_source.cmd":
            route.fulfill(status=409, body="source is busy\n")  # type: ignore[attr-defined]
            return
        if path == "set_channel.cmd":
            radio.update({"kismet.datasource.hopping": 0, "kismet.datasource.channel": "6"})
        else:
            radio.update({"kismet.datasource.hopping": 1, "kismet.datasource.channel": ""})
        route.fulfill(json=radio)  # type: ignore[attr-defined]

    page.route("**/datasource/all_sources.json", sources)
    page.route(f"**/datasource/by-uuid/{uuid}/*.cmd", command)
    login(page, server)
    page.get_by_role("link", name="Data sources").click()
    card = page.locator("article.source-card", has=page.get_by_role("heading", name="radio"))
    expect(card).to_contain_text("hopping 3 channels, 5 hops/s")
    expect(card.get_by_role("button", name="Hop channels")).to_be_hidden()
    card.get_by_label("Channel", exact=True).select_option("6")
    card.get_by_role("button", name="Lock").click()
    expect(card).to_contain_text("locked on 6")
    assert sent[-1][0] == "set_channel.cmd"
    assert "json=%7B%22channel%22%3A%226%22%7D" in sent[-1][1]
    card.get_by_role("button", name="Hop channels").click()
    expect(card).to_contain_text("hopping 3 channels")
    assert sent[-1][0] == "set_hop.cmd"
    card.get_by_role("button", name="Close").click()
    expect(card.get_by_role("alert")).to_have_text("source is busy")
    expect(card.locator(".state")).to_have_text("running")
    screenshot(page, "13-channel-controls")


def test_reconnects_after_a_server_restart(page: Page, tmp_path: Path) -> None:
    first = start_server(tmp_path, "-c", f"{WIFITE}:name=wifite")
    port = first.url.rsplit(":", 1)[1]
    try:
        login(page, first)
        expect(rows(page).first).to_be_visible()
    finally:
        stop_server(first)
    banner = page.locator("#conn-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Reconnecting")
    expect(page.locator("#conn-state")).to_have_text("Reconnecting…")
    screenshot(page, "14-reconnecting")

    second = start_server(tmp_path, "--port", port, "-c", f"{WIFITE}:name=wifite")
    try:
        expect(banner).to_be_hidden()
        expect(page.locator("#conn-state")).to_have_text("Live")
        expect(page.locator("#login-screen")).to_be_hidden()
        choose_view(page, "Access points")
        expect(page.locator("table.devices td[data-col=name] a", has_text=exact("HOME-1102"))
               ).to_be_visible()
        screenshot(page, "15-reconnected")
    finally:
        stop_server(second)
