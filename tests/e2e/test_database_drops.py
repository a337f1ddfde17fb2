"""PostgreSQL connections dropped under the app (what a server restart looks like to it).

Only this test's own backends are terminated (by its application_name, or the one
backend of the transaction being interrupted), never other sessions. The next command
works (the pool pre-pings), and a unit of work cut off mid-transaction is run once more
without doubling anything.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from bot.sandbox.server import Sandbox
from bot.settings import Settings
from storage.db import session_factory, unit_of_work
from storage.models import Outbox, RitualOccurrence
from tests.e2e.helpers import FakeClock, ephemerals, items, tick

pytestmark = pytest.mark.e2e

APP_NAME = f"productops-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test's settings with an application_name of its own on PostgreSQL."""
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite has no server whose connections could drop")
    return settings.model_copy(
        update={"database_url": f"{settings.database_url}&application_name={APP_NAME}"}
    )


def terminate(engine: Engine, *, pid: int | None = None) -> int:
    """End this test's backends (or one), from the fixture's own connection; how many."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if pid is not None:
            ended = conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
            return int(bool(ended.scalar_one()))
        return int(
            conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = :name AND pid <> pg_backend_pid()"
                ),
                {"name": APP_NAME},
            ).scalar_one()
        )


def backend_pid(session: Session) -> int:
    return int(session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


def test_the_next_command_works_after_the_servers_connections_dropped(
    sandbox: Sandbox, engine: Engine
) -> None:
    sandbox.sender.slash_command("U0001", "C0001", "/feedback first idea before the restart")
    assert len(items(engine)) == 1
    # The bot's pooled connections are gone, as after a server restart.
    assert terminate(engine) >= 1
    sandbox.sender.slash_command("U0001", "C0001", "/feedback second idea after the restart")
    assert [i.text for i in items(engine)] == [
        "first idea before the restart",
        "second idea after the restart",
    ]
    assert "FB-2" in ephemerals(sandbox, "U0001")[-1]


def test_a_unit_of_work_cut_off_mid_transaction_runs_once_more(
    settings: Settings, engine: Engine
) -> None:
    from storage.db import make_engine

    app = make_engine(settings.database_url)
    scope = session_factory(app)
    runs: list[int] = []

    def work(session: Session) -> int:
        runs.append(1)
        session.add(
            Outbox(
                team_id="T0001",
                dedupe_key="drop-test",
                method="chat.postMessage",
                payload="{}",
                next_attempt_at=datetime(2026, 11, 25, tzinfo=UTC),
                created_at=datetime(2026, 11, 25, tzinfo=UTC),
            )
        )
        session.flush()
        if len(runs) == 1:
            terminate(engine, pid=backend_pid(session))
        return len(session.exec(select(Outbox)).all())

    try:
        assert unit_of_work(scope, work) == 1
        assert len(runs) == 2
        with Session(engine) as session:
            assert len(session.exec(select(Outbox)).all()) == 1

        # Cut off twice in a row: the error is raised, nothing is kept.
        def always_cut(session: Session) -> None:
            session.add(
                Outbox(
                    team_id="T0001",
                    dedupe_key="never",
                    method="chat.postMessage",
                    payload="{}",
                    next_attempt_at=datetime(2026, 11, 25, tzinfo=UTC),
                    created_at=datetime(2026, 11, 25, tzinfo=UTC),
                )
            )
            session.flush()
            terminate(engine, pid=backend_pid(session))
            session.exec(select(Outbox)).all()

        with pytest.raises(OperationalError):
            unit_of_work(scope, always_cut)
        with Session(engine) as session:
            keys = [r.dedupe_key for r in session.exec(select(Outbox))]
        assert keys == ["drop-test"]
    finally:
        app.dispose()


def test_the_clock_cut_off_while_claiming_an_occurrence_posts_it_once(
    bot: Sandbox, engine: Engine, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.services import rituals

    bot.sender.slash_command("U0001", "C0002", '/ritual add sync "Daily sync" daily at 9:15')
    real = rituals.start_occurrence
    cut: list[int] = []

    def claim_then_lose_the_connection(*, session: Session, **kwargs: Any) -> Any:
        fired = real(session=session, **kwargs)
        if not cut:
            cut.append(terminate(engine, pid=backend_pid(session)))
        return fired

    monkeypatch.setattr(rituals, "start_occurrence", claim_then_lose_the_connection)
    tick(bot, datetime(2026, 11, 25, 8, 15, 1, tzinfo=UTC), clock)
    tick(bot, datetime(2026, 11, 25, 8, 16, tzinfo=UTC), clock)
    assert cut == [1]
    posts = [m for m in bot.workspace.messages_in("C0002") if "Daily sync" in m.get("text", "")]
    assert len(posts) == 1
    with Session(engine) as session:
        [occurrence] = session.exec(select(RitualOccurrence)).all()
    assert (occurrence.status, occurrence.message_ts) == ("posted", posts[0]["ts"])
