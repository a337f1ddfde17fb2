"""Reading `/feedback` text into a draft."""

from __future__ import annotations

import pytest

from bot.grammar import CommandParseError, tokenize
from bot.services.feedback import FeedbackDraft, mistyped_subcommand, parse_draft


def draft(text: str) -> FeedbackDraft:
    return parse_draft(tokenize(text))


def test_text_tags_and_options() -> None:
    assert draft(
        'CSV export times out #export #Export customer:"Acme Inc" area:Billing urgency:HIGH'
    ) == (
        FeedbackDraft(
            text="CSV export times out",
            tags=("export",),
            customer="Acme Inc",
            area="billing",
            urgency="high",
        )
    )


def test_unknown_keys_and_prose_colons_stay_in_the_text() -> None:
    assert draft("Note: export fails see:docs").text == "Note: export fails see:docs"


def test_mentions_are_kept_as_slack_markup() -> None:
    assert draft("ask <@U0002|bob> in <#C0001|pf> &lt;now&gt;").text == (
        "ask <@U0002|bob> in <#C0001|pf> <now>"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("slow urgency:maybe", "urgency must be low, normal or high"),
        ("#only #tags", "there is no feedback text, only options"),
        ("twice urgency:low urgency:high", "urgency: is given twice"),
        ("x" * 4001, "feedback can be at most 4000 characters"),
    ],
)
def test_bad_drafts(text: str, message: str) -> None:
    with pytest.raises(CommandParseError, match=message):
        draft(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lsit", ("lsit", "list")),
        ("serch", ("serch", "search")),
        ("hepl", ("hepl", "help")),
        ("dashboard", None),
        ("list things are slow", None),
    ],
)
def test_mistyped_subcommands(text: str, expected: tuple[str, str] | None) -> None:
    assert mistyped_subcommand(tokenize(text)) == expected
