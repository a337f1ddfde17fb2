"""Feedback rows: numbering per team, exactly-once inserts, look-ups."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.db import insert_into, insert_new
from storage.models import (
    Feedback,
    FeedbackEvent,
    FeedbackTag,
    FeedbackVote,
    LoopNotice,
    TeamSequence,
)


def next_number(*, session: Session, team_id: str, name: str) -> int:
    """Increment and return the team's counter `name` (row-locked, so safe across processes)."""
    session.execute(
        insert_into(session, TeamSequence)
        .values(team_id=team_id, name=name, value=0)
        .on_conflict_do_nothing(index_elements=["team_id", "name"])
    )
    result = session.execute(
        update(TeamSequence)
        .where(col(TeamSequence.team_id) == team_id, col(TeamSequence.name) == name)
        .values(value=col(TeamSequence.value) + 1)
        .returning(col(TeamSequence.value))
    )
    return int(result.scalar_one())


def insert_feedback(
    *,
    session: Session,
    team_id: str,
    reporter_id: str,
    text: str,
    tags: Sequence[str],
    created_at: datetime,
    channel_id: str | None = None,
    customer: str | None = None,
    area: str | None = None,
    urgency: str = "normal",
    source: str = "command",
    source_key: str | None = None,
    source_author_id: str | None = None,
    permalink: str | None = None,
    number_now: bool = True,
) -> tuple[Feedback, bool]:
    """Insert a feedback item; if `source_key` was seen before, return that one instead.

    Returns (item, created). The unique (team_id, source_key) constraint decides, never a
    prior read, so two deliveries of the same request racing each other create one row.
    With `number_now=False` the item gets a provisional number and the caller gives it its
    FB number with `assign_number` as the last step before the commit (see there).
    """
    try:
        with session.begin_nested():
            item = Feedback(
                team_id=team_id,
                number=provisional_number(),
                reporter_id=reporter_id,
                channel_id=channel_id,
                text=text,
                customer=customer,
                area=area,
                urgency=urgency,
                source=source,
                source_key=source_key,
                source_author_id=source_author_id,
                permalink=permalink,
                created_at=created_at,
            )
            session.add(item)
            session.flush()
            assert item.id is not None
            session.add_all(
                FeedbackTag(feedback_id=item.id, tag=tag, team_id=team_id)
                for tag in dict.fromkeys(tags)
            )
            session.flush()
    except IntegrityError:
        if source_key is None:
            raise
        existing = get_by_source_key(session=session, team_id=team_id, source_key=source_key)
        if existing is None:
            raise
        return existing, False
    if number_now:
        assign_number(session=session, item=item)
    return item, True


def provisional_number() -> int:
    """A negative stand-in, unique in practice, until `assign_number` gives the real one."""
    return -1 - secrets.randbelow(2**31 - 1)


def assign_number(*, session: Session, item: Feedback) -> int:
    """Give a new item its FB number from the team's counter.

    The counter's row stays locked until the commit, and every filing of the team waits for
    it: done last, it is held for two statements and the commit instead of the whole filing.
    """
    item.number = next_number(session=session, team_id=item.team_id, name="feedback")
    session.add(item)
    session.flush()
    return item.number


def get_by_source_key(*, session: Session, team_id: str, source_key: str) -> Feedback | None:
    """The item captured from `source_key` in this team, if any."""
    return session.exec(
        select(Feedback).where(Feedback.team_id == team_id, Feedback.source_key == source_key)
    ).first()


def get_by_number(
    *, session: Session, team_id: str, number: int, lock: bool = False
) -> Feedback | None:
    """FB-<number> of this team, if it exists; `lock` holds its row until the commit."""
    query = select(Feedback).where(Feedback.team_id == team_id, Feedback.number == number)
    return session.exec(query.with_for_update() if lock else query).first()


def tags_of(*, session: Session, team_id: str, feedback_id: int) -> list[str]:
    """The item's tags, alphabetically."""
    rows = session.exec(
        select(FeedbackTag.tag)
        .where(FeedbackTag.team_id == team_id, FeedbackTag.feedback_id == feedback_id)
        .order_by(col(FeedbackTag.tag))
    )
    return list(rows)


def count_feedback(*, session: Session, team_id: str) -> int:
    """How many items the team has."""
    return int(
        session.exec(
            select(func.count()).select_from(Feedback).where(Feedback.team_id == team_id)
        ).one()
    )


OPEN_STATUSES = ("new", "triaged", "planned", "in_progress")


def add_vote(
    *, session: Session, team_id: str, feedback_id: int, user_id: str, source: str, at: datetime
) -> bool:
    """Record a vote; False when this person already voted (the primary key decides)."""
    result = insert_new(
        session,
        FeedbackVote,
        dict(
            team_id=team_id, feedback_id=feedback_id, user_id=user_id, source=source, created_at=at
        ),
        ["feedback_id", "user_id"],
    )
    if result:
        _count_vote(session, feedback_id, 1)
    return result


def remove_vote(*, session: Session, team_id: str, feedback_id: int, user_id: str) -> bool:
    """Take a person's vote back; False when there was none."""
    result = session.execute(
        delete(FeedbackVote).where(
            col(FeedbackVote.team_id) == team_id,
            col(FeedbackVote.feedback_id) == feedback_id,
            col(FeedbackVote.user_id) == user_id,
        )
    )
    removed = bool(result.rowcount)  # type: ignore[attr-defined]
    if removed:
        _count_vote(session, feedback_id, -1)
    return removed


def _count_vote(session: Session, feedback_id: int, change: int) -> None:
    # An increment, not a recount: under PostgreSQL's READ COMMITTED a recount that waits
    # for another vote's row lock counts with its older snapshot and loses that vote.
    session.execute(
        update(Feedback)
        .where(col(Feedback.id) == feedback_id)
        .values(vote_count=col(Feedback.vote_count) + change)
    )


def voters_of(*, session: Session, team_id: str, feedback_id: int) -> list[str]:
    """Everyone who voted for the item (its reporter included), in voting order."""
    return list(
        session.exec(
            select(FeedbackVote.user_id)
            .where(FeedbackVote.team_id == team_id, FeedbackVote.feedback_id == feedback_id)
            .order_by(col(FeedbackVote.created_at), col(FeedbackVote.user_id))
        )
    )


def add_event(
    *,
    session: Session,
    team_id: str,
    feedback_id: int,
    at: datetime,
    kind: str,
    actor_id: str | None = None,
    from_value: str | None = None,
    to_value: str | None = None,
    text: str | None = None,
) -> None:
    """Append to the item's history."""
    session.add(
        FeedbackEvent(
            team_id=team_id,
            feedback_id=feedback_id,
            at=at,
            kind=kind,
            actor_id=actor_id,
            from_value=from_value,
            to_value=to_value,
            text=text,
        )
    )


def history_of(*, session: Session, team_id: str, feedback_id: int) -> list[FeedbackEvent]:
    """The item's history, oldest first."""
    return list(
        session.exec(
            select(FeedbackEvent)
            .where(FeedbackEvent.team_id == team_id, FeedbackEvent.feedback_id == feedback_id)
            .order_by(col(FeedbackEvent.at), col(FeedbackEvent.id))
        )
    )


def get_by_ids(*, session: Session, team_id: str, ids: Sequence[int]) -> list[Feedback]:
    """The team's items with these ids (others' ids are ignored), in the given order."""
    if not ids:
        return []
    rows = session.exec(
        select(Feedback).where(Feedback.team_id == team_id, col(Feedback.id).in_(list(ids)))
    )
    by_id = {row.id: row for row in rows}
    return [by_id[i] for i in ids if i in by_id]


def tags_for(*, session: Session, team_id: str, ids: Sequence[int]) -> dict[int, list[str]]:
    """Tags of several items at once."""
    found: dict[int, list[str]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = session.exec(
        select(FeedbackTag)
        .where(FeedbackTag.team_id == team_id, col(FeedbackTag.feedback_id).in_(list(ids)))
        .order_by(col(FeedbackTag.tag))
    )
    for row in rows:
        found[row.feedback_id].append(row.tag)
    return found


def list_feedback(
    *,
    session: Session,
    team_id: str,
    statuses: Sequence[str] | None = None,
    tag: str | None = None,
    reporter_id: str | None = None,
    order: str = "newest",
    limit: int = 20,
    offset: int = 0,
) -> list[Feedback]:
    """A page of the team's items, filtered by status, tag and reporter."""
    query = select(Feedback).where(Feedback.team_id == team_id)
    if statuses:
        query = query.where(col(Feedback.status).in_(list(statuses)))
    if reporter_id:
        query = query.where(Feedback.reporter_id == reporter_id)
    if tag:
        tagged = select(FeedbackTag.feedback_id).where(
            FeedbackTag.team_id == team_id, FeedbackTag.tag == tag
        )
        query = query.where(col(Feedback.id).in_(tagged))
    if order == "votes":
        query = query.order_by(col(Feedback.vote_count).desc(), col(Feedback.number).desc())
    else:
        query = query.order_by(col(Feedback.number).desc())
    return list(session.exec(query.offset(offset).limit(limit)))


def recent_texts(*, session: Session, team_id: str, limit: int = 300) -> list[str]:
    """The team's most recent feedback texts (background statistics for similarity)."""
    return list(
        session.exec(
            select(Feedback.text)
            .where(Feedback.team_id == team_id)
            .order_by(col(Feedback.number).desc())
            .limit(limit)
        )
    )


def claim_notice(
    *, session: Session, team_id: str, feedback_id: int, user_id: str, status: str
) -> bool:
    """Reserve the one close-the-loop DM for this person, item and status."""
    result = insert_new(
        session,
        LoopNotice,
        dict(team_id=team_id, feedback_id=feedback_id, user_id=user_id, status=status),
        ["feedback_id", "user_id", "status"],
    )
    return result


def mark_notice_sent(
    *, session: Session, team_id: str, feedback_id: int, user_id: str, status: str, at: datetime
) -> None:
    """Record that the DM went out."""
    session.execute(
        update(LoopNotice)
        .where(
            col(LoopNotice.team_id) == team_id,
            col(LoopNotice.feedback_id) == feedback_id,
            col(LoopNotice.user_id) == user_id,
            col(LoopNotice.status) == status,
        )
        .values(sent_at=at)
    )


def all_for_export(*, session: Session, team_id: str) -> list[Feedback]:
    """Every item of the team, by number."""
    return list(
        session.exec(
            select(Feedback).where(Feedback.team_id == team_id).order_by(col(Feedback.number))
        )
    )


def set_tags(*, session: Session, team_id: str, feedback_id: int, tags: Sequence[str]) -> None:
    """Replace the item's tags."""
    session.execute(
        delete(FeedbackTag).where(
            col(FeedbackTag.team_id) == team_id, col(FeedbackTag.feedback_id) == feedback_id
        )
    )
    session.add_all(
        FeedbackTag(feedback_id=feedback_id, tag=tag, team_id=team_id)
        for tag in dict.fromkeys(tags)
    )


def merged_into(*, session: Session, team_id: str, feedback_id: int) -> list[Feedback]:
    """Items merged into this one."""
    return list(
        session.exec(
            select(Feedback)
            .where(Feedback.team_id == team_id, Feedback.merged_into_id == feedback_id)
            .order_by(col(Feedback.number))
        )
    )


def themable(*, session: Session, team_id: str, since: datetime, limit: int) -> list[Feedback]:
    """Open items and those filed since `since` (merged ones left out), most voted first."""
    return list(
        session.exec(
            select(Feedback)
            .where(
                Feedback.team_id == team_id,
                col(Feedback.merged_into_id).is_(None),
                (col(Feedback.status).in_(OPEN_STATUSES)) | (col(Feedback.created_at) >= since),
            )
            .order_by(col(Feedback.vote_count).desc(), col(Feedback.number).desc())
            .limit(limit)
        )
    )


def voters_for(*, session: Session, team_id: str, ids: Sequence[int]) -> dict[int, list[str]]:
    """Voters of several items at once."""
    found: dict[int, list[str]] = {}
    if not ids:
        return found
    rows = session.exec(
        select(FeedbackVote)
        .where(FeedbackVote.team_id == team_id, col(FeedbackVote.feedback_id).in_(list(ids)))
        .order_by(col(FeedbackVote.created_at), col(FeedbackVote.user_id))
    )
    for row in rows:
        found.setdefault(row.feedback_id, []).append(row.user_id)
    return found


def status_history_for(
    *, session: Session, team_id: str, ids: Sequence[int]
) -> dict[int, list[dict[str, str | None]]]:
    """Status changes of several items at once, oldest first."""
    found: dict[int, list[dict[str, str | None]]] = {}
    if not ids:
        return found
    rows = session.exec(
        select(FeedbackEvent)
        .where(
            FeedbackEvent.team_id == team_id,
            col(FeedbackEvent.feedback_id).in_(list(ids)),
            col(FeedbackEvent.kind).in_(["filed", "status"]),
        )
        .order_by(col(FeedbackEvent.at), col(FeedbackEvent.id))
    )
    for row in rows:
        found.setdefault(row.feedback_id, []).append(
            {
                "at": row.at.isoformat(),
                "by": row.actor_id,
                "from": row.from_value,
                "to": row.to_value,
                "note": row.text,
            }
        )
    return found
