"""Block Kit for retros: the board (hidden, revealed, closed), card and action forms."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from bot.blocks.kit import button as _button
from bot.blocks.kit import context as _context
from bot.blocks.kit import plain as _plain
from bot.blocks.kit import section as _section
from bot.blocks.usage import Usage
from bot.services.retros import ACTION_COLUMN, COLUMNS, ActionInfo, Board, Card
from bot.text import (
    escape,
    safe_mrkdwn,
)

CARD_MODAL = "retro_card_modal"
ACTION_MODAL = "retro_action_modal"
ACTION_ADD = "retro_add"
ACTION_REVEAL = "retro_reveal"
ACTION_CLOSE = "retro_close"
ACTION_VOTE = "retro_vote"
ACTION_DONE = "retro_action_done"
ACTION_SEE_ALL = "retro_see_all"
VALUE = "value"
CARDS_ON_BOARD = 24
ACTIONS_ON_BOARD = 15

RETRO_USAGE = Usage(
    command="/retro",
    summary="run a retrospective: an anonymous-friendly board, reveal, vote, close",
    forms=(
        ('start ["title"] [in #channel]', "open a board now (you facilitate)"),
        ("close", "close the current retro of this channel with a summary"),
        ("help", "show this card"),
    ),
    examples=('start "Sprint 42 retro"', 'start "Q4 retro" in #squad-a', "close"),
    notes=(
        "Cards stay hidden until the facilitator presses Reveal; then everyone has 3 votes. "
        'Schedule recurring retros with /ritual add retro "Sprint retro" every 2 weeks on fri '
        "at 16:00: each one opens with last time's action items.",
    ),
)

COLUMN_EMOJI = {
    "went_well": ":sunny:",
    "to_improve": ":construction:",
    "idea": ":bulb:",
    ACTION_COLUMN: ":white_check_mark:",
}


def _action_line(action: ActionInfo, names: Mapping[str, str], today: date) -> str:
    mark = ":white_check_mark:" if action.status == "done" else ":white_square:"
    owner = escape(names.get(action.owner_id, action.owner_id)) if action.owner_id else "no owner"
    due = ""
    if action.due:
        late = action.status == "open" and action.due < today
        due = f" · due {action.due.isoformat()}" + (" :warning: overdue" if late else "")
    return f"{mark} {safe_mrkdwn(action.text)} ({owner}{due})"


def _card_line(card: Card, names: Mapping[str, str]) -> str:
    # Votes and author first: a long card is cut at its end, never losing who or how many.
    who = f"{escape(names.get(card.author_id, card.author_id))}: " if card.author_id else ""
    return f"*{card.votes}* :arrow_up_small: · {who}{safe_mrkdwn(card.text)}"


def build_board(board: Board, names: Mapping[str, str], *, today: date) -> dict[str, Any]:
    """The board message; it changes in place as cards, reveal, votes and close come."""
    state = {"open": "collecting cards", "revealed": "voting", "closed": "closed"}[board.status]
    facilitator = escape(names.get(board.facilitator_id, board.facilitator_id))
    blocks: list[dict[str, Any]] = [
        _section(f":mirror: *Retro #{board.number}: {escape(board.title)}*"),
        _context(f"Facilitator {facilitator} · {state} · {board.votes_per_person} votes each"),
    ]
    if board.carried:
        blocks.append(_section("*Last time's action items*"))
        for action in board.carried[:8]:
            blocks.append(
                _section(
                    _action_line(action, names, today),
                    accessory=_button("Done", ACTION_DONE, f"{board.id}:{action.id}"),
                )
            )
    counts = " · ".join(
        f"{COLUMN_EMOJI[c]} {label} *{board.counts.get(c, 0)}*"
        for c, label in (*COLUMNS.items(), (ACTION_COLUMN, "Action items"))
    )
    blocks.append(_section(counts))
    if not board.revealed:
        blocks.append(_context("Cards stay hidden until the facilitator presses Reveal."))
    else:
        shown = 0
        for column, label in COLUMNS.items():
            cards = [c for c in board.cards if c.column == column]
            if not cards:
                continue
            blocks.append(_section(f"{COLUMN_EMOJI[column]} *{label}*"))
            for card in cards[: max(0, CARDS_ON_BOARD - shown)]:
                extra = {}
                if board.status == "revealed":
                    extra["accessory"] = _button("+1", ACTION_VOTE, f"{board.id}:{card.id}")
                blocks.append(_section(_card_line(card, names), **extra))
                shown += 1
        hidden = len(board.cards) - shown
        if hidden > 0:
            blocks.append(
                {
                    "type": "actions",
                    "block_id": f"retro_more:{board.id}",
                    "elements": [
                        _button(f"See all {len(board.cards)} cards", ACTION_SEE_ALL, str(board.id))
                    ],
                }
            )
    if board.actions:
        lines = "\n".join(_action_line(a, names, today) for a in board.actions[:ACTIONS_ON_BOARD])
        blocks.append(_section(f"*Action items*\n{lines}"))
        hidden = len(board.actions) - ACTIONS_ON_BOARD
        if hidden > 0:
            # Its own block: a long section is cut at its end, and this must stay visible.
            blocks.append(_context(f"…and {hidden} more action items"))
    if board.summary:
        blocks.append(_section(f"*Summary*\n{safe_mrkdwn(board.summary)}"))
    buttons: list[dict[str, Any]] = []
    if board.status != "closed":
        buttons += [
            _button(label, ACTION_ADD, f"{board.id}:{column}") for column, label in COLUMNS.items()
        ]
    buttons.append(_button("Action item", ACTION_ADD, f"{board.id}:{ACTION_COLUMN}"))
    if board.status == "open":
        buttons.append(_button("Reveal", ACTION_REVEAL, str(board.id), "primary"))
    if board.status != "closed":
        buttons.append(
            _button(
                "Close",
                ACTION_CLOSE,
                str(board.id),
                "danger",
                confirm={
                    "title": _plain("Close this retro?", 100),
                    "text": _plain(
                        "The summary and action items are posted; cards can no longer be added.",
                        300,
                    ),
                    "confirm": _plain("Close", 30),
                    "deny": _plain("Not yet", 30),
                },
            )
        )
    blocks.append({"type": "actions", "block_id": f"retro:{board.id}", "elements": buttons})
    return {"text": f"Retro #{board.number}: {escape(board.title)}", "blocks": blocks[:50]}


def build_all_cards(board: Board, names: Mapping[str, str]) -> dict[str, Any]:
    """The See all modal: every card by column, with votes (up to Slack's 100 blocks)."""
    blocks: list[dict[str, Any]] = []
    for column, label in COLUMNS.items():
        cards = [c for c in board.cards if c.column == column]
        if cards:
            blocks.append(_section(f"{COLUMN_EMOJI[column]} *{label}* ({len(cards)})"))
        for card in cards:
            extra = {}
            if board.status == "revealed":
                extra["accessory"] = _button("+1", ACTION_VOTE, f"{board.id}:{card.id}")
            blocks.append(_section(_card_line(card, names), **extra))
    if len(blocks) > 100:
        blocks = [*blocks[:99], _context(f"{len(blocks) - 99} more not shown")]
    return {
        "type": "modal",
        "callback_id": "retro_all_cards",
        "title": _plain(f"Retro #{board.number}", 24),
        "close": _plain("Close", 24),
        "blocks": blocks or [_context("No cards.")],
    }


def build_card_modal(retro_id: int, column: str) -> dict[str, Any]:
    """A card: text and the anonymous checkbox (anonymous cards store no author)."""
    return {
        "type": "modal",
        "callback_id": CARD_MODAL,
        "title": _plain(COLUMNS[column], 24),
        "submit": _plain("Add", 24),
        "close": _plain("Cancel", 24),
        "private_metadata": json.dumps({"retro_id": retro_id, "column": column}),
        "blocks": [
            {
                "type": "input",
                "block_id": "text",
                "label": _plain(COLUMNS[column], 2000),
                "element": {
                    "type": "plain_text_input",
                    "action_id": VALUE,
                    "multiline": True,
                    "max_length": 1000,
                },
            },
            {
                "type": "input",
                "block_id": "anonymous",
                "optional": True,
                "label": _plain("Privacy", 2000),
                "element": {
                    "type": "checkboxes",
                    "action_id": VALUE,
                    "options": [
                        {
                            "text": _plain("Post anonymously", 75),
                            "value": "anonymous",
                            "description": _plain("Your name is not stored with this card.", 75),
                        }
                    ],
                },
            },
        ],
    }


def build_action_modal(retro_id: int) -> dict[str, Any]:
    """An action item: what, who, by when."""
    return {
        "type": "modal",
        "callback_id": ACTION_MODAL,
        "title": _plain("Action item", 24),
        "submit": _plain("Add", 24),
        "close": _plain("Cancel", 24),
        "private_metadata": json.dumps({"retro_id": retro_id}),
        "blocks": [
            {
                "type": "input",
                "block_id": "text",
                "label": _plain("What needs doing?", 2000),
                "element": {"type": "plain_text_input", "action_id": VALUE, "max_length": 1000},
            },
            {
                "type": "input",
                "block_id": "owner",
                "optional": True,
                "label": _plain("Owner", 75),
                "element": {"type": "users_select", "action_id": VALUE},
            },
            {
                "type": "input",
                "block_id": "due",
                "optional": True,
                "label": _plain("Due", 75),
                "element": {"type": "datepicker", "action_id": VALUE},
            },
            _context("Action items never record who proposed them."),
        ],
    }
