"""Events API deliveries already processed (exactly-once across retries and processes)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from storage.models import ProcessedEvent


def claim_event(*, session: Session, team_id: str, event_id: str, received_at: datetime) -> bool:
    """Record the event; True the first time it is seen, False for every redelivery."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    result = session.execute(
        insert(ProcessedEvent)
        .values(team_id=team_id, event_id=event_id, received_at=received_at)
        .on_conflict_do_nothing(index_elements=["team_id", "event_id"])
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
