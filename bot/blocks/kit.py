"""Block Kit elements every builder uses, each kept within Slack's limits."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bot.text import (
    BUTTON_TEXT_MAX,
    FIELD_TEXT_MAX,
    PRIVATE_METADATA_MAX,
    SECTION_TEXT_MAX,
    truncate,
    truncate_plain,
)


def section(text: str, **extra: Any) -> dict[str, Any]:
    """A mrkdwn section, cut to 3000 characters with a visible ellipsis."""
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": truncate(text, SECTION_TEXT_MAX)},
        **extra,
    }


def context(text: str) -> dict[str, Any]:
    """A one-element mrkdwn context line."""
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": truncate(text, SECTION_TEXT_MAX)}],
    }


def plain(text: str, limit: int) -> dict[str, Any]:
    """A plain_text object cut to `limit` characters (titles, labels, options)."""
    return {"type": "plain_text", "text": truncate_plain(text, limit), "emoji": True}


def field(label: str, value: str) -> dict[str, str]:
    """A section field: a bold label over its value."""
    return {"type": "mrkdwn", "text": truncate(f"*{label}*\n{value}", FIELD_TEXT_MAX)}


def button(
    text: str,
    action_id: str,
    value: str,
    style: str | None = None,
    confirm: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A button with a label cut to 75 characters, an optional style and confirm dialog."""
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(text, BUTTON_TEXT_MAX),
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    if confirm:
        element["confirm"] = confirm
    return element


def metadata(data: Mapping[str, Any]) -> str:
    """A view's private_metadata. Only ids go in it; JSON cut to fit would be corrupt, so a
    value over Slack's 3000 characters is refused instead."""
    encoded = json.dumps(dict(data))
    if len(encoded) > PRIVATE_METADATA_MAX:
        raise ValueError("private_metadata over Slack's 3000 characters")
    return encoded
