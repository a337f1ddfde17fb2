"""Block Kit for /stack: confirmations, the grouped list, a tool's detail, removal, renewals."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from bot.blocks.kit import button as _button
from bot.blocks.kit import context as _context
from bot.blocks.kit import field as _field
from bot.blocks.kit import section as _section
from bot.blocks.usage import Usage
from bot.services.stack import (
    UNSPECIFIED,
    Cost,
    Overview,
    Saved,
    ToolInfo,
    format_money,
)
from bot.text import (
    MESSAGE_BLOCKS_MAX,
    SECTION_TEXT_MAX,
    escape,
    safe_mrkdwn,
    truncate,
)

ACTION_REMOVE = "stack_remove_confirm"
ACTION_KEEP = "stack_remove_cancel"

STACK_USAGE = Usage(
    command="/stack",
    summary="the team's product tool stack: owners, purpose, cost and renewals",
    forms=(
        (
            'add <tool> [owner:@ann] [purpose:"design"] [cost:"1200/yr"] [renewal:2027-01-15] '
            "[url:https://…]",
            "ops: add a tool",
        ),
        ("list", "every tool by purpose, with yearly costs per currency"),
        ("show <tool>", "one tool: owner, cost, renewal, link"),
        ("edit <tool> key:value …", 'ops: change options (name, owner, …; key:"" clears one)'),
        ("remove <tool>", "ops: remove a tool (asks first)"),
        ("help", "show this card"),
    ),
    examples=(
        'add Figma owner:@ann purpose:design cost:"$45/mo" renewal:2027-01-15 '
        "url:https://figma.com",
        'add "Google Workspace" purpose:collaboration cost:"2000 EUR/year"',
        "list",
        "show figma",
        "edit Figma renewal:2028-01-15 owner:@bob",
        "remove Figma",
    ),
    notes=(
        "Costs keep their currency and period: 1200/yr, $99/mo, €50/month, 2000 EUR/year, "
        "free. Owners get a DM 30 and 7 days before a renewal.",
    ),
)


def format_day(day: date) -> str:
    """Fri 15 Jan 2027."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def tool_name(tool: ToolInfo, *, link: bool = True) -> str:
    """The tool's name in bold, linked to its URL when it has one (safe mrkdwn)."""
    name = f"*{safe_mrkdwn(tool.name)}*"
    if link and tool.url:
        url = escape(tool.url).replace("|", "%7C")
        return f"<{url}|{safe_mrkdwn(tool.name)}>"
    return name


def cost_text(cost: Cost | None) -> str:
    """ "$99/mo (USD 1,188/yr)", "free", or "no cost given" (safe mrkdwn)."""
    if cost is None:
        return "no cost given"
    if cost.free:
        return "free"
    typed = safe_mrkdwn(cost.text)
    if cost.period == "year":
        return typed
    return f"{typed} ({escape(format_money(cost.yearly, cost.currency))}/yr)"


def totals_text(totals: Mapping[str, Decimal]) -> str:
    """ "USD 1,188/yr · EUR 600/yr · 1,200/yr in an unspecified currency"."""
    if not totals:
        return "nothing to pay"
    parts = []
    for currency, amount in totals.items():
        money = format_money(amount, currency)
        parts.append(
            f"{money}/yr in an unspecified currency" if currency == UNSPECIFIED else f"{money}/yr"
        )
    return escape(" · ".join(parts))


def renewal_text(tool: ToolInfo, today: date) -> str:
    """ "renews Fri 15 Jan 2027 (in 30 days)" or a flag when the date passed."""
    if tool.renewal_on is None:
        return "no renewal date"
    days = (tool.renewal_on - today).days
    day = format_day(tool.renewal_on)
    if days < 0:
        return f":warning: renewal passed on {day} without an update"
    if days == 0:
        return f":alarm_clock: renews *today* ({day})"
    soon = ":alarm_clock: " if days <= 30 else ""
    return f"{soon}renews {day} (in {days} day{'s' if days != 1 else ''})"


def _owner(names: Mapping[str, str], tool: ToolInfo) -> str:
    if not tool.owner_id:
        return "no owner"
    return escape(names.get(tool.owner_id) or tool.owner_id)


def _line(tool: ToolInfo, names: Mapping[str, str], today: date) -> str:
    parts = [tool_name(tool), _owner(names, tool), cost_text(tool.cost)]
    if tool.renewal_on is not None:
        parts.append(renewal_text(tool, today))
    return "• " + " · ".join(parts)


# ---------------------------------------------------------------------------- answers


def build_saved(saved: Saved, names: Mapping[str, str], today: date) -> dict[str, Any]:
    """The answer to add and edit: what is stored now, and what happens next."""
    tool = saved.tool
    verb = "Added" if saved.created else "Updated"
    blocks: list[dict[str, Any]] = [
        _section(f":toolbox: {verb} {tool_name(tool)} in the stack."),
        {"type": "section", "fields": _fields(tool, names, today)},
    ]
    notes = []
    if saved.renewal_passed:
        notes.append(
            ":warning: That renewal date has passed: the tool is flagged until someone sets "
            f"the next one with `/stack edit {escape(tool.name)} renewal:YYYY-MM-DD`."
        )
    elif saved.reminders:
        who = "the owner" if tool.owner_id else "you (there is no owner)"
        days = ", ".join(format_day(d) for d in saved.reminders)
        notes.append(f":bell: I'll DM {who} about the renewal on {days}.")
    if notes:
        blocks.append(_context(" ".join(notes)))
    return {"text": f"{verb} {safe_mrkdwn(tool.name)} in the stack.", "blocks": blocks}


def _fields(tool: ToolInfo, names: Mapping[str, str], today: date) -> list[dict[str, str]]:
    fields = [
        _field("Owner", _owner(names, tool)),
        _field("Purpose", safe_mrkdwn(tool.purpose) if tool.purpose else "none given"),
        _field("Cost", cost_text(tool.cost)),
        _field("Renewal", renewal_text(tool, today)),
    ]
    if tool.url:
        fields.append(_field("Link", f"<{escape(tool.url).replace('|', '%7C')}|open>"))
    return fields


def build_tool_detail(tool: ToolInfo, names: Mapping[str, str], today: date) -> dict[str, Any]:
    """`/stack show <tool>`."""
    added_by = escape(names.get(tool.created_by) or tool.created_by)
    blocks = [
        _section(f":toolbox: {tool_name(tool, link=False)}"),
        {"type": "section", "fields": _fields(tool, names, today)},
        _context(
            f"Added by {added_by} on {format_day(tool.created_at.date())} · "
            f"`/stack edit {escape(tool.name)} key:value` to change it"
        ),
    ]
    cost = safe_mrkdwn(tool.cost.text) if tool.cost else "no cost"
    return {"text": f"{safe_mrkdwn(tool.name)}: {cost}", "blocks": blocks}


def build_stack_list(overview: Overview, names: Mapping[str, str]) -> dict[str, Any]:
    """`/stack list`: tools by purpose, each group with its yearly total, and the grand total."""
    if not overview.count:
        return {
            "text": "The stack is empty.",
            "blocks": [
                _section(
                    ":toolbox: The stack is empty. Ops add tools with "
                    '`/stack add Figma owner:@ann purpose:design cost:"$45/mo"`.'
                )
            ],
        }
    blocks: list[dict[str, Any]] = [
        _section(
            f":toolbox: *The stack* ({overview.count} tool{'s' if overview.count != 1 else ''})"
            f"\nYearly: {totals_text(overview.totals)}"
        )
    ]
    lines: list[tuple[str, int]] = []
    for label, members in overview.groups:
        total = overview.group_totals.get(label) or {}
        lines.append((f"*{safe_mrkdwn(label)}* · {totals_text(total)}", 0))
        lines += [(truncate(_line(t, names, overview.today), 600), 1) for t in members]
    listed = 0
    chunk: list[str] = []
    in_chunk = size = 0
    for line, tools in lines:
        if chunk and size + len(line) + 1 > SECTION_TEXT_MAX:
            if len(blocks) >= MESSAGE_BLOCKS_MAX - 2:
                chunk = []
                break
            blocks.append(_section("\n".join(chunk)))
            listed += in_chunk
            chunk, in_chunk, size = [], 0, 0
        chunk.append(line)
        in_chunk += tools
        size += len(line) + 1
    if chunk:
        blocks.append(_section("\n".join(chunk)))
        listed += in_chunk
    left = overview.count - listed
    footer = "`/stack show <tool>` for one tool."
    if left > 0:
        footer = f"… and {left} more. " + footer
    blocks.append(_context(footer))
    return {"text": f"The stack ({overview.count} tools)", "blocks": blocks}


def build_remove_confirm(tool: ToolInfo) -> dict[str, Any]:
    """Ask before removing a tool."""
    return {
        "text": f"Remove {safe_mrkdwn(tool.name)} from the stack?",
        "blocks": [
            _section(
                f":wastebasket: Remove {tool_name(tool, link=False)} from the stack? Its "
                "renewal reminders stop too."
            ),
            {
                "type": "actions",
                "block_id": f"stack_remove:{tool.id}",
                "elements": [
                    _button(f"Remove {tool.name}", ACTION_REMOVE, str(tool.id), "danger"),
                    _button("Keep it", ACTION_KEEP, str(tool.id)),
                ],
            },
        ],
    }


def build_removed(name: str) -> dict[str, Any]:
    """After the remove button."""
    return {
        "text": f"Removed {safe_mrkdwn(name)} from the stack.",
        "blocks": [_section(f":wastebasket: Removed *{safe_mrkdwn(name)}* from the stack.")],
    }


def build_renewal_dm(
    tool: ToolInfo, today: date, *, owner: bool, names: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The DM before a renewal, to the tool's owner (or whoever added it)."""
    days = tool.days_left(today) or 0
    assert tool.renewal_on is not None
    when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
    why = (
        "You own it in the team's stack."
        if owner
        else "It has no owner in the stack, and you added it."
    )
    text = f"{tool.name} renews {when}, on {format_day(tool.renewal_on)}"
    blocks = [
        _section(
            f":bell: {tool_name(tool)} renews *{when}*, on {format_day(tool.renewal_on)}. {why}"
        ),
        {"type": "section", "fields": _fields(tool, names or {}, today)[:4]},
        _context(
            "Renew, cancel or renegotiate; then set the next date with "
            f"`/stack edit {escape(tool.name)} renewal:YYYY-MM-DD`."
        ),
    ]
    return {"text": text, "blocks": blocks}
