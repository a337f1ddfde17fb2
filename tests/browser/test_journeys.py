"""One journey per feature, driven through the sandbox page the way a person would.

One sandbox with the demo data and a movable clock serves the whole module. Each journey
works on its own channel, titles or seeded message, so the journeys do not depend on their
order. Screenshots of the journeys are written to docs/screenshots/journey-*.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Locator, Page, expect

from bot.sandbox.demo import seed_demo
from bot.sandbox.server import Sandbox, SandboxClock, start_sandbox
from bot.settings import Settings
from storage.db import make_engine, migrate
from tests.browser.conftest import SCREENSHOTS

ANN, BOB = "U0001", "U0002"
FEEDBACK, GENERAL, SQUAD = "C0001", "C0002", "C0003"


@pytest.fixture(scope="module")
def sb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """The bot, the emulated Slack and the page, with the demo data and a movable clock."""
    db = tmp_path_factory.mktemp("journeys") / "journeys.db"
    url = f"sqlite:///{db}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    settings = Settings(database_url=url, log_level="WARNING", openai_api_key=None)
    running = start_sandbox(settings, now=SandboxClock())
    assert seed_demo(running.deps, running.workspace)
    yield running
    running.stop()


# ---------------------------------------------------------------------------- helpers


def open_page(page: Page, sb: Sandbox, user: str = ANN, channel: str = FEEDBACK) -> None:
    page.goto(f"{sb.url}/#{user}/{channel}")
    expect(page.locator("#channel-list .nav-item").first).to_be_visible()
    expect(page.locator("#channel-header")).not_to_be_empty()


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.mouse.move(1, 1)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def send(page: Page, text: str) -> None:
    composer = page.locator("#composer textarea")
    composer.fill(text)
    composer.press("Enter")


def switch_user(page: Page, user: str) -> None:
    page.locator("#user-switcher").select_option(user)
    expect(page.locator("#user-switcher")).to_have_value(user)


def message_with(page: Page, text: str | re.Pattern[str]) -> Locator:
    """Messages (not ephemerals) of the open channel that show `text`."""
    return page.locator("#messages .msg:not(.ephemeral)", has_text=text)


def ephemeral_with(page: Page, text: str | re.Pattern[str]) -> Locator:
    return page.locator("#messages .msg.ephemeral", has_text=text)


def button(scope: Page | Locator, name: str) -> Locator:
    return scope.get_by_role("button", name=name, exact=True)


def modal(page: Page) -> Locator:
    return page.locator("#modal-root .modal")


# ---------------------------------------------------------------------------- journeys


@pytest.mark.browser
def test_capture_feedback_by_reaction_then_vote(
    page: Page, sb: Sandbox, problems: list[str]
) -> None:
    open_page(page, sb, channel=FEEDBACK)
    message = message_with(page, "Customers keep asking for a Zapier integration")
    expect(message).to_have_count(1)
    message.hover()
    message.locator(".msg-actions [aria-label='Add reaction']").click()
    page.locator("#popover [data-name='inbox_tray']").click()
    captured = ephemeral_with(page, re.compile(r"Captured as FB-\d+"))
    expect(captured).to_be_visible()
    expect(captured).to_contain_text("Zapier integration")
    expect(captured).to_contain_text("Only visible to you")
    key = re.search(r"FB-\d+", captured.inner_text())
    assert key is not None
    pill = message.locator(".reaction[data-name='inbox_tray']")
    expect(pill.locator(".reaction-count")).to_have_text("1")

    switch_user(page, BOB)
    expect(captured).to_have_count(0)  # Ann's answer is hers alone
    expect(pill.locator(".reaction-count")).to_have_text("1")
    pill.click()
    voted = ephemeral_with(page, "Added your vote")
    expect(voted).to_be_visible()
    expect(voted).to_contain_text(key.group(0))
    expect(voted).to_contain_text("2 votes now")
    expect(pill.locator(".reaction-count")).to_have_text("2")
    assert problems == []


def next_event(page: Page, sb: Sandbox) -> None:
    """Click "Next event ⏭" and wait until the page shows what the bot posted for it."""
    with page.expect_response(
        lambda r: r.url.endswith("/sandbox/clock") and r.request.method == "POST"
    ) as moved:
        button(page.locator("#time-control"), "Next event ⏭").click()
    assert moved.value.ok, moved.value.text()
    version = sb.workspace.version
    page.wait_for_function("v => window.SBApp.app.version >= v", arg=version)


@pytest.mark.browser
def test_schedule_a_workshop_and_rsvp(page: Page, sb: Sandbox, problems: list[str]) -> None:
    open_page(page, sb, channel=SQUAD)
    expect(page.locator("#time-control")).to_be_visible()
    composer = page.locator("#composer textarea")
    composer.fill('/ritual add workshop "Browser workshop" tomorrow at 3pm for 60m with ')
    composer.press_sequentially("@Bob")
    people = page.locator("#composer .autocomplete")
    expect(people.locator(".ac-item")).to_have_count(1)
    expect(people).to_contain_text("Bob Martin")
    composer.press("Enter")  # picks Bob: the composer sends him as a mention
    expect(composer).to_have_value(
        '/ritual add workshop "Browser workshop" tomorrow at 3pm for 60m with @bob '
    )
    asked_at = sb.deps.now()
    composer.press("Enter")
    confirmation = ephemeral_with(page, "Browser workshop")
    expect(confirmation).to_be_visible()
    expect(confirmation).to_contain_text(re.compile(r"Scheduled R-\d+"))
    expect(confirmation).to_contain_text("(workshop)")
    expect(confirmation).to_contain_text("60 min")
    times = re.compile(r"Next\s*• \w{3} \d{1,2} \w{3} \d{4}, 15:00 \(Europe/Berlin\)")
    expect(confirmation).to_contain_text(times)
    assert confirmation.inner_text().count("•") == 1  # a one-off: one next time

    workshop = message_with(page, "Browser workshop").filter(has=button(page, "Going"))
    reminder = message_with(page, "Reminder:").filter(has_text="Browser workshop")
    clicks = 0
    while not workshop.count():
        assert clicks < 25, "the workshop was never posted"
        next_event(page, sb)
        clicks += 1
    expect(workshop).to_have_count(1)
    # "tomorrow at 3pm" in Ann's time (Europe/Berlin); its reminder comes 24 hours before,
    # unless that moment had passed already when Ann scheduled it.
    berlin = ZoneInfo("Europe/Berlin")
    tomorrow = asked_at.astimezone(berlin).date() + timedelta(days=1)
    starts = datetime.combine(tomorrow, time(15, 0), tzinfo=berlin)
    if starts - timedelta(hours=24) > asked_at:
        expect(reminder).to_contain_text("starts in 24 hours")
    else:
        expect(reminder).to_have_count(0)
    expect(workshop).to_contain_text("60 min")
    expect(workshop).to_contain_text("Participants: Bob Martin")
    expect(workshop).to_contain_text("Going 0 · Maybe 0 · Can't 0")
    button(workshop, "Going").click()
    expect(workshop).to_contain_text("Going 1: Ann Lee · Maybe 0 · Can't 0")
    switch_user(page, BOB)
    button(workshop, "Maybe").click()
    expect(workshop).to_contain_text("Going 1: Ann Lee · Maybe 1: Bob Martin · Can't 0")
    switch_user(page, ANN)
    expect(workshop).to_contain_text("Maybe 1: Bob Martin")
    screenshot(page, "journey-ritual.png")
    assert problems == []


def add_card(page: Page, board: Locator, column: str, text: str, *, anonymous: bool) -> None:
    button(board, column).click()
    form = modal(page)
    expect(form.locator(".modal-title")).to_have_text(column)
    form.get_by_label(column).fill(text)
    if anonymous:
        form.get_by_text("Post anonymously").click()
        expect(form.get_by_role("checkbox")).to_be_checked()
    button(form, "Add").click()
    expect(modal(page)).to_have_count(0)


@pytest.mark.browser
def test_run_a_retro(page: Page, sb: Sandbox, problems: list[str]) -> None:
    open_page(page, sb, channel=FEEDBACK)
    send(page, '/retro start "Browser retro"')
    board = message_with(page, "Browser retro")
    expect(board).to_have_count(1)
    expect(board).to_contain_text(re.compile(r"Retro #\d+: Browser retro"))
    expect(board).to_contain_text("Facilitator Ann Lee · collecting cards")
    good, bad = "Pairing in the browser tests", "Standups run over time"
    add_card(page, board, "Went well", good, anonymous=False)
    expect(board).to_contain_text("Went well 1")
    switch_user(page, BOB)
    add_card(page, board, "To improve", bad, anonymous=True)
    counts = board.locator(".bk-section", has_text="Action items").first
    expect(counts).to_contain_text("Went well 1 · 🚧 To improve 1 · 💡 Idea 0")
    expect(board).to_contain_text("Cards stay hidden until the facilitator presses Reveal.")
    expect(board).not_to_contain_text(good)
    expect(board).not_to_contain_text(bad)

    switch_user(page, ANN)
    button(board, "Reveal").click()
    expect(board).to_contain_text("voting")
    good_card = board.locator(".bk-section", has_text=good)
    bad_card = board.locator(".bk-section", has_text=bad)
    expect(good_card).to_contain_text(f"0 🔼 · Ann Lee: {good}")
    expect(bad_card).to_contain_text(f"0 🔼 · {bad}")
    expect(bad_card).not_to_contain_text("Bob")
    button(bad_card, "+1").click()
    expect(bad_card).to_contain_text(f"1 🔼 · {bad}")
    button(board, "Close").click()
    confirm = page.locator("#confirm-root .confirm")
    expect(confirm).to_contain_text("Close this retro?")
    button(confirm, "Close").click()
    expect(confirm).to_have_count(0)
    expect(board).to_contain_text("closed")
    summary = board.locator(".bk-section", has_text="Summary")
    expect(summary).to_contain_text("To improve (1)")
    expect(summary).to_contain_text(re.compile(rf"{bad} \(1 votes?\)"))
    screenshot(page, "journey-retro.png")
    assert problems == []


@pytest.mark.browser
def test_summarize_a_thread_and_post_it(page: Page, sb: Sandbox, problems: list[str]) -> None:
    open_page(page, sb, channel=FEEDBACK)
    page.locator("#channel-list .nav-item", has_text="general").click()
    expect(page.locator("#channel-header")).to_contain_text("general")
    assert page.evaluate("location.hash") == f"#{ANN}/{GENERAL}"
    parent = message_with(page, "Heads up: the CSV export for Acme timed out")
    expect(parent.locator(".thread-count")).to_have_text("11 replies")
    parent.hover()
    parent.locator(".msg-actions [aria-label='More actions']").click()
    page.locator("#popover .menu-item", has_text="Summarize thread").click()
    expect(ephemeral_with(page, "Summarizing…")).to_be_visible()
    answer = ephemeral_with(page, "TL;DR")
    expect(answer).to_be_visible()
    expect(answer).to_contain_text("12 messages")
    expect(answer).to_contain_text("Offline summary (no language model is configured)")
    expect(answer).to_contain_text("Decided: raise the timeout now, streaming next sprint.")
    for heading in ("Key points", "Decisions", "Action items", "Open questions"):
        expect(answer).to_contain_text(heading)
    button(answer, "Post to thread").click()
    expect(answer).to_contain_text("Posted to the thread.")
    expect(button(answer, "Post to thread")).to_have_count(0)
    expect(parent.locator(".thread-count")).to_have_text("12 replies")
    parent.locator(".thread-count").click()
    thread = page.locator("#thread")
    expect(thread).to_be_visible()
    posted = thread.locator(".msg", has_text="TL;DR")
    expect(posted).to_have_count(1)
    expect(posted.locator(".msg-author")).to_have_text("productops")
    expect(posted).to_contain_text("Offline summary")
    expect(posted).to_contain_text("Asked for by Ann Lee")
    screenshot(page, "journey-summary.png")
    assert problems == []
    # The summary's sections are mrkdwn with "verbatim": true. Slack still renders bold and
    # manual markup like <#C0002> in verbatim text (it only skips auto-linking), so the
    # page must show "*Summary of a thread in #general*" as bold text with a channel link,
    # not the raw markup. The page (bot/sandbox/static/mrkdwn.js, renderText) shows the
    # verbatim text as it is: these checks fail until that is fixed.
    for shown in (answer, posted):
        expect(shown).to_contain_text(
            "Summary of a thread in #general · 12 messages", timeout=1_000
        )
        expect(shown).not_to_contain_text("*TL;DR*")
        expect(shown.locator("b", has_text="TL;DR")).to_have_count(1)


@pytest.mark.browser
def test_show_a_kpi_chart(page: Page, sb: Sandbox, problems: list[str]) -> None:
    open_page(page, sb, channel="D0001")
    expect(page.locator("#channel-header")).to_contain_text("productops")
    send(page, "/kpi show activation")
    card = ephemeral_with(page, "Share of signups active in week 1")
    expect(card).to_be_visible()
    expect(card).to_contain_text("activation")
    for field in ("Latest", "Target", "Week over week", "Direction"):
        expect(card.locator(".bk-fields")).to_contain_text(field)
    expect(card).to_contain_text("A chart of the last 12 weeks is on its way")
    chart = page.locator("#messages .msg:not(.ephemeral) .msg-files img")
    expect(chart).to_have_count(1)
    expect(chart).to_have_attribute("alt", "activation, last 12 weeks")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=chart.element_handle()
    )
    shared = message_with(page, "activation, last 12 weeks")
    expect(shared).to_contain_text("activation:")
    screenshot(page, "journey-kpi.png")
    assert problems == []


OPS_SECTIONS = ["Triage inbox", "KPIs at a glance", "Renewals due in 30 days", "Settings"]
MEMBER_SECTIONS = ["My feedback", "My upcoming rituals", "My RSVPs", "My action items"]


@pytest.mark.browser
def test_open_app_home_as_ops_and_as_member(page: Page, sb: Sandbox, problems: list[str]) -> None:
    open_page(page, sb, channel=FEEDBACK)
    page.locator("#nav-home").click()
    body = page.locator("#home-body")
    headers = body.locator(".bk-header")
    expect(headers.first).to_have_text("Your product ops")
    expect(body).to_contain_text("you are ops")
    for section in MEMBER_SECTIONS + OPS_SECTIONS:
        expect(headers.filter(has_text=section)).to_have_count(1)
    expect(button(body, "Edit settings")).to_be_visible()
    expect(body).to_contain_text("Squad A standup")
    expect(body).to_contain_text("activation")
    expect(body).to_contain_text("Figma")
    screenshot(page, "journey-home.png")

    switch_user(page, BOB)
    expect(body).to_contain_text("you are member")
    expect(headers.first).to_have_text("Your product ops")
    for section in MEMBER_SECTIONS:
        expect(headers.filter(has_text=section)).to_have_count(1)
    for section in OPS_SECTIONS:
        expect(headers.filter(has_text=section)).to_have_count(0)
    expect(button(body, "Edit settings")).to_have_count(0)
    expect(body).to_contain_text("Ops (admins, OPS_ADMINS and people granted the role)")
    assert problems == []
