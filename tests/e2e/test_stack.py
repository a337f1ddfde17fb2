"""/stack end to end: every subcommand, the ops check, removal with a confirmation, and the
renewal DMs 30 and 7 days before, each sent once whatever the clock does."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.sandbox.server import Sandbox
from bot.services.roles import OPS_ONLY
from storage.models import ScheduledTask, StackTool
from tests.e2e.helpers import FakeClock, dms, ephemerals, find_block_action, text_of, tick

pytestmark = pytest.mark.e2e

# Wednesday 25 Nov 2026, 08:00 UTC.
START = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def stack(bot: Sandbox, user: str, text: str, channel: str = "C0002") -> str:
    bot.sender.slash_command(user, channel, f"/stack {text}")
    return ephemerals(bot, user)[-1]


def tools(engine: Engine) -> list[StackTool]:
    with Session(engine) as session:
        return list(session.exec(select(StackTool).order_by(StackTool.team_id, StackTool.id)))


FIGMA = (
    'add Figma owner:<@U0002|bob> purpose:design cost:"$45/mo" renewal:2027-01-24 '
    "url:<https://figma.com>"
)


def test_add_list_show_edit_and_remove(bot: Sandbox, engine: Engine) -> None:
    answer = stack(bot, "U0001", FIGMA)
    assert "Added <https://figma.com|Figma> in the stack" in answer
    assert "$45/mo (USD 540/yr)" in answer and "Bob Martin" in answer
    stack(bot, "U0001", 'add "Google Workspace" purpose:Collaboration cost:"2000 EUR/year"')
    stack(bot, "U0001", "add Jira purpose:delivery cost:1200/yr owner:me")
    stack(bot, "U0001", "add Notion cost:free")
    [figma, workspace, jira, notion] = tools(engine)
    assert (figma.owner_id, figma.purpose, figma.url) == ("U0002", "design", "https://figma.com")
    assert (figma.cost_currency, figma.cost_period, figma.renewal_on) == (
        "USD",
        "month",
        date(2027, 1, 24),
    )
    assert (workspace.name, workspace.cost_currency) == ("Google Workspace", "EUR")
    assert (jira.owner_id, jira.cost_currency) == ("U0001", None)
    assert notion.cost_period is None and notion.team_id == "T0001"

    # Members read the stack too.
    listing = stack(bot, "U0003", "list")
    assert "*The stack* (4 tools)" in listing
    assert "Yearly: EUR 2,000/yr · USD 540/yr · 1,200/yr in an unspecified currency" in listing
    order = [listing.index(g) for g in ("*Collaboration*", "*delivery*", "*design*", "*Other*")]
    assert order == sorted(order)

    shown = stack(bot, "U0003", "show google workspace")
    assert (
        "*Google Workspace*" in shown and "2000 EUR/year" in shown and "Added by Ann Lee" in shown
    )

    edited = stack(bot, "U0001", 'edit figma owner:<@U0003|carol> cost:"$50/mo" url:""')
    assert "Updated *Figma* in the stack" in edited and "Carol Tanaka" in edited
    figma = tools(engine)[0]
    assert (figma.owner_id, figma.cost_text, figma.url, figma.updated_by) == (
        "U0003",
        "$50/mo",
        None,
        "U0001",
    )
    renamed = stack(bot, "U0001", 'edit Figma name:"Figma Pro"')
    assert "Figma Pro" in renamed and tools(engine)[0].name_key == "figma pro"

    stack(bot, "U0001", "remove notion")
    confirm = bot.workspace.ephemerals_for("U0001")[-1]
    assert "Remove *Notion* from the stack?" in text_of(confirm)
    keep = find_block_action(confirm, "stack_remove_cancel")
    bot.sender.click(
        "U0001",
        action_id="stack_remove_cancel",
        value=keep["value"],
        channel_id="C0002",
        message_ts=confirm["ts"],
    )
    assert len(tools(engine)) == 4
    assert "nothing was removed" in ephemerals(bot, "U0001")[-1]
    stack(bot, "U0001", "remove Notion")
    confirm = bot.workspace.ephemerals_for("U0001")[-1]
    button = find_block_action(confirm, "stack_remove_confirm")
    click = dict(
        action_id="stack_remove_confirm",
        value=button["value"],
        channel_id="C0002",
        message_ts=confirm["ts"],
    )
    # A double click removes it once; the second click finds it gone.
    bot.sender.click("U0001", times=2, **click)
    assert [t.name for t in tools(engine)] == ["Figma Pro", "Google Workspace", "Jira"]
    answers = ephemerals(bot, "U0001")
    assert sum("Removed *Notion* from the stack" in a for a in answers) == 1
    assert sum("already removed" in a for a in answers) == 1


def test_members_may_read_but_not_change_the_stack(bot: Sandbox, engine: Engine) -> None:
    stack(bot, "U0001", FIGMA)
    for line in (
        "add Miro cost:$10/mo",
        "edit Figma cost:$1/mo",
        "remove Figma",
    ):
        assert stack(bot, "U0002", line).startswith(OPS_ONLY)
    [figma] = tools(engine)
    assert figma.cost_text == "$45/mo"
    assert "Figma" in stack(bot, "U0002", "show FIGMA")


def test_names_are_unique_whatever_the_case(bot: Sandbox, engine: Engine) -> None:
    stack(bot, "U0001", "add Figma cost:$45/mo")
    again = stack(bot, "U0001", "add FIGMA cost:$99/mo")
    assert "*Figma* is in the stack already" in again and "/stack edit Figma" in again
    stack(bot, "U0001", "add Miro")
    clash = stack(bot, "U0001", "edit miro name:figma")
    assert "is in the stack already" in clash
    assert [(t.name, t.cost_text) for t in tools(engine)] == [("Figma", "$45/mo"), ("Miro", None)]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("add Figma cost:lots", "say how often it is paid"),
        ("add Figma url:javascript:alert(1)", "must start with https://"),
        ("add Figma url:<mailto:ann@example.com|ann@example.com>", "must start with https://"),
        ("add Figma colour:blue", "unknown option"),
        ("add Figma owner:@bob", "owner takes a person"),
        ("add Figma renewal:someday", "is not a date"),
        ("add", "add needs a tool name"),
        ('add "Figma', "unclosed quote"),
        ("edit Figma", "say what to change"),
        ("show", "show needs a tool name"),
        ("list everything", "list takes nothing after it"),
        ("lsit", "did you mean `list`"),
    ],
)
def test_bad_input_gets_the_usage_card_and_changes_nothing(
    bot: Sandbox, engine: Engine, line: str, expected: str
) -> None:
    answer = stack(bot, "U0001", line)
    assert expected in answer and "Examples" in answer
    assert tools(engine) == []


def test_an_unknown_tool_gets_a_suggestion(bot: Sandbox) -> None:
    stack(bot, "U0001", "add Figma")
    answer = stack(bot, "U0001", "show figm")
    assert "There is no tool named 'figm'" in answer and "Did you mean *Figma*?" in answer


def test_hostile_text_is_shown_inert(bot: Sandbox, engine: Engine) -> None:
    stack(bot, "U0001", 'add "<!channel> & co" purpose:"<!here> ops" cost:"1/mo"')
    listing = stack(bot, "U0002", "list")
    assert "<!channel>" not in listing and "<!here>" not in listing
    assert "@channel &amp; co" in listing


def renewal_dms(bot: Sandbox, user: str) -> list[str]:
    return [text_of(m) for m in dms(bot, user) if "renews" in m.get("text", "")]


def test_owner_gets_a_dm_30_and_7_days_before_once_each(
    bot: Sandbox, engine: Engine, clock: FakeClock
) -> None:
    stack(bot, "U0001", FIGMA)  # renews Sun 24 Jan 2027
    figma = tools(engine)[0].id
    with Session(engine) as session:
        keys = sorted(t.key for t in session.exec(select(ScheduledTask)))
    assert keys == [f"renewal:{figma}:2027-01-24:30", f"renewal:{figma}:2027-01-24:7"]
    thirty = datetime(2026, 12, 25, 9, 0, tzinfo=UTC)  # 09:00 in the team's zone (UTC)
    tick(bot, thirty - timedelta(minutes=2), clock)
    assert renewal_dms(bot, "U0002") == []
    tick(bot, thirty + timedelta(seconds=30), clock)
    tick(bot, thirty + timedelta(minutes=1), clock)
    [first] = renewal_dms(bot, "U0002")
    assert "Figma renews in 30 days, on Sun 24 Jan 2027" in first
    assert "/stack edit Figma renewal:YYYY-MM-DD" in first
    seven = datetime(2027, 1, 17, 9, 0, tzinfo=UTC)
    tick(bot, seven + timedelta(seconds=30), clock)
    tick(bot, seven + timedelta(minutes=1), clock)
    later = renewal_dms(bot, "U0002")
    assert len(later) == 2 and "renews in 7 days" in later[1]
    # After the date, the tool is flagged until someone sets the next renewal.
    clock.set(datetime(2027, 1, 25, 9, 0, tzinfo=UTC))
    assert "renewal passed on Sun 24 Jan 2027 without an update" in stack(bot, "U0001", "list")
    assert "renewal passed" in stack(bot, "U0002", "show figma")
    tick(bot, datetime(2027, 1, 26, 9, 0, tzinfo=UTC), clock)
    assert len(renewal_dms(bot, "U0002")) == 2
    assert renewal_dms(bot, "U0001") == []


def test_a_close_renewal_reminds_now_and_a_changed_date_drops_old_reminders(
    bot: Sandbox, engine: Engine, clock: FakeClock
) -> None:
    stack(bot, "U0001", "add Miro renewal:2026-12-15")  # 20 days ahead, no owner
    assert "I'll DM you (there is no owner)" in ephemerals(bot, "U0001")[-1]
    tick(bot, START + timedelta(seconds=10), clock)
    tick(bot, START + timedelta(seconds=20), clock)
    [now] = renewal_dms(bot, "U0001")
    assert "Miro renews in 20 days" in now and "you added it" in now
    stack(bot, "U0001", "edit Miro renewal:2027-06-01")
    tick(bot, datetime(2026, 12, 8, 9, 0, 30, tzinfo=UTC), clock)  # the old 7-day reminder
    assert len(renewal_dms(bot, "U0001")) == 1
    with Session(engine) as session:
        outcomes = {t.key: t.outcome for t in session.exec(select(ScheduledTask))}
    miro = tools(engine)[0].id
    assert outcomes[f"renewal:{miro}:2026-12-15:30"] == "done"
    assert outcomes[f"renewal:{miro}:2026-12-15:7"] == "done"
    assert outcomes[f"renewal:{miro}:2027-06-01:30"] is None


def test_a_past_renewal_is_kept_but_flagged(bot: Sandbox, engine: Engine) -> None:
    answer = stack(bot, "U0001", "add Legacy renewal:2026-01-31")
    assert "That renewal date has passed" in answer
    assert tools(engine)[0].renewal_on == date(2026, 1, 31)
    with Session(engine) as session:
        assert session.exec(select(ScheduledTask)).all() == []
    listing = stack(bot, "U0001", "list")
    assert ":warning: renewal passed on Sat 31 Jan 2026 without an update" in listing
    assert json.loads(json.dumps(listing)) == listing
