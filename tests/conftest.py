"""Shared fixtures: a migrated database per backend, and a running sandbox for end-to-end tests.

Every storage and end-to-end test runs on SQLite, and again on PostgreSQL when
TEST_DATABASE_URL is set (then each test session works in a schema of its own, dropped at
the end).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlmodel import SQLModel

from bot.logs import configure_logging
from bot.sandbox.server import Sandbox, start_sandbox
from bot.settings import Settings
from storage.db import make_engine, migrate
from tests.e2e.helpers import CLIENT_ID, CLIENT_SECRET, FakeClock, two_workspaces

configure_logging("WARNING")

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A URL to a freshly migrated database of each backend, for the whole test session."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        _migrate(url)
        yield url
        return
    base = os.environ["TEST_DATABASE_URL"]
    schema = f"test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    url = f"{base}{separator}options=-csearch_path%3D{schema}"
    try:
        _migrate(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _migrate(url: str) -> None:
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the test database, emptied after the test."""
    engine = make_engine(database_url)
    yield engine
    wipe(engine)
    engine.dispose()


def wipe(engine: Engine) -> None:
    """Delete every row of every table (the schema stays)."""
    tables = list(reversed(SQLModel.metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings for a test: the test database, a known signing secret, quiet logs."""
    return Settings(
        database_url=database_url,
        slack_signing_secret="test-signing-secret",
        slack_bot_token="xoxb-test-T0001",
        log_level="WARNING",
        listener_threads=8,
    )


@pytest.fixture
def sandbox(settings: Settings, engine: Engine) -> Iterator[Sandbox]:
    """The bot and the emulated Slack, running on a free port for one test."""
    running = start_sandbox(settings)
    # Each act returns once the bot has also done its work after the ack.
    running.sender.settle = running.settle
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def clock() -> FakeClock:
    """The bot's "now" for a test that moves time: Wed 25 Nov 2026, 08:00 UTC."""
    return FakeClock(datetime(2026, 11, 25, 8, 0, tzinfo=UTC))


@pytest.fixture
def bot(settings: Settings, engine: Engine, clock: FakeClock) -> Iterator[Sandbox]:
    """A sandbox whose clock the test moves; the test runs the clock's reconcile itself."""
    running = start_sandbox(settings, now=clock)
    running.sender.settle = running.settle
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def multi(settings: Settings, engine: Engine, clock: FakeClock) -> Iterator[Sandbox]:
    """The bot with OAuth (no SLACK_BOT_TOKEN) next to two workspaces, on a test clock."""
    oauth = settings.model_copy(
        update={
            "slack_client_id": CLIENT_ID,
            "slack_client_secret": CLIENT_SECRET,
            "slack_bot_token": None,
        }
    )
    running = start_sandbox(oauth, workspaces=two_workspaces(), oauth=True, now=clock)
    running.sender.settle = running.settle
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def repo_root() -> Path:
    """The project's root folder."""
    return Path(__file__).resolve().parent.parent
