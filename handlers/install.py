"""The bot removed from a workspace: `app_uninstalled` and `tokens_revoked`.

Both stop every piece of the team's work (rituals, reminders, digests, queued posts): the
clock skips teams marked uninstalled. With OAuth the team's saved tokens are deleted too,
so no request of that team is served until it installs again. Its data stays until an
operator runs `productops purge --team T...`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext

from bot.deps import Deps
from bot.logs import get_logger
from bot.services import installs

log = get_logger(__name__)

REMOVAL_EVENTS = ("app_uninstalled", "tokens_revoked")
RECHECK = 60.0


def register(app: App, deps: Deps) -> None:
    """Listen for the workspace removing the bot (and, with one token, adding it back)."""

    checked: dict[str, float] = {}

    if deps.installations is None:

        @app.middleware
        def resume_after_reinstall(
            context: BoltContext, body: dict[str, Any], next: Callable[[], None]
        ) -> None:
            # With one SLACK_BOT_TOKEN there is no install callback: Slack sending anything
            # but the removal events again means the bot was added back. Looked up at most
            # once a minute per team and process.
            event = body.get("event") or {}
            team_id = context.team_id
            fresh = team_id and time.monotonic() - checked.get(team_id, -RECHECK) < RECHECK
            if team_id and not fresh and event.get("type") not in REMOVAL_EVENTS:
                with deps.session_scope() as session:
                    resumed = installs.resumed(session=session, team_id=team_id, now=deps.now())
                checked[team_id] = time.monotonic()
                if resumed:
                    log.warning("team_resumed", team=team_id)
            next()

    @app.event("app_uninstalled")
    def on_app_uninstalled(context: BoltContext, body: dict[str, Any]) -> None:
        team_id = _team(context, body)
        checked.pop(team_id, None)
        stop_team(deps, team_id, reason="app_uninstalled")

    @app.event("tokens_revoked")
    def on_tokens_revoked(
        context: BoltContext, body: dict[str, Any], event: dict[str, Any]
    ) -> None:
        team_id = _team(context, body)
        tokens = event.get("tokens") or {}
        if deps.installations is not None:
            for user_id in tokens.get("oauth") or []:
                deps.installations.delete_installation(
                    enterprise_id=None, team_id=team_id, user_id=user_id
                )
        if tokens.get("bot"):
            # Without its bot token the bot can do nothing for the team: as good as removed.
            checked.pop(team_id, None)
            stop_team(deps, team_id, reason="tokens_revoked")


def stop_team(deps: Deps, team_id: str, *, reason: str) -> None:
    """Forget the team's tokens and stop its scheduled work."""
    if not team_id:
        return
    if deps.installations is not None:
        deps.installations.delete_all(enterprise_id=None, team_id=team_id)
    with deps.session_scope() as session:
        first = installs.uninstalled(session=session, team_id=team_id, now=deps.now())
    log.warning("team_stopped", team=team_id, reason=reason, first=first)


def _team(context: BoltContext, body: dict[str, Any]) -> str:
    return str(context.team_id or body.get("team_id") or "")
