"""Clock heartbeats: each running scheduler records its last tick."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from storage.db import insert_into
from storage.models import ClockHeartbeat


def beat(*, session: Session, clock_id: str, at: datetime) -> None:
    """Record that `clock_id` is alive at `at`."""
    statement = insert_into(session, ClockHeartbeat).values(
        team_id="*", clock_id=clock_id, beat_at=at
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["team_id", "clock_id"], set_={"beat_at": statement.excluded.beat_at}
        )
    )


def latest_heartbeat(*, session: Session) -> datetime | None:
    """The most recent tick of any clock, or None if no clock ever ran."""
    return session.exec(select(func.max(ClockHeartbeat.beat_at))).one()
