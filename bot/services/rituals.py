"""Rituals: read `/ritual add`, keep the schedule, and decide what each clock tick does.

Plain functions on a Session with team ids, values and `now`. Occurrence times come from
`bot.schedule` (pure); the clock only calls `due_work` and the `start_*` functions here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.grammar import (
    ChannelMention,
    CommandParseError,
    KeyValue,
    Quoted,
    Token,
    UserMention,
    Word,
    parse_duration,
)
from bot.logs import get_logger
from bot.schedule import Rule, describe, known_zone, next_occurrences, parse_schedule
from storage import feedback as counters
from storage import rituals as store
from storage.models import Ritual, RitualOccurrence, StandupAnswer

log = get_logger(__name__)

KINDS = ("standup", "sync", "workshop", "brainstorm", "retro", "review", "custom")
RSVP_KINDS = ("workshop", "brainstorm")
RSVP_ANSWERS = ("going", "maybe", "cant")
TITLE_MAX = 200
AGENDA_MAX = 2900
PARTICIPANTS_MAX = 50
DEFAULT_DURATION = {"standup": 120, "workshop": 90, "brainstorm": 60, "retro": 60}
DEFAULT_REMINDER = {"workshop": 24 * 60}


class RitualNotFound(LookupError):
    """No ritual with this number in this team."""

    def __init__(self, number: int) -> None:
        super().__init__(f"R-{number} does not exist in this workspace")


@dataclass(frozen=True)
class RitualDraft:
    """What `/ritual add` (or the form) asked for."""

    kind: str
    title: str
    when: str
    channel_id: str
    participants: tuple[str, ...] = ()
    duration_minutes: int | None = None
    tz: str | None = None
    agenda: str | None = None


@dataclass(frozen=True)
class RitualInfo:
    """A ritual as the rest of the bot sees it."""

    number: int
    kind: str
    title: str
    schedule: str
    tz: str
    channel_id: str
    participants: tuple[str, ...]
    agenda: str | None
    duration_minutes: int
    reminder_minutes: int
    creator_id: str
    status: str
    next_at: datetime | None
    rule: Rule

    @property
    def key(self) -> str:
        """The id people type: R-3."""
        return f"R-{self.number}"


@dataclass(frozen=True)
class OccurrenceInfo:
    """An occurrence with what its message shows."""

    id: int
    ritual: RitualInfo
    scheduled_at: datetime
    channel_id: str | None
    message_ts: str | None
    rsvps: dict[str, tuple[str, ...]]
    agenda_items: tuple[tuple[str, str], ...]
    notes: str | None


# ---------------------------------------------------------------------------- reading text


def parse_add(tokens: list[Token], *, default_channel: str) -> RitualDraft:
    """`<kind> "<title>" <when> [in #channel] [with @a @b] [for 45m] [tz:...] [agenda:"..."]`."""
    if not tokens or not isinstance(tokens[0], Word) or tokens[0].text.lower() not in KINDS:
        got = tokens[0].raw if tokens else ""
        raise CommandParseError(f"the kind must be one of {', '.join(KINDS)}", got)
    kind = tokens[0].text.lower()
    if len(tokens) < 2 or not isinstance(tokens[1], Quoted) or not tokens[1].text.strip():
        raise CommandParseError(
            'the title goes in quotes, like "Squad standup"',
            tokens[1].raw if len(tokens) > 1 else "",
        )
    title = tokens[1].text.strip()
    if len(title) > TITLE_MAX:
        raise CommandParseError(f"a title can be at most {TITLE_MAX} characters", title[:40])
    when: list[str] = []
    channel = default_channel
    participants: list[str] = []
    duration: int | None = None
    tz: str | None = None
    agenda: str | None = None
    rest = tokens[2:]
    i = 0
    while i < len(rest):
        token = rest[i]
        word = token.text.lower() if isinstance(token, Word) else None
        if word == "in" and i + 1 < len(rest) and isinstance(rest[i + 1], ChannelMention):
            channel = rest[i + 1].channel_id  # type: ignore[union-attr]
            i += 2
            continue
        if word == "with":
            i += 1
            while i < len(rest) and isinstance(rest[i], UserMention):
                participants.append(rest[i].user_id)  # type: ignore[union-attr]
                i += 1
            if not participants:
                raise CommandParseError("`with` needs people, like with @ann @bob", "with")
            continue
        if word == "for" and i + 1 < len(rest) and isinstance(rest[i + 1], Word):
            minutes = int(parse_duration(rest[i + 1].text).total_seconds() // 60)  # type: ignore[union-attr]
            if not 5 <= minutes <= 24 * 60:
                raise CommandParseError("a ritual lasts from 5m to 24h", rest[i + 1].raw)
            duration = minutes
            i += 2
            continue
        if isinstance(token, KeyValue) and token.key == "tz":
            tz = check_timezone(token.value)
        elif isinstance(token, KeyValue) and token.key == "agenda":
            agenda = token.value.strip()[:AGENDA_MAX] or None
        elif isinstance(token, UserMention | ChannelMention):
            raise CommandParseError("put people after `with` and the channel after `in`", token.raw)
        else:
            when.append(
                token.raw
                if isinstance(token, KeyValue) and token.key == "cron"
                else getattr(token, "text", token.raw)
            )
        i += 1
    if not when:
        raise CommandParseError("when should it happen? e.g. every weekday at 9:30", title[:40])
    if len(set(participants)) > PARTICIPANTS_MAX:
        raise CommandParseError(f"at most {PARTICIPANTS_MAX} participants", "with")
    return RitualDraft(
        kind=kind,
        title=title,
        when=" ".join(when),
        channel_id=channel,
        participants=tuple(dict.fromkeys(participants)),
        duration_minutes=duration,
        tz=tz,
        agenda=agenda,
    )


def check_timezone(name: str) -> str:
    """An IANA timezone name, or a parse error quoting it."""
    if known_zone(name) is None:
        raise CommandParseError("unknown timezone, use an IANA name like Europe/Berlin", name)
    return name


def parse_number(text: str) -> int:
    """`R-3`, `r3` or `3` -> 3."""
    cleaned = text.strip().lower().removeprefix("r").removeprefix("-")
    if not cleaned.isdigit() or len(cleaned) > 9:
        raise CommandParseError("expected a ritual id like R-3", text[:40])
    return int(cleaned)


# ---------------------------------------------------------------------------- commands


def create_ritual(
    *,
    session: Session,
    team_id: str,
    creator_id: str,
    draft: RitualDraft,
    tz: str,
    now: datetime,
) -> tuple[RitualInfo, list[datetime]]:
    """Store a ritual and return it with its next three occurrences."""
    zone = draft.tz or tz
    rule = parse_schedule(draft.when, now=now, tz=zone)
    upcoming = next_occurrences(rule, zone, now, 3)
    if not upcoming:
        raise CommandParseError("that schedule has no future occurrence", draft.when[:40])
    ritual = Ritual(
        team_id=team_id,
        number=counters.next_number(session=session, team_id=team_id, name="ritual"),
        kind=draft.kind,
        title=draft.title,
        rule_json=rule.to_json(),
        rule_text=draft.when[:300],
        tz=zone,
        channel_id=draft.channel_id,
        participants=json.dumps(list(draft.participants)),
        agenda=draft.agenda,
        duration_minutes=draft.duration_minutes or DEFAULT_DURATION.get(draft.kind, 30),
        reminder_minutes=DEFAULT_REMINDER.get(draft.kind, 15),
        creator_id=creator_id,
        created_at=now,
        next_at=upcoming[0],
    )
    session.add(ritual)
    session.flush()
    schedule_reminder(session=session, ritual=ritual, now=now)
    return to_info(ritual), upcoming


def get_ritual(*, session: Session, team_id: str, number: int) -> RitualInfo:
    """R-<number> of this team."""
    return to_info(_ritual(session, team_id, number))


def list_rituals(*, session: Session, team_id: str) -> list[RitualInfo]:
    """The team's active and paused rituals, soonest first."""
    rows = store.rituals_of(session=session, team_id=team_id, statuses=("active", "paused"))
    return [to_info(r) for r in rows]


def upcoming(
    *, session: Session, team_id: str, now: datetime, limit: int = 10, days: int = 14
) -> list[tuple[RitualInfo, datetime]]:
    """The team's next occurrences across active rituals within `days`, soonest first."""
    found: list[tuple[RitualInfo, datetime]] = []
    horizon = now + timedelta(days=days)
    for row in store.rituals_of(session=session, team_id=team_id, statuses=("active",)):
        info = to_info(row)
        start = (row.next_at - timedelta(seconds=1)) if row.next_at else now
        for at in next_occurrences(info.rule, info.tz, start, limit):
            if at <= horizon:
                found.append((info, at))
    return sorted(found, key=lambda pair: pair[1])[:limit]


def set_status(
    *, session: Session, team_id: str, number: int, action: str, now: datetime
) -> RitualInfo:
    """pause, resume or cancel a ritual."""
    row = _ritual(session, team_id, number)
    if row.status == "cancelled":
        raise CommandParseError(f"R-{number} was cancelled; add it again instead", action)
    if action == "pause":
        row.status = "paused"
    elif action == "cancel":
        row.status = "cancelled"
        row.next_at = None
    elif action == "resume":
        row.status = "active"
        rule = Rule.from_json(row.rule_json)
        following = next_occurrences(rule, row.tz, now, 1)
        row.next_at = following[0] if following else None
        if row.next_at is not None:
            schedule_reminder(session=session, ritual=row, now=now)
    session.add(row)
    session.flush()
    return to_info(row)


def update_ritual(
    *, session: Session, team_id: str, number: int, draft: RitualDraft, now: datetime
) -> tuple[RitualInfo, list[datetime]]:
    """Change a ritual from the edit form; the schedule is read again."""
    row = _ritual(session, team_id, number)
    zone = draft.tz or row.tz
    rule = parse_schedule(draft.when, now=now, tz=zone)
    following = next_occurrences(rule, zone, now, 3)
    row.title, row.kind, row.tz = draft.title, draft.kind, zone
    row.rule_json, row.rule_text = rule.to_json(), draft.when[:300]
    row.channel_id = draft.channel_id
    row.participants = json.dumps(list(draft.participants))
    row.agenda = draft.agenda
    if draft.duration_minutes:
        row.duration_minutes = draft.duration_minutes
    if row.status == "active":
        row.next_at = following[0] if following else None
        if row.next_at is not None:
            schedule_reminder(session=session, ritual=row, now=now)
    session.add(row)
    session.flush()
    return to_info(row), following


# ---------------------------------------------------------------------------- the clock


@dataclass(frozen=True)
class Fired:
    """An occurrence this process now owns: post it."""

    occurrence_id: int
    ritual: RitualInfo
    scheduled_at: datetime


def start_occurrence(
    *, session: Session, ritual_id: int, scheduled_at: datetime, now: datetime, grace: timedelta
) -> Fired | None:
    """Claim the occurrence at `scheduled_at` (once across processes) and move the ritual on.

    Missed by more than `grace` (the bot was down): skipped and logged, not posted.
    """
    row = store.get_ritual_by_id(session=session, ritual_id=ritual_id)
    if row is None or row.status != "active" or row.next_at != scheduled_at:
        return None
    rule = Rule.from_json(row.rule_json)
    late = now - scheduled_at > grace
    occurrence_id = store.claim_occurrence(
        session=session,
        team_id=row.team_id,
        ritual_id=ritual_id,
        scheduled_at=scheduled_at,
        status="skipped" if late else "posting",
    )
    # The next one after the later of `scheduled_at` and what grace still allows.
    after = max(scheduled_at, now - grace) if late else scheduled_at
    following = next_occurrences(rule, row.tz, after, 1)
    if not store.advance(
        session=session,
        ritual_id=ritual_id,
        from_at=scheduled_at,
        to_at=following[0] if following else None,
    ):
        return None
    session.refresh(row)
    if following:
        schedule_reminder(session=session, ritual=row, now=now)
    if occurrence_id is None:
        return None
    if late:
        log.warning(
            "occurrence_skipped",
            team=row.team_id,
            ritual=ritual_id,
            scheduled_at=scheduled_at.isoformat(),
            late_seconds=(now - scheduled_at).total_seconds(),
        )
        return None
    end = scheduled_at + timedelta(minutes=row.duration_minutes)
    payload = json.dumps({"occurrence_id": occurrence_id})
    if row.kind == "standup":
        store.add_task(
            session=session,
            team_id=row.team_id,
            key=f"standup_report:{occurrence_id}",
            kind="standup_report",
            run_at=end,
            payload=payload,
            now=now,
        )
    elif row.kind in RSVP_KINDS:
        store.add_task(
            session=session,
            team_id=row.team_id,
            key=f"followup:{occurrence_id}",
            kind="followup",
            run_at=end,
            payload=payload,
            now=now,
        )
    return Fired(occurrence_id=occurrence_id, ritual=to_info(row), scheduled_at=scheduled_at)


def schedule_reminder(*, session: Session, ritual: Ritual, now: datetime) -> None:
    """A reminder task before the ritual's next occurrence (if that is still ahead)."""
    if ritual.next_at is None or ritual.id is None or ritual.kind == "standup":
        return
    run_at = ritual.next_at - timedelta(minutes=ritual.reminder_minutes)
    if run_at <= now:
        return
    store.add_task(
        session=session,
        team_id=ritual.team_id,
        key=f"reminder:{ritual.id}:{ritual.next_at.isoformat()}",
        kind="reminder",
        run_at=run_at,
        payload=json.dumps({"ritual_id": ritual.id, "at": ritual.next_at.isoformat()}),
        now=now,
    )


def reminder_target(*, session: Session, ritual_id: int, at: datetime) -> RitualInfo | None:
    """The ritual a reminder is for, if it is still on at `at`."""
    row = store.get_ritual_by_id(session=session, ritual_id=ritual_id)
    if row is None or row.status != "active" or row.next_at != at:
        return None
    return to_info(row)


def occurrence_posted(
    *, session: Session, team_id: str, occurrence_id: int, channel_id: str, ts: str, now: datetime
) -> None:
    """Remember where an occurrence was posted."""
    row = store.get_occurrence(session=session, team_id=team_id, occurrence_id=occurrence_id)
    if row is not None:
        row.channel_id, row.message_ts, row.status, row.posted_at = channel_id, ts, "posted", now
        session.add(row)


# ---------------------------------------------------------------------------- occurrences


def get_occurrence(*, session: Session, team_id: str, occurrence_id: int) -> OccurrenceInfo:
    """An occurrence with its RSVPs, agenda items and notes."""
    row = store.get_occurrence(session=session, team_id=team_id, occurrence_id=occurrence_id)
    if row is None:
        raise LookupError("that occurrence does not exist any more")
    return _occurrence(session, row)


def rsvp(
    *,
    session: Session,
    team_id: str,
    occurrence_id: int,
    user_id: str,
    answer: str,
    now: datetime,
    clicked_at: datetime | None = None,
) -> OccurrenceInfo:
    """Going, maybe or can't: one answer per person, the last one clicked wins.

    `clicked_at` (Slack's action_ts) orders the clicks: two quick clicks can be handled in
    either order, by two processes, and the earlier one must not have the last word."""
    if answer not in RSVP_ANSWERS:
        raise CommandParseError("answer going, maybe or cant", answer)
    get_occurrence(session=session, team_id=team_id, occurrence_id=occurrence_id)
    store.set_rsvp(
        session=session,
        team_id=team_id,
        occurrence_id=occurrence_id,
        user_id=user_id,
        answer=answer,
        at=clicked_at or now,
    )
    return get_occurrence(session=session, team_id=team_id, occurrence_id=occurrence_id)


def add_agenda_item(
    *,
    session: Session,
    team_id: str,
    occurrence_id: int,
    user_id: str,
    text: str,
    now: datetime,
) -> OccurrenceInfo:
    """Add an item to the agenda of an occurrence."""
    text = text.strip()
    if not text:
        raise CommandParseError("an agenda item needs some text", "")
    store.add_agenda_item(
        session=session,
        team_id=team_id,
        occurrence_id=occurrence_id,
        user_id=user_id,
        text=text[:500],
        at=now,
    )
    return get_occurrence(session=session, team_id=team_id, occurrence_id=occurrence_id)


def save_notes(*, session: Session, team_id: str, occurrence_id: int, notes: str) -> OccurrenceInfo:
    """Notes and outcomes of an occurrence (replacing earlier ones)."""
    row = store.get_occurrence(session=session, team_id=team_id, occurrence_id=occurrence_id)
    if row is None:
        raise LookupError("that occurrence does not exist any more")
    row.notes = notes.strip()[:AGENDA_MAX] or None
    session.add(row)
    session.flush()
    return _occurrence(session, row)


def answer_standup(
    *,
    session: Session,
    team_id: str,
    occurrence_id: int,
    user_id: str,
    yesterday: str,
    today: str,
    blockers: str,
    now: datetime,
) -> None:
    """Record a participant's standup answer (again: it replaces the first)."""
    get_occurrence(session=session, team_id=team_id, occurrence_id=occurrence_id)
    store.save_standup_answer(
        session=session,
        answer=StandupAnswer(
            team_id=team_id,
            occurrence_id=occurrence_id,
            user_id=user_id,
            yesterday=yesterday.strip()[:2000],
            today=today.strip()[:2000],
            blockers=blockers.strip()[:2000],
            at=now,
        ),
    )


def standup_report(
    *, session: Session, team_id: str, occurrence_id: int
) -> tuple[OccurrenceInfo, list[StandupAnswer], list[str]]:
    """The answers of a standup and who did not answer."""
    occurrence = get_occurrence(session=session, team_id=team_id, occurrence_id=occurrence_id)
    answers = store.standup_answers(session=session, team_id=team_id, occurrence_id=occurrence_id)
    answered = {a.user_id for a in answers}
    missing = [p for p in occurrence.ritual.participants if p not in answered]
    return occurrence, answers, missing


# ---------------------------------------------------------------------------- helpers


def _ritual(session: Session, team_id: str, number: int) -> Ritual:
    row = store.get_ritual(session=session, team_id=team_id, number=number)
    if row is None:
        raise RitualNotFound(number)
    return row


def to_info(row: Ritual) -> RitualInfo:
    """The domain view of a ritual row."""
    rule = Rule.from_json(row.rule_json)
    return RitualInfo(
        number=row.number,
        kind=row.kind,
        title=row.title,
        schedule=describe(rule),
        tz=row.tz,
        channel_id=row.channel_id,
        participants=tuple(json.loads(row.participants or "[]")),
        agenda=row.agenda,
        duration_minutes=row.duration_minutes,
        reminder_minutes=row.reminder_minutes,
        creator_id=row.creator_id,
        status=row.status,
        next_at=row.next_at,
        rule=rule,
    )


def _occurrence(session: Session, row: RitualOccurrence) -> OccurrenceInfo:
    assert row.id is not None
    ritual = store.get_ritual_by_id(session=session, ritual_id=row.ritual_id)
    assert ritual is not None
    answers: dict[str, list[str]] = {a: [] for a in RSVP_ANSWERS}
    for r in store.rsvps_of(session=session, team_id=row.team_id, occurrence_id=row.id):
        answers.setdefault(r.answer, []).append(r.user_id)
    agenda = tuple(
        (a.user_id, a.text)
        for a in store.agenda_of(session=session, team_id=row.team_id, occurrence_id=row.id)
    )
    return OccurrenceInfo(
        id=row.id,
        ritual=to_info(ritual),
        scheduled_at=row.scheduled_at,
        channel_id=row.channel_id,
        message_ts=row.message_ts,
        rsvps={k: tuple(v) for k, v in answers.items()},
        agenda_items=agenda,
        notes=row.notes,
    )
