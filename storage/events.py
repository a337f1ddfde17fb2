"""Events API deliveries already processed (exactly-once across retries and processes)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from storage.db import insert_new
from storage.models import ProcessedEvent


def claim_event(*, session: Session, team_id: str, event_id: str, received_at: datetime) -> bool:
    """Record the event; True the first time it is seen, False for every redelivery."""
    result = insert_new(
        session,
        ProcessedEvent,
        dict(team_id=team_id, event_id=event_id, received_at=received_at),
        ["team_id", "event_id"],
    )
    return result
