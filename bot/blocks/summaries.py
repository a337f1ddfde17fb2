"""Block Kit for summaries: the summary message, its "Post to thread" button, notes, usage.

Every string from a conversation or a model goes through `safe`: mentions become plain
names, `@here`-style words are defused, and `& < >` are escaped; so a summary can never
ping anyone, whatever the thread or the model said.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from bot.blocks.usage import Usage
from bot.summarize import ActionItem, Summary
from bot.text import (
    BUTTON_TEXT_MAX,
    CONTEXT_ELEMENTS_MAX,
    ELLIPSIS,
    MESSAGE_BLOCKS_MAX,
    SECTION_TEXT_MAX,
    escape,
    plain_names,
    split_for_sections,
    truncate,
    truncate_plain,
)

ACTION_POST = "summary_post"

# Slack refuses messages whose blocks add up to much more than this (msg_blocks_too_long,
# seen near 13,200 characters), whatever each block's own limit.
SUMMARY_TEXT_MAX = 12_000
FALLBACK_MAX = 300

SUMMARIZE_USAGE = Usage(
    command="/summarize",
    summary="summarize a thread from its link, or a channel's recent messages",
    forms=(
        ("<message link>", "summarize that message's thread"),
        ("#channel [7d]", "a channel's last days, threads included (default 7d, at most 90d)"),
        ("help", "show this card"),
    ),
    examples=(
        "https://acme.slack.com/archives/C0123ABCD/p1795510800000100",
        "#squad-a",
        "#product-feedback 14d",
    ),
    notes=(
        "Slash commands don't work inside threads: in a thread, write @productops summarize, "
        "or pick Summarize thread from a message's ⋯ menu.",
        "Summaries name people without pinging them. Without an OpenAI key they are made "
        "offline, by picking the key sentences.",
    ),
)

# Words Slack may still turn into a broadcast when a client parses text: add a word joiner.
_BROADCAST = re.compile(r"@(here|channel|everyone|group)\b", re.IGNORECASE)
_WORD_JOINER = "\u2060"


def safe(text: str) -> str:
    """Model or user text for mrkdwn: plain names, no broadcasts, escaped."""
    text = plain_names(text)
    text = _BROADCAST.sub(lambda m: "@" + _WORD_JOINER + m.group(1), text)
    return escape(text)


def summary_mrkdwn(summary: Summary) -> str:
    """The five sections as one mrkdwn text (safe)."""
    lines = [f"*TL;DR*  {safe(summary.tldr) or '_nothing to report_'}", ""]
    lines += _section("Key points", [safe(p) for p in summary.key_points])
    lines += _section("Decisions", [safe(d) for d in summary.decisions])
    lines += _section("Action items", [_action(a) for a in summary.action_items])
    lines += _section("Open questions", [safe(q) for q in summary.questions])
    return "\n".join(lines).rstrip()


def _section(title: str, items: list[str]) -> list[str]:
    body = [f"• {item}" for item in items] or ["_none_"]
    return [f"*{title}*", *body, ""]


def _action(item: ActionItem) -> str:
    owner = f"*{safe(item.owner)}*" if item.owner else "_unassigned_"
    due = f" _(due {safe(item.due)})_" if item.due else ""
    return f"{owner}: {safe(item.task)}{due}"


def fallback_text(summary: Summary, title: str) -> str:
    """The notification text: the title and the TL;DR, safe."""
    return truncate(f"{title}: {safe(summary.tldr)}", FALLBACK_MAX)


def build_summary_message(
    summary: Summary,
    *,
    title: str,
    context: Sequence[str] = (),
    post_id: int | None = None,
    post_label: str = "Post to thread",
) -> dict[str, Any]:
    """A summary message: title, the sections (split to fit), a context line, a Post button.

    `post_id` is the stored summary's id: the button posts exactly that summary.

    `title` and the `context` lines are mrkdwn the caller built from ids and numbers, not user text.
    """
    tail: list[dict[str, Any]] = []
    notes = [n for n in (_offline_note(summary), *context) if n][:CONTEXT_ELEMENTS_MAX]
    if notes:
        tail.append(
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": truncate(n, SECTION_TEXT_MAX)} for n in notes
                ],
            }
        )
    if post_id is not None:
        tail.append(
            {
                "type": "actions",
                "block_id": f"summary:{post_id}",
                "elements": [
                    {
                        "type": "button",
                        "text": {
                            "type": "plain_text",
                            "text": truncate_plain(post_label, BUTTON_TEXT_MAX),
                        },
                        "action_id": ACTION_POST,
                        "value": str(post_id),
                        "style": "primary",
                    }
                ],
            }
        )
    head = [_mrkdwn_section(truncate(title, SECTION_TEXT_MAX))]
    room = MESSAGE_BLOCKS_MAX - len(head) - len(tail)
    body = [_mrkdwn_section(chunk) for chunk in _chunks(summary_mrkdwn(summary), room)]
    return {"text": fallback_text(summary, _plain_title(title)), "blocks": head + body + tail}


def _chunks(text: str, room: int) -> list[str]:
    """Section texts for `text`, at most `room` of them; a cut is always visible."""
    if len(text) > SUMMARY_TEXT_MAX:
        text = truncate(text, SUMMARY_TEXT_MAX)
    chunks = split_for_sections(text, SECTION_TEXT_MAX)
    if len(chunks) > room:
        chunks = chunks[: max(1, room)]
        last = chunks[-1]
        # truncate() ends what it cuts with "…"; an uncut last chunk gets one on its own line.
        chunks[-1] = (
            truncate(last, SECTION_TEXT_MAX - 2)
            if len(last) > SECTION_TEXT_MAX - 2
            else f"{last}\n{ELLIPSIS}"
        )
    return [c if c.strip() else ELLIPSIS for c in chunks]


def _mrkdwn_section(text: str) -> dict[str, Any]:
    # verbatim: Slack must not turn words into links or mentions on its own.
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}


def _offline_note(summary: Summary) -> str | None:
    if not summary.offline:
        return None
    why = f" ({escape(summary.note)})" if summary.note else ""
    return f":robot_face: Offline summary{why}: key sentences picked from the messages."


def _plain_title(title: str) -> str:
    return re.sub(r"[*_]", "", title)


def thread_title(channel_id: str, message_count: int) -> str:
    """The head line of a thread's summary."""
    return f"*Summary of a thread in <#{channel_id}>* · {_messages(message_count)}"


def channel_title(channel_id: str, window: str, message_count: int) -> str:
    """The head line of a channel's summary."""
    return f"*Summary of <#{channel_id}> over {window}* · {_messages(message_count)}"


def _messages(count: int) -> str:
    return "1 message" if count == 1 else f"{count:,} messages"


def build_working() -> dict[str, Any]:
    """The immediate answer while the summary is made."""
    return {"text": ":hourglass_flowing_sand: Summarizing…"}


def build_problem(text: str) -> dict[str, Any]:
    """A short ephemeral answer when there is nothing that can be summarized."""
    return {"text": f":warning: {escape(text)}"}


def build_mention_help() -> dict[str, Any]:
    """The answer to a mention that is not a summary request, or not in a thread."""
    return {
        "text": (
            "I summarize threads: write `@productops summarize` inside a thread, or pick "
            "*Summarize thread* from a message's ⋯ menu. For a whole channel: "
            "`/summarize #channel 7d`."
        )
    }


def build_already_posted(permalink: str | None, *, asked_again: bool) -> dict[str, Any]:
    """A summary that is already posted: asked for again in its thread, or clicked twice."""
    where = f" <{permalink}|See it here>." if permalink else ""
    if asked_again:
        return {"text": f"No new messages since my last summary in this thread.{where}"}
    return {"text": f"That summary is posted already.{where}"}


def build_posted_note(channel_id: str, thread: bool) -> str:
    """The context line once a summary is posted."""
    where = "the thread" if thread else f"<#{channel_id}>"
    return f":white_check_mark: Posted to {where}."
