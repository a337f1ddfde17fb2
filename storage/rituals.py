"""Rituals, their occurrences, RSVPs, agenda items, standup answers, and scheduled tasks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from storage.db import insert_into, insert_new
from storage.installs import team_is_active
from storage.models import (
    Ritual,
    RitualAgendaItem,
    RitualOccurrence,
    RitualRsvp,
    ScheduledTask,
    StandupAnswer,
)


def get_ritual(*, session: Session, team_id: str, number: int) -> Ritual | None:
    """Ritual R-<number> of this team."""
    return session.exec(
        select(Ritual).where(Ritual.team_id == team_id, Ritual.number == number)
    ).first()


def get_ritual_by_id(*, session: Session, ritual_id: int) -> Ritual | None:
    """A ritual by its row id (the clock passes ids, never objects)."""
    return session.get(Ritual, ritual_id)


def rituals_of(*, session: Session, team_id: str, statuses: Sequence[str]) -> list[Ritual]:
    """The team's rituals in these states, soonest first."""
    return list(
        session.exec(
            select(Ritual)
            .where(Ritual.team_id == team_id, col(Ritual.status).in_(list(statuses)))
            .order_by(col(Ritual.next_at).is_(None), col(Ritual.next_at), col(Ritual.number))
        )
    )


def due_rituals(
    *, session: Session, before: datetime, limit: int = 10000
) -> list[tuple[int, datetime]]:
    """(id, next_at) of active rituals of every team due before `before` (indexed)."""
    rows = session.exec(
        select(Ritual.id, Ritual.next_at)
        .where(
            Ritual.status == "active",
            col(Ritual.next_at) <= before,
            team_is_active(Ritual.team_id),
        )
        .order_by(col(Ritual.next_at))
        .limit(limit)
    )
    return [(int(i), at) for i, at in rows if i is not None and at is not None]


def claim_occurrence(
    *, session: Session, team_id: str, ritual_id: int, scheduled_at: datetime, status: str
) -> int | None:
    """Insert the occurrence row; its id the first time, None when another process won."""
    result = insert_new(
        session,
        RitualOccurrence,
        dict(team_id=team_id, ritual_id=ritual_id, scheduled_at=scheduled_at, status=status),
        ["ritual_id", "scheduled_at"],
    )
    if not result:
        return None
    found = session.exec(
        select(RitualOccurrence.id).where(
            RitualOccurrence.ritual_id == ritual_id, RitualOccurrence.scheduled_at == scheduled_at
        )
    ).one()
    return int(found) if found is not None else None


def advance(*, session: Session, ritual_id: int, from_at: datetime, to_at: datetime | None) -> bool:
    """Move next_at on, only if it still is `from_at` (another clock may have moved it)."""
    result = session.execute(
        update(Ritual)
        .where(col(Ritual.id) == ritual_id, col(Ritual.next_at) == from_at)
        .values(next_at=to_at)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def get_occurrence(
    *, session: Session, team_id: str, occurrence_id: int
) -> RitualOccurrence | None:
    """An occurrence of this team."""
    found = session.get(RitualOccurrence, occurrence_id)
    return found if found is not None and found.team_id == team_id else None


def occurrences_between(
    *, session: Session, team_id: str, start: datetime, end: datetime
) -> list[RitualOccurrence]:
    """The team's occurrences in [start, end)."""
    return list(
        session.exec(
            select(RitualOccurrence)
            .where(
                RitualOccurrence.team_id == team_id,
                col(RitualOccurrence.scheduled_at) >= start,
                col(RitualOccurrence.scheduled_at) < end,
            )
            .order_by(col(RitualOccurrence.scheduled_at))
        )
    )


def set_rsvp(
    *, session: Session, team_id: str, occurrence_id: int, user_id: str, answer: str, at: datetime
) -> None:
    """Record (or change) a person's RSVP; an answer given before the stored one (`at`)
    changes nothing, however late it arrives."""
    statement = insert_into(session, RitualRsvp).values(
        team_id=team_id, occurrence_id=occurrence_id, user_id=user_id, answer=answer, at=at
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["occurrence_id", "user_id"],
            set_={"answer": statement.excluded.answer, "at": statement.excluded.at},
            where=col(RitualRsvp.at) <= statement.excluded.at,
        )
    )


def rsvps_of(*, session: Session, team_id: str, occurrence_id: int) -> list[RitualRsvp]:
    """Every RSVP of an occurrence, in answering order."""
    return list(
        session.exec(
            select(RitualRsvp)
            .where(RitualRsvp.team_id == team_id, RitualRsvp.occurrence_id == occurrence_id)
            .order_by(col(RitualRsvp.at), col(RitualRsvp.user_id))
        )
    )


def add_agenda_item(
    *, session: Session, team_id: str, occurrence_id: int, user_id: str, text: str, at: datetime
) -> None:
    """Add to an occurrence's agenda."""
    session.add(
        RitualAgendaItem(
            team_id=team_id, occurrence_id=occurrence_id, user_id=user_id, text=text, at=at
        )
    )


def agenda_of(*, session: Session, team_id: str, occurrence_id: int) -> list[RitualAgendaItem]:
    """An occurrence's added agenda items, oldest first."""
    return list(
        session.exec(
            select(RitualAgendaItem)
            .where(
                RitualAgendaItem.team_id == team_id,
                RitualAgendaItem.occurrence_id == occurrence_id,
            )
            .order_by(col(RitualAgendaItem.at), col(RitualAgendaItem.id))
        )
    )


def save_standup_answer(*, session: Session, answer: StandupAnswer) -> None:
    """Record (or replace) a participant's standup answer."""
    values = answer.model_dump()
    statement = insert_into(session, StandupAnswer).values(**values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["occurrence_id", "user_id"],
            set_={k: statement.excluded[k] for k in ("yesterday", "today", "blockers", "at")},
        )
    )


def standup_answers(*, session: Session, team_id: str, occurrence_id: int) -> list[StandupAnswer]:
    """Every answer of a standup occurrence."""
    return list(
        session.exec(
            select(StandupAnswer)
            .where(StandupAnswer.team_id == team_id, StandupAnswer.occurrence_id == occurrence_id)
            .order_by(col(StandupAnswer.at))
        )
    )


def add_task(
    *,
    session: Session,
    team_id: str,
    key: str,
    kind: str,
    run_at: datetime,
    payload: str,
    now: datetime,
) -> bool:
    """Schedule a one-off task; False if a task with this key exists already."""
    result = insert_new(
        session,
        ScheduledTask,
        dict(team_id=team_id, key=key, kind=kind, run_at=run_at, payload=payload, created_at=now),
        ["team_id", "key"],
    )
    return result


def due_tasks(*, session: Session, before: datetime, limit: int = 10000) -> list[ScheduledTask]:
    """Unclaimed tasks of every team due before `before`, oldest first."""
    return list(
        session.exec(
            select(ScheduledTask)
            .where(
                col(ScheduledTask.claimed_at).is_(None),
                col(ScheduledTask.run_at) <= before,
                team_is_active(ScheduledTask.team_id),
            )
            .order_by(col(ScheduledTask.run_at))
            .limit(limit)
        )
    )


def oldest_overdue(*, session: Session, now: datetime) -> datetime | None:
    """When the oldest work still waiting for the clock fell due (for /healthz), or None.

    That is the earliest `next_at` of an active ritual and `run_at` of an unclaimed task at
    or before `now`; two indexed MIN queries. Teams that removed the bot wait for nothing.
    """
    ritual = session.exec(
        select(func.min(Ritual.next_at)).where(
            Ritual.status == "active",
            col(Ritual.next_at) <= now,
            team_is_active(Ritual.team_id),
        )
    ).one()
    task = session.exec(
        select(func.min(ScheduledTask.run_at)).where(
            col(ScheduledTask.claimed_at).is_(None),
            col(ScheduledTask.run_at) <= now,
            team_is_active(ScheduledTask.team_id),
        )
    ).one()
    found = [at for at in (ritual, task) if at is not None]
    return min(found) if found else None


def claim_task(
    *, session: Session, team_id: str, key: str, at: datetime, outcome: str = "done"
) -> bool:
    """Claim a task for this process; False when another process (or a retry) had it."""
    result = session.execute(
        update(ScheduledTask)
        .where(
            col(ScheduledTask.team_id) == team_id,
            col(ScheduledTask.key) == key,
            col(ScheduledTask.claimed_at).is_(None),
        )
        .values(claimed_at=at, outcome=outcome)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
