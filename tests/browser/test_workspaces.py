"""Two workspaces in one sandbox: a person of the second adds the bot through OAuth, then uses it.

Mirrors `productops sandbox --workspaces 2`: Acme has the bot, Globex Research does not yet.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from bot.sandbox.server import Sandbox, install_through_oauth, start_sandbox
from bot.sandbox.workspace import Workspace, Workspaces
from bot.settings import Settings
from storage.db import make_engine, migrate
from tests.browser.conftest import SCREENSHOTS

GLOBEX_GINA = "U2001"


@pytest.fixture
def two(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    db = tmp_path_factory.mktemp("workspaces") / "workspaces.db"
    url = f"sqlite:///{db}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    settings = Settings(
        database_url=url,
        log_level="WARNING",
        slack_client_id="sandbox-client-id",
        slack_client_secret="sandbox-client-secret",
    )
    slack = Workspaces(
        Workspace(), Workspace("T0002", number=2, name="Globex Research", domain="globex")
    )
    running = start_sandbox(settings, workspaces=slack, oauth=True)
    assert install_through_oauth(running, "T0001", "U0001").status_code == 200
    yield running
    running.stop()


@pytest.mark.browser
def test_a_second_workspace_adds_the_bot_and_files_feedback(
    page: Page, two: Sandbox, problems: list[str]
) -> None:
    page.goto(f"{two.url}/#{GLOBEX_GINA}/C2001")
    expect(page.locator("#ws-name")).to_have_text("Globex Research")
    switcher = page.locator("#user-switcher")
    expect(switcher.locator("optgroup")).to_have_count(2)
    banner = page.locator("#install-banner")
    expect(banner).to_contain_text("productops is not installed in Globex Research yet")

    # Before the install, a command is answered with how to get the bot, and files nothing.
    composer = page.locator("#composer textarea")
    composer.fill("/feedback too early")
    composer.press("Enter")
    expect(page.locator("#messages")).to_contain_text("not installed in this workspace")

    with page.context.expect_page() as opened:
        banner.get_by_role("link", name="Add to Slack").click()
    allow = opened.value
    allow.wait_for_load_state()
    expect(allow.locator("h1")).to_contain_text("requesting permission")
    allow.locator("li", has_text="Globex Research").get_by_role("link", name="Gina Park").click()
    expect(allow.locator("body")).to_contain_text("Thank you")
    allow.close()

    expect(banner).to_be_hidden()
    composer.fill("/feedback Globex wants SSO for the admin console")
    composer.press("Enter")
    expect(page.locator("#messages")).to_contain_text("Filed FB-1")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "journey-workspaces.png"))

    # Acme's people are in the same switcher; their workspace has its own FB numbers.
    switcher.select_option("U0002")
    expect(page.locator("#ws-name")).to_have_text("Acme Product")
    expect(page.locator("#messages")).not_to_contain_text("Globex wants SSO")
    assert problems == []
