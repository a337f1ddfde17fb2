"""Deps: what every handler, service and job is handed, built once per process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.pool import BackgroundPool, ListenerPool
from bot.settings import Settings
from bot.slack import make_client
from storage.db import SessionScope, make_engine, session_factory

# Slow after-ack work per process: few threads (CPU-bound work gains nothing from more under
# the GIL), and a backlog beyond which extras such as duplicate offers are skipped.
BACKGROUND_THREADS = 2
BACKGROUND_QUEUE = 200


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


@dataclass
class ClockState:
    """What /healthz says about the scheduler running in this process, if any."""

    running: bool = False
    clock_id: str | None = None


@dataclass
class Deps:
    """Settings, database, clock and Slack client, handed to register() and services."""

    settings: Settings
    engine: Engine
    session_scope: SessionScope
    client: WebClient
    listeners: ListenerPool
    background: BackgroundPool
    now: Callable[[], datetime] = utc_now
    clock: ClockState = field(default_factory=ClockState)


def build_deps(settings: Settings, *, now: Callable[[], datetime] = utc_now) -> Deps:
    """Deps for `settings`: an engine on DATABASE_URL and a client on SLACK_API_URL."""
    engine = make_engine(settings.database_url, pool_size=max(5, settings.listener_threads))
    return Deps(
        settings=settings,
        engine=engine,
        session_scope=session_factory(engine),
        client=make_client(settings.slack_api_url, settings.slack_bot_token),
        listeners=ListenerPool(settings.listener_threads),
        background=BackgroundPool(BACKGROUND_THREADS, max_queued=BACKGROUND_QUEUE),
        now=now,
    )
