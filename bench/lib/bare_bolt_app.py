"""The baseline: a bare Flask + Bolt app with one `/feedback` handler and a one-table database.

Served exactly like the bot (gunicorn gthread, see `bench.lib.apps`):

    BENCH_SIGNING_SECRET=... BENCH_DATABASE=/tmp/bare.db \\
    BENCH_SLACK_API_URL=http://127.0.0.1:PORT/api/ \\
    python -m gunicorn --pythonpath . -k gthread -w 2 --threads 8 \\
        'bench.lib.bare_bolt_app:create_app()'

`BENCH_DATABASE` is a SQLite file path (WAL mode) or a `postgresql://` URL (psycopg 3).
The handler does what any Bolt app filing feedback must do and nothing more: one INSERT,
then `ack()` with a short text. Bolt is configured like the bot (no token verification at
start-up, a 16-thread listener executor, `process_before_response=False`).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, jsonify, request
from slack_bolt import Ack, App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_sdk import WebClient

SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    channel_id TEXT,
    text TEXT NOT NULL,
    trigger_id TEXT,
    created_at TEXT NOT NULL
)
"""
POSTGRES_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id BIGSERIAL PRIMARY KEY,
    team_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    channel_id TEXT,
    text TEXT NOT NULL,
    trigger_id TEXT,
    created_at TIMESTAMPTZ NOT NULL
)
"""
INSERT = (
    "INSERT INTO feedback (team_id, user_id, channel_id, text, trigger_id, created_at) "
    "VALUES ({p}, {p}, {p}, {p}, {p}, {p})"
)


class Database:
    """One connection per thread to a SQLite file (WAL) or a PostgreSQL URL."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.postgres = target.startswith(("postgresql://", "postgres://"))
        self._local = threading.local()

    def connect(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        if self.postgres:
            import psycopg

            conn = psycopg.connect(self.target, autocommit=True)
        else:
            conn = sqlite3.connect(self.target, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA synchronous=NORMAL")
        self._local.conn = conn
        return conn

    def transaction(self) -> Any:
        """A context manager that commits on success (psycopg's `with conn` would close it)."""
        conn = self.connect()
        return conn.transaction() if self.postgres else conn

    def init(self) -> None:
        conn = self.connect()
        with self.transaction():
            if self.postgres:
                # Two workers may start at once; the lock keeps CREATE TABLE from racing.
                conn.execute("SELECT pg_advisory_xact_lock(4242)")
                conn.execute(POSTGRES_SCHEMA)
            else:
                conn.execute(SQLITE_SCHEMA)

    def insert(self, values: tuple[Any, ...]) -> None:
        conn = self.connect()
        with self.transaction():
            conn.execute(INSERT.format(p="%s" if self.postgres else "?"), values)

    def ping(self) -> None:
        self.connect().execute("SELECT 1").fetchone()


def create_app() -> Flask:
    """The WSGI app, configured from BENCH_* environment variables (one per gunicorn worker)."""
    db = Database(os.environ["BENCH_DATABASE"])
    db.init()
    bolt = App(
        signing_secret=os.environ["BENCH_SIGNING_SECRET"],
        client=WebClient(
            token=os.environ.get("BENCH_BOT_TOKEN", "xoxb-bench"),
            base_url=os.environ["BENCH_SLACK_API_URL"],
        ),
        token_verification_enabled=False,
        process_before_response=False,
        listener_executor=ThreadPoolExecutor(max_workers=16, thread_name_prefix="listener"),
        name="bare-bolt",
    )

    @bolt.command("/feedback")
    def feedback(ack: Ack, command: dict[str, Any]) -> None:
        text = command.get("text", "")
        db.insert(
            (
                command["team_id"],
                command["user_id"],
                command.get("channel_id"),
                text,
                command.get("trigger_id"),
                datetime.now(UTC).isoformat() if not db.postgres else datetime.now(UTC),
            )
        )
        ack(text=f"Thanks, your feedback is filed: {text[:60]}")

    @bolt.event("reaction_added")
    def reaction_added() -> None:
        """Acknowledged by Bolt; nothing to do."""

    handler = SlackRequestHandler(bolt)
    web = Flask("bare-bolt")

    @web.post("/slack/events")
    def slack_events() -> Response:
        return handler.handle(request)

    @web.get("/healthz")
    def healthz() -> Response:
        db.ping()
        return jsonify({"status": "ok"})

    return web
