"""Block Kit for feedback: the card a person sees after filing."""

from __future__ import annotations

from typing import Any

from bot.blocks.usage import Usage
from bot.services.feedback import FiledFeedback
from bot.text import SECTION_TEXT_MAX, escape, safe_mrkdwn, truncate

FEEDBACK_USAGE = Usage(
    command="/feedback",
    summary="file product feedback where you talk about it",
    forms=(
        (
            '<text> [#tag ...] [customer:"Acme"] [area:billing] [urgency:low|normal|high]',
            "file feedback",
        ),
        ("help", "show this card"),
    ),
    examples=(
        'CSV export times out on large accounts #export customer:"Acme" urgency:high',
        "Dark mode for the dashboard #ui area:dashboard",
    ),
    notes=(
        "Slash commands don't work inside threads: react with :inbox_tray: on a message instead.",
    ),
)

_URGENCY_EMOJI = {"low": ":white_circle:", "normal": ":large_blue_circle:", "high": ":red_circle:"}


def build_feedback_card(filed: FiledFeedback) -> dict[str, Any]:
    """The ephemeral answer to filing: FB id, the text, and what was parsed."""
    item = filed.item
    verb = "Filed" if filed.created else "Already filed"
    head = f":inbox_tray: {verb} *{item.key}*"
    quoted = "\n".join(f">{line}" for line in safe_mrkdwn(item.text).split("\n"))
    body = truncate(f"{head}\n{quoted}", SECTION_TEXT_MAX)
    fields = [_field("Urgency", f"{_URGENCY_EMOJI[item.urgency]} {item.urgency}")]
    if item.tags:
        fields.append(_field("Tags", " ".join(f"#{escape(tag)}" for tag in item.tags)))
    if item.customer:
        fields.append(_field("Customer", escape(item.customer)))
    if item.area:
        fields.append(_field("Area", escape(item.area)))
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": body}},
        {"type": "section", "fields": fields},
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": f"Status: *{item.status}* · thank you!"}],
        },
    ]
    return {"text": f"{verb} {item.key}", "blocks": blocks}


def _field(label: str, value: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": truncate(f"*{label}*\n{value}", 2000)}
