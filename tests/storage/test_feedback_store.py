"""Feedback storage: per-team numbering, exactly-once by source key, UTC round trips."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from storage import feedback as store
from storage.db import session_factory

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


def file(engine: Engine, team: str, text: str, key: str | None = None) -> tuple[int, bool]:
    with session_factory(engine)() as session:
        item, created = store.insert_feedback(
            session=session,
            team_id=team,
            reporter_id="U1",
            text=text,
            tags=["a", "a", "b"],
            created_at=NOW,
            source_key=key,
        )
        return item.number, created


def test_numbers_are_per_team(engine: Engine) -> None:
    assert [file(engine, "T1", "x")[0] for _ in range(3)] == [1, 2, 3]
    assert file(engine, "T2", "y") == (1, True)
    with session_factory(engine)() as session:
        assert store.count_feedback(session=session, team_id="T1") == 3
        assert store.get_by_number(session=session, team_id="T2", number=2) is None
        assert store.get_by_number(session=session, team_id="T1", number=2) is not None


def test_the_same_source_key_files_once(engine: Engine) -> None:
    assert file(engine, "T1", "first", key="command:1") == (1, True)
    assert file(engine, "T1", "again", key="command:1") == (1, False)
    assert file(engine, "T2", "other team", key="command:1") == (1, True)
    assert file(engine, "T1", "next", key="command:2") == (2, True)


def test_racing_duplicates_and_distinct_items(engine: Engine) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        dupes = list(pool.map(lambda _: file(engine, "T1", "dupe", key="k"), range(8)))
        numbers = list(pool.map(lambda n: file(engine, "T1", f"item {n}")[0], range(16)))
    assert sum(created for _, created in dupes) == 1
    assert len({number for number, _ in dupes}) == 1
    assert len(set(numbers)) == 16


def test_tags_are_unique_and_times_are_utc(engine: Engine) -> None:
    berlin = timezone(timedelta(hours=1))
    with session_factory(engine)() as session:
        item, _ = store.insert_feedback(
            session=session,
            team_id="T1",
            reporter_id="U1",
            text="t",
            tags=["b", "a", "b"],
            created_at=NOW.astimezone(berlin),
        )
        assert item.id is not None
        feedback_id = item.id
    with session_factory(engine)() as session:
        assert store.tags_of(session=session, team_id="T1", feedback_id=feedback_id) == ["a", "b"]
        assert store.tags_of(session=session, team_id="T2", feedback_id=feedback_id) == []
        again = store.get_by_number(session=session, team_id="T1", number=1)
        assert again is not None and again.created_at == NOW and again.created_at.tzinfo is not None


def test_claims_report_whether_this_call_won(engine: Engine) -> None:
    from storage.events import claim_event
    from storage.people import grant_ops

    file(engine, "T1", "x")
    with session_factory(engine)() as session:
        row = store.get_by_number(session=session, team_id="T1", number=1)
        assert row is not None and row.id is not None
        fid = row.id
    for expected in (True, False):
        with session_factory(engine)() as session:
            assert (
                store.add_vote(
                    session=session,
                    team_id="T1",
                    feedback_id=fid,
                    user_id="U2",
                    source="button",
                    at=NOW,
                )
                is expected
            )
            assert (
                store.claim_notice(
                    session=session, team_id="T1", feedback_id=fid, user_id="U2", status="shipped"
                )
                is expected
            )
            assert (
                claim_event(session=session, team_id="T1", event_id="Ev1", received_at=NOW)
                is expected
            )
            assert (
                grant_ops(session=session, team_id="T1", user_id="U2", by="U1", at=NOW) is expected
            )


def test_overlapping_votes_for_one_item_all_count(engine: Engine) -> None:
    """A vote that waits for another vote's row lock still counts that vote (READ COMMITTED)."""
    file(engine, "T1", "popular")
    scope = session_factory(engine)
    with scope() as session:
        item = store.get_by_number(session=session, team_id="T1", number=1)
        assert item is not None and item.id is not None
        feedback_id = item.id

    def vote(user: str) -> bool:
        with scope() as session:
            return vote_in(session, feedback_id, user)

    with ThreadPoolExecutor(max_workers=1) as pool, scope() as first:
        assert vote_in(first, feedback_id, "U2")
        second = pool.submit(vote, "U3")
        if engine.dialect.name == "postgresql":
            # Commit only once the second vote waits for this one's lock on the item.
            pid = first.execute(text("SELECT pg_backend_pid()")).scalar_one()
            wait_for(lambda: blocked_by(engine, pid))
    assert second.result(timeout=60)
    with scope() as session:
        item = store.get_by_number(session=session, team_id="T1", number=1)
        assert item is not None and item.vote_count == 2
        assert sorted(store.voters_of(session=session, team_id="T1", feedback_id=feedback_id)) == [
            "U2",
            "U3",
        ]


def vote_in(session: Session, feedback_id: int, user: str) -> bool:
    return store.add_vote(
        session=session,
        team_id="T1",
        feedback_id=feedback_id,
        user_id=user,
        source="button",
        at=NOW,
    )


def blocked_by(engine: Engine, pid: int) -> bool:
    """True when some PostgreSQL session waits for a lock that session `pid` holds."""
    with engine.connect() as conn:
        query = text(
            "SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"
        )
        return bool(conn.execute(query, {"pid": pid}).scalar_one())


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never came true"
        time.sleep(0.05)


def test_a_double_clicked_merge_merges_once(engine: Engine) -> None:
    """The second merge waits for the first's lock on the duplicate, then finds it merged."""
    from bot.services import feedback as service
    from storage.models import FeedbackEvent

    file(engine, "T1", "CSV export times out")
    file(engine, "T1", "Exporting to CSV fails with a timeout")
    scope = session_factory(engine)

    def merge(session: Session) -> None:
        service.merge(
            session=session, team_id="T1", duplicate=2, original=1, actor_id="U1", now=NOW
        )

    def merge_alone() -> None:
        with scope() as session:
            merge(session)

    with ThreadPoolExecutor(max_workers=1) as pool, scope() as first:
        merge(first)
        second = pool.submit(merge_alone)
        if engine.dialect.name == "postgresql":
            pid = first.execute(text("SELECT pg_backend_pid()")).scalar_one()
            wait_for(lambda: blocked_by(engine, pid))
    second.result(timeout=60)
    with scope() as session:
        kinds = [
            event.kind
            for event in session.exec(select(FeedbackEvent).order_by(col(FeedbackEvent.id)))
        ]
    assert kinds.count("comment") == 1 and kinds.count("merged") == 1


def test_a_double_clicked_kpi_delete_reports_once(engine: Engine) -> None:
    """The second delete waits for the first's lock on the KPI, then finds it gone."""
    from bot.services import kpis as kpi_service
    from storage.models import Kpi, KpiValue

    scope = session_factory(engine)
    with scope() as session:
        kpi = Kpi(team_id="T1", name="NPS", name_key="nps", created_by="U1", created_at=NOW)
        session.add(kpi)
        session.flush()
        assert kpi.id is not None
        kpi_id = kpi.id
        session.add(KpiValue(team_id="T1", kpi_id=kpi_id, on=NOW.date(), value=Decimal(41)))

    def delete_alone() -> tuple[str, int] | None:
        with scope() as session:
            return kpi_service.delete_kpi(session=session, team_id="T1", kpi_id=kpi_id)

    with ThreadPoolExecutor(max_workers=1) as pool, scope() as first:
        assert kpi_service.delete_kpi(session=first, team_id="T1", kpi_id=kpi_id) == ("NPS", 1)
        second = pool.submit(delete_alone)
        if engine.dialect.name == "postgresql":
            pid = first.execute(text("SELECT pg_backend_pid()")).scalar_one()
            wait_for(lambda: blocked_by(engine, pid))
    assert second.result(timeout=60) is None


def test_a_filing_takes_the_teams_counter_last(engine: Engine) -> None:
    """Every filing of a team waits for its counter's row lock until the holder commits, so
    the filing takes it as its last step: after it, only the item's number is written."""
    from sqlalchemy import event

    from bot.services import feedback as service

    file(engine, "T1", "an earlier item")  # the counter row exists
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(" ".join(statement.split()).lower())

    event.listen(engine, "before_cursor_execute", record)
    try:
        with session_factory(engine)() as session:
            filed = service.file_feedback(
                session=session,
                team_id="T1",
                reporter_id="U2",
                channel_id="C1",
                draft=service.FeedbackDraft(text="CSV export times out", tags=("export",)),
                now=NOW,
            )
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert filed.created and filed.item.number == 2
    counter = next(i for i, s in enumerate(statements) if s.startswith("update team_sequence"))
    after = [s for s in statements[counter + 1 :] if not s.startswith(("commit", "release"))]
    assert len(after) == 1 and after[0].startswith("update feedback set number"), after
    with session_factory(engine)() as session:
        row = store.get_by_number(session=session, team_id="T1", number=2)
        assert row is not None and row.text == "CSV export times out" and row.vote_count == 1
