"""The WSGI app: Slack's request URL, health, and (with OAuth) install pages. Run by gunicorn."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Response, jsonify, request
from slack_bolt import App
from slack_bolt.adapter.flask.handler import (
    SlackRequestHandler,
    to_bolt_request,
    to_flask_response,
)
from sqlalchemy.exc import SQLAlchemyError

from bot.deps import Deps
from bot.logs import get_logger
from storage import outbox as outbox_store
from storage.clock import latest_heartbeat
from storage.db import ping
from storage.rituals import oldest_overdue

log = get_logger("bot.web")

# Slack's own payloads stay far below this; anything bigger is not from Slack.
MAX_BODY_BYTES = 1024 * 1024
CLOCK_STALE_AFTER = timedelta(seconds=90)
# The clock runs due work at once on each reconcile (every 30 s) and what falls due between
# two at its exact time; work waiting longer than four reconciles means it is stuck or absent.
SCHEDULER_LAG_DEGRADED_SECONDS = 120.0


def create_web_app(app: App, deps: Deps) -> Flask:
    """A Flask app serving `app` at /slack/events, plus /healthz."""
    web = Flask("productops")
    web.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES

    @web.post("/slack/events")
    def slack_events() -> Response:
        started = time.perf_counter()
        bolt_request = to_bolt_request(request)
        bolt_response = app.dispatch(bolt_request)
        context = bolt_request.context
        body: dict[str, Any] = bolt_request.body if isinstance(bolt_request.body, dict) else {}
        log.info(
            "slack_request",
            team=context.team_id,
            user=context.user_id,
            command=body.get("command") or _kind_of(body),
            status=bolt_response.status,
            retry=request.headers.get("X-Slack-Retry-Num"),
            latency_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return to_flask_response(bolt_response)

    if app.oauth_flow is not None:
        # The install page and Slack's redirect back (OAuth, many workspaces).
        install = SlackRequestHandler(app)
        for path in (app.oauth_flow.install_path, app.oauth_flow.redirect_uri_path):
            web.add_url_rule(
                path, endpoint=path, view_func=lambda: install.handle(request), methods=["GET"]
            )

    @web.post("/api/kpi/<name>")
    def kpi_ingest(name: str) -> tuple[Response, int]:
        from bot.ingest import handle_api

        answer, status = handle_api(
            deps, name, authorization=request.headers.get("Authorization"), body=request.get_data()
        )
        return jsonify(answer), status

    @web.get("/healthz")
    def healthz() -> tuple[Response, int]:
        return health(deps)

    return web


def health(deps: Deps) -> tuple[Response, int]:
    """JSON with the database, scheduler and outbox state.

    503 when the database does not answer; 200 with status "degraded" when the scheduler lags
    more than SCHEDULER_LAG_DEGRADED_SECONDS behind due work.
    """
    report: dict[str, Any] = {"status": "ok"}
    try:
        ping(deps.engine)
        report["database"] = {"ok": True, "backend": deps.engine.dialect.name}
    except SQLAlchemyError as err:
        report["status"] = "unavailable"
        report["database"] = {"ok": False, "error": type(err).__name__}
        return jsonify(report), 503
    now = deps.now()
    with deps.session_scope() as session:
        beat = latest_heartbeat(session=session)
        overdue_since = oldest_overdue(session=session, now=now)
        outbox = outbox_store.state(session=session)
    lag = _seconds(now, overdue_since) if overdue_since else 0.0
    report["scheduler"] = {
        "in_process": deps.clock.running,
        "last_heartbeat": beat.isoformat() if beat else None,
        "heartbeat_age_seconds": _seconds(now, beat) if beat else None,
        "lag_seconds": lag,
        "ok": bool(beat and now - beat < CLOCK_STALE_AFTER),
    }
    report["outbox"] = {
        "pending": outbox.pending,
        "oldest_pending_age_seconds": (
            _seconds(now, outbox.oldest_pending_at) if outbox.oldest_pending_at else None
        ),
        "given_up": outbox.given_up,
    }
    if lag > SCHEDULER_LAG_DEGRADED_SECONDS:
        report["status"] = "degraded"
    return jsonify(report), 200


def _seconds(now: datetime, since: datetime) -> float:
    return round(max(0.0, (now - since).total_seconds()), 1)


def _kind_of(body: dict[str, Any]) -> str | None:
    """What a request other than a slash command is, for the log line.

    `event:app_mention`, `block_actions:feedback_vote` (the first action's id),
    `view_submission:<callback_id>`, `message_action:capture_feedback`.
    """
    event = body.get("event")
    if isinstance(event, dict):
        return f"event:{event.get('type')}"
    kind = body.get("type")
    if not kind:
        return None
    actions = body.get("actions")
    view = body.get("view")
    if isinstance(actions, list) and actions and isinstance(actions[0], dict):
        name = actions[0].get("action_id")
    elif isinstance(view, dict) and kind != "block_actions":
        name = view.get("callback_id")
    else:
        name = body.get("callback_id")
    return f"{kind}:{name}" if name else str(kind)
