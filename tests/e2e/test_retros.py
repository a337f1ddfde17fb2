"""Retros end to end: hidden cards, anonymous cards, reveal, votes, close, carry-over."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, String, inspect, select, text
from sqlmodel import Session, SQLModel

from bot.sandbox.server import Sandbox
from bot.scheduling import Clock
from storage.models import Retro, RetroAction, RetroItem, RetroVote
from tests.e2e.helpers import FakeClock, ephemerals, find_block_action, text_input, top_view

pytestmark = pytest.mark.e2e

START = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def board(bot: Sandbox, channel: str = "C0003") -> dict:
    boards = [
        m
        for m in bot.workspace.messages_in(channel)
        if m.get("bot_id") and m.get("text", "").startswith("Retro #")
    ]
    assert boards, "no board"
    return boards[-1]


def shown(bot: Sandbox, channel: str = "C0003") -> str:
    return json.dumps(board(bot, channel)["blocks"], ensure_ascii=False)


def add_card(
    bot: Sandbox,
    user: str,
    column: str,
    text: str,
    *,
    anonymous: bool = False,
    channel: str = "C0003",
) -> None:
    message = board(bot, channel)
    value = next(
        e["value"]
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["value"].endswith(f":{column}")
    )
    bot.sender.click(
        user, action_id="retro_add", value=value, channel_id=channel, message_ts=message["ts"]
    )
    values = {"text": text_input(text)}
    if anonymous:
        values["anonymous"] = {
            "value": {
                "type": "checkboxes",
                "selected_options": [
                    {
                        "value": "anonymous",
                        "text": {"type": "plain_text", "text": "Post anonymously"},
                    }
                ],
            }
        }
    bot.sender.submit_view(user, top_view(bot, user)["id"], values)


def press(
    bot: Sandbox, user: str, action_id: str, channel: str = "C0003", value: str | None = None
) -> None:
    message = board(bot, channel)
    element = find_block_action(message, action_id) if value is None else {"value": value}
    bot.sender.click(
        user,
        action_id=action_id,
        value=element["value"],
        channel_id=channel,
        message_ts=message["ts"],
    )


def cards(engine: Engine) -> list[RetroItem]:
    with Session(engine) as session:
        return list(session.exec(select(RetroItem)).scalars())


def vote_button_for(bot: Sandbox, card_text: str) -> str:
    for block in board(bot)["blocks"]:
        if (
            block.get("accessory", {}).get("action_id") == "retro_vote"
            and card_text in (block["text"]["text"])
        ):
            return block["accessory"]["value"]
    raise AssertionError(f"no vote button for {card_text}")


def test_full_retro(bot: Sandbox, engine: Engine) -> None:
    bot.sender.slash_command("U0002", "C0003", '/retro start "Sprint 42"')
    assert "Retro #1: Sprint 42" in board(bot)["text"]
    add_card(bot, "U0002", "went_well", "Shipped the export fix")
    add_card(bot, "U0003", "to_improve", "Too many meetings", anonymous=True)
    add_card(bot, "U0004", "idea", "Demo day every Friday")
    before = shown(bot)
    # Hidden until reveal: counts only, no text, no authors.
    assert "Went well *1*" in before and "To improve *1*" in before and "Idea *1*" in before
    assert "Too many meetings" not in before and "Shipped the export fix" not in before
    # A member who is not the facilitator cannot reveal.
    press(bot, "U0004", "retro_reveal")
    assert "only the facilitator" in ephemerals(bot, "U0004")[-1].lower()
    # The facilitator double-clicks Reveal: it happens once, the second click is told so.
    message = board(bot)
    bot.sender.click(
        "U0002",
        action_id="retro_reveal",
        value=find_block_action(message, "retro_reveal")["value"],
        channel_id="C0003",
        message_ts=message["ts"],
        times=2,
    )
    assert "revealed already" in ephemerals(bot, "U0002")[-1]
    revealed = shown(bot)
    assert "Too many meetings" in revealed and "Carol" not in revealed
    assert "Bob Martin: Shipped the export fix" in revealed
    retro_id = board(bot)["blocks"][-1]["elements"][0]["value"].split(":")[0]
    meetings = vote_button_for(bot, "Too many meetings")
    demo = vote_button_for(bot, "Demo day")
    export = vote_button_for(bot, "Shipped the export fix")
    press(bot, "U0004", "retro_vote", value=meetings)
    press(bot, "U0004", "retro_vote", value=meetings)
    assert "already voted for that card" in ephemerals(bot, "U0004")[-1]
    press(bot, "U0004", "retro_vote", value=demo)
    press(bot, "U0004", "retro_vote", value=export)
    # A fourth vote is one too many (3 each).
    press(bot, "U0006", "retro_vote", value=meetings)
    with Session(engine) as session:
        votes = session.execute(text("select count(*) from retro_vote where user_id='U0004'"))
        assert votes.scalar() == 3
    # An action item with owner and due date, then close with the summary.
    message = board(bot)
    bot.sender.click(
        "U0002",
        action_id="retro_add",
        value=f"{retro_id}:action",
        channel_id="C0003",
        message_ts=message["ts"],
    )
    bot.sender.submit_view(
        "U0002",
        top_view(bot, "U0002")["id"],
        {
            "text": text_input("Cap meetings at 3 a week"),
            "owner": {"value": {"type": "users_select", "selected_user": "U0003"}},
            "due": {"value": {"type": "datepicker", "selected_date": "2026-12-04"}},
        },
    )
    press(bot, "U0002", "retro_close")
    closed = shown(bot)
    assert "*Summary*" in closed and "Too many meetings (2 votes)" in closed
    assert "Cap meetings at 3 a week (Carol Tanaka · due 2026-12-04)" in closed
    assert "retro_reveal" not in closed and "retro_vote" not in closed
    bot.sender.slash_command("U0002", "C0003", "/retro close")
    assert "no open retro" in ephemerals(bot, "U0002")[-1]
    with Session(engine) as session:
        retro = session.execute(select(Retro)).scalars().one()
    assert retro.status == "closed" and retro.summary


def test_anonymous_cards_leave_no_trace_of_their_author(bot: Sandbox, engine: Engine) -> None:
    bot.sender.slash_command("U0001", "C0003", '/retro start "Quiet one"')
    add_card(bot, "U0004", "to_improve", "I feel unheard in planning", anonymous=True)
    [card] = cards(engine)
    assert card.author_id is None
    # No column of any table holds dave's id.
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, String):
                    hits = conn.execute(select(table).where(column.contains("U0004"))).all()
                    assert hits == [], f"{table.name}.{column.name} holds the author"
    assert inspect(engine).has_table("retro_item")


def test_two_people_voting_at_once_and_double_clicks(bot: Sandbox, engine: Engine) -> None:
    bot.sender.slash_command("U0001", "C0003", '/retro start "Race"')
    for n in range(4):
        add_card(bot, "U0001", "idea", f"Idea {n}")
    press(bot, "U0001", "retro_reveal")
    buttons = [vote_button_for(bot, f"Idea {n}") for n in range(4)]
    message = board(bot)

    def vote(args: tuple[str, str]) -> None:
        user, value = args
        bot.sender.click(
            user,
            action_id="retro_vote",
            value=value,
            channel_id="C0003",
            message_ts=message["ts"],
            times=2,
        )

    work = [(user, value) for user in ("U0002", "U0003") for value in buttons]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(vote, work))
    with Session(engine) as session:
        for user in ("U0002", "U0003"):
            spent = session.execute(select(RetroVote).where(RetroVote.user_id == user)).all()
            assert len(spent) == 3


def test_a_deleted_board_is_posted_again(bot: Sandbox, engine: Engine) -> None:
    bot.sender.slash_command("U0001", "C0003", '/retro start "Lost board"')
    add_card(bot, "U0002", "idea", "First")
    first = board(bot)
    retro_id = first["blocks"][-1]["elements"][0]["value"].split(":")[0]
    # carol opens the form, then someone deletes the board message in Slack.
    bot.sender.click(
        "U0003",
        action_id="retro_add",
        value=f"{retro_id}:idea",
        channel_id="C0003",
        message_ts=first["ts"],
    )
    bot.workspace.messages["C0003"].remove(first)
    bot.sender.submit_view("U0003", top_view(bot, "U0003")["id"], {"text": text_input("Second")})
    again = board(bot)
    assert again["ts"] != first["ts"] and "Idea *2*" in json.dumps(again["blocks"])


def test_scheduled_retro_carries_action_items_over(
    bot: Sandbox, engine: Engine, clock: FakeClock
) -> None:
    bot.sender.slash_command(
        "U0001", "C0003", '/ritual add retro "Sprint retro" every 2 weeks on fri at 16:00'
    )
    first = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    clock.set(first + timedelta(seconds=1))
    Clock(bot.deps).reconcile()
    bot.settle()
    assert "Retro #1: Sprint retro" in board(bot)["text"]
    message = board(bot)
    action_value = next(
        e["value"] for e in message["blocks"][-1]["elements"] if e["value"].endswith(":action")
    )
    bot.sender.click(
        "U0001",
        action_id="retro_add",
        value=action_value,
        channel_id="C0003",
        message_ts=message["ts"],
    )
    bot.sender.submit_view(
        "U0001",
        top_view(bot, "U0001")["id"],
        {
            "text": text_input("Write the onboarding doc"),
            "owner": {"value": {"type": "users_select", "selected_user": "U0002"}},
        },
    )
    press(bot, "U0001", "retro_close")
    clock.set(first + timedelta(days=14, seconds=1))
    Clock(bot.deps).reconcile()
    bot.settle()
    second = shown(bot)
    assert "Retro #2" in board(bot)["text"]
    assert "Last time's action items" in second and "Write the onboarding doc" in second
    done = find_block_action(board(bot), "retro_action_done")
    # Only its owner (bob), the facilitator or ops can tick it off.
    press(bot, "U0004", "retro_action_done", value=done["value"])
    assert "Only its owner" in ephemerals(bot, "U0004")[-1]
    press(bot, "U0002", "retro_action_done", value=done["value"])
    with Session(engine) as session:
        action = session.execute(select(RetroAction)).scalars().one()
    assert action.status == "done" and action.done_at is not None
    assert ":white_check_mark: Write the onboarding doc" in shown(bot)


def test_owners_tick_action_items_done_from_app_home(bot: Sandbox, engine: Engine) -> None:
    bot.sender.slash_command("U0001", "C0003", '/retro start "Home test"')
    retro_id = board(bot)["blocks"][-1]["elements"][0]["value"].split(":")[0]
    bot.sender.click(
        "U0001",
        action_id="retro_add",
        value=f"{retro_id}:action",
        channel_id="C0003",
        message_ts=board(bot)["ts"],
    )
    bot.sender.submit_view(
        "U0001",
        top_view(bot, "U0001")["id"],
        {
            "text": text_input("Book the offsite room"),
            "owner": {"value": {"type": "users_select", "selected_user": "U0002"}},
        },
    )
    bot.sender.open_home("U0002")
    home = bot.workspace.views[bot.workspace.home_views["U0002"]]
    assert "Book the offsite room" in json.dumps(home["blocks"])
    done = find_block_action(home, "retro_action_done")
    bot.sender.click(
        "U0002", action_id="retro_action_done", value=done["value"], view_id=home["id"]
    )
    with Session(engine) as session:
        action = session.execute(select(RetroAction)).scalars().one()
    assert action.status == "done"
    refreshed = bot.workspace.views[bot.workspace.home_views["U0002"]]
    assert "Book the offsite room" not in json.dumps(refreshed["blocks"])
    assert ":white_check_mark: Book the offsite room" in shown(bot)
