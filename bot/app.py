"""The composition root: builds the Bolt App and registers every handler module."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltResponse

import handlers
from bot.deps import Deps, build_deps
from bot.logs import get_logger
from bot.settings import Settings

log = get_logger(__name__)

SORRY = "Sorry, something went wrong on my side and nothing was changed. Please try again."


def create_app(settings: Settings, *, deps: Deps | None = None) -> App:
    """A Bolt App for `settings` with every handler registered. Nothing happens at import."""
    deps = deps or build_deps(settings)
    many: dict[str, Any] = {}
    if deps.installations is not None:
        from bot import oauth

        many = {
            "oauth_settings": oauth.oauth_settings(deps),
            "authorize": oauth.authorize(deps),
            "user_facing_authorize_error_message": oauth.NOT_INSTALLED,
        }
    app = App(
        signing_secret=settings.slack_signing_secret or "",
        client=deps.client,
        process_before_response=False,
        # auth.test runs on the first request instead, so start-up needs no network.
        token_verification_enabled=False,
        listener_executor=deps.listeners,
        name="productops",
        **many,
    )
    for module in handlers.MODULES:
        module.register(app, deps)

    @app.error
    def on_error(error: Exception, body: dict[str, Any], response: BoltResponse) -> None:
        # Answer first: Bolt waits at most 3 s for this response, and logging can be slow.
        # Events API retries would only repeat the failure.
        response.headers["x-slack-no-retry"] = ["1"]
        if body.get("command") or body.get("type") in ("block_actions", "message_action"):
            response.status = 200
            response.body = SORRY
            response.headers["content-type"] = ["text/plain;charset=utf-8"]
        log.error(
            "handler_failed",
            exc_info=error,
            team=_team_of(body),
            user=_user_of(body),
            command=body.get("command") or body.get("type"),
        )

    return app


def _team_of(body: dict[str, Any]) -> str | None:
    team = body.get("team")
    return body.get("team_id") or (team.get("id") if isinstance(team, dict) else None)


def _user_of(body: dict[str, Any]) -> str | None:
    user = body.get("user")
    return body.get("user_id") or (user.get("id") if isinstance(user, dict) else None)
