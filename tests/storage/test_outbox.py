"""The outbox's intents and leases: who sends, who waits, what a dead process leaves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from storage import outbox
from storage.db import session_factory

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
LEASE = 300


def begin(engine: Engine, at: datetime, key: str = "occurrence:1") -> outbox.Attempt:
    with session_factory(engine)() as session:
        return outbox.begin(
            session=session,
            team_id="T0001",
            dedupe_key=key,
            method="chat.postMessage",
            payload="{}",
            now=at,
            lease_seconds=LEASE,
        )


def test_the_first_caller_sends_and_others_wait_while_its_lease_runs(engine: Engine) -> None:
    first = begin(engine, NOW)
    assert (first.state, first.tried_before) == ("send", False)
    # A second clock, a rerun of the job: the lease is held.
    assert begin(engine, NOW + timedelta(seconds=LEASE - 1)).state == "busy"
    with session_factory(engine)() as session:
        assert outbox.due(session=session, now=NOW + timedelta(seconds=LEASE - 1)) == []
        assert outbox.state(session=session).pending == 1


def test_a_lease_that_ran_out_is_taken_over_as_maybe_sent(engine: Engine) -> None:
    first = begin(engine, NOW)
    later = NOW + timedelta(seconds=LEASE)
    with session_factory(engine)() as session:
        [row] = outbox.due(session=session, now=later)
        assert row.id == first.row_id
    again = begin(engine, later)
    assert (again.state, again.tried_before, again.attempts) == ("send", True, 2)
    # Taking it pushed the lease out again.
    assert begin(engine, later + timedelta(seconds=1)).state == "busy"


def test_a_delivered_post_answers_where_it_went(engine: Engine) -> None:
    first = begin(engine, NOW)
    with session_factory(engine)() as session:
        outbox.done(
            session=session,
            row_id=first.row_id,
            now=NOW,
            channel_id="C0002",
            message_ts="1795510800.000100",
        )
    again = begin(engine, NOW + timedelta(days=1))
    assert (again.state, again.channel_id, again.message_ts) == (
        "delivered",
        "C0002",
        "1795510800.000100",
    )
    with session_factory(engine)() as session:
        assert outbox.due(session=session, now=NOW + timedelta(days=1)) == []
        assert outbox.state(session=session).pending == 0


def test_claim_takes_a_due_row_once(engine: Engine) -> None:
    first = begin(engine, NOW)
    later = NOW + timedelta(seconds=LEASE + 1)
    with session_factory(engine)() as session:
        taken = outbox.claim(session=session, row_id=first.row_id, now=later, lease_seconds=LEASE)
        assert taken is not None and taken.attempts == 2
    with session_factory(engine)() as session:
        assert outbox.claim(session=session, row_id=first.row_id, now=later) is None
