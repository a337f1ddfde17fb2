"""Retro builders: the board in every state, at the largest size Slack allows."""

from __future__ import annotations

import json
from datetime import date

import pytest

from bot.blocks import retros as blocks
from bot.sandbox.webapi import check_blocks
from bot.services.retros import ActionInfo, Board, Card

HUGE = "<!here> & " * 150
TODAY = date(2026, 11, 25)


def board(status: str, *, cards: int = 3, actions: int = 2, carried: int = 2) -> Board:
    return Board(
        id=7,
        number=12,
        title=HUGE[:200],
        channel_id="C0003",
        message_ts="1.1",
        facilitator_id="U0001",
        status=status,
        votes_per_person=3,
        counts={"went_well": cards, "to_improve": 0, "idea": 0, "action": actions},
        cards=[
            Card(
                id=n,
                column=("went_well", "to_improve", "idea")[n % 3],
                text=HUGE,
                author_id=None if n % 2 else "U0002",
                votes=n,
            )
            for n in range(cards)
        ],
        actions=[
            ActionInfo(
                id=n,
                text=HUGE,
                owner_id="U0003",
                due=date(2026, 11, 1),
                status="open",
                retro_number=12,
            )
            for n in range(actions)
        ],
        carried=[
            ActionInfo(
                id=100 + n,
                text=HUGE,
                owner_id=None,
                due=None,
                status="done" if n % 2 else "open",
                retro_number=11,
            )
            for n in range(carried)
        ],
        summary=HUGE * 3 if status == "closed" else None,
    )


def test_hidden_board_shows_counts_not_cards() -> None:
    message = blocks.build_board(board("open", cards=3), {"U0001": "Ann"}, today=TODAY)
    shown = json.dumps(message["blocks"], ensure_ascii=False)
    assert "Went well *3*" in shown and "Reveal" in shown and "retro_vote" not in shown
    assert "<!here>" not in shown


def test_revealed_board_lists_cards_with_votes_and_anonymous_without_author() -> None:
    message = blocks.build_board(board("revealed", cards=4), {"U0002": "Bob"}, today=TODAY)
    shown = json.dumps(message["blocks"], ensure_ascii=False)
    assert shown.count("retro_vote") == 4 and "Reveal" not in shown
    assert shown.count(":arrow_up_small: · Bob: ") == 2


def test_closed_board_has_the_summary_and_no_voting() -> None:
    message = blocks.build_board(board("closed"), {}, today=TODAY)
    shown = json.dumps(message["blocks"], ensure_ascii=False)
    assert "*Summary*" in shown and "retro_vote" not in shown and "retro_close" not in shown
    assert ":warning: overdue" in shown


@pytest.mark.parametrize("status", ["open", "revealed", "closed"])
def test_the_largest_board_fits_a_message(status: str) -> None:
    message = blocks.build_board(board(status, cards=500, actions=100, carried=50), {}, today=TODAY)
    assert check_blocks(message["blocks"]) == []
    if status == "revealed":
        assert "See all 500 cards" in json.dumps(message["blocks"])


def test_see_all_modal_and_forms_fit_a_view() -> None:
    modal = blocks.build_all_cards(board("revealed", cards=500), {})
    assert check_blocks(modal["blocks"], surface="modal") == []
    assert "more not shown" in json.dumps(modal["blocks"][-1])
    for view in (blocks.build_card_modal(7, "idea"), blocks.build_action_modal(7)):
        assert check_blocks(view["blocks"], surface="modal") == []
        assert len(view["title"]["text"]) <= 24


def test_action_items_past_the_board_say_how_many_more() -> None:
    many = board("open", actions=blocks.ACTIONS_ON_BOARD + 2)
    shown = json.dumps(blocks.build_board(many, {}, today=TODAY), ensure_ascii=False)
    assert "…and 2 more action items" in shown
    few = board("open", actions=blocks.ACTIONS_ON_BOARD)
    assert "more" not in json.dumps(blocks.build_board(few, {}, today=TODAY)["blocks"][-3:])
