"""The database: engine, one short session per unit of work, and the Alembic migrations."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, TypeVar

import structlog
from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, create_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

SessionScope = Callable[[], AbstractContextManager[Session]]
T = TypeVar("T")

log = structlog.stdlib.get_logger(__name__)


def make_engine(database_url: str, *, pool_size: int = 10) -> Engine:
    """An engine for SQLite (WAL, busy timeout, foreign keys) or PostgreSQL (psycopg 3)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_pre_ping=True,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_recycle=1800,
    )


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # Let SQLAlchemy issue BEGIN itself (see _sqlite_begin_immediate).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    # Take the write lock at BEGIN: two writers then queue on busy_timeout instead of one
    # failing with "database is locked" when it upgrades a read transaction.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> SessionScope:
    """A `session_scope()` bound to `engine`: commit on success, roll back on any error."""

    @contextmanager
    def session_scope() -> Iterator[Session]:
        with Session(engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    return session_scope


def unit_of_work(session_scope: SessionScope, work: Callable[[Session], T]) -> T:
    """Run `work` in one transaction; once more when the connection dropped under it.

    A database restart (or a killed backend) breaks the connection mid-transaction: the
    transaction is gone, nothing of it was kept, and the pool (pre-ping) hands out a fresh
    connection. Only for work that is safe to run again: claims through unique keys, whose
    second run finds the first one's row if its commit did get through after all.
    """
    try:
        with session_scope() as session:
            return work(session)
    except DBAPIError as err:
        if not err.connection_invalidated:
            raise
        log.warning("database_connection_lost_retrying", error=str(err.orig)[:200])
    with session_scope() as session:
        return work(session)


def ping(engine: Engine) -> None:
    """Raise if the database does not answer."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def alembic_config(engine: Engine) -> Any:
    """An Alembic Config that runs our migrations on `engine`."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to `revision` (Alembic upgrade)."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    """The schema's Alembic revision, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def insert_into(session: Session, model: Any) -> Any:
    """A dialect INSERT (for ON CONFLICT) on the model's table.

    Core, not ORM: the ORM's bulk INSERT path reports a rowcount of 1 even when ON CONFLICT
    DO NOTHING skipped the row on PostgreSQL, and exactly-once depends on that count.
    """
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert(model.__table__)


def insert_new(session: Session, model: Any, values: dict[str, Any], keys: list[str]) -> bool:
    """INSERT ... ON CONFLICT (keys) DO NOTHING; True when this call put the row in.

    RETURNING decides, not rowcount: psycopg reports -1 for such inserts.
    """
    table = model.__table__
    statement = (
        insert_into(session, model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=keys)
        .returning(*(table.c[key] for key in keys))
    )
    return session.execute(statement).first() is not None
