"""Votes, duplicates and merges, triage by ops, close the loop, find, themes, export."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.sandbox.server import Sandbox, start_sandbox
from bot.settings import Settings
from storage.models import FeedbackEvent, LoopNotice
from tests.e2e.helpers import (
    dms,
    ephemerals,
    find_block_action,
    item,
    items,
    text_input,
    top_view,
    voters,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def triage(settings: Settings, engine: Engine) -> Iterator[Sandbox]:
    """A sandbox whose triage channel is #product-feedback (C0001)."""
    running = start_sandbox(settings.model_copy(update={"feedback_channel": "C0001"}))
    running.sender.settle = running.settle
    try:
        yield running
    finally:
        running.stop()


def file(sandbox: Sandbox, user: str, text: str, channel: str = "C0002") -> None:
    sandbox.sender.slash_command(user, channel, f"/feedback {text}")


def card_of(sandbox: Sandbox, number: int) -> dict:
    for message in sandbox.workspace.messages_in("C0001"):
        if message.get("bot_id") and message.get("text", "").startswith(f"FB-{number}:"):
            return message
    raise AssertionError(f"no triage card for FB-{number}")


def pick_status(sandbox: Sandbox, user: str, number: int, status: str) -> None:
    card = card_of(sandbox, number)
    sandbox.sender.click(
        user,
        action_id="feedback_set_status",
        channel_id="C0001",
        message_ts=card["ts"],
        selected={
            "selected_option": {
                "text": {"type": "plain_text", "text": status},
                "value": f"{number}:{status}",
            }
        },
    )


def test_plus_one_counts_once_per_person(sandbox: Sandbox, engine: Engine) -> None:
    file(sandbox, "U0001", "Dark mode for the dashboard #ui")
    sandbox.sender.slash_command("U0002", "C0002", "/feedback list")
    listing = sandbox.workspace.ephemerals_for("U0002")[-1]
    button = find_block_action(listing, "feedback_vote")
    click = dict(
        action_id="feedback_vote",
        value=button["value"],
        channel_id="C0002",
        message_ts=listing["ts"],
    )
    sandbox.sender.click("U0002", **click)
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda _: sandbox.sender.click("U0002", **click), range(4)))
    assert voters(engine, 1) == {"U0001", "U0002"}
    assert item(engine, 1).vote_count == 2
    answers = ephemerals(sandbox, "U0002")
    assert sum("is counted" in a for a in answers) == 1
    assert sum("already voted" in a for a in answers) == 4


BACKGROUND = (
    "Dark mode for the dashboard",
    "Slack notifications for new comments",
    "The mobile app crashes when uploading photos",
    "Bulk edit for tags",
    "Invoices should show the VAT number",
    "Archived projects are missing from search",
    "Calendar sync with Outlook",
    "Two-factor authentication for admins",
)


def test_duplicate_offer_and_merge_keep_everyone(sandbox: Sandbox, engine: Engine) -> None:
    for text in BACKGROUND:
        file(sandbox, "U0006", text)
    file(sandbox, "U0002", "CSV export times out on large accounts #export")
    sandbox.sender.slash_command("U0003", "C0002", "/feedback search csv")
    listing = sandbox.workspace.ephemerals_for("U0003")[-1]
    sandbox.sender.click(
        "U0003",
        action_id="feedback_vote",
        value="FB-9",
        channel_id="C0002",
        message_ts=listing["ts"],
    )
    file(sandbox, "U0004", "Exporting to CSV fails with a timeout for big customers")
    offer = sandbox.workspace.ephemerals_for("U0004")[-1]
    assert (
        "FB-10 looks like *FB-9* 'CSV export times out on large accounts' (2 votes"
        in (offer["blocks"][0]["text"]["text"])
    )
    merge = find_block_action(offer, "feedback_merge")
    # A double click: the same payload twice.
    sandbox.sender.click(
        "U0004",
        action_id="feedback_merge",
        value=merge["value"],
        channel_id="C0002",
        message_ts=offer["ts"],
        times=2,
    )
    duplicate, original = item(engine, 10), item(engine, 9)
    assert duplicate.status == "merged" and duplicate.merged_into_id == original.id
    assert voters(engine, 9) == {"U0002", "U0003", "U0004"}
    with Session(engine) as session:
        comments = session.exec(
            select(FeedbackEvent).where(
                FeedbackEvent.feedback_id == original.id, FeedbackEvent.kind == "comment"
            )
        ).all()
    assert [c.text for c in comments] == ["Exporting to CSV fails with a timeout for big customers"]
    assert "Merged FB-10 into" in sandbox.workspace.ephemerals_for("U0004")[-1]["text"]


def test_unrelated_feedback_gets_no_duplicate_offer(sandbox: Sandbox) -> None:
    file(sandbox, "U0002", "CSV export times out on large accounts")
    file(sandbox, "U0003", "The export button has the wrong colour")
    assert not any("looks like" in e for e in ephemerals(sandbox, "U0003"))


def test_only_the_reporter_or_ops_can_merge(sandbox: Sandbox, engine: Engine) -> None:
    file(sandbox, "U0002", "SSO login is broken for Okta")
    file(sandbox, "U0003", "Can't log in with SSO via Okta")
    offer = sandbox.workspace.ephemerals_for("U0003")[-1]
    value = find_block_action(offer, "feedback_merge")["value"]
    # dave never saw the offer (it was carol's ephemeral): a forged or replayed click.
    sandbox.sender.post_payload(
        {
            "type": "block_actions",
            "team": {"id": "T0001"},
            "user": {"id": "U0004", "team_id": "T0001"},
            "trigger_id": "1.2.3",
            "container": {"type": "message", "channel_id": "C0002", "is_ephemeral": True},
            "channel": {"id": "C0002"},
            "response_url": f"{sandbox.url}/response/none",
            "actions": [
                {
                    "action_id": "feedback_merge",
                    "block_id": "x",
                    "type": "button",
                    "value": value,
                    "action_ts": "1.1",
                }
            ],
        }
    )
    assert item(engine, 2).status == "new"
    assert item(engine, 1).vote_count == 1
    sandbox.sender.click(
        "U0003", action_id="feedback_merge", value=value, channel_id="C0002", message_ts=offer["ts"]
    )
    assert item(engine, 2).status == "merged"


def test_triage_card_status_owner_and_close_the_loop(triage: Sandbox, engine: Engine) -> None:
    file(triage, "U0002", "CSV export times out #export", channel="C0002")
    card = card_of(triage, 1)
    assert "FB-1" in card["blocks"][0]["text"]["text"]
    assert "<@" not in json.dumps(card["blocks"])  # names, never pings
    # bob and carol vote; then a member tries to triage and is told why not.
    for user in ("U0003", "U0004"):
        triage.sender.click(
            user, action_id="feedback_vote", value="FB-1", channel_id="C0001", message_ts=card["ts"]
        )
    pick_status(triage, "U0003", 1, "triaged")
    assert item(engine, 1).status == "new"
    assert "Only ops can do that" in ephemerals(triage, "U0003")[-1]
    # ann is an admin: ops.
    pick_status(triage, "U0001", 1, "planned")
    row = item(engine, 1)
    assert row.status == "planned" and row.first_triaged_at is not None
    assert "Planned" in json.dumps(card_of(triage, 1)["blocks"])
    triage.sender.click(
        "U0001",
        action_id="feedback_set_owner",
        channel_id="C0001",
        message_ts=card["ts"],
        selected={"selected_user": "U0006"},
    )
    assert item(engine, 1).owner_id == "U0006"
    assert "Erin Silva" in json.dumps(card_of(triage, 1)["blocks"])
    # Shipping asks for the note, then each reporter and voter gets exactly one DM.
    pick_status(triage, "U0001", 1, "shipped")
    note_view = top_view(triage, "U0001")
    assert note_view["callback_id"] == "feedback_close_note"
    triage.sender.submit_view(
        "U0001", note_view["id"], {"fb_note": text_input("Shipped in 4.2: exports now stream.")}
    )
    row = item(engine, 1)
    assert row.status == "shipped" and row.closed_at is not None
    assert row.ops_note == "Shipped in 4.2: exports now stream."
    for user in ("U0002", "U0003", "U0004"):
        [dm] = dms(triage, user)
        assert "has *shipped*" in dm["blocks"][0]["text"]["text"]
        assert "exports now stream" in json.dumps(dm["blocks"])
    # Shipping again (a double click, a retry) sends nothing more.
    pick_status(triage, "U0001", 1, "shipped")
    triage.sender.submit_view("U0001", top_view(triage, "U0001")["id"], {"fb_note": text_input("")})
    for user in ("U0002", "U0003", "U0004"):
        assert len(dms(triage, user)) == 1
    with Session(engine) as session:
        notices = session.exec(select(LoopNotice)).all()
    assert sorted(n.user_id for n in notices) == ["U0002", "U0003", "U0004"]
    assert all(n.sent_at is not None for n in notices)


def test_merged_voters_hear_when_the_original_ships(triage: Sandbox, engine: Engine) -> None:
    file(triage, "U0002", "Please add a dark theme to the dashboard")
    file(triage, "U0003", "Dark mode for the dashboard please")
    offer = next(e for e in triage.workspace.ephemerals_for("U0003") if "looks like" in e["text"])
    triage.sender.click(
        "U0003",
        action_id="feedback_merge",
        value=find_block_action(offer, "feedback_merge")["value"],
        channel_id="C0002",
        message_ts=offer["ts"],
    )
    pick_status(triage, "U0001", 1, "declined")
    triage.sender.submit_view(
        "U0001", top_view(triage, "U0001")["id"], {"fb_note": text_input("Not this year.")}
    )
    assert "was *declined*" in dms(triage, "U0003")[0]["blocks"][0]["text"]["text"]
    assert len(dms(triage, "U0002")) == 1


def test_triage_queue_is_for_ops(sandbox: Sandbox) -> None:
    file(sandbox, "U0002", "Bulk edit for tags")
    sandbox.sender.slash_command("U0003", "C0002", "/feedback triage")
    assert "Only ops can do that" in ephemerals(sandbox, "U0003")[-1]
    sandbox.sender.slash_command("U0001", "C0002", "/feedback triage")
    queue = sandbox.workspace.ephemerals_for("U0001")[-1]
    assert "Triage queue" in queue["text"]
    assert find_block_action(queue, "feedback_set_status")["block_id"] == "triage:1"


def test_list_search_show_and_paging(sandbox: Sandbox, engine: Engine) -> None:
    for n in range(12):
        file(sandbox, "U0002", f"Idea number {n} about reports #reports")
    file(sandbox, "U0003", "Slack notifications for mentions #alerts")
    sandbox.sender.slash_command("U0002", "C0002", "/feedback list #reports")
    first = sandbox.workspace.ephemerals_for("U0002")[-1]
    assert "Open feedback tagged #reports" in first["text"]
    shown = json.dumps(first["blocks"])
    assert "FB-12" in shown and "FB-3" in shown and "FB-2*" not in shown
    more = find_block_action(first, "feedback_more")
    sandbox.sender.click(
        "U0002",
        action_id="feedback_more",
        value=more["value"],
        channel_id="C0002",
        message_ts=first["ts"],
    )
    second = json.dumps(sandbox.workspace.ephemerals_for("U0002")[-1]["blocks"])
    assert "*FB-2*" in second and "*FB-1*" in second and "FB-12" not in second
    sandbox.sender.slash_command("U0004", "C0002", "/feedback search notifications mentions")
    found = sandbox.workspace.ephemerals_for("U0004")[-1]
    assert "*FB-13*" in json.dumps(found["blocks"])
    sandbox.sender.slash_command("U0004", "C0002", "/feedback show FB-13")
    detail = json.dumps(sandbox.workspace.ephemerals_for("U0004")[-1]["blocks"])
    assert "Carol Tanaka" in detail and "History" in detail and "#alerts" in detail
    sandbox.sender.slash_command("U0004", "C0002", "/feedback show FB-999")
    assert "FB-999 does not exist" in ephemerals(sandbox, "U0004")[-1]
    sandbox.sender.slash_command("U0004", "C0002", "/feedback list mine")
    assert "Nothing found" in ephemerals(sandbox, "U0004")[-1]
    sandbox.sender.slash_command("U0004", "C0002", "/feedback list sometimes")
    assert "list takes a status" in ephemerals(sandbox, "U0004")[-1]


def test_themes_group_recurring_topics(sandbox: Sandbox) -> None:
    texts = [
        "CSV export times out",
        "Exporting CSV is too slow",
        "CSV export fails for big files",
        "Dark mode please",
        "Add a dark theme",
        "Dark mode for the dashboard",
        "SSO login broken",
        "Cannot log in with SSO",
        "SSO login fails with Okta",
    ]
    for text in texts:
        file(sandbox, "U0002", text)
    sandbox.sender.slash_command("U0001", "C0002", "/feedback themes")
    answer = ephemerals(sandbox, "U0001")[-1]
    assert "Themes in open and recent feedback" in answer
    lowered = answer.lower()
    assert "export" in lowered and "dark" in lowered and ("sso" in lowered or "login" in lowered)


def test_export_holds_everything(sandbox: Sandbox, engine: Engine, database_url: str) -> None:
    file(sandbox, "U0002", 'CSV export times out #export customer:"Acme"')
    sandbox.sender.slash_command("U0003", "C0002", "/feedback list")
    sandbox.sender.click(
        "U0003",
        action_id="feedback_vote",
        value="FB-1",
        channel_id="C0002",
        message_ts=sandbox.workspace.ephemerals_for("U0003")[-1]["ts"],
    )
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "export", "feedback", "--team", "T0001", "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    [row] = json.loads(result.stdout)
    assert row["id"] == "FB-1" and row["tags"] == ["export"] and row["customer"] == "Acme"
    assert row["votes"] == 2 and set(row["voters"]) == {"U0002", "U0003"}
    assert row["status_history"][0]["to"] == "new"
    csv_out = subprocess.run(
        [sys.executable, "-m", "bot", "export", "feedback", "--team", "T0001"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert csv_out.splitlines()[0].startswith("id,team_id,status,text")
    other = subprocess.run(
        [sys.executable, "-m", "bot", "export", "feedback", "--team", "T9999", "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(other.stdout) == []
    assert len(items(engine)) == 1
