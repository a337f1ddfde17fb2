"""The outbox: scheduled posts that failed after retries, delivered later by the clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.db import insert_new
from storage.installs import team_is_active
from storage.models import Outbox

# A claimed row is left alone this long by other clocks while its delivery runs.
CLAIM_SECONDS = 120
# The first retry waits this long: the gateway has just retried with backoff already.
FIRST_RETRY_SECONDS = 60
# A row given up on keeps its next attempt in the year 9999: never due, easy to count.
GIVEN_UP_FROM = datetime(9999, 1, 1, tzinfo=UTC)


def enqueue(
    *,
    session: Session,
    team_id: str,
    dedupe_key: str,
    method: str,
    payload: str,
    now: datetime,
    error: str,
) -> bool:
    """Queue a post once per key; False when it is queued already."""
    result = insert_new(
        session,
        Outbox,
        dict(
            team_id=team_id,
            dedupe_key=dedupe_key,
            method=method,
            payload=payload,
            attempts=0,
            next_attempt_at=now + timedelta(seconds=FIRST_RETRY_SECONDS),
            last_error=error,
            created_at=now,
        ),
        ["team_id", "dedupe_key"],
    )
    return result


def due(*, session: Session, now: datetime, limit: int = 100) -> list[Outbox]:
    """Undelivered rows whose next attempt is due."""
    return list(
        session.exec(
            select(Outbox)
            .where(
                col(Outbox.delivered_at).is_(None),
                col(Outbox.next_attempt_at) <= now,
                team_is_active(Outbox.team_id),
            )
            .order_by(col(Outbox.next_attempt_at))
            .limit(limit)
        )
    )


def claim(*, session: Session, row_id: int, now: datetime) -> Outbox | None:
    """Take a due row for one delivery attempt (pushing its next attempt out meanwhile)."""
    row = session.get(Outbox, row_id, with_for_update=True)
    if row is None or row.delivered_at is not None or row.next_attempt_at > now:
        return None
    row.attempts += 1
    row.next_attempt_at = now + timedelta(seconds=CLAIM_SECONDS)
    session.add(row)
    session.flush()
    return row


def failed(*, session: Session, row_id: int, error: str, next_at: datetime, give_up: bool) -> None:
    """Record a failed attempt; after the last one the row stays, undelivered, for operators."""
    row = session.get(Outbox, row_id)
    if row is None:
        return
    row.last_error = error
    # (Not next_at.replace(year=9999): 29 February has no such day in 9999.)
    row.next_attempt_at = GIVEN_UP_FROM if give_up else next_at
    session.add(row)


def done(*, session: Session, row_id: int, now: datetime) -> None:
    """Mark a row delivered."""
    row = session.get(Outbox, row_id)
    if row is not None:
        row.delivered_at = now
        session.add(row)


@dataclass(frozen=True)
class OutboxState:
    """What /healthz says about the outbox."""

    pending: int
    oldest_pending_at: datetime | None
    given_up: int


def state(*, session: Session) -> OutboxState:
    """Undelivered rows still retried (count, oldest) and those given up on, counted in SQL."""
    undelivered = col(Outbox.delivered_at).is_(None) & team_is_active(Outbox.team_id)
    pending, oldest = session.exec(
        select(func.count(), func.min(Outbox.created_at)).where(
            undelivered, col(Outbox.next_attempt_at) < GIVEN_UP_FROM
        )
    ).one()
    given_up = session.exec(
        select(func.count())
        .select_from(Outbox)
        .where(undelivered, col(Outbox.next_attempt_at) >= GIVEN_UP_FROM)
    ).one()
    return OutboxState(pending=int(pending), oldest_pending_at=oldest, given_up=int(given_up))
