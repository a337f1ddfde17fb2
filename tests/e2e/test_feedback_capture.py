"""Capture everywhere: the form, the message shortcut, and capture emoji with votes."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from bot.sandbox.server import Sandbox
from tests.e2e.helpers import (
    dms,
    ephemerals,
    feedback_values,
    item,
    items,
    top_view,
    voters,
)

pytestmark = pytest.mark.e2e


def test_empty_command_opens_the_form_and_submitting_files_once(
    sandbox: Sandbox, engine: Engine
) -> None:
    sandbox.sender.slash_command("U0002", "C0001", "/feedback")
    view = top_view(sandbox, "U0002")
    assert view["callback_id"] == "feedback_modal"
    assert [b["block_id"] for b in view["blocks"]] == [
        "fb_text",
        "fb_tags",
        "fb_customer",
        "fb_area",
        "fb_urgency",
    ]
    values = feedback_values(
        "Bulk edit for tags", tags="#ui, bulk  edit", customer="Acme", area="Admin", urgency="high"
    )
    delivery = sandbox.sender.submit_view("U0002", view["id"], values)
    assert delivery.status == 200 and delivery.body == ""
    assert sandbox.workspace.view_stacks["U0002"] == []
    [row] = items(engine)
    assert (row.text, row.customer, row.area, row.urgency, row.source) == (
        "Bulk edit for tags",
        "Acme",
        "admin",
        "high",
        "modal",
    )
    assert "Filed FB-1" in ephemerals(sandbox, "U0002")[-1]
    # Slack retries the same submission (same view id): still one item.
    sandbox.workspace.view_stacks["U0002"] = [view["id"]]
    sandbox.sender.submit_view("U0002", view["id"], values)
    assert len(items(engine)) == 1


def test_form_without_text_shows_the_error_under_the_field(
    sandbox: Sandbox, engine: Engine
) -> None:
    sandbox.sender.slash_command("U0002", "C0001", "/feedback")
    view = top_view(sandbox, "U0002")
    sandbox.sender.submit_view("U0002", view["id"], feedback_values("   "))
    still_open = top_view(sandbox, "U0002")
    assert still_open["id"] == view["id"]
    assert "no feedback text" in still_open["_errors"]["fb_text"]
    assert items(engine) == []


def test_shortcut_prefills_the_form_from_the_message(sandbox: Sandbox, engine: Engine) -> None:
    message = sandbox.workspace.add_message(
        "C0001", user_id="U0003", text="Exports are slow &amp; time out for Acme"
    )
    sandbox.sender.shortcut("U0001", "C0001", message["ts"], "capture_feedback")
    view = top_view(sandbox, "U0001")
    assert view["blocks"][1]["element"]["initial_value"] == "Exports are slow & time out for Acme"
    sandbox.sender.submit_view(
        "U0001", view["id"], feedback_values("Exports are slow & time out for Acme")
    )
    [row] = items(engine)
    assert (row.reporter_id, row.source_author_id, row.source) == ("U0001", "U0003", "shortcut")
    assert row.permalink and row.permalink.endswith(message["ts"].replace(".", ""))
    # A second person capturing the same message adds a vote instead of a copy.
    sandbox.sender.shortcut("U0002", "C0001", message["ts"], "capture_feedback")
    sandbox.sender.submit_view(
        "U0002", top_view(sandbox, "U0002")["id"], feedback_values("same message")
    )
    assert len(items(engine)) == 1
    assert voters(engine, 1) == {"U0001", "U0002"}


def test_capture_emoji_captures_once_and_every_reactor_votes(
    sandbox: Sandbox, engine: Engine
) -> None:
    message = sandbox.workspace.add_message(
        "C0001", user_id="U0002", text="CSV export times out for accounts with >50k rows"
    )
    ts = message["ts"]
    sandbox.sender.react("U0001", "C0001", ts, "inbox_tray")
    [row] = items(engine)
    assert (row.reporter_id, row.source_author_id, row.channel_id, row.source) == (
        "U0001",
        "U0002",
        "C0001",
        "reaction",
    )
    assert row.text == "CSV export times out for accounts with >50k rows"
    assert row.permalink is not None
    assert "Captured as" in ephemerals(sandbox, "U0001")[-1]
    sandbox.sender.react("U0003", "C0001", ts, "inbox_tray")
    sandbox.sender.react("U0004", "C0001", ts, "inbox_tray")
    assert voters(engine, 1) == {"U0001", "U0003", "U0004"}
    assert "Added your vote" in ephemerals(sandbox, "U0003")[-1]
    sandbox.sender.unreact("U0003", "C0001", ts, "inbox_tray")
    assert voters(engine, 1) == {"U0001", "U0004"}
    assert item(engine, 1).vote_count == 2
    assert len(items(engine)) == 1
    # Other emoji mean nothing.
    sandbox.sender.react("U0006", "C0001", ts, "eyes")
    assert voters(engine, 1) == {"U0001", "U0004"}


def test_redelivered_reaction_events_vote_once(sandbox: Sandbox, engine: Engine) -> None:
    message = sandbox.workspace.add_message("C0001", user_id="U0002", text="Dark mode please")
    event = {
        "type": "reaction_added",
        "user": "U0003",
        "reaction": "inbox_tray",
        "item_user": "U0002",
        "item": {"type": "message", "channel": "C0001", "ts": message["ts"]},
        "event_ts": message["ts"],
    }
    event_id, _ = sandbox.sender.post_event(event)
    for retry in (1, 2, 3):
        sandbox.sender.post_event(event, event_id=event_id, retry_num=retry)
    # A different delivery (new event id) of the same act: the vote's key still holds.
    sandbox.sender.post_event(event)
    assert len(items(engine)) == 1
    assert item(engine, 1).vote_count == 1


def test_thread_replies_can_be_captured(sandbox: Sandbox, engine: Engine) -> None:
    parent = sandbox.workspace.add_message("C0003", user_id="U0002", text="Release notes")
    reply = sandbox.workspace.add_message(
        "C0003", user_id="U0004", text="The mobile app crashes on login", thread_ts=parent["ts"]
    )
    sandbox.sender.react("U0001", "C0003", reply["ts"], "inbox_tray")
    [row] = items(engine)
    assert row.text == "The mobile app crashes on login" and row.source_author_id == "U0004"
    confirmation = sandbox.workspace.ephemerals_for("U0001")[-1]
    assert confirmation.get("thread_ts") == parent["ts"]


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("bot", "comes from an app"), ("files", "has no text")],
)
def test_messages_that_cannot_be_captured_get_a_clear_answer(
    sandbox: Sandbox, engine: Engine, kind: str, expected: str
) -> None:
    if kind == "bot":
        message = sandbox.workspace.add_message("C0001", user_id="U0005", text="FB-1 card")
    else:
        message = sandbox.workspace.add_message(
            "C0001",
            user_id="U0002",
            text="",
            files=[{"id": "F1", "name": "screenshot.png"}],
        )
    sandbox.sender.react("U0001", "C0001", message["ts"], "inbox_tray")
    assert expected in ephemerals(sandbox, "U0001")[-1]
    assert items(engine) == []


def test_a_channel_the_bot_cannot_read_is_explained_in_a_dm(
    sandbox: Sandbox, engine: Engine
) -> None:
    message = sandbox.workspace.add_message("C0002", user_id="U0002", text="Secret plans")
    sandbox.workspace.channels["C0002"].members.discard("U0005")
    sandbox.sender.react("U0001", "C0002", message["ts"], "inbox_tray")
    assert items(engine) == []
    assert "can't read that conversation" in dms(sandbox, "U0001")[-1]["text"]


def test_capture_emoji_and_triage_channel_follow_the_team_settings(
    sandbox: Sandbox, engine: Engine
) -> None:
    from bot.services.team_settings import save_team_settings

    with sandbox.deps.session_scope() as session:
        save_team_settings(
            session,
            "T0001",
            sandbox.deps.settings,
            reactions=["bulb"],
            channel="C0003",
            timezone="Europe/Berlin",
            by="U0001",
            now=sandbox.deps.now(),
        )
    message = sandbox.workspace.add_message("C0001", user_id="U0002", text="Offline mode")
    sandbox.sender.react("U0003", "C0001", message["ts"], "inbox_tray")
    assert items(engine) == []
    sandbox.sender.react("U0003", "C0001", message["ts"], "bulb")
    [row] = items(engine)
    assert row.text == "Offline mode" and row.card_channel_id == "C0003"
    cards = [m for m in sandbox.workspace.messages_in("C0003") if m.get("bot_id")]
    assert cards and cards[-1]["text"].startswith("FB-1:")
