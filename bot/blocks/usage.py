"""Usage cards: what a command does, its forms and examples, and what was not understood."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.blocks.kit import section as _section
from bot.text import escape


@dataclass(frozen=True)
class Usage:
    """A command's help: one line of purpose, its forms, and examples to copy."""

    command: str
    summary: str
    forms: tuple[tuple[str, str], ...]
    examples: tuple[str, ...]
    notes: tuple[str, ...] = ()


def build_usage_card(
    usage: Usage, *, problem: str | None = None, fragment: str | None = None
) -> dict[str, Any]:
    """An ephemeral message body with the usage of `usage.command`, led by the problem if any."""
    blocks: list[dict[str, Any]] = []
    if problem:
        quoted = f" `{escape(fragment)}`" if fragment else ""
        line = f":warning: I couldn't read{quoted}: {escape(problem)}."
        blocks.append(_section(line))
    forms = "\n".join(
        f"`{usage.command} {escape(form)}`  {escape(what)}" for form, what in usage.forms
    )
    blocks.append(_section(f"*{usage.command}*: {escape(usage.summary)}\n{forms}"))
    examples = "\n".join(f"`{usage.command} {escape(example)}`" for example in usage.examples)
    blocks.append(_section(f"*Examples*\n{examples}"))
    for note in usage.notes:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(note)}]})
    fallback = f"{usage.command}: {usage.summary}"
    if problem:
        # The fallback text is shown too (notifications, screen readers): as safe as blocks.
        fallback = f"I couldn't read {escape(fragment or 'that')}: {escape(problem)}. " + fallback
    return {"text": fallback, "blocks": blocks}


def build_unknown_subcommand_card(
    usage: Usage, subcommand: str, known: Sequence[str]
) -> dict[str, Any]:
    """The usage card for a subcommand that is none of `known`, naming the closest one."""
    meant = difflib.get_close_matches(subcommand, list(known), n=1)
    hint = f" (did you mean `{meant[0]}`)" if meant else ""
    return build_usage_card(usage, problem=f"unknown subcommand{hint}", fragment=subcommand)
