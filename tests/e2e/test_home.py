"""App Home end to end: what a member and ops see, triage from the tab, the ops role granted
and revoked from its settings, team settings, and "See all" modals."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.sandbox.server import Sandbox
from bot.scheduling import Clock
from bot.services.roles import OPS_ONLY
from bot.services.team_settings import team_settings
from storage.models import OpsGrant, TeamSettings
from tests.e2e.helpers import FakeClock, dms, ephemerals, item, text_input, top_view

pytestmark = pytest.mark.e2e

# Wednesday 25 Nov 2026, 08:00 UTC (09:00 in Berlin, Ann's timezone).
START = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def home(bot: Sandbox, user: str, *, open_it: bool = True) -> dict[str, Any]:
    """Open the tab (as Slack does when the person clicks it) and return the published view."""
    if open_it:
        bot.sender.open_home(user)
    return bot.workspace.views[bot.workspace.home_views[user]]


def shown(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def select_option(value: str) -> dict[str, Any]:
    return {"selected_option": {"text": {"type": "plain_text", "text": value}, "value": value}}


def test_a_member_sees_their_feedback_rituals_and_rsvps(
    bot: Sandbox, engine: Engine, clock: FakeClock
) -> None:
    bot.sender.slash_command("U0002", "C0002", "/feedback Dark mode for the dashboard")
    bot.sender.slash_command("U0003", "C0002", "/feedback Someone else's idea")
    bot.sender.slash_command(
        "U0001",
        "C0003",
        '/ritual add workshop "Pricing discovery" on 2026-11-25 10:30 with <@U0002|bob>',
    )
    bot.sender.slash_command(
        "U0001",
        "C0003",
        '/ritual add standup "Squad standup" every weekday at 16:00 with <@U0002|bob>',
    )
    bot.sender.slash_command("U0001", "C0003", '/ritual add sync "Ann only" daily at 11:00')
    # The workshop starts at 09:30 UTC and Bob answers its RSVP buttons.
    clock.set(datetime(2026, 11, 25, 9, 30, 5, tzinfo=UTC))
    Clock(bot.deps).reconcile()
    bot.settle()
    post = [m for m in bot.workspace.messages_in("C0003") if "Pricing" in m.get("text", "")][-1]
    bot.sender.click(
        "U0002", action_id="ritual_rsvp", value="1:going", channel_id="C0003", message_ts=post["ts"]
    )

    view = home(bot, "U0002")
    text = shown(view)
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    assert "*FB-1* 'Dark mode for the dashboard' · :new: New" in text
    assert "Someone else" not in text
    # Bob's upcoming rituals in his own timezone (New York); not the one he isn't in.
    assert "*Squad standup* (R-2) · Wed 25 Nov 2026, 10:00 (America/New_York)" in text
    assert "Ann only" not in text
    assert "*Pricing discovery* (R-1)" in text and "*Going*" in text
    assert "Triage inbox" not in text and "home_ops_pick" not in text
    assert "you are member" in text


def test_ops_see_triage_kpis_renewals_and_settings(bot: Sandbox) -> None:
    bot.sender.slash_command("U0002", "C0002", "/feedback CSV export times out")
    bot.sender.slash_command("U0001", "C0002", '/kpi define nps unit:% target:">=40"')
    bot.sender.slash_command("U0001", "C0002", "/kpi record nps 41")
    bot.sender.slash_command(
        "U0001", "C0002", "/stack add Figma owner:<@U0002|bob> renewal:2026-12-10"
    )
    bot.sender.slash_command("U0001", "C0002", "/stack add Later renewal:2027-06-10")
    text = shown(home(bot, "U0001"))
    assert "you are ops" in text
    assert "Triage inbox" in text and "feedback_set_status" in text and '"triage:1"' in text
    assert "*nps* 41%" in text and "on target" in text
    assert "*Figma* · :alarm_clock: renews Thu 10 Dec 2026 (in 15 days)" in text
    assert "Later" not in text
    assert "*Capture emojis* (default): :inbox_tray:" in text
    assert "home_ops_pick" in text and "home_settings_open" in text


def test_triage_from_home_answers_in_a_dm_and_refreshes_the_tab(
    bot: Sandbox, engine: Engine
) -> None:
    bot.sender.slash_command("U0002", "C0002", "/feedback CSV export times out")
    bot.sender.slash_command("U0003", "C0002", "/feedback Dark mode please")
    view = home(bot, "U0001")
    bot.sender.click(
        "U0001",
        action_id="feedback_set_status",
        view_id=view["id"],
        block_id="triage:1",
        selected=select_option("1:triaged"),
    )
    assert item(engine, 1).status == "triaged"
    assert "CSV export times out" in dms(bot, "U0001")[-1]["text"]
    refreshed = home(bot, "U0001", open_it=False)
    assert refreshed["id"] != view["id"]
    assert '"triage:1"' not in shown(refreshed) and '"triage:2"' in shown(refreshed)

    bot.sender.click(
        "U0001",
        action_id="feedback_set_owner",
        view_id=refreshed["id"],
        block_id="triage:2",
        selected={"selected_user": "U0004"},
    )
    assert item(engine, 2).owner_id == "U0004"
    assert "FB-2 is now owned by Dave Nguyen" in dms(bot, "U0001")[-1]["text"]
    view = home(bot, "U0001", open_it=False)
    bot.sender.click("U0001", action_id="feedback_vote", value="FB-2", view_id=view["id"])
    assert item(engine, 2).vote_count == 2
    assert "is counted" in dms(bot, "U0001")[-1]["text"]

    # Shipping asks for the note in a modal; everyone who asked for it hears once.
    view = home(bot, "U0001", open_it=False)
    bot.sender.click(
        "U0001",
        action_id="feedback_set_status",
        view_id=view["id"],
        block_id="triage:2",
        selected=select_option("2:shipped"),
    )
    note = top_view(bot, "U0001")
    bot.sender.submit_view("U0001", note["id"], {"fb_note": text_input("Dark mode is live.")})
    assert item(engine, 2).status == "shipped"
    assert any("Dark mode is live." in json.dumps(m.get("blocks")) for m in dms(bot, "U0003"))
    assert "Nothing to triage" in shown(home(bot, "U0001", open_it=False))
    assert not [e for e in ephemerals(bot, "U0001") if "went wrong" in e]


def test_grant_and_revoke_ops_from_home(bot: Sandbox, engine: Engine) -> None:
    bot.sender.slash_command("U0003", "C0002", "/feedback Bulk edit for tags")
    bot.sender.click(
        "U0001",
        action_id="home_ops_pick",
        view_id=home(bot, "U0001")["id"],
        selected={"selected_user": "U0002"},
    )
    view = home(bot, "U0001", open_it=False)
    assert "Bob Martin is a member: *Grant ops* gives them the role." in shown(view)
    bot.sender.click("U0001", action_id="home_ops_grant", value="U0002", view_id=view["id"])
    with Session(engine) as session:
        [grant] = session.exec(select(OpsGrant)).all()
    assert (grant.user_id, grant.granted_by) == ("U0002", "U0001")
    view = home(bot, "U0001", open_it=False)
    assert "Bob Martin now has the ops role." in shown(view)
    assert "Granted in App Home: Bob Martin." in shown(view)

    # Bob's tab was refreshed: he can triage now, from there.
    bobs = home(bot, "U0002", open_it=False)
    assert "you are ops" in shown(bobs) and '"triage:1"' in shown(bobs)
    bot.sender.click(
        "U0002",
        action_id="feedback_set_status",
        view_id=bobs["id"],
        block_id="triage:1",
        selected=select_option("1:planned"),
    )
    assert item(engine, 1).status == "planned"

    view = home(bot, "U0001", open_it=False)
    bot.sender.click("U0001", action_id="home_ops_revoke", value="U0002", view_id=view["id"])
    with Session(engine) as session:
        assert session.exec(select(OpsGrant)).all() == []
    assert "Bob Martin no longer has the ops role." in shown(home(bot, "U0001", open_it=False))
    assert "you are member" in shown(home(bot, "U0002", open_it=False))
    bot.sender.slash_command("U0002", "C0002", "/feedback triage")
    assert ephemerals(bot, "U0002")[-1].startswith(OPS_ONLY)

    # Admins keep their role whatever the buttons say.
    bot.sender.click(
        "U0001",
        action_id="home_ops_pick",
        view_id=home(bot, "U0001", open_it=False)["id"],
        selected={"selected_user": "U0001"},
    )
    view = home(bot, "U0001", open_it=False)
    assert "that can't be changed here" in shown(view)
    bot.sender.click("U0001", action_id="home_ops_revoke", value="U0001", view_id=view["id"])
    assert "is ops as a workspace admin, owner or in OPS_ADMINS already" in shown(
        home(bot, "U0001", open_it=False)
    )


def test_a_member_cannot_grant_even_with_a_forged_click(bot: Sandbox, engine: Engine) -> None:
    view = home(bot, "U0002")
    payload = {
        "type": "block_actions",
        "user": {"id": "U0002", "username": "bob", "name": "bob", "team_id": "T0001"},
        "api_app_id": "A0001",
        "token": "sandbox-verification-token",
        "container": {"type": "view", "view_id": view["id"]},
        "trigger_id": bot.workspace.issue_trigger("U0002"),
        "team": {"id": "T0001", "domain": "sandbox"},
        "view": {k: v for k, v in view.items() if not k.startswith("_")},
        "actions": [
            {
                "action_id": "home_ops_grant",
                "block_id": "home_ops",
                "value": "U0002",
                "type": "button",
            }
        ],
    }
    assert bot.sender.post_payload(payload).status == 200
    with Session(engine) as session:
        assert session.exec(select(OpsGrant)).all() == []
    assert OPS_ONLY in shown(home(bot, "U0002", open_it=False))


def test_team_settings_from_home(bot: Sandbox, engine: Engine) -> None:
    view = home(bot, "U0001")
    bot.sender.click("U0001", action_id="home_settings_open", value="settings", view_id=view["id"])
    form = top_view(bot, "U0001")
    assert form["callback_id"] == "home_settings_modal"
    values = {
        "hs_reactions": text_input("inbox_tray, :bulb:"),
        "hs_channel": {"value": {"type": "channels_select", "selected_channel": "C0001"}},
        "hs_timezone": text_input("Mars/Olympus"),
    }
    bot.sender.submit_view("U0001", form["id"], values)
    assert "IANA timezone" in json.dumps(top_view(bot, "U0001").get("_errors"))
    values["hs_timezone"] = text_input("Europe/Berlin")
    values["hs_reactions"] = text_input("inbox tray!")
    bot.sender.submit_view("U0001", form["id"], values)
    assert "is not an emoji name" in json.dumps(top_view(bot, "U0001").get("_errors"))
    values["hs_reactions"] = text_input("inbox_tray, :bulb:")
    bot.sender.submit_view("U0001", form["id"], values)
    with Session(engine) as session:
        [row] = session.exec(select(TeamSettings)).all()
        config = team_settings(session, "T0001", bot.settings)
    # inbox_tray alone is the environment's default; only what differs is stored.
    assert (row.feedback_reactions, row.feedback_channel, row.default_timezone) == (
        "inbox_tray,bulb",
        "C0001",
        "Europe/Berlin",
    )
    assert config.feedback_reactions == ("inbox_tray", "bulb")
    assert config.feedback_channel == "C0001" and config.default_timezone == "Europe/Berlin"
    text = shown(home(bot, "U0001", open_it=False))
    assert "Saved the team settings." in text
    assert "*Capture emojis* (team setting): :inbox_tray: :bulb:" in text
    assert "*Triage channel* (team setting): <#C0001>" in text
    # Back to the defaults: nothing of the team's own is left in effect.
    values = {
        "hs_reactions": text_input("inbox_tray"),
        "hs_channel": {"value": {"type": "channels_select", "selected_channel": None}},
        "hs_timezone": text_input("UTC"),
    }
    bot.sender.click(
        "U0001", action_id="home_settings_open", value="settings", view_id=home(bot, "U0001")["id"]
    )
    bot.sender.submit_view("U0001", top_view(bot, "U0001")["id"], values)
    with Session(engine) as session:
        assert team_settings(session, "T0001", bot.settings).customized == frozenset()


def test_see_all_opens_a_modal_with_more(bot: Sandbox) -> None:
    for n in range(8):
        bot.sender.slash_command("U0002", "C0002", f"/feedback Idea number {n} for the app")
    view = home(bot, "U0002")
    text = shown(view)
    assert text.count("Idea number") == 5 and "home_see_all" in text
    bot.sender.click("U0002", action_id="home_see_all", value="feedback", view_id=view["id"])
    modal = top_view(bot, "U0002")
    assert modal["title"]["text"] == "My feedback"
    assert shown(modal).count("Idea number") == 8

    for n in range(7):
        bot.sender.slash_command("U0001", "C0002", f"/stack add Tool{n} renewal:2026-12-0{n + 1}")
    view = home(bot, "U0001")
    bot.sender.click("U0001", action_id="home_see_all", value="renewals", view_id=view["id"])
    assert shown(top_view(bot, "U0001")).count("renews") == 7
    bot.sender.click("U0001", action_id="home_see_all", value="triage", view_id=view["id"])
    queue = top_view(bot, "U0001")
    assert (
        queue["title"]["text"] == "Triage queue" and shown(queue).count("feedback_set_status") == 8
    )


def test_a_huge_team_home_stays_within_limits(bot: Sandbox, engine: Engine) -> None:
    from storage.db import session_factory
    from storage.feedback import insert_feedback

    scope = session_factory(engine)
    with scope() as session:
        for n in range(1500):
            insert_feedback(
                session=session,
                team_id="T0001",
                reporter_id="U0001" if n % 2 else "U0002",
                text=f"<!channel> feedback {n} " + "&" * 3000,
                tags=[],
                created_at=START - timedelta(minutes=n),
            )
    view = home(bot, "U0001")
    assert len(view["blocks"]) <= 100
    assert "<!channel>" not in shown(view)
