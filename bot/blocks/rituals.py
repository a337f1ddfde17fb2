"""Block Kit for rituals: confirmations, lists, occurrence posts, RSVPs, standups, forms."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.blocks.kit import button as _button
from bot.blocks.kit import context as _context
from bot.blocks.kit import metadata as _metadata
from bot.blocks.kit import plain as _plain
from bot.blocks.kit import section as _section
from bot.blocks.usage import Usage
from bot.services.rituals import KINDS, RSVP_KINDS, TITLE_MAX, OccurrenceInfo, RitualInfo
from bot.text import (
    OPTION_TEXT_MAX,
    escape,
    safe_mrkdwn,
    truncate,
)
from storage.models import StandupAnswer

RITUAL_MODAL = "ritual_modal"
AGENDA_MODAL = "ritual_agenda_modal"
NOTES_MODAL = "ritual_notes_modal"
STANDUP_MODAL = "standup_modal"
ACTION_RSVP = "ritual_rsvp"
ACTION_AGENDA = "ritual_agenda_open"
ACTION_NOTES = "ritual_notes_open"
ACTION_STANDUP = "standup_open"
VALUE = "value"

RITUAL_USAGE = Usage(
    command="/ritual",
    summary="schedule standups, syncs, workshops, brainstorms, retros and reviews",
    forms=(
        (
            'add <kind> "<title>" <when> [in #channel] [with @a @b] [for 45m] [tz:Europe/Berlin]',
            f"schedule one ({', '.join(KINDS)})",
        ),
        ("add", "open a form"),
        ("list", "the team's rituals"),
        ("next", "what comes next, in your time"),
        ("pause|resume|cancel R-3", "stop or restart one (its creator or ops)"),
        ("edit R-3", "change one in a form"),
        ("help", "show this card"),
    ),
    examples=(
        'add standup "Squad standup" every weekday at 9:30 with @ann @bob for 2h',
        'add workshop "Pricing discovery" on 2026-12-03 15:00 for 90m with @ann @bob',
        'add retro "Sprint retro" every 2 weeks on fri at 16:00 in #squad-a',
        'add sync "Roadmap sync" monthly on the first mon at 10:00 tz:Europe/Berlin',
        'add review "Metrics review" cron:"30 9 * * 1-5"',
    ),
    notes=(
        "When: every weekday at 9:30 · every mon,wed at 10am · daily at 8 · every 2 weeks on "
        "fri at 16:00 · monthly on the first mon at 10:00 · on 2026-12-03 15:00 · tomorrow at "
        '3pm · cron:"30 9 * * 1-5". Times are in your Slack timezone unless tz: says otherwise.',
        "Scheduling in a channel is for ops; anyone can schedule in a DM with the bot.",
    ),
)

KIND_EMOJI = {
    "standup": ":sunrise:",
    "sync": ":arrows_counterclockwise:",
    "workshop": ":hammer_and_wrench:",
    "brainstorm": ":bulb:",
    "retro": ":mirror:",
    "review": ":mag:",
    "custom": ":calendar:",
}
RSVP_LABELS = {"going": "Going", "maybe": "Maybe", "cant": "Can't"}


def when(at: datetime, tz: str) -> str:
    """An instant in a person's or ritual's timezone: Thu 3 Dec 2026, 15:00 (Europe/Berlin)."""
    local = at.astimezone(ZoneInfo(tz))
    return f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M} ({tz})"


def _people(names: Mapping[str, str], ids: Sequence[str], limit: int = 20) -> str:
    shown = ", ".join(escape(names.get(i, i)) for i in ids[:limit])
    more = len(ids) - limit
    return shown + (f" and {more} more" if more > 0 else "")


def _title(info: RitualInfo) -> str:
    return f"{KIND_EMOJI.get(info.kind, '')} *{escape(info.title)}*"


# ---------------------------------------------------------------------------- commands


def build_ritual_created(
    info: RitualInfo, upcoming: Sequence[datetime], *, viewer_tz: str, verb: str = "Scheduled"
) -> dict[str, Any]:
    """The confirmation: what, where, and the next three times in the creator's time."""
    times = "\n".join(f"• {when(at, viewer_tz)}" for at in upcoming[:3])
    where = f"<#{info.channel_id}>" if info.channel_id.startswith(("C", "G")) else "this DM"
    lines = [
        f":white_check_mark: {verb} *{info.key}* {_title(info)} ({info.kind}) "
        f"{escape(info.schedule)} in {where}, {info.duration_minutes} min."
    ]
    if info.tz != viewer_tz:
        lines.append(f"Its times follow {escape(info.tz)}.")
    lines.append(f"*Next*\n{times}")
    return {
        "text": f"{verb} {info.key} {escape(info.title)}",
        "blocks": [_section("\n".join(lines))],
    }


def build_ritual_list(rituals: Sequence[RitualInfo], *, viewer_tz: str) -> dict[str, Any]:
    """`/ritual list`."""
    blocks: list[dict[str, Any]] = [_section("*Rituals*")]
    if not rituals:
        blocks.append(
            _context('None yet. Try `/ritual add standup "Standup" every weekday at 9:30`.')
        )
    for info in rituals[:45]:
        state = (
            "paused"
            if info.status == "paused"
            else (f"next {when(info.next_at, viewer_tz)}" if info.next_at else "no next time")
        )
        blocks.append(
            _section(
                f"*{info.key}* {_title(info)} · {escape(info.schedule)} · "
                f"<#{info.channel_id}> · {state}"
            )
        )
    return {"text": "Rituals", "blocks": blocks[:50]}


def build_upcoming(
    pairs: Sequence[tuple[RitualInfo, datetime]], *, viewer_tz: str
) -> dict[str, Any]:
    """`/ritual next`: the next occurrences in the viewer's time."""
    lines = [f"• {when(at, viewer_tz)}: *{info.key}* {_title(info)}" for info, at in pairs]
    body = "\n".join(lines) if lines else "Nothing scheduled in the next two weeks."
    return {"text": "Coming up", "blocks": [_section(f"*Coming up*\n{body}")]}


# ---------------------------------------------------------------------------- occurrences


def build_occurrence_message(
    occurrence: OccurrenceInfo, names: Mapping[str, str]
) -> dict[str, Any]:
    """The post at an occurrence; RSVP counts and names update in place."""
    info = occurrence.ritual
    end = occurrence.scheduled_at + timedelta(minutes=info.duration_minutes)
    blocks: list[dict[str, Any]] = [
        _section(
            f"{_title(info)}\n{when(occurrence.scheduled_at, info.tz)} · "
            f"{info.duration_minutes} min · {info.key}"
        ),
    ]
    if info.agenda:
        blocks.append(_section(f"*Agenda*\n{safe_mrkdwn(info.agenda)}"))
    if occurrence.agenda_items:
        items = "\n".join(
            f"• {safe_mrkdwn(text)} ({escape(names.get(user, user))})"
            for user, text in occurrence.agenda_items[-20:]
        )
        blocks.append(_section(f"*Added to the agenda*\n{items}"))
    if info.participants:
        blocks.append(_context(f"Participants: {_people(names, info.participants)}"))
    if info.kind == "standup":
        blocks.append(
            _context(
                f"Standup: each participant gets a DM with the questions; the "
                f"report comes at {when(end, info.tz)}."
            )
        )
    if info.kind in RSVP_KINDS:
        counts = " · ".join(
            f"*{RSVP_LABELS[a]}* {len(occurrence.rsvps.get(a, ()))}"
            + (f": {_people(names, occurrence.rsvps[a], 10)}" if occurrence.rsvps.get(a) else "")
            for a in RSVP_LABELS
        )
        blocks.append(_section(counts))
        blocks.append(
            {
                "type": "actions",
                "block_id": f"rsvp:{occurrence.id}",
                "elements": [
                    _button("Going", ACTION_RSVP, f"{occurrence.id}:going", "primary"),
                    _button("Maybe", ACTION_RSVP, f"{occurrence.id}:maybe"),
                    _button("Can't", ACTION_RSVP, f"{occurrence.id}:cant"),
                    _button("Add agenda item", ACTION_AGENDA, str(occurrence.id)),
                ],
            }
        )
    if occurrence.notes:
        blocks.append(_section(f"*Notes & outcomes*\n{safe_mrkdwn(occurrence.notes)}"))
    return {
        "text": f"{escape(info.title)}: {when(occurrence.scheduled_at, info.tz)}",
        "blocks": blocks,
    }


def build_reminder(info: RitualInfo, at: datetime) -> dict[str, Any]:
    """The reminder before an occurrence."""
    minutes = info.reminder_minutes
    lead = f"{minutes // 60} hours" if minutes >= 120 else f"{minutes} minutes"
    text = f":alarm_clock: Reminder: {_title(info)} starts in {lead}, at {when(at, info.tz)}."
    return {"text": text.replace("*", ""), "blocks": [_section(text)]}


def build_followup(occurrence: OccurrenceInfo) -> dict[str, Any]:
    """After a workshop or brainstorm: ask for notes and outcomes."""
    text = f"How did {_title(occurrence.ritual)} go? Capture notes and outcomes for the team."
    if occurrence.notes:
        text = f"*Notes & outcomes* of {_title(occurrence.ritual)}\n{safe_mrkdwn(occurrence.notes)}"
    return {
        "text": f"Notes & outcomes: {escape(occurrence.ritual.title)}",
        "blocks": [
            _section(text),
            {
                "type": "actions",
                "block_id": f"notes:{occurrence.id}",
                "elements": [_button("Add notes & outcomes", ACTION_NOTES, str(occurrence.id))],
            },
        ],
    }


def build_standup_dm(occurrence: OccurrenceInfo) -> dict[str, Any]:
    """The DM each standup participant gets."""
    info = occurrence.ritual
    end = occurrence.scheduled_at + timedelta(minutes=info.duration_minutes)
    return {
        "text": f"Standup: {escape(info.title)}",
        "blocks": [
            _section(
                f":sunrise: Time for {_title(info)}. Answer by {when(end, info.tz)}; the report "
                f"goes to <#{info.channel_id}>."
            ),
            {
                "type": "actions",
                "block_id": f"standup:{occurrence.id}",
                "elements": [
                    _button("Answer standup", ACTION_STANDUP, str(occurrence.id), "primary")
                ],
            },
        ],
    }


def build_standup_report(
    occurrence: OccurrenceInfo,
    answers: Sequence[StandupAnswer],
    missing: Sequence[str],
    names: Mapping[str, str],
) -> dict[str, Any]:
    """One compiled report; people who did not answer are listed by name, never pinged."""
    info = occurrence.ritual
    blocks: list[dict[str, Any]] = [
        _section(f"{_title(info)} · {when(occurrence.scheduled_at, info.tz)}")
    ]
    for answer in answers[:40]:
        parts = [f"*{escape(names.get(answer.user_id, answer.user_id))}*"]
        for label, text in (
            ("Yesterday", answer.yesterday),
            ("Today", answer.today),
            ("Blockers", answer.blockers),
        ):
            if text:
                parts.append(f"_{label}:_ {safe_mrkdwn(text)}")
        blocks.append(_section("\n".join(parts)))
    if not answers:
        blocks.append(_context("Nobody answered this time."))
    if missing:
        blocks.append(_context(f"No answer from {_people(names, missing)}."))
    return {"text": f"Standup report: {escape(info.title)}", "blocks": blocks[:50]}


# ---------------------------------------------------------------------------- forms


def _input(
    block_id: str,
    label: str,
    *,
    value: str | None = None,
    multiline: bool = False,
    optional: bool = False,
    placeholder: str = "",
    max_length: int = 200,
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": VALUE,
        "multiline": multiline,
        "max_length": max_length,
    }
    if value:
        element["initial_value"] = value[:max_length]
    if placeholder:
        element["placeholder"] = _plain(placeholder, 150)
    return {
        "type": "input",
        "block_id": block_id,
        "label": _plain(label, 2000),
        "optional": optional,
        "element": element,
    }


def build_ritual_modal(
    *, metadata: Mapping[str, Any], info: RitualInfo | None = None, channel_id: str | None = None
) -> dict[str, Any]:
    """The add/edit form: kind, title, schedule, channel, participants, agenda, duration."""
    kinds = [{"text": _plain(k, OPTION_TEXT_MAX), "value": k} for k in KINDS]
    kind = {
        "type": "static_select",
        "action_id": VALUE,
        "options": kinds,
        "initial_option": next(
            o for o in kinds if o["value"] == (info.kind if info else "standup")
        ),
    }
    channel: dict[str, Any] = {
        "type": "conversations_select",
        "action_id": VALUE,
        "default_to_current_conversation": True,
    }
    if info or channel_id:
        channel["initial_conversation"] = info.channel_id if info else channel_id
    people: dict[str, Any] = {"type": "multi_users_select", "action_id": VALUE}
    if info and info.participants:
        people["initial_users"] = list(info.participants)
    title = f"Edit {info.key}" if info else "Schedule a ritual"
    return {
        "type": "modal",
        "callback_id": RITUAL_MODAL,
        "title": _plain(title, 24),
        "submit": _plain("Save", 24),
        "close": _plain("Cancel", 24),
        "private_metadata": _metadata(metadata),
        "blocks": [
            {"type": "input", "block_id": "r_kind", "label": _plain("Kind", 2000), "element": kind},
            _input(
                "r_title",
                "Title",
                value=info.title if info else None,
                placeholder="Squad standup",
                max_length=TITLE_MAX,
            ),
            _input(
                "r_when",
                "When",
                value=info.schedule if info else None,
                placeholder="every weekday at 9:30",
                max_length=300,
            ),
            {
                "type": "input",
                "block_id": "r_channel",
                "label": _plain("Channel", 2000),
                "element": channel,
            },
            {
                "type": "input",
                "block_id": "r_people",
                "label": _plain("Participants", 2000),
                "optional": True,
                "element": people,
            },
            _input(
                "r_duration",
                "Duration",
                value=f"{info.duration_minutes}m" if info else None,
                optional=True,
                placeholder="45m",
                max_length=10,
            ),
            _input(
                "r_agenda",
                "Agenda",
                value=info.agenda if info else None,
                multiline=True,
                optional=True,
                max_length=2900,
            ),
        ],
    }


def build_text_modal(
    *,
    callback_id: str,
    title: str,
    label: str,
    metadata: Mapping[str, Any],
    value: str | None = None,
    max_length: int = 500,
) -> dict[str, Any]:
    """A one-field form: an agenda item, notes and outcomes."""
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": _plain(title, 24),
        "submit": _plain("Save", 24),
        "close": _plain("Cancel", 24),
        "private_metadata": _metadata(metadata),
        "blocks": [_input("text", label, value=value, multiline=True, max_length=max_length)],
    }


def build_standup_modal(occurrence: OccurrenceInfo) -> dict[str, Any]:
    """The three standup questions."""
    return {
        "type": "modal",
        "callback_id": STANDUP_MODAL,
        "title": _plain("Standup", 24),
        "submit": _plain("Send", 24),
        "close": _plain("Cancel", 24),
        "private_metadata": _metadata({"occurrence_id": occurrence.id}),
        "blocks": [
            _context(truncate(occurrence.ritual.title, 200)),
            _input("yesterday", "What did you do yesterday?", multiline=True, max_length=2000),
            _input("today", "What will you do today?", multiline=True, max_length=2000),
            _input(
                "blockers", "Anything blocking you?", multiline=True, optional=True, max_length=2000
            ),
        ],
    }
