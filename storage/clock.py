"""Clock heartbeats: each running scheduler records its last tick."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from storage.models import ClockHeartbeat


def beat(*, session: Session, clock_id: str, at: datetime) -> None:
    """Record that `clock_id` is alive at `at`."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(ClockHeartbeat).values(team_id="*", clock_id=clock_id, beat_at=at)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["team_id", "clock_id"], set_={"beat_at": statement.excluded.beat_at}
        )
    )


def latest_heartbeat(*, session: Session) -> datetime | None:
    """The most recent tick of any clock, or None if no clock ever ran."""
    return session.exec(select(func.max(ClockHeartbeat.beat_at))).one()
