"""Block Kit for App Home: one builder for the tab, and the "See all" and settings modals.

The tab stays within Slack's 100 blocks however much there is: each section shows a few
lines and a "See all" button opens a modal with more (also within 100 blocks).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.blocks import stack as stack_blocks
from bot.blocks.feedback import STATUS_EMOJI, STATUS_LABELS, headline
from bot.blocks.feedback import _triage_blocks as triage_blocks  # the queue's own controls
from bot.blocks.kit import button as _button
from bot.blocks.kit import context as _context
from bot.blocks.kit import metadata as _metadata
from bot.blocks.kit import plain as _plain
from bot.blocks.kit import section as _section
from bot.blocks.kpi import STATUS_LINE
from bot.blocks.rituals import KIND_EMOJI, RSVP_LABELS, when
from bot.services.feedback import FeedbackItem
from bot.services.home import (
    ACTIONS_SHOWN,
    FEEDBACK_SHOWN,
    GRANTED_SHOWN,
    KPIS_SHOWN,
    RENEWALS_SHOWN,
    RITUALS_SHOWN,
    RSVPS_SHOWN,
    TRIAGE_SHOWN,
    HomeData,
    OpsPanel,
    Rsvp,
)
from bot.services.kpis import Summary
from bot.services.rituals import RitualInfo
from bot.services.stack import ToolInfo
from bot.services.team_settings import TeamConfig
from bot.text import (
    HEADER_TEXT_MAX,
    MODAL_TITLE_MAX,
    SECTION_TEXT_MAX,
    VIEW_BLOCKS_MAX,
    escape,
    safe_mrkdwn,
    truncate,
)

ACTION_SEE_ALL = "home_see_all"
ACTION_OPS_PICK = "home_ops_pick"
ACTION_OPS_GRANT = "home_ops_grant"
ACTION_OPS_REVOKE = "home_ops_revoke"
ACTION_SETTINGS = "home_settings_open"
SETTINGS_MODAL = "home_settings_modal"
LIST_MODAL = "home_list_modal"
FIELD_REACTIONS = "hs_reactions"
FIELD_CHANNEL = "hs_channel"
FIELD_TIMEZONE = "hs_timezone"
VALUE = "value"
OPS_BLOCK = "home_ops"
LINE_MAX = 300
# The retro board's own action id: ticking done from here is the same act.
RETRO_ACTION_DONE = "retro_action_done"

SEE_ALL = {
    "feedback": "My feedback",
    "rituals": "My upcoming rituals",
    "triage": "Triage queue",
    "kpis": "KPIs",
    "renewals": "Renewals due",
}


def _header(text: str) -> dict[str, Any]:
    return {
        "type": "header",
        "text": _plain(text, HEADER_TEXT_MAX),
    }


def _see_all(what: str, label: str | None = None) -> dict[str, Any]:
    return {
        "type": "actions",
        "block_id": f"see_all:{what}",
        "elements": [_button(label or "See all", ACTION_SEE_ALL, what)],
    }


def _lines(lines: Sequence[str], empty: str) -> dict[str, Any]:
    if not lines:
        return _context(empty)
    return _section("\n".join(truncate(line, LINE_MAX) for line in lines))


def _name(names: Mapping[str, str], user_id: str | None) -> str:
    if not user_id:
        return "nobody"
    return escape(names.get(user_id) or user_id)


# ---------------------------------------------------------------------------- lines


def feedback_line(item: FeedbackItem, names: Mapping[str, str]) -> str:
    """• *FB-42* 'CSV export times out' · :new: New · 3 votes · owner Ann Lee."""
    if item.merged_into:
        status = f"{STATUS_EMOJI['merged']} merged into FB-{item.merged_into}"
    else:
        label = STATUS_LABELS.get(item.status, item.status)
        status = f"{STATUS_EMOJI.get(item.status, '')} {label}"
    votes = f"{item.votes} vote" + ("" if item.votes == 1 else "s")
    line = f"• {headline(item, 80)} · {status.strip()} · {votes}"
    if item.owner_id:
        line += f" · owner {_name(names, item.owner_id)}"
    return line


def ritual_line(info: RitualInfo, at: datetime, tz: str) -> str:
    """• :sunrise: *Squad standup* (R-1) · Wed 25 Nov 2026, 09:30 (Europe/Berlin)."""
    emoji = KIND_EMOJI.get(info.kind, ":calendar:")
    return f"• {emoji} *{escape(info.title)}* ({info.key}) · {when(at, tz)}"


def rsvp_line(rsvp: Rsvp, tz: str) -> str:
    """• *Pricing discovery* (R-2) · Thu 3 Dec 2026, 15:00 (Europe/Berlin) · Going."""
    emoji = KIND_EMOJI.get(rsvp.kind, ":calendar:")
    answer = RSVP_LABELS.get(rsvp.answer, rsvp.answer)
    title = f"*{escape(rsvp.title)}* ({rsvp.ritual_key})"
    return f"• {emoji} {title} · {when(rsvp.at, tz)} · *{answer}*"


def kpi_line(summary: Summary) -> str:
    """• *nps* 41% · :white_check_mark: on target · ▲ +2 vs last week."""
    kpi = summary.kpi
    if summary.latest is None:
        return f"• *{escape(kpi.name)}* no values yet"
    parts = [f"• *{escape(kpi.name)}* {escape(kpi.show(summary.latest.value))}"]
    if summary.status is not None:
        parts.append(STATUS_LINE[summary.status])
    change = summary.change
    if change is not None:
        arrow = "▲" if change.delta > 0 else ("▼" if change.delta < 0 else "▶")
        parts.append(f"{arrow} {escape(kpi.show(abs(change.delta)))} in a week")
    return " · ".join(parts)


def renewal_line(tool: ToolInfo, names: Mapping[str, str], today: Any) -> str:
    """• Figma · renews Fri 15 Jan 2027 (in 30 days) · $45/mo (USD 540/yr) · Ann Lee."""
    owner = _name(names, tool.owner_id) if tool.owner_id else "no owner"
    return (
        f"• {stack_blocks.tool_name(tool)} · {stack_blocks.renewal_text(tool, today)} · "
        f"{stack_blocks.cost_text(tool.cost)} · {owner}"
    )


# ---------------------------------------------------------------------------- the tab


def build_home(data: HomeData) -> dict[str, Any]:
    """The home tab of one person (ops see more), within 100 blocks whatever the data."""
    names = data.names
    role = "ops" if data.ops else "member"
    blocks: list[dict[str, Any]] = [
        _header("Your product ops"),
        _context(f"Updated {when(data.now, data.viewer_tz)} · you are {role}"),
    ]
    if data.notice:
        blocks.append(_section(escape(data.notice)))
    emoji = data.reactions[0] if data.reactions else "inbox_tray"
    blocks += [
        {"type": "divider"},
        _header(":memo: My feedback"),
        _lines(
            [feedback_line(i, names) for i in data.feedback[:FEEDBACK_SHOWN]],
            f"You haven't filed feedback yet: type `/feedback`, or react with :{escape(emoji)}: "
            "on a message.",
        ),
    ]
    if data.more_feedback or len(data.feedback) > FEEDBACK_SHOWN:
        blocks.append(_see_all("feedback"))
    blocks += [
        _header(":calendar: My upcoming rituals"),
        _lines(
            [ritual_line(info, at, data.viewer_tz) for info, at in data.rituals[:RITUALS_SHOWN]],
            "No rituals for you in the next two weeks. `/ritual add` schedules one.",
        ),
    ]
    if data.more_rituals or len(data.rituals) > RITUALS_SHOWN:
        blocks.append(_see_all("rituals"))
    blocks += [
        _header(":raised_hand: My RSVPs"),
        _lines(
            [rsvp_line(r, data.viewer_tz) for r in data.rsvps[:RSVPS_SHOWN]],
            "No RSVPs in the last week or ahead.",
        ),
    ]
    blocks.append(_header(":white_check_mark: My action items"))
    if not data.actions:
        blocks.append(_context("No open retro action items for you."))
    for action in data.actions[:ACTIONS_SHOWN]:
        due = f" · due {action.due.isoformat()}" if action.due else ""
        late = " :warning: overdue" if action.due and action.due < data.now.date() else ""
        blocks.append(
            _section(
                f"{safe_mrkdwn(action.text)} (retro #{action.retro_number}{due}{late})",
                accessory=_button("Done", RETRO_ACTION_DONE, f"0:{action.id}"),
            )
        )
    if data.ops is None:
        blocks += [
            {"type": "divider"},
            _context(
                "Ops (admins, OPS_ADMINS and people granted the role) also see the triage "
                "inbox, KPIs, renewals and settings here."
            ),
        ]
    else:
        blocks += _ops_blocks(data.ops, names)
    if len(blocks) > VIEW_BLOCKS_MAX:
        # Cannot happen with the section sizes above; kept so a future section can't break it.
        blocks = [*blocks[: VIEW_BLOCKS_MAX - 1], _context("… more than fits here.")]
    return {"type": "home", "callback_id": "home", "blocks": blocks}


def _ops_blocks(ops: OpsPanel, names: Mapping[str, str]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [{"type": "divider"}, _header(":inbox_tray: Triage inbox")]
    if not ops.newest:
        blocks.append(_context("Nothing to triage. :sparkles:"))
    else:
        blocks.append(_context("*Newest*"))
        for item in ops.newest[:TRIAGE_SHOWN]:
            blocks += triage_blocks(item, names)
        # An item is shown once: its controls' block_id must be unique in the view.
        shown = {i.number for i in ops.newest[:TRIAGE_SHOWN]}
        voted = [i for i in ops.most_voted if i.number not in shown][:TRIAGE_SHOWN]
        if voted:
            blocks.append(_context("*Most voted*"))
            for item in voted:
                blocks += triage_blocks(item, names)
        if ops.more_to_triage or voted:
            blocks.append(_see_all("triage", "See the triage queue"))
    blocks += [
        {"type": "divider"},
        _header(":bar_chart: KPIs at a glance"),
        _lines(
            [kpi_line(s) for s in ops.kpis[:KPIS_SHOWN]],
            'KPIs: none yet. `/kpi define nps unit:% target:">=40"` adds one.',
        ),
    ]
    if ops.kpi_total > min(len(ops.kpis), KPIS_SHOWN):
        blocks.append(_see_all("kpis", f"See all {ops.kpi_total} KPIs"))
    blocks += [
        {"type": "divider"},
        _header(":toolbox: Renewals due in 30 days"),
        _lines(
            [renewal_line(t, names, ops.today) for t in ops.renewals[:RENEWALS_SHOWN]],
            "No renewals in the next 30 days. `/stack list` shows the whole stack.",
        ),
    ]
    if ops.renewal_total > min(len(ops.renewals), RENEWALS_SHOWN):
        blocks.append(_see_all("renewals", f"See all {ops.renewal_total}"))
    blocks += [{"type": "divider"}, *_settings_blocks(ops, names)]
    return blocks


def _settings_blocks(ops: OpsPanel, names: Mapping[str, str]) -> list[dict[str, Any]]:
    config = ops.config

    def source(key: str) -> str:
        return "team setting" if key in config.customized else "default"

    emojis = " ".join(f":{escape(r)}:" for r in config.feedback_reactions)
    channel = f"<#{config.feedback_channel}>" if config.feedback_channel else "none"
    blocks: list[dict[str, Any]] = [
        _header(":gear: Settings"),
        _section(
            f"*Capture emojis* ({source('feedback_reactions')}): {emojis}\n"
            f"*Triage channel* ({source('feedback_channel')}): {channel}\n"
            f"*Default timezone* ({source('default_timezone')}): "
            f"{escape(config.default_timezone)}",
            accessory=_button("Edit settings", ACTION_SETTINGS, "settings"),
        ),
    ]
    granted = ", ".join(_name(names, u) for u in ops.granted[:GRANTED_SHOWN])
    more = len(ops.granted) - GRANTED_SHOWN
    if more > 0:
        granted += f" and {more} more"
    blocks.append(
        _section(
            "*Ops role*: workspace admins, owners and OPS_ADMINS always have it. "
            f"Granted in App Home: {granted or 'nobody yet'}."
        )
    )
    picker: dict[str, Any] = {
        "type": "users_select",
        "action_id": ACTION_OPS_PICK,
        "placeholder": _plain("Pick a person", 150),
    }
    picked = ops.picked
    grant = _button("Grant ops", ACTION_OPS_GRANT, picked.user_id if picked else "", "primary")
    revoke = _button("Revoke ops", ACTION_OPS_REVOKE, picked.user_id if picked else "")
    if picked:
        picker["initial_user"] = picked.user_id
    else:
        # Nobody picked yet: the handler reads the pick from the view's state instead.
        del grant["value"], revoke["value"]
    blocks.append({"type": "actions", "block_id": OPS_BLOCK, "elements": [picker, grant, revoke]})
    if picked:
        who = _name(names, picked.user_id)
        state = {
            "member": f"{who} is a member: *Grant ops* gives them the role.",
            "granted": f"{who} has the ops role, granted here: *Revoke ops* takes it back.",
            "builtin": f"{who} is ops as a workspace admin, owner or in OPS_ADMINS; "
            "that can't be changed here.",
        }[picked.role]
        blocks.append(_context(state))
    return blocks


# ---------------------------------------------------------------------------- modals


def build_list_modal(
    title: str, lines: Sequence[str], *, total: int | None = None
) -> dict[str, Any]:
    """A "See all" modal: the lines packed into sections, within 100 blocks."""
    blocks: list[dict[str, Any]] = []
    chunk: list[str] = []
    size = shown = in_chunk = 0
    for line in lines:
        line = truncate(line, LINE_MAX)
        if chunk and size + len(line) + 1 > SECTION_TEXT_MAX:
            if len(blocks) >= VIEW_BLOCKS_MAX - 2:
                chunk = []
                break
            blocks.append(_section("\n".join(chunk)))
            shown += in_chunk
            chunk, size, in_chunk = [], 0, 0
        chunk.append(line)
        size += len(line) + 1
        in_chunk += 1
    if chunk:
        blocks.append(_section("\n".join(chunk)))
        shown += in_chunk
    if not blocks:
        blocks.append(_context("Nothing here."))
    left = (total if total is not None else len(lines)) - shown
    if left > 0:
        blocks.append(_context(f"… and {left} more."))
    return {
        "type": "modal",
        "callback_id": LIST_MODAL,
        "title": _plain(title, MODAL_TITLE_MAX),
        "close": _plain("Close", MODAL_TITLE_MAX),
        "blocks": blocks,
    }


def build_triage_modal(
    items: Sequence[FeedbackItem], names: Mapping[str, str], *, more: bool
) -> dict[str, Any]:
    """The triage queue in a modal, with the same status, owner and +1 controls."""
    blocks: list[dict[str, Any]] = [_context("New feedback, most voted first.")]
    for item in items[:20]:
        blocks += [{"type": "divider"}, *triage_blocks(item, names)]
    if not items:
        blocks.append(_context("Nothing to triage. :sparkles:"))
    if more:
        blocks.append(_context("More in `/feedback list new`."))
    return {
        "type": "modal",
        "callback_id": LIST_MODAL,
        "title": _plain("Triage queue", MODAL_TITLE_MAX),
        "close": _plain("Close", MODAL_TITLE_MAX),
        "blocks": blocks[:VIEW_BLOCKS_MAX],
    }


def build_settings_modal(config: TeamConfig) -> dict[str, Any]:
    """Edit the team's capture emojis, triage channel and default timezone."""
    channel: dict[str, Any] = {
        "type": "channels_select",
        "action_id": VALUE,
        "placeholder": _plain("No triage channel", 150),
    }
    if config.feedback_channel:
        channel["initial_channel"] = config.feedback_channel
    return {
        "type": "modal",
        "callback_id": SETTINGS_MODAL,
        "title": _plain("Team settings", MODAL_TITLE_MAX),
        "submit": _plain("Save", MODAL_TITLE_MAX),
        "close": _plain("Cancel", MODAL_TITLE_MAX),
        "private_metadata": _metadata({"settings": 1}),
        "blocks": [
            {
                "type": "input",
                "block_id": FIELD_REACTIONS,
                "label": _plain("Capture emojis", 2000),
                "hint": _plain(
                    "Reacting with one of these captures a message as feedback. Separate "
                    "names with commas.",
                    2000,
                ),
                "element": {
                    "type": "plain_text_input",
                    "action_id": VALUE,
                    "initial_value": ", ".join(config.feedback_reactions),
                    "max_length": 500,
                },
            },
            {
                "type": "input",
                "block_id": FIELD_CHANNEL,
                "optional": True,
                "label": _plain("Triage channel", 2000),
                "hint": _plain("New feedback is posted there with triage buttons.", 2000),
                "element": channel,
            },
            {
                "type": "input",
                "block_id": FIELD_TIMEZONE,
                "label": _plain("Default timezone", 2000),
                "hint": _plain(
                    "For people whose Slack profile has none, and for renewal reminders "
                    "(IANA name, like Europe/Berlin).",
                    2000,
                ),
                "element": {
                    "type": "plain_text_input",
                    "action_id": VALUE,
                    "initial_value": config.default_timezone,
                    "max_length": 64,
                },
            },
        ],
    }
