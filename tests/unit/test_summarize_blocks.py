"""Summary messages never ping and fit Slack; /summarize arguments; threads as plain text."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

import bot.blocks.summaries as blocks_module
from bot.blocks.summaries import (
    ACTION_POST,
    SUMMARIZE_USAGE,
    build_summary_message,
    channel_title,
    safe,
    thread_title,
)
from bot.blocks.usage import build_usage_card
from bot.grammar import CommandParseError, parse_command
from bot.sandbox.webapi import check_blocks
from bot.services.summaries import (
    ChannelRequest,
    Conversation,
    ThreadRequest,
    decode,
    describe_window,
    encode,
    format_window,
    is_summon,
    neutralize,
    parse_request,
    to_messages,
)
from bot.summarize import ActionItem, Message, Summary
from bot.text import MESSAGE_BLOCKS_MAX, SECTION_TEXT_MAX

NAMES = {"U0002": "Bob Martin", "U0003": "Carol Tanaka"}
PINGS = ("<@U", "<!channel", "<!here", "<!everyone", "<!subteam", "<!group", "<#C")


def rendered(message: dict) -> str:
    return json.dumps(message, ensure_ascii=False)


def test_mentions_and_broadcasts_from_the_model_become_plain_text() -> None:
    summary = Summary(
        tldr="<!channel> launch moves, <@U0002> owns it, @here read it",
        key_points=("<!here> please <!everyone> & <!subteam^S1|@design> <b>", "@channel ok"),
        decisions=("Ship on <!date^1795510800^{date}|Monday>",),
        action_items=(ActionItem(task="update <@U0003|carol>'s doc", owner="<@U0002>", due="fri"),),
        questions=("Does <@U0009> agree?",),
    )
    message = build_summary_message(neutralize(summary, NAMES), title="*Summary*")
    text = rendered(message)
    body = text.replace('"*Summary*"', "")
    for ping in PINGS:
        assert ping not in body
    assert "@Bob Martin" in text and "@Carol Tanaka's doc" in text and "@U0009" in text
    # Plain broadcast words get a word joiner so no client turns them into a ping.
    assert "@here" not in text and "@channel" not in text and "@everyone" not in text
    assert "@\u2060here" in text
    assert "&amp;" in text and "&lt;b&gt;" in text
    assert message["text"].startswith("Summary: @\u2060channel launch moves")
    assert check_blocks(message["blocks"]) == []


def test_the_five_sections_in_order_with_owners_and_dues() -> None:
    summary = Summary(
        tldr="We chose Stripe.",
        key_points=("Paddle is pricier",),
        decisions=("Stripe with Stripe Tax",),
        action_items=(
            ActionItem("draft the plan", "Bob Martin", "Friday"),
            ActionItem("book QA"),
        ),
        questions=(),
    )
    message = build_summary_message(summary, title=thread_title("C0001", 12), post_id=7)
    head, body, actions = message["blocks"]
    assert head["text"]["text"] == "*Summary of a thread in <#C0001>* · 12 messages"
    text = body["text"]["text"]
    assert body["text"]["verbatim"] is True
    order = [text.index(s) for s in ("*TL;DR*", "*Key points*", "*Decisions*", "*Action items*")]
    assert order == sorted(order) and text.index("*Open questions*") > order[-1]
    assert "• *Bob Martin*: draft the plan _(due Friday)_" in text
    assert "• _unassigned_: book QA" in text
    assert text.endswith("*Open questions*\n_none_")
    [button] = actions["elements"]
    assert (button["action_id"], button["value"], button["text"]["text"]) == (
        ACTION_POST,
        "7",
        "Post to thread",
    )


def test_offline_summaries_say_so() -> None:
    summary = Summary(tldr="x", offline=True, note="no language model is configured")
    message = build_summary_message(summary, title="t", context=["made just now"])
    context = message["blocks"][-1]
    assert context["type"] == "context"
    texts = [e["text"] for e in context["elements"]]
    assert texts[0].startswith(":robot_face: Offline summary (no language model is configured)")
    assert texts[1] == "made just now"


def test_a_huge_summary_is_split_into_sections_and_cut_visibly() -> None:
    item = "&<>" * 120 + "word " * 60
    summary = Summary(
        tldr=item,
        key_points=(item,) * 40,
        decisions=(item,) * 40,
        action_items=(ActionItem(item, item, item),) * 40,
        questions=(item,) * 40,
    )
    message = build_summary_message(summary, title=channel_title("C0002", "the last 7 days", 9))
    blocks = message["blocks"]
    assert check_blocks(blocks) == []
    assert len(blocks) <= MESSAGE_BLOCKS_MAX
    sections = [b["text"]["text"] for b in blocks[1:]]
    assert len(sections) >= 4
    assert all(len(s) <= SECTION_TEXT_MAX for s in sections)
    assert sum(len(s) for s in sections) <= 12_500
    assert sections[-1].endswith("…")
    # Escapes are never cut in half.
    assert all("&am…" not in s and "&l…" not in s for s in sections)


def test_many_sections_never_pass_fifty_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    # Lift the total-length cap so only the block count limits the message.
    monkeypatch.setattr(blocks_module, "SUMMARY_TEXT_MAX", 10**7)
    summary = Summary(tldr="t", key_points=tuple("x" * 2990 for _ in range(60)))
    message = build_summary_message(summary, title="t", context=["c"], post_id=1)
    blocks = message["blocks"]
    assert len(blocks) == MESSAGE_BLOCKS_MAX
    assert check_blocks(blocks) == []
    assert blocks[-3]["text"]["text"].endswith("…")


def test_safe_defuses_every_control_sequence() -> None:
    assert safe("<!here> <@U1> <#C1|general> a<b") == "@\u2060here @U1 #general a&lt;b"


def test_usage_card_points_to_the_thread_entry_points() -> None:
    card = build_usage_card(SUMMARIZE_USAGE)
    notes = " ".join(
        e["text"] for b in card["blocks"] if b["type"] == "context" for e in b["elements"]
    )
    assert "don't work inside threads" in notes
    assert "@productops summarize" in notes and "Summarize thread" in notes
    assert check_blocks(card["blocks"]) == []


# ---------------------------------------------------------------------------- requests


def request(text: str) -> ThreadRequest | ChannelRequest:
    return parse_request(parse_command(text).tokens)


def test_permalinks_to_messages_and_replies() -> None:
    assert request("<https://acme.slack.com/archives/C0123ABC/p1795510800000100>") == (
        ThreadRequest("C0123ABC", "1795510800.000100")
    )
    reply = (
        "<https://acme.slack.com/archives/C0123ABC/p1795510900000200"
        "?thread_ts=1795510800.000100&amp;cid=C0123ABC>"
    )
    assert request(reply) == ThreadRequest("C0123ABC", "1795510900.000200", "1795510800.000100")
    # Another workspace's host is fine: the channel decides, in the asking team.
    assert request("https://other.enterprise.slack.com/archives/G01/p1795510800000100") == (
        ThreadRequest("G01", "1795510800.000100")
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("<https://acme.slack.com/archives/C0123ABC>", "not a Slack message link"),
        ("<https://example.com/p1795510800000100>", "not a Slack message link"),
        (
            "<https://acme.slack.com/archives/C01/p1795510800000100?thread_ts=x>",
            "not a message timestamp",
        ),
        ("<https://acme.slack.com/archives/C01/p1795510800000100?cid=C02>", "two different"),
        ("<https://acme.slack.com/archives/C01/p1795510800000100> 7d", "nothing after it"),
        ("<#C0002|general> 120d", "at most 90d"),
        ("<#C0002|general> soon", "not a duration"),
        ("<#C0002|general> 7d extra", "one window"),
        ("banana", "expected a message link"),
        ("<@U0002>", "expected a message link"),
    ],
)
def test_bad_requests_say_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(CommandParseError, match=problem):
        request(text)


def test_channels_and_windows() -> None:
    assert request("<#C0002|general>") == ChannelRequest(timedelta(days=7), channel_id="C0002")
    assert request("<#C0002> 36h") == ChannelRequest(timedelta(hours=36), channel_id="C0002")
    named = request("#squad-a 90d")
    assert named == ChannelRequest(timedelta(days=90), channel_name="squad-a")
    assert named.scope == "channel:90d"
    assert format_window(timedelta(minutes=90)) == "90m"
    assert describe_window(timedelta(days=1)) == "the last day"
    assert describe_window(timedelta(hours=36)) == "the last 36 hours"


@pytest.mark.parametrize(
    ("text", "summon"),
    [
        ("<@U0005> summarize", True),
        ("<@U0005|productops> Summarise please", True),
        ("hey <@U0005>, tl;dr?", True),
        ("<@U0005> can you give us a recap", True),
        ("<@U0005> hello", False),
        ("summarize", True),
        ("", False),
    ],
)
def test_what_counts_as_asking_for_a_summary(text: str, summon: bool) -> None:
    assert is_summon(text) is summon


def test_threads_become_plain_messages_without_the_bot_and_its_summons() -> None:
    raw = (
        {"ts": "1.000001", "user": "U0002", "text": "Ship it? cc <@U0003> &amp; <!here>"},
        {"ts": "1.000002", "user": "U0003", "subtype": "channel_join", "text": "joined"},
        {"ts": "1.000003", "user": "U0003", "text": "See <https://x.test/doc|the doc> &lt;3"},
        {"ts": "1.000004", "user": "U0005", "bot_id": "B1", "text": "Summary: ..."},
        {"ts": "1.000005", "user": "U0002", "text": "<@U0005> summarize"},
        {"ts": "1.000006", "bot_profile": {"name": "CI"}, "bot_id": "B9", "text": "build green"},
        {"ts": "1.000007", "user": "U0002", "text": "   "},
    )
    conversation = Conversation("C0001", "1.000001", raw, thread_ts="1.000001")
    assert conversation.people() == ["U0002", "U0003", "U0005"]
    messages = to_messages(conversation, NAMES, bot_user_id="U0005")
    assert messages == [
        Message("Bob Martin", "Ship it? cc @Carol Tanaka & @here", "1.000001"),
        Message("Carol Tanaka", "See the doc (https://x.test/doc) <3", "1.000003"),
        Message("CI", "build green", "1.000006"),
    ]


def test_stored_summaries_read_back_the_same() -> None:
    summary = Summary(
        tldr="t",
        key_points=("k",),
        decisions=("d",),
        action_items=(ActionItem("task", "Bob", "fri"), ActionItem("other")),
        questions=("q?",),
        offline=True,
        note="why",
    )
    assert decode(encode(summary)) == summary
