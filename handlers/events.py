"""Events API plumbing: each delivery is processed once per event_id, whatever the retries."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse

from bot.deps import Deps
from bot.logs import get_logger
from bot.text import drop_nul
from storage.events import claim_event

log = get_logger(__name__)


def register(app: App, deps: Deps) -> None:
    """Attach the exactly-once middleware for event callbacks, stamp every request and
    drop NUL characters from it."""

    @app.middleware
    def stamp_arrival(context: BoltContext, next: Callable[[], None]) -> None:
        # Listeners that create things check this: past Slack's 3 s the person already saw
        # an error, so creating it anyway would surprise them (see handlers.common.too_late).
        context["received_at"] = time.monotonic()
        next()

    @app.middleware
    def drop_nul_characters(body: dict[str, Any], next: Callable[[], None]) -> None:
        # Slack's own clients never send NUL and PostgreSQL can't store it in text; a crafted
        # request with one would otherwise fail on PostgreSQL and pass on SQLite.
        drop_nul(body)
        next()

    @app.middleware
    def process_each_event_once(
        body: dict[str, Any], next: Callable[[], None]
    ) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if not event_id:
            next()
            return None
        team_id = body.get("team_id") or ""
        with deps.session_scope() as session:
            first = claim_event(
                session=session, team_id=team_id, event_id=event_id, received_at=deps.now()
            )
        if not first:
            log.info("duplicate_event_skipped", team=team_id, event_id=event_id)
            return BoltResponse(status=200, body="")
        next()
        return None
