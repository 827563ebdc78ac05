"""Headless Chromium (Debian's ``chromium``, driven by Playwright) against real servers.

Playwright's own waits (``expect``) decide when the UI is ready; nothing
sleeps. Screenshots of every step go to ``tests/web/artifacts/`` (ignored by
git) so a person can look at what each test saw.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e.conftest import RunningServer

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
#: Generous for a loaded CI machine; a passing step returns as soon as the UI shows it.
UI_TIMEOUT_MS = 20_000

expect.set_options(timeout=UI_TIMEOUT_MS)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) and page; no script error may escape."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    context.set_default_timeout(UI_TIMEOUT_MS)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert not errors, errors


def screenshot(page: Page, name: str) -> Path:
    """Save what the page shows now as ``tests/web/artifacts/NAME.png``."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def login(page: Page, server: RunningServer) -> None:
    """Open the UI and log in with the server's generated password."""
    page.goto(server.url + "/")
    page.get_by_label("Password").fill(server.password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("navigation", name="Sections")).to_be_visible()
    expect(page.locator("#conn-state")).to_have_text("Live")


def rows(page: Page) -> object:
    """The device table's body rows."""
    return page.locator("table.devices tbody tr")


def names(page: Page) -> list[str]:
    """The Name / SSID column as shown, top to bottom."""
    return page.locator("table.devices tbody td[data-col=name] a").all_inner_texts()


def choose_view(page: Page, label: str) -> None:
    """Pick a device view by the start of its label ("Access points (23)")."""
    select = page.get_by_label("View", exact=True)
    expect(select.locator("option", has_text=re.compile("^" + re.escape(label)))).to_have_count(1)
    value = select.locator("option", has_text=re.compile("^" + re.escape(label))).get_attribute(
        "value")
    select.select_option(value)
