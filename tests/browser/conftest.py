"""Browser fixtures shared by the page tests and the journeys: Debian's chromium, a page."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright import sync_api
from playwright.sync_api import Browser, Page, ViewportSize

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
VIEWPORT: ViewportSize = {"width": 1400, "height": 900}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's chromium, headless (never a downloaded browser)."""
    # `make test` installs Debian's chromium; a missing browser is a failure, not a skip.
    assert CHROMIUM is not None, "chromium is not installed (apt-get install -y chromium)"
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def problems() -> list[str]:
    """Console errors, uncaught exceptions and dialogs (an alert would mean injected script)."""
    return []


@pytest.fixture
def page(browser: Browser, problems: list[str]) -> Iterator[Page]:
    """A fresh page at 1400x900 that records console errors, page errors and dialogs."""
    context = browser.new_context(viewport=VIEWPORT)
    opened = context.new_page()
    opened.set_default_timeout(10_000)

    def on_console(message: Any) -> None:
        if message.type == "error":
            problems.append(f"console: {message.text}")

    def on_dialog(dialog: Any) -> None:
        problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    opened.on("console", on_console)
    opened.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    opened.on("dialog", on_dialog)
    yield opened
    context.close()
