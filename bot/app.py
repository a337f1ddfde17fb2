"""The composition root: builds the Bolt App and registers every handler module."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltResponse, Respond

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
    def on_error(
        error: Exception,
        body: dict[str, Any],
        response: BoltResponse | None,
        respond: Respond | None = None,
    ) -> None:
        # Answer first: Bolt waits at most 3 s for this response, and logging can be slow.
        # Events API retries would only repeat the failure.
        person_facing = body.get("command") or body.get("type") in (
            "block_actions",
            "message_action",
        )
        if response is not None:
            response.headers["x-slack-no-retry"] = ["1"]
            if person_facing:
                response.status = 200
                response.body = SORRY
                response.headers["content-type"] = ["text/plain;charset=utf-8"]
        elif person_facing and respond is not None:
            # Acked already (the failure came after, e.g. Slack refused the modal): say so
            # through the response_url instead of leaving the person waiting.
            _tell(respond)
        log.error(
            "handler_failed",
            exc_info=error,
            team=_team_of(body),
            user=_user_of(body),
            command=body.get("command") or body.get("type"),
        )

    return app


def _tell(respond: Respond) -> None:
    try:
        respond(text=SORRY, response_type="ephemeral", replace_original=False)
    except Exception as err:  # the response_url may be spent or Slack unreachable
        log.warning("error_notice_failed", error=repr(err)[:200])


def _team_of(body: dict[str, Any]) -> str | None:
    team = body.get("team")
    return body.get("team_id") or (team.get("id") if isinstance(team, dict) else None)


def _user_of(body: dict[str, Any]) -> str | None:
    user = body.get("user")
    return body.get("user_id") or (user.get("id") if isinstance(user, dict) else None)
