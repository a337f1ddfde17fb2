"""Safe text for Slack: mrkdwn escaping, never-ping, and truncation to Slack's limits."""

from __future__ import annotations

import re
from typing import Any

ELLIPSIS = "…"

# Block Kit and message limits (SLACK.md §5); checks apply after escaping.
SECTION_TEXT_MAX = 3000
FIELD_TEXT_MAX = 2000
HEADER_TEXT_MAX = 150
BUTTON_TEXT_MAX = 75
OPTION_TEXT_MAX = 75
MODAL_TITLE_MAX = 24
CONTEXT_ELEMENTS_MAX = 10
MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
MESSAGE_TEXT_MAX = 40000
PRIVATE_METADATA_MAX = 3000

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_CONTROL_SEQUENCE = re.compile(r"<([@#!])([^<>|]*)(?:\|([^<>]*))?>")


def drop_nul(payload: Any) -> None:
    """Remove NUL characters from every string in a parsed payload, in place."""
    items: Any = payload.items() if isinstance(payload, dict) else enumerate(payload)
    for key, value in list(items):
        if isinstance(value, str):
            if "\x00" in value:
                payload[key] = value.replace("\x00", "")
        elif isinstance(value, dict | list):
            drop_nul(value)


def escape(text: str) -> str:
    """Escape the three mrkdwn control characters, so user text can never ping or link."""
    return text.translate(_ESCAPES)


def plain_names(text: str, names: dict[str, str] | None = None) -> str:
    """Replace Slack control sequences (<@U..>, <#C..>, <!here>) by inert plain names."""
    names = names or {}

    def _name(match: re.Match[str]) -> str:
        sigil, ident, label = match.group(1), match.group(2), match.group(3)
        if sigil == "@":
            return "@" + (names.get(ident) or label or ident)
        if sigil == "#":
            return "#" + (label or names.get(ident) or ident)
        special = ident.split("^", 1)[0]
        return "@" + (label.lstrip("@") if label else special)

    return _CONTROL_SEQUENCE.sub(_name, text)


def safe_mrkdwn(text: str, names: dict[str, str] | None = None) -> str:
    """User or model text made safe for a mrkdwn field: plain names, then escaped."""
    return escape(plain_names(text, names))


def truncate(text: str, limit: int, *, more: str = "") -> str:
    """Cut `text` to at most `limit` characters with a visible ellipsis (and `more`, if given)."""
    if len(text) <= limit:
        return text
    tail = ELLIPSIS + more
    cut = max(0, limit - len(tail))
    # Never cut an escape entity in half: '&am…' would show as garbage.
    amp = text.rfind("&", max(0, cut - 5), cut)
    if amp != -1 and ";" not in text[amp:cut]:
        cut = amp
    return text[:cut] + tail


def truncate_plain(text: str, limit: int) -> str:
    """Cut plain text (button labels, titles) to `limit` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def split_for_sections(text: str, limit: int = SECTION_TEXT_MAX) -> list[str]:
    """Split long mrkdwn into chunks that each fit a section, on line breaks where possible."""
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
            amp = rest.rfind("&", max(0, cut - 5), cut)
            if amp > 0 and ";" not in rest[amp:cut]:
                cut = amp
        chunks.append(rest[:cut].rstrip("\n"))
        rest = rest[cut:].lstrip("\n")
    if rest or not chunks:
        chunks.append(rest)
    return chunks
