"""Block Kit builders: structure, and every builder against Slack's limits at its largest."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.blocks.feedback import FEEDBACK_USAGE, build_feedback_card
from bot.blocks.usage import build_usage_card
from bot.sandbox.webapi import check_blocks
from bot.services.feedback import FeedbackItem, FiledFeedback

HUGE = "&<>" * 1400 + "🚀" * 10


def item(**changes: Any) -> FeedbackItem:
    values: dict[str, Any] = {
        "number": 42,
        "text": "CSV export times out",
        "reporter_id": "U0001",
        "channel_id": "C0001",
        "tags": ("export",),
        "customer": "Acme",
        "area": "billing",
        "urgency": "high",
        "status": "new",
        "created_at": datetime(2026, 11, 25, 9, 0, tzinfo=UTC),
    }
    values.update(changes)
    return FeedbackItem(**values)


def test_feedback_card_shows_the_id_text_and_parsed_fields() -> None:
    card = build_feedback_card(FiledFeedback(item=item(), created=True))
    assert card["text"] == "Filed FB-42"
    head, fields, context = card["blocks"]
    assert head["text"]["text"] == ":inbox_tray: Filed *FB-42*\n>CSV export times out"
    labels = [f["text"].split("\n")[0] for f in fields["fields"]]
    assert labels == ["*Urgency*", "*Tags*", "*Customer*", "*Area*"]
    assert "new" in context["elements"][0]["text"]


def test_feedback_card_for_a_repeat_says_already_filed() -> None:
    card = build_feedback_card(FiledFeedback(item=item(tags=(), customer=None), created=False))
    assert card["text"] == "Already filed FB-42"
    assert [f["text"].split("\n")[0] for f in card["blocks"][1]["fields"]] == [
        "*Urgency*",
        "*Area*",
    ]


def test_multiline_feedback_is_quoted_line_by_line() -> None:
    card = build_feedback_card(FiledFeedback(item=item(text="one\ntwo <!here>"), created=True))
    assert card["blocks"][0]["text"]["text"].endswith(">one\n>two @here")


def test_usage_card_leads_with_the_problem() -> None:
    card = build_usage_card(FEEDBACK_USAGE, problem="urgency must be low", fragment="urgency:<x>")
    first = card["blocks"][0]["text"]["text"]
    assert first == ":warning: I couldn't read `urgency:&lt;x&gt;`: urgency must be low."
    assert "Examples" in card["blocks"][2]["text"]["text"]


BUILDERS = {
    "feedback_card": lambda: build_feedback_card(
        FiledFeedback(
            item=item(
                text=HUGE,
                tags=tuple(f"t{i}" * 20 for i in range(50)),
                customer=HUGE[:200],
                area=HUGE[:100],
            ),
            created=True,
        )
    ),
    "usage_card": lambda: build_usage_card(FEEDBACK_USAGE, problem=HUGE, fragment=HUGE),
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_builder_fits_slack_limits_at_its_largest(name: str) -> None:
    message = BUILDERS[name]()
    assert check_blocks(message["blocks"]) == []
    assert 0 < len(message["text"]) <= 40000
