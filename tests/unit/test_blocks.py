"""Block Kit builders: structure, and every builder against Slack's limits at its largest."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.blocks import feedback as fb
from bot.blocks.feedback import FEEDBACK_USAGE, build_feedback_card
from bot.blocks.usage import build_usage_card
from bot.sandbox.webapi import check_blocks
from bot.services.feedback import (
    FeedbackDraft,
    FeedbackItem,
    FiledFeedback,
    ItemDetail,
    Page,
    Similar,
    ThemeSummary,
    VoteResult,
)
from storage.models import FeedbackEvent

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
    head, fields, context, actions = card["blocks"]
    assert head["text"]["text"] == ":inbox_tray: Filed *FB-42*\n>CSV export times out"
    labels = [f["text"].split("\n")[0] for f in fields["fields"]]
    assert labels == ["*Urgency*", "*Tags*", "*Customer*", "*Area*"]
    assert "New" in context["elements"][0]["text"]
    assert [e["action_id"] for e in actions["elements"]] == ["feedback_edit"]


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


BIG = item(
    text=HUGE,
    tags=tuple(f"t{i}" * 20 for i in range(50)),
    customer=HUGE[:200],
    area=HUGE[:100],
    votes=10**6,
    owner_id="U0002",
    ops_note=HUGE[:2000],
    permalink="https://acme.slack.com/archives/C0001/p1795510800000100",
)
NAMES = {"U0001": "Ann Lee <!here>", "U0002": "B" * 300}
EVENTS = tuple(
    FeedbackEvent(
        team_id="T0001",
        feedback_id=1,
        at=datetime(2026, 11, 25, tzinfo=UTC),
        actor_id="U0001",
        kind=kind,
        from_value="new",
        to_value="shipped",
        text=HUGE,
    )
    for kind in ("filed", "status", "comment", "owner", "merged") * 20
)


def test_triage_card_uses_names_and_never_pings() -> None:
    card = fb.build_triage_card(item(owner_id="U0002"), {"U0001": "Ann Lee", "U0002": "Bob"})
    text = str(card["blocks"])
    assert "from Ann Lee" in text and "owner Bob" in text and "<@" not in text
    select = card["blocks"][2]["elements"][0]
    assert select["initial_option"]["value"] == "42:new"


def test_loop_dm_carries_the_note() -> None:
    dm = fb.build_loop_dm(item(status="shipped", ops_note="In 4.2 <!channel>"))
    assert "has *shipped*" in dm["blocks"][0]["text"]["text"]
    assert "In 4.2 @channel" in dm["blocks"][1]["text"]["text"]


def test_duplicate_offer_names_the_original_and_its_votes() -> None:
    offer = fb.build_duplicate_offer(item(number=43), [Similar(item(votes=5), 0.9)])
    assert offer["blocks"][0]["text"]["text"] == (
        ":mag: FB-43 looks like *FB-42* 'CSV export times out' (5 votes, new)"
    )
    assert [e["value"] for e in offer["blocks"][1]["elements"]] == ["43:42", "43:42"]


def test_modal_prefills_and_keeps_metadata() -> None:
    modal = fb.build_feedback_modal(
        metadata={"channel_id": "C0001"},
        draft=FeedbackDraft(text="t", tags=("a", "b"), urgency="high"),
    )
    assert modal["blocks"][1]["element"]["initial_value"] == "a, b"
    assert modal["blocks"][4]["element"]["initial_option"]["value"] == "high"
    assert modal["private_metadata"] == '{"channel_id": "C0001"}'


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
    "vote_answer": lambda: fb.build_vote_answer(VoteResult(BIG, True)),
    "capture_answer": lambda: fb.build_capture_answer(VoteResult(BIG, False), created=True),
    "duplicate_offer": lambda: fb.build_duplicate_offer(BIG, [Similar(BIG, 1.0)] * 3),
    "merged_answer": lambda: fb.build_merged_answer(10**9, BIG),
    "triage_card": lambda: fb.build_triage_card(BIG, NAMES),
    "triage_queue": lambda: fb.build_triage_queue([BIG] * 100, NAMES, title=HUGE),
    "status_answer": lambda: fb.build_status_answer(BIG, "new", 10**5),
    "loop_dm": lambda: fb.build_loop_dm(item(text=HUGE, status="declined", ops_note=HUGE)),
    "item_list": lambda: fb.build_item_list(
        Page([BIG] * 100, 0, True), title=HUGE, more_value=HUGE
    ),
    "item_detail": lambda: fb.build_item_detail(
        ItemDetail(BIG, tuple(f"U{i}" for i in range(500)), EVENTS, tuple(range(100))), NAMES
    ),
    "themes": lambda: fb.build_themes([ThemeSummary(HUGE, [BIG] * 50, 10**6)] * 50),
}

VIEWS = {
    "feedback_modal": lambda: fb.build_feedback_modal(
        metadata={"channel_id": "C0001", "message_ts": "1795510800.000100"},
        draft=FeedbackDraft(
            text=HUGE, tags=("t" * 100,) * 50, customer=HUGE[:200], area=HUGE[:100]
        ),
        title=HUGE,
        source_line=HUGE,
    ),
    "close_note_modal": lambda: fb.build_close_note_modal(BIG, "shipped", {"number": 10**9}),
}


def test_oversized_metadata_is_refused_not_cut() -> None:
    with pytest.raises(ValueError):
        fb.build_feedback_modal(metadata={"x": "y" * 3000})


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_every_modal_fits_slack_limits_at_its_largest(name: str) -> None:
    view = VIEWS[name]()
    assert check_blocks(view["blocks"], surface="modal") == []
    assert len(view["title"]["text"]) <= 24 and len(view["private_metadata"]) <= 3000


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_builder_fits_slack_limits_at_its_largest(name: str) -> None:
    message = BUILDERS[name]()
    assert check_blocks(message["blocks"]) == []
    assert 0 < len(message["text"]) <= 40000
