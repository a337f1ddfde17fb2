"""PostgreSQL connections dropped under the app (what a server restart looks like to it).

Only this test's own backends are terminated (by its application_name, or the one
backend of the transaction being interrupted), never other sessions. The next command
works (the pool pre-pings), and a unit of work cut off mid-transaction is run once more
without doubling anything. A whole restart (connections cut, new ones refused for a while,
then accepted again) is played by a TCP proxy in front of the server, never by stopping it.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from bot.sandbox.server import Sandbox, start_sandbox
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


class Outage:
    """A TCP proxy in front of PostgreSQL that can go down and come back, like a restart:
    down, its connections are cut and new ones are refused; up, it accepts again."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = int(probe.getsockname()[1])
        probe.close()
        self.links: list[socket.socket] = []
        self.lock = threading.Lock()
        self.listener: socket.socket | None = None
        self.up()

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        assert self.listener is not None
        # shutdown wakes the thread blocked in accept(); close alone would leave it listening.
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        with self.lock:
            for link in self.links:
                with contextlib.suppress(OSError):
                    link.shutdown(socket.SHUT_RDWR)
                link.close()
            self.links.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            with self.lock:
                self.links += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


def test_a_database_restart_is_survived(
    settings: Settings, engine: Engine, clock: FakeClock
) -> None:
    url = make_url(settings.database_url)
    outage = Outage((url.host or "127.0.0.1", url.port or 5432))
    proxied = url.set(host="127.0.0.1", port=outage.port)
    bot = start_sandbox(
        settings.model_copy(update={"database_url": proxied.render_as_string(hide_password=False)}),
        now=clock,
    )
    bot.sender.settle = bot.settle
    try:
        bot.sender.slash_command("U0001", "C0002", '/ritual add sync "Daily sync" daily at 9:15')
        bot.sender.slash_command("U0001", "C0001", "/feedback before the restart")

        outage.down()
        # While the server is away: a clear answer, nothing half-done, health says so.
        bot.sender.slash_command("U0001", "C0001", "/feedback during the restart")
        assert "nothing was changed" in ephemerals(bot, "U0001")[-1]
        assert requests.get(f"{bot.url}/bot/healthz", timeout=30).status_code == 503

        outage.up()
        assert requests.get(f"{bot.url}/bot/healthz", timeout=30).status_code == 200
        bot.sender.slash_command("U0001", "C0001", "/feedback after the restart")
        assert "FB-2" in ephemerals(bot, "U0001")[-1]
        tick(bot, datetime(2026, 11, 25, 8, 15, 1, tzinfo=UTC), clock)
        tick(bot, datetime(2026, 11, 25, 8, 16, tzinfo=UTC), clock)
    finally:
        bot.stop()
        outage.down()
    assert [i.text for i in items(engine)] == ["before the restart", "after the restart"]
    posts = [m for m in bot.workspace.messages_in("C0002") if "Daily sync" in m.get("text", "")]
    assert len(posts) == 1
