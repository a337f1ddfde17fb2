"""Deps: what every handler, service and job is handed, built once per process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from slack_sdk import WebClient
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
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
    # With OAuth (many workspaces): where each team's bot token is kept.
    installations: SQLAlchemyInstallationStore | None = None
    _team_clients: dict[str, WebClient] = field(default_factory=dict, repr=False)

    def client_for(self, team_id: str) -> WebClient:
        """A Web API client holding `team_id`'s bot token, for work done outside a request.

        One workspace: the client with SLACK_BOT_TOKEN. Many: the token saved at install,
        read each time (a reinstall changes it); a team without one gets a client whose
        calls fail with `not_authed`, like any call after an uninstall.
        """
        if self.installations is None:
            return self.client
        bot = self.installations.find_bot(enterprise_id=None, team_id=team_id)
        token = bot.bot_token if bot else None
        if token is None:
            return make_client(self.settings.slack_api_url)
        client = self._team_clients.get(token)
        if client is None:
            client = self._team_clients[token] = make_client(self.settings.slack_api_url, token)
        return client


def build_deps(settings: Settings, *, now: Callable[[], datetime] = utc_now) -> Deps:
    """Deps for `settings`: an engine on DATABASE_URL and a client on SLACK_API_URL."""
    engine = make_engine(settings.database_url, pool_size=max(5, settings.listener_threads))
    installations = (
        SQLAlchemyInstallationStore(
            client_id=settings.slack_client_id or "",
            engine=engine,
            bots_table_name="slack_bots",
            installations_table_name="slack_installations",
        )
        if settings.oauth_enabled
        else None
    )
    return Deps(
        settings=settings,
        engine=engine,
        session_scope=session_factory(engine),
        client=make_client(settings.slack_api_url, settings.slack_bot_token),
        listeners=ListenerPool(settings.listener_threads),
        background=BackgroundPool(BACKGROUND_THREADS, max_queued=BACKGROUND_QUEUE),
        now=now,
        installations=installations,
    )
