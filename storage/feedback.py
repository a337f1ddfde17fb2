"""Feedback rows: numbering per team, exactly-once inserts, look-ups."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import Feedback, FeedbackTag, TeamSequence


def next_number(*, session: Session, team_id: str, name: str) -> int:
    """Increment and return the team's counter `name` (row-locked, so safe across processes)."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(TeamSequence)
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
) -> tuple[Feedback, bool]:
    """Insert a feedback item; if `source_key` was seen before, return that one instead.

    Returns (item, created). The unique (team_id, source_key) constraint decides, never a
    prior read, so two deliveries of the same request racing each other create one row.
    """
    try:
        with session.begin_nested():
            item = Feedback(
                team_id=team_id,
                number=next_number(session=session, team_id=team_id, name="feedback"),
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
        return item, True
    except IntegrityError:
        if source_key is None:
            raise
        existing = get_by_source_key(session=session, team_id=team_id, source_key=source_key)
        if existing is None:
            raise
        return existing, False


def get_by_source_key(*, session: Session, team_id: str, source_key: str) -> Feedback | None:
    """The item captured from `source_key` in this team, if any."""
    return session.exec(
        select(Feedback).where(Feedback.team_id == team_id, Feedback.source_key == source_key)
    ).first()


def get_by_number(*, session: Session, team_id: str, number: int) -> Feedback | None:
    """FB-<number> of this team, if it exists."""
    return session.exec(
        select(Feedback).where(Feedback.team_id == team_id, Feedback.number == number)
    ).first()


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
    from sqlalchemy import func

    return int(
        session.exec(
            select(func.count()).select_from(Feedback).where(Feedback.team_id == team_id)
        ).one()
    )
