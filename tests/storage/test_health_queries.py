"""What /healthz aggregates: the oldest overdue scheduled work, and the outbox's state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from storage import outbox
from storage.db import session_factory
from storage.installs import record_install, record_uninstall
from storage.models import Ritual
from storage.rituals import add_task, claim_task, due_rituals, oldest_overdue

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


def queue_failed(session: Session, key: str, at: datetime) -> None:
    """A post of T1 that failed at `at` and waits in the outbox for its retry."""
    attempt = outbox.begin(
        session=session,
        team_id="T1",
        dedupe_key=key,
        method="chat.postMessage",
        payload="{}",
        now=at,
    )
    outbox.failed(
        session=session,
        row_id=attempt.row_id,
        error="internal_error",
        next_at=at + timedelta(minutes=1),
        give_up=False,
    )


def ritual(number: int, next_at: datetime | None, status: str = "active") -> Ritual:
    return Ritual(
        team_id="T1",
        number=number,
        kind="sync",
        title=f"Sync {number}",
        rule_json="{}",
        rule_text="daily",
        tz="UTC",
        channel_id="C1",
        creator_id="U1",
        status=status,
        next_at=next_at,
    )


def test_oldest_overdue_counts_active_rituals_and_unclaimed_tasks(engine: Engine) -> None:
    scope = session_factory(engine)
    with scope() as session:
        assert oldest_overdue(session=session, now=NOW) is None
        session.add(ritual(1, NOW + timedelta(minutes=5)))
        session.add(ritual(2, NOW - timedelta(hours=3), status="paused"))
        session.add(ritual(3, None))
    with scope() as session:
        assert oldest_overdue(session=session, now=NOW) is None
        session.add(ritual(4, NOW - timedelta(minutes=2)))
    with scope() as session:
        assert oldest_overdue(session=session, now=NOW) == NOW - timedelta(minutes=2)
        for key, minutes in (("old", 10), ("later", -10)):
            add_task(
                session=session,
                team_id="T2",
                key=key,
                kind="reminder",
                run_at=NOW - timedelta(minutes=minutes),
                payload="{}",
                now=NOW - timedelta(days=1),
            )
    with scope() as session:
        assert oldest_overdue(session=session, now=NOW) == NOW - timedelta(minutes=10)
        assert claim_task(session=session, team_id="T2", key="old", at=NOW)
    with scope() as session:
        assert oldest_overdue(session=session, now=NOW) == NOW - timedelta(minutes=2)


def test_outbox_state_counts_pending_oldest_and_given_up(engine: Engine) -> None:
    scope = session_factory(engine)
    with scope() as session:
        assert outbox.state(session=session) == outbox.OutboxState(0, None, 0)
        for n in range(3):
            queue_failed(session, f"post:{n}", NOW + timedelta(minutes=n))
    with scope() as session:
        assert outbox.state(session=session) == outbox.OutboxState(3, NOW, 0)
        first, second, _ = outbox.due(session=session, now=NOW + timedelta(hours=1))
        assert first.id is not None and second.id is not None
        outbox.done(session=session, row_id=first.id, now=NOW + timedelta(hours=1))
        # A next attempt on 29 February cannot move to the year 9999: giving up still works.
        leap_day = datetime(2028, 2, 29, 12, 0, tzinfo=UTC)
        outbox.failed(
            session=session, row_id=second.id, error="fatal_error", next_at=leap_day, give_up=True
        )
    with scope() as session:
        assert outbox.state(session=session) == outbox.OutboxState(1, NOW + timedelta(minutes=2), 1)


def test_teams_that_removed_the_bot_are_not_waited_for(engine: Engine) -> None:
    scope = session_factory(engine)
    with scope() as session:
        session.add(ritual(1, NOW - timedelta(hours=2)))  # T1's, overdue
        queue_failed(session, "post:1", NOW - timedelta(hours=1))
    with scope() as session:
        assert oldest_overdue(session=session, now=NOW) == NOW - timedelta(hours=2)
        assert outbox.state(session=session).pending == 1
        record_uninstall(session=session, team_id="T1", now=NOW)
    with scope() as session:
        assert oldest_overdue(session=session, now=NOW) is None
        assert outbox.state(session=session).pending == 0
        assert due_rituals(session=session, before=NOW) == []
        assert outbox.due(session=session, now=NOW + timedelta(days=1)) == []
        record_install(session=session, team_id="T1", team_name=None, installed_by=None, now=NOW)
    with scope() as session:
        assert oldest_overdue(session=session, now=NOW) == NOW - timedelta(hours=2)
        assert len(outbox.due(session=session, now=NOW + timedelta(days=1))) == 1
