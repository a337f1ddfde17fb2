"""The outbox: every scheduled post, and every job that makes posts, written before Slack.

A row is an intent with a lease. While a process works on it, `next_attempt_at` is
`LEASE_SECONDS` ahead, so no other clock touches it; once the lease ran out (the process
died) or an attempt failed, the row is due and the clock takes it up again. A delivered row
keeps where its message went (`channel_id`, `message_ts`). `attempts` counts the times a
process took the row: above zero, an earlier attempt may have reached Slack, so the next one
looks for the message first (see bot/jobs.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.db import insert_new
from storage.installs import team_is_active
from storage.models import Outbox

# A taken row is left alone this long by other clocks while its work runs (the default of
# OUTBOX_LEASE_SECONDS): longer than the gateway's retries of one call can take (4
# rate-limit waits, 3 backoffs, a 10 s timeout) and than building a digest.
LEASE_SECONDS = 300
# A failed attempt is retried after this long: the gateway has just retried with backoff.
FIRST_RETRY_SECONDS = 60
# A row given up on keeps its next attempt in the year 9999: never due, easy to count.
GIVEN_UP_FROM = datetime(9999, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Attempt:
    """What `begin` found for a key.

    `state` is "send" (this process holds the lease and must send), "delivered" (sent
    already, see `channel_id`/`message_ts`) or "busy" (another process holds it, or it waits
    for its next retry). `tried_before`: an earlier attempt may have reached Slack.
    """

    row_id: int
    state: str
    tried_before: bool = False
    channel_id: str | None = None
    message_ts: str | None = None
    attempts: int = 0


def begin(
    *,
    session: Session,
    team_id: str,
    dedupe_key: str,
    method: str,
    payload: str,
    now: datetime,
    lease_seconds: int = LEASE_SECONDS,
) -> Attempt:
    """Write the intent for `dedupe_key` (once) and take its lease when nobody holds it."""
    insert_new(
        session,
        Outbox,
        dict(
            team_id=team_id,
            dedupe_key=dedupe_key,
            method=method,
            payload=payload,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        ),
        ["team_id", "dedupe_key"],
    )
    row = session.exec(
        select(Outbox)
        .where(col(Outbox.team_id) == team_id, col(Outbox.dedupe_key) == dedupe_key)
        .with_for_update()
    ).one()
    assert row.id is not None
    if row.delivered_at is not None:
        return Attempt(row.id, "delivered", True, row.channel_id, row.message_ts)
    if row.next_attempt_at > now:
        return Attempt(row.id, "busy", row.attempts > 0)
    tried_before = row.attempts > 0
    row.attempts += 1
    row.next_attempt_at = now + timedelta(seconds=lease_seconds)
    session.add(row)
    session.flush()
    return Attempt(row.id, "send", tried_before, attempts=row.attempts)


def due(*, session: Session, now: datetime, limit: int = 100) -> list[Outbox]:
    """Undelivered rows whose lease ran out or whose next attempt is due."""
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


def claim(
    *, session: Session, row_id: int, now: datetime, lease_seconds: int = LEASE_SECONDS
) -> Outbox | None:
    """Take a due row for one attempt (its lease pushes the next attempt out meanwhile)."""
    row = session.get(Outbox, row_id, with_for_update=True)
    if row is None or row.delivered_at is not None or row.next_attempt_at > now:
        return None
    row.attempts += 1
    row.next_attempt_at = now + timedelta(seconds=lease_seconds)
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


def done(
    *,
    session: Session,
    row_id: int,
    now: datetime,
    channel_id: str | None = None,
    message_ts: str | None = None,
) -> None:
    """Mark a row delivered (a post: with where its message is)."""
    row = session.get(Outbox, row_id)
    if row is not None:
        row.delivered_at = now
        row.channel_id, row.message_ts = channel_id, message_ts
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


def drop(*, session: Session, row_id: int) -> None:
    """Forget a post Slack refused while a person waited (they are told; nothing to retry)."""
    row = session.get(Outbox, row_id)
    if row is not None:
        session.delete(row)


def by_key(*, session: Session, team_id: str, dedupe_key: str) -> Outbox | None:
    """A row by its key."""
    return session.exec(
        select(Outbox).where(col(Outbox.team_id) == team_id, col(Outbox.dedupe_key) == dedupe_key)
    ).first()
